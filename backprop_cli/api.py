"""The Python API, for notebooks and scripts: ``solve`` and ``train``, a thin layer over load -> run -> render.

    >>> from backprop_cli import solve, train
    >>> r = solve("mazur-2-2-2")           # in Jupyter, the worked page shows itself
    >>> r.value("out_o1")
    0.7513650695523157
    >>> df = train("xor-2-2-1", epochs=500).to_frame()   # one row per epoch (pandas)

A problem is a path, a bundled example name, a dict (the problem file's keys), YAML
or JSON text, or a loaded :class:`~backprop_cli.problem.Problem`. The options are the
command line's: ``precision``, ``detail`` (auto, scalar, matrix), ``every``, and
whatever else the page understands; for ``train``, ``epochs``, ``trace`` (record
every intermediate) and ``until_loss``. A problem that is not valid raises
:class:`~backprop_cli.errors.ProblemError`, whose message names file, line, key,
found and expected, as the command line prints it.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any

from .errors import Issue, ProblemError
from .problem import Problem
from .trace import Trace

PAGE_OPTIONS = ("precision", "detail", "every", "notation", "worksheet", "answers")


def load_problem(problem: Any):
    """A problem from a path, an example name, a dict, YAML/JSON text, or a loaded one: a network's
    :class:`~backprop_cli.problem.Problem`, or a computational graph's (a ``graph:`` key, SPEC §5)."""
    from . import examples, source
    from .graph import GraphProblem
    from .validate import from_dict, loads_any

    def load(path: str):
        return loads_any(source.read_text(path), path)

    if isinstance(problem, Problem | GraphProblem):
        return problem
    if isinstance(problem, dict):
        if "graph" in problem:
            from .graph.problem import from_dict as graph_from_dict

            return graph_from_dict(problem)
        return from_dict(problem)
    if isinstance(problem, os.PathLike):
        return load(os.fspath(problem))
    if not isinstance(problem, str):
        raise TypeError(f"a problem is a path, an example name, a dict or YAML text, not {type(problem).__name__}")
    if "\n" not in problem and os.path.exists(problem):
        return load(problem)
    bundled = examples.file(problem) if "\n" not in problem else None
    if bundled is not None:
        return load(bundled)
    if "\n" in problem or ":" in problem or problem.lstrip().startswith("{"):
        return loads_any(problem, "<string>")
    raise ProblemError(
        Issue(
            problem,
            None,
            None,
            "",
            "no such file or bundled example",
            "a path, an example name (backprop examples lists them), a dict, or YAML text",
        )
    )


def solve(problem: Any, *, exact: bool = False, **options) -> Result | CircuitResult:
    """The full worked solution: every intermediate of every epoch the problem asks for (for a computational
    graph, every gate forward and backward, and the step when the problem asks for one). ``exact=True``
    computes in fractions from the decimals as written (``--exact``); a problem with an operation that is not
    rational raises ProblemError."""
    loaded = load_problem(problem)
    if getattr(loaded, "kind", None) == "graph":
        from .graph.engine import run as run_graph

        _check_options(options)
        return CircuitResult(run_graph(loaded, exact=exact), options)
    return _run(loaded, record=True, options=options, exact=exact)


def train(
    problem: Any,
    epochs: int | None = None,
    *,
    trace: bool = False,
    until_loss: float | None = None,
    exact: bool = False,
    **options,
) -> Result:
    """Train for ``epochs`` epochs (default: the problem's): a loss per epoch and the final weights.

    ``trace=True`` records every intermediate, as ``solve`` does. ``until_loss`` stops after the first epoch
    whose loss after it is at most that value.
    """
    prob = load_problem(problem)
    if getattr(prob, "kind", None) == "graph":
        raise ValueError("train trains networks; a computational graph (graph:) is worked by solve")
    if epochs is not None:
        prob = prob.with_epochs(int(epochs))
    return _run(prob, record=trace, options=options, until_loss=until_loss, exact=exact)


def _run(problem: Problem, record: bool, options: dict, until_loss: float | None = None, exact=False) -> Result:
    _check_options(options)
    if exact:
        from .exact import refuse_inexact, run

        refuse_inexact(problem)
    else:
        from .engine import run
    reason: list[str] = []

    def on_epoch(rec) -> None:
        if until_loss is not None and rec.loss_after is not None and rec.loss_after <= until_loss and not rec.partial:
            reason.append(
                f"the loss after epoch {rec.epoch} is {rec.loss_after:.6g}, at most until_loss {until_loss:g}"
            )

    trace = run(problem, record=record, on_epoch=on_epoch, should_stop=lambda: reason[0] if reason else None)
    return Result(trace, options)


def _check_options(options: dict) -> None:
    unknown = set(options) - set(PAGE_OPTIONS)
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; the options are {', '.join(PAGE_OPTIONS)}")


