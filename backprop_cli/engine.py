r"""Forward and backward propagation, vectorised over the examples of an update.

Notation (layers numbered 1..L, a₀ = x; one row per example n):

    forward     z_l = a_{l-1} W_lᵀ + b_l            a_l = f_l(z_l)
    loss        Lₙ = loss(a_L, y)                   L = Σₙ Lₙ (sum)  or  (1/N) Σₙ Lₙ (mean)
    output δ    δ_L = ∂Lₙ/∂z_L = ∂Lₙ/∂a_L ⊙ f_L′(z_L)   (or the pair's closed form)
    hidden δ    δ_l = (δ_{l+1} W_{l+1}) ⊙ f_l′(z_l)      W_{l+1} before the update
    gradients   ∂L/∂W_l = r · δ_lᵀ a_{l-1}          ∂L/∂b_l = r · Σₙ δ_l
                ∂L/∂x   = r · δ_1 W_1                r = 1/N (mean) or 1 (sum)
    update      v ← μ v + ∂L/∂W (μ > 0)            W ← W − η·v   (or W − η·∂L/∂W)

The module is pure: no printing, no exiting, no I/O. ``run(problem)`` records
every intermediate in a :class:`~backprop_cli.trace.Trace`; ``run(problem,
record=False)`` is the fast path for long runs that keeps only the losses.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, NamedTuple

import numpy as np

from .errors import NonFiniteError
from .problem import Layer, Problem
from .losses import SHORTCUTS
from .trace import BackwardRecord, EpochRecord, ForwardRecord, StepRecord, Trace, UpdateRecord

Params = tuple[list[np.ndarray], list[np.ndarray | None], list[np.ndarray | None], list[np.ndarray | None]]


def forward(layers, W, b, X):
    """z_l = a_{l-1}·W_lᵀ + b_l and a_l = f_l(z_l) for every layer, all rows at once.

    Returns the lists (z_1..z_L, a_1..a_L).
    """
    zs, activations = [], []
    a = X
    for layer, W_l, b_l in zip(layers, W, b):
        z = a @ W_l.T
        if b_l is not None:
            z = z + b_l
        a = layer.activation(z, layer.activation_params)
        zs.append(z)
        activations.append(a)
    return zs, activations


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


def reduce(problem: Problem, values: np.ndarray) -> float:
    """The batch reduction of per-example losses: Σₙ Lₙ or (1/N) Σₙ Lₙ."""
    return float(values.sum() if problem.batch_reduction == "sum" else values.mean())


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


def backward(problem: Problem, W, X, Y, zs, activations):
    """The backward pass, output layer first.

    Returns (records, dL_dx) where each record is (dL_da, da_dz, delta,
    dL_dW, dL_db, shortcut, W_used) for layers L..1 and dL_dx = r·δ_1 W_1.
    """
    layers = problem.layers
    scale = 1.0 / X.shape[0] if problem.batch_reduction == "mean" else 1.0
    dL_da, da_dz, delta, shortcut = output_delta(problem, zs[-1], activations[-1], Y)
    W_used = None
    out = []
    for i in range(len(layers) - 1, -1, -1):
        a_in = X if i == 0 else activations[i - 1]
        dL_dW = scale * (delta.T @ a_in)
        dL_db = scale * delta.sum(axis=0) if layers[i].b is not None else None
        out.append((dL_da, da_dz, delta, dL_dW, dL_db, shortcut, W_used))
        dL_da_in = delta @ W[i]  # ∂Lₙ/∂a_{i}: each unit's δ sent back along its weights
        if i == 0:
            return out, scale * dL_da_in
        below = layers[i - 1]
        dL_da, W_used, shortcut = dL_da_in, W[i], False
        da_dz = below.activation.derivative(zs[i - 1], activations[i - 1], **below.activation_params) if below.activation.elementwise else None
        delta = dL_da * da_dz if da_dz is not None else below.activation.backward(zs[i - 1], activations[i - 1], dL_da, below.activation_params)
    raise AssertionError("unreachable")


def update(problem: Problem, layer: Layer, param: np.ndarray, grad: np.ndarray, velocity: np.ndarray | None, trainable: bool = True):
    """One SGD step for one parameter array: returns (change, new value, new velocity).

    Plain:    change = −η·g.
    Momentum: v ← μ·v + g (v starts at 0, so the first v is g), change = −η·v  (PyTorch SGD).
    A frozen parameter (a bias with ``train_bias: false``) does not change.
    """
    if not trainable:
        return np.zeros_like(param), param, velocity
    if problem.momentum > 0:
        velocity = grad if velocity is None else problem.momentum * velocity + grad
        step = velocity
    else:
        step = grad
    change = -problem.learning_rate * step
    return change, param + change, velocity


class _Checker:
    """Raises NonFiniteError for the first quantity that is not finite."""

    def __init__(self, epoch: int, step: int):
        self.epoch, self.step = epoch, step

    def __call__(self, quantity: str, layer: int | None, *arrays) -> None:
        for arr in arrays:
            if arr is not None and not np.all(np.isfinite(arr)):
                raise NonFiniteError(self.epoch, self.step, layer, quantity)


def _step(problem: Problem, params: Params, rows: np.ndarray, number: int, epoch: int, record: bool):
    """One update over the examples ``rows``. Returns (new params, Lₙ, StepRecord or None)."""
    W, b, vW, vb = params
    layers = problem.layers
    X, Y = problem.X[rows], problem.Y[rows]
    check = _Checker(epoch, number) if record else None

    zs, acts = forward(layers, W, b, X)
    terms = loss_terms(problem, zs[-1], acts[-1], Y)
    L_n = terms.sum(axis=1)
    if check:
        for i, (z, a) in enumerate(zip(zs, acts)):
            check("z (net input)", i + 1, z)
            check("a (activation)", i + 1, a)
        check("the loss", len(layers), L_n)

    back, dL_dx = backward(problem, W, X, Y, zs, acts)
    new_W, new_b, new_vW, new_vb = list(W), list(b), list(vW), list(vb)
    updates = []
    for i in range(len(layers)):
        dL_da, da_dz, delta, dL_dW, dL_db, _, _ = back[len(layers) - 1 - i]
        if check:
            check("δ (delta)", i + 1, delta)
            check("dL_dW", i + 1, dL_dW, dL_db)
        W_change, new_W[i], new_vW[i] = update(problem, layers[i], W[i], dL_dW, vW[i])
        b_change = None
        if b[i] is not None:
            b_change, new_b[i], new_vb[i] = update(problem, layers[i], b[i], dL_db, vb[i], problem.train_bias)
        if check:
            check("the updated weights", i + 1, new_W[i], new_b[i])
            updates.append(UpdateRecord(i + 1, W[i], W_change, new_W[i], b[i], b_change, new_b[i], new_vW[i], new_vb[i], vW[i], vb[i]))
    if check:
        check("dL_dx", None, dL_dx)

    rec = None
    if record:
        L = len(layers)
        rec = StepRecord(
            number=number,
            examples=rows,
            forward=[ForwardRecord(i + 1, X if i == 0 else acts[i - 1], zs[i], acts[i]) for i in range(L)],
            loss_terms=terms,
            losses=L_n,
            loss=reduce(problem, L_n),
            backward=[BackwardRecord(L - j, *back[j]) for j in range(L)],
            dL_dx=dL_dx,
            update=updates,
        )
    return (new_W, new_b, new_vW, new_vb), L_n, rec


def initial_params(problem: Problem) -> Params:
    layers = problem.layers
    return (
        [l.W for l in layers],
        [l.b for l in layers],
        [l.velocity_W for l in layers],
        [l.velocity_b if l.b is not None else None for l in layers],
    )


def evaluate(problem: Problem, params: Params) -> tuple[np.ndarray, float]:
    """Lₙ of every example and their reduction, at the given weights (no update)."""
    W, b, _, _ = params
    zs, acts = forward(problem.layers, W, b, problem.X)
    L_n = losses(problem, zs[-1], acts[-1], problem.Y)
    return L_n, reduce(problem, L_n)


def run(problem: Problem, record: bool = True, on_epoch: Callable[[EpochRecord], None] | None = None,
        should_stop: Callable[[], str | None] | None = None) -> Trace:
    """Train ``problem.epochs`` epochs and return the trace.

    ``record=False`` is the fast path: each epoch keeps only its losses. If it
    meets a non-finite value, the epoch is run again with recording from its
    start, so that the error names the exact update, layer and quantity.
    ``on_epoch`` is called after every epoch. ``should_stop`` is asked before
    every update but the first: a reason (a string) ends the run there, after
    the update in progress; an epoch cut short is kept, marked ``partial``,
    with the loss of the examples it saw and ``loss_after`` at the weights
    reached, and ``trace.stopped`` keeps the reason.
    """
    params = initial_params(problem)
    plan = _plan(problem)
    epochs: list[EpochRecord] = []
    stopped = None
    with np.errstate(all="ignore"):
        ask = (lambda first: None if first else should_stop()) if should_stop is not None else None
        for epoch in range(1, problem.epochs + 1):
            start = params
            try:
                params, rec, stopped = _epoch(problem, params, plan, epoch, record, ask)
                if rec is not None and not record and not (np.isfinite(rec.loss) and np.isfinite(rec.loss_after)):
                    _epoch(problem, start, plan, epoch, True)  # find and name the first non-finite quantity
            except NonFiniteError as e:
                e.partial = _partial_trace(problem, epochs, start, epoch, e, record)
                raise
            if rec is not None:
                epochs.append(rec)
                if on_epoch is not None:
                    on_epoch(rec)
            if stopped:
                break
    return _trace(problem, epochs, params, stopped=stopped)


class _Plan(NamedTuple):
    """What every update of a run needs, worked out once: the batches and each layer's functions."""

    batches: list[np.ndarray]  # row indices of each update
    X: list[np.ndarray]  # their inputs and targets, sliced once
    Y: list[np.ndarray]
    scale: list[float]  # r = 1/N (mean) or 1 (sum) of each update
    f: list[Callable]  # f_l(z), parameters bound
    df: list[Callable | None]  # f_l′(z, a), or None (softmax)
    out_delta: Callable  # (z_L, a_L, Y) -> δ_L


