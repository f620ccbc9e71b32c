"""Grading a class: many answer files (or a folder), one problem or one variant per student, points and totals.

A file that cannot be read or graded becomes one row with its error; it never
stops the class. With a folder of problems (``backprop new --roster``), each
answer file is graded against the problem of the same name (``s01.yaml``
answers ``problems/s01.yaml``).

Points (``--points FILE``, YAML or JSON): a mapping of answer names (``w5⁺``,
``δ_o1``) or groups (``forward``, ``loss``, ``delta``, ``gradient``,
``update``, ``given``) to points; ``carried`` is the share a CARRIED answer
earns (default 0.5) and ``default`` the points of anything else (default 1).
The answers expected of each student are the names the points file lists and
every quantity anyone in the class answered; ``missing`` counts those a
student left out, and ``total`` is what they are all worth.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO, NamedTuple

from ..errors import BackpropError, Issue, ProblemError
from ..problem import Problem
from ..validate import load
from .answer_names import AnswerNames, Loc
from .answers import Answer, Precision, parse, read_bytes
from .check import Result, grade_data
from .mistakes import KINDS

GROUPS = tuple(dict.fromkeys(k.group for k in KINDS.values()))
ANSWER_SUFFIXES = (".yaml", ".yml", ".json", ".csv")
GRADED = ("right", "CARRIED", "imprecise", "WRONG", "unreadable")


class Points(NamedTuple):
    names: dict[str, tuple[float, int]]  # answer name -> (points, line in the points file)
    groups: dict[str, float]
    carried: float = 0.5
    default: float = 1.0
    source: str = ""

    def resolve(self, problem: Problem) -> dict[Loc, float]:
        """The listed names as locators of ``problem``; an unknown name is an error of the points file."""
        names, out, issues = AnswerNames(problem), {}, []
        for name, (value, line) in self.names.items():
            loc = names.by_name(name)
            if isinstance(loc, str):
                issues.append(Issue(self.source, line, 1, name, loc, "an answer name, or one of " + ", ".join(GROUPS)))
            else:
                out[loc] = value
        if issues:
            raise ProblemError(issues)
        return out

    def worth(self, loc: Loc, named: dict[Loc, float]) -> float:
        if loc in named:
            return named[loc]
        return self.groups.get(KINDS[loc.kind].group, self.default)


def load_points(stream: BinaryIO, source: str) -> Points:
    return points_from_text(read_bytes(stream, source), source)


def points_from_text(text: str, source: str) -> Points:
    data = parse(text, source)
    if not isinstance(data, dict):
        raise ProblemError(Issue(source, 1, 1, "", "points that are not a mapping", "name or group: points"))
    names, groups, issues, extra = {}, {}, [], {}
    for key, value in data.items():
        line = data.lines.get(key) if hasattr(data, "lines") else None
        if not isinstance(value, Answer) or value.value < 0:
            issues.append(Issue(source, line, 1, key, f"{getattr(value, 'text', value)!r}", "a number of points ≥ 0"))
        elif key in ("carried", "default"):
            extra[key] = value.value
        elif key in GROUPS:
            groups[key] = value.value
        else:
            names[key] = (value.value, line)
    if extra.get("carried", 0.5) > 1:
        issues.append(
            Issue(source, data.lines.get("carried"), 1, "carried", str(extra["carried"]), "a share from 0 to 1")
        )
    if issues:
        raise ProblemError(issues)
    return Points(names, groups, extra.get("carried", 0.5), extra.get("default", 1.0), source)


class FileReport(NamedTuple):
    file: str
    results: list[Result]
    issues: list[Issue] = []  # why the file could not be graded (then results is empty)
    points: float = 0.0
    total: float = 0.0
    missing: int = 0

    def count(self, verdict: str) -> int:
        return sum(r.verdict == verdict for r in self.results)

    @property
    def ok(self) -> bool:
        """Everything right: at least one answer, none wrong, imprecise, carried, unknown or missing."""
        return (
            not self.issues
            and not self.missing
            and bool(self.results)
            and all(r.verdict == "right" for r in self.results)
        )


def answer_files(args: list[str]) -> list[str]:
    """The answer files named: files, '-' (standard input), and the answer files of each folder, in order; a file
    named twice (or named and in a folder given too) is graded once."""
    out = _listed_files(args)
    seen: set[str] = set()
    unique = []
    for path in out:
        key = path if path == "-" else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def _listed_files(args: list[str]) -> list[str]:
    out = []
    for arg in args:
        if arg != "-" and os.path.isdir(arg):
            found = sorted(
                os.path.join(arg, f)
                for f in os.listdir(arg)
                if f.lower().endswith(ANSWER_SUFFIXES) and not f.startswith(".")
            )
            if not found:
                raise ProblemError(
                    Issue(arg, None, None, "", "a folder with no answer files", "answer files named *.yaml, *.json…")
                )
            out += found
        else:
            out.append(arg)
    return out


def problem_for(problems: Problem | str, path: str) -> Problem:
    """The problem itself, or the variant in the folder ``problems`` with the answer file's name."""
    if isinstance(problems, Problem):
        return problems
    stem = os.path.splitext(os.path.basename(path))[0]
    for suffix in (".yaml", ".yml", ".json"):
        candidate = os.path.join(problems, stem + suffix)
        if os.path.isfile(candidate):
            return load(candidate)
    raise ProblemError(
        Issue(
            path,
            None,
            None,
            "",
            f"no problem {os.path.join(problems, stem)}.yaml for this answer file",
            "a problem of the same name in the problems folder",
        )
    )


