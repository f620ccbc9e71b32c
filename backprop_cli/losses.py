"""Losses: one table, name -> entry; and the closed forms of (activation, loss) pairs.

Adding a loss is one entry here; nothing else in the engine names a particular
loss. Every function is vectorised: ``y_hat`` and ``y`` are arrays of shape
(N examples, K outputs). Display templates are ``(unicode, latex)`` pairs
(see activations.py) in $a (ŷₖ), $y/$py (yₖ, parenthesised if negative) and $K.

A loss marked ``rational`` is exact on fractions (``--exact``) and keeps the
number type it is given (``x/2``, never ``0.5·x``: the same bits in float64);
any other says in ``not_rational`` why it has no exact value.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .activations import _same, _softplus

Array = np.ndarray
Tex = tuple[str, str]  # (unicode, latex) template pair


class Loss(NamedTuple):
    """A per-example loss Lₙ(ŷ, y) = Σₖ termₖ over K outputs.

    ``terms`` returns each output's contribution (shape (N, K)), so that a
    solution can show the loss term by term; Lₙ is their sum. ``gradient``
    returns ∂Lₙ/∂ŷ (shape (N, K)). Batch reduction (sum or mean over
    examples) is not the loss's business: the engine applies it.

    Display: ``formula`` is Lₙ in general, ``term`` one output's term and
    ``dterm`` ∂Lₙ/∂ŷₖ, as templates in $a (ŷₖ), $y/$py (yₖ) and $K, chosen
    by the number of outputs K (a factor 1/K is not written when K = 1).
    """

    name: str
    terms: Callable[[Array, Array], Array]
    gradient: Callable[[Array, Array], Array]
    formula: Tex
    gradient_formula: Tex
    term: Callable[[int], Tex]
    dterm: Callable[[int], Tex]
    requires_output: str | None = None  # the output activation this loss is defined for
    target_range: tuple[float, float] | None = None  # closed interval the targets must lie in
    needs_unit_interval: bool = False  # defined only for outputs in (0, 1)
    rational: bool = False  # exact on fractions (--exact)
    not_rational: str = ""  # why not, when not


def _per_output(one: Tex, many: Tex) -> Callable[[int], Tex]:
    """A template that drops its 1/K factor when there is a single output."""
    return lambda K: one if K == 1 else many


def _xlogy(x: Array, y: Array) -> Array:
    """x·ln(y), taken as 0 where x = 0 (so a 0 target never meets ln 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in [
        Loss(
            "half_sse",
            lambda yh, y: (yh - y) ** 2 / 2,
            lambda yh, y: yh - y,
            formula=("L = ½·Σₖ (ŷₖ − yₖ)²", r"L = \tfrac{1}{2} \sum_k (\hat y_k - y_k)^2"),
            gradient_formula=("∂L/∂ŷₖ = ŷₖ − yₖ", r"\frac{\partial L}{\partial \hat y_k} = \hat y_k - y_k"),
            term=_same(("½·($a − $py)²", r"\tfrac{1}{2}($a - $py)^2")),
            dterm=_same(("$a − $py", r"$a - $py")),
            rational=True,
        ),
        Loss(
            "sse",
            lambda yh, y: (yh - y) ** 2,
            lambda yh, y: 2 * (yh - y),
            formula=("L = Σₖ (ŷₖ − yₖ)²", r"L = \sum_k (\hat y_k - y_k)^2"),
            gradient_formula=("∂L/∂ŷₖ = 2·(ŷₖ − yₖ)", r"\frac{\partial L}{\partial \hat y_k} = 2(\hat y_k - y_k)"),
            term=_same(("($a − $py)²", r"($a - $py)^2")),
            dterm=_same(("2·($a − $py)", r"2\,($a - $py)")),
            rational=True,
        ),
        Loss(
            "mse",
            lambda yh, y: (yh - y) ** 2 / yh.shape[1],
            lambda yh, y: 2 * (yh - y) / yh.shape[1],
            formula=("L = (1/K)·Σₖ (ŷₖ − yₖ)²", r"L = \frac{1}{K} \sum_k (\hat y_k - y_k)^2"),
            gradient_formula=(
                "∂L/∂ŷₖ = (2/K)·(ŷₖ − yₖ)",
                r"\frac{\partial L}{\partial \hat y_k} = \frac{2}{K}(\hat y_k - y_k)",
            ),
            term=_per_output(("($a − $py)²", r"($a - $py)^2"), ("(1/$K)·($a − $py)²", r"\frac{1}{$K}($a - $py)^2")),
            dterm=_per_output(("2·($a − $py)", r"2\,($a - $py)"), ("(2/$K)·($a − $py)", r"\frac{2}{$K}($a - $py)")),
            rational=True,
        ),
        Loss(
            "bce",
            lambda yh, y: -(_xlogy(y, yh) + _xlogy(1.0 - y, 1.0 - yh)) / yh.shape[1],
            lambda yh, y: (yh - y) / (yh * (1.0 - yh)) / yh.shape[1],
            formula=(
                "L = −(1/K)·Σₖ [yₖ·ln ŷₖ + (1 − yₖ)·ln(1 − ŷₖ)]",
                r"L = -\frac{1}{K} \sum_k \left[ y_k \ln \hat y_k + (1 - y_k) \ln(1 - \hat y_k) \right]",
            ),
            gradient_formula=(
                "∂L/∂ŷₖ = (ŷₖ − yₖ)/(K·ŷₖ·(1 − ŷₖ))",
                r"\frac{\partial L}{\partial \hat y_k} = \frac{\hat y_k - y_k}{K\, \hat y_k (1 - \hat y_k)}",
            ),
            term=_per_output(
                ("−[$y·ln $a + (1 − $y)·ln(1 − $a)]", r"-\left[$y \ln $a + (1 - $y) \ln(1 - $a)\right]"),
                (
                    "−(1/$K)·[$y·ln $a + (1 − $y)·ln(1 − $a)]",
                    r"-\frac{1}{$K}\left[$y \ln $a + (1 - $y) \ln(1 - $a)\right]",
                ),
            ),
            dterm=_per_output(
                ("($a − $py)/($a·(1 − $a))", r"\frac{$a - $py}{$a\,(1 - $a)}"),
                ("($a − $py)/($K·$a·(1 − $a))", r"\frac{$a - $py}{$K \cdot $a\,(1 - $a)}"),
            ),
            target_range=(0.0, 1.0),
            needs_unit_interval=True,
            not_rational="ln ŷ and ln(1 − ŷ) have no exact value",
        ),
        Loss(
            "cross_entropy",
            lambda yh, y: -_xlogy(y, yh),
            lambda yh, y: -y / yh,
            formula=("L = −Σₖ yₖ·ln ŷₖ", r"L = -\sum_k y_k \ln \hat y_k"),
            gradient_formula=("∂L/∂ŷₖ = −yₖ/ŷₖ", r"\frac{\partial L}{\partial \hat y_k} = -\frac{y_k}{\hat y_k}"),
            term=_same(("−$y·ln $a", r"-$y \ln $a")),
            dterm=_same(("−$y/$a", r"-\frac{$y}{$a}")),
            requires_output="softmax",
            target_range=(0.0, float("inf")),
            not_rational="ln ŷ has no exact value",
        ),
    ]
}

