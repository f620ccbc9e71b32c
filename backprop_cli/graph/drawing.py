"""A circuit as a picture (backprop draw), the way lecture slides draw it.

Each gate is an oval holding its operation; each value is a wire leaving its
gate (or, for an input, starting at the left), with its name and value above
the wire (green) and its gradient ∂f/∂value below (red). Gates stand in
columns by depth (the longest path from an input); within a column, near the
values they read. Every text is XML-escaped, control characters included
(render/xmltext.py); each label stays within its own wire's band, and every
label has a white halo, so lines never hide it.
"""

from __future__ import annotations

from typing import NamedTuple

from ..render.mathtext import Numbers
from ..render.xmltext import text as escape
from .trace import GraphTrace

ROW = 78  # vertical distance between two values of a column
GAP = 56  # horizontal room for the lines between a wire's end and the next gate
CHAR = 7.4  # width of a character at font-size 13, a little generous
GREEN, RED = "#1a7f37", "#c62828"
HALO = 'stroke="white" stroke-width="4" paint-order="stroke" stroke-linejoin="round"'

_SYMBOL_WITH_CONSTANT = {
    "add": "+{c}",
    "mul": "×{c}",
    "sub": ("{c}−x", "−{c}"),
    "div": ("{c}/x", "÷{c}"),
    "pow": ("{c}^x", "x^{c}"),
    "max": "max·{c}",
    "min": "min·{c}",
}


def _symbol(rec, num) -> str:
    """The text inside a gate: its symbol, with a constant operand folded in as the notes draw it (+1, ×-1, 1/x)."""
    from .gates import OPS

    op, ops = rec.gate.op, rec.gate.operands
    consts = [k for k, o in enumerate(ops) if not o.is_ref]
    if len(ops) == 2 and len(consts) == 1 and op in _SYMBOL_WITH_CONSTANT:
        t = _SYMBOL_WITH_CONSTANT[op]
        if isinstance(t, tuple):
            t = t[consts[0]]
        return t.format(c=num.text(float(ops[consts[0]].const)))
    if op == "id" and consts:
        return num.text(float(ops[0].const))
    return OPS[op].symbol


def _width(s: str) -> float:
    return len(s) * CHAR


class _Labels(NamedTuple):
    """The texts of every value: its name and value above the wire, its gradient below, and of every gate its
    symbol and the oval's horizontal radius."""

    value: dict[str, str]
    above: dict[str, str]
    below: dict[str, str]
    symbol: dict[str, str]
    rx: dict[str, float]


class _Across(NamedTuple):
    """Where each value stands across the page: its gate's centre, its wire's start and end; the picture's width."""

    gate: dict[str, float]
    start: dict[str, float]
    end: dict[str, float]
    width: int


def svg(trace: GraphTrace, precision: int = 4, givens_only: bool = False) -> str:
    """The circuit as SVG text; with ``givens_only`` (a worksheet's drawing) only the inputs' values are shown, and
    every computed value and gradient is a "?" to fill in (but the output's own gradient, ∂f/∂f = 1)."""
    rec = {r.gate.name: r for r in trace.records}
    depth, columns = _columns(trace)
    labels = _labels(trace, rec, Numbers(precision), givens_only)
    y = _rows(columns, rec)
    x = _across(trace.problem.inputs, columns, rec, labels)
    height = int(max(y.values()) + 80)
    title = trace.problem.title or "computational graph"
    legend = f"value above each wire, ∂{trace.problem.output}/∂value below"
    width = int(max(x.width, _width(title) * 15 / 13 + 40, _width(legend) + 40))  # a long title is not cut off
    out = _frame(width, height, title)
    out.append(f'<g transform="translate({(width - x.width) / 2:.1f},0)">')  # the circuit centred under it
    out += _edges(trace.records, depth, x, y, labels.rx)
    for n in trace.values:
        out += _wire(n, rec, x, y, labels)
    out.append("</g>")
    out.append(_legend(width, height, trace.problem.output))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _columns(trace: GraphTrace) -> tuple[dict[str, int], list[list[str]]]:
    """Each value's depth (the longest path from an input), and the values of each column in the trace's order."""
    depth = {n: 0 for n in trace.problem.inputs}
    for r in trace.records:
        depth[r.gate.name] = 1 + max((depth[o.ref] for o in r.gate.operands if o.is_ref), default=0)
    columns: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for n in trace.values:
        columns[depth[n]].append(n)
    return depth, columns


def _labels(trace: GraphTrace, rec: dict, num: Numbers, givens_only: bool) -> _Labels:
    given = set(trace.problem.inputs)
    value = {n: num.text(float(v)) if n in given or not givens_only else "?" for n, v in trace.values.items()}
    above = {n: f"{n} = {value[n]}" for n in trace.values}
    start = trace.problem.output  # ∂f/∂f = 1 starts the backward pass: a given, on a worksheet too
    below = {n: "?" if givens_only and n != start else num.text(float(trace.grads[n])) for n in trace.values}
    symbol = {n: _symbol(rec[n], num) for n in rec}
    rx = {n: max(20.0, _width(symbol[n]) / 2 + 9) for n in rec}
    return _Labels(value, above, below, symbol, rx)


