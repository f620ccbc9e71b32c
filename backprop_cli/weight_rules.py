"""The rules of a layer's weight matrix: given (in its layout) or drawn at random, and why a shape is wrong."""

from __future__ import annotations

import numpy as np

from .fields import Fields
from .problem import INITS


def weight_shape(layout: str, units: int, n_in: int, extra: int) -> tuple[int, int]:
    """The shape of a weight matrix as written: out_in (units, inputs + extra) or in_out (inputs + extra, units)."""
    return (units, n_in + extra) if layout == "out_in" else (n_in + extra, units)


class WeightRules(Fields):
    """Reading ``weights:``: a matrix in the layer's layout, or ``{init: uniform|normal}`` drawn from the seed."""

    flat_inputs = False

    def weights(self, path, spec, i, layout, units, n_in, extra, rng) -> tuple[np.ndarray | None, int | None]:
        """The weight matrix as written (or drawn), and the number of units it gives."""
        weights = spec.get("weights")
        if weights is None:
            self.issue(
                path,
                "a layer without weights:",
                "weights: a matrix, or {init: uniform|normal} with units:",
                at_key=True,
            )
            return None, units
        if isinstance(weights, dict):
            if units is None:
                self.issue(path + ("weights",), "random weights without units:", "units: N beside weights: {init: ...}")
            init = self.init(path + ("weights",), weights)
            if init is None or units is None or n_in is None:
                return None, units
            kind, args = init
            shape = weight_shape(layout, units, n_in, extra)
            if kind == "uniform":
                return rng.uniform(args["low"], args["high"], shape), units
            return rng.normal(args["mean"], args["std"], shape), units
        M = self.matrix(path + ("weights",), weights, "a matrix: a list of rows of numbers")
        if M is None:
            return None, units
        rows, cols = M.shape
        given_units = rows if layout == "out_in" else cols
        if units is not None and units != given_units:
            self.issue(
                path + ("units",),
                f"units: {units}",
                f"{given_units}, the number of units the weights give "
                f"({'rows' if layout == 'out_in' else 'columns'} in {layout})",
            )
        units = given_units
        given_in = (cols if layout == "out_in" else rows) - extra
        if n_in is not None and given_in != n_in:
            hint, units = self.shape_hint(i, layout, rows, cols, n_in, extra, units, given_in)
            prev = "the inputs" if i == 0 else f"layer {i}"
            self.issue(
                path + ("weights",), f"{rows}×{cols}", _shape_expected(i + 1, layout, units, n_in, prev, extra) + hint
            )
        return M, units

    def shape_hint(self, i, layout, rows, cols, n_in, extra, units, given_in) -> tuple[str, int]:
        """Why a weight matrix may have the wrong shape: the other layout, or a flat list of inputs."""
        across = cols if layout == "in_out" else rows  # the dimension the other layout reads as inputs
        if across - extra == n_in and self.fits_after(i, cols if layout == "out_in" else rows):
            other = "in_out" if layout == "out_in" else "out_in"
            return (
                f" (it fits the {other} layout, one row per {'input' if other == 'in_out' else 'unit'}: "
                f"write layout: {other} on this layer, or transpose the matrix)"
            ), (cols if layout == "out_in" else rows)
        if i == 0 and given_in == 1 and self.flat_inputs:
            return (
                f" (a flat list of inputs is one example with {n_in} inputs; for {n_in} examples of one input"
                " write one row per example: [[x1], [x2], ...])"
            ), units
        return "", units

    def fits_after(self, i: int, units: int) -> bool:
        """Would layer i with this many units fit what follows it (the next layer's inputs, or the targets)?"""
        data = self.data()
        layers = data.get("layers") if isinstance(data, dict) else None
        if isinstance(layers, list) and i + 1 < len(layers):
            nxt = layers[i + 1] if isinstance(layers[i + 1], dict) else {}
            W = nxt.get("weights")
            if not (isinstance(W, list) and W and all(isinstance(r, list) and r for r in W)):
                return False
            layout = nxt.get("layout", data.get("layout", "out_in"))
            bias = nxt.get("bias")
            extra = 1 if bias == "augmented" or (isinstance(bias, dict) and "augmented" in bias) else 0
            return (len(W[0]) if layout == "out_in" else len(W)) - extra == units
        targets = data.get("targets") if isinstance(data, dict) else None
        if isinstance(targets, list) and targets and isinstance(targets[0], list):
            return len(targets[0]) == units
        return isinstance(targets, list) and len(targets) == units

    def init(self, path: tuple, spec: dict) -> tuple[str, dict] | None:
        kind = self.choice(path + ("init",), spec.get("init"), tuple(INITS), "a random initialisation")
        if kind is None:
            return None
        self.check_keys(path, spec, ("init",) + tuple(INITS[kind]), f"init: {kind}")
        args = dict(INITS[kind])
        for key in INITS[kind]:
            if key in spec:
                v = self.number(path + (key,), spec[key])
                if v is not None and abs(v) > 1e6:
                    self.issue(path + (key,), f"{v:g}", "a number between -1e6 and 1e6 (weights a person can read)")
                elif v is not None:
                    args[key] = float(v)
        if kind == "uniform" and args["low"] > args["high"]:
            self.issue(path + ("high",), f"high {args['high']:g} below low {args['low']:g}", "low ≤ high")
            return None
        if kind == "normal" and args["std"] < 0:
            self.issue(path + ("std",), f"{args['std']:g}", "a standard deviation ≥ 0")
            return None
        return kind, args


def _shape_expected(number: int, layout: str, units: int, n_in: int, prev: str, extra: int) -> str:
    ins = f"{n_in} input{'s' if n_in != 1 else ''} from {prev}"
    uns = f"{units} unit{'s' if units != 1 else ''}"
    if layout == "out_in":
        cols = f"{ins} + 1 bias column" if extra else ins
        return f"layer {number} weights (out_in: one row per unit) must be {units}×{n_in + extra}: {uns} × {cols}"
    rows = f"{ins} + 1 bias row" if extra else ins
    return f"layer {number} weights (in_out: one row per input) must be {n_in + extra}×{units}: {rows} × {uns}"
