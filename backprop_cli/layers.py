"""The rules of one layer of a problem file: weights (given or drawn), bias forms, dropout, optimizer state.

Bias forms (SPEC §1, §4.4):
    bias: 0.35 | [0.35, 0.6]           each unit its own bias, z = W·x + b
    bias: augmented | {augmented: 1}   a column (out_in) or row (in_out) of W multiplies a constant 1
    bias: {augmented: -1}              … a constant −1 (z = W·x − w₀), as Negnevitsky writes thresholds
    bias: {shared: 0.35}               one bias for the whole layer, trained as one parameter
    threshold: 0.2 | [0.2, -0.1]       z = W·x − θ
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .fields import Fields, describe, is_number
from .problem import INITS, LAYER_KEYS, LAYOUTS, Layer


def weight_shape(layout: str, units: int, n_in: int, extra: int) -> tuple[int, int]:
    """The shape of a weight matrix as written: out_in (units, inputs + extra) or in_out (inputs + extra, units)."""
    return (units, n_in + extra) if layout == "out_in" else (n_in + extra, units)


class LayerRules(Fields):
    rule = "backprop"
    flat_inputs = False
    n_examples: int | None = None
    optimizer_entry = None
    hp_given: dict = {}

    def layers(self, value: Any, layout: str, n_in: int | None, rng) -> list[Layer] | None:
        if not isinstance(value, list) or not value:
            self.issue(("layers",), describe(value), "a list of layers, first hidden layer first, output layer last")
            return None
        out: list[Layer | None] = []
        for i, spec in enumerate(value):
            layer = self.layer(i, spec, len(value), layout, n_in, rng)
            n_in = layer.units if layer is not None else None
            out.append(layer)
        return out if all(layer is not None for layer in out) else None

    def layer(self, i: int, spec: Any, count: int, default_layout: str, n_in: int | None, rng) -> Layer | None:
        path, number = ("layers", i), i + 1
        if not isinstance(spec, dict):
            self.issue(
                path,
                describe(spec),
                "a mapping with activation:, weights: and optionally bias:, name:, units:, layout:",
            )
            return None
        self.check_keys(path, spec, LAYER_KEYS, "layer")
        n_issues = len(self.issues)
        name = spec.get("name")
        if name is None:
            name = "o" if number == count else ("h" if count == 2 else f"h{number}")
        elif not isinstance(name, str) or not name.strip():
            self.issue(path + ("name",), describe(name), "a short name for the layer's units, such as h or o")
        layout = (
            self.choice(path + ("layout",), spec.get("layout", default_layout), LAYOUTS, "a weight layout")
            or default_layout
        )
        activation, params = self.activation(path + ("activation",), spec.get("activation"), number == count)
        if not activation.differentiable and self.rule == "backprop":
            self.issue(
                path + ("activation",),
                f"{activation.name}, which has no derivative (its slope is 0 or undefined everywhere)",
                "a differentiable activation for backpropagation, or rule: perceptron",
            )
        bias_form, sign, extra = self.bias_form(path, spec)
        units = None
        if "units" in spec:
            units = self.number(path + ("units",), spec["units"], "a whole number ≥ 1", integer=True, positive=True)
        M, units = self.weights(path, spec, i, layout, units, n_in, extra, rng)
        b = self.bias(path, spec, bias_form, units)
        dropout, masks = self.dropout(path, spec, number == count, units)
        if len(self.issues) > n_issues or M is None or units is None or n_in is None:
            return None
        M_out_in = M if layout == "out_in" else M.T
        W = M_out_in[:, : M_out_in.shape[1] - extra].copy()
        if extra:
            b = M_out_in[:, -1].copy()
        state_W, state_b = self.state(path, spec, layout, units, n_in, bias_form)
        return Layer(
            number,
            name,
            units,
            n_in,
            activation,
            params,
            layout,
            bias_form,
            W,
            b,
            state_W,
            state_b,
            sign,
            dropout,
            masks,
        )

    def bias_form(self, path: tuple, spec: dict) -> tuple[str, float, int]:
        """(form, sign s of z = W·x + s·b, extra weight columns) from bias: / threshold:."""
        bias = spec.get("bias")
        if "threshold" in spec:
            if bias is not None:
                self.issue(
                    path + ("threshold",),
                    "threshold: beside bias:",
                    "one of them: a threshold is a bias that is subtracted (z = W·x − θ)",
                    at_key=True,
                )
            return "threshold", -1.0, 0
        if bias is None:
            return "none", 1.0, 0
        if bias == "augmented":
            return "augmented", 1.0, 1
        if isinstance(bias, dict):
            if len(bias) != 1 or next(iter(bias)) not in ("augmented", "shared"):
                self.issue(
                    path + ("bias",),
                    f"a mapping with {', '.join(map(str, bias)) or 'no keys'}",
                    "{augmented: 1}, {augmented: -1} or {shared: value}",
                )
                return "none", 1.0, 0
            if "augmented" in bias:
                if bias["augmented"] not in (1, -1) or isinstance(bias["augmented"], bool):
                    self.issue(
                        path + ("bias", "augmented"),
                        describe(bias["augmented"]),
                        "1 or -1: the constant the bias weight multiplies",
                    )
                    return "none", 1.0, 0
                return "augmented", float(bias["augmented"]), 1
            return "shared", 1.0, 0
        return ("number" if is_number(bias) else "list"), 1.0, 0

    def bias(self, path: tuple, spec: dict, form: str, units: int | None) -> np.ndarray | None:
        key = "threshold" if form == "threshold" else "bias"
        value = spec.get(key)
        if form in ("none", "augmented"):
            return None
        if form == "shared":
            value = value["shared"]
            v = self.number(path + ("bias", "shared"), value, "a number: the layer's one bias")
            return None if v is None else np.array([float(v)])
        if is_number(value):
            if not math.isfinite(value):
                self.issue(path + (key,), repr(value), "a finite number")
                return None
            return np.full(units, float(value)) if units is not None else None
        if isinstance(value, list):
            vec = self.matrix(path + (key,), value, "a list of numbers, one per unit")
            if vec is not None and (vec.shape[0] != 1 or (units is not None and vec.shape[1] != units)):
                self.issue(
                    path + (key,), f"{vec.size} {key} value(s)", f"one per unit: {units} (or one number for all)"
                )
                return None
            return None if vec is None else vec[0]
        expected = (
            "a number or a list of numbers, one per unit"
            if key == "threshold"
            else "a number, a list of numbers (one per unit), augmented, {augmented: -1} or {shared: value}"
        )
        self.issue(path + (key,), describe(value), expected)
        return None

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

    def dropout(self, path: tuple, spec: dict, is_output: bool, units: int | None):
        """dropout: p in [0, 1) on a hidden layer, with optional masks: one 0/1 row per example."""
        if "dropout" not in spec:
            if "masks" in spec:
                self.issue(path + ("masks",), "masks: without dropout:", "dropout: p beside masks:", at_key=True)
            return 0.0, None
        p = self.number(path + ("dropout",), spec["dropout"], "a probability p in [0, 1) of dropping a unit", low=0)
        if p is not None and p >= 1:
            self.issue(path + ("dropout",), repr(p), "a probability p in [0, 1) of dropping a unit")
            p = None
        if is_output:
            self.issue(path + ("dropout",), "dropout on the output layer", "dropout on hidden layers only", at_key=True)
        masks = None
        if "masks" in spec:
            masks = self.matrix(path + ("masks",), spec["masks"], "one row of 0s and 1s per example (1 keeps a unit)")
            if masks is not None and not np.all((masks == 0) | (masks == 1)):
                self.issue(
                    path + ("masks",), f"the value {masks[(masks != 0) & (masks != 1)][0]:g}", "0 (drop) or 1 (keep)"
                )
            elif masks is not None and (
                masks.shape[1] != units or (self.n_examples is not None and masks.shape[0] != self.n_examples)
            ):
                self.issue(
                    path + ("masks",),
                    f"{masks.shape[0]}×{masks.shape[1]}",
                    f"{self.n_examples}×{units}: one row per example, one column per unit",
                )
        return float(p or 0.0), masks

    def state(self, path: tuple, spec: dict, layout: str, units: int, n_in: int, bias_form: str):
        """The optimizer's buffers a continued run starts from (written by backprop into next_problem).

        ``state: {weights: {exp_avg: matrix, step: 3}, bias: {...}}``; v1's ``velocity: {weights, bias}`` is SGD's
        momentum_buffer.
        """
        if spec.get("velocity") is not None:
            v = spec["velocity"]
            value = (
                {part: {"momentum_buffer": v[part]} for part in ("weights", "bias") if part in v}
                if isinstance(v, dict)
                else v
            )
            return self.buffers(path + ("velocity",), value, layout, units, n_in, bias_form, legacy=True)
        if spec.get("state") is None:
            return None, None
        return self.buffers(path + ("state",), spec["state"], layout, units, n_in, bias_form)

    def buffers(self, spath, value, layout, units, n_in, bias_form, legacy=False):
        if not isinstance(value, dict):
            self.issue(
                spath,
                describe(value),
                "a mapping {weights: {...}, bias: {...}} (written by backprop into next_problem)",
            )
            return None, None
        self.check_keys(spath, value, ("weights", "bias"), "state")
        extra = 1 if bias_form == "augmented" else 0
        names = ("step",) + (self.optimizer_entry.state if self.optimizer_entry else ())
        state_W: dict = {}
        state_b: dict = {}
        for part, shape in (("weights", weight_shape(layout, units, n_in, extra)), ("bias", (1, units))):
            given = value.get(part)
            if given is None:
                continue
            ppath = spath + (part,) if not legacy else spath
            if not isinstance(given, dict):
                self.issue(ppath, describe(given), "a mapping of PyTorch state names to values")
                continue
            if not legacy:
                self.check_keys(ppath, given, names, f"{self.optimizer_entry.name} state")
            for key, v in given.items():
                if key not in names:
                    continue
                kpath = ppath + (key,) if not legacy else spath + (part,)
                self.buffer(kpath, key, v, part, shape, layout, extra, state_W, state_b, bias_form)
        return state_W or None, state_b or None

    def buffer(self, kpath, key, v, part, shape, layout, extra, state_W, state_b, bias_form) -> None:
        if key == "step":
            n = self.number(kpath, v, "a whole number ≥ 0 (the optimizer's step count)", integer=True, low=0)
            if n is not None:
                (state_W if part == "weights" else state_b)[key] = float(n)
                if extra:
                    state_b[key] = float(n)
            return
        M = self.matrix(kpath, v, "a matrix shaped like the weights" if part == "weights" else "one number per unit")
        if M is None:
            return
        if part == "bias" and bias_form == "shared":
            shape = (1, 1)
        if M.shape != shape:
            self.issue(kpath, f"{M.shape[0]}×{M.shape[1]}", f"{shape[0]}×{shape[1]}, the shape of the {part}")
            return
        if part == "bias":
            state_b[key] = M[0]
            return
        M = M if layout == "out_in" else M.T
        state_W[key] = M[:, : M.shape[1] - extra].copy()
        if extra:
            state_b[key] = M[:, -1].copy()


def _shape_expected(number: int, layout: str, units: int, n_in: int, prev: str, extra: int) -> str:
    ins = f"{n_in} input{'s' if n_in != 1 else ''} from {prev}"
    uns = f"{units} unit{'s' if units != 1 else ''}"
    if layout == "out_in":
        cols = f"{ins} + 1 bias column" if extra else ins
        return f"layer {number} weights (out_in: one row per unit) must be {units}×{n_in + extra}: {uns} × {cols}"
    rows = f"{ins} + 1 bias row" if extra else ins
    return f"layer {number} weights (in_out: one row per input) must be {n_in + extra}×{units}: {rows} × {uns}"
