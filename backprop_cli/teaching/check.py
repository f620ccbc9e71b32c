"""Grading answers (backprop check): a verdict for every answer, and the usual mistakes named.

Verdicts:

- ``right``: the true value, rounded to the decimals written, with enough digits
  (:class:`~.answers.Precision`);
- ``imprecise``: the true value rounded, but with too few digits (``out_o1: 0.6``);
  a written 0 or 1 is never right by rounding alone;
- ``CARRIED``: wrong, but it follows correctly from the student's own earlier
  answers (error carried forward; see replay.py);
- ``WRONG``; and for the lines that name no quantity: ``unknown`` (the name),
  ``unreadable`` (a value that is not a number, such as a decimal comma) and
  ``duplicate`` (a name given twice). The rest of the file is graded anyway.

For every answer that is not right, each usual mistake (mistakes.py) is made
throughout a replay of the run; an answer that matches the value the mistake
leads to names it, where it happens and on everything downstream.

Pure: ``grade(problem, text, source) -> list[Result]``.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from .. import engine
from ..errors import Issue, ProblemError
from ..problem import Problem
from .answer_names import UNKNOWN, AnswerNames, Loc
from .answers import EXPECTED, Answer, Entries, Precision, Text, decimal_comma_hint, decimals, matches, parse
from .mistakes import KINDS, LAYERLESS
from .replay import Key, Replay, Twist, hypotheses, truth

MAX_SUGGESTED = 20
"""'Did you mean' is looked up for at most this many unknown names of a file."""
MAX_ONCE = 3
"""Mistakes made at one update only are looked for at the first this many updates with a wrong answer."""
MAX_NAMED = 3
"""At most this many mistakes are named on one answer."""


class Result(NamedTuple):
    name: str  # as written (or the trace path)
    answer: Any  # an Answer; a Text or other value for the lines that name nothing gradable
    expected: float | None
    verdict: str  # right, imprecise, CARRIED, WRONG, unreadable, unknown, duplicate
    mistakes: list[str]  # the mistakes it matches, or why it was not graded
    loc: Loc | None = None
    carried: float | None = None  # the value that follows from the student's earlier answers
    line: int | None = None

    @property
    def right(self) -> bool:
        return self.verdict == "right"


def key_of(loc: Loc) -> Key:
    return loc.epoch, loc.step, loc.kind, 0 if loc.kind in LAYERLESS else loc.layer


def grade(
    problem: Problem, text: str, source: str, tolerance: float | None = None, min_decimals: int | None = None
) -> list[Result]:
    """Every answer in ``text``, with its verdict, the expected value and the mistakes a wrong one matches."""
    return grade_data(problem, parse(text, source), source, Precision(tolerance, min_decimals))


def grade_data(problem: Problem, data: Any, source: str, precision: Precision | None = None) -> list[Result]:
    precision = precision or Precision()
    if not isinstance(data, dict):
        raise ProblemError(Issue(source, 1, 1, "", "answers that are not a mapping", EXPECTED))
    names = AnswerNames(problem)
    results, pairs = _locate(names, data)
    if pairs:
        results += _grade_pairs(problem, pairs, precision)
    return sorted(results, key=lambda r: r.line or 0)


def _line(value: Any, fallback: int | None) -> int | None:
    return value.line if isinstance(value, (Answer, Text)) else fallback


def _locate(names: AnswerNames, data: dict) -> tuple[list[Result], list[tuple[str, Answer, Loc]]]:
    """The gradable (label, answer, locator) pairs, and a Result for each line that names nothing gradable."""
    lines = data.lines if isinstance(data, Entries) else {}
    from_trace = "epochs" in data or getattr(data.get("format"), "text", None) == "backprop-trace"
    if from_trace:
        found = [(label, ans, loc) for ans, loc, label in names.from_trace(data)]
    else:
        found = [(key, ans, names.by_name(key)) for key, ans in data.items()]
    results, pairs = [], []
    first_name: dict[Loc, str] = {}  # one quantity under two spellings (∂E/∂w5 and dL/dw5): only the first counts
    suggestions = MAX_SUGGESTED
    for label, ans, loc in found:
        line = _line(ans, lines.get(label))
        if isinstance(loc, str):
            if loc == UNKNOWN and suggestions > 0:
                suggestions -= 1
                loc += names.suggest(label)
            results.append(Result(label, ans, None, "unknown", [loc], line=line))
        elif not isinstance(ans, Answer):
            hint = decimal_comma_hint(ans.text) if isinstance(ans, Text) else None
            why = f"a decimal comma: write {hint}" if hint else "a value that is not a number"
            results.append(Result(label, ans, None, "unreadable", [why], loc, line=line))
        elif not from_trace and loc in first_name:
            why = f"the same quantity as {first_name[loc]}, given above under another name; only the first is graded"
            results.append(Result(label, ans, None, "duplicate", [why], loc, line=line))
        else:
            first_name.setdefault(loc, label)
            pairs.append((label, ans, loc))
    for key, line, first in getattr(data, "duplicates", []):
        results.append(
            Result(
                key,
                None,
                None,
                "duplicate",
                [f"given a second time (first at line {first}); only the first is graded"],
                line=line,
            )
        )
    return results, pairs


def _grade_pairs(problem: Problem, pairs: list[tuple[str, Answer, Loc]], precision: Precision) -> list[Result]:
    last = max(
        (loc.epoch, len(problem.batches()) - 1 if loc.kind in ("epoch_loss", "loss_after") else loc.step)
        for _, _, loc in pairs
    )
    true = truth(engine.run(problem.with_epochs(last[0] + 1)))
    overrides: dict[Key, list] = {}
    seen = set()
    for _, ans, loc in pairs:
        if loc not in seen:  # the first answer of a quantity is the student's value of it
            seen.add(loc)
            overrides.setdefault(key_of(loc), []).append((KINDS[loc.kind].at(loc), ans.value))
    carried = Replay(problem, overrides).run(last)
    results = []
    for label, ans, loc in pairs:
        t, c = _at(true, loc), _at(carried, loc)
        verdict = precision.judge(ans, t)
        if verdict is None:
            follows = not _same(c, t) and precision.follows(ans, c)
            verdict = "CARRIED" if follows else "WRONG"
        why = [precision.wanted()] if verdict == "imprecise" else []
        results.append(Result(label, ans, t, verdict, why, loc, c if verdict == "CARRIED" else None, ans.line))
    if any(r.verdict in ("WRONG", "CARRIED") for r in results):
        _name_mistakes(problem, results, true, carried, overrides, last, precision)
    _at_another_update(problem, results, last, precision)
    return results


def _at_another_update(problem: Problem, results: list[Result], last, precision: Precision) -> None:
    """A WRONG answer, with no mistake to name, that is the same quantity at another update (the student worked
    the second step, or named it without @e2): say which update, and how to name it there (in place)."""
    wrong = [r for r in results if r.verdict == "WRONG" and not r.mistakes]
    if not wrong:
        return
    values = truth(engine.run(problem.with_epochs(last[0] + 2)))
    several = len(problem.batches()) > 1
    for r in wrong:
        epoch, step, kind, layer = key_of(r.loc)
        at = KINDS[r.loc.kind].at(r.loc)
        for (e, s, k, lay), array in values.items():
            if (k, lay) != (kind, layer) or (e, s) == (epoch, step):
                continue
            if precision.judge(r.answer, float(np.asarray(array)[at])) == "right":
                where = f"epoch {e + 1}" + (f", update {s + 1}" if several else "")
                suffix = f"@e{e + 1}" + (f".u{s + 1}" if several else "")
                name = r.name.split("@", 1)[0]
                r.mistakes.append(f"it is the value at {where}: for that one, write {name}{suffix}")
                break


def _at(values, loc: Loc) -> float:
    return float(values[key_of(loc)][KINDS[loc.kind].at(loc)])


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


def _name_mistakes(
    problem: Problem, results: list[Result], true, carried, overrides, last, precision: Precision
) -> None:
    """Add to each WRONG or CARRIED result the mistakes whose values it matches (in place)."""
    todo = [k for k, r in enumerate(results) if r.verdict in ("WRONG", "CARRIED")]
    found: dict[int, list[tuple[bool, str]]] = {k: [] for k in todo}
    for k in todo:
        r = results[k]
        found[k] += [(True, what) for what in _local(r, true)] if r.verdict == "WRONG" else []
    systematic = hypotheses(problem)
    once = (
        []
        if last == (0, 0)
        else [
            t._replace(only=step)
            for step in sorted({key_of(results[k].loc)[:2] for k in todo})[:MAX_ONCE]
            for t in systematic
        ]
    )
    for twist in systematic + once:
        pure = Replay(problem, None, twist)
        pure_values = pure.run(last)
        if not pure.applied:
            continue
        mixed = Replay(problem, overrides, twist).run(last)
        runs = [(mixed, carried)]
        if not any(
            r.verdict == "right" and not precision.follows(r.answer, _at(pure_values, r.loc))
            for r in results
            if r.loc is not None
        ):  # the mistake alone explains nothing the student got right
            runs.insert(0, (pure_values, true))
        for k in todo:
            r = results[k]
            key, at = key_of(r.loc), KINDS[r.loc.kind].at(r.loc)
            for values, base in runs:
                if key not in values:
                    continue
                v = float(values[key][at])
                if (
                    math.isfinite(v)
                    and precision.follows(r.answer, v)
                    and not precision.follows(r.answer, float(base[key][at]))
                ):
                    own = (twist.kind, twist.layer) == key[2:]
                    found[k].append((own, twist.mistake if own else f"{twist.mistake} ({_where(problem, twist)})"))
                    break
    for k in todo:
        own = [w for o, w in found[k] if o]
        downstream = [w for o, w in found[k] if not o and not any(w.startswith(x) for x in own)]
        named = list(dict.fromkeys(own + _first_per_mistake(downstream)))
        r = results[k]
        results[k] = r._replace(mistakes=r.mistakes + named[:MAX_NAMED])


def _first_per_mistake(names: list[str]) -> list[str]:
    """Keep the first (most upstream) place of each mistake: '… (in δ of layer o)' once per mistake."""
    out, seen = [], set()
    for n in names:
        what = n.rsplit(" (in ", 1)[0]
        if what not in seen:
            seen.add(what)
            out.append(n)
    return out


def _where(problem: Problem, twist: Twist) -> str:
    symbol = KINDS[twist.kind].symbol
    if twist.kind in LAYERLESS:
        return f"in {symbol}"
    return f"in {symbol} of layer {problem.layers[twist.layer].name}"


def _local(r: Result, true) -> list[str]:
    """Mistakes of this answer alone: rounding by truncation, and the value of a neighbouring quantity."""
    out = []
    ans, t = r.answer, r.expected
    d = decimals(ans.text)
    if d < 17 and abs(ans.value - math.trunc(t * 10**d) / 10**d) <= 1e-9 * max(1.0, abs(t)) and not matches(ans, t):
        out.append(f"truncated instead of rounded: {t:.{d + 2}f} rounds to {round(t, d):.{d}f}")
    for other, what in KINDS[r.loc.kind].confusions:
        key = key_of(r.loc._replace(kind=other))
        if key in true and matches(ans, float(true[key][KINDS[other].at(r.loc)])):
            out.append(what)
    return out
