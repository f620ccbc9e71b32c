"""The network as a picture (backprop draw): units as labelled circles in columns, edges with their weights.

Names are those of the worked solution (x1, h1, o1; w1, w2, … numbered as the
problem file writes them; b1, b2, …), so the figure and the solution match.
Plain SVG, no extra dependency. Edge labels are left off when a layer has more
than 36 connections (they would cover each other); the weights are in the file.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..problem import Problem
from .mathtext import Numbers
from ..names import Names

R = 22  # unit radius
COLUMN = 230  # distance between columns
ROW = 92  # distance between units of a column
MAX_LABELLED = 36


def svg(problem: Problem, precision: int = 4) -> str:
    names = Names(problem)
    num = Numbers(precision)
    columns = [names.inputs] + names.units
    tallest = max(len(c) for c in columns)
    width = 80 + COLUMN * (len(columns) - 1) + 80
    height = 110 + ROW * tallest + 40

    def pos(c: int, j: int) -> tuple[float, float]:
        n = len(columns[c])
        top = 100 + (tallest - n) * ROW / 2
        return 80 + c * COLUMN, top + j * ROW + R

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="26" text-anchor="middle" font-size="15">{escape(problem.title or "network")}</text>']
    # column headings
    out.append(f'<text x="{pos(0, 0)[0]}" y="62" text-anchor="middle" fill="#555">inputs</text>')
    for l, layer in enumerate(problem.layers, start=1):
        params = "".join(f", α={num.text(v)}" for v in layer.activation_params.values())
        out.append(f'<text x="{pos(l, 0)[0]}" y="62" text-anchor="middle" fill="#555">'
                   f'layer {l} ({escape(layer.activation.name)}{params})</text>')
    # edges first, so circles cover their ends
    for l, layer in enumerate(problem.layers):
        labelled = layer.units * layer.n_in <= MAX_LABELLED
        for j in range(layer.units):
            for i in range(layer.n_in):
                (x1, y1), (x2, y2) = pos(l, i), pos(l + 1, j)
                out.append(f'<line x1="{x1 + R}" y1="{y1}" x2="{x2 - R}" y2="{y2}" stroke="#8aa" stroke-width="1.2"/>')
                if labelled:
                    t = 0.3 if layer.n_in > 1 else 0.5  # along the edge, nearer the input: less crowding
                    lx, ly = x1 + R + (x2 - x1 - 2 * R) * t, y1 + (y2 - y1) * t
                    label = f"{names.weights[l][j, i]} = {num.text(layer.W[j, i])}"
                    out.append(f'<text x="{lx:.1f}" y="{ly - 4:.1f}" text-anchor="middle" fill="#235">{escape(label)}</text>')
    # units
    for c, col in enumerate(columns):
        for j, label in enumerate(col):
            x, y = pos(c, j)
            fill = "#eef5ff" if c == 0 else "#fff7e6" if c == len(columns) - 1 else "#eefbea"
            out.append(f'<circle cx="{x}" cy="{y}" r="{R}" fill="{fill}" stroke="#345" stroke-width="1.5"/>')
            out.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-size="13">{escape(label)}</text>')
            if c > 0:
                layer = problem.layers[c - 1]
                if layer.b is not None:
                    b = f"{names.biases[c - 1][j]} = {num.text(layer.b[j])}"
                    out.append(f'<text x="{x}" y="{y - R - 6}" text-anchor="middle" fill="#a33">{escape(b)}</text>')
    if any(l.units * l.n_in > MAX_LABELLED for l in problem.layers):
        out.append(f'<text x="{width / 2}" y="{height - 14}" text-anchor="middle" fill="#777">'
                   'edge labels left off where a layer has more than 36 weights; the problem file holds them</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
