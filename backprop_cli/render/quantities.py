"""Every named quantity of a trace as a row: for a DataFrame, a spreadsheet, or ``--format csv``.

A row is one number the worked page names, with where it belongs and how it is
written:

    epoch, update, example   where it sits in the run (example: 1-based, empty for a whole update's quantity)
    layer, unit              1-based layer, and the unit's name as printed (h1, o2), where it has one
    kind                     what it is: net, out, loss_term, loss_example, loss, dL_dout, dout_dnet, delta,
                             dL_dw, dL_db, dL_dx, weight, bias, delta_w, delta_b, weight_after, bias_after,
                             velocity_w, velocity_b, epoch_loss, epoch_loss_after
    name, symbol             the name as the page prints it (net_h1, ∂L/∂w5) and as LaTeX
    value                    the float64 value from the trace, never rounded
    exact                    an exact run's (--exact) value, the Fraction itself (CSV: "3/10"); only in such a run
    formula                  how the page writes it in names (w1·x1 + w2·x2 + b1)

The names come from the page's symbols (render/symbols.py); the values
only from the trace (nothing is recomputed here). A run without recorded steps
(``step`` without --trace) has one row per epoch instead: :data:`EPOCH_COLUMNS`
(with ``loss_exact`` and ``loss_after_exact`` in an exact run).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..exact import is_fraction
from ..trace import StepRecord, Trace
from .mathtext import DOT, M, fill, join, superscript
from .symbols import Delta, Symbols, partial, plus

COLUMNS = ("epoch", "update", "example", "layer", "unit", "kind", "name", "symbol", "value", "formula")
EPOCH_COLUMNS = ("epoch", "loss", "loss_after")


def rows(trace: Trace) -> list[dict]:
    """The quantities of ``trace``, in the page's order: one dict per row (keys :data:`COLUMNS`), or one per epoch
    (keys :data:`EPOCH_COLUMNS`) when the run recorded no steps."""
    if trace.epochs and trace.epochs[0].steps is None:
        return [_epoch_row(e, _exact(trace)) for e in trace.epochs]
    return list(_Rows(trace).all())


def columns(trace: Trace) -> tuple[str, ...]:
    if trace.epochs and trace.epochs[0].steps is None:
        return EPOCH_COLUMNS + (("loss_exact", "loss_after_exact") if _exact(trace) else ())
    return COLUMNS + (("exact",) if _exact(trace) else ())


def _exact(trace: Trace) -> bool:
    """Whether the run was exact (--exact): its losses are Fractions."""
    return any(is_fraction(e.loss) for e in trace.epochs)


def _epoch_row(e, exact: bool) -> dict:
    row = {"epoch": e.epoch, "loss": _float(e.loss), "loss_after": _float(e.loss_after)}
    if exact:
        row["loss_exact"], row["loss_after_exact"] = e.loss, e.loss_after
    return row


def _float(v):
    return None if v is None else float(v)


class _Rows:
    def __init__(self, trace: Trace):
        self.trace, self.p = trace, trace.problem
        self.nm = Symbols(trace.problem)
        self.where: dict = {}
        self.exact = _exact(trace)

    def row(self, kind: str, m: M, value, formula: M | str = "", example=None, layer=None, unit: str = "") -> dict:
        f = formula.u if isinstance(formula, M) else formula
        row = {
            **self.where,
            "example": example,
            "layer": layer,
            "unit": unit,
            "kind": kind,
            "name": m.u,
            "symbol": m.t,
            "value": float(value),
            "formula": f,
        }
        if self.exact:
            row["exact"] = value
        return row

    def all(self) -> Iterator[dict]:
        for epoch in self.trace.epochs:
            for step in epoch.steps or []:
                self.where = {"epoch": epoch.epoch, "update": step.number}
                yield from self.forward(step)
                yield from self.loss(step)
                yield from self.backward(step)
                yield from self.updates(step)
            self.where = {"epoch": epoch.epoch, "update": None}
            yield self.row("epoch_loss", M("L", "L"), epoch.loss, "the epoch's loss, each example before its update")
            if epoch.loss_after is not None:
                yield self.row(
                    "epoch_loss_after", M("L", "L"), epoch.loss_after, "the loss at the weights after the epoch"
                )

    def forward(self, step: StepRecord) -> Iterator[dict]:
        nm, p = self.nm, self.p
        for fwd in step.forward:
            li = fwd.layer - 1
            layer = p.layers[li]
            for n, row in enumerate(step.examples):
                for j in range(layer.units):
                    terms = [nm.w(li, j, i) + DOT + nm.input_of(li, i) for i in range(layer.n_in)]
                    terms += [nm.b(li, j)] if layer.b is not None else []
                    unit = nm.units[li][j]
                    yield self.row("net", nm.net(li, j), fwd.z[n, j], join(terms), row + 1, li + 1, unit)
                    out = M(f"{layer.activation.name}({nm.net(li, j).u})", "")
                    yield self.row("out", nm.out(li, j), fwd.a[n, j], out, row + 1, li + 1, unit)

    def loss(self, step: StepRecord) -> Iterator[dict]:
        nm, p = self.nm, self.p
        L = len(p.layers) - 1
        K = p.Y.shape[1]
        many = len(step.examples) > 1
        for n, row in enumerate(step.examples):
            for k in range(K):
                names = dict(a=nm.out(L, k), y=nm.y(k), py=nm.y(k), K=M(str(K), str(K)))
                yield self.row(
                    "loss_term",
                    nm.term(k),
                    step.loss_terms[n, k],
                    fill(p.loss.term(K), **names),
                    row + 1,
                    L + 1,
                    nm.units[L][k],
                )
            Ln = M(f"L{superscript(f'({n + 1})')}", rf"L^{{({n + 1})}}") if many else M("L", "L")
            yield self.row("loss_example", Ln, step.losses[n], join(nm.term(k) for k in range(K)), row + 1)
        if many:
            reduction = "mean" if p.batch_reduction == "mean" else "sum"
            yield self.row("loss", M("L", "L"), step.loss, f"the {reduction} of the examples' losses")

    def backward(self, step: StepRecord) -> Iterator[dict]:
        nm, p = self.nm, self.p
        L_ = M("L", "L")
        for rec in step.backward:
            li = rec.layer - 1
            layer = p.layers[li]
            for n, row in enumerate(step.examples):
                for j in range(layer.units):
                    unit, out, net = nm.units[li][j], nm.out(li, j), nm.net(li, j)
                    yield self.row("dL_dout", partial(L_, out), rec.dL_da[n, j], "", row + 1, li + 1, unit)
                    if rec.da_dz is not None:
                        yield self.row(
                            "dout_dnet",
                            partial(out, net),
                            rec.da_dz[n, j],
                            f"{layer.activation.name}′({net.u})",
                            row + 1,
                            li + 1,
                            unit,
                        )
                    yield self.row("delta", nm.delta(li, j), rec.delta[n, j], partial(L_, net), row + 1, li + 1, unit)
            for j in range(layer.units):
                unit = nm.units[li][j]
                for i in range(layer.n_in):
                    formula = nm.delta(li, j) + DOT + nm.input_of(li, i)
                    yield self.row("dL_dw", partial(L_, nm.w(li, j, i)), rec.dL_dW[j, i], formula, None, li + 1, unit)
                if rec.dL_db is not None and layer.b is not None:
                    yield self.row("dL_db", partial(L_, nm.b(li, j)), rec.dL_db[j], nm.delta(li, j), None, li + 1, unit)
        for n, row in enumerate(step.examples):
            for i, x in enumerate(nm.inputs):
                yield self.row("dL_dx", partial(L_, nm.label(x)), step.dL_dx[n, i], "", row + 1)

    def updates(self, step: StepRecord) -> Iterator[dict]:
        nm, p = self.nm, self.p
        eta = "−η·v" if p.momentum > 0 else "−η·∂L/∂"
        for upd in step.update:
            li = upd.layer - 1
            layer = p.layers[li]
            for j in range(layer.units):
                unit = nm.units[li][j]
                for i in range(layer.n_in):
                    w = nm.w(li, j, i)
                    given = "given" if self.first(step) else ""
                    yield self.row("weight", w, upd.W_before[j, i], given, None, li + 1, unit)
                    if upd.velocity_W is not None:
                        yield self.row(
                            "velocity_w",
                            M(f"v_{w.u}", rf"v_{{{w.t}}}"),
                            upd.velocity_W[j, i],
                            f"μ·v + ∂L/∂{w.u}",
                            None,
                            li + 1,
                            unit,
                        )
                    yield self.row(
                        "delta_w", Delta(w), upd.W_change[j, i], eta + ("" if p.momentum else w.u), None, li + 1, unit
                    )
                    yield self.row("weight_after", plus(w), upd.W[j, i], f"{w.u} + Δ{w.u}", None, li + 1, unit)
                if layer.b is None:
                    continue
                b = nm.b(li, j)
                yield self.row("bias", b, upd.b_before[j], "given" if self.first(step) else "", None, li + 1, unit)
                if upd.velocity_b is not None:
                    yield self.row(
                        "velocity_b",
                        M(f"v_{b.u}", rf"v_{{{b.t}}}"),
                        upd.velocity_b[j],
                        f"μ·v + ∂L/∂{b.u}",
                        None,
                        li + 1,
                        unit,
                    )
                yield self.row(
                    "delta_b", Delta(b), upd.b_change[j], eta + ("" if p.momentum else b.u), None, li + 1, unit
                )
                yield self.row("bias_after", plus(b), upd.b[j], f"{b.u} + Δ{b.u}", None, li + 1, unit)

    def first(self, step: StepRecord) -> bool:
        return self.where.get("epoch") == self.trace.epochs[0].epoch and step.number == 1
