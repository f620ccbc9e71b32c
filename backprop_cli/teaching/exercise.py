"""New exercises (backprop new): a problem file with numbers a person can work by hand.

Weights, biases and inputs are drawn with one decimal, never 0, from NumPy's
legacy RandomState(seed) (so the same seed gives the same exercise on every
NumPy), and a draw is kept only if the run is a good exercise: finite, no
sigmoid or tanh unit near saturation (|z| ≤ 2.5), no ReLU-family unit on its
flat side for every example, no gradient that is (nearly) zero except where a
dropout mask drops the unit, and, with an optimizer that keeps state, every
buffer moved by every step. With ``optimizer``, the file names its
hyperparameters (Adam's β's and ε, …) and a learning rate whose step can be
followed by hand; with ``dropout``, each hidden layer gets a given mask of 0s
and 1s per example (at least one unit kept, and one dropped where there are
two). Pure: returns the problem file's text.
"""

from __future__ import annotations

import csv
import hashlib
import re
from typing import Any

import numpy as np

from .. import engine
from ..activations import ACTIVATIONS
from ..activations import DEFAULT as DEFAULT_ACTIVATION
from ..errors import Issue, NonFiniteError, ProblemError
from ..losses import DEFAULT as DEFAULT_LOSS
from ..losses import LOSSES
from ..optimizers import OPTIMIZERS
from ..validate import from_dict

TRIES = 2000
PLAIN_RATE = 0.5
"""The learning rate of a plain SGD exercise."""


def _one_decimal(rng, shape, low=-0.9, high=0.9) -> np.ndarray:
    values = rng.randint(round(low * 10), round(high * 10) + 1, size=shape)
    values[values == 0] = rng.choice([-1, 1], size=int((values == 0).sum()))
    return values / 10.0


def _masks(rng, examples: int, units: int) -> np.ndarray:
    """A dropout mask per example: 0s and 1s, at least one unit kept in each row, one dropped where two exist."""
    masks = rng.randint(0, 2, size=(examples, units))
    for row in masks:
        if not row.any():
            row[rng.randint(units)] = 1
    if units > 1 and masks.all():
        masks[rng.randint(examples), rng.randint(units)] = 0
    return masks


def optimizer_block(name: str) -> dict[str, Any]:
    """The ``optimizer:`` of an exercise: its name and every hyperparameter that is on (β's, ε, α, …)."""
    block: dict[str, Any] = {"name": name}
    for key, param in OPTIMIZERS[name].params.items():
        if param.kind != "bool" and param.default not in (0, 0.0):
            block[key] = list(param.default) if param.kind == "pair" else param.default
    block.update(OPTIMIZERS[name].by_hand[1])
    return block


def learning_rate_for(optimizer: str | None) -> float:
    """The learning rate of an exercise with this optimizer (None: plain SGD)."""
    return PLAIN_RATE if optimizer is None else OPTIMIZERS[optimizer].by_hand[0]


def _zero_allowed(problem) -> list[np.ndarray]:
    """Per layer, the weights whose gradient is 0 by design: into a unit, or out of one, dropped for every example."""
    allowed = [np.zeros(layer.W.shape, dtype=bool) for layer in problem.layers]
    for l, layer in enumerate(problem.layers):
        if layer.masks is not None:
            dropped = ~layer.masks.astype(bool).any(axis=0)
            allowed[l][dropped, :] = True
            allowed[l + 1][:, dropped] = True
    return allowed


def _good(problem) -> bool:
    try:
        trace = engine.run(problem)
    except NonFiniteError:
        return False
    if trace.stopped:
        return False
    allowed = _zero_allowed(problem)
    for step in (s for epoch in trace.epochs for s in epoch.steps):
        for layer, fwd in zip(problem.layers, step.forward, strict=False):
            if layer.activation.smooth_saturating and np.max(np.abs(fwd.z)) > 2.5:
                return False  # f′ is small there: the numbers would hide the lesson
            if layer.activation.kinked and np.any(np.all(fwd.z <= 0.05, axis=0)):  # a unit dead on every example
                return False
        for rec in step.backward:
            if np.any((np.abs(rec.dL_dW) <= 1e-3) & ~allowed[rec.layer - 1]):
                return False
        if not all(_moved(u.state_W_before, u.state_W) for u in step.update):
            return False
        if any(_near_zero(u.W) or (u.b is not None and _near_zero(u.b)) for u in step.update):
            return False  # Adam's first step is ±η: 0.1 − 0.1 leaves 1e-8, which no one can write by hand
    return True


def _reaches_below_zero(name: str) -> bool:
    """Whether the activation has negative values (a ReLU or softplus output never reaches a target below 0)."""
    act = ACTIVATIONS[name]
    defaults = {k: p.default for k, p in act.params.items()}
    return bool(act.function(np.array([-10.0]), **defaults)[0] < 0)


def _near_zero(values: np.ndarray) -> bool:
    """A value after an update that is almost, but not exactly, 0 (below 10⁻³ in size)."""
    return bool(np.any((np.abs(values) < 1e-3) & (values != 0)))