def _plan(problem: Problem) -> _Plan:
    batches = problem.batches()
    layers = problem.layers
    f = [partial(l.activation.function, **l.activation_params) for l in layers]
    df = [partial(l.activation.derivative, **l.activation_params) if l.activation.elementwise else None for l in layers]
    out = layers[-1]
    pair = SHORTCUTS.get((out.activation.name, problem.loss.name))
    if pair is not None:
        out_delta = lambda z, a, Y: pair.delta(a, Y)  # noqa: E731
    elif df[-1] is not None:
        out_delta = lambda z, a, Y: problem.loss.gradient(a, Y) * df[-1](z, a)  # noqa: E731
    else:
        out_delta = lambda z, a, Y: out.activation.vjp(z, a, problem.loss.gradient(a, Y))  # noqa: E731
    mean = problem.batch_reduction == "mean"
    return _Plan(batches, [problem.X[r] for r in batches], [problem.Y[r] for r in batches],
                 [1.0 / len(r) if mean else 1.0 for r in batches], f, df, out_delta)


def _fast_step(problem: Problem, plan: _Plan, params: Params, k: int) -> np.ndarray:
    """One update that records nothing, for long runs: updates ``params`` and returns Lₙ.

    The same arithmetic, in the same order, as :func:`_step` (a test checks that
    both give identical bits), without ∂L/∂x and without building records.
    """
    W, b, vW, vb = params
    X, Y, scale = plan.X[k], plan.Y[k], plan.scale[k]
    L = len(W)
    zs, acts = [], [X]
    a = X
    for l in range(L):
        z = a @ W[l].T
        if b[l] is not None:
            z = z + b[l]
        a = plan.f[l](z)
        zs.append(z)
        acts.append(a)
    L_n = loss_terms(problem, zs[-1], a, Y).sum(axis=1)
    delta = plan.out_delta(zs[-1], a, Y)
    lr, mu, train_bias = problem.learning_rate, problem.momentum, problem.train_bias
    for l in range(L - 1, -1, -1):
        dW = scale * (delta.T @ acts[l])
        db = scale * delta.sum(axis=0) if b[l] is not None else None
        if l:
            g = delta @ W[l]
            df = plan.df[l - 1]
            delta = g * df(zs[l - 1], acts[l]) if df is not None else problem.layers[l - 1].activation.vjp(zs[l - 1], acts[l], g)
        if mu > 0:
            vW[l] = dW if vW[l] is None else mu * vW[l] + dW
            dW = vW[l]
        W[l] = W[l] + (-lr * dW)
        if db is not None and train_bias:
            if mu > 0:
                vb[l] = db if vb[l] is None else mu * vb[l] + db
                db = vb[l]
            b[l] = b[l] + (-lr * db)
    return L_n


