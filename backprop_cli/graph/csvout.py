"""A circuit's solution as CSV: one row per named quantity, in the page's order, every value at full precision.

Columns ``kind,name,symbol,value,formula``, and ``exact`` (the fraction, ``-1/3``) for an exact run. The
kinds: ``input``, ``value`` (each gate, its operation as the page writes it), ``gradient`` (∂f/∂ of every
input and gate, with the chain-rule terms it sums), ``update`` (x⁺ of each trained input) and ``after``
(the output recomputed at the updated inputs). Like the networks' CSV it reads the trace and computes
nothing; pandas reads it with ``pd.read_csv``.
"""

from __future__ import annotations

import csv
from typing import IO

from ..render.mathtext import M
from .gates import OPS
from .page import Builder, after, d, sym
from .trace import GraphTrace

COLUMNS = ("kind", "name", "symbol", "value", "formula")


def rows(trace: GraphTrace) -> list[dict]:
    """The rows, as dicts of the columns (and ``exact`` for an exact run)."""
    p, f = trace.problem, trace.problem.output
    page = Builder(trace)
    out = [_row(trace, "input", sym(n), trace.values[n], "") for n in p.inputs]
    for r in trace.records:  # each gate: its operation over its operands' names, as the page writes it
        out.append(_row(trace, "value", sym(r.gate.name), r.value, page.filled(OPS[r.gate.op].show, r, False).u))
    for name in reversed(list(trace.grads)):  # from the output back, as the backward pass goes
        terms = [d(f, c.via).u + "·" + page.local(c.via, name).u for c in trace.contributions.get(name, [])]
        out.append(_row(trace, "gradient", d(f, name), trace.grads[name], " + ".join(terms) or "1"))
    if trace.updated is not None:
        sign = "+" if p.maximize else "−"
        for n in p.train:
            out.append(_row(trace, "update", after(sym(n)), trace.updated[n], f"{n} {sign} η·∂{f}/∂{n}"))
    if trace.output_after is not None:
        args = ", ".join(f"{n}⁺" if n in p.train else n for n in p.inputs)
        out.append(_row(trace, "after", after(sym(f)), trace.output_after, f"{f}({args})"))
    return out


def _row(trace: GraphTrace, kind: str, m: M, value, formula: str) -> dict:
    row = {"kind": kind, "name": m.u, "symbol": m.t, "value": float(value), "formula": formula}
    if trace.exact:
        row["exact"] = str(value)
    return row


def render(trace: GraphTrace, out: IO[str], options=None) -> None:
    columns = COLUMNS + (("exact",) if trace.exact else ())
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for row in rows(trace):
        w.writerow({**row, "value": repr(row["value"])})
