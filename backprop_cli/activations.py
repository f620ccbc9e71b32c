"""Activations: one table, name -> entry.

Adding an activation is one entry here; nothing else in the engine names a
particular activation. Every function is vectorised: ``z`` and ``a`` are
arrays of shape (N examples, K units).

Each entry also says how it is written in a worked solution. Display
templates are ``(unicode, latex)`` pairs of :class:`string.Template` text
whose placeholders a renderer fills either with names (``net_h1``) for the
symbolic line or with numbers for the substituted one:

    $z, $a      the net input and the activation
    $pz, $pa    the same, parenthesised when a negative number is filled in
    $negz       −z ("−net_h1", or the number −z)
    $g, $pg     ∂L/∂a (only in the backward pass's templates)
    $<param>    each declared parameter of the activation ($alpha for leaky_relu): its symbol on
                the symbolic line, its value on the substituted one
    $<sum>      each entry of ``sums``: its template filled for every unit of the layer and added up
                (softmax's denominator $expsum: e^(net_o1) + e^(net_o2))

An activation whose Jacobian is not diagonal says how its vector-Jacobian
product is written: ``vjp_formula`` for one unit's δ (in the placeholders
above, its sums included), ``vjp_matrix`` for a layer's δ in $A and $G
(= ∂L/∂A), and ``vjp_note`` why every output enters each δ.

An activation may name ``parts``: values between f's formula in numbers and
its value that the engine records (softmax's e^(net_k), trace key ``exp_z``),
and ``evaluated``, f written with them ($e, and $esum over the layer's units).

Derivatives at a kink follow PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha,
elu'(0) = alpha (PyTorch takes the z <= 0 branch at 0).

Exact arithmetic (``--exact``): an entry marked ``rational`` maps rational
numbers to rational numbers with + − · / and comparisons only, and its
functions keep the number type they are given: float64 arrays stay float64
(bit for bit what they were), object arrays of ``fractions.Fraction`` stay
exact (no 1.0 or 0.5 literal that would turn a Fraction into a float). Any
other entry says in ``not_rational`` why it has no exact value.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .params import Param

Array = np.ndarray
Tex = tuple[str, str]  # (unicode, latex) template pair


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)).

    Safe for any z in float64: for z below about −709, e^(−z) overflows to inf
    and σ is exactly 0 (the true value is below 1e-308), never NaN. This is
    also what PyTorch computes. (The engine runs with overflow warnings off.)
    """
    return 1.0 / (1.0 + np.exp(-z))


