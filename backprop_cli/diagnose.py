"""Warnings a student needs about an update: saturated units, and layers whose error signal has vanished."""

from __future__ import annotations

import numpy as np

from .problem import Problem
from .trace import StepRecord

SATURATED = 1e-12
"""Below this, an activation's derivative or a layer's largest |δ| counts as vanished."""


def diagnose(problem: Problem, step: StepRecord, where: str) -> list[str]:
    """Saturated sigmoid/tanh units, and layers whose δ has vanished.

    A unit is saturated when f′(z) < 1e-12 for every example of the update:
    its weights then barely move. A layer's gradient has vanished when its
    largest |δ| is below 1e-12 while the loss is not (nearly) zero. A weight
    gradient that is 0 because its input is 0 (XOR's (0, 0) example) is not a
    sign of it: δ and the bias gradient are healthy there.
    """
    notes = []
    for rec in step.backward:
        layer = problem.layers[rec.layer - 1]
        if layer.activation.smooth_saturating and rec.da_dz is not None and not layer.dropout:
            for j in np.flatnonzero(np.all(rec.da_dz < SATURATED, axis=0)):
                z = step.forward[rec.layer - 1].z[:, j]
                notes.append(
                    f"{where}: unit {j + 1} of layer {rec.layer} ({layer.name}) is saturated: "
                    f"{layer.activation.name}′(z) < {SATURATED:g} (z = {z[0]:.4g}), so its gradients "
                    "vanish; smaller weights or inputs keep it learning"
                )
        largest = float(np.max(np.abs(rec.delta)))
        if step.loss > 1e-6 and largest < SATURATED:
            notes.append(
                f"{where}: the gradient of layer {rec.layer} ({layer.name}) has vanished "
                f"(largest |δ| = {largest:.3g}) while the loss is {float(step.loss):.4g}"
            )
    return notes
