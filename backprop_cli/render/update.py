"""The updates: the optimizer's derivation lines, walked for each weight, and a table per layer.

The lines are the optimizer table's (optimizers.py): ``symbol = formula``, in
textbook order, each shown when its ``when`` holds under the problem's
hyperparameters. A line is written three times: with names (m_w1 = β₁·m_w1 +
(1 − β₁)·∂L/∂w1), with the trace's numbers substituted, and with its value,
which is the trace's ``shown_W``/``shown_b`` entry. The page then adds
w⁺ = w + Δw. Placeholders of a formula:

    $g       ∂L/∂w                 $w        the weight before the update
    $lr      η                     $t        the step counter (after the step)
    $<hp>    a hyperparameter      $<value>  a value of the step (shown_*), defined by an earlier line
    $<buffer>_prev  a buffer before the step: 0 at the first step (or its start, e.g. Adagrad's s₀)

A value whose own line does not apply is the quantity it refines (:data:`REFINES`):
without weight decay the decayed gradient is ∂L/∂w itself. A line that names no
per-weight value (Adagrad's η_t) is shown once per layer. When the rule is one
line (plain SGD), the first weight's derivation shows how every row of the table
is computed; otherwise every weight and bias is derived in full. Nothing is
recomputed: every number is the trace's.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..conventions import setting
from ..names import given_order
from ..optimizer_lines import Line
from ..optimizers import symbol
from ..trace import StepRecord, UpdateRecord
from .blocks import Eq, Eqs, Heading, Table, note
from .formula import PLACEHOLDER, fill
from .mathtext import DOT, M, join, paren, superscript
from .sheet import Sheet
from .symbols import Delta, of_layer, plus

REFINES = {"g_decayed": "g", "w_decayed": "w", "clr": "lr"}
"""A value of the step -> the placeholder it equals when the line that defines it does not apply."""

_AFTER = Line("after", ("w⁺", "w^{+}"), ("$w + $change", "$w + $change"))
_PER_STEP = ("lr", "t")


class Part(NamedTuple):
    """One trainable array of a layer (its weights, or its biases) as the derivation reads it."""

    name: object  # index -> M, the parameter's name (w1, b1)
    before: np.ndarray
    file: np.ndarray | None  # the file's values (givens are written as typed)
    g: np.ndarray
    change: np.ndarray
    after: np.ndarray
    shown: dict
    state_before: dict
    state_after: dict
    change_prev: np.ndarray | None  # the previous update's Δ, for the classical momentum display


# ----------------------------------------------------------------------------- substitution


def per_weight(symbol: tuple[str, str], w: M) -> M:
    """A value of weight w: Δw1, w1′, or the symbol with w as subscript (m_w1)."""
    u, t = symbol
    if u == "Δw":
        return Delta(w)
    if u == "w′":
        return M(f"{w.u}′", f"{{{w.t}}}'")
    if u == "w⁺":
        return plus(w)
    return M(f"{u}_{w.u}", f"{{{t}}}_{{{w.t}}}")


# ----------------------------------------------------------------------------- the rule


class Rule(NamedTuple):
    lines: tuple[Line, ...]  # the shown lines, then w⁺ = w + Δw
    per_step: tuple[Line, ...]  # lines that name no per-weight value (shown once per layer)
    defined: frozenset[str]  # the values some shown line defines


def rule_of(s: Sheet, first_step: bool, classical: bool = True) -> Rule:
    """The lines of this problem's update; ``classical``: as its momentum convention asks."""
    p = s.problem
    opt = p.optimizer
    hp = {**p.hp, "first_step": first_step}
    lines = list(opt.shown_lines(hp))
    if classical and setting(p.conventions, "momentum") == "classical":
        classical = [line for line in opt.classical if line.when(hp)]
        if classical:
            lines = [line for line in lines if line.result not in opt.state and line.result != "change"] + classical
    per_step = tuple(line for line in lines if not _names_weight(line, s))
    weight_lines = tuple(line for line in lines if line not in per_step)
    return Rule(weight_lines + (_AFTER,), per_step, frozenset(line.result for line in lines))


def _names_weight(line: Line, s: Sheet) -> bool:
    """True when the line's formula names a per-weight value (not only η, t and hyperparameters)."""
    hp = s.problem.hp
    return any(k not in _PER_STEP and k not in hp for k in PLACEHOLDER.findall(line.formula[0]))


