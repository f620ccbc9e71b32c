"""The fast path of long runs: the same arithmetic as engine._step, in the same order, recording nothing.

A test checks that both give identical bits. Everything an update needs is
worked out once per run (:class:`Plan`), and every trainable array lives in
one flat vector (:class:`Flat`): the gradients of an update are written into
one flat buffer, and the optimizer takes one step over the whole vector
instead of one per array. Its rules are elementwise, so the numbers are the
same as the recorded path's step per array; only the count of NumPy calls
changes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from .engine import Params, batch_scale, dropout_masks, evaluate, loss_terms, reduce
from .losses import SHORTCUTS
from .problem import Problem, penalty
from .trace import EpochRecord


class Plan:
    """What every update of a run needs, worked out once: the batches and each layer's functions."""

    def __init__(self, problem: Problem):
        self.batches = batches = problem.batches()  # row indices of each update
        self.X = [problem.X[r] for r in batches]  # their inputs and targets, sliced once
        self.Y = [problem.Y[r] for r in batches]
        self.scale = [batch_scale(problem, len(r)) for r in batches]  # r = 1/N (mean) or 1 (sum)
        layers = problem.layers
        self.f = [_bound(l.activation.function, l.activation_params) for l in layers]  # f_l(z)
        self.df = [  # f_l′(z, a), or None (softmax)
            _bound(l.activation.derivative, l.activation_params) if l.activation.elementwise else None for l in layers
        ]
        self.penalized = bool(problem.l2 or problem.l1)
        self.bias = [(l.bias_sign, l.bias_form == "shared") for l in layers]  # how each layer's ∂L/∂b is summed
        self.out_delta = _output_delta(problem, self.df[-1])  # (z_L, a_L, Y) -> δ_L
        self.hp = problem.hp  # the optimizer's hyperparameters
        self.flat: Flat | None = None  # the trainable arrays between epochs (fast_epoch)


def _bound(function: Callable, params: dict) -> Callable:
    """``function`` with the activation's parameters bound (itself when it has none: a call less per use)."""
    return partial(function, **params) if params else function


def _output_delta(problem: Problem, df_out: Callable | None) -> Callable:
    """δ_L as a function of (z_L, a_L, Y): the pair's closed form, ∂L/∂a ⊙ f′(z), or f's vector-Jacobian product."""
    out, loss = problem.layers[-1], problem.loss
    pair = SHORTCUTS.get((out.activation.name, loss.name))
    if pair is not None:
        return lambda z, a, Y: pair.delta(a, Y)
    if df_out is not None:
        return lambda z, a, Y: loss.gradient(a, Y) * df_out(z, a)
    return lambda z, a, Y: out.activation.vjp(z, a, loss.gradient(a, Y))


class Slot(NamedTuple):
    """Where one trainable array lives in the flat vector."""

    layer: int
    kind: str  # "W" or "b"
    start: int
    stop: int
    shape: tuple[int, ...]


class Group(NamedTuple):
    """Slots that take one optimizer step together, and their state (the buffers flat, like the weights)."""

    part: slice
    slots: list[Slot]
    state: dict


class Flat:
    """Every trainable array of a run in one flat vector ``w``; ``W``/``b`` are views of it (updated in place).

    The optimizer's state is kept per :class:`Group`: one group for all the
    arrays when their states agree (the same buffers and step count, which is
    always so after the first update), else one group per array.
    :meth:`params` gives a snapshot that later updates leave alone.
    """

    def __init__(self, problem: Problem, params: Params):
        self.source = params
        self.W, self.b = list(params.W), list(params.b)
        self.slots, arrays, n = [], [], 0
        for l in range(len(self.W)):
            for kind, arr in (("W", self.W[l]), ("b", self.b[l] if problem.train_bias else None)):
                if arr is not None:
                    self.slots.append(Slot(l, kind, n, n + arr.size, arr.shape))
                    arrays.append(arr.ravel())
                    n += arr.size
        self.w = np.concatenate(arrays) if arrays else np.zeros(0)
        self.g = np.empty_like(self.w)  # ∂L/∂w of the update in progress (a step never keeps it: optimizers.py)
        self.g_W, self.g_b = [None] * len(self.W), [None] * len(self.W)
        for s in self.slots:
            (self.W if s.kind == "W" else self.b)[s.layer] = self.w[s.start : s.stop].reshape(s.shape)
            (self.g_W if s.kind == "W" else self.g_b)[s.layer] = self.g[s.start : s.stop].reshape(s.shape)
        self.groups = _groups(self.slots, [self._state_of(params, s) for s in self.slots])

    @staticmethod
    def _state_of(params: Params, s: Slot) -> dict:
        return (params.state_W if s.kind == "W" else params.state_b)[s.layer]

    def step(self, opt: Callable, lr: float, hp: dict) -> None:
        """One optimizer step of every trainable array, from the gradients in ``g``."""
        for group in self.groups:
            self.w[group.part] = opt(self.w[group.part], self.g[group.part], group.state, lr, hp)

    def params(self) -> Params:
        """The arrays and each one's optimizer state now, as :class:`Params` (a copy: later steps leave it alone)."""
        w = self.w.copy()
        W, b = list(self.source.W), list(self.source.b)
        state_W, state_b = [dict(s) for s in self.source.state_W], [dict(s) for s in self.source.state_b]
        for group in self.groups:
            for s in group.slots:
                part = slice(s.start - group.part.start, s.stop - group.part.start)
                state = {k: v[part].reshape(s.shape) if _is_buffer(k, v) else v for k, v in group.state.items()}
                if s.kind == "W":
                    W[s.layer], state_W[s.layer] = w[s.start : s.stop].reshape(s.shape), state
                else:
                    b[s.layer], state_b[s.layer] = w[s.start : s.stop].reshape(s.shape), state
        return Params(W, b, state_W, state_b)


