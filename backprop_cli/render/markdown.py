"""The worked solution as GitHub-flavoured Markdown with $…$ and $$…$$ math (GitHub, Jupyter).

Text from the problem file is escaped by :func:`md_text` (no emphasis, link, image,
raw HTML or entity can form from a title or a name) and math by :func:`md_math`
(see :mod:`.tex`: nothing but typesetting, and no ``<`` a browser could read as a tag).
"""

from __future__ import annotations

import re
from typing import IO

from ..trace import Trace
from . import page, tex
from .escape import printable
from .mathtext import M

MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$|&~#!])")


def md_text(s: str) -> str:
    """Plain text made safe for Markdown: every character that could start markup is backslash-escaped."""
    return MD_SPECIAL.sub(r"\\\1", printable(s))


def md_math(m: M) -> str:
    """The LaTeX side of a piece of math for MathJax/KaTeX; written so that no tag, link or table cell can form."""
    return tex.math(m.t, mathjax=True)


def parts(p: page.Para) -> str:
    out = "".join(f"${md_math(part)}$" if kind == "math" else md_text(part) for kind, part in p.parts)
    return f"*{out}*" if p.style in ("note", "notes") and out else out


def cell(x) -> str:
    if isinstance(x, M):
        return f"${md_math(x)}$" if x.t else ""
    return md_text(str(x))


def heading(h: page.Heading) -> str:
    return "#" * h.level + " " + md_text(h.text)


def equations(block: page.Eqs) -> str:
    rows = []
    for eq in block.rows:
        sides = [md_math(s) for s in eq.shown()]
        line = sides[0] + " &= " + " = ".join(sides[1:])
        if eq.note:
            line += r" \quad \text{" + tex.text_arg(f"({eq.note})", mathjax=True) + "}"
        rows.append(line)
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def table(block: page.Table) -> str:
    header = "| " + " | ".join(cell(h) for h in block.header) + " |"
    align = "|" + "|".join(":--" if i == 0 or not block.numeric else "--:" for i in range(len(block.header))) + "|"
    rows = ["| " + " | ".join(cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join([header, align, *rows])


def matrix_tex(m: page.Matrix) -> str:
    body = r" \\ ".join(" & ".join(tex.cell(v) for v in row) for row in m.cells)
    shape = m.shape.replace("×", r" \times ")
    return rf"{md_math(m.label)} = \begin{{bmatrix}} {body} \end{{bmatrix}} \quad ({shape})"


def matrix(m: page.Matrix) -> str:
    return "$$\n" + matrix_tex(m) + "\n$$"


def curve(c: page.Curve) -> str:
    return ""  # the loss table above carries the numbers; a picture needs --plot


BLOCKS = {
    page.Heading: heading,
    page.Para: parts,
    page.Eqs: equations,
    page.Table: table,
    page.Matrix: matrix,
    page.Curve: curve,
}
"""Block type -> its Markdown. A block type missing here is an error, never a silent gap in the page."""

BLOCKS[page.Hint] = lambda block: ""  # advice about the tool: for the terminal only
BLOCKS[page.PageBreak] = lambda block: ""  # the next title comes after a rule


def render(trace: Trace, out: IO[str], options=None) -> None:
    render_blocks(page.build(trace, options or {}), out)


def render_blocks(blocks, out: IO[str]) -> None:
    """Lay out a list of page blocks (also those of a computational graph's page)."""
    chunks = [BLOCKS[type(block)](block) for block in blocks]
    titles = [i for i, b in enumerate(blocks) if isinstance(b, page.Heading) and b.level == 1]
    for i in titles[1:]:  # a second title (a worksheet's answer key) after a rule
        chunks[i] = "---\n\n" + chunks[i]
    out.write("\n\n".join(c for c in chunks if c) + "\n")
