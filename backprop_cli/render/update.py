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

import numpy as np

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
        return f"momentum μ = {s.fmt.given(p.momentum).u}: v ← μ·v + ∂L/∂w (v starts at 0), Δw = −η·v"
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
            rows.append([sym.w(li, j, i), s.val(upd.W_before[j, i], layer.W[j, i]), num(g.dL_dW[j, i])]
                        + [num(_at(after[line.key], (j, i))) for line in rule.lines])
        if layer.b is not None:
            after_b = _values(upd, bias=True, after=True)
            for j in sym.bias_units(li):  # one row for a shared bias
                rows.append([sym.b(li, j), s.val(upd.b_before[j], layer.b[j]), num(g.dL_db[j])]
                            + [num(_at(after_b[line.key], j)) for line in rule.lines])
        s.add(Heading(3, f"Layer {li + 1} ({layer.name})"))
        # fully substituted lines show how each row of the table is computed
        j, i = given_order(layer)[0]
        before = upd.W_before[j, i]
        written = s.val(before, layer.W[j, i]), s.pval(before, layer.W[j, i])
        s.add(Eqs(derivation(s, rule, upd, sym.w(li, j, i), written, g.dL_dW[j, i], (j, i))))
        starts = np.array_equal(upd.W_before, layer.W) and (layer.b is None or np.array_equal(upd.b_before, layer.b))
        s.add(Table(header, rows, givens=(1,) if starts else ()))  # the file's weights are givens
    if not p.train_bias and any(layer.b is not None for layer in p.layers):
        s.add(note("The biases keep their values: train_bias is false."))


def derivation(s: Sheet, rule: Rule, upd: UpdateRecord, w: M, before: tuple[M, M], grad: float, index) -> list[Eq]:
    """The rule's lines for one weight: lhs = formula in names = formula in numbers = value.

    ``before`` is the weight's value, written and parenthesised; the hyperparameters are givens.
    """
    fmt = s.fmt
    names: dict[str, M] = {"w": w, "g": s.sym.d_loss(w)}  # ∂L/∂w in the problem's letter (∂E/∂w46)
    numbers: dict[str, tuple[M, M]] = {"w": before, "g": (fmt(grad), fmt.p(grad))}
    hyper = hyper_values(s.problem)
    for h, symbol in rule.hyper.items():
        names[h], numbers[h] = M(*symbol), (fmt.given(hyper[h]), fmt.given_p(hyper[h]))
    state_before, after = _values(upd, False, after=False), _values(upd, False, after=True)
    for key in rule.state:  # a state enters the rule with its value from before the update
        value = _at(state_before[key], index)
        names[key], numbers[key] = fill(_line(rule, key).lhs, w=w), (fmt(value), fmt.p(value))
    lines = []
    for line in rule.lines:
        lhs = fill(line.lhs, w=w)
        value = _at(after[line.key], index)
        filled_names = {**names, **{f"p{k}": m for k, m in names.items()}}
        filled_numbers = {**{k: m for k, (m, _) in numbers.items()}, **{f"p{k}": pm for k, (_, pm) in numbers.items()}}
        lines.append(Eq([lhs, fill(line.rule, **filled_names), fill(line.rule, **filled_numbers), fmt(value)]))
        names[line.key], numbers[line.key] = lhs, (fmt(value), fmt.p(value))
    return lines


def _line(rule: Rule, key: str) -> Line:
    return next(line for line in rule.lines if line.key == key)


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
