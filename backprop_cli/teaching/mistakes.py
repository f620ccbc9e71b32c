"""Each kind of quantity a student computes, and the usual mistakes of a hand derivation, as data.

``KINDS[kind]`` holds how a locator indexes the layer's array of that kind, the
points group it belongs to, and a function giving every usual mistake as
(name, the wrong value of the whole layer), computed from a :class:`Point` of
the replay (the values the student's derivation had reached, see replay.py).
The replay can compute a whole run with one mistake made systematically, so a
mistake is named where it happens and on everything downstream of it.

The update rule's mistakes (η missing or doubled, the sign, momentum, Adam's
bias corrections, …) are the optimizer table's own (``Optimizer.mistakes``, see
optimizer_mistakes.py): :func:`rule` asks the problem's optimizer, and names
none. Each intermediate of a step that a worked solution shows (Adam's m, v, m̂,
v̂; a momentum buffer; …) is a kind of its own, ``W.<name>`` or ``b.<name>``
under the name ``shown`` gives it (``W.exp_avg``), with the mistakes that reach
a wrong value of it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from ..optimizers import OPTIMIZERS
from .answer_names import Loc, intermediate

Wrong = list[tuple[str, Any]]  # (the mistake in words, the value it gives for the whole layer)


class Point:
    """What a derivation has reached in one layer of one update: every value as the student would have it.

    Filled in by the replay as it goes: ``a_in, W, b, z, a`` (forward), ``terms,
    losses, loss`` (output layer), ``dL_da, da_dz, delta, g, gb`` (backward;
    ``g``/``gb`` are ∂L/∂W, ∂L/∂b), ``above`` (the Point of the layer above),
    ``z_below``, ``state_W, state_b`` (the optimizer's buffers before the update),
    ``shown_W, shown_b`` (the step's intermediates, see optimizers.py), ``f`` and
    ``mask`` (f(z) before dropout, and the dropout mask or None), ``penalty`` and
    ``half_l2`` (the loss's penalty, and its (λ₂/2)·Σw² part; output layer),
    ``evaluated`` (loss_after with the dropout kept: (masks, scaling only)),
    ``value`` (the right value of the quantity being computed).
    """

    def __init__(self, problem, l: int, scale: float, N: int):
        self.p, self.l, self.layer, self.scale, self.N = problem, l, problem.layers[l], scale, N
        self.above = self.z_below = self.b = self.da_dz = self.gb = self.state_W = self.state_b = None
        self.shown_W = self.shown_b = self.mask = self.evaluated = None
        self.penalty = self.half_l2 = 0.0
        self.reached: dict[tuple[str, str], dict] = {}  # (W or b, mistake) -> the step's values under it
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
    out = []
    if c.mask is not None:  # a = f(z)·m/(1 − p); the specific mistakes first
        out += [
            (
                f"the dropout scaling 1/(1 − p) is forgotten (f(z)·m instead of f(z)·m/{1 - c.layer.dropout:g})",
                c.f * c.mask,
            ),
            ("the dropout mask is not applied (a = f(z))", c.f),
        ]
    return out + generic(c.value) + [("the net input is used as the activation (f not applied)", c.z)]


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
    return out + _penalty(c, c.penalty, c.half_l2)


def _penalty(c: Point, gradient_or_loss, half_l2) -> Wrong:
    """The penalty's usual mistakes on L (given its value and (λ₂/2)·Σw²) or on ∂L/∂W (given λ₂·w + λ₁·sign w)."""
    if not (c.p.l1 or c.p.l2):
        return []
    out = [("the penalty is forgotten", c.value - gradient_or_loss)]
    if c.p.l2:
        out.append(("the ½ of the penalty (λ/2)·Σw² is dropped (λ·Σw², whose ∂ is 2λ·w)", c.value + half_l2))
    return out


def _evaluated(c: Point) -> Wrong:
    """loss_after is taken without dropout: the masks or the scaling 1/(1 − p) kept there are mistakes."""
    out = generic(c.value)
    if c.evaluated is not None:
        masked, scaled = c.evaluated
        out += [
            ("the dropout is applied at evaluation (loss_after with the masks)", masked),
            ("the dropout scaling 1/(1 − p) is applied at evaluation", scaled),
        ]
    return out


def _derivative(c: Point) -> Wrong:
    act, params = c.layer.activation, c.layer.activation_params
    if not act.elementwise:
        return []
    out = []
    if c.mask is not None:  # ∂a/∂z = f′(z)·m/(1 − p); the specific mistake first
        out.append(("the dropout scaling 1/(1 − p) is forgotten in ∂a/∂z", c.value * (1.0 - c.layer.dropout)))
    out += generic(c.value)
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
    W_after = up.W + right_change(c.p, up.W, up.g, up.state_W)
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
    if is_w:
        out += _penalty(c, c.p.l2 * c.W + c.p.l1 * np.sign(c.W), c.p.l2 * c.W)
    return out


def right_change(problem, param, grad, state) -> np.ndarray:
    """The right Δθ of one step of the problem's optimizer from ``state`` (the hidden-δ mistake needs w⁺)."""
    shown: dict = {}
    problem.optimizer.step(param, grad, dict(state or {}), problem.learning_rate, problem.hp, shown)
    return shown["change"]


def _of(c: Point, is_w: bool):
    return (c.W, c.g, c.state_W, c.shown_W) if is_w else (c.b, c.gb, c.state_b, c.shown_b)


def rule(c: Point, is_w: bool) -> list[tuple[str, Any, dict]]:
    """(name, wrong Δθ, the intermediates it reached) of each usual mistake of the optimizer's rule.

    The mistakes are the optimizer table's (``Optimizer.mistakes``, see optimizer_mistakes.py); each
    reads the step's recorded intermediates, as the replay has them. They are kept on the Point
    (``c.reached``) so that the replay carries a mistake's wrong buffers into the next step.
    """
    param, grad, state, shown = _of(c, is_w)
    if shown is None:  # a frozen bias takes no step
        return []
    state = state or {}
    values = {**shown, "g": grad, "w": param, "t": float(state.get("step", 0.0)) + 1.0}
    values.update({f"{k}_prev": v for k, v in state.items() if k != "step" and v is not None})
    out = []
    for mistake in c.p.optimizer.mistakes:
        reached = dict(values)
        with np.errstate(all="ignore"):
            wrong = mistake.change(reached, c.p.hp, c.p.learning_rate)
        if wrong is not None:
            out.append((mistake.name, wrong, reached))
            c.reached[("W" if is_w else "b", mistake.name)] = reached
    return out


def _change(c: Point) -> Wrong:
    return [(what, wrong) for what, wrong, _ in rule(c, c.value.ndim == 2)]


def _updated(c: Point) -> Wrong:
    is_w = c.value.ndim == 2
    before = c.W if is_w else c.b
    return [(what, before + wrong) for what, wrong, _ in rule(c, is_w)] + [("the weight is not updated", before)]


def _intermediate(key: str, is_w: bool) -> Callable[[Point], Wrong]:
    """The mistakes of the rule that reach a wrong value of the step's intermediate ``key`` (m, v̂, a buffer)."""

    def mistakes(c: Point) -> Wrong:
        out = []
        for what, _, reached in rule(c, is_w):
            v = reached.get(key)
            if v is not None and not np.array_equal(np.broadcast_to(v, np.shape(c.value)), c.value):
                out.append((what, v))
        return out

    return mistakes


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
    "dL_da": Kind("delta", "∂L/∂out", _unit, lambda c: generic(c.value) + _hidden(c, 1.0)),
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
        _evaluated,
        (("epoch_loss", "the loss before the update is given"),),
    ),
}

LAYERLESS = ("L_n", "L", "dL_dx", "epoch_loss", "loss_after")
"""Kinds stored under layer 0 whatever the network (they belong to the update or the epoch)."""


def _intermediates() -> dict[str, Kind]:
    """A kind for every intermediate some optimizer shows (every symbol of the table but the change)."""
    out: dict[str, Kind] = {}
    for opt in OPTIMIZERS.values():
        for key, (symbol, _) in opt.symbols.items():
            if key != "change" and intermediate(True, key) not in out:
                out[intermediate(True, key)] = Kind("update", symbol, _weight, _intermediate(key, True))
                out[intermediate(False, key)] = Kind("update", symbol, _bias, _intermediate(key, False))
    return out


KINDS.update(_intermediates())
