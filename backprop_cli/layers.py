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

from .activations import ACTIVATION_ALIASES, ACTIVATIONS, Activation
from .fields import describe, is_number
from .params import defaults
from .problem import LAYER_KEYS, LAYOUTS, Layer
from .state_rules import StateRules
from .weight_rules import WeightRules


class LayerRules(WeightRules, StateRules):
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

    def activation(self, path: tuple, value: Any, is_output: bool) -> tuple[Activation, dict]:
        if value is None:
            self.issue(
                path[:-1], "a layer without activation:", f"activation: one of {', '.join(ACTIVATIONS)}", at_key=True
            )
            return ACTIVATIONS["linear"], {}
        act, given = self.named_entry(
            path, value, ACTIVATIONS, ACTIVATION_ALIASES, "an activation", "{name: leaky_relu, alpha: 0.1}"
        )
        if act is None:
            return ACTIVATIONS["linear"], {}
        if act.output_only and not is_output:
            name_path = path + ("name",) if isinstance(value, dict) else path
            self.issue(name_path, f"{act.name} on a hidden layer", f"{act.name} only on the output layer")
        return act, {**defaults(act.params), **given}
