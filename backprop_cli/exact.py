r"""Exact arithmetic for networks (``--exact``): the same engine, run on fractions.

Where every operation of a problem is rational (activations, loss and
optimizer entries marked ``rational`` in their tables: linear, relu,
leaky_relu, step, sign; half_sse, sse, mse; SGD with its momentum, dampening,
Nesterov and weight decay; l2/l1 penalties; dropout), a run can be computed
exactly, as by hand:

1. :func:`refusals` names every key that is not rational, with the entry's
   own reason (sigmoid: e^(−z) has no exact value; adam: takes square roots).
2. :func:`to_exact` reads every number of the problem as the decimal the file
   wrote: ``Fraction(repr(v))``, because the shortest repr of a float64 is the
   decimal it was read from (0.1 is 1/10, not 3602879701896397/2**55). Arrays
   become object arrays of Fraction, scalars Fractions.
3. ``engine.run`` runs its recorded path on that problem unchanged: the
   rational entries keep the number type they are given, so every recorded
   intermediate is an exact Fraction.
4. :func:`run` gives back a trace whose ``problem`` is the problem as read and
   whose ``next_problem`` holds the final weights as float64 (the nearest
   ones), so that JSON's SPEC keys stay numbers; the JSON trace adds an
   ``"exact"`` section, the page prints each number exactly (render/exactnum.py).

Exact numbers can grow: each update multiplies decimals by decimals, so the
digits of the weights roughly double with every update. A value of more than
:data:`MAX_BITS` bits stops the run (what was computed before is written, as
for a value that is not finite), naming the update and the quantity.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from .errors import Issue, NonFiniteError, ProblemError

MAX_BITS = 4000
"""The largest numerator or denominator of an exact value, in bits (about 1200 decimal digits)."""


# --------------------------------------------------------------------------- what the engine asks


def is_exact(problem) -> bool:
    """Whether ``problem`` was made by :func:`to_exact` (its arrays hold Fractions)."""
    return problem.X.dtype == object


def is_fraction(x) -> bool:
    """Whether ``x`` is a Fraction. The fractions module is imported only by an exact run (start-up time), and
    before it is imported no Fraction exists."""
    fractions = sys.modules.get("fractions")
    return fractions is not None and isinstance(x, fractions.Fraction)


def one(problem):
    """1 in the problem's number type: 1.0, or Fraction(1) for an exact run."""
    if is_exact(problem):
        from fractions import Fraction

        return Fraction(1)
    return 1.0


def scalar(x):
    """A reduced value as the engine keeps it: a Python float, or the exact Fraction unchanged."""
    return x if is_fraction(x) else float(x)


def fits(values: np.ndarray) -> bool:
    """Whether every exact value has a numerator and denominator of at most MAX_BITS bits."""
    return all(
        max(abs(v.numerator).bit_length(), v.denominator.bit_length()) <= MAX_BITS
        for v in values.flat
        if is_fraction(v)
    )


class ExactTooLong(NonFiniteError):
    """An exact value grew past MAX_BITS bits (exit 1, with the trace computed before it, as NonFiniteError)."""

    def __init__(self, epoch: int, step: int | None, layer: int | None, quantity: str, partial=None):
        self.epoch, self.step, self.layer, self.quantity, self.partial = epoch, step, layer, quantity, partial
        where = f"epoch {epoch}, update {step}" if step is not None else f"epoch {epoch}"
        if layer is not None:
            where += f", layer {layer}"
        Exception.__init__(
            self,
            f"{where}: {quantity} has an exact value of more than {MAX_BITS} bits (the "
            "digits double with every update); run fewer epochs, or without --exact",
        )


# --------------------------------------------------------------------------- refusing


def _rational(table: dict) -> str:
    names = [name for name, entry in table.items() if entry.rational]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def refusals(problem) -> list[Issue]:
    """An Issue for every key whose operation has no exact value (none: the problem can run exactly).

    The reasons come from the tables (``not_rational`` of each entry), the alternatives too.
    """
    from .activations import ACTIVATIONS
    from .losses import LOSSES
    from .optimizers import OPTIMIZERS

    issues = []

    def refuse(key: str, kind: str, entry, table: dict) -> None:
        issues.append(
            Issue(
                problem.origin,
                None,
                None,
                key,
                f"{kind} {entry.name}, which is not rational: {entry.not_rational}",
                f"{_rational(table)} under --exact (computed in fractions); or run without --exact",
            )
        )

    for i, layer in enumerate(problem.layers):
        if not layer.activation.rational:
            refuse(f"layers[{i + 1}].activation", "activation", layer.activation, ACTIVATIONS)
    if problem.rule == "backprop" and not problem.loss.rational:
        refuse("loss", "loss", problem.loss, LOSSES)
    if problem.rule == "backprop" and not problem.optimizer.rational:
        refuse("optimizer", "optimizer", problem.optimizer, OPTIMIZERS)
    return issues


