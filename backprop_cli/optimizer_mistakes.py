r"""The usual mistakes of each optimizer's rule, as data: (name, the wrong change Δw it gives).

optimizers.py puts these in each entry's ``mistakes``; ``check`` (teaching/mistakes.py)
asks the entry, so no grader names an optimizer.

A mistake's function is ``change(values, hp, lr)``. ``values`` holds the step's
recorded intermediates (``shown``: ``g_decayed``, ``exp_avg``, ``m_hat``, …,
``change``), plus ``g`` (∂L/∂w before any weight decay), ``w`` (the value before
the step), ``t`` (this step's number) and ``<buffer>_prev`` (each of PyTorch's
buffers before the step; absent at the first step): the names the derivation's
``lines`` use. It returns the wrong Δw, or None where the mistake does not apply
(or gives no number, such as a division by 1 − β⁰ = 0), and writes into
``values`` every intermediate it reached wrongly (m̂ = m, …), so that ``check``
names it on those answers too, and carries the wrong buffers to the next step.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def _flipped(v: dict, hp: dict, lr: float) -> Array:
    return -v["change"]


def _no_lr(v: dict, hp: dict, lr: float) -> Array | None:
    return v["change"] / lr if lr else None


def _lr_twice(v: dict, hp: dict, lr: float) -> Array:
    return v["change"] * lr


EVERY = (
    ("the sign of the update is flipped (w − Δw)", _flipped),
    ("the learning rate is missing", _no_lr),
    ("the learning rate is applied twice", _lr_twice),
)

# ----------------------------------------------------------------------------- SGD


def _sgd_along(v: dict, hp: dict, lr: float, buf: Array) -> Array:
    """Δw from a momentum buffer b: −η·(g + μ·b) with Nesterov, else −η·b."""
    v["momentum_buffer"] = buf
    if hp.get("nesterov"):
        v["direction"] = v["g_decayed"] + hp["momentum"] * buf
        return -lr * v["direction"]
    return -lr * buf


def _sgd_no_momentum(v: dict, hp: dict, lr: float) -> Array | None:
    """w − η·g: the momentum term forgotten (the right step at the first one, without Nesterov)."""
    return -lr * v["g_decayed"] if hp.get("momentum") else None


def _sgd_no_dampening(v: dict, hp: dict, lr: float) -> Array | None:
    """b = μ·b + g instead of μ·b + (1 − τ)·g (from the second step: the first b is g either way)."""
    if not hp.get("momentum") or not hp.get("dampening") or "momentum_buffer_prev" not in v:
        return None
    return _sgd_along(v, hp, lr, hp["momentum"] * v["momentum_buffer_prev"] + v["g_decayed"])


def _sgd_no_lookahead(v: dict, hp: dict, lr: float) -> Array | None:
    """Nesterov's look-ahead g + μ·b forgotten: −η·b, as plain momentum."""
    if not hp.get("nesterov"):
        return None
    v["direction"] = v["momentum_buffer"]
    return -lr * v["momentum_buffer"]


SGD = EVERY + (
    ("the momentum term is forgotten (w − η·g)", _sgd_no_momentum),
    ("the dampening is ignored (b = μ·b + g)", _sgd_no_dampening),
    ("Nesterov's look-ahead is forgotten (−η·b instead of −η·(g + μ·b))", _sgd_no_lookahead),
)

# ----------------------------------------------------------------------------- Adam and AdamW


def _adam_again(
    v: dict, hp: dict, lr: float, betas=None, t=None, corrected=(True, True), eps_inside=False, decoupled=None
) -> Array:
    """Adam's (AdamW's) step worked again from the buffers before it, with one thing done differently.

    Right: AdamW w′ = w·(1 − η·λ) (Adam: g ← g + λ·w); m = β₁·m + (1 − β₁)·g; v = β₂·v + (1 − β₂)·g²;
    m̂ = m/(1 − β₁ᵗ); v̂ = v/(1 − β₂ᵗ); Δw = (w′ − w) − η·m̂/(√v̂ + ε).
    """
    beta1, beta2 = hp["betas"] if betas is None else betas
    t = v["t"] if t is None else t
    decoupled = hp["decoupled"] if decoupled is None else decoupled
    lam, w, g = hp["weight_decay"], v["w"], v["g"]
    shrunk = w * (1.0 - lr * lam) if decoupled and lam else w
    if lam and not decoupled:
        g = g + lam * w
    m = beta1 * v.get("exp_avg_prev", 0.0) + (1.0 - beta1) * g
    s = beta2 * v.get("exp_avg_sq_prev", 0.0) + (1.0 - beta2) * g * g
    s_used = np.maximum(v.get("max_exp_avg_sq_prev", 0.0), s) if hp["amsgrad"] else s
    m_hat = m / (1.0 - beta1**t) if corrected[0] else m
    v_hat = s_used / (1.0 - beta2**t) if corrected[1] else s_used
    denom = np.sqrt(v_hat + hp["eps"]) if eps_inside else np.sqrt(v_hat) + hp["eps"]
    v.update(g_decayed=g, exp_avg=m, exp_avg_sq=s, max_exp_avg_sq=s_used, m_hat=m_hat, v_hat=v_hat)
    if decoupled:
        v["w_decayed"] = shrunk
    return (shrunk - w) - lr * m_hat / denom


