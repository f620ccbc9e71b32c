"""The loss curve of a run as a standalone SVG picture (--plot FILE.svg), without a plotting library.

The curve starts at the loss before any update (epoch 0) and follows the loss
after each epoch. The y axis is logarithmic when the positive losses span more
than two decades (a loss of exactly 0 is then drawn on the bottom edge). Long runs are thinned to at most 2,000 points, keeping each bucket's
lowest and highest value so that spikes stay visible.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from ..trace import Trace

W, H = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 44, 52
MAX_POINTS = 2000


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e4 or abs(v) < 1e-3:
        return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")
    return f"{v:g}"


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    size = len(points) / (MAX_POINTS / 2)
    out = []
    for i in range(MAX_POINTS // 2):
        bucket = points[int(i * size): max(int((i + 1) * size), int(i * size) + 1)]
        lo, hi = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


def svg(trace: Trace) -> str:
    p = trace.problem
    points = ([(0.0, trace.epochs[0].loss)] if trace.epochs else []) + [(float(e.epoch), e.loss_after) for e in trace.epochs
                                                                         if e.loss_after is not None]
    points = [(x, y) for x, y in points if math.isfinite(y)]
    ys = [y for _, y in points] or [0.0, 1.0]
    positive = [y for y in ys if y > 0]
    log = bool(positive) and min(ys) >= 0 and max(positive) / min(positive) > 100
    floor = min(positive) if log else 0.0
    f = (lambda v: math.log10(max(v, floor))) if log else (lambda v: v)  # on a log scale 0 sits on the bottom edge
    lo, hi = f(min(positive) if log else min(ys)), f(max(ys))
    if hi - lo < 1e-12:
        lo, hi = lo - 1, hi + 1
    if log:
        lo, hi = math.floor(lo), math.ceil(hi)
    x_max = max(1.0, points[-1][0] if points else 1.0)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def X(x: float) -> float:
        return LEFT + pw * x / x_max

    def Y(y: float) -> float:
        return TOP + ph * (1 - (f(y) - lo) / (hi - lo))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
             f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
             f'<rect width="{W}" height="{H}" fill="white"/>',
             f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15">{escape(p.title or "loss curve")}</text>']
    # y ticks and grid
    if log:
        every = max(1, math.ceil((hi - lo) / 8))  # at most about 8 labelled decades
        ticks = [10.0 ** k for k in range(int(hi), int(lo) - 1, -every)]
    else:
        step = _nice_step(hi - lo)
        start = math.ceil(lo / step) * step
        ticks = [start + i * step for i in range(int((hi - start) / step) + 1)]
    for t in ticks:
        y = Y(t)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    # x ticks
    step = max(1.0, _nice_step(x_max))
    x = 0.0
    while x <= x_max + 1e-9:
        parts.append(f'<line x1="{X(x):.1f}" x2="{X(x):.1f}" y1="{TOP + ph}" y2="{TOP + ph + 5}" stroke="#333"/>')
        parts.append(f'<text x="{X(x):.1f}" y="{TOP + ph + 20}" text-anchor="middle">{_fmt(x)}</text>')
        x += step
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    parts.append(f'<text x="{LEFT + pw / 2}" y="{H - 12}" text-anchor="middle">epoch</text>')
    label = f"loss ({p.loss.name}, {p.batch_reduction} over examples){', log scale' if log else ''}"
    parts.append(f'<text transform="translate(18 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">{escape(label)}</text>')
    if points:
        path = " ".join(f"{X(x):.2f},{Y(y):.2f}" for x, y in _thin(points))
        parts.append(f'<polyline fill="none" stroke="#1f6fb4" stroke-width="1.8" points="{path}"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
