"""The updates on the page: for each layer, the rule's derivation and a table of every weight, or the rule in matrices.

Scalar detail: when the rule is one line (plain SGD), the first weight's
derivation shows how every row of the table is computed; otherwise every weight
and bias is derived in full. A row gives a parameter's value before the update,
its gradient, each value of the step and its value after; a wide table is split.
Matrix detail writes each line once for the layer's W (and b), then the
matrices. The lines themselves, in names and numbers, are render/update_rule.py's.
"""

from __future__ import annotations

import numpy as np

from ..names import given_order
from ..optimizer_lines import Line
from ..trace import StepRecord, UpdateRecord
from .blocks import Eq, Eqs, Heading, Table, note
from .formula import fill
from .mathtext import M, superscript
from .sheet import Sheet
from .symbols import Delta, of_layer, plus
from .update_rule import (
    AFTER,
    Part,
    Rule,
    derivation,
    error_signal,
    per_step_lines,
    per_weight,
    placeholder_names,
    rule_of,
    shown_value,
)

# ----------------------------------------------------------------------------- the parts of a layer


def previous_update(s: Sheet, step: StepRecord, li: int) -> UpdateRecord | None:
    """The update of layer li just before this step in the trace, or None (the run's first update)."""
    previous = None
    for epoch in s.trace.epochs:
        for other in epoch.steps or []:
            if other is step:
                return previous.update[li] if previous is not None else None
            previous = other
    return None


def parts(s: Sheet, step: StepRecord, li: int) -> list[Part]:
    p, sym = s.problem, s.sym
    layer = p.layers[li]
    upd = step.update[li]
    g = step.backward_of(li + 1)
    prev = previous_update(s, step, li)
    out = [
        Part(
            lambda ix: sym.w(li, *ix),
            upd.W_before,
            layer.W,
            g.dL_dW,
            upd.shown_W["change"],
            upd.W,
            upd.shown_W,
            upd.state_W_before or {},
            upd.state_W or {},
            prev.W_change if prev else None,
        )
    ]
    if layer.b is not None and upd.shown_b is not None:
        out.append(
            Part(
                lambda j: sym.b(li, j),
                upd.b_before,
                layer.b,
                g.dL_db,
                upd.shown_b["change"],
                upd.b,
                upd.shown_b,
                upd.state_b_before or {},
                upd.state_b or {},
                prev.b_change if prev else None,
            )
        )
    return out


def _indices(s: Sheet, li: int, part_number: int) -> list:
    layer = s.problem.layers[li]
    return given_order(layer) if part_number == 0 else s.sym.bias_units(li)  # one row for a shared bias


def layer_rule(s: Sheet, step: StepRecord, li: int) -> Rule:
    """The rule of layer li's update. The classical momentum display needs the previous Δw, which the first
    update of a continued run (its buffers from the file) does not have: it then shows PyTorch's form."""
    upd = step.update[li]
    rule = rule_of(s, first_step=not upd.state_W_before)
    uses_prev = any("change_prev" in line.formula[0] for line in rule.lines)
    if uses_prev and upd.state_W_before and previous_update(s, step, li) is None:
        return rule_of(s, first_step=False, classical=False)
    return rule


# ----------------------------------------------------------------------------- scalar and matrix detail


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Updates")
    p, num = s.problem, s.fmt
    for li, upd in enumerate(step.update):
        layer = p.layers[li]
        rule = layer_rule(s, step, li)
        s.add(Heading(3, f"Layer {li + 1} ({layer.name})"))
        layer_parts = parts(s, step, li)
        first = layer_parts[0]
        if rule.per_step:
            s.add(Eqs(per_step_lines(s, rule, first, given_order(layer)[0])))
        full = len(rule.lines) > 2
        signal = s.sym.error_signal and len(rule.lines) == 2
        names, befores, values, eqs = [], [], [], []
        for n, part in enumerate(layer_parts):
            for index in _indices(s, li, n):
                file = None if part.file is None else part.file[index]
                names.append(part.name(index))
                befores.append(s.val(part.before[index], file))
                values.append([part.g[index]] + [shown_value(line, part, index) for line in rule.lines])
                if full or signal:  # Δw = η·δ·x for every weight, as the error-signal books write it
                    eqs.extend(derivation(s, rule, part, index, error_signal(s, step, li, n, index)))
        if not (full or signal):  # one multiplication per row: the first weight shows how each row is computed
            eqs = derivation(s, rule, first, given_order(layer)[0])
        s.add(Eqs(eqs))
        starts = np.array_equal(upd.W_before, layer.W) and (layer.b is None or np.array_equal(upd.b_before, layer.b))
        if layer.b is not None and len(layer_parts) == 1:  # biases not trained: they keep their values
            for j in s.sym.bias_units(li):
                names.append(s.sym.b(li, j))
                befores.append(s.val(upd.b_before[j], layer.b[j]))
                values.append(
                    [step.backward_of(li + 1).dL_db[j]] + [None] * (len(rule.lines) - 2) + [upd.b_change[j], upd.b[j]]
                )
        columns = [num.column(column) for column in zip(*values, strict=True)]  # one number style per column
        rows = [
            [name, before, *(cell if value is not None else "" for cell, value in zip(cells, raw, strict=True))]
            for name, before, cells, raw in zip(names, befores, zip(*columns, strict=True), values, strict=True)
        ]
        for table in _split(Table(_header(s, rule), rows, givens=(1,) if starts else ())):
            s.add(table)
    if not p.train_bias and any(layer.b is not None for layer in p.layers):
        s.add(note("The biases keep their values: train_bias is false."))


