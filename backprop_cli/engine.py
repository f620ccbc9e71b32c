r"""Running a problem: its updates and epochs, the recorded path, partial traces, the trace.

The arithmetic of one update is propagation.py's (its docstring has the notation); the update rule is the
problem's optimizer (optimizers.py), one step per parameter array.

The module is pure: no printing, no exiting, no I/O. ``run(problem)`` records
every intermediate in a :class:`~backprop_cli.trace.Trace`; ``run(problem,
record=False)`` is the fast path for long runs that keeps only the losses.

The recorded path keeps the number type of the problem's arrays: float64, or
(``--exact``, see exact.py) object arrays of ``fractions.Fraction``, run
through the same functions with no float literal meeting a value.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .diagnose import diagnose
from .errors import NonFiniteError
from .exact import ExactTooLong, fits, is_exact, scalar
from .problem import Problem, penalty
from .propagation import (  # noqa: F401  (the arithmetic, also read as engine.forward etc. by the teaching tools)
    backward,
    batch_scale,
    forward,
    forward_pass,
    local_slope,
    loss_terms,
    losses,
    net_input,
    output_delta,
    reduce,
    update_loss,
    weight_gradients,
)
from .trace import BackwardRecord, EpochRecord, ForwardRecord, StepRecord, Trace, UpdateRecord


class Params(NamedTuple):
    """The trained arrays of every layer, and the optimizer's buffers of each (PyTorch's state names)."""

    W: list[np.ndarray]
    b: list[np.ndarray | None]
    state_W: list[dict]
    state_b: list[dict]

    def copy(self) -> "Params":
        """New lists and state dicts (the arrays are never changed in place, so they are shared)."""
        return Params(list(self.W), list(self.b), [dict(s) for s in self.state_W], [dict(s) for s in self.state_b])


class _FiniteGuard:
    """Raises NonFiniteError for the first quantity that is not finite (ExactTooLong: too many digits, exact)."""

    def __init__(self, epoch: int, step: int):
        self.epoch, self.step = epoch, step

    def __call__(self, quantity: str, layer: int | None, *arrays) -> None:
        for arr in arrays:
            if arr is None:
                continue
            if arr.dtype == object:  # exact: always finite, but its digits can outgrow any use
                if not fits(arr):
                    raise ExactTooLong(self.epoch, self.step, layer, quantity)
            elif not np.all(np.isfinite(arr)):
                raise NonFiniteError(self.epoch, self.step, layer, quantity)


def dropout_masks(problem: Problem, rows: np.ndarray, epoch: int, number: int) -> list | None:
    """Each layer's dropout mask for this update: the file's rows, or drawn from (seed, epoch, update)."""
    if not any(layer.dropout for layer in problem.layers):
        return None
    rng = None
    masks = []
    for layer in problem.layers:
        if not layer.dropout:
            masks.append(None)
        elif layer.masks is not None:
            masks.append(layer.masks[rows])
        else:
            rng = rng or np.random.default_rng([problem.seed or 0, epoch, number])
            kept = rng.random((len(rows), layer.units)) >= float(layer.dropout)
            masks.append(kept.astype(float) if not is_exact(problem) else kept.astype(int).astype(object))
    return masks


def apply_update(problem: Problem, params: Params, i: int, dL_dW, dL_db, record: bool):
    """One optimizer step of layer i's weights (and trainable bias): returns the UpdateRecord or None."""
    opt, hp, lr = problem.optimizer, problem.hp, problem.learning_rate
    W, b = params.W[i], params.b[i]
    before_W, before_b = dict(params.state_W[i]), dict(params.state_b[i])
    shown_W = {} if record else None
    params.W[i] = opt.step(W, dL_dW, params.state_W[i], lr, hp, shown_W)
    shown_b = None
    if b is not None and problem.train_bias:
        shown_b = {} if record else None
        params.b[i] = opt.step(b, dL_db, params.state_b[i], lr, hp, shown_b)
    if not record:
        return None
    b_change = None if b is None else (shown_b["change"] if shown_b is not None else np.zeros_like(b))
    return UpdateRecord(
        i + 1,
        W,
        shown_W["change"],
        params.W[i],
        b,
        b_change,
        params.b[i],
        dict(params.state_W[i]),
        dict(params.state_b[i]),
        before_W,
        before_b,
        shown_W,
        shown_b,
    )


