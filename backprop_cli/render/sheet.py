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
from .mathtext import EMPTY, M, Numbers
from .symbols import Symbols


@dataclass
class Options:
    precision: int = 4
    detail: str = "auto"  # auto | scalar | matrix
    every: int = 0  # 0: choose a round step that keeps the loss table short


def small_enough(problem: Problem) -> bool:
    """Scalar detail reads well up to about this size; beyond it, matrices do."""
    params = sum(layer.W.size + (layer.units if layer.b is not None else 0) for layer in problem.layers)
    per_update = max(len(b) for b in problem.batches())
    return (params <= 40 and per_update <= 4 and max(layer.units for layer in problem.layers) <= 6
            and problem.X.shape[1] <= 6)


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


class Sheet:
    """The page of one trace as it is written: ``fmt`` writes numbers, ``sym`` names, ``blocks`` the page."""

    def __init__(self, trace: Trace, options: Options):
        self.trace = trace
        self.problem = trace.problem
        self.opt = options
        self.fmt = Numbers(options.precision)
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

    def matrix(self, label: M, values: np.ndarray) -> None:
        self.add(Matrix(label, f"{values.shape[0]}×{values.shape[1]}", elide(values, self.fmt.text)))

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
    """The network in one line: 2 → 2 (sigmoid) → 2 (sigmoid)."""
    parts = [str(problem.X.shape[1])]
    parts += [f"{layer.units} ({layer.activation.name})" for layer in problem.layers]
    return " → ".join(parts)