def _moved(before: dict | None, after: dict | None) -> bool:
    """Every buffer of the optimizer changed in this step (and none is non-finite)."""
    before, after = before or {}, after or {}
    for key, value in after.items():
        if key != "step" and (not np.all(np.isfinite(value)) or np.array_equal(value, before.get(key))):
            return False
    return True


def output_activation(hidden: str, loss: str) -> str:
    if LOSSES[loss].requires_output:
        return LOSSES[loss].requires_output
    if LOSSES[loss].needs_unit_interval:
        return DEFAULT_ACTIVATION if ACTIVATIONS[DEFAULT_ACTIVATION].unit_interval else _unit_interval()
    return hidden if not ACTIVATIONS[hidden].output_only else DEFAULT_ACTIVATION


def _unit_interval() -> str:
    """An elementwise activation whose values lie in (0, 1), for a loss that needs them."""
    return next(n for n, a in ACTIVATIONS.items() if a.unit_interval and a.elementwise)


def new_problem(
    sizes: list[int],
    activation: str = DEFAULT_ACTIVATION,
    loss: str = DEFAULT_LOSS,
    seed: int = 0,
    examples: int = 1,
    learning_rate: float | None = None,
    output: str | None = None,
    title: str | None = None,
    command: str | None = None,
    optimizer: str | None = None,
    l2: float | None = None,
    dropout: float | None = None,
    epochs: int = 1,
) -> str:
    """The text of a new exercise (YAML), reproducible from its arguments.

    ``activation`` is that of the hidden layers; ``output`` that of the output
    layer (by default chosen to suit the loss, see :func:`output_activation`).
    ``learning_rate`` None takes one suited to the optimizer (its entry's ``by_hand``);
    ``dropout`` p puts dropout with given masks on every hidden layer.
    """
    if dropout and len(sizes) < 3:
        raise ValueError("--dropout needs a hidden layer (dropout is never on the output layer): e.g. --layers 2-2-1")
    out_act = output or output_activation(activation, loss)
    rate = learning_rate_for(optimizer) if learning_rate is None else learning_rate
    rng = np.random.RandomState(seed)
    for _ in range(TRIES):
        data = _draw(rng, sizes, activation, out_act, loss, examples, rate)
        if dropout:
            for layer, units in zip(data["layers"][:-1], sizes[1:-1], strict=False):
                layer["dropout"], layer["masks"] = dropout, _masks(rng, examples, units).tolist()
        if optimizer is not None:
            data["optimizer"] = optimizer_block(optimizer)
        if l2:
            data["l2"] = l2
        if epochs > 1:
            data["epochs"] = epochs
        try:
            problem = from_dict(data)
        except ProblemError as e:  # an output activation the loss cannot take
            raise ValueError(e.issues[0].found + "; expected " + e.issues[0].expected) from None
        if _good(problem):
            arch = "-".join(map(str, sizes))
            settings = dict(optimizer=optimizer, l2=l2, dropout=dropout, epochs=epochs, learning_rate=learning_rate)
            return _yaml(
                data,
                command or _command(sizes, activation, out_act, loss, seed, examples, output is not None, settings),
                title or f"Exercise {seed}: a {arch} network",
            )
    raise ValueError("no good exercise found for these settings; try another seed")


def _draw(rng, sizes, activation, out_act, loss, examples, learning_rate) -> dict:
    """One draw of the network and the data, as a problem file's data."""
    layers = []
    for k, (n_in, units) in enumerate(zip(sizes[:-1], sizes[1:], strict=False)):
        act = out_act if k == len(sizes) - 2 else activation
        layers.append(
            {
                "name": "o" if k == len(sizes) - 2 else ("h" if len(sizes) == 3 else f"h{k + 1}"),
                "activation": act,
                "weights": _one_decimal(rng, (units, n_in)).tolist(),
                "bias": float(_one_decimal(rng, ())),
            }
        )
    X = _one_decimal(rng, (examples, sizes[0]), -1.0, 1.0)
    K = sizes[-1]
    if not ACTIVATIONS[out_act].elementwise and ACTIVATIONS[out_act].unit_interval:  # a distribution: one-hot
        Y = np.eye(K)[rng.randint(0, K, examples)]
    elif ACTIVATIONS[out_act].unit_interval or LOSSES[loss].needs_unit_interval:
        Y = rng.randint(0, 2, (examples, K)).astype(float)
    else:
        Y = _one_decimal(rng, (examples, K), -1.0 if _reaches_below_zero(out_act) else 0.1, 1.0)
    return {"layers": layers, "inputs": X.tolist(), "targets": Y.tolist(), "loss": loss, "learning_rate": learning_rate}


def _fmt(x: float) -> str:
    """A number as YAML reads it back as a float: 0.5, 1.0e-8 (PyYAML wants the dot and the exponent's sign)."""
    text = f"{x:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{int(exponent):+d}"
    return text