def _split(table: Table, width: int = 5) -> list[Table]:
    """A table of many columns as several of at most ``width`` value columns each, the names repeated: a
    page 80 columns wide holds about seven."""
    n = len(table.header) - 1
    if n <= width + 2:
        return [table]
    out = []
    for start in range(1, n + 1, width):
        cols = [0] + list(range(start, min(start + width, n + 1)))
        givens = tuple(cols.index(c) for c in table.givens if c in cols)
        out.append(
            Table(
                [table.header[c] for c in cols], [[row[c] for c in cols] for row in table.rows], table.numeric, givens
            )
        )
    return out


def _header(s: Sheet, rule: Rule) -> list:
    """One column per line: the symbol, with its formula when the rule is one line (Δ = −η·∂L/∂·), as math;
    ∂E/∂· in the problem's loss letter, written on one line."""
    dot = M("·", r"{\cdot}")  # braced: an ordinary symbol, so that a + after it stays binary
    loss = s.sym.loss
    gradient = M(f"∂{loss.u}/∂·", rf"\partial {loss.t}/\partial{{\cdot}}")
    head = ["", "before", gradient]
    for line in rule.lines:
        if line is AFTER:
            head.append("after")
            continue
        symbol = line.symbol[0].removesuffix("w") if line.symbol[0].startswith("Δ") else line.symbol[0]
        if len(rule.lines) == 2:
            names = placeholder_names(s, rule, dot, per_weight)
            names = {k: gradient if v is names["g"] else v for k, v in names.items()}
            rhs = fill(line.formula, names)
            head.append(
                M(
                    f"{symbol} = " + rhs.u.replace("Δ·(", "Δ("),
                    r"\Delta = " + rhs.t.replace(r"\Delta {\cdot}(", r"\Delta(")
                    if symbol == "Δ"
                    else f"{line.symbol[1]} = {rhs.t}",
                )
            )
        else:
            head.append(M(symbol, r"\Delta" if symbol == "Δ" else line.symbol[1]))
    return head


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Updates")
    p = s.problem
    for li, upd in enumerate(step.update):
        number = upd.layer
        layer = p.layers[number - 1]
        rule = layer_rule(s, step, li)
        Wl = of_layer("W", "W", number)
        names = placeholder_names(s, rule, Wl, lambda symbol_, w, number=number: _matrix_name(symbol_, "W", number))
        if len(rule.lines) == 2 and not rule.per_step:  # W⁺ = W − η·∂L/∂W in one line
            change = rule.lines[0]
            rhs = fill(("$w + " + change.formula[0], "$w + " + change.formula[1]), names)
            rhs = M(rhs.u.replace("+ −", "− "), rhs.t.replace("+ -", "- "))
            s.add(Eqs([Eq([plus(Wl), rhs])]))
        else:
            s.add(Heading(3, f"Layer {number} ({layer.name})"))
            if li == 0:
                s.add(
                    note(
                        "Squares, roots, products and quotients of matrices here are taken element by element; "
                        "the biases follow the same lines."
                    )
                )
            first = parts(s, step, li)[0]
            if rule.per_step:
                s.add(Eqs(per_step_lines(s, rule, first, given_order(layer)[0])))
            for line in rule.lines[:-1]:
                s.add(Eqs([Eq([_matrix_name(line.symbol, "W", number), fill(line.formula, names)])]))
                _matrices(s, layer, upd, line, number)
            s.add(Eqs([Eq([plus(Wl), fill(AFTER.formula, names)])]))
        s.matrix(plus(Wl), layer.weights_as_given(upd.W, upd.b))
        if layer.separate_bias:
            s.matrix(plus(of_layer("b", "b", number)), upd.b[None, :])


def _matrices(s: Sheet, layer, upd: UpdateRecord, line: Line, number: int) -> None:
    W = upd.shown_W[line.result]
    b = upd.shown_b[line.result] if upd.shown_b is not None else None
    if layer.bias_form == "augmented" and b is None:
        b = np.zeros(layer.units)
    s.matrix(_matrix_name(line.symbol, "W", number), layer.weights_as_given(W, b))
    if layer.separate_bias and b is not None:
        s.matrix(_matrix_name(line.symbol, "b", number), b[None, :])


def _matrix_name(symbol_: tuple[str, str], base: str, number: int) -> M:
    """A value of a layer's weights (base W) or biases (b): m⁽¹⁾ and m_b⁽¹⁾, ΔW⁽¹⁾ and Δb⁽¹⁾."""
    u, t = symbol_
    of = of_layer(base, base, number)
    if u == "Δw":
        return Delta(of)
    if u == "w′":
        return M(f"{of.u}′", f"{{{of.t}}}'")
    if base == "b":
        return M(f"{u}_b{superscript(f'({number})')}", rf"{{{t}}}_{{b}}^{{({number})}}")
    return of_layer(u, t, number)
