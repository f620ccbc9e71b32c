"""Teaching tools for circuits: a gradient check, reading answers, and new random circuits.

Gradient check: each input's ∂f/∂x against the five-point centred difference
(−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h, whose error is O(h⁴).

Grading the answers read here is :mod:`.grading` (``grade`` here calls it).
"""

from __future__ import annotations

import math
import random
from typing import BinaryIO, NamedTuple

from ..errors import Issue, ProblemError
from ..teaching import answers
from . import engine
from .gates import KINKS
from .problem import GraphProblem

# ----------------------------------------------------------------------------- gradient check

H = 1e-4


class GradCheck(NamedTuple):
    name: str
    analytic: float
    numeric: float
    relative: float
    note: str  # a kink nearby makes the finite difference unreliable


def gradcheck(problem: GraphProblem) -> list[GradCheck]:
    trace = engine.run(problem)
    kinky = _near_kink(trace)
    out = []
    for name, x in problem.inputs.items():
        h = H * max(1.0, abs(x))

        def f(dx: float, name: str = name, x: float = x) -> float:
            return engine.output_at(problem, {**problem.inputs, name: x + dx})

        try:
            numeric = (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)
        except engine.ComputeError:
            numeric = math.nan
        analytic = float(trace.grads[name])
        scale = max(abs(analytic), abs(numeric), 1e-6 * max(1.0, abs(float(trace.values[problem.output]))))
        relative = abs(analytic - numeric) / scale if math.isfinite(numeric) else math.inf
        out.append(
            GradCheck(name, analytic, numeric, relative, "a kink (relu, abs, max, min) is at its edge" if kinky else "")
        )
    return out


def _near_kink(trace) -> bool:
    for r in trace.records:
        if r.gate.op in KINKS:
            a = [float(v) for v in r.args]
            gap = abs(a[0] - a[1]) if len(a) == 2 else abs(a[0])
            if gap < 1e-3 * max(1.0, *map(abs, a)):
                return True
    return False


# ----------------------------------------------------------------------------- grading


def grade(*args, **kwargs):
    """:func:`.grading.grade`, imported when used (it reads the networks' checker, which gradcheck never needs)."""
    from .grading import grade as grade_answers

    return grade_answers(*args, **kwargs)


def read_answers(text: str, origin: str) -> dict[str, tuple[str, float, int]]:
    """A flat mapping of answer names to numbers, each kept as written with its line.

    Read by the reader of the networks' answers (teaching/answers.py: YAML, JSON or a CSV of name,value;
    nesting, aliases and expansion bounded), so that a hostile answer file is refused for a circuit
    exactly as for a network. A value that is not a number, and a name given twice, are errors here.
    """
    data = answers.parse(text, origin)
    if not isinstance(data, dict):
        raise ProblemError(
            Issue(
                origin,
                1,
                1,
                "",
                "answers that are not a mapping",
                "answers as a mapping of names to numbers, like q: 3",
            )
        )
    out, issues = {}, []
    for key, value in data.items():
        if isinstance(value, answers.Answer):
            out[key] = (value.text, value.value, value.line)
            continue
        written = value.text if isinstance(value, answers.Text) else ""
        hint = answers.decimal_comma_hint(written)
        found = (
            repr(written) if written else {list: "a list", answers.Entries: "a mapping"}.get(type(value), "no number")
        )
        issues.append(
            Issue(
                origin,
                value.line if isinstance(value, answers.Text) else data.lines.get(key),
                1,
                key,
                found,
                f"a number (a decimal comma: write {hint})" if hint else "a number",
            )
        )
    for key, line, first in data.duplicates:
        issues.append(Issue(origin, line, 1, key, f"a second answer (the first is at line {first})", "each name once"))
    if issues:
        raise ProblemError(sorted(issues, key=lambda i: i.line or 0))
    return out


