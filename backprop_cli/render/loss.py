"""The loss of an update: each output's term and each example's loss (scalar detail), or Lₙ and L (matrix).

The terms are the loss entry's ``term(K)`` template, filled with names and then numbers.
"""

from __future__ import annotations

from ..names import given_order
from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading, note
from .mathtext import M, fill, join, paren
from .sheet import Sheet

PENALTY = M("P", "P")
"""The weight penalty of an update (SPEC §4.2): (λ/2)·Σw² and/or λ·Σ|w|."""


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Loss")
    p, sym, num = s.problem, s.sym, s.fmt
    penalised = step.penalty is not None
    many = len(step.examples) > 1 or penalised
    K = p.Y.shape[1]
    out = len(p.layers) - 1  # the output layer's index
    Kx = M(str(K), str(K))
    for n, row in enumerate(step.examples):
        rows = []
        for k in range(K):
            names = dict(a=sym.out(out, k), y=sym.y(k), py=sym.y(k), K=Kx)
            nums = dict(a=num(step.forward[-1].a[n, k]), y=num.given(p.Y[row, k]), py=num.given_p(p.Y[row, k]), K=Kx)
            lhs = sym.term(k) if K > 1 else sym.loss_of(row, many)
            term = p.loss.term(K)
            rows.append(Eq([lhs, fill(term, **names), fill(term, **nums), num(step.loss_terms[n, k])]))
        if K > 1:
            rows.append(
                Eq(
                    [
                        sym.loss_of(row, many),
                        join(sym.term(k) for k in range(K)),
                        join(s.term(k, step.loss_terms[n, k]) for k in range(K)),
                        num(step.losses[n]),
                    ]
                )
            )
        if len(step.examples) > 1:
            s.add(Heading(3, f"Example {row + 1}"))
        s.add(Eqs(rows))
    if penalised:
        penalty_lines(s, step)
    if many:
        sc = s.scale(step)
        parts = join(sym.loss_of(row, True) for row in step.examples)
        vals = join(s.term(i, v) for i, v in enumerate(step.losses))
        if sc.u:
            parts, vals = paren(parts), paren(vals)
        parts, vals = sc + parts, sc + vals
        if penalised:
            parts, vals = parts + M(" + ", " + ") + PENALTY, vals + M(" + ", " + ") + num.p(step.penalty)
        s.add(Eqs([Eq([s.sym.loss, parts, vals, num(step.loss)])]))


def strengths(s: Sheet) -> list[tuple[str, M, float]]:
    """The penalties of the problem: (kind, its λ's symbol, λ); λ₂ and λ₁ when both are given."""
    p = s.problem
    both = bool(p.l2 and p.l1)
    out = []
    if p.l2:
        out.append(("l2", M("λ₂", r"\lambda_2") if both else M("λ", r"\lambda"), p.l2))
    if p.l1:
        out.append(("l1", M("λ₁", r"\lambda_1") if both else M("λ", r"\lambda"), p.l1))
    return out


def penalty_lines(s: Sheet, step: StepRecord) -> None:
    """P = (λ/2)·(w1² + …) + λ·(|w1| + …) with the weights before the update (never a bias)."""
    sym, num = s.sym, s.fmt
    names, values = [], []
    weights = [
        (sym.w(li, j, i), upd.W_before[j, i], s.problem.layers[li].W[j, i])
        for li, upd in enumerate(step.update)
        for j, i in given_order(s.problem.layers[li])
    ]
    for kind, lam, value in strengths(s):
        if kind == "l2":
            names.append(
                M(f"({lam.u}/2)·(", rf"\frac{{{lam.t}}}{{2}}\left(")
                + join(M(f"{w.u}²", f"{w.t}^{{2}}") for w, _, _ in weights)
                + M(")", r"\right)")
            )
            values.append(
                M(f"({num.given(value).u}/2)·(", rf"\frac{{{num.given(value).t}}}{{2}}\left(")
                + join(_squared(s.val(v, f)) for _, v, f in weights)
                + M(")", r"\right)")
            )
        else:
            names.append(
                lam
                + M("·(", r" \cdot \left(")
                + join(M(f"|{w.u}|", rf"|{w.t}|") for w, _, _ in weights)
                + M(")", r"\right)")
            )
            values.append(
                num.given(value)
                + M("·(", r" \cdot \left(")
                + join(M(f"|{s.val(v, f).u}|", rf"|{s.val(v, f).t}|") for _, v, f in weights)
                + M(")", r"\right)")
            )
    s.add(Eqs([Eq([PENALTY, join(names), join(values), num(step.penalty)])]))
    s.add(
        note(
            "The penalty P is taken over every weight, never a bias, at the weights before the update; "
            "it is added to the loss of the update after the batch reduction."
        )
    )


def _squared(m: M) -> M:
    if m.u.startswith("−") or "e" in m.u:
        m = paren(m)
    return M(f"{m.u}²", f"{m.t}^{{2}}")


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Loss")
    s.matrix(M("Lₙ", "L_n"), step.losses[:, None])
    N = len(step.examples)
    if s.problem.batch_reduction == "mean" and N > 1:
        red = M(f"(1/{N})·Σₙ Lₙ", rf"\frac{{1}}{{{N}}} \sum_n L_n")
    else:
        red = M("Σₙ Lₙ", r"\sum_n L_n")
    if step.penalty is not None:
        terms = []
        for kind, lam, _ in strengths(s):
            terms.append(
                M(f"({lam.u}/2)·Σ w²", rf"\frac{{{lam.t}}}{{2}} \sum w^{{2}}")
                if kind == "l2"
                else M(f"{lam.u}·Σ |w|", rf"{lam.t} \sum |w|")
            )
        s.add(Eqs([Eq([PENALTY, join(terms), s.fmt(step.penalty)])]))
        red = red + M(" + ", " + ") + PENALTY
    s.add(Eqs([Eq([s.sym.loss, red, s.fmt(step.loss)])]))
