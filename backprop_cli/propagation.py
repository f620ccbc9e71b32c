r"""The arithmetic of one update, vectorised over its examples: forward, loss, backward, gradients.

Notation (layers numbered 1..L, a₀ = x; one row per example n; s = the bias sign, −1 for a threshold):

    forward     z_l = a_{l-1} W_lᵀ + s·b_l          a_l = f_l(z_l)  (⊙ m_l/(1 − p_l) with dropout)
    loss        Lₙ = loss(a_L, y)                   L = r·Σₙ Lₙ + penalty,  r = 1/N (mean) or 1 (sum)
    output δ    δ_L = ∂Lₙ/∂z_L = ∂Lₙ/∂a_L ⊙ f_L′(z_L)   (or the pair's closed form)
    hidden δ    δ_l = (δ_{l+1} W_{l+1}) ⊙ ∂a_l/∂z_l      W_{l+1} before the update;
                                                          ∂a/∂z = f′(z) (⊙ m/(1 − p) with dropout)
    gradients   ∂L/∂W_l = r · δ_lᵀ a_{l-1} + λ₂·W_l + λ₁·sign(W_l)
                ∂L/∂b_l = s · r · Σₙ δ_l  (summed over the units too for a shared bias)
                ∂L/∂x   = r · δ_1 W_1

Pure functions of arrays; engine.py runs them over a problem's updates and epochs. They keep the number type
of their arrays: float64, or (``--exact``, exact.py) object arrays of ``fractions.Fraction``.
"""

from __future__ import annotations

import numpy as np

from .exact import one, scalar
from .losses import SHORTCUTS
from .problem import Problem, penalty


