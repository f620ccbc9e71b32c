"""The updates: each weight before, its gradient, the rule's steps, and after (a table per layer).

The rule is a list of derivation lines. Each :class:`Line` defines one
quantity (its ``key``) by a template, and is shown for the layer's first
weight twice: filled with names (``Δw1 = −η·∂L/∂w1``) and with numbers. The
table has one column per line. Placeholders, each also as ``$p<name>``
(parenthesised when a negative number is filled in):

    $w      the weight (its value before the update)
    $g      ∂L/∂w
    $<hp>   each hyperparameter of the rule ($eta, $mu)
    $<key>  a quantity of the rule: before its line, its value from before the update
            (a state such as momentum's $v); after its line, the value the line computed

Today the rules are plain SGD and SGD with momentum (below); an optimizer
table will supply its own lines in the same form.
"""

from __future__ import annotations

from typing import NamedTuple

from ..names import given_order
from ..problem import Problem
from ..trace import StepRecord, UpdateRecord
from .blocks import Eq, Eqs, Heading, Table, note
from .mathtext import M, fill
from .sheet import Sheet
from .symbols import d_loss, of_layer, plus

Tex = tuple[str, str]


class Line(NamedTuple):
    key: str  # the quantity this line defines: a state ("v"), the change ("dw") or the new weight ("w")
    lhs: Tex  # how it is written, in $w
    rule: Tex  # how it is computed
    column: str  # its column in the table


class Rule(NamedTuple):
    lines: tuple[Line, ...]
    hyper: dict[str, Tex]  # hyperparameter -> its symbol (the value is the problem's)
    state: tuple[str, ...]  # the keys of lines that carry a value from one update to the next
    matrix: Tex  # W⁺ = … in matrix detail, in $W


_AFTER = Line("w", ("$w⁺", "{$w}^{+}"), ("$w + $pdw", "$w + $pdw"), "after")

SGD = Rule(
    lines=(Line("dw", ("Δ$w", r"\Delta $w"), ("−$eta·$pg", r"-$eta \cdot $pg"), "Δ = −η·∂L/∂·"), _AFTER),
    hyper={"eta": ("η", r"\eta")},
    state=(),
    matrix=("$W − η·∂L/∂$W", r"$W - \eta \frac{\partial L}{\partial $W}"),
)
MOMENTUM = Rule(
    lines=(Line("v", ("v_$w", "v_{$w}"), ("$mu·$pv + $pg", r"$mu \cdot $pv + $pg"), "v = μ·v + ∂L/∂·"),
           Line("dw", ("Δ$w", r"\Delta $w"), ("−$eta·$pv", r"-$eta \cdot $pv"), "Δ = −η·v"), _AFTER),
    hyper={"eta": ("η", r"\eta"), "mu": ("μ", r"\mu")},
    state=("v",),
    matrix=("$W − η·v", r"$W - \eta\, v"),
)


def rule_of(problem: Problem) -> Rule:
    return MOMENTUM if problem.momentum > 0 else SGD


def hyper_values(problem: Problem) -> dict[str, float]:
    return {"eta": problem.learning_rate, "mu": problem.momentum}


def words(s: Sheet) -> str:
    """The rule in a sentence, for the problem statement."""
    p = s.problem
    if p.momentum > 0:
        return f"momentum μ = {s.fmt.text(p.momentum)}: v ← μ·v + ∂L/∂w (v starts at 0), Δw = −η·v"
    return "Δw = −η·∂L/∂w and w⁺ = w + Δw for every weight"


def _values(upd: UpdateRecord, bias: bool, after: bool) -> dict[str, object]:
    """The rule's quantities of one layer, as the weights' (or the biases') arrays; None: not kept (0)."""
    if bias:
        return {"v": upd.velocity_b if after else upd.velocity_b_before, "dw": upd.b_change, "w": upd.b}
    return {"v": upd.velocity_W if after else upd.velocity_W_before, "dw": upd.W_change, "w": upd.W}


def _at(values, index) -> float:
    return 0.0 if values is None else values[index]


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Updates")
    p, sym, num = s.problem, s.sym, s.fmt
    rule = rule_of(p)
    grads = {b.layer: b for b in step.backward}
    header = ["", "before", "∂L/∂·"] + [line.column for line in rule.lines]
    for li, upd in enumerate(step.update):
        layer = p.layers[li]
        g = grads[li + 1]
        rows = []
        after = _values(upd, bias=False, after=True)
        for j, i in given_order(layer):
            rows.append([sym.w(li, j, i), num(upd.W_before[j, i]), num(g.dL_dW[j, i])]
                        + [num(_at(after[line.key], (j, i))) for line in rule.lines])
        if layer.b is not None:
            after_b = _values(upd, bias=True, after=True)
            for j in range(layer.units):
                rows.append([sym.b(li, j), num(upd.b_before[j]), num(g.dL_db[j])]
                            + [num(_at(after_b[line.key], j)) for line in rule.lines])
        s.add(Heading(3, f"Layer {li + 1} ({layer.name})"))
        # fully substituted lines show how each row of the table is computed
        j, i = given_order(layer)[0]
        s.add(Eqs(derivation(s, rule, upd, sym.w(li, j, i), upd.W_before[j, i], g.dL_dW[j, i], (j, i))))
        s.add(Table(header, rows))
    if not p.train_bias and any(layer.b is not None for layer in p.layers):
        s.add(note("The biases keep their values: train_bias is false."))


def derivation(s: Sheet, rule: Rule, upd: UpdateRecord, w: M, before: float, grad: float, index) -> list[Eq]:
    """The rule's lines for one weight: lhs = formula in names = formula in numbers = value."""
    names: dict[str, M] = {"w": w, "g": d_loss(w)}
    values: dict[str, float] = {"w": before, "g": grad}
    hyper = hyper_values(s.problem)
    for h, symbol in rule.hyper.items():
        names[h], values[h] = M(*symbol), hyper[h]
    state_before, after = _values(upd, False, after=False), _values(upd, False, after=True)
    for key in rule.state:  # a state enters the rule with its value from before the update
        names[key], values[key] = fill(_line(rule, key).lhs, w=w), _at(state_before[key], index)
    lines = []
    for line in rule.lines:
        lhs = fill(line.lhs, w=w)
        value = _at(after[line.key], index)
        lines.append(Eq([lhs, fill(line.rule, **_placeholders(names, None)),
                         fill(line.rule, **_placeholders(values, s.fmt)), s.fmt(value)]))
        names[line.key], values[line.key] = lhs, value
    return lines


def _line(rule: Rule, key: str) -> Line:
    return next(line for line in rule.lines if line.key == key)


def _placeholders(values: dict, fmt) -> dict[str, M]:
    """Each name, or each number written by ``fmt``, also as p<name>: parenthesised when negative."""
    if fmt is None:
        return {**values, **{f"p{k}": m for k, m in values.items()}}
    return {**{k: fmt(v) for k, v in values.items()}, **{f"p{k}": fmt.p(v) for k, v in values.items()}}


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Updates")
    p = s.problem
    rule = rule_of(p)
    for upd in step.update:
        number = upd.layer
        layer = p.layers[number - 1]
        Wl = of_layer("W", "W", number)
        s.add(Eqs([Eq([plus(Wl), fill(rule.matrix, W=Wl)])]))
        s.matrix(plus(Wl), layer.weights_as_given(upd.W, upd.b))
        if layer.separate_bias:
            s.matrix(plus(of_layer("b", "b", number)), upd.b[None, :])