class Picture:
    """An SVG picture: shows itself in Jupyter, ``.save(path)`` writes it, ``str()`` is the SVG text."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __str__(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)


class Result:
    """A run and its worked page. ``.run`` is the :class:`~backprop_cli.trace.Trace` itself."""

    def __init__(self, run: Trace, options: dict | None = None):
        self.run = run
        self.options = {"precision": 4, "detail": "auto", **(options or {})}
        self._trace: dict | None = None

    # ------------------------------------------------------------------ data

    @property
    def trace(self) -> dict:
        """The JSON trace (SPEC §2) as a dict."""
        if self._trace is None:
            self._trace = json.loads(self.to_json())
        return self._trace

    def to_json(self, indent: int | None = None) -> str:
        from .render.jsontrace import trace_dict

        return json.dumps(trace_dict(self.run), allow_nan=False, indent=indent)

    def quantities(self) -> list[dict]:
        """One dict per named quantity (epoch, update, example, layer, unit, kind, name, symbol, value, formula);
        for a run without recorded steps, one per epoch (epoch, loss, loss_after)."""
        from .render.quantities import rows

        return rows(self.run)

    def to_frame(self):
        """The quantities as a pandas DataFrame (pip install 'backprop-cli[pandas]')."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "to_frame needs pandas: pip install 'backprop-cli[pandas]' (or pip install pandas); "
                ".quantities() gives the same rows as a list of dicts"
            ) from None
        from .render.quantities import columns

        frame = pd.DataFrame(self.quantities(), columns=list(columns(self.run)))
        for c in ("epoch", "update", "example", "layer"):  # whole numbers, empty where a row has none
            if c in frame:
                frame[c] = frame[c].astype("Int64")
        return frame

    def value(self, name: str, **where) -> float:
        """The value of the quantity printed as ``name`` (net_h1, ∂L/∂w5, w5⁺), in the last update unless
        ``epoch=``, ``update=``, ``example=`` say which."""
        rows = [r for r in self.quantities() if all(r.get(k) == v for k, v in where.items())]
        named = [r for r in rows if r.get("name") == name]
        if not named:  # another spelling check reads: dE/dw7, ∂E_total/∂w7, delta_o1, w7_new
            from .teaching.answer_names import canonical

            key = canonical(name)
            named = [r for r in rows if r.get("name") and canonical(r["name"]) == key]
        rows = named
        if not rows:
            raise KeyError(f"no quantity named {name!r}" + (f" with {where}" if where else ""))
        return rows[-1]["value"]

    @property
    def losses(self) -> list[float]:
        """The loss after each epoch."""
        return [e.loss_after for e in self.run.epochs]

    # ------------------------------------------------------------------ pages and pictures

    def page(self, format: str = "rich", **options) -> str:
        """The page as text in any --format: rich (plain text, or ``color=True`` for ANSI colours), markdown, latex,
        html, csv or json."""
        from . import render

        if format not in render.FORMATS:
            raise ValueError(f"format {format!r}: one of {', '.join(render.FORMATS)}")
        out = io.StringIO()
        render.get(format)(self.run, out, {**self.options, "color": False, **options})
        return out.getvalue()

    def plot(self) -> Picture:
        """The loss curve (the loss after each epoch) as an SVG picture."""
        from .render.svgplot import svg

        return Picture(svg(self.run))

    def draw(self) -> Picture:
        """The network, with the names the page uses, as an SVG picture."""
        from .render.drawing import svg

        return Picture(svg(self.run.problem, self.options.get("precision", 4)))

    def _repr_html_(self) -> str:
        from .render.html import notebook

        return notebook(self.run, self.options)

    def _repr_markdown_(self) -> str:
        return self.page("markdown")

    def __repr__(self) -> str:
        p, epochs = self.run.problem, self.run.epochs
        name = p.title or p.origin
        last = epochs[-1].loss_after if epochs else None
        loss = f", loss {epochs[0].loss:.6g} -> {last:.6g}" if epochs and last is not None else ""
        return f"<backprop result: {name!r}, {len(epochs)} epoch{'s' if len(epochs) != 1 else ''}{loss}>"


