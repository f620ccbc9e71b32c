"""Gradient check: the engine's gradients of the first update against centred finite differences.

For every weight, bias and input of the first update, the five-point centred
difference (−L(θ+2h) + 8L(θ+h) − 8L(θ−h) + L(θ−2h))/12h of the update's loss is
compared with the analytic ∂L/∂θ from backpropagation. Pure: returns a report.

The relative error is |analytic − numeric| / max(|analytic|, |numeric|, floor),
after crediting the difference's own error (its change between steps h and 2h),
with floor = 1e-4·max(1, |L|): below that, a gradient is within the rounding
noise of any finite difference of L.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import engine
from .errors import Issue, ProblemError
from .problem import Problem, penalty

H = 1e-5
KINK = 1e-4  # a kinked activation's net input closer to 0 than this makes a finite difference unreliable


class LayerCheck(NamedTuple):
    name: str  # "layer 1 (h)" or "inputs"
    count: int  # how many numbers were checked
    worst_relative: float  # max |analytic − numeric| / max(|analytic|, |numeric|, tiny)
    worst_absolute: float
    at: str  # which one (e.g. w3)


class Report(NamedTuple):
    checks: list[LayerCheck]
    tolerance: float
    notes: list[str]

    @property
    def ok(self) -> bool:
        return all(c.worst_relative <= self.tolerance for c in self.checks)


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


def _compare(name: str, analytic: np.ndarray, f, x: np.ndarray, floor: float, labels) -> LayerCheck:
    numeric, coarse = difference(f, x), difference(f, x, 2 * H)
    diff = np.maximum(np.abs(analytic - numeric) - 2 * np.abs(numeric - coarse), 0.0)
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    rel = diff / scale
    k = np.unravel_index(np.argmax(rel), rel.shape)
    return LayerCheck(name, analytic.size, float(rel[k]), float(diff.max()), labels(k))


def check(problem: Problem, tolerance: float = 1e-6) -> Report:
    """Compare every gradient of the first update with finite differences."""
    if problem.rule != "backprop":
        raise ProblemError(Issue(problem.origin, None, None, "rule", f"rule: {problem.rule}, which computes no gradient",
                                 "a problem trained by backpropagation"))
    trace = engine.run(problem.with_epochs(1))
    step = trace.epochs[0].steps[0]
    rows = step.examples
    W = [l.W.copy() for l in problem.layers]
    b = [None if l.b is None else l.b.copy() for l in problem.layers]
    X, Y = problem.X[rows].copy(), problem.Y[rows]

    masks = [fwd.mask for fwd in step.forward] if any(l.dropout for l in problem.layers) else None

    def loss() -> float:  # the update's loss, with its dropout masks and the weight penalty
        with np.errstate(all="ignore"):
            zs, acts = engine.forward(problem.layers, W, b, X, masks)
            pen = penalty(problem, W) if (problem.l1 or problem.l2) else 0.0
            return engine.reduce(problem, engine.losses(problem, zs[-1], acts[-1], Y)) + pen

    notes = []
    for layer, fwd in zip(problem.layers, step.forward):
        if layer.activation.kinked and np.min(np.abs(fwd.z)) < KINK:
            notes.append(f"layer {layer.index} ({layer.name}): a net input lies within {KINK:g} of the kink of "
                         f"{layer.activation.name}, where finite differences average the two sides")
    by_layer = {r.layer: r for r in step.backward}
    floor = 1e-4 * max(1.0, abs(step.loss))
    checks = []
    for i, layer in enumerate(problem.layers):
        rec = by_layer[i + 1]
        checks.append(_compare(f"layer {i + 1} ({layer.name}) weights", rec.dL_dW, loss, W[i], floor,
                               lambda k: f"W[{k[0] + 1},{k[1] + 1}] (out_in)"))
        if b[i] is not None:
            checks.append(_compare(f"layer {i + 1} ({layer.name}) biases", rec.dL_db, loss, b[i], floor,
                                   lambda k: f"b[{k[0] + 1}]"))
    checks.append(_compare("inputs", step.dL_dx, loss, X, floor,
                           lambda k: f"x{k[1] + 1} of example {rows[k[0]] + 1}"))
    return Report(checks, tolerance, notes)
