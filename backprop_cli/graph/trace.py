"""The record of one forward and backward pass through a circuit: every number the page shows.

Renderers read it and compute nothing. Numbers are Python floats (float64), or
``fractions.Fraction`` when the run was exact.
"""

from __future__ import annotations

from typing import NamedTuple

from .circuit import Gate
from .problem import GraphProblem


class GateRecord(NamedTuple):
    """One gate, forward and backward.

    ``args`` are the operands' values; ``local[k]`` is ∂out/∂operand k and
    ``downstream[k] = upstream · local[k]``, the part of ∂output/∂operand that
    flows through this gate (``None`` for a constant operand, which receives none).
    """

    gate: Gate
    args: tuple
    value: object
    upstream: object  # ∂output/∂(this gate's value), complete when the gate is reached going back
    local: tuple
    downstream: tuple


class Contribution(NamedTuple):
    via: str  # the gate the gradient came through
    value: object


class GraphTrace(NamedTuple):
    problem: GraphProblem
    exact: bool
    values: dict  # name -> value, inputs first, then every gate in the order computed
    grads: dict  # name -> ∂output/∂name
    records: list[GateRecord]  # in the order computed
    contributions: dict  # name -> [Contribution], in the order the backward pass adds them
    updated: dict | None  # trained input -> its value after one step, when learning_rate is given
    warnings: list[str]
    output_after: object = None  # the output recomputed at the updated inputs (None without a step)

    kind = "graph"

    def record(self, name: str) -> GateRecord | None:
        for r in self.records:
            if r.gate.name == name:
                return r
        return None
