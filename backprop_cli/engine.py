r"""Forward and backward propagation, vectorised over the examples of an update.

Notation (layers numbered 1..L, a₀ = x; one row per example n; s = the bias sign, −1 for a threshold):

    forward     z_l = a_{l-1} W_lᵀ + s·b_l          a_l = f_l(z_l)  (⊙ m_l/(1 − p_l) with dropout)
    loss        Lₙ = loss(a_L, y)                   L = r·Σₙ Lₙ + penalty,  r = 1/N (mean) or 1 (sum)
    output δ    δ_L = ∂Lₙ/∂z_L = ∂Lₙ/∂a_L ⊙ f_L′(z_L)   (or the pair's closed form)
    hidden δ    δ_l = (δ_{l+1} W_{l+1}) ⊙ ∂a_l/∂z_l      W_{l+1} before the update;
                                                          ∂a/∂z = f′(z) (⊙ m/(1 − p) with dropout)
    gradients   ∂L/∂W_l = r · δ_lᵀ a_{l-1} + λ₂·W_l + λ₁·sign(W_l)
                ∂L/∂b_l = s · r · Σₙ δ_l  (summed over the units too for a shared bias)
                ∂L/∂x   = r · δ_1 W_1
    update      the problem's optimizer, one step per parameter array (optimizers.py)

The module is pure: no printing, no exiting, no I/O. ``run(problem)`` records
every intermediate in a :class:`~backprop_cli.trace.Trace`; ``run(problem,
record=False)`` is the fast path for long runs that keeps only the losses.

The recorded path keeps the number type of the problem's arrays: float64, or
(``--exact``, see exact.py) object arrays of ``fractions.Fraction``, run
through the same functions with no float literal meeting a value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .diagnose import diagnose
from .errors import NonFiniteError
from .exact import ExactTooLong, fits, is_exact, one, scalar
from .losses import SHORTCUTS
from .problem import Problem, penalty
from .trace import BackwardRecord, EpochRecord, ForwardRecord, StepRecord, Trace, UpdateRecord


class Params(NamedTuple):
    """The trained arrays of every layer, and the optimizer's buffers of each (PyTorch's state names)."""

    W: list[np.ndarray]
    b: list[np.ndarray | None]
    state_W: list[dict]
    state_b: list[dict]

    def copy(self) -> Params:
        """New lists and state dicts (the arrays are never changed in place, so they are shared)."""
        return Params(list(self.W), list(self.b), [dict(s) for s in self.state_W], [dict(s) for s in self.state_b])


def net_input(layer, a_in: np.ndarray, W: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """z = a_in·Wᵀ + s·b (s = −1 for a threshold or a bias weight on a constant −1)."""
    z = a_in @ W.T
    if b is not None:
        z = z - b if layer.bias_sign < 0 else z + b
    return z


def forward(layers, W, b, X, masks=None):
    """z_l and a_l for every layer, all rows at once: the lists (z_1..z_L, a_1..a_L)."""
    zs, activations, _ = forward_pass(layers, W, b, X, masks)
    return zs, activations


def forward_pass(layers, W, b, X, masks=None):
    """z_l and a_l for every layer; with dropout a_l = f(z_l) ⊙ m/(1 − p).

    Returns (zs, activations, f_values): f_values are f(z) before dropout (the same arrays without it).
    """
    zs, activations, f_values = [], [], []
    a = X
    for i, (layer, W_l, b_l) in enumerate(zip(layers, W, b, strict=False)):
        z = net_input(layer, a, W_l, b_l)
        f = layer.activation(z, layer.activation_params)
        a = f * (masks[i] / (1 - layer.dropout)) if masks is not None and masks[i] is not None else f
        zs.append(z)
        f_values.append(f)
        activations.append(a)
    return zs, activations, f_values


def loss_terms(problem: Problem, z: np.ndarray, y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Each output's term of Lₙ (Lₙ is their sum).

    Where the output activation and the loss have a closed form (sigmoid + bce,
    softmax + cross_entropy) the terms come from the net input z, which stays
    finite where ŷ has rounded to exactly 0 or 1; otherwise from ŷ.
    """
    pair = SHORTCUTS.get((problem.layers[-1].activation.name, problem.loss.name))
    return pair.terms(z, Y) if pair is not None else problem.loss.terms(y_hat, Y)


