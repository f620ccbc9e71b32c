"""How check reports: a line per answer (rich), everything per file and answer (json), a gradebook (csv), or one
self-contained web page (html: the gradebook, then each student's answers).

The lines that name nothing gradable (unknown names, duplicates) are listed up
to MAX_LISTED per file, then counted, as the problem-file errors are.
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from typing import TextIO

from ..errors import Issue
from .answers import Answer, Text, decimals
from .check import Result
from .gradebook import GRADED, FileReport

MAX_LISTED = 20
"""At most this many unknown names or duplicates are listed per file."""
COLUMNS = ("file", "right", "carried", "wrong", "imprecise", "missing", "unknown", "points", "total", "error")


def _listed(results: list[Result]) -> tuple[list[Result], int]:
    """The results to show, and how many lines naming nothing gradable were left out."""
    shown, extra, left = [], 0, MAX_LISTED
    for r in results:
        if r.verdict in ("unknown", "duplicate"):
            if left == 0:
                extra += 1
                continue
            left -= 1
        shown.append(r)
    return shown, extra


def _written(r: Result) -> str:
    if isinstance(r.answer, (Answer, Text)):
        return r.answer.text
    return "" if r.answer is None else "(not a number)"


def _rounded(value: float, r: Result) -> str:
    """The value to the decimals written (at least 4), and to at least 3 significant figures."""
    d = max(4, min(decimals(r.answer.text), 17)) if isinstance(r.answer, Answer) else 4
    if value != 0 and math.isfinite(value):
        d = min(max(d, 2 - math.floor(math.log10(abs(value)))), 17)
    return f"{value:.{d}f}"


def _carried(r: Result) -> str:
    """The value that follows from the student's answers, to the decimals written; one more decimal when the
    answer, within rounding of it, reads differently (0.28855 for a written 0.2886), so no line seems to
    contradict the answer it accepts."""
    text = _rounded(r.carried, r)
    if isinstance(r.answer, Answer) and math.isfinite(r.carried) and float(text) != r.answer.value:
        d = len(text.partition(".")[2]) + 1
        text = f"{r.carried:.{min(d, 17)}f}"
    return text


def shown_width(name: str) -> int:
    """The columns a name takes: its combining marks (the hat of m̂) take none."""
    return sum(not unicodedata.combining(ch) for ch in name)


def line(r: Result, width: int, verdict_width: int) -> str:
    name = r.name + " " * max(0, width - shown_width(r.name))
    text = (
        f"{r.verdict:<{verdict_width}}  {name} = {_written(r)}"
        if r.answer is not None
        else f"{r.verdict:<{verdict_width}}  {r.name}"
    )
    if r.verdict in ("WRONG", "imprecise", "CARRIED"):
        text += f"   expected {_rounded(r.expected, r)}"
    if r.verdict == "CARRIED":
        text += f", but {_carried(r)} follows from your own earlier answers"
    notes = list(r.mistakes)
    if r.verdict in ("unknown", "unreadable", "duplicate") and r.line is not None:
        notes[0] = f"line {r.line}: {notes[0]}"
    if notes:
        text += f"   ({'; or '.join(notes)})" if r.verdict in ("WRONG", "CARRIED") else f"   ({'; '.join(notes)})"
    return text


def summary(rep: FileReport, points: bool) -> str:
    graded = sum(r.verdict in GRADED for r in rep.results)
    text = f"{rep.count('right')} of {graded} right"
    for verdict, words in (
        ("CARRIED", "carried forward"),
        ("imprecise", "imprecise"),
        ("unknown", "unknown name"),
        ("duplicate", "duplicate"),
    ):
        n = rep.count(verdict)
        if n:
            text += f", {n} {words}{'s' if n > 1 and verdict in ('unknown', 'duplicate') else ''}"
    if rep.missing:
        text += f", {rep.missing} missing"
    if points:
        text += f"; {rep.points:g} of {rep.total:g} points"
    return text


def rich(reports: list[FileReport], out: TextIO, points: bool) -> None:
    many = len(reports) > 1
    for rep in reports:
        if many:
            out.write(f"== {rep.file}\n")
        for issue in rep.issues[:MAX_LISTED]:
            out.write(f"cannot be graded: {issue}\n")
        if rep.issues:
            if points:
                out.write(f"0 of {rep.total:g} points\n")
            continue
        shown, extra = _listed(rep.results)
        width = max((shown_width(r.name) for r in shown if r.answer is not None), default=0)
        verdict_width = max((len(r.verdict) for r in shown), default=5)
        for r in shown:
            out.write(line(r, width, verdict_width) + "\n")
        if extra:
            out.write(f"... and {extra} more unknown names or duplicates\n")
        out.write(summary(rep, points or many) + "\n")
    if many:
        ok = sum(rep.ok for rep in reports)
        failed = sum(bool(rep.issues) for rep in reports)
        out.write(
            f"{len(reports)} answer files: {ok} all right"
            + (f", {failed} could not be graded" if failed else "")
            + "\n"
        )


def _number(x: float | None):
    return x if x is None or math.isfinite(x) else None


def _issue(i: Issue) -> dict:
    return {
        "file": i.source,
        "line": i.line,
        "column": i.column,
        "key": i.key,
        "found": i.found,
        "expected": i.expected,
        "message": str(i),
    }


def file_json(rep: FileReport) -> dict:
    shown, extra = _listed(rep.results)
    graded = sum(r.verdict in GRADED for r in rep.results)
    return {
        "file": rep.file,
        "right": rep.count("right"),
        "carried": rep.count("CARRIED"),
        "imprecise": rep.count("imprecise"),
        "wrong": graded - rep.count("right") - rep.count("CARRIED") - rep.count("imprecise"),
        "unknown": rep.count("unknown") + rep.count("duplicate"),
        "missing": rep.missing,
        "points": rep.points,
        "total": rep.total,
        "ok": rep.ok,
        "errors": [_issue(i) for i in rep.issues],
        "checked": [
            {
                "name": r.name,
                "line": r.line,
                "verdict": r.verdict,
                "right": r.right,
                "answer": r.answer.value if isinstance(r.answer, Answer) else None,
                "written": _written(r),
                "expected": _number(r.expected),
                "carried_value": _number(r.carried),
                "mistakes": r.mistakes,
            }
            for r in shown
        ],
        "not_listed": extra,
    }


def as_json(reports: list[FileReport], many: bool | None = None) -> str:
    """One file: its object; a class (``many``: several files or a folder were named): {"files": [...]}, also
    when the folder holds one file, so that a script reads the same shape whatever the class's size."""
    if not (len(reports) > 1 if many is None else many):
        return json.dumps(file_json(reports[0]), ensure_ascii=False)
    return json.dumps({"files": [file_json(r) for r in reports]}, ensure_ascii=False)


