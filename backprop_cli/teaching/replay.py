"""Error carried forward: the run recomputed from the student's own values, or with one usual mistake made throughout.

A :class:`Replay` walks the updates the way a student works them by hand:
each quantity is computed from the values before it, then replaced by the
student's own answer where there is one (``overrides``). The value computed
just before that replacement is what the answer *should* be, given the
student's earlier answers: an answer that matches it carries an earlier slip
forward correctly (CARRIED). With a ``twist`` (kind, layer, mistake), that
quantity is computed wrongly at every update, so every value downstream shows
what the mistake leads to.

Without overrides or twist the replay repeats the engine's arithmetic with the
engine's functions, so it gives the trace's numbers (a test holds it to that).
The truth the grader compares with is always the trace itself (``truth``).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np

from .. import engine
from ..problem import Problem, penalty
from ..trace import Trace
from . import steplines
from .answer_names import intermediate
from .mistakes import KINDS, Point

Key = tuple[int, int, str, int]  # (epoch, update, kind, layer), all 0-based
Values = dict[Key, np.ndarray]


class Twist(NamedTuple):
    """A mistake made at (kind, layer) at every update, or ``only`` at one (epoch, update)."""

    kind: str
    layer: int
    mistake: str
    only: tuple[int, int] | None = None

    def at(self, key: Key) -> bool:
        return key[2] == self.kind and key[3] == self.layer and (self.only is None or key[:2] == self.only)


def truth(trace: Trace) -> Values:
    """Every recorded value of the trace, under the replay's keys."""
    out: Values = {}
    for e, epoch in enumerate(trace.epochs):
        out[(e, 0, "epoch_loss", 0)] = np.array(epoch.loss)
        if epoch.loss_after is not None:
            out[(e, 0, "loss_after", 0)] = np.array(epoch.loss_after)
        for s, st in enumerate(epoch.steps or []):
            last = len(st.forward) - 1
            out.update(
                {
                    (e, s, "term", last): st.loss_terms,
                    (e, s, "L_n", 0): st.losses,
                    (e, s, "L", 0): np.array(st.loss),
                    (e, s, "dL_dx", 0): st.dL_dx,
                }
            )
            for l, (fwd, upd) in enumerate(zip(st.forward, st.update, strict=False)):
                out.update(
                    {
                        (e, s, "z", l): fwd.z,
                        (e, s, "a", l): fwd.a,
                        (e, s, "W_before", l): upd.W_before,
                        (e, s, "W_change", l): upd.W_change,
                        (e, s, "W", l): upd.W,
                    }
                )
                out.update(_intermediates(e, s, l, upd.shown_W, upd.shown_b))
                if upd.b is not None:
                    out.update(
                        {
                            (e, s, "b_before", l): upd.b_before,
                            (e, s, "b_change", l): upd.b_change,
                            (e, s, "b", l): upd.b,
                        }
                    )
            for rec in st.backward:
                l = rec.layer - 1
                out.update(
                    {(e, s, "dL_da", l): rec.dL_da, (e, s, "delta", l): rec.delta, (e, s, "dL_dW", l): rec.dL_dW}
                )
                if rec.da_dz is not None:
                    out[(e, s, "da_dz", l)] = rec.da_dz
                if rec.dL_db is not None:
                    out[(e, s, "dL_db", l)] = rec.dL_db
    return out


def _intermediates(e: int, s: int, l: int, shown_W: dict | None, shown_b: dict | None) -> Values:
    """The step's intermediates that are kinds (mistakes.py), under the replay's keys."""
    out: Values = {}
    for is_w, shown in ((True, shown_W), (False, shown_b)):
        for key, value in (shown or {}).items():
            if intermediate(is_w, key) in KINDS and key != "change":
                out[(e, s, intermediate(is_w, key), l)] = value
    return out


def initial_state(problem: Problem) -> tuple[list, list]:
    """The optimizer state each layer starts from (PyTorch's buffers, as next_problem carries them)."""
    return [dict(l.state_W or {}) for l in problem.layers], [dict(l.state_b or {}) for l in problem.layers]


