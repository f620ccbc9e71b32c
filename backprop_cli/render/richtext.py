"""The worked solution in the terminal: Rich, or plain text without colour off a terminal.

Rich decides colour: none when the output is not a terminal or when NO_COLOR
is set. Off a terminal the page is laid out for 80 columns.

Every text goes to Rich as a :class:`~rich.text.Text` built from :func:`term`, never as
a string Rich would read as markup (a layer named ``[/]``), and without the control
characters that would let a title move the cursor, recolour or retitle the terminal.
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
from .escape import printable
from .mathtext import MINUS, M

NAME = "bold cyan"
VALUE = "bold"
NOTE = "italic dim"


class _Console(Console):
    """A Console that leaves a closed pipe (| head) to the CLI, which ends quietly like every format."""

    def on_broken_pipe(self) -> None:
        raise BrokenPipeError


term = printable
"""Text from the page (and so from the problem file) as it may reach a terminal."""


def _cell(x, style: str = "") -> Text:
    return Text(term(x.u if isinstance(x, M) else str(x)), style)


def equation(eq: page.Eq, width: int) -> Text:
    """s0 = s1 = s2 on one line if it fits, else each later side on its own line under the first '='."""
    sides = [term(s.u) for s in eq.shown()]
    note = f"   ({term(eq.note)})" if eq.note else ""
    lhs = sides[0]
    t = Text()
    t.append(lhs, NAME)
    fits = len(" = ".join(sides) + note) + 2 <= width
    pad = " " * len(lhs)
    for i, s in enumerate(sides[1:], start=1):
        if i > 1 and not fits:
            t.append("\n" + pad)
        t.append(" = ")
        t.append(s, VALUE if i == len(sides) - 1 else "")
    if note:
        t.append(note, NOTE)
    return t


def matrix_lines(m: page.Matrix) -> Text:
    widths = [max(len(row[c]) for row in m.cells) for c in range(len(m.cells[0]))]
    name = term(m.label.u)
    label = f"{name} ({m.shape}) = "
    t = Text()
    rows = len(m.cells)
    for r, row in enumerate(m.cells):
        left, right = ("[", "]") if rows == 1 else ("⎡", "⎤") if r == 0 else ("⎣", "⎦") if r == rows - 1 else ("⎢", "⎥")
        prefix = label if r == (rows - 1) // 2 else " " * len(label)
        if r:
            t.append("\n")
        t.append(prefix[: len(name)], NAME if prefix.strip() else "")
        t.append(prefix[len(name) :])
        cells = (v.replace("-", MINUS).rjust(w) for v, w in zip(row, widths, strict=True))  # U+2212, as in prose
        t.append(left + " " + "  ".join(cells) + " " + right)
    return t


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], width: int) -> tuple[str, bool]:
    """Values as a line of block characters, and whether the scale is logarithmic.

    The scale follows :func:`.logscale.use_log_scale`, the rule of the --plot SVG, decided on all the values before
    a long curve is thinned to ``width`` (one character per bucket: the bucket's last value). On a log scale a loss
    of exactly 0 sits on the bottom; NaN, an infinity or a missing value is a blank, never a crash or a full bar.
    """
    import math

    from .logscale import use_log_scale

    log = use_log_scale(values)
    if len(values) > width:
        step = len(values) / width
        values = [values[min(len(values) - 1, int((i + 1) * step) - 1)] for i in range(width)]
    finite = [v is not None and math.isfinite(v) for v in values]
    shown = [(math.log10(v) if v > 0 else None) if log else v for v, ok in zip(values, finite, strict=True) if ok]
    drawn = [v for v in shown if v is not None]
    lo = min(drawn, default=0.0)
    span = (max(drawn, default=0.0) - lo) or 1.0
    bars = iter(SPARK[0] if v is None else SPARK[int((v - lo) / span * (len(SPARK) - 1) + 0.5)] for v in shown)
    return "".join(next(bars) if ok else " " for ok in finite), log


class _Page:
    """Writes blocks to one console: one method per block type, looked up in :data:`BLOCKS`."""

    def __init__(self, console: Console):
        self.console = console
        self.width = min(console.width, 100)

    def print(self, *things, **kw) -> None:
        self.console.print(*things, width=self.width, **kw)

    def heading(self, block: page.Heading) -> None:
        title = term(block.text)
        if block.level == 3:
            self.print()
            self.print(Text(title, "bold underline"))
            return
        style, rule = ("bold", "═") if block.level == 1 else ("bold magenta", "─")
        if block.level == 2:
            self.print()
        if len(title) + 6 <= self.width:  # a rule with the title in it
            align = "center" if block.level == 1 else "left"
            self.print(Rule(Text(title, style), style=style.split()[-1], characters=rule, align=align))
        else:  # too long for one line: wrapped under a plain rule, never cut with "…"
            self.print(Rule(style=style.split()[-1], characters=rule))
            self.print(Text(title, style))

    def para(self, block: page.Para) -> None:
        t = Text()
        for kind, part in block.parts:
            t.append(term(part.u if isinstance(part, M) else part), NAME if kind == "math" else "")
        if block.style in ("note", "notes"):
            t.stylize(NOTE)
        self.print(t)

    def equations(self, block: page.Eqs) -> None:
        for eq in block.rows:
            self.print(equation(eq, self.width), overflow="fold")

    def table(self, block: page.Table) -> None:
        table = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for i, h in enumerate(block.header):
            table.add_column(
                _cell(h), justify="left" if i == 0 or not block.numeric else "right", style=NAME if i == 0 else ""
            )
        for row in block.rows:
            table.add_row(*(_cell(c) for c in row))
        self.print(table)

    def matrix(self, block: page.Matrix) -> None:
        self.print(matrix_lines(block), overflow="fold")

    def curve(self, block: page.Curve) -> None:
        line, log = sparkline(block.values, max(10, self.width - 4))
        self.print(Text(f"{term(block.label)}{' (log scale)' if log else ''}:", "bold"))
        self.print(Text(line, "green"))


BLOCKS = {
    page.Heading: _Page.heading,
    page.Para: _Page.para,
    page.Eqs: _Page.equations,
    page.Table: _Page.table,
    page.Matrix: _Page.matrix,
    page.Curve: _Page.curve,
}
"""Block type -> how it is printed. A block type missing here is an error, never a silent gap in the page."""

BLOCKS[page.Hint] = lambda writer, block: writer.para(page.Para(block.parts, page.Style.NOTE))  # terminal advice
BLOCKS[page.PageBreak] = lambda writer, block: None  # the next title's rule starts the answer key


def render(trace: Trace, out: IO[str], options=None) -> None:
    render_blocks(page.build(trace, options or {}), out, options)


def render_blocks(blocks, out: IO[str], options=None) -> None:
    """Lay out a list of page blocks (also those of a computational graph's page)."""
    options = options or {}
    # The Python API says color=False (plain text) or True (ANSI colours); the command line leaves it to Rich.
    colour = {False: {"color_system": None}, True: {"force_terminal": True}}.get(options.get("color"), {})
    console = _Console(
        file=out, highlight=False, emoji=False, soft_wrap=False, markup=False, force_jupyter=False, **colour
    )
    writer = _Page(console)
    for block in blocks:
        BLOCKS[type(block)](writer, block)
