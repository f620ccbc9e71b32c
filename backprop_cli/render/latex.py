"""The worked solution as a standalone LaTeX document (article, amsmath) for pdflatex: an answer key.

Everything from the problem file reaches the document through :mod:`.tex`: free text
through :func:`tex_text`, math through :func:`tex_math`. Nothing in a file a student
sends can make pdflatex read a file or run a command, and every title compiles.
"""

from __future__ import annotations

from typing import IO

from ..trace import Trace
from . import page, tex
from .mathtext import M

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{booktabs}
\usepackage{graphicx}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
% A wide matrix is scaled down to the text width, never past the margin.
\newcommand{\fitwidth}[1]{\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{#1}}
\begin{document}
"""

tex_text = tex.text
"""Free text (titles, notes, names in prose) as LaTeX."""


def tex_math(m: M) -> str:
    """The LaTeX side of a piece of math, with nothing in it that could do more than typeset."""
    return tex.math(m.t)


def para(p: page.Para) -> str:
    s = "".join(f"${tex_math(part)}$" if kind == "math" else tex_text(part) for kind, part in p.parts)
    return (rf"\emph{{{s}}}" if p.style in ("note", "notes") else s) + "\n"


def cell(x) -> str:
    return f"${tex_math(x)}$" if isinstance(x, M) and x.t else tex_text(str(x))


def heading(h: page.Heading, first: bool = True) -> str:
    """A section; a second title (a worksheet's answer key) starts a new page."""
    command = {1: "section*", 2: "subsection*", 3: "subsubsection*"}[h.level]
    return ("" if first or h.level > 1 else "\\clearpage\n") + rf"\{command}{{{tex_text(h.text)}}}"


def equations(block: page.Eqs) -> str:
    rows = []
    for eq in block.rows:
        sides = [tex_math(s) for s in eq.shown()]
        note = rf" \quad \text{{({tex_text(eq.note)})}}" if eq.note else ""
        long = sum(len(s.u) for s in eq.shown()) > 75 and len(sides) > 2  # one side per line, aligned on '='
        rows.append(sides[0] + " &= " + (r" \\ &= " if long else " = ").join(sides[1:]) + note)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def table(block: page.Table) -> str:
    cols = "l" + ("r" if block.numeric else "l") * (len(block.header) - 1)
    header = " & ".join(cell(h) for h in block.header) + r" \\"
    lines = [rf"\begin{{tabular}}{{{cols}}}", r"\toprule", header, r"\midrule"]
    lines += [" & ".join(cell(c) for c in row) + r" \\" for row in block.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\\begin{center}\n\\fitwidth{" + "\n".join(lines) + "}\n\\end{center}"


def matrix(m: page.Matrix) -> str:
    """label = [matrix] (shape), scaled to the text width when it is wider (a 10-column gradient in 1e-4s)."""
    body = r" \\ ".join(" & ".join(tex.cell(v) for v in row) for row in m.cells)
    shape = tex_text(m.shape)
    return (
        rf"\[ \fitwidth{{$\displaystyle {tex_math(m.label)} = \begin{{bmatrix}} {body} \end{{bmatrix}}"
        rf" \quad \text{{({shape})}}$}} \]"
    )


def curve(c: page.Curve) -> str:
    return ""  # the loss table carries the numbers; a picture needs --plot


BLOCKS = {
    page.Heading: heading,
    page.Para: para,
    page.Eqs: equations,
    page.Table: table,
    page.Matrix: matrix,
    page.Curve: curve,
}
"""Block type -> its LaTeX. A block type missing here is an error, never a silent gap in the key."""

BLOCKS[page.Hint] = lambda block: ""  # advice about the tool: for the terminal only
BLOCKS[page.PageBreak] = lambda block: ""  # the next title starts a new page


def render(trace: Trace, out: IO[str], options=None) -> None:
    render_blocks(page.build(trace, options or {}), out)


def render_blocks(blocks, out: IO[str]) -> None:
    """Lay out a list of page blocks (also those of a computational graph's page)."""
    chunks = [PREAMBLE]
    titles = 0
    for block in blocks:
        if isinstance(block, page.Heading) and block.level == 1:
            titles += 1
            chunks.append(heading(block, first=titles == 1))
            continue
        chunks.append(BLOCKS[type(block)](block))
    chunks.append(r"\end{document}")
    out.write("\n".join(c for c in chunks if c) + "\n")