def words(s: Sheet) -> str:
    """The rule in a sentence, for the problem statement."""
    p = s.problem
    opt = p.optimizer
    rule = rule_of(s, first_step=False)
    used = [k for line in rule.per_step + rule.lines for k in PLACEHOLDER.findall(line.formula[0])]
    named = sorted((k for k in _shown_hps(p) if k in used), key=used.index)
    if len(rule.lines) == 2 and not rule.per_step and not named:
        if s.sym.error_signal:
            return (
                f"Δw = η·{s.sym.symbol['error']}·(the input the weight multiplies) and w⁺ = w + Δw for every "
                f"weight ({s.sym.symbol['error']} = −{s.sym.d_loss(M('net', 'net')).u})"
            )
        return f"Δw = −η·{s.sym.d_loss(M('w', 'w')).u} and w⁺ = w + Δw for every weight"
    given = "".join(f", {_hp_symbol(s, k).u} = {s.fmt.given(p.hp[k]).u}" for k in named)
    names = _names(s, rule, M("w", "w"), bare)
    lines = rule.per_step + rule.lines
    if s.sym.error_signal and "g_decayed" not in rule.defined:  # −η·∂E/∂w read as η·δ·x
        names["signal"] = M(f"{s.sym.symbol['error']}·x", "")
        lines = tuple(_with_signal(line, False) for line in lines)
    steps = "; ".join(f"{bare(line.symbol, M('w', 'w')).u} = {fill(line.formula, names).u}" for line in lines)
    buffers = ", every buffer starting at 0" if opt.active_state(p.hp) else ""
    return f"optimizer {opt.name} ({opt.torch_name}, η = {s.fmt.given(p.learning_rate).u}{given}): {steps}{buffers}"


def _shown_hps(p) -> list[str]:
    """The hyperparameters a formula may name: numbers (booleans only choose lines), betas as beta1/beta2."""
    return [
        k
        for k, v in p.hp.items()
        if (k in p.optimizer.params and k != "betas" and not isinstance(v, bool)) or k in ("beta1", "beta2")
    ]


def _hp_symbol(s: Sheet, key: str) -> M:
    return M(*symbol(s.problem.optimizer, key))


def bare(symbol_: tuple[str, str], w: M) -> M:
    """A value written without its weight (m, v, Δw), as in the rule's statement."""
    return per_weight(symbol_, w) if symbol_[0] in ("Δw", "w′", "w⁺") else M(*symbol_)


def _names(s: Sheet, rule: Rule, w: M, name) -> dict[str, M]:
    """Every placeholder written as a name: the values of the step by ``name(symbol, w)``."""
    p, opt = s.problem, s.problem.optimizer
    names: dict[str, M] = {"g": s.sym.d_loss(w), "w": w, "lr": M("η", r"\eta"), "t": M("t", "t")}
    for key in _shown_hps(p):
        names[key] = _hp_symbol(s, key)
    for key, symbol_ in opt.symbols.items():
        names[key] = name(symbol_, w)
    for line in rule.per_step:
        names[line.result] = M(*line.symbol)
    for key in opt.state:
        names[f"{key}_prev"] = name(opt.symbols.get(key, (key, key)), w)
    names["change_prev"] = M(f"{names['change'].u}(t − 1)", rf"{names['change'].t}(t - 1)")
    for key, base in REFINES.items():
        if key not in rule.defined:
            names[key] = names[base]
    return names


# ----------------------------------------------------------------------------- numbers


def _numbers(s: Sheet, rule: Rule, part: Part, index) -> dict[str, M]:
    """Every placeholder written as the trace's number, for the parameter at ``index`` of ``part``."""
    p, opt, fmt = s.problem, s.problem.optimizer, s.fmt
    file = None if part.file is None else part.file[index]
    nums: dict[str, M] = {
        "g": fmt(part.g[index]),
        "w": s.val(part.before[index], file),
        "lr": fmt.given(p.learning_rate),
        "change_prev": fmt(_at(part.change_prev, index)),
    }
    if "step" in part.state_after:
        nums["t"] = fmt.given(float(part.state_after["step"]))
    for key in _shown_hps(p):
        nums[key] = fmt.given(p.hp[key])
    for key, value in part.shown.items():
        nums[key] = fmt(value[index])
    for key in opt.state:
        if key in part.state_before:
            nums[f"{key}_prev"] = fmt(part.state_before[key][index])
        else:
            start = opt.starts.get(key)
            nums[f"{key}_prev"] = fmt.given(p.hp[start]) if start else fmt(0.0)
    nums["after"] = fmt(part.after[index])
    for key, base in REFINES.items():
        if key not in rule.defined:
            nums[key] = nums[base]
    return nums


