r"""Optimizers: one table, name -> entry, with exactly torch.optim's rules, parameter names and defaults.

Every trainable array (a layer's weights, its biases unless ``train_bias: false``)
is one parameter of the optimizer, as if passed to ``torch.optim.X(params)`` in
one group. An entry holds:

- ``params``: its hyperparameters, declared (default, range, symbol);
- ``state``: the per-parameter buffers under PyTorch's state names, and whether
  it counts steps (``step``);
- ``step(w, g, state, lr, hp, shown)``: one vectorised update of one array. It
  returns the new array, replaces (never mutates) the arrays in ``state``, and,
  when ``shown`` is a dict, writes there every intermediate a worked solution
  shows. The recorded path calls it per array, the fast path once over all
  arrays joined in one vector (fastpath.Flat), so it must be elementwise, and
  it must never keep ``g`` itself in ``state`` (the fast path reuses that buffer);
- ``lines(hp)``: the derivation, in textbook order, as :class:`Line`\ s whose
  templates name the values of ``shown``, the hyperparameters, ``$g`` (∂L/∂w),
  ``$w`` (the value before), ``$lr`` (η), ``$t`` (the step) and ``$<state>_prev``
  (a buffer before the step);
- ``mistakes``: the usual wrong values of a hand derivation, for ``check``.

The update of every optimizer is w ← w + Δw; ``shown["change"]`` is Δw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import optimizer_mistakes as wrong
from .params import Param

Array = np.ndarray
Tex = tuple[str, str]


class Line(NamedTuple):
    """One line of a derivation: ``symbol = formula`` whose value is ``shown[result]``."""

    result: str
    symbol: Tex
    formula: Tex
    when: Callable[[dict], bool] = lambda hp: True


class Mistake(NamedTuple):
    """A usual error: its name, and the wrong change Δw it gives (from the recorded intermediates)."""

    name: str
    change: Callable[[dict, dict, float], Array | None]  # (shown, hp, lr) -> wrong Δw, or None when it does not apply


class Optimizer(NamedTuple):
    name: str
    torch_name: str
    params: dict[str, Param]
    state: tuple[str, ...]  # PyTorch's buffer names of one parameter (besides ``step``)
    counts_steps: bool
    step: Callable[..., Array]
    lines: tuple[Line, ...]
    symbols: dict[str, Tex]  # how each value of ``shown`` and each buffer is written
    mistakes: tuple[Mistake, ...] = ()
    rational: bool = False  # exact on fractions (--exact): its step uses + − · / only, keeping the number type
    not_rational: str = ""  # why not, when not
    starts: dict[str, str] = {}  # buffer -> the hyperparameter it starts at (else 0)
    classical: tuple[Line, ...] = ()  # the change written classically, with $change_prev (the previous Δw)

    def active_state(self, hp: dict) -> tuple[str, ...]:
        """The buffers this optimizer keeps under these hyperparameters (SGD without momentum keeps none)."""
        return tuple(s for s in self.state if _keeps(self.name, s, hp))

    def shown_lines(self, hp: dict) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.when(hp))


def _keeps(name: str, buffer: str, hp: dict) -> bool:
    if buffer == "momentum_buffer":
        return hp.get("momentum", 0) != 0
    if buffer == "max_exp_avg_sq":
        return bool(hp.get("amsgrad"))
    if buffer == "grad_avg":
        return bool(hp.get("centered"))
    return True


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


# ----------------------------------------------------------------------------- the rules


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


def adam_step(
    w: Array, g: Array, state: dict, lr: float, hp: dict, shown: dict | None = None, decoupled: bool = False
) -> Array:
    """torch.optim.Adam (and AdamW with ``decoupled``):

    t ← t + 1;  AdamW: w ← w·(1 − η·λ)  (Adam: g ← g + λ·w)
    m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²        (amsgrad: v_max ← max(v_max, v))
    m̂ = m/(1 − β₁ᵗ)                 v̂ = v/(1 − β₂ᵗ)
    w ← w − η·m̂/(√v̂ + ε)
    PyTorch writes the last line as w − (η/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε), which is the same number.
    """
    beta1, beta2 = hp["betas"]
    t = state["step"] = state.get("step", 0.0) + 1.0
    w0, decay = w, hp["weight_decay"]
    if decoupled:
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


def adamw_step(w, g, state, lr, hp, shown=None):
    """torch.optim.AdamW: Adam whose weight decay shrinks the weight itself (decoupled), w ← w·(1 − η·λ)."""
    return adam_step(w, g, state, lr, hp, shown, decoupled=True)


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


# ----------------------------------------------------------------------------- the table

_UNIT = dict(low=0.0, high=1.0, open_high=True)
_WD = Param(0.0, ("λ", r"\lambda"), low=0.0, meaning="weight decay: λ·w is added to the gradient")
_EPS = Param(1e-8, ("ε", r"\epsilon"), low=0.0, meaning="added to the denominator")


def _mistakes(pairs) -> tuple[Mistake, ...]:
    """The usual mistakes of a rule (optimizer_mistakes.py) as the table's entries."""
    return tuple(Mistake(name, change) for name, change in pairs)


