"""The rule of an update, written for one parameter: the optimizer's derivation lines, in names and in numbers.

The lines are the optimizer table's (optimizers.py): ``symbol = formula``, in
textbook order, each shown when its ``when`` holds under the problem's
hyperparameters. A line is written three times: with names (m_w1 = β₁·m_w1 +
(1 − β₁)·∂L/∂w1), with the trace's numbers substituted, and with its value,
which is the trace's ``shown_W``/``shown_b`` entry. The page then adds
w⁺ = w + Δw (:data:`AFTER`). Placeholders of a formula:

    $g       ∂L/∂w                 $w        the weight before the update
    $lr      η                     $t        the step counter (after the step)
    $<hp>    a hyperparameter      $<value>  a value of the step (shown_*), defined by an earlier line
    $<buffer>_prev  a buffer before the step: 0 at the first step (or its start, e.g. Adagrad's s₀)

A value whose own line does not apply is the quantity it refines (:data:`REFINES`):
without weight decay the decayed gradient is ∂L/∂w itself. A line that names no
per-weight value (Adagrad's η_t) is shown once per layer. The rule is also said
in one sentence for the problem statement (:func:`words`). Nothing is
recomputed: every number is the trace's. render/update.py lays these lines out.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..conventions import setting
from ..optimizer_lines import REFINES, Line
from ..optimizers import symbol
from ..trace import StepRecord
from .blocks import Eq
from .formula import PLACEHOLDER, fill
from .mathtext import DOT, M, join, paren
from .sheet import Sheet
from .symbols import Delta, plus

AFTER = Line("after", ("w⁺", "w^{+}"), ("$w + $change", "$w + $change"))
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
    return Rule(weight_lines + (AFTER,), per_step, frozenset(line.result for line in lines))


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
    names = placeholder_names(s, rule, M("w", "w"), bare)
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


def placeholder_names(s: Sheet, rule: Rule, w: M, name) -> dict[str, M]:
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


def shown_value(line: Line, part: Part, index) -> float:
    if line is AFTER:
        return part.after[index]
    return part.shown[line.result][index]


def derivation(s: Sheet, rule: Rule, part: Part, index, signal: tuple[M, M, bool] | None = None) -> list[Eq]:
    """The rule's lines for one parameter: lhs = formula in names = formula in numbers = value.

    ``signal`` (the error-signal convention, :func:`error_signal`): −η·∂E/∂w is written η·δ·x as the book does.
    """
    w = part.name(index)
    names, nums = placeholder_names(s, rule, w, per_weight), _numbers(s, rule, part, index)
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
                s.fmt(shown_value(line, part, index)),
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
    the bias is subtracted, when δ is the error signal (``delta: error_signal``) and −∂E/∂w is that product
    (no penalty); over several examples, their sum Σₙ δ·x, scaled by the batch reduction (Trask's
    ``syn0 += l0.T.dot(l1_delta)``), whose value the gradient section has summed. None otherwise."""
    if not s.sym.error_signal or step.penalty is not None:
        return None
    if len(step.examples) > 1:
        return _summed_signal(s, step, li, part_number, index)
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


def _summed_signal(s: Sheet, step: StepRecord, li: int, part_number: int, index) -> tuple[M, M, bool]:
    """Σₙ δ·x over an update's examples: its value is −∂E/∂w, the sum the gradient section wrote out (and for a
    bias, Σₙ δ, −∂E/∂b times the bias's sign)."""
    sym, layer, g = s.sym, s.problem.layers[li], step.backward_of(li + 1)
    over = s.scale(step) + M("Σₙ ", r"\sum_n ")
    if part_number == 0:
        j, i = index
        return over + sym.delta(li, j) + DOT + sym.input_of(li, i), s.fmt.p(-g.dL_dW[j, i]), False
    units = list(range(layer.units)) if layer.bias_form == "shared" else [index]
    names = join(sym.delta(li, k) for k in units)
    value = -g.dL_db[index] * layer.bias_sign
    return over + (paren(names) if len(units) > 1 else names), s.fmt.p(value), layer.bias_sign < 0


def per_step_lines(s: Sheet, rule: Rule, part: Part, index) -> list[Eq]:
    names, nums = placeholder_names(s, rule, M("w", "w"), bare), _numbers(s, rule, part, index)
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
