"""Gradient check: the engine's gradients of the first update against centred finite differences.

For every weight, bias and input of the first update, the five-point centred
difference (−L(θ+2h) + 8L(θ+h) − 8L(θ−h) + L(θ−2h))/12h of the update's loss is
compared with the analytic ∂L/∂θ from backpropagation. Pure: returns a report.

The relative error is |analytic − numeric| / max(|analytic|, |numeric|, floor),
with floor = 1e-4·max(1, |L|): below that, a gradient is within the rounding
noise of any finite difference of L. It is reported as it is. It passes when it
is within its allowance: the tolerance plus the difference's own error (its
change between steps h and 2h, relative to the same scale). Each layer reports
the entry nearest to failing (the largest error beyond its allowance), named
as the worked solution names it (w5, b1, x1).
"""

from __future__ import annotations

import json
from typing import NamedTuple

import numpy as np

from .. import engine
from ..errors import Issue, ProblemError
from ..problem import Problem, penalty
from .answer_names import Names

H = 1e-5
KINK = 1e-4  # a kinked activation's net input closer to 0 than this makes a finite difference unreliable


class LayerCheck(NamedTuple):
    name: str  # "layer 1 (h) weights" or "inputs"
    count: int  # how many numbers were checked
    worst_relative: float  # |analytic − numeric| / max(|analytic|, |numeric|, floor) of the entry nearest to failing
    worst_absolute: float  # the largest |analytic − numeric| of the layer
    at: str  # which one (w3, b1, x2 of example 1)
    allowed: float = 0.0  # that entry's allowance: the tolerance plus the difference's own error


class Report(NamedTuple):
    checks: list[LayerCheck]
    tolerance: float
    notes: list[str]

    @property
    def ok(self) -> bool:
        return all(c.worst_relative <= c.allowed for c in self.checks)


def difference(f, x: np.ndarray, h: float = H) -> np.ndarray:
    """(−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h))/12h for every element of x, perturbed in place and restored.

    Its error is O(h⁴), so it stays accurate where the loss curves hard.
    """
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        values = []
        for k in (2, 1, -1, -2):
            x[i] = old + k * h
            values.append(f())
        x[i] = old
        grad[i] = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
    return grad


def _compare(name: str, analytic: np.ndarray, f, x: np.ndarray, floor: float, tolerance: float, labels) -> LayerCheck:
    numeric, coarse = difference(f, x), difference(f, x, 2 * H)
    diff = np.abs(analytic - numeric)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    rel = diff / scale
    allowed = tolerance + 2 * np.abs(numeric - coarse) / scale
    k = np.unravel_index(np.argmax(np.nan_to_num(rel - allowed, nan=np.inf)), rel.shape)
    return LayerCheck(name, analytic.size, float(rel[k]), float(diff.max()), labels(k), float(allowed[k]))


def check(problem: Problem, tolerance: float = 1e-6) -> Report:
    """Compare every gradient of the first update with finite differences.

    The loss differentiated is the update's: the reduced data loss plus the weight penalty, with the
    update's dropout masks held fixed (so that ∂L/∂w of a dropped unit is 0 on both sides).
    """
    if problem.rule != "backprop":
        found = f"rule: {problem.rule}, which computes no gradient"
        raise ProblemError(Issue(problem.origin, None, None, "rule", found, "a problem trained by backpropagation"))
    trace = engine.run(problem.with_epochs(1))
    step = trace.epochs[0].steps[0]
    rows = step.examples
    W = [l.W.copy() for l in problem.layers]
    b = [None if l.b is None else l.b.copy() for l in problem.layers]
    X, Y = problem.X[rows].copy(), problem.Y[rows]

    masks = [f.mask for f in step.forward] if any(f.mask is not None for f in step.forward) else None

    def loss() -> float:
        with np.errstate(all="ignore"):
            zs, acts = engine.forward(problem.layers, W, b, X, masks)
            return engine.reduce(problem, engine.losses(problem, zs[-1], acts[-1], Y)) + penalty(problem, W)

    notes = []
    for layer, fwd in zip(problem.layers, step.forward, strict=False):
        if layer.activation.kinked and np.min(np.abs(fwd.z)) < KINK:
            notes.append(
                f"layer {layer.index} ({layer.name}): a net input lies within {KINK:g} of the kink of "
                f"{layer.activation.name}, where finite differences average the two sides"
            )
    by_layer = {r.layer: r for r in step.backward}
    floor = 1e-4 * max(1.0, abs(step.loss))
    names = Names(problem)
    checks = []
    for i, layer in enumerate(problem.layers):
        rec = by_layer[i + 1]
        checks.append(
            _compare(
                f"layer {i + 1} ({layer.name}) weights",
                rec.dL_dW,
                loss,
                W[i],
                floor,
                tolerance,
                lambda k, i=i: str(names.weights[i][k]),
            )
        )
        if b[i] is not None:
            checks.append(
                _compare(
                    f"layer {i + 1} ({layer.name}) biases",
                    rec.dL_db,
                    loss,
                    b[i],
                    floor,
                    tolerance,
                    lambda k, i=i: names.biases[i][k[0]],
                )
            )
    checks.append(
        _compare(
            "inputs",
            step.dL_dx,
            loss,
            X,
            floor,
            tolerance,
            lambda k: f"{names.inputs[k[1]]} of example {rows[k[0]] + 1}",
        )
    )
    return Report(checks, tolerance, notes)


def rich(report: Report) -> str:
    """A table: per layer, how many were checked, the relative error nearest to failing, its allowance, where."""
    width = max(len(c.name) for c in report.checks)
    lines = [f"{'':<{width}}  checked  relative error    allowed  at"]
    for c in report.checks:
        mark = "ok" if c.worst_relative <= c.allowed else "FAILS"
        lines.append(f"{c.name:<{width}}  {c.count:>7}  {c.worst_relative:>14.3e}  {c.allowed:>9.2e}  {c.at}  {mark}")
    lines += [f"note: {n}" for n in report.notes]
    lines.append(
        f"{'all gradients agree' if report.ok else 'some gradients disagree'} with finite differences "
        f"(tolerance {report.tolerance:g}, plus each difference's own error)"
    )
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    finite = lambda x: x if np.isfinite(x) else None  # noqa: E731  (JSON has no Infinity)
    return json.dumps(
        {
            "ok": report.ok,
            "tolerance": report.tolerance,
            "notes": report.notes,
            "checks": [
                {
                    **c._asdict(),
                    "worst_relative": finite(c.worst_relative),
                    "worst_absolute": finite(c.worst_absolute),
                    "allowed": finite(c.allowed),
                }
                for c in report.checks
            ],
        },
        ensure_ascii=False,
    )
