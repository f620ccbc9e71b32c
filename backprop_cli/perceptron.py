r"""The perceptron learning rule (SPEC §4.6), in exact rational arithmetic, as by hand.

For each example in turn (one layer of threshold units, ŷ = step(z) or sign(z)):

    z = W·x + b   (or W·x − θ)        ŷ = f(z)           e = y − ŷ
    W ← W + η·e·xᵀ                    b ← b + η·e        (θ ← θ − η·e)

The file's decimals are read as exact fractions (0.1 is 1/10, not the nearest
binary number), so a net input that is 0 by hand is exactly 0 and its step is 1.
In float64 the weights reached through a few updates of 0.1 carry rounding, a
sum that is 0 by hand comes out as −2.8e-17, the output flips, and the run
leaves the textbook's table. Each example's loss is ½·Σ(y − ŷ)², 0 when right;
an epoch's loss counts its mistakes that way (and ``step --until-loss 0`` stops
at the first epoch without one).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import numpy as np

from .errors import NonFiniteError
from .problem import Problem
from .trace import EpochRecord, ForwardRecord, StepRecord, Trace, UpdateRecord


def exact(values: np.ndarray) -> np.ndarray:
    """Float64 values as the exact decimals they were written as (repr is the shortest decimal that reads back)."""
    return np.vectorize(lambda v: Fraction(repr(float(v))), otypes=[object])(values)


def _as_float(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object).astype(float)


def _same(values):
    return values


def _threshold(activation, z: np.ndarray) -> np.ndarray:
    """step(z) = 1 if z ≥ 0 else 0; sign(z) = 1 if z ≥ 0 else −1: the table's own function, which keeps exact
    numbers exact (integers on fractions), as Fractions."""
    return np.vectorize(Fraction, otypes=[object])(activation.function(np.asarray(z, dtype=object)))


def _losses(Y: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    e = Y - y_hat
    return np.array([sum(v * v for v in row) / 2 for row in e], dtype=object)


def _mean(problem: Problem, values: list) -> Fraction:
    total = sum(values, Fraction(0))
    return total if problem.batch_reduction == "sum" else total / len(values)


def run(
    problem: Problem,
    record: bool = True,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], str | None] | None = None,
    keep_exact: bool = False,
) -> Trace:
    """Train with the perceptron rule; every value computed exactly, written to the trace as float64
    (``keep_exact``: as the Fractions themselves, for ``--exact``)."""
    num, keep = (_same, _same) if keep_exact else (float, _as_float)
    layer = problem.layers[0]
    X, Y = exact(problem.X), exact(problem.Y)
    W = exact(layer.W)
    b = exact(layer.b) if layer.b is not None else None
    lr = Fraction(repr(problem.learning_rate))
    epochs, stopped = [], None
    loss_start = _mean(problem, list(_evaluate(problem, W, b, X, Y)))
    for k in range(1, problem.epochs + 1):
        epoch = problem.epochs_done + k
        steps, all_L = [], []
        for n in range(problem.n_examples):
            if should_stop is not None and not (k == 1 and n == 0):
                stopped = should_stop()
                if stopped:
                    break
            W, b, L_n, rec = _step(problem, layer, W, b, X, Y, n, lr, n + 1, keep)
            all_L.append(L_n)
            if record:
                steps.append(rec)
        if not all_L:
            break
        loss_after = _mean(problem, list(_evaluate(problem, W, b, X, Y)))
        rec = EpochRecord(
            epoch,
            steps if record else None,
            num(_mean(problem, all_L)),
            num(loss_after),
            len(all_L) < problem.n_examples,
            num(loss_start),
        )
        loss_start = loss_after
        epochs.append(rec)
        if on_epoch is not None:
            on_epoch(rec)
        if stopped:
            break
    done = problem.epochs_done + sum(1 for e in epochs if not e.partial)
    nxt = problem.with_parameters([_as_float(W)], [None if b is None else _as_float(b)], epochs_done=done)
    return Trace(problem, epochs, nxt, stopped=stopped)


def _net(layer, W, b, x):
    z = x @ W.T
    if b is not None:
        z = z - b if layer.bias_sign < 0 else z + b
    return z


def _evaluate(problem: Problem, W, b, X, Y) -> np.ndarray:
    layer = problem.layers[0]
    return _losses(Y, _threshold(layer.activation, _net(layer, W, b, X)))


def _step(problem: Problem, layer, W, b, X, Y, n: int, lr: Fraction, number: int, keep=None):
    """One example: its forward pass, its error e = y − ŷ (recorded as the step's ``e``), and the update
    (or no change). Exact."""
    x, y = X[n : n + 1], Y[n : n + 1]
    z = _net(layer, W, b, x)
    y_hat = _threshold(layer.activation, z)
    e = y - y_hat
    W_change = lr * (e.T @ x)
    new_W = W + W_change
    b_change = new_b = None
    if b is not None:
        b_change = (-lr if layer.bias_sign < 0 else lr) * e[0] if problem.train_bias else b * 0
        new_b = b + b_change
    L_n = _losses(y, y_hat)
    for arr in (new_W, new_b):
        if arr is not None and not np.all(np.isfinite(_as_float(arr))):
            raise NonFiniteError(problem.epochs_done + 1, number, 1, "the updated weights")
    f = keep or _as_float
    rec = StepRecord(
        number=number,
        examples=np.array([n]),
        forward=[ForwardRecord(1, f(x), f(z), f(y_hat))],
        loss_terms=f((y - y_hat) ** 2 / 2),
        losses=f(L_n),
        loss=_mean(problem, list(L_n)) if f is _same else float(_mean(problem, list(L_n))),
        backward=[],
        dL_dx=None,
        update=[
            UpdateRecord(
                1,
                f(W),
                f(W_change),
                f(new_W),
                None if b is None else f(b),
                None if b is None else f(b_change),
                None if b is None else f(new_b),
            )
        ],
        e=f(e),
    )
    return new_W, new_b, L_n[0], rec