def _epoch(problem: Problem, params: Params, plan: _Plan, epoch: int, record: bool, ask=None):
    """One epoch's updates. Returns (params, EpochRecord or None when stopped before any update, stop reason)."""
    steps = [] if record else None
    all_L = []
    stopped = None
    if not record:
        params = tuple(list(p) for p in params)  # fresh lists: the caller keeps the epoch's start
    for k, rows in enumerate(plan.batches):
        if ask is not None:
            stopped = ask(epoch == 1 and k == 0)
            if stopped:
                break
        if record:
            try:
                params, L_n, rec = _step(problem, params, rows, k + 1, epoch, record)
            except NonFiniteError as e:  # keep what this epoch computed before the failing update
                e.done = (params, steps, all_L)
                raise
            steps.append(rec)
        else:
            L_n = _fast_step(problem, plan, params, k)
        all_L.append(L_n)
    if not all_L:
        return params, None, stopped
    _, loss_after = evaluate(problem, params)
    if record and not np.isfinite(loss_after):
        e = _where_not_finite(problem, params, epoch)
        e.done = (params, steps, all_L)
        raise e
    partial = len(all_L) < len(plan.batches)
    return params, EpochRecord(epoch, steps, reduce(problem, np.concatenate(all_L)), loss_after, partial), stopped


