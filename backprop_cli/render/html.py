"""The worked solution as one self-contained HTML page: MathML formulas, inline SVG figures, print CSS.

No script, no network: the page declares a Content-Security-Policy that allows
neither, and carries its style, its formulas (MathML Core, which browsers typeset
natively; see :mod:`.mathml`) and its pictures (the network drawing and, for a
training run, the loss curve, as inline SVG) inside the one file. It prints like
the LaTeX key: A4 margins, no heading at the foot of a page, an answer key on a
new page.

Every text from the problem file is written through :func:`html_text` (made
printable, then HTML-escaped) and every formula through :func:`mathml.mathml`.
"""

from __future__ import annotations

import re
from html import escape
from typing import IO

from ..trace import Trace
from . import page
from .escape import printable
from .mathml import mathml
from .mathtext import M

STYLE = """
.backprop { --ink: #1a1a1a; --rule: #c9c9c9; --accent: #7a1f5c; --soft: #f6f4f1; color: var(--ink);
  font: 17px/1.5 "Latin Modern Roman", "Computer Modern Serif", "CMU Serif", Georgia, "Times New Roman", serif; }
main.backprop { max-width: 52rem; margin: 0 auto; padding: 2.5rem 2rem 4rem; }
.backprop math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", "DejaVu Math TeX Gyre", math;
       font-size: 1.05em; }
.backprop h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 0.6rem; padding-bottom: 0.4rem;
     border-bottom: 2px solid var(--ink); }
.backprop h2 { font-size: 1.3rem; margin: 2.2rem 0 0.6rem; color: var(--accent); border-bottom: 1px solid var(--rule); }
.backprop h3 { font-size: 1.08rem; margin: 1.5rem 0 0.4rem; }
.backprop h1, .backprop h2, .backprop h3 { break-after: avoid; page-break-after: avoid; overflow-wrap: anywhere; }
.backprop h1.key { break-before: page; page-break-before: always; margin-top: 3rem; }
.backprop p { margin: 0.45rem 0; overflow-wrap: anywhere; }
.backprop p.note { font-style: italic; color: #444; }
.backprop p.result { background: var(--soft); border-left: 3px solid var(--accent); padding: 0.4rem 0.8rem; }
.backprop .eqs { display: grid; grid-template-columns: max-content auto; column-gap: 0.35em; row-gap: 0.35rem;
       margin: 0.7rem 0 0.7rem 1.5rem; align-items: baseline; }
.backprop .eqs .lhs { text-align: right; }
.backprop .eqs .rhs { min-width: 0; }
.backprop .side { display: inline-block; white-space: nowrap; margin-right: 0.3em; }
.backprop .side.value { font-weight: bold; }
.backprop .side.value math { font-weight: bold; }
.backprop .eqs .why { font-style: italic; color: #555; margin-left: 0.6em; white-space: nowrap; }
.backprop .eq { break-inside: avoid; page-break-inside: avoid; }
.backprop table.data { border-collapse: collapse; margin: 0.8rem auto; font-variant-numeric: tabular-nums; }
.backprop table.data th, .backprop table.data td { padding: 0.2rem 0.9rem; }
.backprop table.data thead th { border-top: 1.5px solid var(--ink); border-bottom: 1px solid var(--ink);
  font-weight: normal; }
.backprop table.data tbody tr:last-child td { border-bottom: 1.5px solid var(--ink); }
.backprop table.data .num { text-align: right; }
.backprop table.results th, .backprop table.results td { padding: 0.2rem 0.45rem; }
.backprop table.data td:first-child, .backprop table.data th:first-child { text-align: left; }
.backprop table.data tr { break-inside: avoid; page-break-inside: avoid; }
.backprop .matrix { margin: 0.5rem 0; padding: 0.3rem 0; overflow-x: auto; overflow-y: hidden; text-align: center;
  break-inside: avoid; page-break-inside: avoid; }
.backprop .matrix math { display: inline-block; }
.backprop .shape { color: #555; margin-left: 0.8em; }
.backprop figure { margin: 1.2rem 0; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.backprop figure svg { max-width: 100%; height: auto; }
.backprop figcaption { font-size: 0.9rem; color: #555; }
.backprop .blank { display: inline-block; min-width: 4em; border-bottom: 1px solid var(--ink); }
.backprop mi.it { font-style: italic; }
.backprop mi.bf { font-weight: bold; }
@media print {
  @page { size: A4; margin: 18mm 16mm; }
  .backprop { font-size: 11pt; }
  main.backprop { max-width: none; padding: 0; }
  .backprop h2 { color: var(--ink); }
  .backprop p.result { background: none; }
  .backprop .matrix { overflow: visible; }
  .backprop a { color: inherit; text-decoration: none; }
}
"""