def _flag(name: str) -> Callable[[dict], bool]:
    return lambda hp: bool(hp.get(name))


def _decay_line() -> Line:
    return Line(
        "g_decayed",
        ("g", "g"),
        ("$g + $weight_decay·$w", r"$g + $weight_decay \cdot $w"),
        lambda hp: hp.get("weight_decay", 0) != 0,
    )


_CHANGE = ("Δw", r"\Delta w")

OPTIMIZERS: dict[str, Optimizer] = {
    o.name: o
    for o in [
        Optimizer(
            "sgd",
            "torch.optim.SGD",
            params={
                "momentum": Param(0.0, ("μ", r"\mu"), low=0.0, meaning="momentum"),
                "dampening": Param(0.0, ("τ", r"\tau"), low=0.0, high=1.0, meaning="dampening of the new gradient"),
                "nesterov": Param(False, ("nesterov", r"\mathrm{nesterov}"), kind="bool", meaning="Nesterov momentum"),
                "weight_decay": _WD,
            },
            state=("momentum_buffer",),
            counts_steps=False,
            step=sgd_step,
            lines=(
                _decay_line(),
                # PyTorch's first step sets v = g (not dampened); ``first_step`` is set by a page that knows
                Line(
                    "momentum_buffer",
                    ("v", "v"),
                    ("$g_decayed", "$g_decayed"),
                    lambda hp: hp.get("momentum", 0) != 0 and bool(hp.get("first_step")),
                ),
                Line(
                    "momentum_buffer",
                    ("v", "v"),
                    (
                        "$momentum·$momentum_buffer_prev + $g_decayed",
                        r"$momentum \cdot $momentum_buffer_prev + $g_decayed",
                    ),
                    lambda hp: hp.get("momentum", 0) != 0 and not hp.get("first_step") and not hp.get("dampening"),
                ),
                Line(
                    "momentum_buffer",
                    ("v", "v"),
                    (
                        "$momentum·$momentum_buffer_prev + (1 − $dampening)·$g_decayed",
                        r"$momentum \cdot $momentum_buffer_prev + (1 - $dampening) \cdot $g_decayed",
                    ),
                    lambda hp: hp.get("momentum", 0) != 0 and not hp.get("first_step") and bool(hp.get("dampening")),
                ),
                Line(
                    "direction",
                    ("d", "d"),
                    ("$g_decayed + $momentum·$momentum_buffer", r"$g_decayed + $momentum \cdot $momentum_buffer"),
                    _flag("nesterov"),
                ),
                Line("change", _CHANGE, ("−$lr·$direction", r"-$lr \cdot $direction"), _flag("nesterov")),
                Line(
                    "change",
                    _CHANGE,
                    ("−$lr·$momentum_buffer", r"-$lr \cdot $momentum_buffer"),
                    lambda hp: hp.get("momentum", 0) != 0 and not hp.get("nesterov"),
                ),
                Line(
                    "change",
                    _CHANGE,
                    ("−$lr·$g_decayed", r"-$lr \cdot $g_decayed"),
                    lambda hp: hp.get("momentum", 0) == 0,
                ),
            ),
            symbols={
                "g_decayed": ("g", "g"),
                "momentum_buffer": ("v", "v"),
                "direction": ("d", "d"),
                "change": _CHANGE,
            },
            # Δw(t) = −η·g + μ·Δw(t − 1): the same numbers as v ← μ·v + g, Δw = −η·v while η is constant
            classical=(
                Line(
                    "change",
                    _CHANGE,
                    (
                        "−$lr·$g_decayed + $momentum·$change_prev",
                        r"-$lr \cdot $g_decayed + $momentum \cdot $change_prev",
                    ),
                    lambda hp: hp.get("momentum", 0) != 0 and not hp.get("nesterov") and not hp.get("dampening"),
                ),
            ),
            mistakes=_mistakes(wrong.SGD),
        ),
        Optimizer(
            "adam",
            "torch.optim.Adam",
            params={
                "betas": Param(
                    (0.9, 0.999),
                    (("β₁", r"\beta_1"), ("β₂", r"\beta_2")),
                    kind="pair",
                    **_UNIT,
                    meaning="decay of the first and second moment",
                ),
                "eps": _EPS,
                "weight_decay": _WD,
                "amsgrad": Param(False, ("amsgrad", r"\mathrm{amsgrad}"), kind="bool", meaning="keep the largest v"),
            },
            state=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
            counts_steps=True,
            step=adam_step,
            lines=(),
            symbols={},
        ),
        Optimizer(
            "rmsprop",
            "torch.optim.RMSprop",
            params={
                "alpha": Param(0.99, ("α", r"\alpha"), **_UNIT, meaning="smoothing of the squared gradient"),
                "eps": _EPS,
                "momentum": Param(0.0, ("μ", r"\mu"), low=0.0, meaning="momentum"),
                "centered": Param(
                    False, ("centered", r"\mathrm{centered}"), kind="bool", meaning="divide by the variance estimate"
                ),
                "weight_decay": _WD,
            },
            state=("square_avg", "grad_avg", "momentum_buffer"),
            counts_steps=True,
            step=rmsprop_step,
            lines=(
                _decay_line(),
                Line(
                    "square_avg",
                    ("s", "s"),
                    (
                        "$alpha·$square_avg_prev + (1 − $alpha)·$g_decayed²",
                        r"$alpha \cdot $square_avg_prev + (1 - $alpha) \cdot $g_decayed^{2}",
                    ),
                ),
                Line(
                    "grad_avg",
                    ("ḡ", r"\bar g"),
                    (
                        "$alpha·$grad_avg_prev + (1 − $alpha)·$g_decayed",
                        r"$alpha \cdot $grad_avg_prev + (1 - $alpha) \cdot $g_decayed",
                    ),
                    _flag("centered"),
                ),
                Line(
                    "denom",
                    ("d", "d"),
                    ("√($square_avg − $grad_avg²) + $eps", r"\sqrt{$square_avg - $grad_avg^{2}} + $eps"),
                    _flag("centered"),
                ),
                Line(
                    "denom",
                    ("d", "d"),
                    ("√$square_avg + $eps", r"\sqrt{$square_avg} + $eps"),
                    lambda hp: not hp.get("centered"),
                ),
                Line(
                    "momentum_buffer",
                    ("v", "v"),
                    (
                        "$momentum·$momentum_buffer_prev + $g_decayed/$denom",
                        r"$momentum \cdot $momentum_buffer_prev + \frac{$g_decayed}{$denom}",
                    ),
                    lambda hp: hp.get("momentum", 0) > 0,
                ),
                Line(
                    "change",
                    _CHANGE,
                    ("−$lr·$momentum_buffer", r"-$lr \cdot $momentum_buffer"),
                    lambda hp: hp.get("momentum", 0) > 0,
                ),
                Line(
                    "change",
                    _CHANGE,
                    ("−$lr·$g_decayed/$denom", r"-$lr \cdot \frac{$g_decayed}{$denom}"),
                    lambda hp: not hp.get("momentum", 0) > 0,
                ),
            ),
            symbols={
                "g_decayed": ("g", "g"),
                "square_avg": ("s", "s"),
                "grad_avg": ("ḡ", r"\bar g"),
                "denom": ("d", "d"),
                "momentum_buffer": ("v", "v"),
                "change": _CHANGE,
            },
            mistakes=_mistakes(wrong.RMSPROP),
        ),
        Optimizer(
            "adagrad",
            "torch.optim.Adagrad",
            params={
                "lr_decay": Param(0.0, ("κ", r"\kappa"), low=0.0, meaning="decay of the learning rate per step"),
                "eps": Param(1e-10, ("ε", r"\epsilon"), low=0.0, meaning="added to the denominator"),
                "initial_accumulator_value": Param(0.0, ("s₀", "s_0"), low=0.0, meaning="the sum's start"),
                "weight_decay": _WD,
            },
            state=("sum",),
            counts_steps=True,
            step=adagrad_step,
            lines=(
                _decay_line(),
                Line(
                    "clr",
                    ("η_t", r"\eta_t"),
                    ("$lr/(1 + ($t − 1)·$lr_decay)", r"\frac{$lr}{1 + ($t - 1) \cdot $lr_decay}"),
                    lambda hp: hp.get("lr_decay", 0) != 0,
                ),
                Line("sum", ("s", "s"), ("$sum_prev + $g_decayed²", r"$sum_prev + $g_decayed^{2}")),
                Line("denom", ("d", "d"), ("√$sum + $eps", r"\sqrt{$sum} + $eps")),
                Line("change", _CHANGE, ("−$clr·$g_decayed/$denom", r"-$clr \cdot \frac{$g_decayed}{$denom}")),
            ),
            symbols={
                "g_decayed": ("g", "g"),
                "clr": ("η_t", r"\eta_t"),
                "sum": ("s", "s"),
                "denom": ("d", "d"),
                "change": _CHANGE,
            },
            starts={"sum": "initial_accumulator_value"},
            mistakes=_mistakes(wrong.ADAGRAD),
        ),
    ]
}