def _step(problem: Problem, params: Params, rows: np.ndarray, number: int, epoch: int, record: bool):
    """One update over the examples ``rows``. Returns (new params, Lₙ, penalty, StepRecord or None)."""
    layers = problem.layers
    X, Y = problem.X[rows], problem.Y[rows]
    check = _FiniteGuard(epoch, number) if record else None
    masks = dropout_masks(problem, rows, epoch, number)
    W = list(params.W)
    zs, acts, f_values = forward_pass(layers, W, params.b, X, masks)
    terms = loss_terms(problem, zs[-1], acts[-1], Y)
    L_n = terms.sum(axis=1)
    pen = penalty(problem, W) if (problem.l1 or problem.l2) else None
    if check:
        for i, (z, a) in enumerate(zip(zs, acts, strict=False)):
            check("z (net input)", i + 1, z)
            check("a (activation)", i + 1, a)
        check("the loss", len(layers), L_n)

    back, dL_dx = backward(problem, W, X, Y, zs, acts, f_values, masks)
    params = params.copy()
    updates = []
    for i in range(len(layers)):
        rec = back[len(layers) - 1 - i]
        if check:
            check("δ (delta)", i + 1, rec[2])
            check("dL_dW", i + 1, rec[3], rec[4])
        upd = apply_update(problem, params, i, rec[3], rec[4], record)
        if check:
            check("the updated weights", i + 1, params.W[i], params.b[i])
            updates.append(upd)
    if check:
        check("dL_dx", None, dL_dx)
    step = (
        _record(problem, number, rows, X, zs, acts, f_values, masks, terms, L_n, back, dL_dx, updates, pen)
        if record
        else None
    )
    return params, L_n, pen, step


def _record(problem, number, rows, X, zs, acts, f_values, masks, terms, L_n, back, dL_dx, updates, pen) -> StepRecord:
    """The update's StepRecord. A layer with dropout keeps f(z) before its mask (``ForwardRecord.f``) and f′(z)
    before it (``BackwardRecord.df_dz``); other layers keep None there."""
    L = len(problem.layers)
    dropped = [masks is not None and masks[i] is not None for i in range(L)]
    error_signal = problem.conventions.get("delta") == "error_signal"
    backward_records = []
    for j in range(L):
        dL_da, da_dz, delta, *rest = back[j]  # rest: dL_dW, dL_db, shortcut, W_used, dL_dW_penalty, df_dz
        backward_records.append(BackwardRecord(L - j, dL_da, da_dz, -delta if error_signal else delta, *rest))
    return StepRecord(
        number=number,
        examples=rows,
        forward=[
            ForwardRecord(
                i + 1,
                X if i == 0 else acts[i - 1],
                zs[i],
                acts[i],
                masks[i] if dropped[i] else None,
                f_values[i] if dropped[i] else None,
                recorded_parts(problem.layers[i], zs[i]),
            )
            for i in range(L)
        ],
        loss_terms=terms,
        losses=L_n,
        loss=reduce(problem, L_n) + (pen or 0),
        backward=backward_records,
        dL_dx=dL_dx,
        update=updates,
        scale=batch_scale(problem, len(rows)),
        penalty=pen,
    )


def initial_params(problem: Problem) -> Params:
    layers = problem.layers
    return Params(
        [layer.W for layer in layers],
        [layer.b for layer in layers],
        [dict(layer.state_W or {}) for layer in layers],
        [dict(layer.state_b or {}) for layer in layers],
    )


def recorded_parts(layer, z: np.ndarray) -> np.ndarray | None:
    """The values the layer's activation shows between its formula and its value (softmax's e^z), or None
    (none named, an exact run, or a value too large for a float: the page then goes straight to the value)."""
    if layer.activation.parts is None or z.dtype == object:
        return None
    with np.errstate(over="ignore"):
        parts = layer.activation.parts[1](z)
    return parts if np.all(np.isfinite(parts)) else None


def evaluate(problem: Problem, params: Params) -> tuple[np.ndarray, float]:
    """Lₙ of every example and their reduction plus the penalty, at the given weights, without dropout."""
    zs, acts = forward(problem.layers, params.W, params.b, problem.X)
    L_n = loss_terms(problem, zs[-1], acts[-1], problem.Y).sum(axis=1)
    pen = penalty(problem, params.W) if (problem.l1 or problem.l2) else 0
    return L_n, reduce(problem, L_n) + pen


def run(
    problem: Problem,
    record: bool = True,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], str | None] | None = None,
) -> Trace:
    """Train ``problem.epochs`` epochs and return the trace.

    ``record=False`` is the fast path: each epoch keeps only its losses. If it
    meets a non-finite value, the epoch is run again with recording from its
    start, so that the error names the exact update, layer and quantity.
    ``on_epoch`` is called after every epoch. ``should_stop`` is asked before
    every update but the first: a reason (a string) ends the run there, after
    the update in progress; an epoch cut short is kept, marked ``partial``,
    with the loss of the examples it saw and ``loss_after`` at the weights
    reached, and ``trace.stopped`` keeps the reason. The perceptron rule runs
    in exact arithmetic (perceptron.py). An exact problem (exact.py) always
    takes the recorded path; without ``record`` its epochs drop their steps.
    """
    if problem.rule == "perceptron":
        from .perceptron import run as run_perceptron

        return run_perceptron(problem, record, on_epoch, should_stop)
    params = initial_params(problem)
    plan = None
    if not (record or is_exact(problem)):
        from .fastpath import Plan, fast_epoch  # not imported by a recorded run (start-up time)

        plan = Plan(problem)
    epochs: list[EpochRecord] = []
    stopped = None
    with np.errstate(all="ignore"):
        ask = (lambda first: None if first else should_stop()) if should_stop is not None else None
        loss_start = evaluate(problem, params)[1]
        for k in range(1, problem.epochs + 1):
            epoch, start = problem.epochs_done + k, params
            try:
                if record or is_exact(problem):
                    params, rec, stopped = _epoch(problem, params, epoch, ask, loss_start)
                    rec = rec if record or rec is None else rec._replace(steps=None)
                else:
                    params, rec, stopped = fast_epoch(problem, plan, params, epoch, ask, loss_start)
                    if rec is not None and not (
                        np.isfinite(rec.loss)
                        and np.isfinite(rec.loss_after)
                        and all(np.all(np.isfinite(w)) for w in params.W)
                    ):
                        _epoch(problem, start, epoch, None, loss_start)  # find and name the first non-finite value
            except NonFiniteError as e:
                e.partial = _partial_trace(problem, epochs, start, epoch, e, record)
                raise
            if rec is not None:
                epochs.append(rec)
                loss_start = rec.loss_after
                if on_epoch is not None:
                    on_epoch(rec)
            if stopped:
                break
    return _trace(problem, epochs, params, stopped=stopped)


