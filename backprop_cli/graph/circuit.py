"""A node's expression broken into gates: one operation each, every intermediate named.

``dot: w0*x0 + w1*x1 + w2`` becomes the gates ``dot_1 = w0·x0``, ``dot_2 = w1·x1``,
``dot_3 = dot_1 + dot_2`` and ``dot = dot_3 + w2``, in the order they are
computed (the tree's post-order). The last gate carries the node's own name.
An intermediate's name is the node's name with ``_1``, ``_2``, … (with more
underscores if the file already uses that name).
"""

from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from . import expr


class Operand(NamedTuple):
    """What a gate reads: a named value of the graph (``ref``), or a constant written in the expression."""

    ref: str | None
    const: Fraction | None = None
    text: str = ""  # the constant as written

    @property
    def is_ref(self) -> bool:
        return self.ref is not None


class Gate(NamedTuple):
    name: str  # the value it computes
    op: str  # a gates.OPS name
    operands: tuple[Operand, ...]
    node: str  # the graph node it belongs to
    final: bool  # the node's last gate (its name is the node's)
    line: int | None  # of the node in the file
    column: int | None = None


def decompose(node: str, tree: expr.Node, taken: set[str], line: int | None, column: int | None = None) -> list[Gate]:
    """The gates of ``node = tree``, in the order they are computed. Adds the new names to ``taken``."""
    gates: list[Gate] = []
    counter = [0]

    def fresh() -> str:
        counter[0] += 1
        sep = "_"
        while f"{node}{sep}{counter[0]}" in taken:
            sep += "_"
        name = f"{node}{sep}{counter[0]}"
        taken.add(name)
        return name

    def operand(t: expr.Node) -> Operand:
        if isinstance(t, expr.Num):
            return Operand(None, t.value, t.text)
        if isinstance(t, expr.Name):
            return Operand(t.name)
        return Operand(emit(t, final=False))

    def emit(t: expr.Node, final: bool) -> str:
        if isinstance(t, (expr.Num, expr.Name)):
            op, kids = "id", (t,)
        elif isinstance(t, expr.Unary):
            op, kids = t.op, (t.operand,)
        elif isinstance(t, expr.Binary):
            op, kids = t.op, (t.left, t.right)
        else:
            op, kids = t.op, t.args
        operands = tuple(operand(k) for k in kids)
        name = node if final else fresh()
        gates.append(Gate(name, op, operands, node, final, line, column))
        return name

    emit(tree, final=True)
    return gates
