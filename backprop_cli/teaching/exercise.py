"""New exercises (backprop new): a problem file with numbers a person can work by hand.

Weights, biases and inputs are drawn with one decimal, never 0, from NumPy's
legacy RandomState(seed) (so the same seed gives the same exercise on every
NumPy), and a draw is kept only if the first update is a good exercise: no
sigmoid or tanh unit near saturation (|z| ≤ 2.5), no ReLU-family unit on its
flat side for every example, and no gradient that is (nearly) zero. Pure:
returns the problem file's text.
"""

from __future__ import annotations

import numpy as np

from .. import engine
from ..errors import NonFiniteError
from ..problem import from_dict
from ..activations import ACTIVATIONS
from ..losses import LOSSES

TRIES = 2000


def _one_decimal(rng, shape, low=-0.9, high=0.9) -> np.ndarray:
    values = rng.randint(round(low * 10), round(high * 10) + 1, size=shape)
    values[values == 0] = rng.choice([-1, 1], size=int((values == 0).sum()))
    return values / 10.0


def _good(problem) -> bool:
    try:
        step = engine.run(problem.with_epochs(1)).epochs[0].steps[0]
    except NonFiniteError:
        return False
    for layer, fwd in zip(problem.layers, step.forward):
        act = layer.activation.name
        if act in ("sigmoid", "tanh") and np.max(np.abs(fwd.z)) > 2.5:
            return False
        if act in ("relu", "leaky_relu", "elu") and np.any(np.all(fwd.z <= 0.05, axis=0)):
            return False
    return all(np.min(np.abs(rec.dL_dW)) > 1e-3 for rec in step.backward)


def output_activation(hidden: str, loss: str) -> str:
    if LOSSES[loss].requires_output:
        return LOSSES[loss].requires_output
    if LOSSES[loss].needs_unit_interval:
        return "sigmoid"
    return hidden if not ACTIVATIONS[hidden].output_only else "sigmoid"


def new_problem(sizes: list[int], activation: str = "sigmoid", loss: str = "half_sse", seed: int = 0,
                examples: int = 1, learning_rate: float = 0.5, output: str | None = None) -> str:
    """The text of a new exercise (YAML), reproducible from its arguments."""
    out_act = output or output_activation(activation, loss)
    rng = np.random.RandomState(seed)
    for _ in range(TRIES):
        layers = []
        for k, (n_in, units) in enumerate(zip(sizes[:-1], sizes[1:])):
            act = out_act if k == len(sizes) - 2 else activation
            layers.append({"name": "o" if k == len(sizes) - 2 else ("h" if len(sizes) == 3 else f"h{k + 1}"),
                           "activation": act, "weights": _one_decimal(rng, (units, n_in)).tolist(),
                           "bias": float(_one_decimal(rng, ()))})
        X = _one_decimal(rng, (examples, sizes[0]), -1.0, 1.0)
        K = sizes[-1]
        if out_act == "softmax":
            Y = np.eye(K)[rng.randint(0, K, examples)]
        elif out_act == "sigmoid" or loss == "bce":
            Y = rng.randint(0, 2, (examples, K)).astype(float)
        else:
            Y = _one_decimal(rng, (examples, K), -1.0, 1.0)
        data = {"layers": layers, "inputs": X.tolist(), "targets": Y.tolist(), "loss": loss, "learning_rate": learning_rate}
        if _good(from_dict(data)):
            return _yaml(data, sizes, activation, loss, seed, examples)
    raise ValueError("no good exercise found for these settings; try another seed")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _row(values) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _yaml(data: dict, sizes, activation, loss, seed, examples) -> str:
    arch = "-".join(map(str, sizes))
    lines = [f"# A new exercise: backprop new --layers {arch} --activation {activation} --loss {loss} "
             f"--seed {seed}" + (f" --examples {examples}" if examples > 1 else ""),
             "# Solve it by hand, then check: backprop solve this-file.yaml",
             f'title: "Exercise {seed}: a {arch} network"',
             "layers:"]
    for layer in data["layers"]:
        rows = layer["weights"]
        pad = " " * 14
        lines += [f"  - name: {layer['name']}", f"    activation: {layer['activation']}",
                  "    weights: [" + (",\n" + pad).join(_row(r) for r in rows) + "]",
                  f"    bias: {_fmt(layer['bias'])}"]
    lines.append("inputs: [" + ", ".join(_row(r) for r in data["inputs"]) + "]")
    lines.append("targets: [" + ", ".join(_row(r) for r in data["targets"]) + "]")
    lines += [f"loss: {loss}", f"learning_rate: {_fmt(data['learning_rate'])}"]
    return "\n".join(lines) + "\n"
