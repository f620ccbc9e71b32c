"""Forward and backward through a circuit, gate by gate. Pure: problem -> GraphTrace.

Forward: each gate in the order written computes out = op(operands).
Backward (reverse-mode, micrograd's ``backward``): ∂f/∂f = 1 for the output f;
then, going through the gates in reverse order (a reverse topological order,
since a node reads only inputs and earlier nodes), each gate g with upstream
∂f/∂g adds ``∂f/∂g · ∂g/∂a`` to ∂f/∂a for each operand a. A value used by
several gates receives one such term per use, and the terms add (the
multivariable chain rule; micrograd's ``+=``). When the backward pass reaches
a gate, every gate that uses its value lies after it and has already been
processed, so its upstream is complete.

``exact=True`` computes in ``fractions.Fraction`` from the decimals as written,
when every operation is rational; otherwise float64.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from ..errors import EXIT_NONFINITE, BackpropError, Issue, ProblemError
from .circuit import Gate
from .gates import OPS, Undefined
from .problem import GraphProblem
from .trace import Contribution, GateRecord, GraphTrace

MAX_EXACT_BITS = 4000
"""Exact numbers whose numerator or denominator grows past this many bits (about 1200 digits) are refused."""


class ComputeError(BackpropError):
    """A gate has no finite value or derivative at these numbers (exit 1, like a non-finite network run)."""

    exit_code = EXIT_NONFINITE


Override = Callable[[Gate, int, object], object]
"""(gate, operand index, true local derivative) -> the local derivative to use (check's mistakes)."""


def run(problem: GraphProblem, exact: bool = False, override: Override | None = None) -> GraphTrace:
    if exact:
        refuse_inexact(problem)
    values = forward(problem, problem.exact_inputs if exact else problem.inputs, exact)
    records, grads, contributions = backward(problem, values, override)
    updated = output_after = None
    warnings = list(problem.warnings)
    if problem.learning_rate is not None and problem.train:
        updated = step(problem, values, grads, exact)
        try:
            output_after = forward(problem, {n: updated.get(n, values[n]) for n in problem.inputs}, exact)
            output_after = output_after[problem.output]
        except ComputeError as e:  # the step itself is fine; only the output after it has no value
            warnings.append(f"the output after the step is not computed: {e}")
    trace = GraphTrace(problem, exact, values, grads, records, contributions, updated, warnings)
    return trace._replace(output_after=output_after)


def step(problem: GraphProblem, values: dict, grads: dict, exact: bool) -> dict:
    """One step for every trained input: x⁺ = x − η·∂f/∂x (descent), or x⁺ = x + η·∂f/∂x with ``maximize``
    (ascent, as Karpathy's micrograd lecture and Hacker's guide step: ``x.data += step_size * x.grad``)."""
    lr = Fraction(repr(problem.learning_rate)) if exact else problem.learning_rate
    return {name: values[name] + problem.step_sign * lr * grads[name] for name in problem.train}


def refuse_inexact(problem: GraphProblem) -> None:
    """Exact arithmetic needs every gate rational: + − · /, ** with an integer constant, relu, abs, max, min."""
    issues = []
    for g in problem.gates:
        op = OPS[g.op]
        if g.op == "pow":
            e = g.operands[1]
            if e.is_ref or e.const.denominator != 1:
                issues.append(
                    Issue(
                        problem.origin,
                        g.line,
                        g.column,
                        f"graph.{g.node}",
                        f"the power {problem.nodes[g.node]!r}",
                        "an integer constant exponent under exact arithmetic (a**b is irrational "
                        "in general otherwise); run without --exact",
                    )
                )
        elif not op.rational:
            issues.append(
                Issue(
                    problem.origin,
                    g.line,
                    g.column,
                    f"graph.{g.node}",
                    f"{g.op} in {problem.nodes[g.node]!r}",
                    f"only rational operations under exact arithmetic ({g.op} of a rational number is "
                    "irrational in general); run without --exact",
                )
            )
    if issues:
        raise ProblemError(issues)


def _fail(problem: GraphProblem, gate: Gate, what: str) -> ComputeError:
    where = f"{problem.origin}:{gate.line}" if gate.line else problem.origin
    return ComputeError(f"{where}: graph.{gate.node}: the gate {gate.name} ({gate.op}): {what}")


def _check_size(problem, gate, x) -> None:
    if isinstance(x, Fraction):
        if max(x.numerator.bit_length(), x.denominator.bit_length()) > MAX_EXACT_BITS:
            raise _fail(problem, gate, f"an exact number of more than {MAX_EXACT_BITS} bits; run without --exact")
    elif not math.isfinite(x):
        raise _fail(problem, gate, "a value that is not finite (NaN or infinity)")


def _args(gate: Gate, values: dict, exact: bool) -> tuple:
    return tuple(values[o.ref] if o.is_ref else (o.const if exact else float(o.const)) for o in gate.operands)


def forward(problem: GraphProblem, inputs: dict, exact: bool) -> dict:
    """Every value: the inputs, then each gate's output in order."""
    values = dict(inputs)
    for g in problem.gates:
        args = _args(g, values, exact)
        if exact and g.op == "pow" and args[0] not in (0, 1, -1):
            bits = max(args[0].numerator.bit_length(), args[0].denominator.bit_length())
            if bits * abs(int(args[1])) > MAX_EXACT_BITS:  # refuse before computing an enormous power
                raise _fail(problem, g, f"an exact number of more than {MAX_EXACT_BITS} bits; run without --exact")
        try:
            values[g.name] = OPS[g.op].forward(*args)
        except Undefined as e:
            raise _fail(problem, g, str(e)) from None
        _check_size(problem, g, values[g.name])
    return values


def backward(problem: GraphProblem, values: dict, override: Override | None = None):
    """(records in forward order, grads, contributions): ∂output/∂value for every value, accumulated over uses."""
    one = values[problem.output] ** 0 if isinstance(values[problem.output], Fraction) else 1.0
    grads = {name: one * 0 for name in values}
    grads[problem.output] = one
    contributions: dict[str, list[Contribution]] = {}
    records: list[GateRecord] = []
    for g in reversed(problem.gates):
        args = tuple(
            values[o.ref] if o.is_ref else (o.const if isinstance(one, Fraction) else float(o.const))
            for o in g.operands
        )
        out, upstream = values[g.name], grads[g.name]
        refs = tuple(o.is_ref for o in g.operands)
        try:
            local = OPS[g.op].local(*args, out, refs)
        except Undefined as e:
            raise _fail(problem, g, str(e)) from None
        local = tuple(
            None if not r else (override(g, k, d) if override else d)
            for k, (r, d) in enumerate(zip(refs, local, strict=True))
        )
        down = tuple(None if d is None else upstream * d for d in local)
        for o, d in zip(g.operands, down, strict=True):
            if d is not None:
                _check_size(problem, g, d)
                grads[o.ref] += d
                contributions.setdefault(o.ref, []).append(Contribution(g.name, d))
        records.append(GateRecord(g, args, out, upstream, local, down))
    records.reverse()
    return records, grads, contributions


def output_at(problem: GraphProblem, inputs: dict) -> float:
    """The output's float64 value at other input values (for finite differences)."""
    return forward(problem, inputs, exact=False)[problem.output]