def _groups(slots: list[Slot], states: list[dict]) -> list[Group]:
    """One group for all slots when their states can be joined (the same buffers and step count), else one per
    slot. Buffers are made flat like the weights."""

    def flat(state: dict, s: Slot) -> dict:
        return {k: v.ravel() if _is_buffer(k, v) and v.size == s.stop - s.start else v for k, v in state.items()}

    each = [flat(state, s) for state, s in zip(states, slots, strict=True)]
    first = each[0] if each else {}
    joinable = all(
        e.keys() == first.keys()
        and e.get("step") == first.get("step")
        and all(k == "step" or (_is_buffer(k, v) and v.ndim == 1) for k, v in e.items())
        for e in each
    )
    if slots and joinable:
        state = {k: v if k == "step" else np.concatenate([e[k] for e in each]) for k, v in first.items()}
        return [Group(slice(slots[0].start, slots[-1].stop), slots, state)]
    return [Group(slice(s.start, s.stop), [s], e) for s, e in zip(slots, each, strict=True)]


def _is_buffer(key: str, value) -> bool:
    return key != "step" and isinstance(value, np.ndarray)


def fast_step(problem: Problem, plan: Plan, flat: Flat, k: int, masks) -> np.ndarray:
    """One update that records nothing: steps ``flat`` in place and returns Lₙ."""
    W, b = flat.W, flat.b
    layers = problem.layers
    X, Y, scale = plan.X[k], plan.Y[k], plan.scale[k]
    L = len(W)
    zs, fs, acts = [], [], [X]
    a = X
    for l in range(L):
        z = a @ W[l].T
        if b[l] is not None:
            z = z - b[l] if layers[l].bias_sign < 0 else z + b[l]
        a = f = plan.f[l](z)
        if masks is not None and masks[l] is not None:
            a = f * (masks[l] / (1.0 - layers[l].dropout))
        zs.append(z)
        fs.append(f)
        acts.append(a)
    L_n = loss_terms(problem, zs[-1], a, Y).sum(axis=1)
    delta = plan.out_delta(zs[-1], a, Y)
    for l in range(L - 1, -1, -1):
        _gradients(problem, plan, flat, l, delta, acts[l], scale)
        if l:
            g = delta @ W[l]
            df = plan.df[l - 1]
            if df is None:
                delta = layers[l - 1].activation.vjp(zs[l - 1], fs[l - 1], g)
            else:
                da_dz = df(zs[l - 1], fs[l - 1])
                if masks is not None and masks[l - 1] is not None:
                    da_dz = da_dz * (masks[l - 1] / (1.0 - layers[l - 1].dropout))
                delta = g * da_dz
    flat.step(problem.optimizer.step, problem.learning_rate, plan.hp)
    return L_n


def _gradients(
    problem: Problem, plan: Plan, flat: Flat, l: int, delta: np.ndarray, a_in: np.ndarray, scale: float
) -> None:
    """∂L/∂W_l and ∂L/∂b_l into the flat gradient: propagation.weight_gradients, written in place."""
    dL_dW = flat.g_W[l]
    np.matmul(delta.T, a_in, out=dL_dW)
    dL_dW *= scale
    if plan.penalized:
        dL_dW += problem.l2 * flat.W[l] + problem.l1 * np.sign(flat.W[l])
    dL_db = flat.g_b[l]
    if dL_db is not None:
        sign, shared = plan.bias[l]
        if dL_db.size == 1 and shared:
            dL_db[0] = ((scale * sign) * np.add.reduce(delta, axis=0)).sum()
        else:
            np.add.reduce(delta, axis=0, out=dL_db)  # = delta.sum(axis=0), without the Python wrapper
            dL_db *= scale * sign


def fast_epoch(problem: Problem, plan: Plan, params: Params, epoch: int, ask, loss_start: float):
    """One epoch's updates on the fast path. Returns (params, EpochRecord or None, stop reason)."""
    flat = plan.flat if plan.flat is not None and plan.flat.source is params else Flat(problem, params)
    all_L, penalties = [], []
    stopped = None
    dropout = any(layer.dropout for layer in problem.layers)
    for k, rows in enumerate(plan.batches):
        if ask is not None:
            stopped = ask(epoch == problem.epochs_done + 1 and k == 0)
            if stopped:
                break
        if problem.l1 or problem.l2:
            penalties.append(penalty(problem, flat.W))
        masks = dropout_masks(problem, rows, epoch, k + 1) if dropout else None
        all_L.append(fast_step(problem, plan, flat, k, masks))
    params = flat.params()
    flat.source = params
    plan.flat = flat
    if not all_L:
        return params, None, stopped
    _, loss_after = evaluate(problem, params)
    loss = reduce(problem, np.concatenate(all_L)) + (float(np.mean(penalties)) if penalties else 0.0)
    partial_epoch = len(all_L) < len(plan.batches)
    return params, EpochRecord(epoch, None, loss, loss_after, partial_epoch, loss_start), stopped
