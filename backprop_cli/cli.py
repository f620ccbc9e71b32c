"""The command line: thin click commands over ``validate.load`` -> ``engine.run`` -> a renderer.

Machine output goes to standard output (or --output); messages and warnings
to standard error. Errors become exit codes in one place, ``BackpropGroup.invoke``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable

import click

from . import budget, examples, output, source
from .errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_WRITE_FAILED,
    BackpropError,
    Issue,
    NonFiniteError,
    OutputError,
    ProblemError,
    Terminated,
)
from .output import open_output
from .render import FORMATS as RENDERERS
from .render import PAGES

FORMATS = ("rich", "json", "ndjson", *(f for f in RENDERERS if f not in ("rich", "json")))


TEACHING = ("check", "draw", "gradcheck", "new", "worksheet")
"""Commands defined in cli_teaching.py, imported only when one of them is asked for (start-up time)."""


def _teaching() -> None:
    from . import cli_teaching  # noqa: F401  (registers its commands on main)


class BackpropGroup(click.Group):
    """Turns every BackpropError into its message on stderr and its exit status."""

    def get_command(self, ctx: click.Context, cmd_name: str):
        if cmd_name in TEACHING:
            _teaching()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _teaching()
        return super().list_commands(ctx)

    def main(self, *args, **kwargs):
        output.prepare_process()
        try:
            return super().main(*args, **kwargs)
        except Terminated:  # temporary files are gone: end as SIGTERM's sender expects
            output.die_of_sigterm()

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except BrokenPipeError:  # --help or --version into a closed pipe
            output.silence_stdout()
            raise click.exceptions.Exit(EXIT_OK) from None

    def invoke(self, ctx: click.Context):
        try:
            if output.stdout_closed_but_needed(sys.argv[1:]):
                raise OutputError("standard output is closed; give --output FILE")
            return super().invoke(ctx)
        except BackpropError as e:
            for line in str(e).splitlines():
                click.echo(line if isinstance(e, ProblemError) else f"backprop: error: {line}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:  # a second Ctrl-C, or one outside a run
            click.echo("backprop: interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (| head): stop quietly; keep Python from complaining at exit.
            output.silence_stdout()
            ctx.exit(EXIT_OK)
        except ValueError as e:  # click.Path stats a name with a NUL character (no file can have one)
            if "null byte" not in str(e):
                raise
            click.echo("backprop: error: a file name with a NUL character; expected a file name", err=True)
            ctx.exit(EXIT_USAGE)
        except OSError as e:  # standard output on a full disk or /dev/full, an unreadable stream
            output.silence_stdout()
            click.echo(f"backprop: error: cannot write the output: {e.strerror or e}", err=True)
            ctx.exit(EXIT_WRITE_FAILED)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own ends: --help, usage errors, an abort; click reports them
        except Exception as e:  # a bug of ours: one line that says so, not a traceback (BACKPROP_DEBUG=1 shows it)
            if os.environ.get("BACKPROP_DEBUG"):
                raise
            click.echo(
                f"backprop: internal error ({type(e).__name__}: {e}). This is a bug in backprop, not in your file: "
                "please report it with the command and the file (BACKPROP_DEBUG=1 shows where it happened).",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=BackpropGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="backprop-cli", prog_name="backprop")  # read from the package metadata on use
def main() -> None:
    """Worked solutions of forward and backward propagation, from a small YAML problem file."""


def output_options(f: Callable) -> Callable:
    """--format, --output, --precision and --detail, shared by every command that renders a trace."""

    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="rich",
        show_default=True,
        help="rich: the worked solution (plain text when not on a terminal); json: the trace; "
        "ndjson: one line per epoch as it completes; markdown; latex: a standalone document; "
        "html: one self-contained page; csv: a row per named quantity (per epoch for step).",
    )
    @click.option(
        "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of standard output."
    )
    @click.option(
        "--precision",
        type=click.IntRange(0, 17),
        default=4,
        show_default=True,
        help="Decimals shown in rich, markdown and latex output (JSON is never rounded).",
    )
    @click.option(
        "--detail",
        type=click.Choice(("auto", "scalar", "matrix")),
        default="auto",
        show_default=True,
        help="scalar: a line per unit and weight; matrix: vectors and matrices; auto: by size.",
    )
    @click.option(
        "--notation",
        type=click.Choice(("auto", "fixed", "sci")),
        default="auto",
        show_default=True,
        help="Computed numbers: auto: scientific only for very small or large values; fixed: never; sci: always.",
    )
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapper


def read_problem(arg: str | None):
    """PROBLEM as a path, '-' for standard input, or a bundled example name; read at most 16 MiB of it.

    A file with a graph: key is a computational graph (graph/), any other a network.
    """
    from .validate import loads_any as parsed

    if arg is None or arg == "-":
        if 0 in output.CLOSED:
            raise ProblemError(
                Issue(
                    "<stdin>",
                    None,
                    None,
                    "",
                    "standard input closed",
                    "a problem file, '-' with a problem on standard input, or an example name",
                )
            )
        if arg is None and sys.stdin.isatty():
            raise click.UsageError(
                "no PROBLEM given and standard input is a terminal: "
                "give a problem file, '-', or an example name (backprop examples)"
            )
        return parsed(source.read_stream(sys.stdin.buffer, "<stdin>"), "<stdin>")
    if os.path.exists(arg):
        return parsed(source.read_text(arg), arg)
    bundled = examples.file(arg)
    if bundled is not None:
        return parsed(source.read_text(bundled, str(bundled)), str(bundled))
    raise ProblemError(
        Issue(
            arg,
            None,
            None,
            "",
            "no such file or bundled example",
            "a path, - for standard input, or an example name (backprop examples lists them)",
        )
    )


def train(
    prob,
    fmt: str,
    output: str | None,
    record: bool,
    until_loss: float | None = None,
    plot: str | None = None,
    exact: bool = False,
    **options,
) -> None:
    """Run, watched (progress, Ctrl-C, --until-loss, NDJSON as it goes), then render and report.

    ``exact``: in exact fractions (exact.py), refused first (exit 2) when an operation is not rational."""
    from . import render
    from .engine import run as run_float
    from .exact import refuse_inexact
    from .exact import run as run_exact
    from .output import check_target
    from .render.jsontrace import unwritable_parameters
    from .watch import Watch

    if exact:
        refuse_inexact(prob)
    run = run_exact if exact else run_float
    if plot:  # refused before the work, naming --plot
        check_target(plot, "--plot", prob.origin, {"--output": output})
    work = budget.check_run(
        prob,
        record=record,
        fmt=fmt,
        detail=options.get("detail", "auto"),
        command=options.get("command") or "worksheet",
    )
    for warning in prob.warnings + tuple(work):
        click.echo(f"backprop: warning: {warning}", err=True)
    failure = None
    with open_output(output, prob.origin) as out:
        with Watch(
            prob,
            until_loss=until_loss,
            progress=sys.stderr.isatty(),
            ndjson=out if fmt == "ndjson" else None,
            record=record,
        ) as watch:
            try:
                trace = run(prob, record=record, on_epoch=watch.on_epoch, should_stop=watch.should_stop)
            except NonFiniteError as e:  # write what was computed before it, then report it (exit 1)
                failure, trace = e, e.partial
        failure = failure or unwritable_parameters(trace)
        if plot:  # first, so that a reader who stops early (| head) still gets it
            from .render.svgplot import svg

            with open_output(plot, prob.origin, "--plot") as f:
                f.write(svg(trace))
        if fmt == "ndjson":
            watch.final_ndjson_line(trace)
        else:
            render.get(fmt)(trace, out, options)
    for warning in trace.warnings:
        click.echo(f"backprop: warning: {warning}", err=True)
    if failure is not None:
        raise failure
    message = watch.summary(trace)
    if message:
        click.echo(f"backprop: {message}", err=True)
    if watch.interrupted:
        sys.exit(EXIT_INTERRUPTED)


@main.command(short_help="The worked solution of a problem, every intermediate in textbook order.")
@click.argument("problem", required=False)
@output_options
@click.option(
    "--exact",
    is_flag=True,
    help="Compute in exact fractions from the decimals as written, and print exact decimals (or p/q): "
    "graphs and networks whose operations are all rational.",
)
def solve(problem, fmt, output, precision, detail, notation, exact):
    """The full worked solution of PROBLEM: every intermediate, in textbook order.

    PROBLEM is a file, '-' for standard input, or a bundled example name;
    without it, the default example is solved.
    """
    prob = read_problem(problem or examples.DEFAULT)
    if getattr(prob, "kind", None) == "graph":
        from .graph import commands

        return commands.solve(prob, fmt, output, precision, exact)
    updates = prob.epochs * len(prob.batches())
    if updates > LONG_PAGE and fmt in PAGES:
        click.echo(
            f"backprop: note: solve works all {prob.epochs} epochs ({updates} updates) in full; "
            f"backprop step {problem or ''} gives a loss table and the final weights instead".replace("  ", " "),
            err=True,
        )
    train(prob, fmt, output, record=True, precision=precision, detail=detail, notation=notation, exact=exact)


LONG_PAGE = 50
"""Updates beyond which solve says that its page will be long."""


@main.command(short_help="Train a problem for N epochs: a loss table and the final weights.")
@click.argument("problem", required=False)
@click.option("--epochs", type=click.IntRange(min=1), help="Train N epochs (overrides the file's epochs).")
@click.option("--trace", "with_trace", is_flag=True, help="Record and render every intermediate of every epoch.")
@click.option(
    "--every", type=click.IntRange(min=1), help="Show every K-th epoch in the loss table (default: about 20 rows)."
)
@click.option(
    "--until-loss", type=float, metavar="X", help="Stop after the first epoch whose loss after it is at most X."
)
@click.option(
    "--plot", type=click.Path(dir_okay=False), metavar="FILE.svg", help="Also draw the loss curve as an SVG picture."
)
@click.option("--exact", is_flag=True, help="Train in exact fractions (networks whose operations are all rational).")
@output_options
def step(problem, epochs, with_trace, every, until_loss, plot, exact, fmt, output, precision, detail, notation):
    """Train PROBLEM for N epochs: a loss table, then the final weights.

    Without PROBLEM, reads a problem file or a JSON trace from standard input
    and continues from the trace's next_problem. Ctrl-C stops after the
    update in progress and still writes a complete trace.
    """
    prob = read_problem(problem)
    if getattr(prob, "kind", None) == "graph":
        raise click.UsageError("step trains networks; a computational graph (graph:) is worked by backprop solve")
    if epochs is not None:
        prob = prob.with_epochs(epochs)
    train(
        prob,
        fmt,
        output,
        record=with_trace,
        until_loss=until_loss,
        plot=plot,
        precision=precision,
        detail=detail,
        every=every,
        notation=notation,
        exact=exact,
    )


@main.command(name="examples", short_help="List the bundled worked examples.")
def list_examples():
    """List the bundled worked examples: name and title."""
    names = examples.names(kind=None)
    width = max(map(len, names))
    for name in names:
        mark = " (default)" if name == examples.DEFAULT else ""
        click.echo(f"{name:<{width}}  {examples.title(name)}{mark}")


@main.command(short_help="Print the JSON Schema of the problem file.")
def schema():
    """Print the JSON Schema of the problem file (for editors with a YAML language server)."""
    from importlib import resources

    click.echo(resources.files("backprop_cli").joinpath("problem.schema.json").read_text(encoding="utf-8"), nl=False)
