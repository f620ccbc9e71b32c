r"""The page of each optimizer: its derivation in textbook order, one :class:`Line` per intermediate.

A line's templates name the values of the step's ``shown`` (optimizer_rules.py),
the hyperparameters, ``$g`` (∂L/∂w), ``$w`` (the value before), ``$lr`` (η), ``$t``
(the step) and ``$<buffer>_prev`` (a buffer before the step); ``when(hp)`` says
whether the line belongs to the derivation under these hyperparameters (only one
``change`` line does). ``SYMBOLS`` say how each value is written; ``CLASSICAL``
lines write the change the way older textbooks do, with ``$change_prev`` (the
previous Δw). optimizers.py puts them into the table's entries; render/update.py
lays them out, naming no optimizer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

Tex = tuple[str, str]


class Line(NamedTuple):
    """One line of a derivation: ``symbol = formula`` whose value is ``shown[result]``."""

    result: str
    symbol: Tex
    formula: Tex
    when: Callable[[dict], bool] = lambda hp: True


def flag(name: str) -> Callable[[dict], bool]:
    return lambda hp: bool(hp.get(name))


def decay_line() -> Line:
    return Line(
        "g_decayed",
        ("g", "g"),
        ("$g + $weight_decay·$w", r"$g + $weight_decay \cdot $w"),
        lambda hp: hp.get("weight_decay", 0) != 0,
    )


CHANGE: Tex = ("Δw", r"\Delta w")

REFINES = {"g_decayed": "g", "w_decayed": "w", "clr": "lr"}
"""A value of the step -> the placeholder it equals when the line that defines it does not apply: without
weight decay the decayed gradient is ∂L/∂w itself."""

# ----------------------------------------------------------------------------- SGD (momentum, dampening, Nesterov)

SGD_LINES = (
    decay_line(),
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
        flag("nesterov"),
    ),
    Line("change", CHANGE, ("−$lr·$direction", r"-$lr \cdot $direction"), flag("nesterov")),
    Line(
        "change",
        CHANGE,
        ("−$lr·$momentum_buffer", r"-$lr \cdot $momentum_buffer"),
        lambda hp: hp.get("momentum", 0) != 0 and not hp.get("nesterov"),
    ),
    Line(
        "change",
        CHANGE,
        ("−$lr·$g_decayed", r"-$lr \cdot $g_decayed"),
        lambda hp: hp.get("momentum", 0) == 0,
    ),
)
SGD_SYMBOLS = {
    "g_decayed": ("g", "g"),
    "momentum_buffer": ("v", "v"),
    "direction": ("d", "d"),
    "change": CHANGE,
}
# Δw(t) = −η·g + μ·Δw(t − 1): the same numbers as v ← μ·v + g, Δw = −η·v while η is constant
SGD_CLASSICAL = (
    Line(
        "change",
        CHANGE,
        (
            "−$lr·$g_decayed + $momentum·$change_prev",
            r"-$lr \cdot $g_decayed + $momentum \cdot $change_prev",
        ),
        lambda hp: hp.get("momentum", 0) != 0 and not hp.get("nesterov") and not hp.get("dampening"),
    ),
)

# ----------------------------------------------------------------------------- Adam and AdamW

ADAM_LINES = (
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
        flag("amsgrad"),
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
        flag("amsgrad"),
    ),
    Line(
        "change",
        CHANGE,
        ("−$lr·$m_hat/(√$v_hat + $eps)", r"-$lr \cdot \frac{$m_hat}{\sqrt{$v_hat} + $eps}"),
        lambda hp: not (hp.get("weight_decay", 0) != 0 and hp.get("decoupled")),
    ),
    # AdamW: Δw = w⁺ − w also holds the decay w′ − w
    Line(
        "change",
        CHANGE,
        (
            "$w_decayed − $w − $lr·$m_hat/(√$v_hat + $eps)",
            r"$w_decayed - $w - $lr \cdot \frac{$m_hat}{\sqrt{$v_hat} + $eps}",
        ),
        lambda hp: hp.get("weight_decay", 0) != 0 and bool(hp.get("decoupled")),
    ),
)
ADAM_SYMBOLS = {
    "g_decayed": ("g", "g"),
    "w_decayed": ("w′", "w'"),
    "exp_avg": ("m", "m"),
    "exp_avg_sq": ("v", "v"),
    "max_exp_avg_sq": ("v_max", r"v_{\max}"),
    "m_hat": ("m̂", r"\hat m"),
    "v_hat": ("v̂", r"\hat v"),
    "change": CHANGE,
}

# ----------------------------------------------------------------------------- RMSprop

RMSPROP_LINES = (
    decay_line(),
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
        flag("centered"),
    ),
    Line(
        "denom",
        ("d", "d"),
        ("√($square_avg − $grad_avg²) + $eps", r"\sqrt{$square_avg - $grad_avg^{2}} + $eps"),
        flag("centered"),
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
        CHANGE,
        ("−$lr·$momentum_buffer", r"-$lr \cdot $momentum_buffer"),
        lambda hp: hp.get("momentum", 0) > 0,
    ),
    Line(
        "change",
        CHANGE,
        ("−$lr·$g_decayed/$denom", r"-$lr \cdot \frac{$g_decayed}{$denom}"),
        lambda hp: not hp.get("momentum", 0) > 0,
    ),
)
RMSPROP_SYMBOLS = {
    "g_decayed": ("g", "g"),
    "square_avg": ("s", "s"),
    "grad_avg": ("ḡ", r"\bar g"),
    "denom": ("d", "d"),
    "momentum_buffer": ("v", "v"),
    "change": CHANGE,
}

# ----------------------------------------------------------------------------- Adagrad

ADAGRAD_LINES = (
    decay_line(),
    Line(
        "clr",
        ("η_t", r"\eta_t"),
        ("$lr/(1 + ($t − 1)·$lr_decay)", r"\frac{$lr}{1 + ($t - 1) \cdot $lr_decay}"),
        lambda hp: hp.get("lr_decay", 0) != 0,
    ),
    Line("sum", ("s", "s"), ("$sum_prev + $g_decayed²", r"$sum_prev + $g_decayed^{2}")),
    Line("denom", ("d", "d"), ("√$sum + $eps", r"\sqrt{$sum} + $eps")),
    Line("change", CHANGE, ("−$clr·$g_decayed/$denom", r"-$clr \cdot \frac{$g_decayed}{$denom}")),
)
ADAGRAD_SYMBOLS = {
    "g_decayed": ("g", "g"),
    "clr": ("η_t", r"\eta_t"),
    "sum": ("s", "s"),
    "denom": ("d", "d"),
    "change": CHANGE,
}