DEFAULT = "half_sse"
"""The loss of a problem file that names none (SPEC §2)."""


# --------------------------------------------------------------------------- fused output δ


class Shortcut(NamedTuple):
    """δ = ∂Lₙ/∂z of the output layer in closed form, for an (activation, loss) pair.

    Mathematically equal to the chain ∂L/∂ŷ · ∂ŷ/∂z, but it never divides by
    ŷ(1 − ŷ) or ŷ, so it stays exact where the chain would lose digits or
    divide by zero. A solution shows ``show(K, targets_sum_to_one)`` and ``why``
    instead of the chain; in matrix detail, ``matrix(K)`` in Ŷ and Y.
    """

    delta: Callable[[Array, Array], Array]
    show: Callable[[int, bool], Tex]
    why: str
    terms: Callable[[Array, Array], Array]  # the loss terms from z: finite even where ŷ rounds to 0 or 1
    matrix: Callable[[int], Tex]


def _residual(K: int) -> Tex:
    """Ŷ − Y, divided by K when there are several outputs."""
    return ("Ŷ − Y", r"\hat Y - Y") if K == 1 else (f"(Ŷ − Y)/{K}", rf"\frac{{\hat Y - Y}}{{{K}}}")


def _sigmoid_bce_delta(yh: Array, y: Array) -> Array:
    """∂L/∂ŷ = (ŷ − y)/(K ŷ(1 − ŷ)) and σ′(z) = ŷ(1 − ŷ), so δ = (ŷ − y)/K."""
    return (yh - y) / yh.shape[1]


def _sigmoid_bce_terms(z: Array, y: Array) -> Array:
    """−[y ln σ(z) + (1 − y) ln(1 − σ(z))]/K = [y·softplus(−z) + (1 − y)·softplus(z)]/K.

    ln σ(z) = −softplus(−z) and ln(1 − σ(z)) = −softplus(z), both exact for any z,
    where ln of a σ(z) that rounded to 0 or 1 would be infinite (PyTorch's
    BCEWithLogitsLoss does the same).
    """
    return (y * _softplus(-z) + (1.0 - y) * _softplus(z)) / z.shape[1]


def _softmax_ce_terms(z: Array, y: Array) -> Array:
    """−y_k ln softmax(z)_k = −y_k (z_k − m − ln Σ_j e^(z_j − m)), m = max z: finite for any z."""
    m = z.max(axis=1, keepdims=True)
    log_softmax = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return np.where(y == 0, 0.0, -y * log_softmax)


def _softmax_ce_delta(yh: Array, y: Array) -> Array:
    """δ_j = Σ_k (−y_k/ŷ_k) ŷ_k (1[k=j] − ŷ_j) = ŷ_j Σ_k y_k − y_j, which is ŷ − y when Σ y = 1."""
    return yh * np.sum(y, axis=1, keepdims=True) - y


SHORTCUTS: dict[tuple[str, str], Shortcut] = {
    ("sigmoid", "bce"): Shortcut(
        _sigmoid_bce_delta,
        lambda K, _: ("$a − $py", r"$a - $py") if K == 1 else ("($a − $py)/$K", r"\frac{$a - $py}{$K}"),
        "sigmoid with binary cross-entropy: σ′(z) = ŷ(1 − ŷ) cancels the denominator of ∂L/∂ŷ, so δ = (ŷ − y)/K",
        _sigmoid_bce_terms,
        matrix=_residual,
    ),
    ("softmax", "cross_entropy"): Shortcut(
        _softmax_ce_delta,
        lambda K, one: ("$a − $py", r"$a - $py") if one else ("$a·$ysum − $py", r"$a \cdot $ysum - $py"),
        "softmax with cross-entropy: the softmax Jacobian times −y/ŷ sums to δ = ŷ·Σⱼyⱼ − y, "
        "which is ŷ − y when the targets sum to 1",
        _softmax_ce_terms,
        matrix=lambda K: ("Ŷ − Y", r"\hat Y - Y"),
    ),
}
