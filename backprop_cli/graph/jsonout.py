"""The JSON of a circuit (SPEC §5): ``{"format": "backprop-graph", "version": 1, "values", "grads", "updated"}``.

With a step, ``output_after`` is the output recomputed at the updated inputs
(the other inputs as given).

``values`` and ``grads`` hold every input and every named node, and also each
intermediate the page names (more keys are allowed); ``gates`` lists the gates
in the order computed, with their upstream, local and downstream gradients.
Numbers are float64 at full precision; an exact run adds ``"exact"``, the same
numbers as fractions written as text ("-1/3").
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import IO

from .problem import to_dict
from .trace import GraphTrace


def _n(x):
    return None if x is None else float(x)


def _q(x) -> str:
    return str(x) if isinstance(x, Fraction) else repr(x)


def as_dict(trace: GraphTrace) -> dict:
    out = {
        "format": "backprop-graph",
        "version": 1,
        "problem": to_dict(trace.problem),
        "output": trace.problem.output,
        "values": {k: float(v) for k, v in trace.values.items()},
        "grads": {k: float(v) for k, v in trace.grads.items()},
    }
    if trace.updated is not None:
        out["updated"] = {k: float(v) for k, v in trace.updated.items()}
    if trace.output_after is not None:
        out["output_after"] = float(trace.output_after)  # the output recomputed at the updated inputs
    out["gates"] = [
        {
            "name": r.gate.name,
            "node": r.gate.node,
            "op": r.gate.op,
            "operands": [o.ref if o.is_ref else float(o.const) for o in r.gate.operands],
            "value": float(r.value),
            "upstream": float(r.upstream),
            "local": [_n(d) for d in r.local],
            "downstream": [_n(d) for d in r.downstream],
        }
        for r in trace.records
    ]
    if trace.exact:
        out["exact"] = {
            "values": {k: _q(v) for k, v in trace.values.items()},
            "grads": {k: _q(v) for k, v in trace.grads.items()},
        }
        if trace.updated is not None:
            out["exact"]["updated"] = {k: _q(v) for k, v in trace.updated.items()}
        if trace.output_after is not None:
            out["exact"]["output_after"] = _q(trace.output_after)
    return out


def render(trace: GraphTrace, out: IO[str], options=None) -> None:
    json.dump(as_dict(trace), out, ensure_ascii=False)
    out.write("\n")