def _rows(columns: list[list[str]], rec: dict) -> dict[str, float]:
    """Rows: inputs in order; a gate near the mean row of what it reads; at least ROW apart; the top row at 70."""
    y: dict[str, float] = {}
    for col in columns:
        want = {}
        for i, n in enumerate(col):
            refs = [y[o.ref] for o in rec[n].gate.operands if o.is_ref] if n in rec else []
            want[n] = sum(refs) / len(refs) if refs else i * ROW
        last = None
        for n in sorted(col, key=lambda n: want[n]):
            y[n] = want[n] if last is None else max(want[n], last + ROW)
            last = y[n]
    top = 70 - min(y.values())
    return {n: v + top for n, v in y.items()}


def _across(inputs, columns: list[list[str]], rec: dict, labels: _Labels) -> _Across:
    """Columns: a gate's oval, then its wire, long enough for both of its labels."""
    x_gate, x_start, x_end = {}, {}, {}
    x = 30 + max(_width(n) for n in inputs)
    for col in columns:
        half = max((labels.rx[n] for n in col if n in rec), default=0.0)
        wire = max(max(_width(labels.above[n]), _width(labels.below[n])) for n in col) + 16
        for n in col:
            x_gate[n] = x + half
            x_start[n] = x + 2 * half - (half - labels.rx[n]) if n in rec else x
            x_end[n] = x + 2 * half + wire
        x += 2 * half + wire + GAP
    return _Across(x_gate, x_start, x_end, int(x - GAP + 30))


def _frame(width: int, height: int, title: str | None) -> list[str]:
    """The opening: the SVG element, the arrowhead, a white background and the title."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="13">',
        '<defs><marker id="arrow" refX="6" refY="3" markerWidth="7" markerHeight="6" orient="auto">'
        '<path d="M0,0 L6,3 L0,6 Z" fill="#444"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="24" text-anchor="middle" font-size="15">'
        f"{escape(title or 'computational graph')}</text>",
    ]


def _edges(records, depth: dict[str, int], x: _Across, y: dict[str, float], rx: dict[str, float]) -> list[str]:
    """A line from each operand's wire into the gate that reads it."""
    out = []
    for r in records:
        n = r.gate.name
        refs = [o.ref for o in r.gate.operands if o.is_ref]
        for k, ref in enumerate(refs):
            dy = (k - (len(refs) - 1) / 2) * 10
            x1, y1, x2, y2 = x.end[ref], y[ref], x.gate[n] - rx[n], y[n] + dy
            # a line that skips a column bows above the wires it would otherwise run along
            bow = 0.5 * ROW if depth[n] - depth[ref] > 1 and abs(y2 - y1) < ROW / 2 else 0.0
            out.append(
                f'<path d="M{x1:.1f},{y1:.1f} C{x1 + (x2 - x1) / 3:.1f},{y1 - bow:.1f} '
                f'{x2 - (x2 - x1) / 3:.1f},{y2 - bow:.1f} {x2:.1f},{y2:.1f}" fill="none" stroke="#444" '
                'stroke-width="1.2" marker-end="url(#arrow)"/>'
            )
    return out


def _wire(n: str, rec: dict, x: _Across, y: dict[str, float], labels: _Labels) -> list[str]:
    """Value n's wire, its gate's oval and symbol (not for an input), its name and value above, its gradient below."""
    out = [
        f'<line x1="{x.start[n]:.1f}" y1="{y[n]:.1f}" x2="{x.end[n]:.1f}" y2="{y[n]:.1f}" '
        'stroke="#222" stroke-width="1.5"/>'
    ]
    if n in rec:
        out.append(
            f'<ellipse cx="{x.gate[n]:.1f}" cy="{y[n]:.1f}" rx="{labels.rx[n]:.1f}" ry="20" fill="#fff7e6" '
            'stroke="#333" stroke-width="1.3"/>'
        )
        out.append(
            f'<text x="{x.gate[n]:.1f}" y="{y[n] + 5:.1f}" text-anchor="middle" font-size="14">'
            f"{escape(labels.symbol[n])}</text>"
        )
    lx = x.start[n] + 6
    out.append(
        f'<text x="{lx:.1f}" y="{y[n] - 7:.1f}" xml:space="preserve" {HALO}>'
        f'<tspan font-weight="bold">{escape(n)}</tspan>'
        f'<tspan fill="{GREEN}">\u00a0=\u00a0{escape(labels.value[n])}</tspan></text>'
    )
    out.append(f'<text x="{lx:.1f}" y="{y[n] + 18:.1f}" fill="{RED}" {HALO}>{escape(labels.below[n])}</text>')
    return out


def _legend(width: int, height: int, f: str) -> str:
    return (
        f'<text x="{width / 2:.1f}" y="{height - 16}" text-anchor="middle" fill="#555">'
        f'<tspan fill="{GREEN}">value</tspan> above each wire, <tspan fill="{RED}">'
        f"∂{escape(f)}/∂value</tspan> below</text>"
    )