def read_answer_file(path: str, stdin: BinaryIO | None = None) -> dict[str, tuple[str, float, int]]:
    """:func:`read_answers` of the file at ``path`` (``-``: ``stdin``), read as a network's answers are: at most
    answers.MAX_BYTES, UTF-8 text only (a binary or endless file is refused, never read whole)."""
    source = "<stdin>" if path == "-" else path
    if path == "-":
        return read_answers(answers.read_bytes(stdin, source), source)
    return read_answers(read_file(path, "a file of answers"), source)


def read_file(path: str, what: str) -> str:
    """The text of the file at ``path``, read as answers are (bounded, UTF-8), or a ProblemError naming it."""
    try:
        with open(path, "rb") as f:
            return answers.read_bytes(f, path)
    except OSError as e:
        raise ProblemError(Issue(path, None, None, "", f"a file that cannot be read ({e.strerror})", what)) from None


# ----------------------------------------------------------------------------- new circuits


def new_circuit(gates: int, seed: int = 0, decimals: bool = False, learning_rate: float | None = None) -> str:
    """A random circuit of ``gates`` operations as a problem file: pleasant numbers, no zero gradient on an input."""
    if not 1 <= gates <= 30:
        raise ValueError(f"--graph {gates}: expected 1 to 30 gates")
    for attempt in range(500):
        rng = random.Random(seed * 1000 + attempt)
        text = _draw(rng, gates, decimals, learning_rate)
        from .problem import loads

        problem = loads(text, "<new>")
        try:
            t = engine.run(problem, exact=not decimals)
        except engine.ComputeError:
            continue
        if (
            all(t.grads[n] != 0 and abs(t.grads[n]) < 1000 for n in problem.inputs)
            and all(abs(v) < 1000 for v in t.values.values())
            and not _near_kink(t)
            and not any(r.gate.op in ("max", "min") and r.args[0] == r.args[1] for r in t.records)
        ):
            return text
    raise ValueError("no circuit with these settings has pleasant numbers; try another --seed")


def _draw(rng: random.Random, gates: int, decimals: bool, learning_rate: float | None) -> str:
    n_inputs = min(4, max(2, gates // 2 + 1))
    inputs = ["x", "y", "z", "w"][:n_inputs]
    value = (
        (lambda: round(rng.uniform(-3, 3), 1) or 0.5) if decimals else (lambda: rng.choice([-3, -2, -1, 1, 2, 3, 4]))
    )
    ops = ["add", "sub", "mul", "mul", "max", "relu"] + (["sigmoid", "tanh"] if decimals else ["min", "square"])
    pool, unused, lines = list(inputs), list(inputs), []
    names = "abcdeghkmnpqrstuv"
    for i in range(gates):
        name = "f" if i == gates - 1 else names[i] if i < len(names) else f"n{i + 1}"
        op = rng.choice(ops)

        def pick():
            choice = unused.pop(0) if unused and rng.random() < 0.7 else rng.choice(pool)
            if choice in unused:
                unused.remove(choice)
            return choice

        a = pick()
        if op in ("relu", "sigmoid", "tanh"):
            expr = f"{op}({a})"
        elif op == "square":
            expr = f"{a}**2"
        else:
            b = pick()
            while b == a and len(pool) > 1:
                b = rng.choice(pool)
            expr = {"add": f"{a} + {b}", "sub": f"{a} - {b}", "mul": f"{a} * {b}"}.get(op, f"{op}({a}, {b})")
        lines.append(f"  {name}: {expr}")
        pool.append(name)
        unused.append(name)
    unused.remove("f")
    if unused:  # every input and every node takes part in f
        lines[-1] = lines[-1] + "".join(f" + {u}" for u in unused)
    head = [
        f"title: A random circuit of {gates} gate{'s' * (gates > 1)} (backprop new --graph {gates})",
        "inputs: {" + ", ".join(f"{n}: {value()}" for n in inputs) + "}",
        "graph:",
    ]
    tail = ["output: f"]
    if learning_rate is not None:
        tail += [f"learning_rate: {learning_rate}", "train: [" + ", ".join(inputs) + "]"]
    return "\n".join(head + lines + tail) + "\n"
