"""The gradients of the backward pass in scalar detail: ∂L/∂w = δ·input for every weight, ∂L/∂b, then ∂L/∂x.

Each line is summed over the update's examples (scaled by the batch
reduction) and carries the penalty's part (+ λ·w, + λ·sign(w)) after the data
gradient. A threshold (z = W·x − θ) and the error signal (δ = −∂L/∂z) turn the
signs. The δs come from render/backward.py, which calls these once per layer.
"""

from __future__ import annotations

from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading, note
from .loss import strengths
from .mathtext import DOT, PLUS, M, join, paren, superscript
from .sheet import Sheet
from .symbols import NEG


def gradient_lines(s: Sheet, step: StepRecord, rec, li: int) -> None:
    """∂L/∂w = δ·input for every weight of layer li (summed over the update's examples), and ∂L/∂b = δ.

    With a threshold (z = W·x − θ) ∂L/∂θ = −δ; with the error signal (δ = −∂L/∂z) every sign turns: ∂L/∂w =
    −δ·input, ∂L/∂θ = δ. A shared bias sums the δs of its layer's units.
    """
    p, sym, num = s.problem, s.sym, s.fmt
    layer = p.layers[li]
    fwd = step.forward[li]
    sc = s.scale(step)
    w_sign = -1.0 if sym.error_signal else 1.0
    rows = []
    for j in range(layer.units):
        for i in range(layer.n_in):
            names, values = _over_examples(
                sc,
                sym.delta(li, j) + DOT + sym.input_of(li, i),
                [
                    s.term(n, rec.delta[n, j]) + DOT + s.input_value(li, fwd, n, i, row)
                    for n, row in enumerate(step.examples)
                ],
            )
            if rec.dL_dW_penalty is not None:  # + λ·w (l2), + λ·sign(w) (l1) after the data gradient
                names, values = _with_penalty(s, step, li, j, i, *signed(w_sign, names, values))
            else:
                names, values = signed(w_sign, names, values)
            rows.append(Eq([sym.d_loss(sym.w(li, j, i)), names, values, num(rec.dL_dW[j, i])]))
        if layer.b is not None and layer.bias_form != "shared":
            rows.append(bias_gradient_line(s, step, rec, li, j, [j], w_sign))
    if layer.bias_form == "shared" and layer.b is not None:
        rows.append(bias_gradient_line(s, step, rec, li, 0, list(range(layer.units)), w_sign))
    err = sym.symbol["error"]
    what = f"−{err}" if sym.error_signal else err
    penalties = "".join(f" + {lam.u}·{'w' if kind == 'l2' else 'sign(w)'}" for kind, lam, _ in strengths(s))
    d = sym.d_loss(M("w", "w")).u
    s.add(
        Heading(
            3, f"Gradients of layer {li + 1} ({layer.name}): {d} = {what}·(the input the weight multiplies){penalties}"
        )
    )
    s.add(Eqs(rows))
    if sym.error_signal and li == len(p.layers) - 1:
        s.add(
            note(
                f"{err} is −∂{sym.loss.u}/∂{sym.symbol['net']} (delta: error_signal), so the update "
                f"Δw = −η·{d} reads Δw = η·{err}·(input), w ← w + η·{err}·(input), as the book writes it."
            )
        )


def bias_gradient_line(s: Sheet, step: StepRecord, rec, li: int, j: int, units: list[int], sign: float) -> Eq:
    """∂L/∂b of unit j's bias: its δ (or the sum of the δs of ``units`` for a shared bias), times the bias's sign.
    A sum of δs is bracketed only where a minus or a sum over examples takes it whole: −(δ4 + δ5)."""
    sym = s.sym
    sign *= s.problem.layers[li].bias_sign
    many = len(step.examples) > 1
    deltas = join(sym.delta(li, k) for k in units)
    names, values = _over_examples(
        s.scale(step),
        paren(deltas) if len(units) > 1 and (many or sign < 0) else deltas,
        [_sum_terms(s, n, [rec.delta[n, k] for k in units], many) for n in range(len(step.examples))],
    )
    return Eq([sym.d_loss(sym.b(li, j)), *signed(sign, names, values), s.fmt(rec.dL_db[sym.bias_at(li, j)])])


def signed(sign: float, names: M, values: M) -> tuple[M, M]:
    """A formula and its numbers, with a minus in front when ``sign`` is negative."""
    if sign > 0:
        return names, values
    return NEG + names, NEG + (paren(values) if values.u.startswith("−") or " " in values.u else values)


def _sum_terms(s: Sheet, n: int, values: list[float], bracket: bool) -> M:
    """Example n's term of a sum over units (a shared bias): δ4 + δ5 in numbers, bracketed in a sum over examples."""
    if len(values) == 1:
        return s.term(n, values[0])
    terms = join(s.term(k, v) for k, v in enumerate(values))
    return paren(terms) if bracket else terms


def _with_penalty(s: Sheet, step: StepRecord, li: int, j: int, i: int, names: M, values: M) -> tuple[M, M]:
    """The penalty's part of ∂L/∂w: + λ·w (l2) and + λ·sign(w) (l1), with the weight before the update."""
    w = s.sym.w(li, j, i)
    value_args = step.update[li].W_before[j, i], s.problem.layers[li].W[j, i]
    before, bare = s.pval(*value_args), s.val(*value_args)
    for kind, lam, value in strengths(s):
        lam_value = s.fmt.given(value)
        if kind == "l2":
            names, values = names + PLUS + lam + DOT + w, values + PLUS + lam_value + DOT + before
        else:
            names = names + PLUS + lam + DOT + M(f"sign({w.u})", rf"\operatorname{{sign}}({w.t})")
            values = values + PLUS + lam_value + DOT + M(f"sign({bare.u})", rf"\operatorname{{sign}}({bare.t})")
    return names, values


def _over_examples(sc: M, name: M, values: list[M]) -> tuple[M, M]:
    """A quantity summed over the update's examples (scaled by the batch reduction): Σₙ name, and its terms."""
    if len(values) == 1:
        return name, values[0]
    return sc + M("Σₙ ", r"\sum_n ") + name, sc + paren(join(values)) if sc.u else join(values)


def input_gradient_lines(s: Sheet, step: StepRecord, first) -> None:
    """∂L/∂x of every input and example, from the first layer's δ (record ``first``)."""
    sym, num = s.sym, s.fmt
    W = step.update[0].W_before
    layer = s.problem.layers[0]
    N = len(step.examples)
    sc = s.scale(step)
    rows = []
    for n in range(N):
        example = step.examples[n] + 1
        mark = M(superscript(f"({example})"), f"^{{({example})}}") if N > 1 else M("", "")  # whose δ: ⁽ⁿ⁾
        for i in range(layer.n_in):
            names = join(sym.w(0, j, i) + DOT + sym.delta(0, j) + mark for j in range(layer.units))
            values = join(
                (s.val if j == 0 else s.pval)(W[j, i], layer.W[j, i]) + DOT + num.p(first.delta[n, j])
                for j in range(layer.units)
            )
            lhs = sym.d_loss(sym.label(sym.inputs[i]))
            if sym.error_signal:  # ∂L/∂x = −Σ w·δ with the error signal
                names, values = NEG + paren(names), NEG + paren(values)
            lhs = lhs + mark
            rows.append(
                Eq(
                    [
                        lhs,
                        sc + (paren(names) if sc.u else names),
                        sc + (paren(values) if sc.u else values),
                        num(step.dL_dx[n, i]),
                    ]
                )
            )
    s.add(Heading(3, "Gradient with respect to the inputs"))
    s.add(Eqs(rows))
