"""The worked solution as GitHub-flavoured Markdown with $…$ and $$…$$ math (GitHub, Jupyter)."""

from __future__ import annotations

import re
from typing import IO

from ..trace import Trace
from . import page
from .mathtext import M


def md_text(s: str) -> str:
    """Plain text made safe for Markdown: characters that would start emphasis, code or math are escaped."""
    return re.sub(r"([\\`*_\[\]<>$|])", r"\\\1", s)


def parts(p: page.Para) -> str:
    out = "".join(f"${part.t}$" if kind == "math" else md_text(part) for kind, part in p.parts)
    return f"*{out}*" if p.style in ("note", "notes") else out


def cell(x) -> str:
    if isinstance(x, M):
        return f"${x.t}$" if x.t else ""
    return md_text(str(x))


def equations(block: page.Eqs) -> str:
    rows = []
    for eq in block.rows:
        sides = eq.shown()
        line = sides[0].t + " &= " + " = ".join(s.t for s in sides[1:])
        if eq.note:
            line += rf" \quad \text{{({eq.note})}}"
        rows.append(line)
    return "$$\n\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}\n$$"


def tex_cell(v: str) -> str:
    if v in ("⋯", "⋮", "⋱"):
        return {"⋯": r"\cdots", "⋮": r"\vdots", "⋱": r"\ddots"}[v]
    if "e" in v:
        mantissa, exp = v.split("e")
        return rf"{mantissa} \times 10^{{{int(exp)}}}"
    return v


def matrix_tex(m: page.Matrix) -> str:
    body = r" \\ ".join(" & ".join(tex_cell(v) for v in row) for row in m.cells)
    shape = m.shape.replace("×", r" \times ")
    return rf"{m.label.t} = \begin{{bmatrix}} {body} \end{{bmatrix}} \quad ({shape})"


def render(trace: Trace, out: IO[str], options=None) -> None:
    render_blocks(page.build(trace, options or {}), out)


def render_blocks(blocks, out: IO[str]) -> None:
    """Lay out a list of page blocks (also those of a computational graph's page)."""
    chunks: list[str] = []
    for block in blocks:
        if isinstance(block, page.Heading):
            chunks.append("#" * block.level + " " + md_text(block.text))
        elif isinstance(block, page.Para):
            chunks.append(parts(block))
        elif isinstance(block, page.Eqs):
            chunks.append(equations(block))
        elif isinstance(block, page.Table):
            header = "| " + " | ".join(cell(h) for h in block.header) + " |"
            align = "|" + "|".join(":--" if i == 0 or not block.numeric else "--:" for i in range(len(block.header))) + "|"
            rows = ["| " + " | ".join(cell(c) for c in row) + " |" for row in block.rows]
            chunks.append("\n".join([header, align, *rows]))
        elif isinstance(block, page.Matrix):
            chunks.append("$$\n" + matrix_tex(block) + "\n$$")
        elif isinstance(block, page.Curve):
            pass  # the loss table above carries the numbers; a picture needs --plot
    out.write("\n\n".join(chunks) + "\n")
