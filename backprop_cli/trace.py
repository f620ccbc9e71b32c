"""The trace: an explicit, ordered record of every intermediate of a run.

The engine writes it; every renderer (rich, json, markdown, latex) only reads
it. Arrays are float64 NumPy arrays, one row per example where a quantity is
per example. Weights and their gradients are held in the ``out_in`` layout
(row i = unit i) with the bias as its own vector; ``Layer.weights_as_given``
turns them into the layout the problem file used.
"""

from typing import NamedTuple

import numpy as np

from .problem import Problem


class ForwardRecord(NamedTuple):
    """Layer ``layer`` (1..L): z = a_in·Wᵀ + b and a = f(z), one row per example.

    With dropout, a = f(z) ⊙ mask/(1 − p): ``mask`` is the 0/1 mask and ``f`` is f(z) before it
    (both None without dropout, where ``a`` is f(z) itself).
    """

    layer: int
    a_in: np.ndarray
    z: np.ndarray
    a: np.ndarray  # after dropout, where the layer has it
    mask: np.ndarray | None = None  # dropout's 0/1 mask (a = f(z) ⊙ mask/(1 − p)), or None
    f: np.ndarray | None = None  # f(z) before dropout, or None without dropout
    parts: np.ndarray | None = None  # the activation's recorded parts (softmax's e^z), where it names them


class BackwardRecord(NamedTuple):
    """Layer ``layer``'s part of the backward pass.

    ``dL_da`` is ∂Lₙ/∂a and ``delta`` is ∂Lₙ/∂z per example (before batch
    reduction). ``da_dz`` is ∂a/∂z for an elementwise activation (None for
    softmax, whose Jacobian is not diagonal): f′(z), times mask/(1 − p) with
    dropout, where ``df_dz`` is f′(z) before the mask (None without dropout). ``dL_dW`` and ``dL_db`` are the
    gradients of the update's loss (after batch reduction), penalty included;
    ``dL_dW_penalty`` is the penalty's part of ``dL_dW`` (λ·w or λ·sign(w)), or
    None without a penalty. ``delta`` follows the problem's ``delta``
    convention: ∂Lₙ/∂z, or its negative, the error signal. ``shortcut`` is
    true when the output δ came from the closed form of its (activation, loss)
    pair (see ``losses.SHORTCUTS``). ``W_used`` are the weights of the
    layer above that carried δ back to this layer (before the update), or
    None for the output layer.
    """

    layer: int
    dL_da: np.ndarray
    da_dz: np.ndarray | None
    delta: np.ndarray
    dL_dW: np.ndarray
    dL_db: np.ndarray | None
    shortcut: bool = False
    W_used: np.ndarray | None = None
    dL_dW_penalty: np.ndarray | None = None
    df_dz: np.ndarray | None = None


class UpdateRecord(NamedTuple):
    """Layer ``layer``'s update by the problem's optimizer: W = W_before + W_change, the same for b.

    ``state_W``/``state_b`` are the optimizer's buffers after the step (PyTorch's
    names), ``*_before`` before it (empty at the first step). ``shown_W``/``shown_b``
    hold every intermediate of the step a worked solution shows (see optimizers.py).
    """

    layer: int
    W_before: np.ndarray
    W_change: np.ndarray
    W: np.ndarray
    b_before: np.ndarray | None
    b_change: np.ndarray | None
    b: np.ndarray | None
    state_W: dict | None = None
    state_b: dict | None = None
    state_W_before: dict | None = None
    state_b_before: dict | None = None
    shown_W: dict | None = None
    shown_b: dict | None = None

    @property
    def velocity_W(self) -> np.ndarray | None:
        """SGD's momentum buffer after the step (v = μ·v_before + gradient), or None."""
        return (self.state_W or {}).get("momentum_buffer")

    @property
    def velocity_b(self) -> np.ndarray | None:
        return (self.state_b or {}).get("momentum_buffer")

    @property
    def velocity_W_before(self) -> np.ndarray | None:
        """None: the buffer starts at 0."""
        return (self.state_W_before or {}).get("momentum_buffer")


class StepRecord(NamedTuple):
    """One update: its examples (0-based rows), forward pass, losses, backward pass and update."""

    number: int  # 1-based within the epoch
    examples: np.ndarray
    forward: list[ForwardRecord]
    loss_terms: np.ndarray  # (N, K): each output's term of Lₙ; Lₙ is their sum
    losses: np.ndarray
    loss: float
    backward: list[BackwardRecord]  # output layer first
    dL_dx: np.ndarray
    update: list[UpdateRecord]
    scale: float = 1.0  # r of the batch reduction: 1/N (mean) or 1 (sum)
    penalty: float | None = None  # the weight penalty at the weights before the update, or None without one
    e: np.ndarray | None = None  # the perceptron rule's error e = y − ŷ (N, K); None for backprop

    def backward_of(self, layer: int) -> BackwardRecord:
        """The backward record of layer ``layer`` (1..L)."""
        return self.backward[len(self.backward) - layer]


class EpochRecord(NamedTuple):
    """One epoch: its updates (None when the run records no steps) and its losses.

    ``loss`` reduces the epoch's Lₙ, each taken before its own update (plus
    the mean of the steps' penalties); ``loss_start`` and ``loss_after`` reduce
    all Lₙ at the weights of the start and of the end of the epoch (plus the
    penalty there), without dropout.
    """

    epoch: int
    steps: list[StepRecord] | None
    loss: float
    loss_after: float | None  # None when a non-finite value stopped the epoch before its end
    partial: bool = False  # the run was stopped before this epoch's last update
    loss_start: float | None = None


class Trace(NamedTuple):
    """A run: the problem as run, its epochs, and the problem with the final weights."""

    problem: Problem
    epochs: list[EpochRecord]
    next_problem: Problem
    warnings: tuple[str, ...] = ()  # what a student should know about the run (saturated units, ...)
    stopped: str | None = None  # why the run ended before the problem's epochs, if it did
