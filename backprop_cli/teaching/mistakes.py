"""Each kind of quantity a student computes, and the usual mistakes of a hand derivation, as data.

``KINDS[kind]`` holds how a locator indexes the layer's array of that kind, the
points group it belongs to, and a function giving every usual mistake as
(name, the wrong value of the whole layer), computed from a :class:`Point` of
the replay (the values the student's derivation had reached, see replay.py).
The replay can compute a whole run with one mistake made systematically, so a
mistake is named where it happens and on everything downstream of it.

The update rule's mistakes (η missing or doubled, the sign, momentum) are all
in :func:`rule_mistakes`, the one place that knows the update rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .answer_names import Loc

Wrong = list[tuple[str, Any]]  # (the mistake in words, the value it gives for the whole layer)


class Point:
    """What a derivation has reached in one layer of one update: every value as the student would have it.

    Filled in by the replay as it goes: ``a_in, W, b, z, a`` (forward), ``terms,
    losses, loss`` (output layer), ``dL_da, da_dz, delta, g, gb`` (backward;
    ``g``/``gb`` are ∂L/∂W, ∂L/∂b), ``above`` (the Point of the layer above),
    ``z_below``, ``state_W, state_b`` (the optimizer state before the update),
    ``value`` (the right value of the quantity being computed).
    """

    def __init__(self, problem, l: int, scale: float, N: int):
        self.p, self.l, self.layer, self.scale, self.N = problem, l, problem.layers[l], scale, N
        self.above = self.z_below = self.b = self.da_dz = self.gb = self.state_W = self.state_b = None
        self.value: Any = None


class Kind(NamedTuple):
    group: str  # forward, loss, delta, gradient, update, given: the groups of a --points file
    symbol: str  # how the report names the quantity of a layer: "δ", "∂L/∂w"
    at: Callable[[Loc], tuple]  # the index of a locator in the layer's array
    mistakes: Callable[[Point], Wrong]
    confusions: tuple[tuple[str, str], ...] = ()  # (another kind at the same place, what giving its value means)


# ----------------------------------------------------------------------------- the mistakes


def generic(v) -> Wrong:
    return [
        ("the sign is flipped", -v),
        ("a factor 2 too large (the ½ of the loss, or 2(ŷ − y))", 2 * v),
        ("a factor ½ too small (the ½ of the loss, or 2(ŷ − y))", v / 2),
    ]


def _square(M) -> bool:
    return M.ndim == 2 and M.shape[0] == M.shape[1]


def _net(c: Point) -> Wrong:
    out = generic(c.value)
    if c.b is not None:
        out.append(("the bias is forgotten", c.value - c.b))
    if _square(c.W):
        out.append(("the weight matrix is transposed", c.a_in @ c.W + (c.b if c.b is not None else 0)))
    return out


def _out(c: Point) -> Wrong:
    return generic(c.value) + [("the net input is used as the activation (f not applied)", c.z)]


def _loss(c: Point) -> Wrong:
    out = generic(c.value)
    if c.N > 1:
        mean = c.p.batch_reduction == "mean"
        out.append(
            (
                "the losses are summed instead of averaged" if mean else "the losses are averaged instead of summed",
                c.value * c.N if mean else c.value / c.N,
            )
        )
    return out


def _derivative(c: Point) -> Wrong:
    act, params = c.layer.activation, c.layer.activation_params
    if not act.elementwise:
        return []
    out = generic(c.value)
    with np.errstate(all="ignore"):
        a_of_a = act.function(c.a, **params)
        out.append(
            (
                "the net input is used where the activation belongs in f′ (e.g. z(1 − z))",
                act.derivative(c.z, c.z, **params),
            )
        )
        out.append(
            (
                "f′ is taken at the activation instead of the net input (e.g. σ(a)(1 − σ(a)))",
                act.derivative(c.a, a_of_a, **params),
            )
        )
    return out


def _hidden(c: Point, d) -> Wrong:
    """∂L/∂a of a hidden layer (times d = f′ for δ) under the two classic hidden-layer mistakes."""
    up = c.above
    if up is None:
        return []
    W_after = up.W + rule_change(c.p, up.g, up.state_W)
    out = [("the hidden δ uses the already-updated weights", (up.delta @ W_after) * d)]
    if _square(up.W):
        out.append(("the weight matrix is transposed in the hidden δ", (up.delta @ up.W.T) * d))
    return out


def _delta(c: Point) -> Wrong:
    out = generic(c.value)
    if c.da_dz is not None:
        out += [
            ("the activation derivative is forgotten", c.dL_da),
            ("the activation derivative is applied twice", c.value * c.da_dz),
        ]
        out += _hidden(c, c.da_dz)
    return out


def _gradient(c: Point) -> Wrong:
    out = generic(c.value)
    is_w = c.value.ndim == 2
    if is_w and c.z_below is not None:
        out.append(("the net input of the unit below is used instead of its output", c.scale * (c.delta.T @ c.z_below)))
    if is_w and _square(c.value):
        out.append(("the weight matrix is transposed", c.value.T))
    out.append(("−η·∂L/∂w is given (the change, not the gradient)", -c.p.learning_rate * c.value))
    if c.N > 1:
        mean = c.p.batch_reduction == "mean"
        out.append(
            (
                "the gradients are summed over the examples instead of averaged"
                if mean
                else "the gradients are averaged over the examples instead of summed",
                c.value * c.N if mean else c.value / c.N,
            )
        )
    return out


def rule_mistakes(problem, grad, state) -> Wrong:
    """The change Δθ under each usual mistake of the update rule, from the gradient and the optimizer state.

    The right rule: Δθ = −η·g (SGD), or v ← μ·v + g, Δθ = −η·v (momentum, as PyTorch;
    ``state`` is v before the update, None when it starts at 0).
    """
    eta, mu = problem.learning_rate, problem.momentum
    step = grad if mu == 0 else (grad if state is None else mu * state + grad)
    out = [
        ("the sign of the update is flipped (w + η·∂L/∂w)", eta * step),
        ("the learning rate is missing", -step),
        ("the learning rate is applied twice", -eta * eta * step),
    ]
    if mu > 0:
        out.append(("the momentum term is forgotten (w − η·∂L/∂w)", -eta * grad))
    return out


def rule_change(problem, grad, state):
    """The right Δθ (for the hidden-δ mistake, which needs the weights after the update)."""
    mu = problem.momentum
    step = grad if mu == 0 else (grad if state is None else mu * state + grad)
    return -problem.learning_rate * step


def _change(c: Point) -> Wrong:
    is_w = c.value.ndim == 2
    return rule_mistakes(c.p, c.g if is_w else c.gb, c.state_W if is_w else c.state_b)


def _updated(c: Point) -> Wrong:
    is_w = c.value.ndim == 2
    before = c.W if is_w else c.b
    return [(what, before + change) for what, change in _change(c)] + [("the weight is not updated", before)]


def _none(c: Point) -> Wrong:
    return []


# ----------------------------------------------------------------------------- the table

_unit = lambda q: (q.n, q.j)  # noqa: E731
_weight = lambda q: (q.j, q.i)  # noqa: E731
_bias = lambda q: (q.j,)  # noqa: E731
_example = lambda q: (q.n,)  # noqa: E731
_input = lambda q: (q.n, q.i)  # noqa: E731
_scalar = lambda q: ()  # noqa: E731
_AFTER = "this is the value after the update (write it as w⁺)"

KINDS: dict[str, Kind] = {
    "W_before": Kind("given", "w", _weight, _none, (("W", _AFTER),)),
    "b_before": Kind("given", "b", _bias, _none, (("b", _AFTER),)),
    "z": Kind("forward", "net", _unit, _net),
    "a": Kind("forward", "out", _unit, _out),
    "term": Kind("loss", "L", _unit, lambda c: generic(c.value)),
    "L_n": Kind("loss", "Lₙ", _example, lambda c: generic(c.value)),
    "L": Kind("loss", "L", _scalar, _loss),
    "dL_da": Kind("delta", "∂L/∂out", _unit, lambda c: generic(c.value)),
    "da_dz": Kind("delta", "∂out/∂net", _unit, _derivative),
    "delta": Kind("delta", "δ", _unit, _delta),
    "dL_dW": Kind("gradient", "∂L/∂w", _weight, _gradient),
    "dL_db": Kind("gradient", "∂L/∂b", _bias, _gradient),
    "dL_dx": Kind("gradient", "∂L/∂x", _input, lambda c: generic(c.value)),
    "W_change": Kind("update", "Δw", _weight, _change),
    "W": Kind("update", "w⁺", _weight, _updated),
    "b_change": Kind("update", "Δb", _bias, _change),
    "b": Kind("update", "b⁺", _bias, _updated),
    "epoch_loss": Kind("loss", "the epoch's loss", _scalar, lambda c: generic(c.value)),
    "loss_after": Kind(
        "loss",
        "loss_after",
        _scalar,
        lambda c: generic(c.value),
        (("epoch_loss", "the loss before the update is given"),),
    ),
}

LAYERLESS = ("L_n", "L", "dL_dx", "epoch_loss", "loss_after")
"""Kinds stored under layer 0 whatever the network (they belong to the update or the epoch)."""
