"""The command line: thin click commands over ``problem.load`` -> ``engine.run`` -> a renderer.

Machine output goes to standard output; messages and warnings to standard
error. Errors become exit codes in one place, ``BackpropGroup.invoke``.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Callable

import click

from . import examples
from .errors import EXIT_OK, BackpropError, Issue, ProblemError

FORMATS = ("rich", "json", "markdown", "latex")


class BackpropGroup(click.Group):
    """Turns every BackpropError into its message on stderr and its exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BackpropError as e:
            for line in str(e).splitlines():
                click.echo(line if isinstance(e, ProblemError) else f"backprop: error: {line}", err=True)
            ctx.exit(e.exit_code)
        except BrokenPipeError:
            # The reader went away (| head): stop quietly; keep Python from complaining at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_OK)


@click.group(cls=BackpropGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-cli", prog_name="backprop")  # read from the package metadata on use
def main() -> None:
    """Worked solutions of forward and backward propagation, from a small YAML problem file."""


def output_options(f: Callable) -> Callable:
    """--format, --output, --precision and --detail, shared by every command that renders a trace."""

    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="rich", show_default=True,
                  help="rich: the worked solution (plain text when not on a terminal); json: the trace; "
                       "markdown; latex: a standalone document.")
    @click.option("--output", "-o", type=click.Path(dir_okay=False),
                  help="Write to FILE (atomically) instead of standard output.")
    @click.option("--precision", type=click.IntRange(0, 17), default=4, show_default=True,
                  help="Decimals shown in rich, markdown and latex output (JSON is never rounded).")
    @click.option("--detail", type=click.Choice(("auto", "scalar", "matrix")), default="auto", show_default=True,
                  help="scalar: a line per unit and weight; matrix: vectors and matrices; auto: by size.")
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


def read_problem(arg: str | None):
    """PROBLEM as a path, '-' for standard input, or a bundled example name."""
    from .problem import load, loads

    if arg is None or arg == "-":
        if arg is None and sys.stdin.isatty():
            raise click.UsageError("no PROBLEM given and standard input is a terminal: "
                                   "give a problem file, '-', or an example name (backprop examples)")
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProblemError(Issue("<stdin>", None, None, "", f"bytes that are not UTF-8 text (at byte {e.start})", "a problem file or a JSON trace in UTF-8")) from None
        return loads(text, "<stdin>")
    if os.path.exists(arg):
        return load(arg)
    bundled = examples.file(arg)
    if bundled is not None:
        return load(bundled)
    raise ProblemError(Issue(arg, None, None, "", "no such file or bundled example",
                             "a path, - for standard input, or an example name (backprop examples lists them)"))


def emit(trace, fmt: str, output: str | None, input_name: str | None, **options) -> None:
    """Render ``trace`` to standard output or, atomically, to ``output``."""
    from . import render

    for warning in trace.warnings:
        click.echo(f"backprop: warning: {warning}", err=True)
    renderer = render.get(fmt)
    if output is None:
        renderer(trace, sys.stdout, options)
        sys.stdout.flush()
        return
    if input_name and os.path.exists(input_name) and os.path.exists(output) and os.path.samefile(input_name, output):
        raise click.UsageError(f"--output {output} is the problem file itself; choose another file")
    import tempfile

    directory = os.path.dirname(os.path.abspath(output))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(output)}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            renderer(trace, out, options)
        os.replace(tmp, output)
    except BaseException:
        os.unlink(tmp)
        raise


@main.command(short_help="The worked solution of a problem, every intermediate in textbook order.")
@click.argument("problem", required=False)
@output_options
def solve(problem, fmt, output, precision, detail):
    """The full worked solution of PROBLEM: every intermediate, in textbook order.

    PROBLEM is a file, '-' for standard input, or a bundled example name;
    without it, the default example is solved.
    """
    from .engine import run

    prob = read_problem(problem or examples.DEFAULT)
    emit(run(prob), fmt, output, prob.origin, precision=precision, detail=detail, command="solve")


@main.command(short_help="Train a problem for N epochs: a loss table and the final weights.")
@click.argument("problem", required=False)
@click.option("--epochs", type=click.IntRange(min=1), help="Train N epochs (overrides the file's epochs).")
@click.option("--trace", "with_trace", is_flag=True, help="Record and render every intermediate of every epoch.")
@click.option("--every", type=click.IntRange(min=1), help="Show every K-th epoch in the loss table (default: about 20 rows).")
@output_options
def step(problem, epochs, with_trace, every, fmt, output, precision, detail):
    """Train PROBLEM for N epochs: a loss table, then the final weights.

    Without PROBLEM, reads a problem file or a JSON trace from standard input
    and continues from the trace's next_problem.
    """
    from .engine import run

    prob = read_problem(problem)
    if epochs is not None:
        prob = prob.with_epochs(epochs)
    emit(run(prob, record=with_trace), fmt, output, prob.origin, precision=precision, detail=detail, every=every, command="step")


@main.command(name="examples", short_help="List the bundled worked examples.")
def list_examples():
    """List the bundled worked examples: name and title."""
    names = examples.names()
    width = max(map(len, names))
    for name in names:
        mark = " (default)" if name == examples.DEFAULT else ""
        click.echo(f"{name:<{width}}  {examples.title(name)}{mark}")


@main.command(short_help="Print the JSON Schema of the problem file.")
def schema():
    """Print the JSON Schema of the problem file (for editors with a YAML language server)."""
    from importlib import resources

    click.echo(resources.files("backprop_cli").joinpath("problem.schema.json").read_text(encoding="utf-8"), nl=False)
