r"""The rules of the optimizers: one vectorised step each, exactly torch.optim's arithmetic.

``step(w, g, state, lr, hp, shown=None)`` updates one parameter (an array of
any shape): it returns the new array, replaces (never mutates) the buffers in
``state`` (PyTorch's state names, with ``step`` the count of steps taken), and,
when ``shown`` is a dict, writes there every intermediate a worked solution
shows (``change`` is Δw; the update is w ← w + Δw). The recorded path calls it
once per array; the fast path once over all arrays joined in one vector
(fastpath.Flat), so a rule must be elementwise, and it must never keep ``g``
itself in ``state`` (the fast path reuses that buffer). A rule keeps the number
type it is given where it can (SGD on Fractions stays exact, --exact).

optimizers.py binds each rule to its entry of the table, with its
hyperparameters, its page (optimizer_lines.py) and its usual mistakes
(optimizer_mistakes.py).
"""

from __future__ import annotations

import math

import numpy as np

Array = np.ndarray


def _decayed(w: Array, g: Array, hp: dict, shown: dict | None) -> Array:
    """g ← g + λ·w (PyTorch's coupled ``weight_decay``: a change of the gradient, not of the loss)."""
    if hp.get("weight_decay", 0) != 0:
        g = g + hp["weight_decay"] * w
    if shown is not None:
        shown["g_decayed"] = g
    return g


def _count(state: dict) -> float:
    state["step"] = state.get("step", 0.0) + 1.0
    return state["step"]


def sgd_step(w: Array, g: Array, state: dict, lr: float, hp: dict, shown: dict | None = None) -> Array:
    """torch.optim.SGD: g ← g + λw; b ← μ·b + (1 − τ)·g (b = g at the first step); Nesterov: g + μ·b, else b;
    w ← w − η·(that)."""
    d_p = _decayed(w, g, hp, shown)
    mu = hp.get("momentum", 0.0)
    if mu != 0:
        buf = state.get("momentum_buffer")
        buf = d_p.copy() if buf is None else mu * buf + (1 - hp["dampening"]) * d_p
        state["momentum_buffer"] = buf
        d_p = d_p + mu * buf if hp["nesterov"] else buf
        if shown is not None:
            shown["momentum_buffer"], shown["direction"] = buf, d_p
    change = -lr * d_p
    if shown is not None:
        shown["change"] = change
    return w + change


def adam_step(w: Array, g: Array, state: dict, lr: float, hp: dict, shown: dict | None = None) -> Array:
    """torch.optim.Adam (and AdamW, whose entry sets ``hp["decoupled"]``):

    t ← t + 1;  AdamW: w ← w·(1 − η·λ)  (Adam: g ← g + λ·w)
    m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²        (amsgrad: v_max ← max(v_max, v))
    m̂ = m/(1 − β₁ᵗ)                 v̂ = v/(1 − β₂ᵗ)
    w ← w − η·m̂/(√v̂ + ε)
    PyTorch writes the last line as w − (η/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε), which is the same number.
    """
    beta1, beta2 = hp["betas"]
    t = state["step"] = state.get("step", 0.0) + 1.0
    w0, decay = w, hp["weight_decay"]
    if hp.get("decoupled"):
        if decay:
            w = w * (1.0 - lr * decay)
        if shown is not None:
            shown["g_decayed"], shown["w_decayed"] = g, w
    elif decay or shown is not None:
        g = _decayed(w, g, hp, shown)
    if "exp_avg" in state:
        m = state["exp_avg"]
        m = m + (1.0 - beta1) * (g - m)  # PyTorch's lerp: β₁·m + (1 − β₁)·g
        v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    else:  # the buffers start at 0
        m, v = (1.0 - beta1) * g, (1.0 - beta2) * g * g
    state["exp_avg"], state["exp_avg_sq"] = m, v
    bias_correction1, bias_correction2 = 1.0 - beta1**t, 1.0 - beta2**t
    v_used = v
    if hp["amsgrad"]:
        v_used = np.maximum(state.get("max_exp_avg_sq", 0.0), v)
        state["max_exp_avg_sq"] = v_used
    # √v̂ + ε = (√v + ε·√c₂)/√c₂ with c₂ = 1 − β₂ᵗ: the scalars folded, one array operation fewer per step
    root_c2 = math.sqrt(bias_correction2)
    new = w - (lr * root_c2 / bias_correction1) * m / (np.sqrt(v_used) + hp["eps"] * root_c2)
    if shown is not None:
        shown.update(
            exp_avg=m,
            exp_avg_sq=v,
            max_exp_avg_sq=v_used,
            m_hat=m / bias_correction1,
            v_hat=v_used / bias_correction2,
            t=np.full_like(w0, t),
            change=new - w0,
        )
    return new


def rmsprop_step(w: Array, g: Array, state: dict, lr: float, hp: dict, shown: dict | None = None) -> Array:
    """torch.optim.RMSprop:

    g ← g + λ·w;  s ← α·s + (1 − α)·g²;  centered: ḡ ← α·ḡ + (1 − α)·g, d = √(s − ḡ²) + ε, else d = √s + ε
    momentum μ > 0: b ← μ·b + g/d, w ← w − η·b;  else w ← w − η·g/d.
    """
    alpha = hp["alpha"]
    _count(state)
    g = _decayed(w, g, hp, shown)
    s = alpha * state.get("square_avg", 0.0) + (1.0 - alpha) * g * g
    state["square_avg"] = s
    if hp["centered"]:
        gbar = state.get("grad_avg", 0.0)
        gbar = gbar + (1.0 - alpha) * (g - gbar)
        state["grad_avg"] = gbar
        denom = np.sqrt(s - gbar * gbar) + hp["eps"]
    else:
        denom = np.sqrt(s) + hp["eps"]
    if hp["momentum"] > 0:
        buf = hp["momentum"] * state.get("momentum_buffer", 0.0) + g / denom
        state["momentum_buffer"] = buf
        change = -lr * buf
    else:
        change = -lr * (g / denom)
    if shown is not None:
        shown.update(square_avg=s, denom=denom, change=change)
        if hp["centered"]:
            shown["grad_avg"] = state["grad_avg"]
        if hp["momentum"] > 0:
            shown["momentum_buffer"] = state["momentum_buffer"]
    return w + change


def adagrad_step(w: Array, g: Array, state: dict, lr: float, hp: dict, shown: dict | None = None) -> Array:
    """torch.optim.Adagrad: t ← t + 1; g ← g + λ·w; η_t = η/(1 + (t − 1)·lr_decay); s ← s + g²;
    w ← w − η_t·g/(√s + ε), with s starting at ``initial_accumulator_value``."""
    t = _count(state)
    g = _decayed(w, g, hp, shown)
    clr = lr / (1.0 + (t - 1.0) * hp["lr_decay"])
    s = state.get("sum", hp["initial_accumulator_value"]) + g * g
    state["sum"] = s
    std = np.sqrt(s) + hp["eps"]
    change = -clr * (g / std)
    if shown is not None:
        shown.update(sum=s, clr=np.full_like(w, clr), denom=std, change=change)
    return w + change
