"""When a loss curve is drawn on a log scale: one rule for the --plot SVG and the terminal sparkline."""

from __future__ import annotations

import math
from collections.abc import Iterable

DECADES = 2
"""A log scale when the positive losses span more than this many decades (a factor of 100)."""


def use_log_scale(values: Iterable[float | None]) -> bool:
    """True when the finite values are all ≥ 0 and the positive ones span more than two decades.

    Decide on all the values (before a long curve is thinned to fit), ignoring
    NaN, infinities and missing values; a loss of exactly 0 is then drawn on the
    bottom edge.
    """
    finite = [v for v in values if v is not None and math.isfinite(v)]
    positive = [v for v in finite if v > 0]
    return bool(positive) and min(finite) >= 0 and max(positive) / min(positive) > 10**DECADES
