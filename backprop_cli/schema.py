"""A JSON Schema of the problem file, built from the registries so that it cannot drift.

Editors with a YAML language server validate and complete problem files with
it (see docs/problem-file.md). The package ships it as
``backprop_cli/problem.schema.json``; a test checks that the file equals
:func:`problem_schema`.
"""

from __future__ import annotations

import json

from .activations import ACTIVATION_ALIASES, ACTIVATIONS
from .conventions import CONVENTIONS, PRESETS
from .losses import DEFAULT as DEFAULT_LOSS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .problem import INITS, LAYOUTS, REDUCTIONS, RULES, UPDATES

SCHEMA_ID = "https://backprop.invalid/problem.schema.json"


def _matrix(description: str) -> dict:
    return {
        "description": description,
        "oneOf": [
            {"type": "number"},
            {"type": "array", "items": {"type": "number"}, "minItems": 1},
            {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 1}, "minItems": 1},
        ],
    }


def _param_schema(param) -> dict:
    """The JSON Schema of one declared parameter (see params.Param)."""
    if param.kind == "bool":
        return {"type": "boolean"}
    number: dict = {"type": "number"}
    if param.low is not None:
        number["exclusiveMinimum" if param.open_low else "minimum"] = param.low
    if param.high is not None:
        number["exclusiveMaximum" if param.open_high else "maximum"] = param.high
    if param.kind == "pair":
        return {"type": "array", "items": number, "minItems": 2, "maxItems": 2}
    return number


def _activation_schema() -> dict:
    """A layer's activation: a name (or alias), or a mapping with its declared parameters."""
    names = list(ACTIVATIONS) + list(ACTIVATION_ALIASES)
    declared = {k: _param_schema(p) for a in ACTIVATIONS.values() for k, p in a.params.items()}
    return {
        "description": "The layer's activation: a name, or {name: ..., <parameter>: ...} for one with parameters.",
        "oneOf": [
            {"type": "string", "enum": names},
            {
                "type": "object",
                "properties": {"name": {"type": "string", "enum": names}, **declared},
                "required": ["name"],
                "additionalProperties": False,
            },
        ],
    }


def _weights_schema() -> dict:
    """A layer's weights: a matrix, or {init: …} drawn from the seed."""
    init = {
        "type": "object",
        "description": "Random initial weights drawn from the top-level seed; the layer must give units.",
        "properties": {
            "init": {"enum": list(INITS)},
            **{k: {"type": "number"} for spec in INITS.values() for k in spec},
        },
        "required": ["init"],
        "additionalProperties": False,
    }
    return {
        "description": "out_in: one row per unit (weights into it); in_out: one row per input. "
        "Or {init: uniform|normal}.",
        "oneOf": [
            {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 1}, "minItems": 1},
            init,
        ],
    }


def _optimizer_schema() -> dict:
    """A name, or {name: …, <parameter>: …} with the entry's declared parameters."""
    return {
        "description": "torch.optim's rules, names and defaults: a name, or {name: ..., <parameter>: ...}.",
        "oneOf": [{"enum": list(OPTIMIZERS)}]
        + [
            {
                "type": "object",
                "properties": {"name": {"const": name}, **{k: _param_schema(p) for k, p in opt.params.items()}},
                "required": ["name"],
                "additionalProperties": False,
            }
            for name, opt in OPTIMIZERS.items()
        ],
    }


def _bias_schema() -> dict:
    """The forms of a layer's bias (a number, one per unit, augmented, shared, none)."""
    return {
        "description": "Omitted: no bias. A number: every unit starts with it. A list: one per unit. "
        "augmented: the weights carry an extra column (out_in) or row (in_out) for a constant 1 "
        "input ({augmented: -1}: a constant −1). {shared: v}: one bias for the whole layer.",
        "oneOf": [
            {"type": "number"},
            {"type": "array", "items": {"type": "number"}, "minItems": 1},
            {"const": "augmented"},
            {"type": "null"},
            {
                "type": "object",
                "properties": {"augmented": {"enum": [1, -1]}},
                "required": ["augmented"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"shared": {"type": "number"}},
                "required": ["shared"],
                "additionalProperties": False,
            },
        ],
    }


