"""The page being written: the trace it reads, how numbers and names are written, and the blocks so far.

Each phase module (forward, loss, backward, update) writes into a
:class:`Sheet` with its ``add``; the conductor (page.py) decides the order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..problem import Problem
from ..trace import StepRecord, Trace
from .blocks import Block, Heading, Matrix
from .mathtext import EMPTY, MINUS, M, Numbers, fill, join
from .symbols import LOSS, Symbols, partial


@dataclass
class Options:
    precision: int = 4
    detail: str = "auto"  # auto | scalar | matrix
    every: int = 0  # 0: choose a round step that keeps the loss table short
    notation: str = "auto"  # auto | fixed | sci


def small_enough(problem: Problem) -> bool:
    """Scalar detail reads well up to about this size; beyond it, matrices do."""
    params = sum(layer.W.size + (layer.units if layer.b is not None else 0) for layer in problem.layers)
    per_update = max(len(b) for b in problem.batches())
    return (
        params <= 40
        and per_update <= 4
        and max(layer.units for layer in problem.layers) <= 6
        and problem.X.shape[1] <= 6
    )


def elide(values: np.ndarray, fmt, max_rows: int = 8, max_cols: int = 6) -> list[list[str]]:
    """Format a matrix, eliding the middle of a large one (⋯ for columns, ⋮ for rows)."""
    rows, cols = values.shape
    ri = list(range(rows)) if rows <= max_rows else list(range(4)) + [None] + list(range(rows - 2, rows))
    ci = list(range(cols)) if cols <= max_cols else list(range(3)) + [None] + list(range(cols - 2, cols))
    out = []
    for r in ri:
        if r is None:
            out.append(["⋮" if c is not None else "⋱" for c in ci])
        else:
            out.append(["⋯" if c is None else fmt(values[r, c]) for c in ci])
    return out


def ascii_text(fmt: Numbers, given: bool = False):
    """A matrix cell's text with an ASCII minus (8.771e-3): the renderers parse matrix cells as such today."""
    if given:
        return lambda x: fmt.given(x).u.replace(MINUS, "-")
    return lambda x: fmt.text(x).replace(MINUS, "-")


class Sheet:
    """The page of one trace as it is written: ``fmt`` writes numbers, ``sym`` names, ``blocks`` the page."""

    def __init__(self, trace: Trace, options: Options):
        self.trace = trace
        self.problem = trace.problem
        self.opt = options
        self.fmt = Numbers(options.precision, options.notation)
        self.sym = Symbols(self.problem)
        detail = options.detail
        self.scalar = detail == "scalar" or (detail == "auto" and small_enough(self.problem))
        self.blocks: list[Block] = []

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    @property
    def sub_phases(self) -> bool:
        """Several updates: each has its own heading, and the phases are parts of it."""
        return self.problem.epochs > 1 or len(self.problem.batches()) > 1

    def phase(self, title: str) -> None:
        self.add(Heading(2 if not self.sub_phases else 3, title))

    def matrix(self, label: M, values: np.ndarray, given: bool = False) -> None:
        """A matrix of computed values, or (given) of values the file wrote, shown as written."""
        self.add(Matrix(label, f"{values.shape[0]}×{values.shape[1]}", elide(values, ascii_text(self.fmt, given))))

    def val(self, x: float, file: float | None = None) -> M:
        """A number: as the file wrote it when it is the file's value ``file`` (a given), else to --precision."""
        return self.fmt.given(x) if file is not None and x == file else self.fmt(x)

    def pval(self, x: float, file: float | None = None) -> M:
        """:meth:`val`, parenthesised when negative."""
        return self.fmt.given_p(x) if file is not None and x == file else self.fmt.p(x)

    def input_value(self, li: int, fwd, n: int, i: int, row: int, paren: bool = True) -> M:
        """Input i of layer li for example n (data row ``row``): a given x of the file for the first layer."""
        file = self.problem.X[row, i] if li == 0 else None
        return self.pval(fwd.a_in[n, i], file) if paren else self.val(fwd.a_in[n, i], file)

    def kink_note(self, li: int, j: int, z: float) -> str:
        """Which branch of a piecewise activation unit j of layer li took."""
        return f"since net_{self.sym.units[li][j]} {'>' if z > 0 else '≤'} 0"

    def term(self, k: int, value: float) -> M:
        """The k-th term of a sum: the first as it is, later negative ones in parentheses."""
        return self.fmt(value) if k == 0 else self.fmt.p(value)

    def scale(self, step: StepRecord) -> M:
        """The batch reduction's factor in front of a sum over the update's examples: (1/N)·, or nothing."""
        N = len(step.examples)
        if N > 1 and self.problem.batch_reduction == "mean":
            return M(f"(1/{N})·", rf"\frac{{1}}{{{N}}}")
        return EMPTY


def architecture(problem: Problem) -> str:
    """The network in one line: the inputs, then each layer's units and activation: 2 → 3 (f) → 1 (g)."""
    parts = [str(problem.X.shape[1])]
    parts += [f"{layer.units} ({layer.activation.name})" for layer in problem.layers]
    return " → ".join(parts)


def unit_placeholders(s: Sheet, li: int, fwd, rec, n: int) -> tuple[list[dict], list[dict]]:
    """The placeholders of the activation templates of layer li for example n: names, then numbers, per unit.

    Each unit's dict holds $z, $pz, $negz, $a, $pa (and $g, $pg when ``rec``, the backward record, is
    given), the activation's parameters (symbol / value) and its sums over the layer's units.
    """
    layer = s.problem.layers[li]
    sym, num = s.sym, s.fmt
    act = layer.activation
    names, numbers = [], []
    for j in range(layer.units):
        net, out = sym.net(li, j), sym.out(li, j)
        z, a = fwd.z[n, j], fwd.a[n, j]
        names.append(dict(z=net, pz=net, negz=M(f"−{net.u}", f"-{net.t}"), a=out, pa=out))
        numbers.append(dict(z=num(z), pz=num.p(z), negz=num(-z), a=num(a), pa=num.p(a)))
        if rec is not None:
            g = partial(LOSS, out)
            names[-1].update(g=g, pg=g)
            numbers[-1].update(g=num(rec.dL_da[n, j]), pg=num.p(rec.dL_da[n, j]))
    for side in (names, numbers):
        sums = {key: join(fill(tpl, **unit) for unit in side) for key, tpl in act.sums.items()}
        for unit in side:
            unit.update(sums)
    for name, value in layer.activation_params.items():
        for unit in names:
            unit[name] = M(*act.params[name].symbol)
        for unit in numbers:
            unit[name] = num(value)
    return names, numbers
