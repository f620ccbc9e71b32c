"""The size of the work a command is asked to do, estimated before it is done.

A six-line problem file can ask for 10 billion random weights, a billion
epochs, or a gradient check of half a million weights. Each estimate below
counts what the command would hold in memory or compute, from the problem's
sizes alone, and refuses (exit 2, a message with the numbers and a way out)
or warns (a line on standard error) before anything is computed. The limits
are far above any worked example or homework network; docs/limits.md lists
them. This module only reads a Problem (or, for random weights, which are
drawn while the file is validated, the plain data of the file).

Sizes used throughout: P = Σ units·(inputs + 1) weights and biases, U = Σ units,
B = examples in the largest update, d = inputs per example.
"""

from typing import Any, NamedTuple

from .errors import Issue, ProblemError

MAX_WEIGHTS = 5_000_000
"""Weights and biases in one problem (40 MB per copy; a run holds several copies)."""
MAX_MEMORY = 1 << 30
"""Bytes a run may keep: its recorded updates, or its per-epoch losses."""
MAX_PAGE_BYTES = 64 << 20
"""Bytes of a rich, Markdown or LaTeX page (64 MiB: tens of thousands of printed pages)."""
MAX_GRADCHECK = 20_000_000_000
"""Multiply-adds of a gradient check (about a minute of arithmetic)."""
MAX_DRAWN_EDGES = 20_000
"""Edges of a drawing (a picture with more is a grey rectangle, and takes gigabytes to build)."""
MAX_DRAWN_COLUMN = 300
"""Units in one column of a drawing (27,600 pixels tall)."""
MAX_NEW_LAYERS = 10
"""Layers of a new exercise (a network a person works by hand)."""
LONG_RUN = 10_000_000_000
"""Multiply-adds of a run beyond which a warning says it will take a while (Ctrl-C stops it cleanly)."""

BYTES_PER_EPOCH = 200  # an epoch record of a run that keeps only its losses
BYTES_PER_RECORDED_NUMBER = 8  # a float64 in a recorded update
BYTES_PER_RENDERED_NUMBER = {"scalar": 70, "matrix": 14, "auto": 40}  # a number on a page, with its formula
BYTES_PER_JSON_NUMBER = 48  # a Python float in a list, before it is written


def _size(n: float) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} bytes"


def _refuse(origin: str, key: str, found: str, expected: str) -> ProblemError:
    return ProblemError(Issue(origin, None, None, key, found, expected))


# --------------------------------------------------------------------------- the file, before validation


def _positive_int(v: Any) -> int | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v or v in (float("inf"), float("-inf")):
        return None
    return int(v) if v >= 1 and v == int(v) else None


def check_document(doc) -> None:
    """Refuse a file whose random weights (drawn while it is validated) would be too many to draw."""
    data = doc.data
    if isinstance(data, dict) and isinstance(data.get("next_problem"), dict):
        data, prefix = data["next_problem"], ("next_problem",)
    else:
        prefix = ()
    if not isinstance(data, dict) or not isinstance(data.get("layers"), list):
        return
    inputs = data.get("inputs")
    n_in = (
        len(inputs[0])
        if isinstance(inputs, list) and inputs and isinstance(inputs[0], list)
        else len(inputs)
        if isinstance(inputs, list)
        else 1
    )
    total = 0
    for i, layer in enumerate(data["layers"]):
        if not isinstance(layer, dict):
            return
        units = _positive_int(layer.get("units"))
        weights = layer.get("weights")
        if units is None and isinstance(weights, list) and weights:
            out_in = layer.get("layout", data.get("layout", "out_in")) == "out_in"
            units = len(weights) if out_in else len(weights[0]) if isinstance(weights[0], list) else 1
        units = units or 1
        total += units * (n_in + 1)
        if total > MAX_WEIGHTS:
            path = prefix + ("layers", i, "units" if "units" in layer else "weights")
            from .errors import key_name

            raise ProblemError(
                Issue(
                    doc.name,
                    *doc.where(path),
                    key_name(path),
                    f"a network of more than {total:,} weights and biases (layer {i + 1}: {units:,} units × "
                    f"{n_in:,} inputs; {_size(8 * total)} for each copy)",
                    f"at most {MAX_WEIGHTS:,} weights and biases in a problem",
                )
            )
        n_in = units


# --------------------------------------------------------------------------- a validated problem


class Work(NamedTuple):
    """The sizes of one run of a problem."""

    weights: int  # P
    units: int  # U
    batch: int  # B
    inputs: int  # d
    updates: int  # epochs × updates per epoch

    @property
    def numbers_per_update(self) -> int:
        """Numbers one recorded update holds: W before, change, after, gradient, velocity; z, a, f'(z), δ, ∂L/∂a."""
        return 5 * self.weights + 6 * self.batch * self.units + 2 * self.batch * self.inputs

    @property
    def multiply_adds(self) -> int:
        """Forward, backward and update: about three passes over the weights per example."""
        return self.updates * 3 * self.batch * self.weights