def _layer_schema() -> dict:
    return {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "Labels the units: name1, name2, …"},
            "activation": _activation_schema(),
            "weights": _weights_schema(),
            "bias": _bias_schema(),
            "threshold": {
                "description": "In place of bias: z = W·x − θ (a number, or one per unit).",
                "oneOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}, "minItems": 1}],
            },
            "dropout": {
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 1,
                "description": "p, the probability of dropping a unit (hidden layers only).",
            },
            "masks": {
                "type": "array",
                "items": {"type": "array", "items": {"enum": [0, 1]}},
                "description": "One row per example: 1 keeps a unit, 0 drops it; reused every epoch.",
            },
            "state": {
                "type": "object",
                "description": "The optimizer's buffers, written by backprop into next_problem.",
                "properties": {"weights": {"type": "object"}, "bias": {"type": "object"}},
                "additionalProperties": False,
            },
            "units": {"type": "integer", "minimum": 1},
            "layout": {"enum": list(LAYOUTS), "description": "Overrides the top-level layout for this layer."},
            "velocity": {
                "type": "object",
                "description": "Momentum buffers, written by backprop into next_problem.",
                "properties": {"weights": {"type": "array"}, "bias": {"type": "array"}},
                "additionalProperties": False,
            },
        },
        "required": ["activation", "weights"],
        "additionalProperties": False,
    }


def problem_schema() -> dict:
    with_params = [n for n, a in ACTIVATIONS.items() if a.params]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "backprop problem file",
        "description": "A neural network, its data and its training settings, for backprop solve and backprop step.",
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "source": {"type": "string"},
            "notes": {"type": "string"},
            "layout": {"enum": list(LAYOUTS), "default": "out_in"},
            "layers": {
                "type": "array",
                "items": _layer_schema(),
                "minItems": 1,
                "description": "First hidden layer first, output layer last.",
            },
            "inputs": _matrix("One row per example; a flat list is one example."),
            "targets": _matrix("One row per example, one value per output unit."),
            "loss": {"enum": list(LOSSES), "default": DEFAULT_LOSS},
            "learning_rate": {"type": "number", "minimum": 0},
            "update": {"enum": list(UPDATES), "default": "batch"},
            "batch_size": {"type": "integer", "minimum": 1, "description": "Only with update: minibatch."},
            "batch_reduction": {"enum": list(REDUCTIONS), "default": "mean"},
            "epochs": {"type": "integer", "minimum": 1, "default": 1},
            "train_bias": {"type": "boolean", "default": True},
            "momentum": {"type": "number", "minimum": 0, "default": 0},
            "seed": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**32 - 1},
            "optimizer": _optimizer_schema(),
            "l2": {"type": "number", "minimum": 0, "description": "Adds (λ/2)·Σ w² to the loss."},
            "l1": {"type": "number", "minimum": 0, "description": "Adds λ·Σ |w| to the loss."},
            "rule": {"enum": list(RULES), "default": "backprop"},
            "conventions": {
                "type": "object",
                "properties": {
                    "preset": {"enum": list(PRESETS)},
                    **{k: {"enum": list(v)} for k, v in CONVENTIONS.items()},
                },
                "additionalProperties": False,
            },
            "epochs_done": {
                "type": "integer",
                "minimum": 0,
                "description": "Epochs run before these weights (written into next_problem).",
            },
        },
        "required": ["layers", "inputs", "targets", "learning_rate"],
        "additionalProperties": False,
        "$comment": f"Activations with parameters: {', '.join(with_params)}.",
    }


def schema_text() -> str:
    return json.dumps(problem_schema(), indent=2, ensure_ascii=False) + "\n"