_ADAM_LINES = (
    Line(
        "g_decayed",
        ("g", "g"),
        ("$g + $weight_decay·$w", r"$g + $weight_decay \cdot $w"),
        lambda hp: hp.get("weight_decay", 0) != 0 and not hp.get("decoupled"),
    ),
    Line(
        "w_decayed",
        ("w′", "w'"),
        ("$w·(1 − $lr·$weight_decay)", r"$w \cdot (1 - $lr \cdot $weight_decay)"),
        lambda hp: hp.get("weight_decay", 0) != 0 and bool(hp.get("decoupled")),
    ),
    Line(
        "exp_avg",
        ("m", "m"),
        (
            "$beta1·$exp_avg_prev + (1 − $beta1)·$g_decayed",
            r"$beta1 \cdot $exp_avg_prev + (1 - $beta1) \cdot $g_decayed",
        ),
    ),
    Line(
        "exp_avg_sq",
        ("v", "v"),
        (
            "$beta2·$exp_avg_sq_prev + (1 − $beta2)·$g_decayed²",
            r"$beta2 \cdot $exp_avg_sq_prev + (1 - $beta2) \cdot $g_decayed^{2}",
        ),
    ),
    Line(
        "max_exp_avg_sq",
        ("v_max", r"v_{\max}"),
        ("max($max_exp_avg_sq_prev, $exp_avg_sq)", r"\max($max_exp_avg_sq_prev, $exp_avg_sq)"),
        _flag("amsgrad"),
    ),
    Line("m_hat", ("m̂", r"\hat m"), ("$exp_avg/(1 − $beta1^$t)", r"\frac{$exp_avg}{1 - $beta1^{$t}}")),
    Line(
        "v_hat",
        ("v̂", r"\hat v"),
        ("$exp_avg_sq/(1 − $beta2^$t)", r"\frac{$exp_avg_sq}{1 - $beta2^{$t}}"),
        lambda hp: not hp.get("amsgrad"),
    ),
    Line(
        "v_hat",
        ("v̂", r"\hat v"),
        ("$max_exp_avg_sq/(1 − $beta2^$t)", r"\frac{$max_exp_avg_sq}{1 - $beta2^{$t}}"),
        _flag("amsgrad"),
    ),
    Line(
        "change",
        _CHANGE,
        ("−$lr·$m_hat/(√$v_hat + $eps)", r"-$lr \cdot \frac{$m_hat}{\sqrt{$v_hat} + $eps}"),
        lambda hp: not (hp.get("weight_decay", 0) != 0 and hp.get("decoupled")),
    ),
    # AdamW: Δw = w⁺ − w also holds the decay w′ − w
    Line(
        "change",
        _CHANGE,
        (
            "$w_decayed − $w − $lr·$m_hat/(√$v_hat + $eps)",
            r"$w_decayed - $w - $lr \cdot \frac{$m_hat}{\sqrt{$v_hat} + $eps}",
        ),
        lambda hp: hp.get("weight_decay", 0) != 0 and bool(hp.get("decoupled")),
    ),
)
_ADAM_SYMBOLS = {
    "g_decayed": ("g", "g"),
    "w_decayed": ("w′", "w'"),
    "exp_avg": ("m", "m"),
    "exp_avg_sq": ("v", "v"),
    "max_exp_avg_sq": ("v_max", r"v_{\max}"),
    "m_hat": ("m̂", r"\hat m"),
    "v_hat": ("v̂", r"\hat v"),
    "change": _CHANGE,
}
OPTIMIZERS["adam"] = OPTIMIZERS["adam"]._replace(
    lines=_ADAM_LINES, symbols=_ADAM_SYMBOLS, mistakes=_mistakes(wrong.ADAM)
)
OPTIMIZERS["adamw"] = OPTIMIZERS["adam"]._replace(
    name="adamw",
    torch_name="torch.optim.AdamW",
    step=adamw_step,
    params={
        **OPTIMIZERS["adam"].params,
        "weight_decay": Param(0.01, ("λ", r"\lambda"), low=0.0, meaning="decoupled weight decay: w·(1 − η·λ)"),
    },
)