def net_input(layer, a_in: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """z = a_in·Wᵀ + s·b (s = −1 for a threshold or a bias weight on a constant −1)."""
    z = a_in @ W.T
    if b is not None:
        z = z - b if layer.bias_sign < 0 else z + b
    return z


def forward(layers, W, b, X, masks=None):
    """z_l and a_l for every layer, all rows at once: the lists (z_1..z_L, a_1..a_L)."""
    zs, activations, _ = forward_pass(layers, W, b, X, masks)
    return zs, activations


def forward_pass(layers, W, b, X, masks=None):
    """z_l and a_l for every layer; with dropout a_l = f(z_l) ⊙ m/(1 − p).

    Returns (zs, activations, f_values): f_values are f(z) before dropout (the same arrays without it).
    """
    zs, activations, f_values = [], [], []
    a = X
    for i, (layer, W_l, b_l) in enumerate(zip(layers, W, b, strict=False)):
        z = net_input(layer, a, W_l, b_l)
        f = layer.activation(z, layer.activation_params)
        a = f * (masks[i] / (1 - layer.dropout)) if masks is not None and masks[i] is not None else f
        zs.append(z)
        f_values.append(f)
        activations.append(a)
    return zs, activations, f_values


def loss_terms(problem: Problem, z: np.ndarray, y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Each output's term of Lₙ (Lₙ is their sum).

    Where the output activation and the loss have a closed form (sigmoid + bce,
    softmax + cross_entropy) the terms come from the net input z, which stays
    finite where ŷ has rounded to exactly 0 or 1; otherwise from ŷ.
    """
    pair = SHORTCUTS.get((problem.layers[-1].activation.name, problem.loss.name))
    return pair.terms(z, Y) if pair is not None else problem.loss.terms(y_hat, Y)


def losses(problem: Problem, z: np.ndarray, y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Lₙ for every row."""
    return loss_terms(problem, z, y_hat, Y).sum(axis=1)


def update_loss(problem: Problem, W, b, rows: np.ndarray, masks=None) -> float:
    """L of one update at weights W, b: the reduced loss of the examples ``rows`` plus the penalty.

    With dropout, ``masks`` are the update's masks (see :func:`dropout_masks`). This is the function
    whose derivatives the backward pass computes (gradcheck differentiates it numerically).
    """
    zs, acts = forward(problem.layers, W, b, problem.X[rows], masks)
    pen = penalty(problem, W) if (problem.l1 or problem.l2) else 0
    return reduce(problem, losses(problem, zs[-1], acts[-1], problem.Y[rows])) + pen


def reduce(problem: Problem, values: np.ndarray) -> float:
    """The batch reduction of per-example losses: Σₙ Lₙ or (1/N) Σₙ Lₙ (the sum over the count, the bits of
    np.mean without its Python wrapper, which cost more than the sum in a tiny network's epoch)."""
    total = values.sum()
    return scalar(total if problem.batch_reduction == "sum" else total / values.size)


def batch_scale(problem: Problem, n: int) -> float:
    """r: ∂L/∂W of an update over n examples is r·Σₙ ∂Lₙ/∂W (1/n for mean, 1 for sum)."""
    return one(problem) / n if problem.batch_reduction == "mean" else one(problem)


def output_delta(problem: Problem, z: np.ndarray, a: np.ndarray, Y: np.ndarray):
    """δ_L = ∂Lₙ/∂z_L of the output layer.

    Returns (dL_da, da_dz, delta, shortcut). Where the (activation, loss) pair
    has a closed form (sigmoid + bce, softmax + cross_entropy) δ comes from it,
    which is exact even when ŷ is 0 or 1; ∂L/∂a is still reported for display.
    """
    out = problem.layers[-1]
    act, loss = out.activation, problem.loss
    with np.errstate(divide="ignore", invalid="ignore"):
        dL_da = loss.gradient(a, Y)
    da_dz = act.derivative(z, a, **out.activation_params) if act.elementwise else None
    pair = SHORTCUTS.get((act.name, loss.name))
    if pair is not None:
        return dL_da, da_dz, pair.delta(a, Y), True
    return dL_da, da_dz, act.backward(z, a, dL_da, out.activation_params), False


def activation_slope(layer, z, f):
    """f′(z) of an elementwise activation at z, where f = f(z) before any dropout (None for a non-elementwise f)."""
    if not layer.activation.elementwise:
        return None
    return layer.activation.derivative(z, f, **layer.activation_params)


def local_slope(layer, z, f, mask):
    """∂a/∂z of a hidden layer: f′(z), times m/(1 − p) with dropout (None for a non-elementwise f)."""
    da_dz = activation_slope(layer, z, f)
    return da_dz * (mask / (1 - layer.dropout)) if mask is not None and da_dz is not None else da_dz


def weight_gradients(problem: Problem, layer, delta, a_in, W, scale):
    """(∂L/∂W with the penalty, the penalty's part, ∂L/∂b) of one layer."""
    dL_dW = scale * (delta.T @ a_in)
    dL_dW_penalty = None
    if problem.l2 or problem.l1:
        dL_dW_penalty = problem.l2 * W + problem.l1 * np.sign(W)
        dL_dW = dL_dW + dL_dW_penalty
    dL_db = None
    if layer.b is not None:
        dL_db = (scale * layer.bias_sign) * delta.sum(axis=0)
        if layer.bias_form == "shared":
            dL_db = np.array([dL_db.sum()])
    return dL_dW, dL_dW_penalty, dL_db


def backward(problem: Problem, W, X, Y, zs, activations, f_values, masks):
    """The backward pass, output layer first.

    Returns (records, dL_dx) where each record holds (dL_da, da_dz, delta, dL_dW, dL_db, shortcut, W_used,
    dL_dW_penalty, df_dz) for layers L..1, and dL_dx = r·δ_1 W_1. ``df_dz`` is f′(z) before the dropout
    mask of a layer with dropout (da_dz = df_dz ⊙ m/(1 − p)), None for any other layer.
    """
    layers = problem.layers
    scale = batch_scale(problem, X.shape[0])
    dL_da, da_dz, delta, shortcut = output_delta(problem, zs[-1], activations[-1], Y)
    W_used = df_dz = None
    out = []
    for i in range(len(layers) - 1, -1, -1):
        a_in = X if i == 0 else activations[i - 1]
        dL_dW, dL_dW_penalty, dL_db = weight_gradients(problem, layers[i], delta, a_in, W[i], scale)
        out.append((dL_da, da_dz, delta, dL_dW, dL_db, shortcut, W_used, dL_dW_penalty, df_dz))
        dL_da_in = delta @ W[i]  # ∂Lₙ/∂a_{i}: each unit's δ sent back along its weights
        if i > 0:
            below, mask = layers[i - 1], masks[i - 1] if masks else None
            dL_da, W_used, shortcut = dL_da_in, W[i], False
            da_dz = local_slope(below, zs[i - 1], f_values[i - 1], mask)
            df_dz = activation_slope(below, zs[i - 1], f_values[i - 1]) if mask is not None else None
            delta = (
                dL_da * da_dz
                if da_dz is not None
                else below.activation.backward(zs[i - 1], f_values[i - 1], dL_da, below.activation_params)
            )
    return out, scale * dL_da_in