def estimate(problem) -> Work:
    P = sum(layer.units * (layer.n_in + 1) for layer in problem.layers)
    U = sum(layer.units for layer in problem.layers)
    batches = problem.batches()
    B = max(len(b) for b in batches)
    return Work(P, U, B, problem.X.shape[1], problem.epochs * len(batches))


def check_run(problem, *, record: bool, fmt: str, detail: str = "auto", command: str = "solve") -> list[str]:
    """Refuse a run that would not fit in memory or on a page; return warnings for a long one."""
    w = estimate(problem)
    origin = problem.origin
    if record:
        numbers = w.updates * w.numbers_per_update
        memory = numbers * (BYTES_PER_RECORDED_NUMBER + (BYTES_PER_JSON_NUMBER if fmt == "json" else 0))
        if memory > MAX_MEMORY:
            way_out = (
                "fewer epochs, or backprop step without --trace (it keeps only the losses)"
                if command != "check"
                else "fewer epochs in the problem (check grades the updates a trace of it would hold)"
            )
            raise _refuse(
                origin,
                "epochs",
                f"{problem.epochs:,} epochs × {w.updates // problem.epochs:,} updates, each recorded "
                f"in full ({w.numbers_per_update:,} numbers): about {_size(memory)} of memory",
                f"at most {_size(MAX_MEMORY)}: {way_out}",
            )
        if fmt in ("rich", "markdown", "latex"):
            page = numbers * BYTES_PER_RENDERED_NUMBER.get(detail, 40)
            if page > MAX_PAGE_BYTES:
                raise _refuse(
                    origin,
                    "epochs",
                    f"a page of about {_size(page)} ({w.updates:,} updates of {w.numbers_per_update:,} "
                    f"numbers{', one line each' if detail == 'scalar' else ''})",
                    f"at most {_size(MAX_PAGE_BYTES)}: --format json, --detail matrix, fewer epochs, "
                    "or backprop step for a loss table",
                )
    else:
        memory = problem.epochs * BYTES_PER_EPOCH
        if memory > MAX_MEMORY:
            raise _refuse(
                origin,
                "epochs",
                f"{problem.epochs:,} epochs: about {_size(memory)} for their losses alone",
                f"at most {MAX_MEMORY // BYTES_PER_EPOCH:,} epochs in one run; continue a run from its JSON "
                "trace (backprop step trace.json) to go further",
            )
    if w.multiply_adds > LONG_RUN:
        return [
            f"a long run: {w.updates:,} updates of about {3 * w.batch * w.weights:,} multiply-adds each "
            f"({w.multiply_adds:.1e} in all); Ctrl-C stops it after the update in progress and still writes the result"
        ]
    return []


def check_gradcheck(problem) -> None:
    """Refuse a gradient check that would take hours: 8 evaluations of the loss per weight, bias and input."""
    w = estimate(problem)
    evaluations = 8 * (w.weights + w.batch * w.inputs)
    cost = evaluations * (w.batch * w.weights + 1000)  # + the fixed cost of one forward pass, in multiply-adds
    if cost > MAX_GRADCHECK:
        raise _refuse(
            problem.origin,
            "layers",
            f"a gradient check of {w.weights:,} weights and biases: {evaluations:,} "
            f"evaluations of the loss, about {cost:.1e} multiply-adds",
            f"at most {MAX_GRADCHECK:.0e}: check a smaller network of the same shape (the gradients of a "
            "layer do not depend on its width)",
        )


def check_drawing(problem) -> None:
    """Refuse a drawing with more edges than a picture can show."""
    edges = sum(layer.units * layer.n_in for layer in problem.layers)
    tallest = max([problem.X.shape[1]] + [layer.units for layer in problem.layers])
    if tallest > MAX_DRAWN_COLUMN:
        raise _refuse(
            problem.origin,
            "layers",
            f"a column of {tallest:,} units to draw",
            f"at most {MAX_DRAWN_COLUMN:,} units in a column: a picture a person can read",
        )
    if edges > MAX_DRAWN_EDGES:
        raise _refuse(
            problem.origin,
            "layers",
            f"a network of {edges:,} connections to draw",
            f"at most {MAX_DRAWN_EDGES:,}: a picture with more shows no single edge",
        )


def check_new(sizes: list[int]) -> str | None:
    """Why a new exercise of these sizes is refused, or None."""
    if len(sizes) - 1 > MAX_NEW_LAYERS:
        return f"{len(sizes) - 1} layers: expected at most {MAX_NEW_LAYERS} (an exercise is worked by hand)"
    return None