def _row(values) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _command(sizes, activation, out_act, loss, seed, examples, explicit_output: bool, settings=None) -> str:
    """The command that writes this exercise again."""
    settings = settings or {}
    extra = ""
    for option in ("optimizer", "l2", "dropout", "learning_rate"):
        if settings.get(option) is not None:
            value = settings[option]
            extra += f" --{option.replace('_', '-')} {value if isinstance(value, str) else _fmt(value)}"
    if settings.get("epochs", 1) > 1:
        extra += f" --epochs {settings['epochs']}"
    return (
        f"backprop new --layers {'-'.join(map(str, sizes))} --activation {activation}"
        + (f" --output-activation {out_act}" if explicit_output else "")
        + f" --loss {loss} --seed {seed}"
        + (f" --examples {examples}" if examples > 1 else "")
        + extra
    )


def _flow(value) -> str:
    """A value in YAML's flow style: {name: adam, betas: [0.9, 0.999], eps: 1.0e-8}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else _fmt(value)


def _yaml(data: dict, command: str, title: str) -> str:
    lines = [
        f"# A new exercise: {command}",
        "# Solve it by hand, then check: backprop solve this-file.yaml",
        f'title: "{title}"',
        "layers:",
    ]
    pad = " " * 14
    for layer in data["layers"]:
        lines += [
            f"  - name: {layer['name']}",
            f"    activation: {layer['activation']}",
            "    weights: [" + (",\n" + pad).join(_row(r) for r in layer["weights"]) + "]",
            f"    bias: {_fmt(layer['bias'])}",
        ]
        if "dropout" in layer:
            lines += [
                f"    dropout: {_fmt(layer['dropout'])}",
                "    masks: [" + (",\n" + pad[:-2]).join(_row(r) for r in layer["masks"]) + "]",
            ]
    lines.append("inputs: [" + ", ".join(_row(r) for r in data["inputs"]) + "]")
    lines.append("targets: [" + ", ".join(_row(r) for r in data["targets"]) + "]")
    lines += [f"loss: {data['loss']}", f"learning_rate: {_fmt(data['learning_rate'])}"]
    for key in ("optimizer", "l2", "epochs"):
        if key in data:
            lines.append(f"{key}: {_flow(data[key])}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- a variant per student

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")
HEADER = re.compile(
    r"(?i)^(id|sid|student|student[ _-]?(id|number|no)|login|user(name)?|e-?mail|name|matriculation.*)$"
)


def roster_ids(text: str, source: str) -> list[str]:
    """The student ids of a roster: the first column of a CSV (comma, semicolon or tab); a header row is skipped."""
    lines = text.splitlines()
    first = next((l for l in lines if l.strip()), "")
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    ids, issues, seen = [], [], {}
    for line_no, row in enumerate(csv.reader(lines, delimiter=delimiter), 1):
        cell = row[0].strip() if row else ""
        if not cell or cell.startswith("#"):
            continue
        if not ids and not issues and HEADER.match(cell):
            continue
        if not ID.fullmatch(cell):
            issues.append(
                Issue(
                    source,
                    line_no,
                    1,
                    "",
                    f"the id {cell!r}",
                    "an id of letters, digits and . _ @ + - (it names the student's file)",
                )
            )
        elif cell in seen:
            issues.append(
                Issue(
                    source,
                    line_no,
                    1,
                    "",
                    f"the id {cell!r} a second time (first at line {seen[cell]})",
                    "each student once",
                )
            )
        else:
            seen[cell] = line_no
            ids.append(cell)
    if issues:
        raise ProblemError(issues[:20], max(0, len(issues) - 20))
    if not ids:
        raise ProblemError(
            Issue(source, None, None, "", "no student ids", "a CSV whose first column holds one id per student")
        )
    return ids


def variant_seed(student: str, seed: int, attempt: int = 0) -> int:
    """A seed drawn from the student id (and --seed): the same roster gives the same exercises."""
    digest = hashlib.sha256(f"{seed}:{student}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def variants(
    ids: list[str],
    sizes: list[int],
    activation: str,
    loss: str,
    seed: int,
    examples: int,
    learning_rate: float | None,
    output: str | None,
    **settings,
) -> dict[str, str]:
    """One exercise per student id, each different from the others (``settings``: optimizer, l2, dropout, epochs)."""
    out, bodies = {}, set()
    arch = "-".join(map(str, sizes))
    out_act = output or output_activation(activation, loss)
    for student in ids:
        for attempt in range(100):
            s = variant_seed(student, seed, attempt)
            command = _command(
                sizes,
                activation,
                out_act,
                loss,
                s,
                examples,
                output is not None,
                {**settings, "learning_rate": learning_rate},
            )
            text = new_problem(
                sizes,
                activation,
                loss,
                s,
                examples,
                learning_rate,
                output,
                title=f"Exercise for {student}: a {arch} network",
                command=command,
                **settings,
            )
            body = text.split("layers:", 1)[1]
            if body not in bodies:
                break
        bodies.add(body)
        out[student] = text
    return out
