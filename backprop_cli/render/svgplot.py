"""The loss curve of a run as a standalone SVG picture (--plot FILE.svg), without a plotting library.

The curve starts at the loss before any update (epoch 0) and follows the loss
after each epoch; NaN and infinities are left out. The y axis is logarithmic
when the positive losses span more than two decades (:mod:`.logscale`, the
rule the terminal's sparkline follows too; a loss of exactly 0 is then drawn on
the bottom edge). Log ticks sit at true decades (with 2× and 5× when few
decades show), only inside the range of the data, never two closer than a
label's height. Any finite loss can be drawn, up to 1.8e308, also a constant
one. Long runs are thinned to at most 2,000 points, keeping each bucket's
lowest and highest value so that spikes stay visible.
"""

from __future__ import annotations

import math
import sys

from ..trace import Trace
from .logscale import use_log_scale
from .xmltext import text as xml

W, H = 720, 420
LEFT, RIGHT, TOP, BOTTOM = 78, 24, 44, 52
MAX_POINTS = 2000
LABEL_GAP = 16  # pixels between two y labels at least


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5):
        if raw <= m * mag:
            return m * mag
    return 10 * mag if mag < 1e307 else raw


def _fmt(v: float) -> str:
    """0.001, 0.25, 120, 2e-4, 5.5e17: plain between 1e-3 and 1e4, otherwise three digits and an exponent."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e4:
        return f"{v:g}"
    mantissa, _, exponent = f"{v:.2e}".partition("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def _thin(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    if len(points) <= MAX_POINTS:
        return points
    size = len(points) / (MAX_POINTS / 2)
    out = []
    for i in range(MAX_POINTS // 2):
        bucket = points[int(i * size) : max(int((i + 1) * size), int(i * size) + 1)]
        lo, hi = min(bucket, key=lambda p: p[1]), max(bucket, key=lambda p: p[1])
        out.extend(sorted({lo, hi}))
    return out


def log_ticks(lo: float, hi: float, height: float) -> list[float]:
    """Tick values at decades (and 2×, 5×) whose log10 lies in [lo, hi], spaced at least LABEL_GAP pixels apart."""
    per_decade = height / max(hi - lo, 1e-12)
    steps = (1, 2, 5) if per_decade >= 3 * LABEL_GAP else (1,)
    every = max(1, math.ceil(LABEL_GAP / per_decade)) if steps == (1,) else 1
    ticks = []
    for k in range(math.floor(lo), math.ceil(hi) + 1):
        if k % every:
            continue
        for m in steps:
            p = k + math.log10(m)
            if lo - 1e-9 <= p <= hi + 1e-9 and p < 308.25:
                ticks.append(p)
    kept: list[float] = []
    for p in ticks:  # from the bottom up; never two labels on top of each other
        if not kept or (p - kept[-1]) * per_decade >= LABEL_GAP:
            kept.append(p)
    return [10.0**p for p in kept]


def _axis(ys: list[float], log: bool) -> tuple[float, float]:
    """The y range in plotted units (log10 of the loss on a log scale), padded a little, never empty."""
    values = [math.log10(y) for y in ys if y > 0] if log else ys
    lo, hi = min(values), max(values)
    if hi > lo:
        pad = (hi - lo) * 0.04
    else:  # a constant loss: a band around it
        pad = 0.5 if log else (abs(hi) * 0.1 or 1.0)
    lo, hi = max(lo - pad, -sys.float_info.max), min(hi + pad, sys.float_info.max)
    if not log and min(ys) >= 0:
        lo = max(lo, 0.0)  # losses are not negative: no axis below 0
    return lo, hi


def svg(trace: Trace) -> str:
    p = trace.problem
    points = ([(0.0, trace.epochs[0].loss)] if trace.epochs else []) + [
        (float(e.epoch), e.loss_after) for e in trace.epochs if e.loss_after is not None
    ]
    points = [(x, y) for x, y in points if y is not None and math.isfinite(y)]
    ys = [y for _, y in points] or [0.0, 1.0]
    log = use_log_scale(ys)
    lo, hi = _axis(ys, log)
    x_max = max(1.0, points[-1][0] if points else 1.0)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def f(v: float) -> float:  # a loss in plotted units; on a log scale, 0 sits on the bottom edge
        return (math.log10(v) if v > 0 else lo) if log else v

    def X(x: float) -> float:
        return LEFT + pw * x / x_max

    def Y(y: float) -> float:
        fraction = (f(y) - lo) / (hi - lo) if hi > lo else 0.5
        return TOP + ph * (1 - fraction)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        f'<text x="{W / 2}" y="24" text-anchor="middle" font-size="15">{xml(p.title or "loss curve")}</text>',
    ]
    if log:
        ticks = log_ticks(lo, hi, ph)
    else:
        step = _nice_step(hi - lo)
        start = math.ceil(lo / step) * step
        ticks = [start + i * step for i in range(min(50, int((hi - start) / step) + 1))]
    for t in ticks:
        y = Y(t)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    step = max(1.0, _nice_step(x_max))
    for i in range(int(x_max / step + 1e-9) + 1):
        x = i * step
        parts.append(f'<line x1="{X(x):.1f}" x2="{X(x):.1f}" y1="{TOP + ph}" y2="{TOP + ph + 5}" stroke="#333"/>')
        parts.append(f'<text x="{X(x):.1f}" y="{TOP + ph + 20}" text-anchor="middle">{_fmt(x)}</text>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    parts.append(f'<text x="{LEFT + pw / 2}" y="{H - 12}" text-anchor="middle">epoch</text>')
    label = f"loss ({p.loss.name}, {p.batch_reduction} over examples){', log scale' if log else ''}"
    parts.append(f'<text transform="translate(18 {TOP + ph / 2}) rotate(-90)" text-anchor="middle">{xml(label)}</text>')
    if points:
        path = " ".join(f"{X(x):.2f},{Y(y):.2f}" for x, y in _thin(points))
        parts.append(f'<polyline fill="none" stroke="#1f6fb4" stroke-width="1.8" points="{path}"/>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
