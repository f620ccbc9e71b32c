"""The fast path of long runs: the same arithmetic as engine._step, in the same order, recording nothing.

A test checks that both give identical bits. Everything an update needs is
worked out once per run (:class:`Plan`); an update is then NumPy calls only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple

import numpy as np

from .engine import Params, batch_scale, dropout_masks, evaluate, loss_terms, reduce, weight_gradients
from .losses import SHORTCUTS
from .problem import Problem, penalty
from .trace import EpochRecord


class Plan(NamedTuple):
    """What every update of a run needs, worked out once: the batches and each layer's functions."""

    batches: list[np.ndarray]  # row indices of each update
    X: list[np.ndarray]  # their inputs and targets, sliced once
    Y: list[np.ndarray]
    scale: list[float]  # r = 1/N (mean) or 1 (sum) of each update
    f: list[Callable]  # f_l(z), parameters bound
    df: list[Callable | None]  # f_l′(z, a), or None (softmax)
    out_delta: Callable  # (z_L, a_L, Y) -> δ_L
    hp: dict  # the optimizer's hyperparameters

    @classmethod
    def of(cls, problem: Problem) -> Plan:
        batches = problem.batches()
        layers = problem.layers
        f = [partial(l.activation.function, **l.activation_params) for l in layers]
        df = [
            partial(l.activation.derivative, **l.activation_params) if l.activation.elementwise else None
            for l in layers
        ]
        out, loss = layers[-1], problem.loss
        pair = SHORTCUTS.get((out.activation.name, loss.name))
        if pair is not None:

            def out_delta(z, a, Y):
                return pair.delta(a, Y)
        elif df[-1] is not None:

            def out_delta(z, a, Y):
                return loss.gradient(a, Y) * df[-1](z, a)
        else:

            def out_delta(z, a, Y):
                return out.activation.vjp(z, a, loss.gradient(a, Y))

        return cls(
            batches,
            [problem.X[r] for r in batches],
            [problem.Y[r] for r in batches],
            [batch_scale(problem, len(r)) for r in batches],
            f,
            df,
            out_delta,
            problem.hp,
        )


def fast_step(problem: Problem, plan: Plan, params: Params, k: int, masks) -> np.ndarray:
    """One update that records nothing: updates ``params`` in place and returns Lₙ."""
    W, b = params.W, params.b
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
    opt, hp, lr, train_bias = problem.optimizer.step, plan.hp, problem.learning_rate, problem.train_bias
    for l in range(L - 1, -1, -1):
        dW, _, db = weight_gradients(problem, layers[l], delta, acts[l], W[l], scale)
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
        W[l] = opt(W[l], dW, params.state_W[l], lr, hp)
        if db is not None and train_bias:
            b[l] = opt(b[l], db, params.state_b[l], lr, hp)
    return L_n


def fast_epoch(problem: Problem, plan: Plan, params: Params, epoch: int, ask, loss_start: float):
    """One epoch's updates on the fast path. Returns (params, EpochRecord or None, stop reason)."""
    params = params.copy()  # the caller keeps the epoch's start
    all_L, penalties = [], []
    stopped = None
    dropout = any(layer.dropout for layer in problem.layers)
    for k, rows in enumerate(plan.batches):
        if ask is not None:
            stopped = ask(epoch == problem.epochs_done + 1 and k == 0)
            if stopped:
                break
        if problem.l1 or problem.l2:
            penalties.append(penalty(problem, params.W))
        masks = dropout_masks(problem, rows, epoch, k + 1) if dropout else None
        all_L.append(fast_step(problem, plan, params, k, masks))
    if not all_L:
        return params, None, stopped
    _, loss_after = evaluate(problem, params)
    loss = reduce(problem, np.concatenate(all_L)) + (float(np.mean(penalties)) if penalties else 0.0)
    partial_epoch = len(all_L) < len(plan.batches)
    return params, EpochRecord(epoch, None, loss, loss_after, partial_epoch, loss_start), stopped
