"""The loss of an update: each output's term and each example's loss (scalar detail), or Lₙ and L (matrix).

The terms are the loss entry's ``term(K)`` template, filled with names and then numbers.
"""

from __future__ import annotations

from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading
from .mathtext import M, fill, join, paren
from .sheet import Sheet


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Loss")
    p, sym, num = s.problem, s.sym, s.fmt
    many = len(step.examples) > 1
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
            rows.append(Eq([sym.loss_of(row, many), join(sym.term(k) for k in range(K)),
                            join(s.term(k, step.loss_terms[n, k]) for k in range(K)), num(step.losses[n])]))
        if many:
            s.add(Heading(3, f"Example {row + 1}"))
        s.add(Eqs(rows))
    if many:
        sc = s.scale(step)
        parts = join(sym.loss_of(row, True) for row in step.examples)
        vals = join(s.term(i, v) for i, v in enumerate(step.losses))
        if sc.u:
            parts, vals = paren(parts), paren(vals)
        s.add(Eqs([Eq([sym.loss, sc + parts, sc + vals, num(step.loss)])]))


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Loss")
    s.matrix(M("Lₙ", "L_n"), step.losses[:, None])
    N = len(step.examples)
    if s.problem.batch_reduction == "mean" and N > 1:
        red = M(f"(1/{N})·Σₙ Lₙ", rf"\frac{{1}}{{{N}}} \sum_n L_n")
    else:
        red = M("Σₙ Lₙ", r"\sum_n L_n")
    s.add(Eqs([Eq([s.sym.loss, red, s.fmt(step.loss)])]))
