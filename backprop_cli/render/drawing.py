"""The network as a picture (backprop draw): units as labelled circles in columns, edges with their weights.

Names are those of the worked solution (x1, h1, o1; w1, w2, … numbered as the
problem file writes them; b1, b2, …), so the figure and the solution match.
Plain SVG, no extra dependency.

Each weight's label sits on its own edge, on a white halo, at the first place
along the edge where it covers no other label and no unit (tried from the
middle outwards). When one label of a layer finds no such place (a 2-10-10-1
network has 20 input edges in a narrow fan), the layer's edges stay unlabelled
and its weights are listed in a table under the picture instead: a row per
unit, a column per input, as in the problem file's out_in layout. Every text
from the file is escaped, control characters included (:mod:`.xmltext`).
"""

from __future__ import annotations

from ..names import Names
from ..problem import Problem
from .mathtext import Numbers
from .xmltext import text as xml

R = 22  # unit radius
COLUMN = 230  # distance between columns
ROW = 92  # distance between units of a column
MARGIN = 80
TOP = 100  # the first unit's top
CHAR = 6.8  # width of a character of the 12 px labels (Helvetica's average, rounded up)
LINE = 18  # a table row
MAX_PLACED = 200  # edges of a layer whose labels are placed at most; more go to the table at once
MAX_TABLE = 400  # weights of a layer listed in a table at most; a larger layer refers to the problem file
ALONG = (0.5, 0.38, 0.62, 0.28, 0.72, 0.44, 0.56, 0.22, 0.78, 0.33, 0.67)

Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_box(x: float, y: float, label: str) -> Box:
    half = len(label) * CHAR / 2 + 2
    return (x - half, y - 9, x + half, y + 5)


class _Layout:
    """Positions of the units, and the boxes already taken by circles and labels."""

    def __init__(self, problem: Problem, names: Names):
        self.columns = [names.inputs] + names.units
        self.tallest = max(len(c) for c in self.columns)
        self.width = 2 * MARGIN + COLUMN * (len(self.columns) - 1)
        self.taken: list[Box] = []
        for c, col in enumerate(self.columns):
            for j in range(len(col)):
                x, y = self.pos(c, j)
                self.taken.append((x - R - 2, y - R - 2, x + R + 2, y + R + 2))
                self.taken.append((x - 45, y - R - 19, x + 45, y - R - 4))  # the bias label above it

    def pos(self, c: int, j: int) -> tuple[float, float]:
        top = TOP + (self.tallest - len(self.columns[c])) * ROW / 2
        return MARGIN + c * COLUMN, top + j * ROW + R

    @property
    def bottom(self) -> float:
        return TOP + (self.tallest - 1) * ROW + 2 * R

    def place(
        self, edges: list[tuple[tuple[float, float], tuple[float, float], str]]
    ) -> list[tuple[float, float]] | None:
        """A place on each edge for its label where it covers nothing, or None when one has none."""
        placed: list[Box] = []
        spots = []
        for (x1, y1), (x2, y2), label in edges:
            for t in ALONG:
                x, y = x1 + R + (x2 - x1 - 2 * R) * t, y1 + (y2 - y1) * t
                box = _label_box(x, y, label)
                if not any(_overlaps(box, b) for b in self.taken + placed):
                    placed.append(box)
                    spots.append((x, y))
                    break
            else:
                return None
        self.taken.extend(placed)
        return spots


