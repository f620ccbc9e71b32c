"""The worked solution in the terminal: Rich, or plain text without colour off a terminal.

Rich decides colour: none when the output is not a terminal or when NO_COLOR
is set. Off a terminal the page is laid out for 80 columns.
"""

from __future__ import annotations

from typing import IO

from rich import box
from rich.console import Console
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from ..trace import Trace
from . import page
from .mathtext import M

NAME = "bold cyan"
VALUE = "bold"
NOTE = "italic dim"


class _Console(Console):
    """A Console that leaves a closed pipe (| head) to the CLI, which ends quietly like every format."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


def _cell(x) -> str:
    return x.u if isinstance(x, M) else str(x)


def equation(eq: page.Eq, width: int) -> Text:
    """s0 = s1 = s2 on one line if it fits, else each later side on its own line under the first '='."""
    sides = eq.shown()
    lhs = sides[0].u
    one_line = " = ".join(s.u for s in sides) + (f"   ({eq.note})" if eq.note else "")
    t = Text()
    t.append(lhs, NAME)
    if len(one_line) + 2 <= width:
        for i, s in enumerate(sides[1:], start=1):
            t.append(" = ")
            t.append(s.u, VALUE if i == len(sides) - 1 else "")
    else:
        pad = " " * len(lhs)
        for i, s in enumerate(sides[1:], start=1):
            if i > 1:
                t.append("\n" + pad)
            t.append(" = ")
            t.append(s.u, VALUE if i == len(sides) - 1 else "")
    if eq.note:
        t.append(f"   ({eq.note})", NOTE)
    return t


def matrix_lines(m: page.Matrix) -> Text:
    widths = [max(len(row[c]) for row in m.cells) for c in range(len(m.cells[0]))]
    label = f"{m.label.u} ({m.shape}) = "
    t = Text()
    rows = len(m.cells)
    for r, row in enumerate(m.cells):
        left, right = ("[", "]") if rows == 1 else ("⎡", "⎤") if r == 0 else ("⎣", "⎦") if r == rows - 1 else ("⎢", "⎥")
        prefix = label if r == (rows - 1) // 2 else " " * len(label)
        if r:
            t.append("\n")
        t.append(prefix[: len(m.label.u)], NAME if prefix.strip() else "")
        t.append(prefix[len(m.label.u):])
        t.append(left + " " + "  ".join(v.rjust(w) for v, w in zip(row, widths)) + " " + right)
    return t


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int) -> tuple[str, bool]:
    """Values as a line of block characters (log scale when they span more than two decades)."""
    import math

    if len(values) > width:  # one character per bucket: the bucket's last value
        step = len(values) / width
        values = [values[min(len(values) - 1, int((i + 1) * step) - 1)] for i in range(width)]
    log = min(values) > 0 and max(values) / min(values) > 100
    vals = [math.log10(v) for v in values] if log else values
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1.0
    return "".join(SPARK[int((v - lo) / span * (len(SPARK) - 1) + 0.5)] for v in vals), log


def render(trace: Trace, out: IO[str], options=None) -> None:
    render_blocks(page.build(trace, options or {}), out)


def render_blocks(blocks, out: IO[str]) -> None:
    """Lay out a list of page blocks (also those of a computational graph's page)."""
    console = _Console(file=out, highlight=False, emoji=False, soft_wrap=False)
    width = min(console.width, 100)
    for block in blocks:
        if isinstance(block, page.Heading):
            if block.level == 1:
                console.print(Rule(Text(block.text, "bold"), style="bold", characters="═"), width=width)
            elif block.level == 2:
                console.print()
                console.print(Rule(Text(block.text, "bold magenta"), align="left", style="magenta"), width=width)
            else:
                console.print()
                console.print(Text(block.text, "bold underline"), width=width)
        elif isinstance(block, page.Para):
            t = Text()
            for kind, part in block.parts:
                t.append(part.u if isinstance(part, M) else part, NAME if kind == "math" else "")
            if block.style in ("note", "notes"):
                t.stylize(NOTE)
            console.print(t, width=width)
        elif isinstance(block, page.Eqs):
            for eq in block.rows:
                console.print(equation(eq, width), width=width, overflow="fold")
        elif isinstance(block, page.Table):
            table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            for i, h in enumerate(block.header):
                table.add_column(_cell(h), justify="left" if i == 0 or not block.numeric else "right",
                                 style=NAME if i == 0 else "")
            for row in block.rows:
                table.add_row(*(_cell(c) for c in row))
            console.print(table, width=width)
        elif isinstance(block, page.Matrix):
            console.print(matrix_lines(block), width=width, overflow="fold")
        elif isinstance(block, page.Curve):
            line, log = sparkline(block.values, max(10, width - 4))
            console.print(Text(f"{block.label}{' (log scale)' if log else ''}:", "bold"), width=width)
            console.print(Text(line, "green"), width=width)