def _epoch(problem: Problem, params: Params, epoch: int, ask, loss_start: float):
    """One epoch's updates, recorded. Returns (params, EpochRecord or None when stopped before any update, reason)."""
    steps, all_L, penalties = [], [], []
    stopped = None
    for k, rows in enumerate(problem.batches()):
        if ask is not None:
            stopped = ask(epoch == problem.epochs_done + 1 and k == 0)
            if stopped:
                break
        try:
            params, L_n, pen, rec = _step(problem, params, rows, k + 1, epoch, True)
        except NonFiniteError as e:  # keep what this epoch computed before the failing update
            e.done = (params, steps, all_L)
            raise
        steps.append(rec)
        all_L.append(L_n)
        penalties.append(pen or 0)
    if not all_L:
        return params, None, stopped
    _, loss_after = evaluate(problem, params)
    if not is_exact(problem) and not np.isfinite(loss_after):
        e = _where_not_finite(problem, params, epoch)
        e.done = (params, steps, all_L)
        raise e
    partial = len(all_L) < len(problem.batches())
    loss = reduce(problem, np.concatenate(all_L)) + (scalar(np.mean(penalties)) if problem.l1 or problem.l2 else 0)
    return params, EpochRecord(epoch, steps, loss, loss_after, partial, loss_start), stopped


def _where_not_finite(problem: Problem, params: Params, epoch: int) -> NonFiniteError:
    """Name the first layer whose net input or activation is not finite over all examples (or the loss)."""
    zs, acts = forward(problem.layers, params.W, params.b, problem.X)
    for i, (z, a) in enumerate(zip(zs, acts, strict=False)):
        for name, arr in (("z (net input)", z), ("a (activation)", a)):
            if not np.all(np.isfinite(arr)):
                return NonFiniteError(epoch, None, i + 1, f"{name} over all examples, at the weights after the epoch")
    for i, (W, b) in enumerate(zip(params.W, params.b, strict=False)):
        if not (np.all(np.isfinite(W)) and (b is None or np.all(np.isfinite(b)))):
            return NonFiniteError(epoch, None, i + 1, "the weights after the epoch")
    return NonFiniteError(
        epoch, None, len(problem.layers), "the loss after the epoch (all examples, at the new weights)"
    )


def _partial_trace(
    problem: Problem, epochs: list[EpochRecord], start: Params, epoch: int, error: NonFiniteError, record: bool
) -> Trace:
    """What was computed before a non-finite value: the whole epochs, then the failing epoch's finished updates.

    Its next_problem holds the last finite weights (before the failing update).
    """
    params, steps, all_L = getattr(error, "done", (start, [], []))
    epochs = list(epochs)
    if all_L:
        epochs.append(EpochRecord(epoch, steps if record else None, reduce(problem, np.concatenate(all_L)), None, True))
    return _trace(problem, epochs, params, stopped=str(error))


def _trace(problem: Problem, epochs: list[EpochRecord], params: Params, stopped: str | None = None) -> Trace:
    done = problem.epochs_done + sum(1 for e in epochs if not e.partial)
    nxt = problem.with_parameters(
        params.W, params.b, [s or None for s in params.state_W], [s or None for s in params.state_b], epochs_done=done
    )
    notes: list[str] = []
    if epochs and epochs[0].steps:
        notes = diagnose(problem, epochs[0].steps[0], f"epoch {epochs[0].epoch}, update 1")
    elif stopped is None:  # the fast path: look at the first update from the starting weights
        try:
            with np.errstate(all="ignore"):
                first = _step(problem, initial_params(problem), problem.batches()[0], 1, problem.epochs_done + 1, True)[
                    3
                ]
            notes = diagnose(problem, first, f"epoch {problem.epochs_done + 1}, update 1")
        except NonFiniteError:
            pass
    return Trace(problem, epochs, nxt, warnings=tuple(dict.fromkeys(notes))[:8], stopped=stopped)