# Exact arithmetic (--exact): SGD is rational, and sgd_step keeps the number type it is given (no float literal
# meets a weight), so Fractions stay exact; the others divide by a square root.
OPTIMIZERS["sgd"] = OPTIMIZERS["sgd"]._replace(rational=True)
for _name, _why in (("adam", "√v̂"), ("adamw", "√v̂"), ("rmsprop", "√s"), ("adagrad", "√s")):
    OPTIMIZERS[_name] = OPTIMIZERS[_name]._replace(not_rational=f"takes square roots ({_why} has no exact value)")

DEFAULT = "sgd"


def hyperparameters(optimizer: Optimizer, given: dict[str, Any]) -> dict[str, Any]:
    """The defaults overridden by what the file gave; Adam's betas also as beta1/beta2 for the templates."""
    hp = {name: p.default for name, p in optimizer.params.items()}
    hp.update(given)
    if "betas" in hp:
        hp["beta1"], hp["beta2"] = hp["betas"]
    hp["decoupled"] = optimizer.step is adamw_step
    return hp


def symbol(optimizer: Optimizer, name: str) -> Tex:
    """How a hyperparameter is written (β₁ for beta1)."""
    if name in ("beta1", "beta2"):
        return optimizer.params["betas"].symbol[int(name[-1]) - 1]
    return optimizer.params[name].symbol