def optimizer_step(problem: Problem, param, grad, state: dict, trainable: bool = True, shown: dict | None = None):
    """(Δ, new state, the value after) of one step of the problem's optimizer (optimizers.py), as the engine takes it.

    ``shown``, when given, receives the step's intermediates (nothing for a frozen parameter). The value after is
    the optimizer's own (Adam's w − (η/(1 − β₁ᵗ))·m/d is not bit for bit w + Δ)."""
    if not trainable:
        return np.zeros_like(param), state, param
    state, shown = dict(state or {}), ({} if shown is None else shown)
    after = problem.optimizer.step(param, grad, state, problem.learning_rate, problem.hp, shown)
    return shown["change"], state, after


class Replay:
    """One recomputation of the updates up to ``last`` = (epoch, update), with overrides and at most one twist."""

    def __init__(
        self,
        problem: Problem,
        overrides: dict[Key, list[tuple[tuple, float]]] | None = None,
        twist: Twist | None = None,
    ):
        self.p, self.overrides, self.twist = problem, overrides or {}, twist
        self.values: Values = {}
        self.applied = False  # the twist changed something

    def put(self, key: Key, computed, c: Point):
        """Record the value computed at ``key`` (twisted if the twist is here), and return the value used onward."""
        t = self.twist
        if t is not None and t.at(key):
            c.value = computed
            wrong = dict(KINDS[t.kind].mistakes(c)).get(t.mistake)
            if wrong is not None:
                computed = np.broadcast_to(np.asarray(wrong, dtype=float), np.shape(computed))
                self.applied = True
        self.values[key] = computed
        edits = self.overrides.get(key)
        if not edits:
            return computed
        used = np.array(computed, dtype=float)
        for index, value in edits:
            used[index] = value
        return used

    def run(self, last: tuple[int, int]) -> Values:
        p = self.p
        W, b = [l.W for l in p.layers], [l.b for l in p.layers]
        sW, sb = initial_state(p)
        batches = p.batches()
        with np.errstate(all="ignore"):
            for e in range(last[0] + 1):
                losses, penalties = [], []
                for s, rows in enumerate(batches):
                    if (e, s) > last:
                        return self.values
                    W, b, sW, sb, L_n, pen = self.step(e, s, rows, W, b, sW, sb)
                    losses.append(L_n)
                    penalties.append(pen)
                anchor = Point(p, len(p.layers) - 1, 1.0, p.n_examples)
                # as the engine: the epoch's Lₙ reduced, plus the mean of the updates' penalties
                epoch_loss = engine.reduce(p, np.concatenate(losses)) + float(np.mean(penalties))
                self.put((e, 0, "epoch_loss", 0), np.array(epoch_loss), anchor)
                anchor.evaluated = self._with_dropout(e, W, b)
                zs, acts = engine.forward(p.layers, W, b, p.X)
                after = engine.reduce(p, engine.losses(p, zs[-1], acts[-1], p.Y)) + self._penalty(W)[0]
                self.put((e, 0, "loss_after", 0), np.array(after), anchor)
        return self.values

    def _with_dropout(self, e: int, W, b) -> tuple | None:
        """The loss at W, b with the epoch's dropout masks kept, and with only their scaling 1/(1 − p) kept."""
        p = self.p
        per_update = [engine.dropout_masks(p, rows, p.epochs_done + e + 1, s + 1) for s, rows in enumerate(p.batches())]
        if per_update[0] is None:
            return None
        masks = [None if m[0] is None else np.concatenate(m) for m in zip(*per_update, strict=True)]
        ones = [None if m is None else np.ones_like(m) for m in masks]
        out = []
        for kept in (masks, ones):
            zs, acts = engine.forward(p.layers, W, b, p.X, kept)
            out.append(np.array(engine.reduce(p, engine.losses(p, zs[-1], acts[-1], p.Y))) + self._penalty(W)[0])
        return tuple(out)

    def _penalty(self, W) -> tuple[float, float]:
        """The weight penalty at W, and its (λ₂/2)·Σw² part."""
        if not (self.p.l1 or self.p.l2):
            return 0.0, 0.0
        return penalty(self.p, W), 0.5 * self.p.l2 * sum(float(np.sum(w * w)) for w in W)

    def step(self, e: int, s: int, rows, W, b, sW, sb):
        """One update, worked the student's way. Returns the weights, biases and states after it, Lₙ and the penalty."""
        p, layers = self.p, self.p.layers
        X, Y = p.X[rows], p.Y[rows]
        scale = 1.0 / len(rows) if p.batch_reduction == "mean" else 1.0
        pts = [Point(p, l, scale, len(rows)) for l in range(len(layers))]
        put = lambda kind, l, value: self.put((e, s, kind, l), value, pts[l])  # noqa: E731
        a_in = X
        masks = engine.dropout_masks(p, rows, p.epochs_done + e + 1, s + 1) or [None] * len(layers)
        for l, (layer, c) in enumerate(zip(layers, pts, strict=False)):
            c.a_in, c.state_W, c.state_b, c.mask = a_in, sW[l], sb[l], masks[l]
            c.W = put("W_before", l, W[l])
            c.b = put("b_before", l, b[l]) if b[l] is not None else None
            c.z = put("z", l, engine.net_input(layer, a_in, c.W, c.b))
            c.f = layer.activation(c.z, layer.activation_params)
            a = c.f * (c.mask / (1.0 - layer.dropout)) if c.mask is not None else c.f
            c.a = a_in = put("a", l, a)
            c.z_below = pts[l - 1].z if l else None
        out = pts[-1]
        L = len(layers) - 1
        terms = engine.loss_terms(p, out.z, out.a, Y)
        if self._touched(e, s, "a", L):  # the student's own outputs: their loss, from them
            terms = p.loss.terms(out.a, Y)
        out.terms = put("term", L, terms)
        out.losses = self.put((e, s, "L_n", 0), out.terms.sum(axis=1), out)
        out.penalty, out.half_l2 = self._penalty([c.W for c in pts])
        out.loss = self.put((e, s, "L", 0), np.array(engine.reduce(p, out.losses) + out.penalty), out)
        self._backward(e, s, pts, put, Y)
        first = pts[0]
        self.put((e, s, "dL_dx", 0), scale * (first.delta @ first.W), first)
        return self._update(e, s, pts, put, sW, sb) + (out.losses, out.penalty)

    def _touched(self, e: int, s: int, kind: str, l: int) -> bool:
        """True when the value used here is not what the engine would compute (an answer, or the twist)."""
        t = self.twist
        return bool(self.overrides.get((e, s, kind, l))) or (t is not None and self.applied and t.at((e, s, kind, l)))

    def _backward(self, e: int, s: int, pts: list[Point], put, Y) -> None:
        p, layers = self.p, self.p.layers
        L = len(layers) - 1
        out = pts[L]
        dL_da, da_dz, delta, shortcut = engine.output_delta(p, out.z, out.a, Y)
        sign = -1.0 if p.conventions.get("delta") == "error_signal" else 1.0
        out.dL_da = put("dL_da", L, dL_da)
        out.da_dz = put("da_dz", L, da_dz) if da_dz is not None else None
        for l in range(L, -1, -1):
            c, act = pts[l], layers[l].activation
            if l < L:
                c.above = pts[l + 1]
                c.dL_da = put("dL_da", l, c.above.delta @ c.above.W)
                da_dz = engine.local_slope(layers[l], c.z, c.f, c.mask)
                c.da_dz = put("da_dz", l, da_dz) if da_dz is not None else None
                shortcut = False
            changed = self._touched(e, s, "dL_da", l) or self._touched(e, s, "da_dz", l)
            if not (shortcut and not changed):
                delta = (
                    c.dL_da * c.da_dz
                    if c.da_dz is not None
                    else act.backward(c.z, c.f, c.dL_da, layers[l].activation_params)
                )
            # δ as the trace writes it: ∂Lₙ/∂z, or its negative under conventions: {delta: error_signal}
            c.delta = sign * put("delta", l, sign * delta)
            dL_dW, _, dL_db = engine.weight_gradients(p, layers[l], c.delta, c.a_in, c.W, c.scale)
            c.g = put("dL_dW", l, dL_dW)
            if c.b is not None:
                c.gb = put("dL_db", l, dL_db)

    def _update(self, e: int, s: int, pts: list[Point], put, sW, sb):
        p = self.p
        W, b, sW, sb = [], [], list(sW), list(sb)
        for l, c in enumerate(pts):
            c.shown_W = {}
            change, sW[l], after = optimizer_step(p, c.W, c.g, c.state_W, shown=c.shown_W)
            change, after = self._walk(e, s, l, put, True, (c.W, c.g, c.state_W, sW[l]), c.shown_W, change, after)
            used = put("W_change", l, change)
            W.append(put("W", l, after if used is change else c.W + used))
            self._carry_twist(e, s, True, c, sW[l])
            if c.b is None:
                b.append(None)
                continue
            c.shown_b = {} if p.train_bias else None
            change, sb[l], after = optimizer_step(p, c.b, c.gb, c.state_b, p.train_bias, shown=c.shown_b)
            change, after = self._walk(e, s, l, put, False, (c.b, c.gb, c.state_b, sb[l]), c.shown_b, change, after)
            used = put("b_change", l, change)
            b.append(put("b", l, after if used is change else c.b + used))
            self._carry_twist(e, s, False, c, sb[l])
        return W, b, sW, sb

    def _walk(self, e: int, s: int, l: int, put, is_w: bool, step: tuple, shown: dict | None, change, after):
        """Record the step's intermediates in the derivation's order, each replaced by the student's answer where
        there is one; a line that uses a value the student wrote differently is worked again from their values
        (steplines.py), and so is everything after it. Returns the change and the value after, so recomputed.

        ``step`` is (the parameter, ∂L/∂it, the state before, the state after); the state after is left
        holding the student's buffers (m, v, …), which the next step starts from. ``shown`` is left holding
        the values as the student has them, for the mistakes of the rule (mistakes.rule)."""
        if not shown:
            return change, after
        param, grad, before, state = step
        given: dict | None = None  # η, the hyperparameters, w, g, t and the buffers before: when first needed
        theirs: set[str] = set()  # the values that are the student's own, or follow from them
        recorded: set[str] = set()
        for line in steplines.lines(self.p, before):
            key, value = line.result, shown.get(line.result)
            if theirs & steplines.uses(line):
                given = given or steplines.inputs(self.p, param, grad, before, state)
                if (worked := steplines.evaluate(line, {**given, **shown})) is not None:
                    value = np.array(np.broadcast_to(worked, np.shape(param)), dtype=float)
                    theirs.add(key)
            kind = intermediate(is_w, key)
            if value is None or key in recorded:
                continue
            if key != "change" and kind in KINDS:
                value = put(kind, l, value)
                recorded.add(key)
                if self.overrides.get((e, s, kind, l)):
                    theirs.add(key)
            shown[key] = value
        for key, value in shown.items():  # the values no line shows here (Adam's v_max without amsgrad)
            if key not in recorded and key != "change" and intermediate(is_w, key) in KINDS:
                shown[key] = put(intermediate(is_w, key), l, value)
        for key in state:
            if key in shown:
                state[key] = shown[key]
        if "change" in theirs:
            return shown["change"], param + shown["change"]
        return change, after

    def _carry_twist(self, e: int, s: int, is_w: bool, c: Point, state: dict) -> None:
        """A mistake of the rule made here leaves its wrong buffers to the next step (β₁, β₂ swapped: m and v)."""
        t, kind = self.twist, "W" if is_w else "b"
        if t is None or not (t.at((e, s, f"{kind}_change", c.l)) or t.at((e, s, kind, c.l))):
            return
        reached = c.reached.get((kind, t.mistake), {})
        for key in state:
            if key != "step" and key in reached:
                state[key] = reached[key]