def grade_file(problems: Problem | str, path: str, stdin: BinaryIO | None, precision: Precision) -> FileReport:
    source = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            text = read_bytes(stdin, source)
        else:
            with open(path, "rb") as f:
                text = read_bytes(f, source)
        return FileReport(source, grade_data(problem_for(problems, path), parse(text, source), source, precision))
    except OSError as e:
        return FileReport(
            source,
            [],
            [Issue(source, None, None, "", f"a file that cannot be read ({e.strerror})", "a file of answers")],
        )
    except ProblemError as e:
        return FileReport(source, [], e.issues)
    except BackpropError as e:  # the run of the problem failed (a non-finite value)
        return FileReport(source, [], [Issue(source, None, None, "", str(e), "a problem that can be run")])


def grade_class(
    problems: Problem | str, args: list[str], stdin: BinaryIO | None, precision: Precision, points: Points | None = None
) -> list[FileReport]:
    """Every answer file graded and scored; the expected answers are the points file's names or the class's union."""
    reports = [grade_file(problems, path, stdin, precision) for path in answer_files(args)]
    points = points or Points({}, {})
    union: dict[Loc, None] = {}
    for rep in reports:
        union.update(dict.fromkeys(r.loc for r in rep.results if r.loc is not None and r.verdict in GRADED))
    return [_score(rep, problems, points, union) for rep in reports]


def _score(rep: FileReport, problems: Problem | str, points: Points, union: dict[Loc, Any]) -> FileReport:
    """The points earned of the total, and the answers missing. A file that could not be graded (blank,
    unreadable, not answers) earns 0 of the same total, every answer missing: a gradebook averages it as 0."""
    try:
        problem = problem_for(problems, rep.file)
    except ProblemError:  # no problem for this file: its issue says so; the class's answers are still the total
        problem = None
    named = points.resolve(problem) if points.names and problem is not None else {}
    expected = list(dict.fromkeys([*named, *union]))
    if rep.issues:
        total = sum(points.worth(loc, named) for loc in expected)
        return rep._replace(points=0.0, total=total, missing=len(expected))
    first: dict[Loc, Result] = {}
    for r in rep.results:
        if r.loc is not None and r.verdict in GRADED:
            first.setdefault(r.loc, r)
    earned = 0.0
    for loc in expected:
        r = first.get(loc)
        share = (
            1.0
            if r is not None and r.verdict == "right"
            else points.carried
            if r is not None and r.verdict == "CARRIED"
            else 0.0
        )
        earned += share * points.worth(loc, named)
    total = sum(points.worth(loc, named) for loc in expected)
    return rep._replace(points=earned, total=total, missing=sum(loc not in first for loc in expected))
