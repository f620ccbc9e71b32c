"""The teaching commands of the command line: gradcheck, draw, new, worksheet and check.

They are registered on :func:`backprop_cli.cli.main` when cli.py is imported;
like the rest of the command line they are thin wrappers over the teaching
package, the graph package and the renderers.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

import click

from . import budget, examples
from .activations import ACTIVATIONS
from .activations import DEFAULT as DEFAULT_ACTIVATION
from .cli import PAGES, main, read_problem, train
from .errors import EXIT_CHECK_FAILED, Issue, ProblemError
from .losses import DEFAULT as DEFAULT_LOSS
from .losses import LOSSES
from .optimizers import OPTIMIZERS
from .output import open_output


@main.command(short_help="Check the gradients of the first update against finite differences.")
@click.argument("problem", required=False)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    default=1e-6,
    show_default=True,
    help="The largest relative error that passes.",
)
@click.option("--format", "fmt", type=click.Choice(("rich", "json")), default="rich", show_default=True)
def gradcheck(problem, tolerance, fmt):
    """Compare every weight's, bias's and input's gradient of the first update with centred finite differences.

    Prints, for each layer, the relative error nearest to failing, next to its allowance (the tolerance plus the
    finite difference's own error), named as the worked solution names it; exits 0 when all are within their
    allowance, 1 when one is not. Without PROBLEM, the default example.
    """
    from .teaching import gradcheck as gc

    prob = read_problem(problem or examples.DEFAULT)
    if getattr(prob, "kind", None) == "graph":
        from .graph import commands

        return commands.gradcheck(prob, tolerance, fmt)
    budget.check_gradcheck(prob)
    report = gc.check(prob, tolerance)
    click.echo(gc.as_json(report) if fmt == "json" else gc.rich(report), nl=fmt != "rich")
    if not report.ok:
        sys.exit(EXIT_CHECK_FAILED)


@main.command(short_help="Draw the network as an SVG picture.")
@click.argument("problem", required=False)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE.svg instead of standard output.")
@click.option(
    "--precision", type=click.IntRange(0, 17), default=4, show_default=True, help="Decimals of the weights shown."
)
def draw(problem, output, precision):
    """Draw PROBLEM's network: units as labelled circles in columns, edges labelled with their weights, biases shown.

    The names match the worked solution's (x1, h1, w1, b1, ...). Without PROBLEM, the default example.
    """
    from .render.drawing import svg

    prob = read_problem(problem or examples.DEFAULT)
    if getattr(prob, "kind", None) == "graph":
        from .graph import commands

        return commands.draw(prob, output, precision)
    budget.check_drawing(prob)
    with open_output(output, prob.origin) as out:
        out.write(svg(prob, precision))


def _sizes(ctx, param, value: str) -> list[int]:
    import re

    if value is None:  # backprop new --graph N
        return None
    if not re.fullmatch(r"\d+(-\d+)+", value or "") or any(int(v) < 1 or int(v) > 12 for v in value.split("-")):
        raise click.BadParameter(f"{value!r}: expected sizes from input to output, each 1 to 12, like 2-2-1")
    too_much = budget.check_new(value.split("-"))
    if too_much:
        raise click.BadParameter(f"{value!r}: {too_much}")
    return [int(v) for v in value.split("-")]


@main.command(name="new", short_help="Write a new exercise: a problem file with numbers to work by hand.")
@click.option(
    "--layers",
    "sizes",
    callback=_sizes,
    metavar="2-2-1",
    help="Sizes from the inputs to the output layer (default 2-2-1, unless --graph).",
)
@click.option(
    "--graph",
    "graph_gates",
    type=click.IntRange(1, 30),
    metavar="N",
    help="Instead of a network: a computational graph (circuit) of N gates.",
)
@click.option(
    "--values",
    type=click.Choice(("integers", "decimals")),
    default="integers",
    show_default=True,
    help="With --graph: small integers (rational gates only) or one-decimal values (sigmoid, tanh too).",
)
@click.option(
    "--activation",
    default=DEFAULT_ACTIVATION,
    show_default=True,
    type=click.Choice([n for n, a in ACTIVATIONS.items() if not a.output_only]),
    help="Activation of the hidden layers (and of the output layer, unless the loss needs another).",
)
@click.option(
    "--hidden-activation",
    type=click.Choice([n for n, a in ACTIVATIONS.items() if not a.output_only]),
    help="Activation of the hidden layers (overrides --activation).",
)
@click.option(
    "--output-activation",
    type=click.Choice(list(ACTIVATIONS)),
    help="Activation of the output layer (default: --activation, or what the loss needs).",
)
@click.option("--loss", default=DEFAULT_LOSS, show_default=True, type=click.Choice(list(LOSSES)))
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="The same seed gives the same exercise."
)
@click.option(
    "--examples", type=click.IntRange(1, 8), default=1, show_default=True, help="Examples in one batch update."
)
@click.option(
    "--learning-rate",
    type=click.FloatRange(min=0, max=100),
    help="Default: 0.5, or one whose first step can be followed by hand with --optimizer (0.1 for Adam).",
)
@click.option(
    "--optimizer",
    type=click.Choice(list(OPTIMIZERS)),
    help="Train with this optimizer (its β's, ε, … written in the file; sgd gets momentum 0.9).",
)
@click.option(
    "--l2",
    type=click.FloatRange(min=0, max=10, min_open=True),
    metavar="λ",
    help="Add the L2 penalty (λ/2)·Σw² to the loss.",
)
@click.option(
    "--dropout",
    type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
    metavar="p",
    help="Dropout p on every hidden layer, with given masks of 0s and 1s.",
)
@click.option(
    "--epochs",
    type=click.IntRange(1, 5),
    default=1,
    show_default=True,
    help="Steps to work by hand (an optimizer's state carries from one to the next).",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of standard output."
)
@click.option(
    "--roster",
    type=click.Path(dir_okay=False),
    metavar="FILE.csv",
    help="One exercise per student id (the first column), seeded from the id; needs --output-dir.",
)
@click.option(
    "--output-dir", type=click.Path(file_okay=False), metavar="DIR", help="Where --roster writes ID.yaml files."
)
def new(
    sizes,
    graph_gates,
    values,
    activation,
    hidden_activation,
    output_activation,
    loss,
    seed,
    examples,
    learning_rate,
    optimizer,
    l2,
    dropout,
    epochs,
    output,
    roster,
    output_dir,
):
    """Write a new exercise to standard output: weights, biases and inputs with one decimal, chosen so that
    no unit is saturated or dead and no gradient is zero. Solve it with backprop solve.

    With --roster, write one exercise per student to DIR/ID.yaml: the same roster gives the same files."""
    if graph_gates is not None:
        return _new_circuit(graph_gates, seed, values, learning_rate, output)
    if click.get_current_context().get_parameter_source("values") is not click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--values is for a circuit: backprop new --graph N --values decimals")
    sizes = sizes or [2, 2, 1]  # the smallest network with a hidden layer, as most worked examples have
    from .teaching import exercise

    hidden = hidden_activation or activation
    settings = dict(optimizer=optimizer, l2=l2, dropout=dropout, epochs=epochs)
    if roster and not output_dir or output_dir and not roster:
        raise click.UsageError(
            "--roster and --output-dir go together: backprop new ... --roster roster.csv --output-dir DIR"
        )
    if roster and output:
        raise click.UsageError("--roster writes one file per student into --output-dir; leave out -o")
    try:
        if roster:
            with _opened(roster) as f:
                from .teaching.answers import read_bytes

                ids = exercise.roster_ids(read_bytes(f, roster), roster)
            texts = exercise.variants(
                ids, sizes, hidden, loss, seed, examples, learning_rate, output_activation, **settings
            )
        else:
            texts = {
                None: exercise.new_problem(
                    sizes, hidden, loss, seed, examples, learning_rate, output_activation, **settings
                )
            }
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    if roster:
        os.makedirs(output_dir, exist_ok=True)
        for student, text in texts.items():
            with open_output(os.path.join(output_dir, f"{student}.yaml"), None) as out:
                out.write(text)
        click.echo(f"backprop: wrote {len(texts)} exercises to {output_dir}/ (one per student id)", err=True)
        return
    with open_output(output, None) as out:
        out.write(texts[None])


NETWORK_ONLY = (
    "sizes",
    "activation",
    "hidden_activation",
    "output_activation",
    "loss",
    "examples",
    "optimizer",
    "l2",
    "dropout",
    "epochs",
    "roster",
    "output_dir",
)
"""new's options that shape a network: with --graph, given ones are refused rather than silently ignored."""


def _new_circuit(gates: int, seed: int, values: str, learning_rate: float | None, output: str | None) -> None:
    from .graph.teaching import new_circuit

    ctx = click.get_current_context()
    given = [
        p.opts[0]
        for p in ctx.command.params
        if p.name in NETWORK_ONLY and ctx.get_parameter_source(p.name) is not click.core.ParameterSource.DEFAULT
    ]
    if given:
        raise click.UsageError(f"{', '.join(given)}: for a network, not with --graph (a circuit of gates)")
    try:
        text = new_circuit(gates, seed, values == "decimals", learning_rate)
    except ValueError as e:
        raise click.UsageError(str(e)) from None
    with open_output(output, None) as out:
        out.write(text)


@main.command(short_help="A worksheet: the solution page with every computed quantity blank.")
@click.argument("problem", required=False)
@click.option("--answers", is_flag=True, help="Append the answer key (the full worked solution).")
@click.option("--format", "fmt", type=click.Choice(PAGES), default="rich", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of standard output."
)
@click.option("--precision", type=click.IntRange(0, 17), default=4, show_default=True, help="Decimals shown.")
@click.option("--detail", type=click.Choice(("auto", "scalar", "matrix")), default="auto", show_default=True)
@click.option("--notation", type=click.Choice(("auto", "fixed", "sci")), default="auto", show_default=True)
def worksheet(problem, answers, fmt, output, precision, detail, notation):
    """The worked-solution page of PROBLEM with the givens filled in and every computed quantity left blank,
    ready to hand out (LaTeX for print). --answers appends the key. Without PROBLEM, the default example."""
    prob = read_problem(problem or examples.DEFAULT)
    if getattr(prob, "kind", None) == "graph":
        from .graph import commands

        return commands.worksheet(prob, answers, fmt, output, precision)
    train(
        prob,
        fmt,
        output,
        record=True,
        precision=precision,
        detail=detail,
        notation=notation,
        worksheet=True,
        answers=answers,
    )


@main.command(short_help="Grade answers against the true values, and name the usual mistakes.")
@click.argument("problem")
@click.argument("answers", nargs=-1, required=True)
@click.option(
    "--tolerance",
    type=click.FloatRange(min=0),
    help="Count an answer right within this absolute difference "
    "(default: right when it equals the true value rounded to the decimals it was written with).",
)
@click.option(
    "--min-decimals",
    type=click.IntRange(0, 17),
    help="Decimals a right answer needs (default: at least 3 significant figures).",
)
@click.option(
    "--points",
    "points_file",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Points per answer name or group (forward, loss, delta, gradient, update); 'carried: 0.5'.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("rich", "json", "csv", "html")),
    default="rich",
    show_default=True,
    help="rich: a line per answer; json: everything, per file and answer; csv: a gradebook, a row per file; "
    "html: one self-contained page, the gradebook and each file's answers.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of standard output."
)
def check(problem, answers, tolerance, min_decimals, points_file, fmt, output):
    """Grade ANSWERS (files, folders, or - for standard input) for PROBLEM.

    ANSWERS are mappings like net_h1: 0.3775, w5+: 0.3589 (YAML, JSON or a CSV of name,value), or partial JSON traces.
    Every answer is right, imprecise, CARRIED (follows from the student's own earlier answers) or WRONG, with the
    usual mistake it matches. PROBLEM may be a folder of per-student problems (backprop new --roster): each answer
    file is graded against the problem of the same name. Exits 0 when every answer is right, 1 otherwise.
    """
    from .teaching import report

    if problem == "-" and "-" in answers:
        raise click.UsageError("PROBLEM and ANSWERS cannot both be standard input (-)")
    try:
        problems = problem if os.path.isdir(problem) else read_problem(problem)
        reports, points = _graded(problems, list(answers), tolerance, min_decimals, points_file)
    except ProblemError as e:
        if fmt == "json":
            _write(output, json.dumps({"errors": [report._issue(i) for i in e.issues]}, ensure_ascii=False) + "\n")
        raise
    many = len(answers) > 1 or any(a != "-" and os.path.isdir(a) for a in answers)  # a class, of any size
    alone = reports[0] if len(reports) == 1 and not many else None
    if fmt == "json":
        _write(output, report.as_json(reports, many) + "\n")
    elif fmt == "csv":
        _write(output, report.as_csv(reports))
    elif fmt == "html":
        title = problems.title or problem if not isinstance(problems, str) else f"{problem}: one problem per student"
        _write(output, report.as_html(reports, f"Grades: {title}", points is not None, many))
    elif not (alone and alone.issues):
        buf = io.StringIO()
        report.rich(reports, buf, points is not None)
        _write(output, buf.getvalue())
    if alone and alone.issues:  # the one file given cannot be graded: its errors, as for a problem file
        raise ProblemError(alone.issues[: report.MAX_LISTED], max(0, len(alone.issues) - report.MAX_LISTED))
    if not all(rep.ok for rep in reports):
        sys.exit(EXIT_CHECK_FAILED)


def _graded(problems, answers: list[str], tolerance, min_decimals, points_file):
    """Every answer file graded, and the points file read: for a network (or a folder of them), or a circuit."""
    from .teaching import gradebook
    from .teaching.answers import Precision

    if getattr(problems, "kind", None) == "graph":
        from .graph import grading

        points = grading.load_points(problems, points_file) if points_file else None
        files = gradebook.answer_files(answers)
        return grading.grade_files(problems, files, sys.stdin.buffer, tolerance, min_decimals, points), points
    points = None
    if points_file:
        with _opened(points_file) as f:
            points = gradebook.load_points(f, points_file)
    precision = Precision(tolerance, min_decimals)
    return gradebook.grade_class(problems, answers, sys.stdin.buffer, precision, points), points


def _write(output: str | None, text: str) -> None:
    """The report on standard output, or into the file ``output`` (atomically)."""
    if output is None:
        click.echo(text, nl=False)
        return
    with open_output(output, None) as out:
        out.write(text)


@contextlib.contextmanager
def _opened(path: str):
    """A file opened for reading in binary, with an unreadable one reported as a domain error."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise ProblemError(
            Issue(path, None, None, "", f"a file that cannot be read ({e.strerror})", "a readable file")
        ) from None
    with f:
        yield f
