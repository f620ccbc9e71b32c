"""The worked solution as a standalone LaTeX document (article, amsmath) for pdflatex: an answer key."""

from __future__ import annotations

from typing import IO

from ..trace import Trace
from . import page
from .markdown import matrix_tex
from .mathtext import M

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{booktabs}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\begin{document}
"""

# Characters that free text (titles, notes, explanations) may hold, as LaTeX that pdflatex knows.
TEXT_CHARS = {
    "σ": r"$\sigma$", "δ": r"$\delta$", "∂": r"$\partial$", "η": r"$\eta$", "μ": r"$\mu$", "α": r"$\alpha$",
    "Σ": r"$\Sigma$", "⊙": r"$\odot$", "·": r"$\cdot$", "−": "-", "→": r"$\to$", "←": r"$\leftarrow$",
    "≤": r"$\le$", "≥": r"$\ge$", "ŷ": r"$\hat y$", "Ŷ": r"$\hat Y$", "ᵀ": r"$^T$", "′": "'", "½": r"$\frac12$",
    "²": r"$^2$", "⁺": r"$^+$", "…": r"\ldots{}", "⋯": r"$\cdots$", "⋮": r"$\vdots$", "ₖ": r"$_k$", "ₙ": r"$_n$",
    "ⱼ": r"$_j$", "⁽": r"$^($", "⁾": r"$^)$", "Δ": r"$\Delta$", "×": r"$\times$", "“": "``", "”": "''", "’": "'",
    "–": "--", "—": "---", "═": "", "ε": r"$\varepsilon$", "∇": r"$\nabla$",
}
SUPERSCRIPT_DIGITS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789"))
SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
           "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}


def tex_text(s: str) -> str:
    """Free text as LaTeX: specials escaped, known Unicode as math, anything pdflatex cannot set dropped."""
    out = []
    for ch in s:
        if ch in SPECIAL:
            out.append(SPECIAL[ch])
        elif ch in TEXT_CHARS:
            out.append(TEXT_CHARS[ch])
        elif ch in SUPERSCRIPT_DIGITS:
            out.append(f"$^{SUPERSCRIPT_DIGITS[ch]}$")
        elif ord(ch) < 128 or ch.isalpha() and ord(ch) < 0x250:  # ASCII and Latin letters (T1 fonts)
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def para(p: page.Para) -> str:
    s = "".join(f"${part.t}$" if kind == "math" else tex_text(part) for kind, part in p.parts)
    return rf"\emph{{{s}}}" if p.style in ("note", "notes") else s


def cell(x) -> str:
    return f"${x.t}$" if isinstance(x, M) and x.t else tex_text(str(x))


def equations(block: page.Eqs) -> str:
    rows = []
    for eq in block.rows:
        sides = eq.shown()
        note = rf" \quad \text{{({tex_text(eq.note)})}}" if eq.note else ""
        if sum(len(s.u) for s in sides) > 75 and len(sides) > 2:  # one side per line, aligned on '='
            rows.append(sides[0].t + " &= " + r" \\ &= ".join(s.t for s in sides[1:]) + note)
        else:
            rows.append(sides[0].t + " &= " + " = ".join(s.t for s in sides[1:]) + note)
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"


def render(trace: Trace, out: IO[str], options=None) -> None:
    render_blocks(page.build(trace, options or {}), out)


def render_blocks(blocks, out: IO[str]) -> None:
    """Lay out a list of page blocks (also those of a computational graph's page)."""
    chunks = [PREAMBLE]
    for block in blocks:
        if isinstance(block, page.Heading):
            command = {1: "section*", 2: "subsection*", 3: "subsubsection*"}[block.level]
            chunks.append(rf"\{command}{{{tex_text(block.text)}}}")
        elif isinstance(block, page.Para):
            chunks.append(para(block) + "\n")
        elif isinstance(block, page.Eqs):
            chunks.append(equations(block))
        elif isinstance(block, page.Table):
            cols = "l" + ("r" if block.numeric else "l") * (len(block.header) - 1)
            lines = [rf"\begin{{tabular}}{{{cols}}}", r"\toprule", " & ".join(cell(h) for h in block.header) + r" \\", r"\midrule"]
            lines += [" & ".join(cell(c) for c in row) + r" \\" for row in block.rows]
            lines += [r"\bottomrule", r"\end{tabular}", ""]
            chunks.append("\\begin{center}\n" + "\n".join(lines) + "\\end{center}")
        elif isinstance(block, page.Matrix):
            chunks.append(r"\[ " + matrix_tex(block) + r" \]")
        elif isinstance(block, page.Curve):
            pass
    chunks.append(r"\end{document}")
    out.write("\n".join(chunks) + "\n")