class CircuitResult:
    """A computational graph's run (SPEC §5) and its worked page. ``.run`` is the graph's trace itself."""

    def __init__(self, run, options: dict | None = None):
        self.run = run
        self.options = {"precision": 4, **(options or {})}

    @property
    def trace(self) -> dict:
        """The JSON of ``--format json`` (SPEC §5) as a dict: values, grads, updated, gates."""
        from .graph.jsonout import as_dict

        return as_dict(self.run)

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.trace, ensure_ascii=False, allow_nan=False, indent=indent)

    def value(self, name: str) -> float:
        """A node's value (``q``), a gradient of the output (``df/dq``, ``∂f/∂q``, ``dq``), a trained input
        after the step (``x+``, ``x⁺``) or the output after it (``f+``): the names ``backprop check`` reads."""
        from .graph.grading import quantity, true_value

        found = quantity(self.run.problem, name, set(self.run.values))
        if found is None:
            from .graph.grading import suggest

            raise KeyError(
                f"no value, gradient or updated input named {name!r}{suggest(self.run.problem, self.run, name)}"
            )
        value = true_value(self.run, found)
        if value is None:
            raise KeyError(f"{name!r} has no value (the output is not defined after the step)")
        return float(value)

    def quantities(self) -> list[dict]:
        """One dict per named quantity, in the page's order (kind, name, symbol, value, formula): --format csv."""
        from .graph.csvout import rows

        return rows(self.run)

    def to_frame(self):
        """The quantities as a pandas DataFrame (pip install 'backprop-cli[pandas]')."""
        import pandas as pd

        return pd.DataFrame(self.quantities())

    def page(self, format: str = "rich", **options) -> str:
        """The page as text: rich (plain text), markdown, latex, html, json or csv."""
        from .graph import commands

        if format not in commands.FORMATS:
            raise ValueError(f"format {format!r}: a computational graph's page is one of {', '.join(commands.FORMATS)}")
        if format == "json":
            return self.to_json() + "\n"
        if format == "csv":
            from .graph.csvout import render

            out = io.StringIO()
            render(self.run, out)
            return out.getvalue()
        from .graph._blocks import renderer

        out = io.StringIO()
        blocks, figure = self._blocks(options)
        if format == "html":
            renderer(format)(blocks, out, drawing=figure)
        else:
            renderer(format)(blocks, out)
        return out.getvalue()

    def _blocks(self, options: dict):
        from .graph import commands
        from .graph.page import build

        options = {**self.options, **options}
        figure = commands._circuit_figure(self.run, options["precision"], options.get("worksheet", False))
        return build(self.run, options), figure

    def draw(self) -> Picture:
        """The circuit as the lecture slides draw it: each value above its wire, its gradient below."""
        from .graph.drawing import svg

        return Picture(svg(self.run, self.options["precision"]))

    def _repr_html_(self) -> str:
        from .render.html import notebook_blocks

        return notebook_blocks(*self._blocks({}))

    def _repr_markdown_(self) -> str:
        return self.page("markdown")

    def __repr__(self) -> str:
        p = self.run.problem
        out = self.run.values[p.output]
        return f"<backprop circuit: {p.title or p.origin!r}, {p.output} = {float(out):.6g}>"


# ---------------------------------------------------------------------------------------------- check


def check(problem: Any, answers: Any, *, tolerance: float | None = None, min_decimals: int | None = None) -> Grades:
    """Grade answers as ``backprop check`` does, for a notebook: right, imprecise, CARRIED or WRONG, with the
    usual mistake a wrong answer matches.

    ``answers`` is a dict of name -> number (``{"net_h1": 0.3775, "w5⁺": "0.3589"}``), a path to an answer file
    (YAML, JSON, a name,value CSV, or a partial JSON trace), or such text. A number's decimals are its precision:
    give it as text ("0.5900") to keep trailing zeros a float would drop.
    """
    from .teaching.answers import Precision, parse, read_bytes
    from .teaching.gradebook import FileReport

    loaded = load_problem(problem)
    if isinstance(answers, dict) and not answers:
        raise ValueError("no answers: give a dict of names and numbers, a path to an answer file, or its text")
    if isinstance(answers, dict):
        source = "<answers>"
        text = "".join(f"{json.dumps(str(k), ensure_ascii=False)}: {_written(v)}\n" for k, v in answers.items())
    elif isinstance(answers, os.PathLike) or isinstance(answers, str) and "\n" not in answers:
        source = os.fspath(answers)
        with open(source, "rb") as f:
            text = read_bytes(f, source)
    elif isinstance(answers, str):
        source, text = "<answers>", answers
    else:
        raise TypeError(f"answers are a dict, a path or text, not {type(answers).__name__}")
    if getattr(loaded, "kind", None) == "graph":
        from .graph.grading import grade
        from .graph.teaching import read_answers

        results = grade(loaded, read_answers(text, source), source, tolerance, min_decimals, strict=False)
    else:
        from .teaching.check import grade_data

        results = grade_data(loaded, parse(text, source), source, Precision(tolerance, min_decimals))
    return Grades(FileReport(source, results))


def _written(value: Any) -> str:
    """A dict's value as an answer file would hold it: text as given, a number by its shortest repr (100, not
    100.0: a whole number carries no decimal)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if not value.strip() else value.strip()
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


class Grades:
    """The graded answers of one student: shows itself in Jupyter as check's table."""

    def __init__(self, report):
        self.report = report

    @property
    def results(self) -> list[dict]:
        """One dict per answer: name, line, verdict, right, answer, written, expected, carried_value, mistakes."""
        from .teaching.report import file_json

        return file_json(self.report)["checked"]

    @property
    def ok(self) -> bool:
        """Every answer right (and at least one)."""
        return self.report.ok

    def page(self) -> str:
        """The report as ``backprop check`` prints it."""
        from .teaching.report import rich

        out = io.StringIO()
        rich([self.report], out, False)
        return out.getvalue()

    def _repr_html_(self) -> str:
        from .render.html import notebook_results
        from .teaching.report import _answers, summary

        return notebook_results(summary(self.report, False), *_answers(self.report))

    def __repr__(self) -> str:
        from .teaching.report import summary

        return f"<backprop check: {summary(self.report, False)}>"