def refuse_inexact(problem) -> None:
    """Raise a ProblemError (exit 2) naming every key that --exact cannot compute exactly."""
    issues = refusals(problem)
    if issues:
        raise ProblemError(issues)


# --------------------------------------------------------------------------- converting


def fraction(v):
    """A number from the file as the decimal it was written as (repr is the shortest decimal that reads back)."""
    from fractions import Fraction

    if isinstance(v, (bool, Fraction)):
        return v
    return Fraction(repr(float(v)))


def fractions(values: np.ndarray | None) -> np.ndarray | None:
    """A float64 array as an object array of the Fractions its decimals were written as."""
    if values is None:
        return None
    return np.vectorize(fraction, otypes=[object])(values) if values.size else values.astype(object)


def floats(values: np.ndarray | None) -> np.ndarray | None:
    """An exact array as float64 (the nearest float of each Fraction)."""
    return None if values is None else np.asarray(values, dtype=object).astype(float)


def _state(state: dict | None, convert: Callable) -> dict | None:
    if not state:
        return state
    return {k: (v if k == "step" else convert(v)) for k, v in state.items()}


def to_exact(problem):
    """The same problem with every number an exact Fraction (arrays as object arrays): what the engine runs."""
    layers = tuple(
        layer._replace(
            W=fractions(layer.W),
            b=fractions(layer.b),
            masks=fractions(layer.masks),
            state_W=_state(layer.state_W, fractions),
            state_b=_state(layer.state_b, fractions),
            activation_params={k: fraction(v) for k, v in layer.activation_params.items()},
            dropout=fraction(layer.dropout),
            bias_sign=fraction(layer.bias_sign),
        )
        for layer in problem.layers
    )
    hp = problem.hp
    given = {
        name: (tuple(map(fraction, hp[name])) if isinstance(hp[name], tuple) else fraction(hp[name]))
        for name in problem.optimizer.params
    }
    return problem._replace(
        layers=layers,
        X=fractions(problem.X),
        Y=fractions(problem.Y),
        learning_rate=fraction(problem.learning_rate),
        l1=fraction(problem.l1),
        l2=fraction(problem.l2),
        optimizer_params=given,
    )


def float_epoch(rec):
    """An epoch record's losses as floats (what progress, --until-loss and NDJSON lines read)."""
    f = lambda v: None if v is None else float(v)  # noqa: E731
    return rec._replace(loss=f(rec.loss), loss_after=f(rec.loss_after), loss_start=f(rec.loss_start), steps=None)


def _as_read(trace, problem):
    """The exact run's trace with the problem as read, and next_problem's weights as float64."""
    nxt = trace.next_problem
    state_W = [_state(layer.state_W, floats) for layer in nxt.layers]
    state_b = [_state(layer.state_b, floats) for layer in nxt.layers]
    nxt = problem.with_parameters(
        [floats(layer.W) for layer in nxt.layers],
        [floats(layer.b) for layer in nxt.layers],
        state_W,
        state_b,
        epochs_done=nxt.epochs_done,
    )
    return trace._replace(problem=problem, next_problem=nxt)


# --------------------------------------------------------------------------- running


def run(
    problem, record: bool = True, on_epoch: Callable | None = None, should_stop: Callable[[], str | None] | None = None
):
    """Train ``problem`` in exact arithmetic (refused, exit 2, when an operation is not rational).

    The trace's records hold Fractions; ``on_epoch`` sees each epoch's losses as floats.
    """
    from .engine import run as run_engine

    refuse_inexact(problem)
    watch = (lambda rec: on_epoch(float_epoch(rec))) if on_epoch is not None else None
    if problem.rule == "perceptron":  # computed exactly already (perceptron.py)
        from .perceptron import run as run_perceptron

        return run_perceptron(problem, record, watch, should_stop, keep_exact=True)
    try:
        trace = run_engine(to_exact(problem), record, watch, should_stop)
    except NonFiniteError as e:
        if e.partial is not None:
            e.partial = _as_read(e.partial, problem)
        raise
    return _as_read(trace, problem)