PAGE_STYLE = "html { background: white; } body { margin: 0; }"

POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""No script, no font, no image and no request from anywhere: the page is complete as written."""


def html_text(s: str) -> str:
    """Text from the page (and so from the problem file) as HTML: printable, then escaped, quotes too."""
    return escape(printable(s), quote=True)


def math_html(m: M, display: bool = False) -> str:
    return mathml(m.t, display) if m.t else ""


def inline(part) -> str:
    return math_html(part) if isinstance(part, M) else html_text(str(part))


class _Page:
    """Writes blocks as HTML: one method per block type, looked up in :data:`BLOCKS`."""

    def __init__(self, trace: Trace | None, options: dict, figure=None):
        """``figure()`` gives the page's drawing as (SVG text, caption), or None for no drawing; by default the
        network's drawing."""
        self.trace, self.options = trace, options
        self.figure = figure if figure is not None else self.network_figure
        self.chunks: list[str] = []
        self.titles = 0
        self.figure_done = False

    def heading(self, h: page.Heading) -> None:
        if h.level == 2 and not self.figure_done:
            self.place_figure()
        if h.level == 1:
            self.titles += 1
        cls = ' class="key"' if h.level == 1 and self.titles > 1 else ""
        self.chunks.append(f"<h{h.level}{cls}>{html_text(h.text)}</h{h.level}>")

    def para(self, p: page.Para) -> None:
        body = "".join(inline(part) for _, part in p.parts)
        cls = {"note": "note", "notes": "note", "result": "result"}.get(p.style, "")
        self.chunks.append(f'<p class="{cls}">{body}</p>' if cls else f"<p>{body}</p>")

    def equations(self, block: page.Eqs) -> None:
        rows = []
        for eq in block.rows:
            sides = eq.shown()
            rest = "".join(
                f'<span class="side{" value" if i == len(sides) - 1 and i > 1 else ""}">= {math_html(s, True)}</span>'
                for i, s in enumerate(sides[1:], start=1)
            )
            why = f'<span class="why">({html_text(eq.note)})</span>' if eq.note else ""
            rows.append(f'<div class="lhs eq">{math_html(sides[0], True)}</div><div class="rhs eq">{rest}{why}</div>')
        self.chunks.append('<div class="eqs">' + "".join(rows) + "</div>")

    def table(self, block: page.Table) -> None:
        def cls(i: int) -> str:
            return ' class="num"' if i and block.numeric else ""

        head = "".join(f"<th{cls(i)}>{inline(h)}</th>" for i, h in enumerate(block.header))
        body = "".join(
            "<tr>" + "".join(f"<td{cls(i)}>{inline(c)}</td>" for i, c in enumerate(r)) + "</tr>" for r in block.rows
        )
        self.chunks.append(f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')

    def matrix(self, m: page.Matrix) -> None:
        from .tex import cell

        body = r" \\ ".join(" & ".join(cell(v) for v in row) for row in m.cells)
        tex = rf"{m.label.t} = \begin{{bmatrix}} {body} \end{{bmatrix}}"
        shape = f'<span class="shape">({html_text(m.shape)})</span>'
        self.chunks.append(f'<div class="matrix">{mathml(tex, True)}{shape}</div>')

    def curve(self, c: page.Curve) -> None:
        from .svgplot import svg

        self.chunks.append(figure(svg(self.trace), html_text(c.label)))

    def place_figure(self) -> None:
        """The drawing, once, before the first phase (where the page states the problem)."""
        self.figure_done = True
        drawn = self.figure()
        if drawn is not None:
            self.chunks.append(figure(*drawn))

    def network_figure(self) -> tuple[str, str]:
        from .drawing import svg

        precision = self.options.get("precision", 4)
        return svg(self.trace.problem, precision), "The network, with the names used below."

    def loss_curve_if_trained(self) -> None:
        """A run of several epochs whose page has no curve (solve of a few epochs) gets one at the end."""
        if len(self.trace.epochs) > 1 and not any('class="curve"' in c for c in self.chunks):
            from .svgplot import svg

            self.chunks.append(figure(svg(self.trace), "The loss after each epoch."))


def figure(svg_text: str, caption: str) -> str:
    # An XML prolog has no place inside HTML; a control character from a title none in a page (drawing.py and
    # svgplot.py escape markup, not controls).
    svg_text = printable(svg_text[svg_text.find("<svg") :])
    return (
        f'<figure class="curve" role="img">{svg_text}<figcaption>{caption}</figcaption></figure>'
        if "loss" in caption.lower()
        else f'<figure role="img">{svg_text}<figcaption>{caption}</figcaption></figure>'
    )


BLOCKS = {
    page.Heading: _Page.heading,
    page.Para: _Page.para,
    page.Eqs: _Page.equations,
    page.Table: _Page.table,
    page.Matrix: _Page.matrix,
    page.Curve: _Page.curve,
}
"""Block type -> its HTML. A block type missing here is an error, never a silent gap in the page."""

BLOCKS[page.Hint] = lambda writer, block: None  # advice about the tool: for the terminal only
BLOCKS[page.PageBreak] = lambda writer, block: None  # the next title starts a new printed page


def document(title: str, body: str) -> str:
    """A complete page around ``body`` (already HTML), titled ``title`` (plain text)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="backprop">\n'
        f"<title>{html_text(title)}</title>\n<style>{PAGE_STYLE}{STYLE}</style>\n</head>\n<body>\n"
        f'<main class="backprop">\n{body}\n</main>\n'
        "</body>\n</html>\n"
    )


def notebook(trace: Trace, options=None) -> str:
    """The page for Jupyter, which supplies the document around it: its style scoped to the page."""
    return f'<div class="backprop"><style>{STYLE}</style>\n{fragment(trace, options)}\n</div>'


def fragment(trace: Trace, options=None) -> str:
    """The page's body alone (for Jupyter, which supplies the document around it): style and content."""
    writer = _Page(trace, options or {})
    for block in page.build(trace, options or {}):
        BLOCKS[type(block)](writer, block)
    if not writer.figure_done:
        writer.place_figure()
    if not (options or {}).get("worksheet"):
        writer.loss_curve_if_trained()
    return "\n".join(writer.chunks)


def render(trace: Trace, out: IO[str], options=None) -> None:
    title = trace.problem.title or trace.problem.origin
    out.write(document(title, fragment(trace, options)))


def render_blocks(blocks, out: IO[str], drawing=None) -> None:
    """Lay out a list of page blocks (a computational graph's page) as one complete HTML page, titled by its first
    title. ``drawing()`` gives the figure placed before the first section as (SVG text, caption), or None."""
    title = next((b.text for b in blocks if isinstance(b, page.Heading) and b.level == 1), "backprop")
    out.write(document(title, blocks_fragment(blocks, drawing)))


def blocks_fragment(blocks, drawing=None) -> str:
    """The body of :func:`render_blocks`'s page alone."""
    writer = _Page(None, {}, drawing or (lambda: None))
    for block in blocks:
        BLOCKS[type(block)](writer, block)
    if not writer.figure_done:
        writer.place_figure()
    return "\n".join(writer.chunks)


def notebook_blocks(blocks, drawing=None) -> str:
    """A list of page blocks for Jupyter (as :func:`notebook`): the style scoped to the page."""
    return f'<div class="backprop"><style>{STYLE}</style>\n{blocks_fragment(blocks, drawing)}\n</div>'


def results_page(title: str, summary: str, header: list[str], rows: list[list[object]]) -> str:
    """A page of structured results (check's grades, one row per answer), for a course website."""
    head = "".join(f"<th>{html_text(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows)
    table = f'<table class="data results"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    return document(title, f"<h1>{html_text(title)}</h1>\n<p>{html_text(summary)}</p>\n{table}")


def notebook_results(summary: str, header: list[str], rows: list[list[object]]) -> str:
    """A results table for Jupyter (check's grades), with the page's style scoped to it."""
    page = results_page("", summary, header, rows)
    body = page[page.index("<p>") : page.rindex("</table>") + len("</table>")]
    return f'<div class="backprop"><style>{STYLE}</style>\n{body}\n</div>'


NUMBER = re.compile(r"[−+-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?")


def _cell(c: object) -> str:
    """A cell of a results table: a number set right, as in the page's tables; anything else as text."""
    text = "" if c is None else str(c)
    kind = ' class="num"' if NUMBER.fullmatch(text) else ""
    return f"<td{kind}>{html_text(text)}</td>"