def losses(problem: Problem, z: np.ndarray, y_hat: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Lₙ for every row."""
    return loss_terms(problem, z, y_hat, Y).sum(axis=1)


def update_loss(problem: Problem, W, b, rows: np.ndarray, masks=None) -> float:
    """L of one update at weights W, b: the reduced loss of the examples ``rows`` plus the penalty.

    With dropout, ``masks`` are the update's masks (see :func:`dropout_masks`). This is the function
    whose derivatives the backward pass computes (gradcheck differentiates it numerically).
    """
    zs, acts = forward(problem.layers, W, b, problem.X[rows], masks)
    pen = penalty(problem, W) if (problem.l1 or problem.l2) else 0
    return reduce(problem, losses(problem, zs[-1], acts[-1], problem.Y[rows])) + pen


def reduce(problem: Problem, values: np.ndarray) -> float:
    """The batch reduction of per-example losses: Σₙ Lₙ or (1/N) Σₙ Lₙ."""
    return scalar(values.sum() if problem.batch_reduction == "sum" else values.mean())


def batch_scale(problem: Problem, n: int) -> float:
    """r: ∂L/∂W of an update over n examples is r·Σₙ ∂Lₙ/∂W (1/n for mean, 1 for sum)."""
    return one(problem) / n if problem.batch_reduction == "mean" else one(problem)


def output_delta(problem: Problem, z: np.ndarray, a: np.ndarray, Y: np.ndarray):
    """δ_L = ∂Lₙ/∂z_L of the output layer.

    Returns (dL_da, da_dz, delta, shortcut). Where the (activation, loss) pair
    has a closed form (sigmoid + bce, softmax + cross_entropy) δ comes from it,
    which is exact even when ŷ is 0 or 1; ∂L/∂a is still reported for display.
    """
    out = problem.layers[-1]
    act, loss = out.activation, problem.loss
    with np.errstate(divide="ignore", invalid="ignore"):
        dL_da = loss.gradient(a, Y)
    da_dz = act.derivative(z, a, **out.activation_params) if act.elementwise else None
    pair = SHORTCUTS.get((act.name, loss.name))
    if pair is not None:
        return dL_da, da_dz, pair.delta(a, Y), True
    return dL_da, da_dz, act.backward(z, a, dL_da, out.activation_params), False


def local_slope(layer, z, f, mask):
    """∂a/∂z of a hidden layer: f′(z), times m/(1 − p) with dropout (None for a non-elementwise f)."""
    if not layer.activation.elementwise:
        return None
    da_dz = layer.activation.derivative(z, f, **layer.activation_params)
    return da_dz * (mask / (1 - layer.dropout)) if mask is not None else da_dz


def weight_gradients(problem: Problem, layer, delta, a_in, W, scale):
    """(∂L/∂W with the penalty, the penalty's part, ∂L/∂b) of one layer."""
    dL_dW = scale * (delta.T @ a_in)
    dL_dW_penalty = None
    if problem.l2 or problem.l1:
        dL_dW_penalty = problem.l2 * W + problem.l1 * np.sign(W)
        dL_dW = dL_dW + dL_dW_penalty
    dL_db = None
    if layer.b is not None:
        dL_db = (scale * layer.bias_sign) * delta.sum(axis=0)
        if layer.bias_form == "shared":
            dL_db = np.array([dL_db.sum()])
    return dL_dW, dL_dW_penalty, dL_db


def backward(problem: Problem, W, X, Y, zs, activations, f_values, masks):
    """The backward pass, output layer first.

    Returns (records, dL_dx) where each record holds (dL_da, da_dz, delta, dL_dW, dL_db, shortcut, W_used,
    dL_dW_penalty) for layers L..1, and dL_dx = r·δ_1 W_1.
    """
    layers = problem.layers
    scale = batch_scale(problem, X.shape[0])
    dL_da, da_dz, delta, shortcut = output_delta(problem, zs[-1], activations[-1], Y)
    W_used = None
    out = []
    for i in range(len(layers) - 1, -1, -1):
        a_in = X if i == 0 else activations[i - 1]
        dL_dW, dL_dW_penalty, dL_db = weight_gradients(problem, layers[i], delta, a_in, W[i], scale)
        out.append((dL_da, da_dz, delta, dL_dW, dL_db, shortcut, W_used, dL_dW_penalty))
        dL_da_in = delta @ W[i]  # ∂Lₙ/∂a_{i}: each unit's δ sent back along its weights
        if i > 0:
            below, mask = layers[i - 1], masks[i - 1] if masks else None
            dL_da, W_used, shortcut = dL_da_in, W[i], False
            da_dz = local_slope(below, zs[i - 1], f_values[i - 1], mask)
            delta = (
                dL_da * da_dz
                if da_dz is not None
                else below.activation.backward(zs[i - 1], f_values[i - 1], dL_da, below.activation_params)
            )
    return out, scale * dL_da_in


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
    step = _record(problem, number, rows, X, zs, acts, masks, terms, L_n, back, dL_dx, updates, pen) if record else None
    return params, L_n, pen, step


def _record(problem, number, rows, X, zs, acts, masks, terms, L_n, back, dL_dx, updates, pen) -> StepRecord:
    L = len(problem.layers)
    error_signal = problem.conventions.get("delta") == "error_signal"
    backward_records = []
    for j in range(L):
        dL_da, da_dz, delta, dL_dW, dL_db, shortcut, W_used, dL_dW_penalty = back[j]
        backward_records.append(
            BackwardRecord(
                L - j, dL_da, da_dz, -delta if error_signal else delta, dL_dW, dL_db, shortcut, W_used, dL_dW_penalty
            )
        )
    return StepRecord(
        number=number,
        examples=rows,
        forward=[
            ForwardRecord(i + 1, X if i == 0 else acts[i - 1], zs[i], acts[i], masks[i] if masks else None)
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
    from .fastpath import Plan, fast_epoch

    params = initial_params(problem)
    plan = Plan.of(problem)
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