def _adam_m_uncorrected(v: dict, hp: dict, lr: float) -> Array:
    return _adam_again(v, hp, lr, corrected=(False, True))


def _adam_v_uncorrected(v: dict, hp: dict, lr: float) -> Array:
    return _adam_again(v, hp, lr, corrected=(True, False))


def _adam_uncorrected(v: dict, hp: dict, lr: float) -> Array:
    return _adam_again(v, hp, lr, corrected=(False, False))


def _adam_eps_inside(v: dict, hp: dict, lr: float) -> Array:
    return _adam_again(v, hp, lr, eps_inside=True)


def _adam_betas_swapped(v: dict, hp: dict, lr: float) -> Array:
    """β₂ where β₁ belongs and the reverse, in the averages and in their corrections alike."""
    return _adam_again(v, hp, lr, betas=tuple(hp["betas"])[::-1])


def _adam_counter_from_0(v: dict, hp: dict, lr: float) -> Array | None:
    t = float(np.max(v["t"]))
    return _adam_again(v, hp, lr, t=t - 1.0) if t > 1 else None  # at t = 1 it divides by 1 − β⁰ = 0


def _adam_decay_in_gradient(v: dict, hp: dict, lr: float) -> Array | None:
    return _adam_again(v, hp, lr, decoupled=False) if hp["weight_decay"] and hp["decoupled"] else None


def _adam_decay_in_update(v: dict, hp: dict, lr: float) -> Array | None:
    return _adam_again(v, hp, lr, decoupled=True) if hp["weight_decay"] and not hp["decoupled"] else None


ADAM = EVERY + (
    ("the bias correction of m is forgotten (m̂ = m)", _adam_m_uncorrected),
    ("the bias correction of v is forgotten (v̂ = v)", _adam_v_uncorrected),
    ("both bias corrections are forgotten (m̂ = m, v̂ = v)", _adam_uncorrected),
    ("ε is inside the square root (√(v̂ + ε))", _adam_eps_inside),
    ("β₁ and β₂ are swapped", _adam_betas_swapped),
    ("the step counter starts at 0 (t − 1 in the bias corrections)", _adam_counter_from_0),
    (
        "the weight decay is applied to the loss (added to g, as Adam does) instead of to the update "
        "(w·(1 − η·λ), as AdamW does)",
        _adam_decay_in_gradient,
    ),
    (
        "the weight decay is applied to the update (w·(1 − η·λ), as AdamW does) instead of to the loss "
        "(added to g, as Adam does)",
        _adam_decay_in_update,
    ),
)

# ----------------------------------------------------------------------------- RMSprop and Adagrad


def _rmsprop_again(v: dict, hp: dict, lr: float, swapped: bool = False, eps_inside: bool = False) -> Array:
    """RMSprop's step worked again from the buffers before it, with α and 1 − α swapped or ε inside the root."""
    keep, new = (1.0 - hp["alpha"], hp["alpha"]) if swapped else (hp["alpha"], 1.0 - hp["alpha"])
    g = v["g_decayed"]
    s = keep * v.get("square_avg_prev", 0.0) + new * g * g
    spread = s
    if hp["centered"]:
        v["grad_avg"] = keep * v.get("grad_avg_prev", 0.0) + new * g
        spread = s - v["grad_avg"] ** 2
    denom = np.sqrt(spread + hp["eps"]) if eps_inside else np.sqrt(spread) + hp["eps"]
    v.update(square_avg=s, denom=denom)
    direction = g / denom
    if hp["momentum"] > 0:
        direction = v["momentum_buffer"] = hp["momentum"] * v.get("momentum_buffer_prev", 0.0) + direction
    return -lr * direction


def _rmsprop_eps_inside(v: dict, hp: dict, lr: float) -> Array:
    return _rmsprop_again(v, hp, lr, eps_inside=True)


def _rmsprop_alpha_swapped(v: dict, hp: dict, lr: float) -> Array:
    return _rmsprop_again(v, hp, lr, swapped=True)


RMSPROP = EVERY + (
    ("ε is inside the square root (√(s + ε))", _rmsprop_eps_inside),
    ("α and 1 − α are swapped (s = (1 − α)·s + α·g²)", _rmsprop_alpha_swapped),
)


def _adagrad_sum_before(v: dict, hp: dict, lr: float) -> Array | None:
    """The accumulator without this step's g²: s = s_prev (no number at a first step from s₀ = 0)."""
    s = np.asarray(v.get("sum_prev", hp["initial_accumulator_value"]), dtype=float)
    if np.any(s == 0):
        return None
    v["sum"], v["denom"] = s, np.sqrt(s) + hp["eps"]
    return -v["clr"] * v["g_decayed"] / v["denom"]


ADAGRAD = EVERY + (("the accumulator does not include this step's g² (s = s_prev)", _adagrad_sum_before),)
