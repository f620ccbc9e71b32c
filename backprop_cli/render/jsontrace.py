"""The JSON trace of SPEC §2: one object, every number at full float64 precision.

Weights and their gradients are written in the layout the problem file used
for that layer, with an augmented bias as the extra column (out_in) or row
(in_out); the separate-bias keys are then null.
"""

from __future__ import annotations

import json
from typing import IO, Any

import numpy as np

from ..problem import Problem, to_dict
from ..trace import EpochRecord, StepRecord, Trace


def _m(a: np.ndarray | None) -> Any:
    return None if a is None else a.tolist()


def step_dict(problem: Problem, step: StepRecord) -> dict:
    """One update as the SPEC's step object (plus a few optional extra keys)."""
    layers = problem.layers
    backward = []
    for rec in step.backward:
        layer = layers[rec.layer - 1]
        entry = {
            "layer": rec.layer,
            "delta": _m(rec.delta),
            "dL_dW": _m(layer.weights_as_given(rec.dL_dW, rec.dL_db)),
            "dL_db": _m(layer.bias_as_given(rec.dL_db)),
            "dL_da": _m(rec.dL_da),
        }
        if rec.da_dz is not None:
            entry["da_dz"] = _m(rec.da_dz)
        backward.append(entry)
    update = []
    for rec in step.update:
        layer = layers[rec.layer - 1]
        entry = {
            "layer": rec.layer,
            "W_change": _m(layer.weights_as_given(rec.W_change, rec.b_change)),
            "W": _m(layer.weights_as_given(rec.W, rec.b)),
            "b_change": _m(layer.bias_as_given(rec.b_change)),
            "b": _m(layer.bias_as_given(rec.b)),
        }
        if rec.velocity_W is not None:  # momentum buffers (an extra key)
            entry["velocity_W"] = _m(layer.weights_as_given(rec.velocity_W, rec.velocity_b))
            entry["velocity_b"] = _m(layer.bias_as_given(rec.velocity_b))
        update.append(entry)
    return {
        "examples": step.examples.tolist(),
        "forward": [{"layer": f.layer, "z": _m(f.z), "a": _m(f.a)} for f in step.forward],
        "losses": _m(step.losses),
        "loss": step.loss,
        "backward": backward,
        "dL_dx": _m(step.dL_dx),
        "update": update,
    }


def epoch_dict(problem: Problem, epoch: EpochRecord) -> dict:
    d: dict[str, Any] = {"epoch": epoch.epoch}
    if epoch.steps is not None:
        d["steps"] = [step_dict(problem, s) for s in epoch.steps]
    d["loss"] = epoch.loss
    d["loss_after"] = epoch.loss_after
    if epoch.partial:
        d["partial"] = True
    return d


def trace_dict(trace: Trace) -> dict:
    d = {
        "format": "backprop-trace",
        "version": 1,
        "problem": to_dict(trace.problem),
        "epochs": [epoch_dict(trace.problem, e) for e in trace.epochs],
        "next_problem": to_dict(trace.next_problem),
    }
    if trace.stopped:
        d["stopped"] = trace.stopped
    return d


def render(trace: Trace, out: IO[str], options=None) -> None:
    json.dump(trace_dict(trace), out, allow_nan=False)
    out.write("\n")
