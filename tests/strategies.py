"""Hypothesis strategies: random problem files over the whole option space of SPEC §1."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from backprop_cli.activations import ACTIVATIONS
from backprop_cli.losses import LOSSES

HIDDEN = [n for n, a in ACTIVATIONS.items() if not a.output_only and a.differentiable]
KINKED = {"relu", "leaky_relu", "elu"}  # activations whose derivative jumps at z = 0

small = st.floats(-1.5, 1.5, allow_nan=False, width=64).map(lambda v: round(v, 3))


def matrix(draw, rows: int, cols: int, elements=small):
    return [[draw(elements) for _ in range(cols)] for _ in range(rows)]


def activation(draw, name: str):
    act = ACTIVATIONS[name]
    if act.params and draw(st.booleans()):
        return {"name": name, **{k: draw(st.sampled_from([0.05, 0.2, 0.7])) for k in act.params}}
    return name


@st.composite
def problems(draw, max_layers: int = 3, max_units: int = 3, max_examples: int = 4, max_epochs: int = 2):
    """A valid problem as plain data (the parsed form of a YAML file)."""
    loss = draw(st.sampled_from(sorted(LOSSES)))
    n_layers = draw(st.integers(1, max_layers))
    d_in = draw(st.integers(1, 3))
    n = draw(st.integers(1, max_examples))
    units = [draw(st.integers(1, max_units)) for _ in range(n_layers)]
    if loss == "cross_entropy":
        out_act = "softmax"
    elif loss == "bce":
        out_act = draw(st.sampled_from(["sigmoid", "softmax"]))
    else:
        out_act = draw(st.sampled_from(HIDDEN + ["softmax"]))
    if out_act == "softmax":
        units[-1] = max(units[-1], 2)
    top_layout = draw(st.sampled_from(["out_in", "in_out"]))
    layers = []
    fan_in = d_in
    for i, u in enumerate(units):
        act_name = out_act if i == n_layers - 1 else draw(st.sampled_from(HIDDEN))
        layout = draw(st.sampled_from([None, "out_in", "in_out"]))
        eff = layout or top_layout
        bias_form = draw(st.sampled_from(["none", "number", "list", "augmented"]))
        extra = 1 if bias_form == "augmented" else 0
        spec = {"activation": activation(draw, act_name)}
        if layout:
            spec["layout"] = layout
        if draw(st.integers(0, 5)) == 0:
            spec["weights"] = {"init": "uniform", "low": -1, "high": 1}
            spec["units"] = u
        else:
            shape = (u, fan_in + extra) if eff == "out_in" else (fan_in + extra, u)
            spec["weights"] = matrix(draw, *shape)
        if bias_form == "number":
            spec["bias"] = draw(small)
        elif bias_form == "list":
            spec["bias"] = [draw(small) for _ in range(u)]
        elif bias_form == "augmented":
            spec["bias"] = "augmented"
        layers.append(spec)
        fan_in = u
    K = units[-1]
    inputs = matrix(draw, n, d_in, st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2)))
    if loss == "cross_entropy":
        if draw(st.booleans()):
            targets = [list(np.eye(K)[draw(st.integers(0, K - 1))]) for _ in range(n)]
        else:
            targets = matrix(draw, n, K, st.floats(0, 1).map(lambda v: round(v, 2)))
    elif loss == "bce":
        targets = matrix(draw, n, K, st.floats(0, 1).map(lambda v: round(v, 2)))
    else:
        targets = matrix(draw, n, K, st.floats(-1, 1).map(lambda v: round(v, 2)))
    update = draw(st.sampled_from(["batch", "stochastic", "minibatch"]))
    problem = {
        "layout": top_layout,
        "layers": layers,
        "inputs": inputs,
        "targets": targets,
        "loss": loss,
        "learning_rate": draw(st.sampled_from([0.01, 0.1, 0.5, 1.0])),
        "update": update,
        "batch_reduction": draw(st.sampled_from(["mean", "sum"])),
        "epochs": draw(st.integers(1, max_epochs)),
        "train_bias": draw(st.booleans()),
        "momentum": draw(st.sampled_from([0, 0, 0.5, 0.9])),
        "seed": draw(st.integers(0, 2**16)),
    }
    if update == "minibatch":
        problem["batch_size"] = draw(st.integers(1, max(1, n)))
    return problem


def run_finite(problem, **kwargs):
    """engine.run, discarding (hypothesis.reject) generated problems that legitimately diverge."""
    from hypothesis import reject

    from backprop_cli import engine
    from backprop_cli.errors import NonFiniteError

    try:
        return engine.run(problem, **kwargs)
    except NonFiniteError:
        reject()


RATIONAL_HIDDEN = [n for n, a in ACTIVATIONS.items() if a.rational and a.differentiable]
RATIONAL_LOSSES = [n for n, loss in LOSSES.items() if loss.rational]


@st.composite
def rational_problems(draw, max_layers: int = 3, max_units: int = 3, max_examples: int = 4):
    """A valid problem whose every operation is rational (what --exact runs): rational activations and losses,
    SGD with momentum, dampening, Nesterov and weight decay, l2/l1, dropout with given masks. One epoch."""
    data = draw(problems(max_layers, max_units, max_examples, max_epochs=1))
    data["loss"] = draw(st.sampled_from(RATIONAL_LOSSES))
    n = len(data["inputs"])
    for i, spec in enumerate(data["layers"]):
        spec["activation"] = activation(draw, draw(st.sampled_from(RATIONAL_HIDDEN)))
        units = spec.get("units") or (
            len(spec["weights"]) if spec.get("layout", data["layout"]) == "out_in" else len(spec["weights"][0])
        )
        if i < len(data["layers"]) - 1 and draw(st.integers(0, 3)) == 0:
            spec["dropout"] = draw(st.sampled_from([0.2, 0.5]))
            spec["masks"] = [[draw(st.sampled_from([0, 1])) for _ in range(units)] for _ in range(n)]
    momentum = data.pop("momentum")
    nesterov = momentum > 0 and draw(st.booleans())
    data["optimizer"] = {
        "name": "sgd",
        "momentum": momentum,
        "nesterov": nesterov,
        "dampening": 0 if nesterov else draw(st.sampled_from([0, 0.1])),
        "weight_decay": draw(st.sampled_from([0, 0.01])),
    }
    for key in ("l2", "l1"):
        if draw(st.booleans()):
            data[key] = draw(st.sampled_from([0.001, 0.01]))
    return data
