"""New exercises (backprop new): a problem file with numbers a person can work by hand.

Weights, biases and inputs are drawn with one decimal, never 0, from NumPy's
legacy RandomState(seed) (so the same seed gives the same exercise on every
NumPy), and a draw is kept only if the first update is a good exercise: no
sigmoid or tanh unit near saturation (|z| ≤ 2.5), no ReLU-family unit on its
flat side for every example, and no gradient that is (nearly) zero. Pure:
returns the problem file's text.
"""

from __future__ import annotations

import csv
import hashlib
import re

import numpy as np

from .. import engine
from ..activations import ACTIVATIONS
from ..errors import Issue, NonFiniteError, ProblemError
from ..losses import LOSSES
from ..validate import from_dict

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
    for layer, fwd in zip(problem.layers, step.forward, strict=False):
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


def new_problem(
    sizes: list[int],
    activation: str = "sigmoid",
    loss: str = "half_sse",
    seed: int = 0,
    examples: int = 1,
    learning_rate: float = 0.5,
    output: str | None = None,
    title: str | None = None,
    command: str | None = None,
) -> str:
    """The text of a new exercise (YAML), reproducible from its arguments.

    ``activation`` is that of the hidden layers; ``output`` that of the output
    layer (by default chosen to suit the loss, see :func:`output_activation`).
    """
    out_act = output or output_activation(activation, loss)
    rng = np.random.RandomState(seed)
    for _ in range(TRIES):
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
        if out_act == "softmax":
            Y = np.eye(K)[rng.randint(0, K, examples)]
        elif out_act == "sigmoid" or loss == "bce":
            Y = rng.randint(0, 2, (examples, K)).astype(float)
        else:
            Y = _one_decimal(rng, (examples, K), -1.0, 1.0)
        data = {
            "layers": layers,
            "inputs": X.tolist(),
            "targets": Y.tolist(),
            "loss": loss,
            "learning_rate": learning_rate,
        }
        try:
            problem = from_dict(data)
        except ProblemError as e:  # an output activation the loss cannot take
            raise ValueError(e.issues[0].found + "; expected " + e.issues[0].expected) from None
        if _good(problem):
            arch = "-".join(map(str, sizes))
            return _yaml(
                data,
                command or _command(sizes, activation, out_act, loss, seed, examples, output is not None),
                title or f"Exercise {seed}: a {arch} network",
            )
    raise ValueError("no good exercise found for these settings; try another seed")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _row(values) -> str:
    return "[" + ", ".join(_fmt(v) for v in values) + "]"


def _command(sizes, activation, out_act, loss, seed, examples, explicit_output: bool) -> str:
    """The command that writes this exercise again."""
    return (
        f"backprop new --layers {'-'.join(map(str, sizes))} --activation {activation}"
        + (f" --output-activation {out_act}" if explicit_output else "")
        + f" --loss {loss} --seed {seed}"
        + (f" --examples {examples}" if examples > 1 else "")
    )


def _yaml(data: dict, command: str, title: str) -> str:
    lines = [
        f"# A new exercise: {command}",
        "# Solve it by hand, then check: backprop solve this-file.yaml",
        f'title: "{title}"',
        "layers:",
    ]
    for layer in data["layers"]:
        rows = layer["weights"]
        pad = " " * 14
        lines += [
            f"  - name: {layer['name']}",
            f"    activation: {layer['activation']}",
            "    weights: [" + (",\n" + pad).join(_row(r) for r in rows) + "]",
            f"    bias: {_fmt(layer['bias'])}",
        ]
    lines.append("inputs: [" + ", ".join(_row(r) for r in data["inputs"]) + "]")
    lines.append("targets: [" + ", ".join(_row(r) for r in data["targets"]) + "]")
    lines += [f"loss: {data['loss']}", f"learning_rate: {_fmt(data['learning_rate'])}"]
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
    learning_rate: float,
    output: str | None,
) -> dict[str, str]:
    """One exercise per student id, each different from the others."""
    out, bodies = {}, set()
    arch = "-".join(map(str, sizes))
    out_act = output or output_activation(activation, loss)
    for student in ids:
        for attempt in range(100):
            s = variant_seed(student, seed, attempt)
            command = _command(sizes, activation, out_act, loss, s, examples, output is not None)
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
            )
            body = text.split("layers:", 1)[1]
            if body not in bodies:
                break
        bodies.add(body)
        out[student] = text
    return out