def _where_not_finite(problem: Problem, params: Params, epoch: int) -> NonFiniteError:
    """Name the first layer whose net input or activation is not finite over all examples (or the loss)."""
    W, b, _, _ = params
    zs, acts = forward(problem.layers, W, b, problem.X)
    for i, (z, a) in enumerate(zip(zs, acts)):
        for name, arr in (("z (net input)", z), ("a (activation)", a)):
            if not np.all(np.isfinite(arr)):
                return NonFiniteError(epoch, None, i + 1, f"{name} over all examples, at the weights after the epoch")
    return NonFiniteError(epoch, None, len(problem.layers), "the loss after the epoch (all examples, at the new weights)")


def _partial_trace(problem: Problem, epochs: list[EpochRecord], start: Params, epoch: int, error: NonFiniteError,
                   record: bool) -> Trace:
    """What was computed before a non-finite value: the whole epochs, then the failing epoch's finished updates.

    Its next_problem holds the last finite weights (before the failing update).
    """
    params, steps, all_L = getattr(error, "done", (start, [], []))
    epochs = list(epochs)
    if all_L:
        epochs.append(EpochRecord(epoch, steps if record else None, reduce(problem, np.concatenate(all_L)), None, True))
    return _trace(problem, epochs, params, stopped=str(error))


SATURATED = 1e-12
"""Below this, an activation's derivative or a layer's largest gradient counts as vanished."""


def diagnose(problem: Problem, step: StepRecord, where: str) -> list[str]:
    """Warnings a student needs: saturated sigmoid/tanh units, and layers whose gradient has vanished.

    A unit is saturated when f′(z) < 1e-12 for every example of the update:
    its weights then barely move. A layer's gradient has vanished when its
    largest |∂L/∂w| is below 1e-12 while the loss is not (nearly) zero.
    """
    notes = []
    for rec in step.backward:
        layer = problem.layers[rec.layer - 1]
        if layer.activation.smooth_saturating and rec.da_dz is not None:
            for j in np.flatnonzero(np.all(rec.da_dz < SATURATED, axis=0)):
                z = step.forward[rec.layer - 1].z[:, j]
                notes.append(f"{where}: unit {j + 1} of layer {rec.layer} ({layer.name}) is saturated: "
                             f"{layer.activation.name}′(z) < {SATURATED:g} (z = {z[0]:.4g}), so its gradients vanish; "
                             "smaller weights or inputs keep it learning")
        if step.loss > 1e-6 and np.max(np.abs(rec.dL_dW)) < SATURATED:
            notes.append(f"{where}: the gradient of layer {rec.layer} ({layer.name}) has vanished "
                         f"(largest |∂L/∂w| = {np.max(np.abs(rec.dL_dW)):.3g}) while the loss is {step.loss:.4g}")
    return notes


def _trace(problem: Problem, epochs: list[EpochRecord], params: Params, stopped: str | None = None) -> Trace:
    W, b, vW, vb = params
    momentum = problem.momentum > 0
    nxt = problem.with_parameters(W, b, vW if momentum else None, vb if momentum else None)
    notes: list[str] = []
    if epochs and epochs[0].steps:
        first = epochs[0].steps[0]
        notes = diagnose(problem, first, "epoch 1, update 1")
    elif stopped is None:  # the fast path: look at the first update from the starting weights
        try:
            with np.errstate(all="ignore"):
                _, _, first = _step(problem, initial_params(problem), problem.batches()[0], 1, 1, True)
            notes = diagnose(problem, first, "epoch 1, update 1")
        except NonFiniteError:
            pass
    return Trace(problem, epochs, nxt, warnings=tuple(dict.fromkeys(notes))[:8], stopped=stopped)