def _at(values, index) -> float:
    return 0.0 if values is None else values[index]


def _value(line: Line, part: Part, index) -> float:
    if line is _AFTER:
        return part.after[index]
    return part.shown[line.result][index]


def derivation(s: Sheet, rule: Rule, part: Part, index, signal: tuple[M, M, bool] | None = None) -> list[Eq]:
    """The rule's lines for one parameter: lhs = formula in names = formula in numbers = value.

    ``signal`` (the error-signal convention, :func:`error_signal`): −η·∂E/∂w is written η·δ·x as the book does.
    """
    w = part.name(index)
    names, nums = _names(s, rule, w, per_weight), _numbers(s, rule, part, index)
    lines = rule.lines
    if signal is not None and "g_decayed" not in rule.defined:
        names["signal"], nums["signal"], threshold = signal
        lines = tuple(_with_signal(line, threshold) for line in lines)
    return [
        Eq(
            [
                per_weight(line.symbol, w),
                fill(line.formula, names),
                fill(line.formula, nums),
                s.fmt(_value(line, part, index)),
            ]
        )
        for line in lines
    ]


def _with_signal(line: Line, threshold: bool) -> Line:
    """−η·∂E/∂w as η·δ·x: ∂E/∂w = −δ·x with the error signal δ = −∂E/∂net. A bias subtracted from the net
    input (− θ, or b·(−1)) has ∂E/∂θ = δ, so Δθ = −η·δ."""
    sign_u, sign_t = ("−", "-") if threshold else ("", "")
    u, t = line.formula
    if "−$lr·$g_decayed" not in u:
        return line
    return line._replace(
        formula=(
            u.replace("−$lr·$g_decayed", f"{sign_u}$lr·$signal"),
            t.replace(r"-$lr \cdot $g_decayed", rf"{sign_t}$lr \cdot $signal"),
        )
    )


def error_signal(s: Sheet, step: StepRecord, li: int, part_number: int, index) -> tuple[M, M, bool] | None:
    """δ·x of a weight (δ of a bias, the sum of the layer's δs for a shared one) in names and numbers, and whether
    the bias is subtracted, when δ is the error signal (``delta: error_signal``) and −∂E/∂w is that product:
    one example and no penalty. None otherwise."""
    if not s.sym.error_signal or len(step.examples) != 1 or step.penalty is not None:
        return None
    sym, layer, delta = s.sym, s.problem.layers[li], step.backward_of(li + 1).delta[0]
    if part_number == 0:
        j, i = index
        return (
            sym.delta(li, j) + DOT + sym.input_of(li, i),
            s.fmt.p(delta[j]) + DOT + s.input_value(li, step.forward[li], 0, i, step.examples[0]),
            False,
        )
    units = list(range(layer.units)) if layer.bias_form == "shared" else [index]
    names = join(sym.delta(li, k) for k in units)
    values = join(s.term(n, delta[k]) for n, k in enumerate(units)) if len(units) > 1 else s.fmt.p(delta[index])
    if len(units) > 1:
        names, values = paren(names), paren(values)
    return names, values, layer.bias_sign < 0


def per_step_lines(s: Sheet, rule: Rule, part: Part, index) -> list[Eq]:
    names, nums = _names(s, rule, M("w", "w"), bare), _numbers(s, rule, part, index)
    return [
        Eq(
            [
                M(*line.symbol),
                fill(line.formula, names),
                fill(line.formula, nums),
                s.fmt(part.shown[line.result][index]),
            ]
        )
        for line in rule.per_step
    ]


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
                values.append([part.g[index]] + [_value(line, part, index) for line in rule.lines])
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
        if line is _AFTER:
            head.append("after")
            continue
        symbol = line.symbol[0].removesuffix("w") if line.symbol[0].startswith("Δ") else line.symbol[0]
        if len(rule.lines) == 2:
            names = _names(s, rule, dot, per_weight)
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
        names = _names(s, rule, Wl, lambda symbol_, w, number=number: _matrix_name(symbol_, "W", number))
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
            s.add(Eqs([Eq([plus(Wl), fill(_AFTER.formula, names)])]))
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
