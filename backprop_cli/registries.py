"""Activations and losses: one table each, name -> entry.

Adding an activation or a loss is one entry here; nothing else in the engine
names a particular activation or loss. Every function is vectorised: ``z``,
``a``, ``y_hat`` and ``y`` are arrays of shape (N examples, K units).

Derivatives at a kink follow PyTorch: relu'(0) = 0, leaky_relu'(0) = alpha,
elu'(0) = alpha (PyTorch takes the z <= 0 branch at 0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

Array = np.ndarray


# --------------------------------------------------------------------------- activations


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for any z.

    For z ≥ 0, e^(−z) ≤ 1; for z < 0 the same value is e^z / (1 + e^z).
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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


@dataclass(frozen=True)
class Activation:
    """One activation function f, applied to a layer's net input z.

    ``derivative(z, a, **params)`` gives f′(z) elementwise (``a`` = f(z) is
    passed because several derivatives are cheapest in terms of it). An
    activation whose Jacobian is not diagonal (softmax) has no elementwise
    derivative and gives ``vjp(z, a, dL_da) = dL/dz`` instead.
    """

    name: str
    function: Callable[..., Array]
    derivative: Callable[..., Array] | None
    formula: str  # f(z), Unicode
    derivative_formula: str  # f′(z), Unicode
    latex: str
    latex_derivative: str
    params: dict[str, float] = field(default_factory=dict)  # name -> default
    vjp: Callable[[Array, Array, Array], Array] | None = None
    output_only: bool = False
    output_range: tuple[float, float] | None = None  # open interval of f, where bounded both ways

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


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "linear",
            lambda z: z.copy(),
            lambda z, a: np.ones_like(z),
            "f(z) = z",
            "f′(z) = 1",
            r"f(z) = z",
            r"f'(z) = 1",
        ),
        Activation(
            "sigmoid",
            sigmoid,
            lambda z, a: a * (1.0 - a),
            "σ(z) = 1/(1 + e^(−z))",
            "σ′(z) = σ(z)(1 − σ(z))",
            r"\sigma(z) = \frac{1}{1 + e^{-z}}",
            r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
            output_range=(0.0, 1.0),
        ),
        Activation(
            "tanh",
            np.tanh,
            lambda z, a: 1.0 - a * a,
            "tanh(z) = (e^z − e^(−z))/(e^z + e^(−z))",
            "tanh′(z) = 1 − tanh²(z)",
            r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
            r"\tanh'(z) = 1 - \tanh^2(z)",
            output_range=(-1.0, 1.0),
        ),
        Activation(
            "relu",
            lambda z: np.maximum(z, 0.0),
            lambda z, a: (z > 0).astype(float),
            "relu(z) = max(0, z)",
            "relu′(z) = 1 if z > 0, else 0",
            r"\mathrm{relu}(z) = \max(0, z)",
            r"\mathrm{relu}'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
        ),
        Activation(
            "leaky_relu",
            lambda z, alpha: np.where(z > 0, z, alpha * z),
            lambda z, a, alpha: np.where(z > 0, 1.0, alpha),
            "leaky_relu(z) = z if z > 0, else α·z",
            "leaky_relu′(z) = 1 if z > 0, else α",
            r"\mathrm{leaky\_relu}(z) = \begin{cases} z & z > 0 \\ \alpha z & z \le 0 \end{cases}",
            r"\mathrm{leaky\_relu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha & z \le 0 \end{cases}",
            params={"alpha": 0.01},
        ),
        Activation(
            "elu",
            lambda z, alpha: np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))),
            lambda z, a, alpha: np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0))),
            "elu(z) = z if z > 0, else α·(e^z − 1)",
            "elu′(z) = 1 if z > 0, else α·e^z",
            r"\mathrm{elu}(z) = \begin{cases} z & z > 0 \\ \alpha (e^{z} - 1) & z \le 0 \end{cases}",
            r"\mathrm{elu}'(z) = \begin{cases} 1 & z > 0 \\ \alpha e^{z} & z \le 0 \end{cases}",
            params={"alpha": 1.0},
        ),
        Activation(
            "softplus",
            _softplus,
            lambda z, a: sigmoid(z),
            "softplus(z) = ln(1 + e^z)",
            "softplus′(z) = σ(z)",
            r"\mathrm{softplus}(z) = \ln(1 + e^{z})",
            r"\mathrm{softplus}'(z) = \sigma(z)",
        ),
        Activation(
            "softmax",
            _softmax,
            None,
            "softmax(z)ₖ = e^(zₖ)/Σⱼ e^(zⱼ)",
            "∂aₖ/∂zⱼ = aₖ(1[k = j] − aⱼ)",
            r"\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
            r"\frac{\partial a_k}{\partial z_j} = a_k\,(\mathbb{1}[k = j] - a_j)",
            vjp=_softmax_vjp,
            output_only=True,
            output_range=(0.0, 1.0),
        ),
    ]
}

ACTIVATION_ALIASES = {"identity": "linear"}


# --------------------------------------------------------------------------- losses


@dataclass(frozen=True)
class Loss:
    """A per-example loss Lₙ(ŷ, y) over K outputs.

    ``value`` returns Lₙ for every row (shape (N,)); ``gradient`` returns
    ∂Lₙ/∂ŷ (shape (N, K)). Batch reduction (sum or mean over examples) is not
    the loss's business: the engine applies it.
    """

    name: str
    value: Callable[[Array, Array], Array]
    gradient: Callable[[Array, Array], Array]
    formula: str
    gradient_formula: str
    latex: str
    latex_gradient: str
    requires_output: str | None = None  # the output activation this loss is defined for
    target_range: tuple[float, float] | None = None  # closed interval the targets must lie in
    output_range: tuple[float, float] | None = None  # open interval the outputs must lie in


def _xlogy(x: Array, y: Array) -> Array:
    """x·ln(y), taken as 0 where x = 0 (so a 0 target never meets ln 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


LOSSES: dict[str, Loss] = {
    l.name: l
    for l in [
        Loss(
            "half_sse",
            lambda yh, y: 0.5 * np.sum((yh - y) ** 2, axis=1),
            lambda yh, y: yh - y,
            "L = ½ Σₖ (ŷₖ − yₖ)²",
            "∂L/∂ŷₖ = ŷₖ − yₖ",
            r"L = \tfrac{1}{2} \sum_k (\hat y_k - y_k)^2",
            r"\frac{\partial L}{\partial \hat y_k} = \hat y_k - y_k",
        ),
        Loss(
            "sse",
            lambda yh, y: np.sum((yh - y) ** 2, axis=1),
            lambda yh, y: 2.0 * (yh - y),
            "L = Σₖ (ŷₖ − yₖ)²",
            "∂L/∂ŷₖ = 2(ŷₖ − yₖ)",
            r"L = \sum_k (\hat y_k - y_k)^2",
            r"\frac{\partial L}{\partial \hat y_k} = 2(\hat y_k - y_k)",
        ),
        Loss(
            "mse",
            lambda yh, y: np.mean((yh - y) ** 2, axis=1),
            lambda yh, y: 2.0 * (yh - y) / yh.shape[1],
            "L = (1/K) Σₖ (ŷₖ − yₖ)²",
            "∂L/∂ŷₖ = (2/K)(ŷₖ − yₖ)",
            r"L = \frac{1}{K} \sum_k (\hat y_k - y_k)^2",
            r"\frac{\partial L}{\partial \hat y_k} = \frac{2}{K}(\hat y_k - y_k)",
        ),
        Loss(
            "bce",
            lambda yh, y: -np.mean(_xlogy(y, yh) + _xlogy(1.0 - y, 1.0 - yh), axis=1),
            lambda yh, y: (yh - y) / (yh * (1.0 - yh)) / yh.shape[1],
            "L = −(1/K) Σₖ [yₖ ln ŷₖ + (1 − yₖ) ln(1 − ŷₖ)]",
            "∂L/∂ŷₖ = (1/K)(ŷₖ − yₖ)/(ŷₖ(1 − ŷₖ))",
            r"L = -\frac{1}{K} \sum_k \left[ y_k \ln \hat y_k + (1 - y_k) \ln(1 - \hat y_k) \right]",
            r"\frac{\partial L}{\partial \hat y_k} = \frac{1}{K} \frac{\hat y_k - y_k}{\hat y_k (1 - \hat y_k)}",
            target_range=(0.0, 1.0),
            output_range=(0.0, 1.0),
        ),
        Loss(
            "cross_entropy",
            lambda yh, y: -np.sum(_xlogy(y, yh), axis=1),
            lambda yh, y: -y / yh,
            "L = −Σₖ yₖ ln ŷₖ",
            "∂L/∂ŷₖ = −yₖ/ŷₖ",
            r"L = -\sum_k y_k \ln \hat y_k",
            r"\frac{\partial L}{\partial \hat y_k} = -\frac{y_k}{\hat y_k}",
            requires_output="softmax",
            target_range=(0.0, float("inf")),
        ),
    ]
}


# --------------------------------------------------------------------------- fused output δ


@dataclass(frozen=True)
class Shortcut:
    """δ = ∂Lₙ/∂z of the output layer in closed form, for an (activation, loss) pair.

    Mathematically equal to the chain ∂L/∂ŷ · ∂ŷ/∂z, but it never divides by
    ŷ(1 − ŷ) or ŷ, so it stays exact where the chain would lose digits or
    divide by zero. Renderers show ``formula`` and ``why`` instead of the chain.
    """

    delta: Callable[[Array, Array], Array]
    formula: str
    why: str
    latex: str


def _sigmoid_bce_delta(yh: Array, y: Array) -> Array:
    """∂L/∂ŷ = (ŷ − y)/(K ŷ(1 − ŷ)) and σ′(z) = ŷ(1 − ŷ), so δ = (ŷ − y)/K."""
    return (yh - y) / yh.shape[1]


def _softmax_ce_delta(yh: Array, y: Array) -> Array:
    """δ_j = Σ_k (−y_k/ŷ_k) ŷ_k (1[k=j] − ŷ_j) = ŷ_j Σ_k y_k − y_j, which is ŷ − y when Σ y = 1."""
    return yh * np.sum(y, axis=1, keepdims=True) - y


SHORTCUTS: dict[tuple[str, str], Shortcut] = {
    ("sigmoid", "bce"): Shortcut(
        _sigmoid_bce_delta,
        "δₖ = (ŷₖ − yₖ)/K",
        "σ′(z) = ŷ(1 − ŷ) cancels the denominator of ∂L/∂ŷ",
        r"\delta_k = \frac{\hat y_k - y_k}{K}",
    ),
    ("softmax", "cross_entropy"): Shortcut(
        _softmax_ce_delta,
        "δₖ = ŷₖ·Σⱼ yⱼ − yₖ  (= ŷₖ − yₖ for targets that sum to 1)",
        "the softmax Jacobian aₖ(1[k = j] − aⱼ) times −yₖ/ŷₖ sums to ŷ·Σy − y",
        r"\delta_k = \hat y_k \sum_j y_j - y_k",
    ),
}