def as_csv(reports: list[FileReport]) -> str:
    """The gradebook: one row per answer file."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for rep in reports:
        if rep.issues:  # not graded: nothing right, every answer missing, 0 of the total
            w.writerow([rep.file, 0, 0, 0, 0, rep.missing, 0, f"{rep.points:g}", f"{rep.total:g}", str(rep.issues[0])])
            continue
        graded = sum(r.verdict in GRADED for r in rep.results)
        right, carried, imprecise = rep.count("right"), rep.count("CARRIED"), rep.count("imprecise")
        w.writerow(
            [
                rep.file,
                right,
                carried,
                graded - right - carried - imprecise,
                imprecise,
                rep.missing,
                rep.count("unknown") + rep.count("duplicate"),
                f"{rep.points:g}",
                f"{rep.total:g}",
                "",
            ]
        )
    return buf.getvalue()


# ----------------------------------------------------------------------------- html

ANSWER_HEADER = ["answer", "written", "verdict", "expected", "notes"]


def _answer_row(r: Result) -> list[str]:
    """One answer as a row of the page: what was written, the verdict, the expected value, and why."""
    expected = _rounded(r.expected, r) if r.expected is not None and r.verdict != "right" else ""
    notes = list(r.mistakes)
    if r.verdict == "CARRIED":
        notes.insert(0, f"{_carried(r)} follows from your own earlier answers")
    if r.line is not None and r.verdict in ("unknown", "unreadable", "duplicate"):
        notes = [f"line {r.line}: {n}" for n in notes[:1]] + notes[1:]
    return [r.name, _written(r), r.verdict, expected, "; or ".join(notes) if r.verdict == "WRONG" else "; ".join(notes)]


def _answers(rep: FileReport) -> tuple[list[str], list[list[str]]]:
    """The header and rows of one file's table: its answers, or why it could not be graded."""
    if rep.issues:
        return ["cannot be graded"], [[str(i)] for i in rep.issues[:MAX_LISTED]]
    shown, extra = _listed(rep.results)
    rows = [_answer_row(r) for r in shown]
    if extra:
        rows.append(["", "", "", "", f"… and {extra} more unknown names or duplicates"])
    return ANSWER_HEADER, rows


def _gradebook_rows(reports: list[FileReport]) -> list[list[str]]:
    """The gradebook's rows (as the CSV), an error pointing to the file's section, where it is given in full."""
    rows = list(csv.reader(io.StringIO(as_csv(reports))))[1:]
    return [row[:-1] + (["not\u00a0graded\u00a0↓"] if row[-1] else [""]) for row in rows]


def _table(page: str) -> str:
    """The one table of a results page (html.results_page writes the title, the summary, then the table)."""
    return page[page.index("<table") : page.rindex("</table>") + len("</table>")]


def as_html(reports: list[FileReport], title: str, points: bool, many: bool | None = None) -> str:
    """One self-contained page: for one file, its answers; for a class, the gradebook, then each file's answers.

    Every text goes through render/html.py (escaped there); the page has no script and fetches nothing.
    """
    from ..render import html

    if not (len(reports) > 1 if many is None else many):
        rep = reports[0]
        header, rows = _answers(rep)
        return html.results_page(
            title, rep.file + ": " + (summary(rep, points) if not rep.issues else "not graded"), header, rows
        )
    ok = sum(rep.ok for rep in reports)
    failed = sum(bool(rep.issues) for rep in reports)
    overview = f"{len(reports)} answer files: {ok} all right" + (f", {failed} could not be graded" if failed else "")
    page = html.results_page(title, overview, list(COLUMNS), _gradebook_rows(reports))
    sections = []
    for rep in reports:
        header, rows = _answers(rep)
        about = summary(rep, True) if not rep.issues else "not graded"
        sections.append(
            f"<h2>{html.html_text(rep.file)}</h2>\n<p>{html.html_text(about)}</p>\n"
            + _table(html.results_page(rep.file, "", header, rows))
        )
    return page.replace("\n</main>", "\n" + "\n".join(sections) + "\n</main>", 1)