def svg(problem: Problem, precision: int = 4) -> str:
    names = Names(problem)
    num = Numbers(precision)
    layout = _Layout(problem, names)
    body: list[str] = []
    tables: list[tuple[int, list[list[str]]]] = []
    # edges first, so circles cover their ends; labels last, on top of every edge
    labels: list[str] = []
    for k, layer in enumerate(problem.layers):
        edges = []
        for j in range(layer.units):
            for i in range(layer.n_in):
                (x1, y1), (x2, y2) = layout.pos(k, i), layout.pos(k + 1, j)
                body.append(f'<line x1="{x1 + R}" y1="{y1}" x2="{x2 - R}" y2="{y2}" stroke="#8aa" stroke-width="1.2"/>')
                edges.append(((x1, y1), (x2, y2), f"{names.weights[k][j, i]} = {num.text(layer.W[j, i])}"))
        spots = layout.place(edges) if len(edges) <= MAX_PLACED else None
        if spots is None:
            tables.append(
                (
                    k,
                    [
                        [f"{names.weights[k][j, i]} = {num.text(layer.W[j, i])}" for i in range(layer.n_in)]
                        for j in range(layer.units)
                    ],
                )
            )
            continue
        for (x, y), (_, _, label) in zip(spots, edges, strict=True):
            labels.append(
                f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" fill="#235" stroke="white" '
                f'stroke-width="4" paint-order="stroke">{xml(label)}</text>'
            )
    body.extend(labels)
    body.extend(_units(problem, names, num, layout))
    height = layout.bottom + 24
    for k, rows in tables:
        part, height, width = _table(problem, names, k, rows, height)
        layout.width = max(layout.width, width)
        body.extend(part)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {layout.width:.0f} {height:.0f}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{layout.width:.0f}" height="{height:.0f}" fill="white"/>',
        f'<text x="{layout.width / 2}" y="26" text-anchor="middle" font-size="15">'
        f"{xml(problem.title or 'network')}</text>",
        f'<text x="{layout.pos(0, 0)[0]}" y="62" text-anchor="middle" fill="#555">inputs</text>',
    ]
    for k, layer in enumerate(problem.layers, start=1):
        params = "".join(f", α={num.text(v)}" for v in layer.activation_params.values())
        head.append(
            f'<text x="{layout.pos(k, 0)[0]}" y="62" text-anchor="middle" fill="#555">'
            f"layer {k} ({xml(layer.activation.name)}{params})</text>"
        )
    return "\n".join(head + body + ["</svg>"]) + "\n"


def _units(problem: Problem, names: Names, num: Numbers, layout: _Layout) -> list[str]:
    out = []
    for c, col in enumerate(layout.columns):
        for j, label in enumerate(col):
            x, y = layout.pos(c, j)
            fill = "#eef5ff" if c == 0 else "#fff7e6" if c == len(layout.columns) - 1 else "#eefbea"
            out.append(f'<circle cx="{x}" cy="{y}" r="{R}" fill="{fill}" stroke="#345" stroke-width="1.5"/>')
            out.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-size="13">{xml(label)}</text>')
            layer = problem.layers[c - 1] if c > 0 else None
            if layer is not None and layer.b is not None:
                b = f"{names.biases[c - 1][j]} = {num.text(layer.b[j])}"
                out.append(f'<text x="{x}" y="{y - R - 6}" text-anchor="middle" fill="#a33">{xml(b)}</text>')
    return out


def _table(problem: Problem, names: Names, k: int, rows: list[list[str]], top: float) -> tuple[list[str], float, float]:
    """The weights of layer k+1 as a table (a row per unit, a column per input) from ``top``: (svg, bottom, width)."""
    layer = problem.layers[k]
    ins = names.inputs if k == 0 else names.units[k - 1]
    outs = names.units[k]
    out = [
        f'<text x="{MARGIN - 40}" y="{top + 14}" fill="#555">weights into layer {k + 1} '
        f"({xml(layer.name)}): a row per unit, a column per input</text>"
    ]
    top += 24
    if layer.units * layer.n_in > MAX_TABLE:
        out.append(
            f'<text x="{MARGIN - 40}" y="{top + 12}" fill="#777">{layer.units * layer.n_in:,} weights: '
            "too many to list; the problem file holds them</text>"
        )
        return out, top + 24, 0
    cell = max(len(c) for row in rows for c in row) * CHAR + 16
    first = (max(len(u) for u in outs) + 5) * CHAR + 16
    x0 = MARGIN - 40
    for i, name in enumerate(ins):
        out.append(f'<text x="{x0 + first + i * cell:.1f}" y="{top + 12}" fill="#555">from {xml(name)}</text>')
    for j, row in enumerate(rows):
        y = top + (j + 1) * LINE + 12
        out.append(f'<text x="{x0}" y="{y}" fill="#555">into {xml(outs[j])}</text>')
        for i, label in enumerate(row):
            out.append(f'<text x="{x0 + first + i * cell:.1f}" y="{y}" fill="#235">{xml(label)}</text>')
    bottom = top + (len(rows) + 1) * LINE + 16
    return out, bottom, x0 + first + len(ins) * cell + 20
