"""--format csv: every named quantity of the trace as a row (see :mod:`.quantities`), for spreadsheets and pandas.

Numbers are written in full (``repr`` of the float64: ``pandas.read_csv`` gives back the
very value of the trace), an exact run's fractions as ``3/10`` (``Fraction(cell)`` gives
them back); an empty cell is a quantity's missing coordinate. ``step``
without --trace writes one row per epoch.

Text cells (names, formulas, units) are made printable, and one that a spreadsheet
would read as a formula (starting with =, +, -, @, a tab or a carriage return: a
layer named ``=HYPERLINK(…)``) is written with a leading apostrophe, as OWASP advises.
"""

from __future__ import annotations

import csv
from typing import IO

from ..exact import is_fraction
from ..trace import Trace
from .escape import printable
from .quantities import columns, rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(s: str) -> str:
    """A text cell that a spreadsheet shows as text, never evaluates."""
    s = printable(s)
    return "'" + s if s.startswith(FORMULA_START) else s


def cell(v):
    if v is None:
        return ""
    if isinstance(v, str):
        return csv_text(v)
    if is_fraction(v):
        return str(v)  # a number we wrote, never text from a file: no apostrophe before its minus sign
    return repr(float(v)) if isinstance(v, float) else v


def render(trace: Trace, out: IO[str], options=None) -> None:
    names = columns(trace)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for row in rows(trace):
        writer.writerow([cell(row[c]) for c in names])
