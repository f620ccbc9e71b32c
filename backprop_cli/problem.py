"""The problem: a validated network, its data and its training settings, and how it is written back.

``validate.load(path)``, ``validate.loads(text)`` and ``validate.from_dict(data)``
build a :class:`Problem`; :func:`to_dict` turns one back into plain data that
loads to the same problem (``next_problem`` of a trace is written this way).

Internally every layer's weights are held in the ``out_in`` layout (row i =
the weights into unit i, PyTorch's ``nn.Linear.weight``) with the bias as a
separate vector, whatever the file said; :meth:`Layer.weights_as_given` turns
them back into the layout and bias form the user wrote. A layer's net input is
z = a·Wᵀ + s·b, where the bias sign s is −1 for a threshold (z = W·x − θ) and
for a bias weight on a constant −1 input, and +1 otherwise.
"""

from typing import Any, NamedTuple

import numpy as np

from .activations import Activation
from .exact import is_fraction
from .losses import Loss
from .optimizers import DEFAULT, OPTIMIZERS, Optimizer, hyperparameters

LAYOUTS = ("out_in", "in_out")
UPDATES = ("batch", "stochastic", "minibatch")
REDUCTIONS = ("mean", "sum")
RULES = ("backprop", "perceptron")
INITS = {"uniform": {"low": 0.0, "high": 1.0}, "normal": {"mean": 0.0, "std": 1.0}}

TOP_KEYS = (
    "title",
    "source",
    "notes",
    "layout",
    "layers",
    "inputs",
    "targets",
    "loss",
    "learning_rate",
    "update",
    "batch_size",
    "batch_reduction",
    "epochs",
    "train_bias",
    "momentum",
    "seed",
    "optimizer",
    "l2",
    "l1",
    "rule",
    "conventions",
    "epochs_done",
)
LAYER_KEYS = (
    "name",
    "activation",
    "weights",
    "bias",
    "threshold",
    "units",
    "layout",
    "dropout",
    "masks",
    "state",
    "velocity",
)


