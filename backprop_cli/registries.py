"""Activations and losses: one table each, name -> entry.

Adding an activation or a loss is one entry here; nothing else in the engine
names a particular activation or loss. Every function is vectorised: ``z``,
``a``, ``y_hat`` and ``y`` are arrays of shape (N examples, K units).

Each entry also says how it is written in a worked solution. Display
templates are ``(unicode, latex)`` pairs of :class:`string.Template` text
whose placeholders a renderer fills either with names (``net_h1``) for the
symbolic line or with numbers for the substituted one:

    $z, $a      the net input and the activation (or the output ŷ and target $y for losses)
    $pz, $pa    the same, parenthesised when a negative number is filled in
    $negz       −z ("−net_h1", or the number −z)
    $alpha      the activation's parameter
    $expsum     softmax's denominator written out: e^(net_o1) + e^(net_o2)
    $py, $K     the target (parenthesised if negative) and the number of outputs

Derivatives at a kink follow PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha,
elu'(0) = alpha (PyTorch takes the z <= 0 branch at 0).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

Array = np.ndarray
Tex = tuple[str, str]  # (unicode, latex) template pair


# --------------------------------------------------------------------------- activations


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
    params: dict[str, float] = {}  # name -> default (never mutated)
    vjp: Callable[[Array, Array, Array], Array] | None = None
    output_only: bool = False
    kinked: bool = False
    unit_interval: bool = False  # every output lies in (0, 1)
    smooth_saturating: bool = False  # f′ → 0 for large |z|: a unit there has stopped learning

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
            "linear", lambda z: z.copy(), lambda z, a: np.ones_like(z),
            formula=("f(z) = z", r"f(z) = z"),
            derivative_formula=("f′(z) = 1", r"f'(z) = 1"),
            symbolic=("$z", "$z"), expand=_same(("$z", "$z")),
            dsymbolic=("1", "1"), dexpand=_same(("1", "1")),
        ),
        Activation(
            "sigmoid", sigmoid, lambda z, a: a * (1.0 - a),
            formula=("σ(z) = 1/(1 + e^(−z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
            derivative_formula=("σ′(z) = σ(z)·(1 − σ(z))", r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))"),
            symbolic=("σ($z)", r"\sigma($z)"),
            expand=_same(("1/(1 + e^($negz))", r"\frac{1}{1 + e^{$negz}}")),
            dsymbolic=("$a·(1 − $a)", r"$a\,(1 - $a)"),
            dexpand=_same(("$a·(1 − $a)", r"$a\,(1 - $a)")),
            unit_interval=True, smooth_saturating=True,
        ),
        Activation(
            "tanh", np.tanh, lambda z, a: 1.0 - a * a,
            formula=("tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))", r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"),
            derivative_formula=("tanh′(z) = 1 − tanh²(z)", r"\tanh'(z) = 1 - \tanh^2(z)"),
            symbolic=("tanh($z)", r"\tanh($z)"), expand=_same(("tanh($z)", r"\tanh($z)")),
            dsymbolic=("1 − $pa²", r"1 - $pa^{2}"), dexpand=_same(("1 − $pa²", r"1 - $pa^{2}")),
            smooth_saturating=True,
        ),
        Activation(
            "relu", lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float),
            formula=("relu(z) = max(0, z)", r"\operatorname{relu}(z) = \max(0, z)"),
            derivative_formula=("relu′(z) = 1 if z > 0, else 0", r"\operatorname{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}"),
            symbolic=("max(0, $z)", r"\max(0, $z)"), expand=_same(("max(0, $z)", r"\max(0, $z)")),
            dsymbolic=("relu′($z)", r"\operatorname{relu}'($z)"),
            dexpand=_branch(("1", "1"), ("0", "0")),
            kinked=True,
        ),
        Activation(
            "leaky_relu", lambda z, alpha: np.where(z > 0, z, alpha * z), lambda z, a, alpha: np.where(z > 0, 1.0, alpha),
            formula=("leaky_relu(z) = z if z > 0, else α·z", r"\operatorname{leaky\_relu}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}"),
            derivative_formula=("leaky_relu′(z) = 1 if z > 0, else α", r"\operatorname{leaky\_relu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}"),
            symbolic=("leaky_relu($z)", r"\operatorname{leaky\_relu}($z)"),
            expand=_branch(("$z", "$z"), ("$alpha·$pz", r"$alpha \cdot $pz")),
            dsymbolic=("leaky_relu′($z)", r"\operatorname{leaky\_relu}'($z)"),
            dexpand=_branch(("1", "1"), ("$alpha", "$alpha")),
            params={"alpha": 0.01}, kinked=True,
        ),
        Activation(
            "elu", lambda z, alpha: np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))),
            lambda z, a, alpha: np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))),
            formula=("elu(z) = z if z > 0, else α·(e^z − 1)", r"\operatorname{elu}(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases}"),
            derivative_formula=("elu′(z) = 1 if z > 0, else α·e^z", r"\operatorname{elu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}"),
            symbolic=("elu($z)", r"\operatorname{elu}($z)"),
            expand=_branch(("$z", "$z"), ("$alpha·(e^($z) − 1)", r"$alpha\,(e^{$z} - 1)")),
            dsymbolic=("elu′($z)", r"\operatorname{elu}'($z)"),
            dexpand=_branch(("1", "1"), ("$alpha·e^($z)", r"$alpha\, e^{$z}")),
            params={"alpha": 1.0}, kinked=True,
        ),
        Activation(
            "softplus", _softplus, lambda z, a: sigmoid(z),
            formula=("softplus(z) = ln(1 + e^z)", r"\operatorname{softplus}(z) = \ln(1 + e^{z})"),
            derivative_formula=("softplus′(z) = σ(z) = 1/(1 + e^(−z))", r"\operatorname{softplus}'(z) = \sigma(z) = \frac{1}{1 + e^{-z}}"),
            symbolic=("ln(1 + e^($z))", r"\ln(1 + e^{$z})"), expand=_same(("ln(1 + e^($z))", r"\ln(1 + e^{$z})")),
            dsymbolic=("1/(1 + e^($negz))", r"\frac{1}{1 + e^{$negz}}"),
            dexpand=_same(("1/(1 + e^($negz))", r"\frac{1}{1 + e^{$negz}}")),
        ),
        Activation(
            "softmax", _softmax, None,
            formula=("softmax(z)ₖ = e^(zₖ)/Σⱼ e^(zⱼ)", r"\operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}"),
            derivative_formula=("∂aₖ/∂zⱼ = aₖ·(1[k = j] − aⱼ)", r"\frac{\partial a_k}{\partial z_j} = a_k\,(\mathbb{1}[k = j] - a_j)"),
            symbolic=("e^($z)/($expsum)", r"\frac{e^{$z}}{$expsum}"),
            expand=_same(("e^($z)/($expsum)", r"\frac{e^{$z}}{$expsum}")),
            dsymbolic=("", ""), dexpand=_same(("", "")),
            vjp=_softmax_vjp, output_only=True, unit_interval=True,
        ),
    ]
}

ACTIVATION_ALIASES = {"identity": "linear"}


# --------------------------------------------------------------------------- losses


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

    def value(self, y_hat: Array, y: Array) -> Array:
        """Lₙ for every row: the sum of its terms."""
        return self.terms(y_hat, y).sum(axis=1)


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
            lambda yh, y: 0.5 * (yh - y) ** 2,
            lambda yh, y: yh - y,
            formula=("L = ½·Σₖ (ŷₖ − yₖ)²", r"L = \tfrac{1}{2} \sum_k (\hat y_k - y_k)^2"),
            gradient_formula=("∂L/∂ŷₖ = ŷₖ − yₖ", r"\frac{\partial L}{\partial \hat y_k} = \hat y_k - y_k"),
            term=_same(("½·($a − $py)²", r"\tfrac{1}{2}($a - $py)^2")),
            dterm=_same(("$a − $py", r"$a - $py")),
        ),
        Loss(
            "sse",
            lambda yh, y: (yh - y) ** 2,
            lambda yh, y: 2.0 * (yh - y),
            formula=("L = Σₖ (ŷₖ − yₖ)²", r"L = \sum_k (\hat y_k - y_k)^2"),
            gradient_formula=("∂L/∂ŷₖ = 2·(ŷₖ − yₖ)", r"\frac{\partial L}{\partial \hat y_k} = 2(\hat y_k - y_k)"),
            term=_same(("($a − $py)²", r"($a - $py)^2")),
            dterm=_same(("2·($a − $py)", r"2\,($a - $py)")),
        ),
        Loss(
            "mse",
            lambda yh, y: (yh - y) ** 2 / yh.shape[1],
            lambda yh, y: 2.0 * (yh - y) / yh.shape[1],
            formula=("L = (1/K)·Σₖ (ŷₖ − yₖ)²", r"L = \frac{1}{K} \sum_k (\hat y_k - y_k)^2"),
            gradient_formula=("∂L/∂ŷₖ = (2/K)·(ŷₖ − yₖ)", r"\frac{\partial L}{\partial \hat y_k} = \frac{2}{K}(\hat y_k - y_k)"),
            term=_per_output(("($a − $py)²", r"($a - $py)^2"), ("(1/$K)·($a − $py)²", r"\frac{1}{$K}($a - $py)^2")),
            dterm=_per_output(("2·($a − $py)", r"2\,($a - $py)"), ("(2/$K)·($a − $py)", r"\frac{2}{$K}($a - $py)")),
        ),
        Loss(
            "bce",
            lambda yh, y: -(_xlogy(y, yh) + _xlogy(1.0 - y, 1.0 - yh)) / yh.shape[1],
            lambda yh, y: (yh - y) / (yh * (1.0 - yh)) / yh.shape[1],
            formula=("L = −(1/K)·Σₖ [yₖ·ln ŷₖ + (1 − yₖ)·ln(1 − ŷₖ)]",
                     r"L = -\frac{1}{K} \sum_k \left[ y_k \ln \hat y_k + (1 - y_k) \ln(1 - \hat y_k) \right]"),
            gradient_formula=("∂L/∂ŷₖ = (ŷₖ − yₖ)/(K·ŷₖ·(1 − ŷₖ))",
                              r"\frac{\partial L}{\partial \hat y_k} = \frac{\hat y_k - y_k}{K\, \hat y_k (1 - \hat y_k)}"),
            term=_per_output(("−[$y·ln $a + (1 − $y)·ln(1 − $a)]", r"-\left[$y \ln $a + (1 - $y) \ln(1 - $a)\right]"),
                             ("−(1/$K)·[$y·ln $a + (1 − $y)·ln(1 − $a)]", r"-\frac{1}{$K}\left[$y \ln $a + (1 - $y) \ln(1 - $a)\right]")),
            dterm=_per_output(("($a − $py)/($a·(1 − $a))", r"\frac{$a - $py}{$a\,(1 - $a)}"),
                              ("($a − $py)/($K·$a·(1 − $a))", r"\frac{$a - $py}{$K \cdot $a\,(1 - $a)}")),
            target_range=(0.0, 1.0),
            needs_unit_interval=True,
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
        ),
    ]
}


# --------------------------------------------------------------------------- fused output δ


class Shortcut(NamedTuple):
    """δ = ∂Lₙ/∂z of the output layer in closed form, for an (activation, loss) pair.

    Mathematically equal to the chain ∂L/∂ŷ · ∂ŷ/∂z, but it never divides by
    ŷ(1 − ŷ) or ŷ, so it stays exact where the chain would lose digits or
    divide by zero. A solution shows ``show(K, targets_sum_to_one)`` and ``why``
    instead of the chain.
    """

    delta: Callable[[Array, Array], Array]
    show: Callable[[int, bool], Tex]
    why: str
    terms: Callable[[Array, Array], Array]  # the loss terms from z: finite even where ŷ rounds to 0 or 1


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
    ),
    ("softmax", "cross_entropy"): Shortcut(
        _softmax_ce_delta,
        lambda K, one: ("$a − $py", r"$a - $py") if one else ("$a·$ysum − $py", r"$a \cdot $ysum - $py"),
        "softmax with cross-entropy: the softmax Jacobian times −y/ŷ sums to δ = ŷ·Σⱼyⱼ − y, which is ŷ − y when the targets sum to 1",
        _softmax_ce_terms,
    ),
}
