"""What the command line calls for a computational graph: each command's work, written with click.

cli.py reads the problem and, when it is a graph, hands it to one of these.
"""

from __future__ import annotations

import sys

import click

from .engine import run
from .problem import GraphProblem

FORMATS = ("rich", "json", "markdown", "latex", "html", "csv")


def _warn(problem_or_trace) -> None:
    for w in problem_or_trace.warnings:
        click.echo(f"backprop: warning: {w}", err=True)


def _open(output: str | None, origin: str):
    from ..cli import open_output

    return open_output(output, origin)


def solve(
    problem: GraphProblem, fmt: str, output: str | None, precision: int = 4, exact: bool = False, **options
) -> None:
    """The worked solution (rich, markdown, latex, html), the JSON of SPEC §5, or a CSV of every quantity."""
    if fmt not in FORMATS:
        raise click.UsageError(
            f"--format {fmt} is for training runs; a computational graph has one of: " + ", ".join(FORMATS)
        )
    _warn(problem)
    trace = run(problem, exact=exact)
    for w in trace.warnings[len(problem.warnings) :]:  # the run's own (the output after the step)
        click.echo(f"backprop: warning: {w}", err=True)
    with _open(output, problem.origin) as out:
        if fmt == "json":
            from .jsonout import render

            render(trace, out)
            return
        if fmt == "csv":  # reads the page's names, so it imports the page; the JSON does not
            from .csvout import render

            render(trace, out)
            return
        from ._blocks import renderer
        from .page import build

        blocks = build(trace, {"precision": precision, **options})
        if fmt == "html":
            renderer(fmt)(blocks, out, drawing=_circuit_figure(trace, precision, options.get("worksheet", False)))
        else:
            renderer(fmt)(blocks, out)


def _circuit_figure(trace, precision: int, worksheet: bool):
    """The circuit drawn the way the lecture slides draw it, for the HTML page; a worksheet's drawing shows the
    givens only (its values and gradients are the blanks to fill in)."""

    def drawn():
        from .drawing import svg

        if worksheet:
            caption = "The circuit: fill in the value above each wire and the gradient below it."
            return svg(trace, precision, givens_only=True), caption
        return svg(trace, precision), "The circuit: each value above its wire, its gradient below."

    return drawn


def worksheet(problem: GraphProblem, answers: bool, fmt: str, output: str | None, precision: int) -> None:
    solve(problem, fmt, output, precision, worksheet=True, answers=answers)


def gradcheck(problem: GraphProblem, tolerance: float, fmt: str) -> None:
    """Each input's gradient against finite differences; exit 1 when one is outside the tolerance."""
    import json

    from ..errors import EXIT_CHECK_FAILED
    from .teaching import gradcheck as check

    rows = check(problem)
    ok = all(r.relative <= tolerance for r in rows)
    if fmt == "json":
        click.echo(json.dumps({"ok": ok, "tolerance": tolerance, "checks": [r._asdict() for r in rows]}))
    else:
        width = max(len(r.name) for r in rows)
        click.echo(f"{'':<{width}}  {'backprop':>14}  {'finite diff.':>14}  relative error")
        for r in rows:
            mark = "ok" if r.relative <= tolerance else "FAILS"
            click.echo(
                f"{r.name:<{width}}  {r.analytic:>14.8g}  {r.numeric:>14.8g}  {r.relative:>14.3e}  {mark}"
                + (f"  ({r.note})" if r.note else "")
            )
        click.echo(
            f"{'all gradients agree' if ok else 'some gradients disagree'} with finite differences "
            f"(tolerance {tolerance:g})"
        )
    if not ok:
        sys.exit(EXIT_CHECK_FAILED)


def draw(problem: GraphProblem, output: str | None, precision: int) -> None:
    from .drawing import svg

    trace = run(problem)
    with _open(output, problem.origin) as out:
        out.write(svg(trace, precision))