class Layer(NamedTuple):
    """One layer: z = a_prev · Wᵀ + s·b, a = f(z) (⊙ mask/(1 − p) with dropout).

    ``W`` has shape (units, n_in) (out_in) and ``b`` shape (units,), (1,) for a
    shared bias, or is ``None`` for a layer without bias. ``bias_form`` records
    how the file gave it: ``none``, ``number``, ``list``, ``augmented``,
    ``threshold`` or ``shared``. ``state_W``/``state_b`` are the optimizer's
    buffers a continued run starts from (PyTorch's names; arrays shaped like
    W and b), or None.
    """

    index: int
    name: str
    units: int
    n_in: int
    activation: Activation
    activation_params: dict[str, float]
    layout: str
    bias_form: str
    W: np.ndarray
    b: np.ndarray | None
    state_W: dict | None = None
    state_b: dict | None = None
    bias_sign: float = 1.0
    dropout: float = 0.0
    masks: np.ndarray | None = None  # (N examples, units) of 0/1, or None: drawn from the seed

    @property
    def separate_bias(self) -> bool:
        """True when the bias is its own vector in the trace (not none, not augmented)."""
        return self.b is not None and self.bias_form != "augmented"

    def weights_as_given(self, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        """W (out_in, without bias) as the file writes it: its layout, with an augmented bias column/row."""
        if self.bias_form == "augmented":
            M = np.column_stack([W, b if b is not None else np.zeros(W.shape[0])])
        else:
            M = W
        return M.T if self.layout == "in_out" else M

    def bias_as_given(self, b: np.ndarray | None) -> np.ndarray | None:
        """The bias as its own vector, or None when there is none or it is augmented."""
        return b if self.separate_bias else None

    def state_as_given(self, state_W: dict | None, state_b: dict | None) -> tuple[dict | None, dict | None]:
        """Optimizer buffers as the file writes them: each in the layer's layout (bias column included
        when augmented), the step counter as a number."""
        if not state_W and not state_b:
            return None, None
        state_W, state_b = state_W or {}, state_b or {}
        out_W: dict[str, Any] = {}
        for key, value in state_W.items():
            if key == "step":
                out_W[key] = float(value)
            else:
                out_W[key] = self.weights_as_given(value, state_b.get(key) if self.bias_form == "augmented" else None)
        if self.bias_form == "augmented" or not self.separate_bias or not state_b:
            return out_W or None, None
        return out_W or None, {k: (float(v) if k == "step" else v) for k, v in state_b.items()}


class Problem(NamedTuple):
    """A validated problem: the network, the data and the training settings."""

    layers: tuple[Layer, ...]
    X: np.ndarray  # (N, d) inputs, one row per example
    Y: np.ndarray  # (N, K) targets
    loss: Loss
    learning_rate: float
    update: str = "batch"
    batch_size: int | None = None
    batch_reduction: str = "mean"
    epochs: int = 1
    train_bias: bool = True
    seed: int | None = None
    layout: str = "out_in"
    title: str | None = None
    source: str | None = None
    notes: str | None = None
    origin: str = "<problem>"
    warnings: tuple[str, ...] = ()
    optimizer: Optimizer = OPTIMIZERS[DEFAULT]
    optimizer_params: dict = {}  # what the file gave (the rest are the optimizer's defaults)
    l2: float = 0.0
    l1: float = 0.0
    rule: str = "backprop"
    conventions: dict = {}
    epochs_done: int = 0  # epochs run before this problem's weights (a continued run numbers on from here)
    momentum_given: bool = False  # the v1 top-level momentum: key was used
    optimizer_given: bool = False  # the file says optimizer: (SPEC §4.1)

    @property
    def n_examples(self) -> int:
        return self.X.shape[0]

    @property
    def hp(self) -> dict[str, Any]:
        """The optimizer's hyperparameters: its defaults, overridden by the file."""
        return hyperparameters(self.optimizer, self.optimizer_params)

    @property
    def momentum(self) -> float:
        """v1's momentum μ, which is the default optimizer's (SGD's): 0 for plain SGD and for the other optimizers."""
        return float(self.optimizer_params.get("momentum", 0.0)) if self.optimizer.name == DEFAULT else 0.0

    @property
    def is_v2(self) -> bool:
        """Whether the problem uses any key of SPEC §4 (its trace then says version 2)."""
        plain = not self.optimizer_given and set(self.optimizer_params) <= {"momentum"}
        layers_v1 = all(l.bias_sign == 1.0 and l.bias_form != "shared" and not l.dropout for l in self.layers)
        return not (
            plain and layers_v1 and not self.l1 and not self.l2 and self.rule == "backprop" and not self.conventions
        )

    def batches(self) -> list[np.ndarray]:
        """Row indices of each update of one epoch, in file order."""
        n = self.n_examples
        size = {"batch": n, "stochastic": 1, "minibatch": self.batch_size or n}[self.update]
        return [np.arange(i, min(i + size, n)) for i in range(0, n, size)]

    def with_epochs(self, epochs: int) -> "Problem":
        return self._replace(epochs=epochs)

    def with_parameters(self, W, b, state_W=None, state_b=None, epochs_done: int | None = None) -> "Problem":
        """The same problem starting from other weights, biases and optimizer buffers."""
        layers = []
        for i, layer in enumerate(self.layers):
            layers.append(
                layer._replace(
                    W=W[i],
                    b=b[i],
                    state_W=None if state_W is None else state_W[i],
                    state_b=None if state_b is None else state_b[i],
                )
            )
        done = self.epochs_done if epochs_done is None else epochs_done
        return self._replace(layers=tuple(layers), epochs_done=done)


def penalty(problem: Problem, W: list[np.ndarray]):
    """The weight penalty (λ₂/2)·Σ w² + λ₁·Σ |w| over every weight of every layer (never a bias).

    A float for float64 weights; an exact Fraction for an exact run (--exact), which keeps λ and W as Fractions.
    """
    total = 0
    if problem.l2:
        total += problem.l2 / 2 * sum(np.sum(w * w) for w in W)
    if problem.l1:
        total += problem.l1 * sum(np.sum(np.abs(w)) for w in W)
    return total if is_fraction(total) else float(total)


# --------------------------------------------------------------------------- writing back


def _bias_entry(layer: Layer) -> dict[str, Any]:
    if layer.bias_form == "augmented":
        return {"bias": "augmented" if layer.bias_sign == 1.0 else {"augmented": -1}}
    if layer.bias_form == "threshold":
        return {"threshold": layer.b.tolist()}
    if layer.bias_form == "shared":
        return {"bias": {"shared": float(layer.b[0])}}
    return {"bias": layer.b.tolist()} if layer.b is not None else {}


def _layer_dict(layer: Layer) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": layer.name, "units": layer.units, "layout": layer.layout}
    act = layer.activation
    entry["activation"] = {"name": act.name, **layer.activation_params} if act.params else act.name
    entry["weights"] = layer.weights_as_given(layer.W, layer.b).tolist()
    entry.update(_bias_entry(layer))
    if layer.dropout:
        entry["dropout"] = layer.dropout
        if layer.masks is not None:
            entry["masks"] = layer.masks.astype(int).tolist()
    state_W, state_b = layer.state_as_given(layer.state_W, layer.state_b)
    if state_W or state_b:
        state: dict[str, Any] = {}
        if state_W:
            state["weights"] = {k: (v if k == "step" else v.tolist()) for k, v in state_W.items()}
        if state_b:
            state["bias"] = {k: (v if k == "step" else v.tolist()) for k, v in state_b.items()}
        entry["state"] = state
    return entry


def to_dict(problem: Problem) -> dict:
    """The problem as plain data: every default filled in, weights as numbers.

    Fed back to ``validate.from_dict`` (or written as YAML/JSON and loaded) it
    gives the same problem, optimizer state and epochs done included.
    """
    d: dict[str, Any] = {}
    for key in ("title", "source", "notes"):
        if getattr(problem, key) is not None:
            d[key] = getattr(problem, key)
    if problem.rule != "backprop":
        d["rule"] = problem.rule
    if problem.conventions:
        d["conventions"] = dict(problem.conventions)
    d["layout"] = problem.layout
    d["layers"] = [_layer_dict(layer) for layer in problem.layers]
    d["inputs"] = problem.X.tolist()
    d["targets"] = problem.Y.tolist()
    if problem.rule == "backprop":
        d["loss"] = problem.loss.name
    d["learning_rate"] = problem.learning_rate
    d["update"] = problem.update
    if problem.update == "minibatch":
        d["batch_size"] = problem.batch_size
    d["batch_reduction"] = problem.batch_reduction
    d["epochs"] = problem.epochs
    d["train_bias"] = problem.train_bias
    if problem.optimizer_given or (problem.is_v2 and problem.optimizer_params):
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in problem.optimizer_params.items()}
        d["optimizer"] = {"name": problem.optimizer.name, **params}
    else:  # SPEC §1's momentum: the v1 form, kept for v1 readers
        d["momentum"] = problem.momentum
    for key in ("l2", "l1"):
        if getattr(problem, key):
            d[key] = getattr(problem, key)
    if problem.seed is not None:
        d["seed"] = problem.seed
    if problem.epochs_done:
        d["epochs_done"] = problem.epochs_done
    return d
