"""Teaching tools for circuits: a gradient check, grading answers by node name, and new random circuits.

Gradient check: each input's ∂f/∂x against the five-point centred difference
(−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h, whose error is O(h⁴).

Grading: an answer is right when it equals the true value rounded to the
decimals it is written with (0.39 for 0.3932), or within ``tolerance`` when one
is given; an answer with fewer than two decimals is right only when the true
value is exactly that short (so 0 or 1 never passes for 0.1966). A wrong
gradient is compared with the usual mistakes, each a backward pass run with
one rule broken (:data:`MISTAKES`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from decimal import Decimal
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


class Mistake(NamedTuple):
    name: str  # what the student did
    override: Callable  # (problem, trace) -> [(description, engine.Override)]


def _forgot_local(problem, trace):
    """A local derivative forgotten: one gate's ∂g/∂a taken as 1."""
    out = []
    for r in trace.records:
        for k, o in enumerate(r.gate.operands):
            if o.is_ref and r.local[k] != 1:
                out.append(
                    (
                        f"the local derivative ∂{r.gate.name}/∂{o.ref} forgotten (taken as 1)",
                        lambda g, j, dd, gate=r.gate, k=k: 1.0 if (g is gate and j == k) else dd,
                    )
                )
    return out


def _sub_sign(problem, trace):
    """The sign of a subtraction's second operand dropped: ∂(a − b)/∂b taken as +1."""
    return [
        (
            f"the sign of the second operand of {r.gate.name} = {r.gate.operands[0].ref or 'a'} − "
            f"{r.gate.operands[1].ref or 'b'} dropped (∂{r.gate.name}/∂{r.gate.operands[1].ref} is −1)",
            lambda g, j, dd, gate=r.gate: 1.0 if (g is gate and j == 1) else dd,
        )
        for r in trace.records
        if r.gate.op == "sub" and r.gate.operands[1].is_ref
    ]


def _max_route(problem, trace):
    """max/min routed to the wrong operand."""
    return [
        (
            f"{r.gate.op} routed to the wrong operand in {r.gate.name}",
            lambda g, j, dd, gate=r.gate: (1.0 - dd) if g is gate else dd,
        )
        for r in trace.records
        if r.gate.op in ("max", "min")
    ]


MISTAKES = (
    Mistake("forgotten local derivative", _forgot_local),
    Mistake("sign of subtraction", _sub_sign),
    Mistake("max routes", _max_route),
)
"""The usual mistakes of a hand backward pass, each a rule broken in a rerun of the backward pass."""


class Result(NamedTuple):
    name: str
    written: str
    answer: float
    expected: float
    right: bool
    mistakes: list[str]


def decimals(written: str) -> int:
    d = Decimal(written.strip().replace("_", ""))
    return max(0, -d.as_tuple().exponent)


def matches(written: str, value: float, expected: float, tolerance: float | None) -> bool:
    if tolerance is not None:
        return abs(value - expected) <= tolerance
    n = decimals(written)
    close = abs(value - expected) <= 0.5 * 10**-n * (1 + 1e-9) + 1e-12
    return close and (n >= 2 or abs(expected - round(expected, n)) <= 1e-12 * max(1.0, abs(expected)))


def _quantity(problem: GraphProblem, key: str, names: set[str]) -> tuple[str, str] | None:
    """("value" | "grad" | "updated", name) for an answer key: q, df/dq (∂f/∂q, dq, grad_q), x+ (x⁺, x_new)."""
    f = problem.output
    if key in names:
        return "value", key
    for prefix in (f"d{f}/d", f"∂{f}/∂", f"d{f}_d", "grad_"):
        if key.startswith(prefix) and key[len(prefix) :] in names:
            return "grad", key[len(prefix) :]
    if key.startswith("d") and key[1:] in names:
        return "grad", key[1:]
    for suffix in ("+", "⁺", "_new"):
        if key.endswith(suffix) and key[: -len(suffix)] in problem.train:
            return "updated", key[: -len(suffix)]
    return None


def grade(
    problem: GraphProblem, answers: dict[str, tuple[str, float, int]], origin: str, tolerance: float | None = None
) -> list[Result]:
    """Grade ``answers`` (key -> (text as written, value, line)); unknown keys are refused with their line."""
    trace = engine.run(problem)
    names = set(trace.values)
    issues, wanted = [], []
    for key, (written, value, line) in answers.items():
        q = _quantity(problem, key, names)
        if q is None:
            issues.append(
                Issue(
                    origin,
                    line,
                    1,
                    key,
                    f"the name {key!r}",
                    f"a value of the circuit ({', '.join(trace.values)}), d{problem.output}/dNAME for a "
                    "gradient, or NAME+ for a trained input after the update",
                )
            )
        else:
            wanted.append((key, written, value, q))
    if issues:
        raise ProblemError(issues)
    table = {"value": trace.values, "grad": trace.grads, "updated": trace.updated or {}}
    results = []
    for key, written, value, (kind, name) in wanted:
        expected = float(table[kind][name])
        right = matches(written, value, expected, tolerance)
        found = [] if right or kind != "grad" else _mistakes(problem, trace, name, written, value, tolerance)
        results.append(Result(key, written, value, expected, right, found))
    return results


def _mistakes(problem, trace, name, written, value, tolerance) -> list[str]:
    found = []
    terms = trace.contributions.get(name, [])
    if len(terms) > 1:
        for c in terms:
            if matches(written, value, float(c.value), tolerance):
                found.append(
                    f"only the gradient through {c.via}: {name} is used by {len(terms)} gates and "
                    "their gradients must be summed"
                )
    for mistake in MISTAKES:
        for description, override in mistake.override(problem, trace):
            try:
                _, grads, _ = engine.backward(problem, trace.values, override)
            except engine.ComputeError:
                continue
            if matches(written, value, float(grads[name]), tolerance) and description not in found:
                found.append(description)
    return found


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
    try:
        with open(path, "rb") as f:
            text = answers.read_bytes(f, source)
    except OSError as e:
        raise ProblemError(
            Issue(path, None, None, "", f"a file that cannot be read ({e.strerror})", "a file of answers")
        ) from None
    return read_answers(text, source)


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
