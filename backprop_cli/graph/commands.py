"""What the command line calls for a computational graph: each command's work, written with click.

cli.py reads the problem and, when it is a graph, hands it to one of these.
"""

from __future__ import annotations

import sys

import click

from .engine import run
from .problem import GraphProblem

FORMATS = ("rich", "json", "markdown", "latex")


def _warn(problem_or_trace) -> None:
    for w in problem_or_trace.warnings:
        click.echo(f"backprop: warning: {w}", err=True)


def _open(output: str | None, origin: str):
    from ..cli import open_output

    return open_output(output, origin)


def solve(problem: GraphProblem, fmt: str, output: str | None, precision: int = 4, exact: bool = False,
          **options) -> None:
    """The worked solution (rich, markdown, latex) or the JSON of SPEC §5."""
    if fmt not in FORMATS:
        raise click.UsageError(f"--format {fmt} is for training runs; a computational graph has one of: "
                               + ", ".join(FORMATS))
    _warn(problem)
    trace = run(problem, exact=exact)
    with _open(output, problem.origin) as out:
        if fmt == "json":
            from .jsonout import render

            render(trace, out)
        else:
            from ._blocks import renderer
            from .page import build

            renderer(fmt)(build(trace, {"precision": precision, **options}), out)