def _softplus(z: Array) -> Array:
    """softplus(z) = ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)), stable for any z."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _softmax(z: Array) -> Array:
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j), over each row; shifting by max(z) avoids overflow."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_vjp(z: Array, a: Array, dL_da: Array) -> Array:
    """dL/dz for softmax.

    ∂a_k/∂z_j = a_k (1[k=j] − a_j), so dL/dz_j = Σ_k dL/da_k · a_k (1[k=j] − a_j)
    = a_j (dL/da_j − Σ_k dL/da_k · a_k).
    """
    return a * (dL_da - np.sum(dL_da * a, axis=1, keepdims=True))


def _indicator(where: Array, like: Array) -> Array:
    """1 where ``where`` holds, else 0, in the number type of ``like`` (float64, or exact integers)."""
    return where.astype(float) if like.dtype.kind == "f" else where.astype(int).astype(object)


def _branch(positive: Tex, other: Tex) -> Callable[[float], Tex]:
    """A piecewise display: the template of the branch z falls in (z > 0, or z ≤ 0)."""
    return lambda z: positive if z > 0 else other


class Activation(NamedTuple):
    """One activation function f, applied to a layer's net input z.

    ``derivative(z, a, **params)`` gives f′(z) elementwise (``a`` = f(z) is
    passed because several derivatives are cheapest in terms of it). An
    activation whose Jacobian is not diagonal (softmax) has no elementwise
    derivative and gives ``vjp(z, a, dL_da) = dL/dz`` instead.

    Display: ``formula``/``derivative_formula`` define f and f′ in words;
    ``symbolic`` is f written with the net input's name ("σ($z)");
    ``expand(z)`` the template that shows f at a number, ``dsymbolic`` and
    ``dexpand(z)`` the same for f′; ``kinked`` marks a piecewise function whose
    branch the solution names.
    """

    name: str
    function: Callable[..., Array]
    derivative: Callable[..., Array] | None
    formula: Tex
    derivative_formula: Tex
    symbolic: Tex
    expand: Callable[[float], Tex]
    dsymbolic: Tex
    dexpand: Callable[[float], Tex]
    params: dict[str, Param] = {}  # name -> declaration (never mutated)
    vjp: Callable[[Array, Array, Array], Array] | None = None
    output_only: bool = False
    kinked: bool = False
    unit_interval: bool = False  # every output lies in (0, 1)
    smooth_saturating: bool = False  # f′ → 0 for large |z|: a unit there has stopped learning
    differentiable: bool = True  # False for threshold units (step, sign): the perceptron rule only
    rational: bool = False  # exact on fractions (--exact): + − · / and comparisons only
    not_rational: str = ""  # why not, when not: the step that has no exact value
    sums: dict[str, Tex] = {}  # placeholder -> template summed over the layer's units (never mutated)
    vjp_formula: Tex | None = None
    vjp_matrix: Tex | None = None
    vjp_note: str = ""
    parts: tuple[str, Callable[[Array], Array]] | None = None  # (trace key, g): values the engine records, g(z)
    evaluated: Tex | None = None  # f with those parts as numbers: $e (the unit's), $esum (the layer's, summed)

    def __call__(self, z: Array, params: dict[str, float]) -> Array:
        return self.function(z, **params)

    def backward(self, z: Array, a: Array, dL_da: Array, params: dict[str, float]) -> Array:
        """dL/dz = dL/da ⊙ f′(z) for an elementwise f; the full vector-Jacobian product otherwise."""
        if self.derivative is not None:
            return dL_da * self.derivative(z, a, **params)
        return self.vjp(z, a, dL_da)

    @property
    def elementwise(self) -> bool:
        return self.derivative is not None


def _same(t: Tex) -> Callable[[float], Tex]:
    return lambda z: t


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "linear",
            lambda z: z.copy(),
            lambda z, a: np.ones_like(z),
            formula=("f(z) = z", r"f(z) = z"),
            derivative_formula=("f′(z) = 1", r"f'(z) = 1"),
            symbolic=("$z", "$z"),
            expand=_same(("$z", "$z")),
            dsymbolic=("1", "1"),
            dexpand=_same(("1", "1")),
            rational=True,
        ),
        Activation(
            "sigmoid",
            sigmoid,
            lambda z, a: a * (1.0 - a),
            formula=("σ(z) = 1/(1 + e^(−z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
            derivative_formula=("σ′(z) = σ(z)·(1 − σ(z))", r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))"),
            symbolic=("σ($z)", r"\sigma($z)"),
            expand=_same(("1/(1 + e^($negz))", r"\frac{1}{1 + e^{$negz}}")),
            dsymbolic=("$a·(1 − $a)", r"$a\,(1 - $a)"),
            dexpand=_same(("$a·(1 − $a)", r"$a\,(1 - $a)")),
            unit_interval=True,
            smooth_saturating=True,
            not_rational="e^(−z) has no exact value",
        ),
        Activation(
            "tanh",
            np.tanh,
            lambda z, a: 1.0 - a * a,
            formula=("tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))", r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"),
            derivative_formula=("tanh′(z) = 1 − tanh²(z)", r"\tanh'(z) = 1 - \tanh^2(z)"),
            symbolic=("tanh($z)", r"\tanh($z)"),
            expand=_same(("tanh($z)", r"\tanh($z)")),
            dsymbolic=("1 − $pa²", r"1 - $pa^{2}"),
            dexpand=_same(("1 − $pa²", r"1 - $pa^{2}")),
            smooth_saturating=True,
            not_rational="e^z and e^(−z) have no exact value",
        ),
        Activation(
            "relu",
            lambda z: np.maximum(z, 0.0 if z.dtype.kind == "f" else 0),
            lambda z, a: _indicator(z > 0, z),
            formula=("relu(z) = max(0, z)", r"\operatorname{relu}(z) = \max(0, z)"),
            derivative_formula=(
                "relu′(z) = 1 if z > 0, else 0",
                r"\operatorname{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
            ),
            symbolic=("max(0, $z)", r"\max(0, $z)"),
            expand=_same(("max(0, $z)", r"\max(0, $z)")),
            dsymbolic=("relu′($z)", r"\operatorname{relu}'($z)"),
            dexpand=_branch(("1", "1"), ("0", "0")),
            kinked=True,
            rational=True,
        ),
        Activation(
            "leaky_relu",
            lambda z, alpha: np.where(z > 0, z, alpha * z),
            lambda z, a, alpha: np.where(z > 0, 1.0 if z.dtype.kind == "f" else 1, alpha),
            formula=(
                "leaky_relu(z) = z if z > 0, else α·z",
                r"\operatorname{leaky\_relu}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}",
            ),
            derivative_formula=(
                "leaky_relu′(z) = 1 if z > 0, else α",
                r"\operatorname{leaky\_relu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}",
            ),
            symbolic=("leaky_relu($z)", r"\operatorname{leaky\_relu}($z)"),
            expand=_branch(("$z", "$z"), ("$alpha·$pz", r"$alpha \cdot $pz")),
            dsymbolic=("leaky_relu′($z)", r"\operatorname{leaky\_relu}'($z)"),
            dexpand=_branch(("1", "1"), ("$alpha", "$alpha")),
            params={"alpha": Param(0.01, ("α", r"\alpha"), meaning="the slope for z ≤ 0")},
            kinked=True,
            rational=True,
        ),
        Activation(
            "elu",
            lambda z, alpha: np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))),
            lambda z, a, alpha: np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))),
            formula=(
                "elu(z) = z if z > 0, else α·(e^z − 1)",
                r"\operatorname{elu}(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases}",
            ),
            derivative_formula=(
                "elu′(z) = 1 if z > 0, else α·e^z",
                r"\operatorname{elu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}",
            ),
            symbolic=("elu($z)", r"\operatorname{elu}($z)"),
            expand=_branch(("$z", "$z"), ("$alpha·(e^($z) − 1)", r"$alpha\,(e^{$z} - 1)")),
            dsymbolic=("elu′($z)", r"\operatorname{elu}'($z)"),
            dexpand=_branch(("1", "1"), ("$alpha·e^($z)", r"$alpha\, e^{$z}")),
            params={"alpha": Param(1.0, ("α", r"\alpha"), meaning="the saturation value −α for z → −∞")},
            kinked=True,
            not_rational="e^z has no exact value",
        ),
        Activation(
            "softplus",
            _softplus,
            lambda z, a: sigmoid(z),
            formula=("softplus(z) = ln(1 + e^z)", r"\operatorname{softplus}(z) = \ln(1 + e^{z})"),
            derivative_formula=(
                "softplus′(z) = σ(z) = 1/(1 + e^(−z))",
                r"\operatorname{softplus}'(z) = \sigma(z) = \frac{1}{1 + e^{-z}}",
            ),
            symbolic=("ln(1 + e^($z))", r"\ln(1 + e^{$z})"),
            expand=_same(("ln(1 + e^($z))", r"\ln(1 + e^{$z})")),
            dsymbolic=("1/(1 + e^($negz))", r"\frac{1}{1 + e^{$negz}}"),
            dexpand=_same(("1/(1 + e^($negz))", r"\frac{1}{1 + e^{$negz}}")),
            not_rational="ln(1 + e^z) has no exact value",
        ),
        Activation(
            "softmax",
            _softmax,
            None,
            formula=("softmax(z)ₖ = e^(zₖ)/Σⱼ e^(zⱼ)", r"\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}"),
            derivative_formula=(
                "∂aₖ/∂zⱼ = aₖ·(1[k = j] − aⱼ)",
                r"\frac{\partial a_k}{\partial z_j} = a_k\,(\mathbb{1}[k = j] - a_j)",
            ),
            symbolic=("e^($z)/($expsum)", r"\frac{e^{$z}}{$expsum}"),
            expand=_same(("e^($z)/($expsum)", r"\frac{e^{$z}}{$expsum}")),
            dsymbolic=("", ""),
            dexpand=_same(("", "")),
            vjp=_softmax_vjp,
            output_only=True,
            unit_interval=True,
            sums={"expsum": ("e^($z)", "e^{$z}"), "gasum": ("$pg·$pa", r"$pg \cdot $pa")},
            vjp_formula=("$a·($g − ($gasum))", r"$a \cdot \left($g - \left($gasum\right)\right)"),
            vjp_matrix=(
                "$A ⊙ ($G − rowsum($G ⊙ $A))",
                r"$A \odot \left($G - \operatorname{rowsum}($G \odot $A)\right)",
            ),
            vjp_note="softmax's Jacobian is not diagonal: ∂out_j/∂net_k = out_j·(1[j = k] − out_k), "
            "so each δ collects every output's ∂L/∂out.",
            not_rational="e^(z_k) has no exact value",
            parts=("exp_z", np.exp),  # e^(net_k), as CS231n works it: exponentials, their sum, the ratio
            evaluated=("$e/($esum)", r"\frac{$e}{$esum}"),
        ),
        Activation(
            "step",
            lambda z: _indicator(z >= 0, z),
            lambda z, a: np.zeros_like(z),
            formula=(
                "step(z) = 1 if z ≥ 0, else 0",
                r"\operatorname{step}(z) = \begin{cases} 1 & z \ge 0 \\ 0 & z < 0 \end{cases}",
            ),
            derivative_formula=("step has no useful derivative", r"\text{no derivative}"),
            symbolic=("step($z)", r"\operatorname{step}($z)"),
            expand=_same(("step($z)", r"\operatorname{step}($z)")),
            dsymbolic=("0", "0"),
            dexpand=_same(("0", "0")),
            differentiable=False,
            rational=True,
        ),
        Activation(
            "sign",
            lambda z: 2 * _indicator(z >= 0, z) - 1,
            lambda z, a: np.zeros_like(z),
            formula=(
                "sign(z) = 1 if z ≥ 0, else −1",
                r"\operatorname{sign}(z) = \begin{cases} 1 & z \ge 0 \\ -1 & z < 0 \end{cases}",
            ),
            derivative_formula=("sign has no useful derivative", r"\text{no derivative}"),
            symbolic=("sign($z)", r"\operatorname{sign}($z)"),
            expand=_same(("sign($z)", r"\operatorname{sign}($z)")),
            dsymbolic=("0", "0"),
            dexpand=_same(("0", "0")),
            differentiable=False,
            rational=True,
        ),
    ]
}

ACTIVATION_ALIASES = {"identity": "linear"}

DEFAULT = "sigmoid"
"""The activation of a generated exercise (backprop new) unless another is asked for."""