def hypotheses(problem: Problem) -> list[Twist]:
    """Every (kind, layer, mistake) a replay can make throughout, in the order a derivation meets them."""
    seen: dict[tuple[str, int], Point] = {}

    class Probe(Replay):  # the Point of every (kind, layer) of the first update and epoch
        def put(self, key, computed, c):
            if key[:2] == (0, 0) and key[2:] not in seen:
                snapshot = copy.copy(c)
                snapshot.value = computed
                seen[key[2:]] = snapshot
            return super().put(key, computed, c)

    Probe(problem).run((0, len(problem.batches()) - 1))
    out = []
    for (kind, l), c in seen.items():
        names = [what for what, _ in KINDS[kind].mistakes(c)]
        if _of_the_rule(kind) and (c.shown_W if kind.startswith("W") else c.shown_b) is not None:
            # a mistake of the rule may first show at a later step (dampening, the step counter; β's swapped in m̂)
            names += [m.name for m in problem.optimizer.mistakes]
        out += [Twist(kind, l, what) for what in dict.fromkeys(names)]
    return out


def _of_the_rule(kind: str) -> bool:
    """Whether the optimizer's rule computes this kind (the change, the value after, an intermediate)."""
    return kind in ("W_change", "W", "b_change", "b") or "." in kind
