"""Grading a circuit's answers by name, as networks' answers are graded: the same verdicts, digits and report.

An answer names a value (``q``), a gradient (``df/dq``, ``∂f/∂q``, ``dq``,
``grad_q``), a trained input after the step (``x+``, ``x⁺``, ``x_new``) or the
output after the step (``f+``, ``f⁺``, ``f_new``, ``f_after``).

Verdicts are the networks' (teaching/check.py), judged by the same
:class:`~backprop_cli.teaching.answers.Precision`: ``right``; ``imprecise``
(the true value rounded, with too few figures: CS231n's printed −0.20 for
∂f/∂w0 = −0.196612); ``CARRIED`` (wrong, but what follows from the student's
own earlier answers: replay.py); ``WRONG``; and ``duplicate`` for a second
spelling of a quantity already answered (``dx`` after ``∂f/∂x``), which is
not graded again.

A WRONG answer is compared with the usual mistakes, each the value a rule
broken leads to: a gradient not summed over a value's uses, a local derivative
forgotten (taken as 1), the sign of a subtraction's second operand dropped, max
or min routed to the wrong operand, the gradient's sign flipped, the step taken
the wrong way (up the gradient for descent, down for ascent), the step Δ given
for the new value, and the output before the step given for the one after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, NamedTuple

from ..errors import Issue, ProblemError
from ..teaching import gradebook
from ..teaching.answer_names import UNKNOWN
from ..teaching.answers import Answer, Precision
from ..teaching.check import Result
from ..teaching.gradebook import FileReport, Points
from . import engine, replay
from .problem import GraphProblem
from .trace import GraphTrace

KINDS = ("value", "grad", "updated", "after")
GROUP = {"value": "forward", "grad": "gradient", "updated": "update", "after": "update"}
"""The points-file group of each kind of answer (the networks' group names)."""


class Quantity(NamedTuple):
    """What an answer names: ("value", "q"), ("grad", "x"), ("updated", "x") or ("after", f)."""

    kind: str
    name: str


def quantity(problem: GraphProblem, key: str, names) -> Quantity | None:
    """The quantity an answer's name stands for, or None."""
    f = problem.output
    if key in names:
        return Quantity("value", key)
    for prefix in (f"d{f}/d", f"∂{f}/∂", f"d{f}_d", "grad_"):
        if key.startswith(prefix) and key[len(prefix) :] in names:
            return Quantity("grad", key[len(prefix) :])
    if key.startswith("d") and key[1:] in names:
        return Quantity("grad", key[1:])
    for suffix in ("+", "⁺", "_new", "_after"):
        stem = key[: -len(suffix)]
        if key.endswith(suffix) and stem in problem.train and suffix != "_after":
            return Quantity("updated", stem)
        if key.endswith(suffix) and stem == f and problem.learning_rate is not None and problem.train:
            return Quantity("after", f)
    return None


def unknown(problem: GraphProblem, trace: GraphTrace, origin: str, key: str, line: int) -> Issue:
    after = f", {problem.output}+ for the output after the step" if trace.updated is not None else ""
    return Issue(
        origin,
        line,
        1,
        key,
        f"the name {key!r}",
        f"a value of the circuit ({', '.join(trace.values)}), d{problem.output}/dNAME for a "
        f"gradient, or NAME+ for a trained input after the update{after}",
    )


def grade(
    problem: GraphProblem,
    answers: dict[str, tuple[str, float, int]],
    origin: str,
    tolerance: float | None = None,
    min_decimals: int | None = None,
    strict: bool = True,
) -> list[Result]:
    """Every answer (key -> (text as written, value, line)) with its verdict. An unknown name is refused
    (``strict``), or, as check does for networks, reported as ``unknown`` while the rest is graded."""
    trace = engine.run(problem)
    precision = Precision(tolerance, min_decimals)
    names = set(trace.values)
    located = [(key, Answer(v, text, line), quantity(problem, key, names)) for key, (text, v, line) in answers.items()]
    if strict and any(q is None for _, _, q in located):
        raise ProblemError([unknown(problem, trace, origin, key, a.line) for key, a, q in located if q is None])
    given = {}
    for _, ans, q in located:
        given.setdefault(q, ans.value)  # the first answer of a quantity is the student's value of it
    follows = replay.carried(problem, given)
    results, first = [], {}
    for key, ans, q in located:
        if q is None:
            why = f"{UNKNOWN}{suggest(problem, trace, key)}"
            results.append(Result(key, ans, None, "unknown", [why], line=ans.line))
        elif q in first:
            why = f"the same quantity as {first[q]}, given above under another name; only the first is graded"
            results.append(Result(key, ans, None, "duplicate", [why], q, line=ans.line))
        else:
            first[q] = key
            expected = float(true_value(trace, q))
            verdict = precision.judge(ans, expected) or "WRONG"
            why = [precision.wanted()] if verdict == "imprecise" else []
            c = follows.get(q)
            if verdict == "WRONG" and _carried(precision, ans, c, expected):
                verdict = "CARRIED"
            elif verdict == "WRONG":
                why = mistakes(problem, trace, q, ans, precision)
            carried = float(c) if verdict == "CARRIED" else None
            results.append(Result(key, ans, expected, verdict, why, q, carried, ans.line))
    return results


def _carried(precision: Precision, ans: Answer, follows, expected: float) -> bool:
    """Wrong, but what follows from the student's own earlier answers (and that differs from the truth)."""
    if follows is None:
        return False
    follows = float(follows)
    return abs(follows - expected) > 1e-12 * max(1.0, abs(expected)) and precision.follows(ans, follows)


def suggest(problem: GraphProblem, trace: GraphTrace, key: str) -> str:
    """' (did you mean dx0 or dx1?)' for a name close to one this circuit's answers may use, else ''."""
    import difflib

    f = problem.output
    known = [*trace.values, *(f"d{n}" for n in trace.values), *(f"d{f}/d{n}" for n in trace.values)]
    known += [f"{n}+" for n in problem.train] + ([f"{f}+"] if trace.output_after is not None else [])
    close = difflib.get_close_matches(key, known, n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def true_value(trace: GraphTrace, q: Quantity):
    if q.kind == "after":
        return trace.output_after
    return {"value": trace.values, "grad": trace.grads, "updated": trace.updated or {}}[q.kind][q.name]


# ----------------------------------------------------------------------------- a class: files, points, totals


def grade_files(
    problem: GraphProblem,
    paths: list[str],
    stdin: BinaryIO | None,
    tolerance: float | None = None,
    min_decimals: int | None = None,
    points: Points | None = None,
) -> list[FileReport]:
    """Every answer file graded (one that cannot be read or graded becomes a report of its errors) and scored."""
    from .teaching import read_answer_file

    engine.run(problem)  # a circuit that cannot be run stops here, before any file
    reports = []
    for path in paths:
        source = "<stdin>" if path == "-" else path
        try:
            results = grade(problem, read_answer_file(path, stdin), source, tolerance, min_decimals, strict=False)
            reports.append(FileReport(source, results))
        except ProblemError as e:
            reports.append(FileReport(source, [], e.issues))
    return score(reports, points or Points({}, {}))


def load_points(problem: GraphProblem, path: str) -> Points:
    """A points file (the networks' format) whose names are this circuit's answer names, resolved to quantities."""
    from .teaching import read_file

    points = gradebook.points_from_text(read_file(path, "a points file"), path)
    names = set(problem.names())
    named, issues = {}, []
    for name, (value, line) in points.names.items():
        q = quantity(problem, name, names)
        if q is None:
            issues.append(
                Issue(path, line, 1, name, f"the name {name!r}", "an answer name, or one of forward, gradient, update")
            )
        named[q] = (value, line)
    if issues:
        raise ProblemError(issues)
    return points._replace(names=named)


def score(reports: list[FileReport], points: Points) -> list[FileReport]:
    """Points earned of the total: the quantities expected are those the points file names and every one anyone
    answered; a file that could not be graded earns 0 of that total, every answer missing."""
    expected = dict.fromkeys(q for q in points.names)
    for rep in reports:
        expected.update(dict.fromkeys(r.loc for r in rep.results if r.verdict in gradebook.GRADED))

    def worth(q: Quantity) -> float:
        return points.names[q][0] if q in points.names else points.groups.get(GROUP[q.kind], points.default)

    total = sum(worth(q) for q in expected)
    out = []
    for rep in reports:
        if rep.issues:
            out.append(rep._replace(points=0.0, total=total, missing=len(expected)))
            continue
        answered = {r.loc: r for r in rep.results if r.verdict in gradebook.GRADED}
        share = {"right": 1.0, "CARRIED": points.carried}
        earned = sum(worth(q) * share.get(answered[q].verdict, 0.0) for q in expected if q in answered)
        out.append(rep._replace(points=earned, total=total, missing=sum(q not in answered for q in expected)))
    return out


# ----------------------------------------------------------------------------- the usual mistakes


def _near(precision: Precision, ans: Answer, value) -> bool:
    """The answer is this value, as the networks' checker names a mistake: right for it, or off by the student's
    own rounding in the last digit, with enough figures (a 1-figure answer names no mistake)."""
    return precision.follows(ans, float(value))


def mistakes(problem: GraphProblem, trace: GraphTrace, q: Quantity, ans: Answer, precision: Precision) -> list[str]:
    """The usual mistakes whose value this WRONG answer is."""
    found: list[str] = []
    for description, value in RULES[q.kind](problem, trace, q.name):
        if value is not None and _near(precision, ans, value) and description not in found:
            found.append(description)
    return found


def _gradient_mistakes(problem: GraphProblem, trace: GraphTrace, name: str):
    """(description, the gradient it leads to) for each usual mistake of a backward pass by hand."""
    terms = trace.contributions.get(name, [])
    if len(terms) > 1:
        for c in terms:
            yield (
                f"only the gradient through {c.via}: {name} is used by {len(terms)} gates and "
                "their gradients must be summed",
                c.value,
            )
    for mistake in BACKWARD_MISTAKES:
        for description, override in mistake(problem, trace):
            try:
                _, grads, _ = engine.backward(problem, trace.values, override)
            except engine.ComputeError:
                continue
            yield description, grads[name]
    if trace.grads[name] != 0:
        yield "the sign of the gradient flipped", -trace.grads[name]


def _the_other_way(problem: GraphProblem, x: str | None = None) -> str:
    """The step taken the wrong way, in the names of the input ``x`` (each trained input when None) and the output."""
    f, each = problem.output, "" if x else " for each trained input x"
    x = x or "x"
    if problem.maximize:
        return (
            f"stepped down the gradient ({x} − η·∂{f}/∂{x}{each}) instead of up: this problem maximizes "
            "(gradient ascent)"
        )
    return f"stepped up the gradient ({x} + η·∂{f}/∂{x}{each}) instead of down: gradient descent subtracts η·∂{f}/∂{x}"


def _update_mistakes(problem: GraphProblem, trace: GraphTrace, name: str):
    step = problem.step_sign * problem.learning_rate * trace.grads[name]
    yield _the_other_way(problem, name), trace.values[name] - step
    yield f"the change Δ{name} = {'+' if problem.maximize else '−'}η·∂{problem.output}/∂{name}, not the new value", step


def _after_mistakes(problem: GraphProblem, trace: GraphTrace, name: str):
    other = problem._replace(maximize=not problem.maximize)
    try:
        yield _the_other_way(problem), engine.run(other).output_after
    except engine.ComputeError:
        pass
    yield f"the output before the step ({name} = {float(trace.values[name]):.4g}), not after it", trace.values[name]


def _value_mistakes(problem: GraphProblem, trace: GraphTrace, name: str):
    return []


RULES: dict[str, Callable] = {
    "value": _value_mistakes,
    "grad": _gradient_mistakes,
    "updated": _update_mistakes,
    "after": _after_mistakes,
}


# each: (problem, trace) -> [(description, engine.Override)], a backward pass with one rule broken


def _forgot_local(problem, trace):
    """A local derivative forgotten: one gate's ∂g/∂a taken as 1."""
    from .page import local_symbol

    out = []
    for r in trace.records:
        for k, o in enumerate(r.gate.operands):
            if o.is_ref and r.local[k] != 1:
                out.append(
                    (
                        f"the local derivative {local_symbol(trace, r.gate.name, o.ref).u} forgotten (taken as 1)",
                        lambda g, j, dd, gate=r.gate, k=k: 1.0 if (g is gate and j == k) else dd,
                    )
                )
    return out


def _sub_sign(problem, trace):
    """The sign of a subtraction's second operand dropped: ∂(a − b)/∂b taken as +1."""
    from .page import local_symbol

    return [
        (
            f"the sign of the second operand of {r.gate.name} = {r.gate.operands[0].ref or 'a'} − "
            f"{r.gate.operands[1].ref or 'b'} dropped ({local_symbol(trace, r.gate.name, r.gate.operands[1].ref).u}"
            " is −1)",
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


BACKWARD_MISTAKES = (_forgot_local, _sub_sign, _max_route)
"""The usual mistakes of a hand backward pass, each a rule broken in a rerun of the backward pass."""
