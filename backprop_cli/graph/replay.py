"""What follows from a student's own answers to a circuit: error carried forward, as examiners grade.

The forward pass, the backward pass and the step are worked again with every
quantity the student answered taken as written: a gate's value from the
student's values of its operands, a gradient from the student's gradient of
the gate above it and local derivatives at the student's values, x⁺ from the
student's ∂f/∂x, f⁺ at the student's x⁺. An answer that is wrong but is what
follows (within the student's own rounding) is CARRIED, as for a network
(teaching/replay.py does the same for networks).
"""

from __future__ import annotations

from .engine import ComputeError, output_at
from .gates import OPS, Undefined
from .problem import GraphProblem


def carried(problem: GraphProblem, given: dict) -> dict:
    """(kind, name) -> the value that follows from the answers ``given`` ((kind, name) -> number), for every
    quantity it reaches; a quantity past an operation the student's numbers leave undefined is left out."""
    out: dict = {}
    try:
        values = _forward(problem, given, out)
        grads = _backward(problem, given, values, out)
    except (Undefined, ZeroDivisionError, OverflowError, ValueError):
        return out
    if problem.learning_rate is None or not problem.train:
        return out
    step = problem.step_sign * problem.learning_rate
    updated = {}
    for x in problem.train:
        out[("updated", x)] = problem.inputs[x] + step * given.get(("grad", x), grads[x])
        updated[x] = given.get(("updated", x), out[("updated", x)])
    try:
        out[("after", problem.output)] = output_at(problem, {n: updated.get(n, v) for n, v in problem.inputs.items()})
    except ComputeError:  # the output has no value at the student's x⁺ (log of a negative): nothing follows
        pass
    return out


def _forward(problem: GraphProblem, given: dict, out: dict) -> dict:
    values = {n: float(v) for n, v in problem.inputs.items()}
    for g in problem.gates:
        args = tuple(values[o.ref] if o.is_ref else float(o.const) for o in g.operands)
        out[("value", g.name)] = OPS[g.op].forward(*args)
        values[g.name] = given.get(("value", g.name), out[("value", g.name)])
    return values


def _backward(problem: GraphProblem, given: dict, values: dict, out: dict) -> dict:
    grads = dict.fromkeys(values, 0.0)
    grads[problem.output] = 1.0
    for g in reversed(problem.gates):  # a gate's gradient is complete when the pass reaches it
        out[("grad", g.name)] = grads[g.name]
        upstream = given.get(("grad", g.name), grads[g.name])
        args = tuple(values[o.ref] if o.is_ref else float(o.const) for o in g.operands)
        refs = tuple(o.is_ref for o in g.operands)
        local = OPS[g.op].local(*args, values[g.name], refs)
        for o, d in zip(g.operands, local, strict=True):
            if o.is_ref:
                grads[o.ref] += upstream * d
    for x in problem.inputs:
        out[("grad", x)] = grads[x]
    return grads
