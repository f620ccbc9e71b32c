"""Every named quantity of a trace as a row: for a DataFrame, a spreadsheet, or ``--format csv``.

A row is one number the worked page names, with where it belongs and how it is
written:

    epoch, update, example   where it sits in the run (example: 1-based, empty for a whole update's quantity)
    layer, unit              1-based layer, and the unit's name as printed (h1, o2), where it has one
    kind                     what it is: net, out (with dropout after f_before_dropout and mask), loss_term,
                             loss_example, loss, dL_dout, dout_dnet (with dropout after df_before_dropout), delta,
                             dL_dw, dL_db, dL_dx, error (the perceptron rule's e = y − ŷ), weight, bias,
                             delta_w, delta_b, weight_after, bias_after, epoch_loss, epoch_loss_after, and
                             each value of the optimizer's step (its table's lines) for w or b: velocity_w,
                             exp_avg_w, exp_avg_sq_w, m_hat_w, v_hat_w, square_avg_b, denom_w, sum_w, …
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

import re
from collections.abc import Iterator

from ..exact import is_fraction
from ..optimizer_lines import REFINES
from ..optimizers import symbol
from ..trace import StepRecord, Trace
from .mathtext import DOT, M, fill, join, superscript
from .symbols import Delta, Symbols, partial, plus

KINDS = {"momentum_buffer": "velocity"}
"""The kind of a row of an optimizer's value: its name in the step (``exp_avg_w``, ``m_hat_b``), the momentum
buffer by v1's name (``velocity_w``)."""
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
            "example": None if example is None else int(example),  # a plain int, never NumPy's
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
                yield from self.errors(step)
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
                    terms = join([nm.w(li, j, i) + DOT + nm.input_of(li, i) for i in range(layer.n_in)])
                    if layer.b is not None:  # a threshold (or a bias on a constant −1) is subtracted
                        terms = terms + M(" − " if layer.bias_sign < 0 else " + ", "") + nm.b(li, j)
                    unit = nm.units[li][j]
                    yield self.row("net", nm.net(li, j), fwd.z[n, j], terms, row + 1, li + 1, unit)
                    net = nm.net(li, j)
                    f = f"{layer.activation.name}({net.u})"
                    if fwd.mask is not None:  # dropout: f(net) as recorded, the mask, then out = f·mask/(1 − p)
                        name = M(f, rf"\operatorname{{{layer.activation.name}}}({net.t})")
                        yield from self.dropped("f_before_dropout", fwd.f, fwd.mask, name, (n, j), row, li, unit)
                        f = f"{f}·mask_{unit}/(1 − p)"
                    yield self.row("out", nm.out(li, j), fwd.a[n, j], f, row + 1, li + 1, unit)

    def dropped(self, kind: str, before, mask, name: M, index, row: int, li: int, unit: str) -> Iterator[dict]:
        """A dropout layer's value before the mask (when recorded) and, in the forward pass, its mask."""
        if before is not None:
            yield self.row(kind, name, before[index], name.u, row + 1, li + 1, unit)
        if kind == "f_before_dropout":
            m = M(f"mask_{unit}", rf"\mathrm{{mask}}_{{{self.nm.label(unit).t}}}")
            yield self.row("mask", m, mask[index], "given", row + 1, li + 1, unit)

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
                    formula = self.dL_dout_formula(li, j)
                    yield self.row("dL_dout", partial(L_, out), rec.dL_da[n, j], formula, row + 1, li + 1, unit)
                    if rec.da_dz is not None:
                        slope = f"{layer.activation.name}′({net.u})"
                        if layer.dropout:  # f′(net) as recorded, then ∂out/∂net = f′·mask/(1 − p)
                            name = M(slope, rf"\operatorname{{{layer.activation.name}}}'({net.t})")
                            mask = step.forward[li].mask
                            yield from self.dropped("df_before_dropout", rec.df_dz, mask, name, (n, j), row, li, unit)
                            slope = f"{slope}·mask_{unit}/(1 − p)"
                        yield self.row("dout_dnet", partial(out, net), rec.da_dz[n, j], slope, row + 1, li + 1, unit)
                    yield self.row(
                        "delta", nm.delta(li, j), rec.delta[n, j], self.delta_formula(net), row + 1, li + 1, unit
                    )
            for j in range(layer.units):
                unit = nm.units[li][j]
                for i in range(layer.n_in):
                    formula = nm.delta(li, j) + DOT + nm.input_of(li, i)
                    yield self.row("dL_dw", partial(L_, nm.w(li, j, i)), rec.dL_dW[j, i], formula, None, li + 1, unit)
                if rec.dL_db is not None and layer.b is not None:
                    yield self.row("dL_db", partial(L_, nm.b(li, j)), rec.dL_db[j], nm.delta(li, j), None, li + 1, unit)
        if step.dL_dx is None:  # the perceptron rule: no gradient, only its error
            return
        for n, row in enumerate(step.examples):
            for i, x in enumerate(nm.inputs):
                formula = self.sent_back(0, i)
                if p.batch_reduction == "mean" and len(step.examples) > 1:
                    formula = f"(1/{len(step.examples)})·({formula})"  # r of the update: ∂L/∂x of its loss
                yield self.row("dL_dx", partial(L_, nm.label(x)), step.dL_dx[n, i], formula, row + 1)

    def dL_dout_formula(self, li: int, j: int) -> str:
        """∂L/∂out as the page derives it: the loss's derivative at the output, else what the layer above sends."""
        p, nm = self.p, self.nm
        if li < len(p.layers) - 1:
            return self.sent_back(li + 1, j)
        K = p.layers[li].units
        out, y = nm.out(li, j), nm.y(j)
        return fill(p.loss.dterm(K), a=out, pa=out, y=y, py=y, K=M(str(K), str(K))).u

    def delta_formula(self, net: M) -> M:
        """δ = ∂L/∂net, or the error signal −∂L/∂net where the problem's convention says so (Mitchell, Han)."""
        d = partial(M("L", "L"), net)
        return M("−", "-") + d if self.nm.error_signal else d

    def sent_back(self, above: int, j: int) -> str:
        """Σₖ δₖ·wₖⱼ over the units k of layer ``above``: what unit j of the layer below receives."""
        nm = self.nm
        terms = join([nm.delta(above, k) + DOT + nm.w(above, k, j) for k in range(self.p.layers[above].units)]).u
        return f"−({terms})" if nm.error_signal else terms  # δ is the error signal −∂L/∂net in these books

    def errors(self, step: StepRecord) -> Iterator[dict]:
        """The perceptron rule's error e = y − ŷ of each output (step.e), where the rule records it."""
        if step.e is None:
            return
        nm, L = self.nm, len(self.p.layers) - 1
        for n, row in enumerate(step.examples):
            for j, unit in enumerate(nm.units[L]):
                name = M(f"e_{unit}", rf"e_{{{nm.label(unit).t}}}")
                formula = nm.y(j) + M(" − ", " - ") + nm.out(L, j)
                yield self.row("error", name, step.e[n, j], formula, row + 1, L + 1, unit)

    def updates(self, step: StepRecord) -> Iterator[dict]:
        """Each parameter: its value before, the optimizer's intermediates (its table's lines), Δ and after."""
        nm, p = self.nm, self.p
        hp = {**p.hp, "first_step": self.first(step)}
        lines = [line for line in p.optimizer.shown_lines(hp) if line.result != "change"]
        change = next((line for line in p.optimizer.shown_lines(hp) if line.result == "change"), None)
        given = "given" if self.first(step) else ""
        for upd in step.update:
            li = upd.layer - 1
            layer = p.layers[li]
            for j in range(layer.units):
                unit = nm.units[li][j]
                for i in range(layer.n_in):
                    w = nm.w(li, j, i)
                    at = (li, unit, j, i, given)
                    yield from self.parameter("w", w, at, upd.W_before, upd.W_change, upd.W, upd.shown_W, lines, change)
                if layer.b is None:
                    continue
                b, at = nm.b(li, j), (li, unit, j, None, given)
                yield from self.parameter("b", b, at, upd.b_before, upd.b_change, upd.b, upd.shown_b, lines, change)

    def parameter(self, kind, name: M, at, before, change, after, shown, lines, change_line) -> Iterator[dict]:
        li, unit, j, i, given = at
        index = (j, i) if i is not None else j
        label = "weight" if kind == "w" else "bias"
        yield self.row(label, name, before[index], given, None, li + 1, unit)
        names = self.names(name, {line.result for line in lines})
        for line in lines if shown else ():
            if line.result in shown:
                sym = names.get(line.result, M(*line.symbol))
                value = shown[line.result][index]
                row_kind = f"{KINDS.get(line.result, line.result)}_{kind}"
                yield self.row(row_kind, sym, value, fill(_squared(line.formula), **names), None, li + 1, unit)
        formula = self.change_formula(change_line, names, li, j, i)
        yield self.row(f"delta_{kind}", Delta(name), change[index], formula, None, li + 1, unit)
        yield self.row(f"{label}_after", plus(name), after[index], f"{name.u} + Δ{name.u}", None, li + 1, unit)

    def names(self, w: M, defined: set[str]) -> dict[str, M]:
        """The placeholders of the optimizer's lines, named for this parameter (m_w5, v̂_w5, ∂L/∂w5, η, β₁)."""
        opt = self.p.optimizer
        names = {"g": partial(M("L", "L"), w), "w": w, "lr": M("η", r"\eta"), "t": M("t", "t")}
        for key in self.p.hp:
            if key in ("beta1", "beta2") or (key in opt.params and opt.params[key].kind not in ("pair", "bool")):
                names[key] = M(*symbol(opt, key))
        for key, (u, t) in opt.symbols.items():
            names[key] = M(f"{u}_{w.u}", f"{t}_{{{w.t}}}")
            names[f"{key}_prev"] = M(f"{u}_{w.u}(t − 1)", f"{t}_{{{w.t}}}(t - 1)")
        names["change_prev"] = M(f"Δ{w.u}(t − 1)", rf"\Delta {w.t}(t - 1)")
        for key, base in REFINES.items():
            if key not in defined:
                names[key] = names[base]
        return names

    def change_formula(self, line, names: dict[str, M], li: int, j: int, i: int | None) -> str:
        """Δ as its rule writes it: the optimizer's change line, or the perceptron rule's η·e·x."""
        if self.p.rule == "perceptron":
            unit = self.nm.units[li][j]
            if i is not None:
                return f"η·e_{unit}·{self.nm.input_of(li, i).u}"
            return f"−η·e_{unit}" if self.p.layers[li].bias_sign < 0 else f"η·e_{unit}"  # θ is on a constant −1
        return fill(_squared(line.formula), **names).u if line is not None else ""

    def first(self, step: StepRecord) -> bool:
        return self.where.get("epoch") == self.trace.epochs[0].epoch and step.number == 1


def _squared(formula: tuple[str, str]) -> tuple[str, str]:
    """A squared value in brackets, since its name here is ∂L/∂w1, not g: (1 − β₂)·(∂L/∂w1)², not ∂L/∂w1²."""
    return re.sub(r"(\$\w+)²", r"(\1)²", formula[0]), re.sub(r"(\$\w+)\^\{2\}", r"(\1)^{2}", formula[1])
