"""The worked solution as a sequence of blocks, in textbook order.

This module turns a trace into headings, paragraphs, equations, tables and
matrices; the rich, markdown and latex renderers only lay those blocks out.
It reads the trace and never recomputes a number: every value shown is a
value the engine recorded (substituted expressions are written out, not
evaluated).

Names follow the textbooks (Mazur's step-by-step post in particular): inputs
x1, x2, …; units named after their layer (h1, h2, o1, …); net_h1 and out_h1
for a unit's net input and activation; weights w1, w2, … numbered layer by
layer in the order the problem file writes them (row by row in the layer's own
layout), and biases b1, b2, … one per unit in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..problem import Layer, Problem
from ..losses import SHORTCUTS
from ..trace import EpochRecord, StepRecord, Trace
from .mathtext import DOT, EMPTY, M, Numbers, fill, join, paren, superscript

# ----------------------------------------------------------------------------- blocks


@dataclass
class Heading:
    level: int  # 1 title, 2 phase, 3 part
    text: str


@dataclass
class Para:
    """Text and inline math: a list of ("text", str) and ("math", M) parts."""

    parts: list[tuple[str, object]]
    style: str = ""  # "note" for a remark, "" for plain text


@dataclass
class Eq:
    sides: list[M]  # written s0 = s1 = s2 …
    note: str = ""

    def shown(self) -> list[M]:
        """The sides to write: a side equal to the one before it (out = net = 3 = 3) is dropped."""
        out = [self.sides[0]]
        for s in self.sides[1:]:
            if s.u != out[-1].u:
                out.append(s)
        return out


@dataclass
class Eqs:
    rows: list[Eq]


@dataclass
class Table:
    header: list[object]  # str or M
    rows: list[list[object]]
    numeric: bool = True  # right-align columns after the first


@dataclass
class Matrix:
    label: M  # e.g. Z⁽¹⁾
    shape: str
    cells: list[list[str]]  # already formatted and elided (⋯, ⋮)


@dataclass
class Curve:
    label: str
    values: list[float]


Block = Heading | Para | Eqs | Table | Matrix | Curve


def text(*parts) -> Para:
    """A paragraph from strings (text) and M (math)."""
    return Para([("math", p) if isinstance(p, M) else ("text", p) for p in parts])


def note(*parts) -> Para:
    p = text(*parts)
    p.style = "note"
    return p


# ----------------------------------------------------------------------------- names


def _tex_name(name: str) -> str:
    """A unit label in LaTeX: h1 -> h_{1}, h2_1 -> h2_{1}, x3 -> x_{3}."""
    if "_" in name:
        head, tail = name.rsplit("_", 1)
        return rf"\mathit{{{head}}}_{{{tail}}}"
    head = name.rstrip("0123456789")
    return rf"{head}_{{{name[len(head):]}}}" if head and head != name else name


class Names:
    """The names of every quantity, as a textbook would write them."""

    def __init__(self, problem: Problem):
        self.problem = problem
        d = problem.X.shape[1]
        self.inputs = [self._unit("x", i + 1) for i in range(d)]
        self.units = [[self._unit(l.name, j + 1) for j in range(l.units)] for l in problem.layers]
        self.weights: list[np.ndarray] = []  # per layer, out_in indexed [unit, input] -> label
        self.biases: list[list[str] | None] = []
        w = b = 0
        for layer in problem.layers:
            names = np.empty((layer.units, layer.n_in), dtype=object)
            rows, cols = (layer.units, layer.n_in) if layer.layout == "out_in" else (layer.n_in, layer.units)
            for r in range(rows):
                for c in range(cols):
                    w += 1
                    i, j = (r, c) if layer.layout == "out_in" else (c, r)
                    names[i, j] = f"w{w}"
            self.weights.append(names)
            if layer.b is not None:
                self.biases.append([f"b{b + j + 1}" for j in range(layer.units)])
                b += layer.units
            else:
                self.biases.append(None)
        K = problem.layers[-1].units
        self.targets = [f"y{k + 1}" for k in range(K)]

    @staticmethod
    def _unit(layer_name: str, index: int) -> str:
        return f"{layer_name}_{index}" if layer_name[-1:].isdigit() else f"{layer_name}{index}"

    # the quantities, as M

    def label(self, s: str) -> M:
        return M(s, _tex_name(s))

    def net(self, l: int, j: int) -> M:
        u = self.units[l][j]
        return M(f"net_{u}", rf"\mathrm{{net}}_{{{_tex_name(u)}}}")

    def out(self, l: int, j: int) -> M:
        u = self.units[l][j]
        return M(f"out_{u}", rf"\mathrm{{out}}_{{{_tex_name(u)}}}")

    def source(self, l: int, i: int) -> M:
        """The unit that feeds input i of layer l: x_i, or unit i of the layer below."""
        return self.label(self.inputs[i] if l == 0 else self.units[l - 1][i])

    def input_of(self, l: int, i: int) -> M:
        """What the i-th input of layer l is called: x_i, or out of the layer below."""
        return self.label(self.inputs[i]) if l == 0 else self.out(l - 1, i)

    def delta(self, l: int, j: int) -> M:
        u = self.units[l][j]
        return M(f"δ_{u}", rf"\delta_{{{_tex_name(u)}}}")

    def w(self, l: int, j: int, i: int) -> M:
        return self.label(self.weights[l][j, i])

    def b(self, l: int, j: int) -> M:
        return self.label(self.biases[l][j])

    def y(self, k: int) -> M:
        return self.label(self.targets[k])

    def term(self, k: int) -> M:
        u = self.units[-1][k]
        return M(f"L_{u}", rf"L_{{{_tex_name(u)}}}")


def partial(top: M, bottom: M) -> M:
    return M(f"∂{top.u}/∂{bottom.u}", rf"\frac{{\partial {top.t}}}{{\partial {bottom.t}}}")


L_SYM = M("L", "L")


def L_of(n: int, many: bool) -> M:
    return M(f"L{superscript(f'({n + 1})')}", rf"L^{{({n + 1})}}") if many else L_SYM


def transpose(m: M) -> M:
    """Mᵀ; in LaTeX the symbol is braced, since it may carry a superscript already: {A^{(2)}}^{T}."""
    return M(f"{m.u}ᵀ", f"{{{m.t}}}^{{T}}")


def Delta(m: M) -> M:
    return M(f"Δ{m.u}", rf"\Delta {m.t}")


def plus(m: M) -> M:
    """The value after the update, m⁺ (braced in LaTeX, like :func:`transpose`)."""
    return M(f"{m.u}⁺", f"{{{m.t}}}^{{+}}")


# ----------------------------------------------------------------------------- the page


@dataclass
class Options:
    precision: int = 4
    detail: str = "auto"  # auto | scalar | matrix
    every: int = 0  # 0: choose a round step that keeps the loss table short


def small_enough(problem: Problem) -> bool:
    """Scalar detail reads well up to about this size; beyond it, matrices do."""
    params = sum(l.W.size + (l.units if l.b is not None else 0) for l in problem.layers)
    per_update = max(len(b) for b in problem.batches())
    return params <= 40 and per_update <= 4 and max(l.units for l in problem.layers) <= 6 and problem.X.shape[1] <= 6


class Builder:
    def __init__(self, trace: Trace, options: Options):
        self.trace = trace
        self.problem = trace.problem
        self.opt = options
        self.n = Numbers(options.precision)
        self.names = Names(self.problem)
        detail = options.detail
        self.scalar = detail == "scalar" or (detail == "auto" and small_enough(self.problem))
        self.blocks: list[Block] = []

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)

    # ------------------------------------------------------------------ problem

    def architecture(self) -> str:
        p = self.problem
        parts = [str(p.X.shape[1])]
        parts += [f"{l.units} ({l.activation.name})" for l in p.layers]
        return " → ".join(parts)

    def problem_section(self) -> None:
        p = self.problem
        self.add(Heading(1, p.title or p.origin))
        if p.source:
            self.add(text(f"Source: {p.source}"))
        if p.notes:
            notes = note(f"Notes: {p.notes}")
            notes.style = "notes"  # may hold answers: a worksheet leaves them out
            self.add(notes)
        self.add(Heading(2, "The problem"))
        names = ", ".join(f"{l.name} ({l.units})" for l in p.layers)
        self.add(text(f"Network: {self.architecture()}. Inputs x1…x{p.X.shape[1]}; layers {names}, "
                      f"numbered 1 to {len(p.layers)} from the first hidden layer to the output layer."))
        for i, layer in enumerate(p.layers):
            self.layer_givens(i, layer)
        self.data_table()
        self.loss_and_training()

    def layout_words(self, i: int, layer: Layer) -> str:
        prev = "x" if i == 0 else self.problem.layers[i - 1].name
        unit_j = Names._unit(layer.name, 0).replace("0", "j")  # h -> hj, h2 -> h2_j
        if layer.layout == "out_in":
            s = f"out_in: row j holds the weights into {unit_j}, one column per input from {prev} (W·x + b, like PyTorch's nn.Linear.weight)"
        else:
            s = f"in_out: row i holds the weights out of input i from {prev}, one column per unit of {layer.name} (xᵀ·W + b)"
        if layer.bias_form == "augmented":
            s += "; the bias is folded in as the last " + ("column" if layer.layout == "out_in" else "row") + ", multiplying a constant 1"
        return s

    def layer_givens(self, i: int, layer: Layer) -> None:
        act = layer.activation
        params = "".join(f", α = {self.n.text(v)}" for v in layer.activation_params.values())
        self.add(Heading(3, f"Layer {i + 1} ({layer.name}): {layer.units} unit{'s' if layer.units > 1 else ''}, {act.name}{params}"))
        self.add(text(f"Weights {self.layout_words(i, layer)}."))
        nm = self.names
        if self.scalar:
            rows = []
            for r, c in self.given_order(layer):
                j, k = r, c
                src, dst = nm.source(i, k), nm.label(nm.units[i][j])
                rows.append([nm.w(i, j, k), M(f"{src.u} → {dst.u}", rf"{src.t} \to {dst.t}"), self.n(layer.W[j, k])])
            if layer.b is not None:
                for j in range(layer.units):
                    rows.append([nm.b(i, j), M(f"bias of {nm.units[i][j]}", rf"\text{{bias of }} {_tex_name(nm.units[i][j])}"), self.n(layer.b[j])])
            self.add(Table(["", "connects", "value"], rows))
        else:
            self.matrix(M(f"W{superscript(f'({i + 1})')}", rf"W^{{({i + 1})}}"), layer.weights_as_given(layer.W, layer.b))
            if layer.separate_bias:
                self.matrix(M(f"b{superscript(f'({i + 1})')}", rf"b^{{({i + 1})}}"), layer.b[None, :])
        if layer.bias_form == "number" and layer.b is not None:
            self.add(note(f"bias: {self.n.text(layer.b[0])} gives every unit of {layer.name} its own bias with that value."))
        self.add(text("Activation: ", M(act.formula[0], act.formula[1]), "; ", M(act.derivative_formula[0], act.derivative_formula[1]), "."))

    def given_order(self, layer: Layer):
        """(unit, input) pairs in the order the file writes the weights."""
        if layer.layout == "out_in":
            return [(j, k) for j in range(layer.units) for k in range(layer.n_in)]
        return [(j, k) for k in range(layer.n_in) for j in range(layer.units)]

    def data_table(self) -> None:
        p, nm = self.problem, self.names
        self.add(Heading(3, "Data"))
        header = ["example"] + [nm.label(x) for x in nm.inputs] + [nm.y(k) for k in range(p.Y.shape[1])]
        rows = [[str(n + 1)] + [self.n(v) for v in p.X[n]] + [self.n(v) for v in p.Y[n]] for n in range(p.n_examples)]
        if len(rows) > 12:
            rows = rows[:6] + [["⋮"] + [""] * (len(header) - 1)] + rows[-3:]
        self.add(Table(header, rows))

    def loss_and_training(self) -> None:
        p = self.problem
        loss = p.loss
        self.add(Heading(3, "Loss and training"))
        out = p.layers[-1].name
        self.add(text("Loss per example: ", M(loss.formula[0], loss.formula[1]),
                      f" ({loss.name}), where ŷ is the output of {out} and y the target; ",
                      M(loss.gradient_formula[0], loss.gradient_formula[1]), "."))
        red = "the mean (1/N)·Σₙ Lₙ" if p.batch_reduction == "mean" else "the sum Σₙ Lₙ"
        mode = {"batch": "batch: one update per epoch, over all examples",
                "stochastic": "stochastic: one update per example, in file order",
                "minibatch": f"minibatch: one update per {p.batch_size} consecutive examples, in file order"}[p.update]
        self.add(text(f"The loss of an update over N examples is {red} (batch_reduction: {p.batch_reduction}). "
                      f"Update: {mode}. Learning rate η = {self.n.text(p.learning_rate)}; "
                      f"epochs: {p.epochs}."))
        extras = []
        if p.momentum > 0:
            extras.append(f"momentum μ = {self.n.text(p.momentum)}: v ← μ·v + ∂L/∂w (v starts at 0), Δw = −η·v")
        else:
            extras.append("Δw = −η·∂L/∂w and w⁺ = w + Δw for every weight")
        extras.append("biases are trained the same way" if p.train_bias else "biases stay fixed (train_bias: false)")
        self.add(text("; ".join(extras) + "."))

    # ------------------------------------------------------------------ one update

    def step_section(self, epoch: EpochRecord, step: StepRecord) -> None:
        p = self.problem
        many_steps = p.epochs > 1 or len(p.batches()) > 1
        if many_steps:
            ex = ", ".join(str(i + 1) for i in step.examples)
            self.add(Heading(2, f"Epoch {epoch.epoch}, update {step.number} (example{'s' if len(step.examples) > 1 else ''} {ex})"))
        if self.scalar:
            self.forward_scalar(step)
            self.loss_scalar(step)
            self.backward_scalar(step)
            self.updates_scalar(step)
        else:
            self.forward_matrix(step)
            self.loss_matrix(step)
            self.backward_matrix(step)
            self.updates_matrix(step)

    def phase(self, title: str) -> None:
        self.add(Heading(2 if not self.sub_phases else 3, title))

    @property
    def sub_phases(self) -> bool:
        return self.problem.epochs > 1 or len(self.problem.batches()) > 1

    # forward

    def forward_scalar(self, step: StepRecord) -> None:
        self.phase("Forward pass")
        many = len(step.examples) > 1
        for n, row in enumerate(step.examples):
            if many:
                xs = ", ".join(self.n.text(v) for v in self.problem.X[row])
                self.add(Heading(3, f"Example {row + 1}: x = ({xs})"))
            for fwd in step.forward:
                self.add(Eqs(self.unit_lines(step, fwd.layer - 1, fwd, n)))

    def unit_lines(self, step: StepRecord, l: int, fwd, n: int) -> list[Eq]:
        layer = self.problem.layers[l]
        nm, num = self.names, self.n
        W = step.update[l].W_before, step.update[l].b_before  # the weights this update used
        rows = []
        for j in range(layer.units):
            terms = [nm.w(l, j, i) + DOT + nm.input_of(l, i) for i in range(layer.n_in)]
            values = [num.p(W[0][j, i]) + DOT + num.p(fwd.a_in[n, i]) for i in range(layer.n_in)]
            if layer.b is not None:
                terms.append(nm.b(l, j))
                values.append(num.p(W[1][j]))
            values[0] = self._unparen_first(values[0], W[0][j, 0], fwd.a_in[n, 0])
            rows.append(Eq([nm.net(l, j), join(terms), join(values), num(fwd.z[n, j])]))
        act = layer.activation
        for j in range(layer.units):
            z = fwd.z[n, j]
            extra = {}
            if act.name == "softmax":
                extra["expsum"] = join(M(f"e^({nm.net(l, k).u})", f"e^{{{nm.net(l, k).t}}}") for k in range(layer.units))
                num_sum = join(M(f"e^({num.text(fwd.z[n, k])})", f"e^{{{num(fwd.z[n, k]).t}}}") for k in range(layer.units))
            symbolic = fill(act.symbolic, z=nm.net(l, j), negz=M(f"−{nm.net(l, j).u}", f"-{nm.net(l, j).t}"), **extra)
            alpha = num(layer.activation_params.get("alpha", 0))
            values = dict(z=num(z), pz=num.p(z), negz=num(-z), alpha=alpha)
            if act.name == "softmax":
                values["expsum"] = num_sum
            substituted = fill(act.expand(z), **values)
            note = self.kink_note(l, j, z) if act.kinked else ""
            rows.append(Eq([nm.out(l, j), symbolic, substituted, num(fwd.a[n, j])], note))
        return rows

    def _unparen_first(self, m: M, w: float, x: float) -> M:
        """The first term of a sum needs no parentheses around a negative first factor."""
        return self.n(w) + DOT + self.n.p(x) if w < 0 else m

    def kink_note(self, l: int, j: int, z: float) -> str:
        return f"since net_{self.names.units[l][j]} {'>' if z > 0 else '≤'} 0"

    # loss

    def loss_scalar(self, step: StepRecord) -> None:
        self.phase("Loss")
        p, nm, num = self.problem, self.names, self.n
        many = len(step.examples) > 1
        K = p.Y.shape[1]
        L = len(p.layers) - 1
        for n, row in enumerate(step.examples):
            rows = []
            for k in range(K):
                names = dict(a=nm.out(L, k), y=nm.y(k), py=nm.y(k), K=M(str(K), str(K)))
                nums = dict(a=num(step.forward[-1].a[n, k]), y=num(p.Y[row, k]), py=num.p(p.Y[row, k]), K=M(str(K), str(K)))
                lhs = nm.term(k) if K > 1 else L_of(n, many)
                rows.append(Eq([lhs, fill(p.loss.term(K), **names), fill(p.loss.term(K), **nums), num(step.loss_terms[n, k])]))
            if K > 1:
                rows.append(Eq([L_of(n, many), join(nm.term(k) for k in range(K)),
                                join(num.p(step.loss_terms[n, k]) if k else num(step.loss_terms[n, k]) for k in range(K)),
                                num(step.losses[n])]))
            if many:
                self.add(Heading(3, f"Example {row + 1}"))
            self.add(Eqs(rows))
        if many:
            N = len(step.examples)
            scale = M(f"(1/{N})·", rf"\frac{{1}}{{{N}}}") if p.batch_reduction == "mean" else EMPTY
            parts = join(L_of(n, True) for n in range(N))
            vals = join(num.p(v) if i else num(v) for i, v in enumerate(step.losses))
            self.add(Eqs([Eq([L_SYM, scale + (paren(parts) if scale.u else parts), scale + (paren(vals) if scale.u else vals), num(step.loss)])]))

    # backward

    def backward_scalar(self, step: StepRecord) -> None:
        self.phase("Backward pass")
        p = self.problem
        L = len(p.layers)
        by_layer = {b.layer: b for b in step.backward}
        for l in range(L - 1, -1, -1):
            rec = by_layer[l + 1]
            layer = p.layers[l]
            title = f"Layer {l + 1} ({layer.name})" + (": the output layer" if l == L - 1 else ": δ sent back from the layer above")
            self.add(Heading(3, title))
            many = len(step.examples) > 1
            for n, row in enumerate(step.examples):
                if many:
                    self.add(Heading(3, f"Example {row + 1}"))
                if l == L - 1:
                    self.output_delta_lines(step, rec, n, row)
                else:
                    self.hidden_delta_lines(step, rec, l, n)
            self.gradient_lines(step, rec, l)
        self.input_gradient_lines(step)

    def output_delta_lines(self, step, rec, n: int, row: int) -> None:
        p, nm, num = self.problem, self.names, self.n
        l = len(p.layers) - 1
        out = p.layers[l]
        act, loss = out.activation, p.loss
        K = out.units
        Kx = M(str(K), str(K))
        shortcut = SHORTCUTS.get((act.name, loss.name)) if rec.shortcut else None
        rows = []
        if shortcut is not None:
            ysum = float(p.Y[row].sum())
            tpl = shortcut.show(K, abs(ysum - 1.0) < 1e-12)
            for k in range(K):
                names = dict(a=nm.out(l, k), y=nm.y(k), py=nm.y(k), K=Kx, ysum=M("Σⱼyⱼ", r"\textstyle\sum_j y_j"))
                nums = dict(a=num(step.forward[-1].a[n, k]), y=num(p.Y[row, k]), py=num.p(p.Y[row, k]), K=Kx, ysum=num(ysum))
                rows.append(Eq([nm.delta(l, k), fill(tpl, **names), fill(tpl, **nums), num(rec.delta[n, k])]))
            self.add(Eqs(rows))
            self.add(note(f"Why: {shortcut.why}."))
            return
        for k in range(K):
            names = dict(a=nm.out(l, k), y=nm.y(k), py=nm.y(k), K=Kx)
            nums = dict(a=num(step.forward[-1].a[n, k]), y=num(p.Y[row, k]), py=num.p(p.Y[row, k]), K=Kx)
            rows.append(Eq([partial(L_SYM, nm.out(l, k)), fill(loss.dterm(K), **names), fill(loss.dterm(K), **nums), num(rec.dL_da[n, k])]))
        self.add(Eqs(rows))
        self.delta_from_dL_da(step, rec, l, n)

    def delta_from_dL_da(self, step, rec, l: int, n: int) -> None:
        """f′(z) and δ = ∂L/∂out ⊙ f′(z) for each unit (or softmax's full Jacobian)."""
        p, nm, num = self.problem, self.names, self.n
        layer = p.layers[l]
        act = layer.activation
        fwd = step.forward[l]
        rows = []
        if act.elementwise:
            alpha = num(layer.activation_params.get("alpha", 0))
            for j in range(layer.units):
                z, a = fwd.z[n, j], fwd.a[n, j]
                names = dict(a=nm.out(l, j), pa=nm.out(l, j), z=nm.net(l, j), pz=nm.net(l, j),
                             negz=M(f"−{nm.net(l, j).u}", f"-{nm.net(l, j).t}"), alpha=alpha)
                nums = dict(a=num(a), pa=num.p(a), z=num(z), pz=num.p(z), negz=num(-z), alpha=alpha)
                rows.append(Eq([partial(nm.out(l, j), nm.net(l, j)), fill(act.dsymbolic, **names), fill(act.dexpand(z), **nums),
                                num(rec.da_dz[n, j])], self.kink_note(l, j, z) if act.kinked else ""))
            for j in range(layer.units):
                rows.append(Eq([nm.delta(l, j), partial(L_SYM, nm.out(l, j)) + DOT + partial(nm.out(l, j), nm.net(l, j)),
                                num(rec.dL_da[n, j]) + DOT + num.p(rec.da_dz[n, j]), num(rec.delta[n, j])]))
        else:  # softmax: δ_j = out_j·(∂L/∂out_j − Σₖ ∂L/∂out_k·out_k)
            K = layer.units
            sum_names = join(partial(L_SYM, nm.out(l, k)) + DOT + nm.out(l, k) for k in range(K))
            for j in range(K):
                sum_nums = join(num.p(rec.dL_da[n, k]) + DOT + num.p(fwd.a[n, k]) for k in range(K))
                rows.append(Eq([nm.delta(l, j), nm.out(l, j) + DOT + paren(partial(L_SYM, nm.out(l, j)) + M(" − ", " - ") + paren(sum_names)),
                                num(fwd.a[n, j]) + DOT + paren(num(rec.dL_da[n, j]) + M(" − ", " - ") + paren(sum_nums)),
                                num(rec.delta[n, j])]))
            self.add(note("softmax's Jacobian is not diagonal: ∂out_j/∂net_k = out_j·(1[j = k] − out_k), "
                          "so each δ collects every output's ∂L/∂out."))
        self.add(Eqs(rows))

    def hidden_delta_lines(self, step, rec, l: int, n: int) -> None:
        p, nm, num = self.problem, self.names, self.n
        above = {b.layer: b for b in step.backward}[l + 2]
        W_above = rec.W_used
        rows = []
        for j in range(p.layers[l].units):
            K = p.layers[l + 1].units
            names = join(nm.w(l + 1, k, j) + DOT + nm.delta(l + 1, k) for k in range(K))
            nums = join((num(W_above[k, j]) if k == 0 else num.p(W_above[k, j])) + DOT + num.p(above.delta[n, k]) for k in range(K))
            rows.append(Eq([partial(L_SYM, nm.out(l, j)), names, nums, num(rec.dL_da[n, j])]))
        self.add(Eqs(rows))
        if l == len(p.layers) - 2 and n == 0:
            self.add(note("Each ∂L/∂out sums the δs of the layer above, each times the weight that carried this unit's output "
                          "to it, with the weights from before the update."))
        self.delta_from_dL_da(step, rec, l, n)

    def term(self, k: int, value: float) -> M:
        """The k-th term of a sum: the first as it is, later negative ones in parentheses."""
        return self.n(value) if k == 0 else self.n.p(value)

    def scale(self, step) -> M:
        N = len(step.examples)
        if N > 1 and self.problem.batch_reduction == "mean":
            return M(f"(1/{N})·", rf"\frac{{1}}{{{N}}}")
        return EMPTY

    def gradient_lines(self, step, rec, l: int) -> None:
        p, nm, num = self.problem, self.names, self.n
        layer = p.layers[l]
        fwd = step.forward[l]
        N = len(step.examples)
        sc = self.scale(step)
        rows = []

        def over_examples(name_fn, value_fn) -> tuple[M, M]:
            if N == 1:
                return name_fn(), value_fn(0)
            names = M("Σₙ ", r"\sum_n ") + name_fn()
            values = join(value_fn(n) for n in range(N))
            return sc + names, sc + paren(values) if sc.u else values

        for j in range(layer.units):
            for i in range(layer.n_in):
                names, values = over_examples(lambda: nm.delta(l, j) + DOT + nm.input_of(l, i),
                                              lambda n: self.term(n, rec.delta[n, j]) + DOT + num.p(fwd.a_in[n, i]))
                rows.append(Eq([partial(L_SYM, nm.w(l, j, i)), names, values, num(rec.dL_dW[j, i])]))
            if layer.b is not None:
                names, values = over_examples(lambda: nm.delta(l, j), lambda n: self.term(n, rec.delta[n, j]))
                rows.append(Eq([partial(L_SYM, nm.b(l, j)), names, values, num(rec.dL_db[j])]))
        self.add(Heading(3, f"Gradients of layer {l + 1} ({layer.name}): ∂L/∂w = δ·(the input the weight multiplies)"))
        self.add(Eqs(rows))

    def input_gradient_lines(self, step) -> None:
        nm, num = self.names, self.n
        rec = {b.layer: b for b in step.backward}[1]
        W = step.update[0].W_before
        layer = self.problem.layers[0]
        N = len(step.examples)
        sc = self.scale(step)
        rows = []
        for n in range(N):
            for i in range(layer.n_in):
                names = join(nm.w(0, j, i) + DOT + nm.delta(0, j) for j in range(layer.units))
                values = join((num(W[j, i]) if j == 0 else num.p(W[j, i])) + DOT + num.p(rec.delta[n, j]) for j in range(layer.units))
                lhs = partial(L_SYM, nm.label(nm.inputs[i]))
                if N > 1:
                    lhs = lhs + M(superscript(f"({step.examples[n] + 1})"), f"^{{({step.examples[n] + 1})}}")
                rows.append(Eq([lhs, sc + (paren(names) if sc.u else names), sc + (paren(values) if sc.u else values), num(step.dL_dx[n, i])]))
        self.add(Heading(3, "Gradient with respect to the inputs"))
        self.add(Eqs(rows))

    # updates

    def updates_scalar(self, step: StepRecord) -> None:
        self.phase("Updates")
        p, nm, num = self.problem, self.names, self.n
        eta = num(p.learning_rate)
        momentum = p.momentum > 0
        grads = {b.layer: b for b in step.backward}
        header = ["", "before", "∂L/∂·"] + (["v = μ·v + ∂L/∂·"] if momentum else []) + ["Δ = −η·" + ("v" if momentum else "∂L/∂·"), "after"]
        for l, upd in enumerate(step.update):
            layer = p.layers[l]
            g = grads[l + 1]
            rows = []
            for j, i in self.given_order(layer):
                rows.append([nm.w(l, j, i), num(upd.W_before[j, i]), num(g.dL_dW[j, i])]
                            + ([num(upd.velocity_W[j, i])] if momentum else []) + [num(upd.W_change[j, i]), num(upd.W[j, i])])
            if layer.b is not None:
                for j in range(layer.units):
                    v = [num(upd.velocity_b[j]) if upd.velocity_b is not None else M("0", "0")] if momentum else []
                    rows.append([nm.b(l, j), num(upd.b_before[j]), num(g.dL_db[j])] + v + [num(upd.b_change[j]), num(upd.b[j])])
            self.add(Heading(3, f"Layer {l + 1} ({layer.name})"))
            # fully substituted lines show how each row of the table is computed
            j, i = self.given_order(layer)[0]
            w = nm.w(l, j, i)
            lines = []
            if momentum:
                v = M(f"v_{w.u}", rf"v_{{{w.t}}}")
                v_before = 0.0 if upd.velocity_W_before is None else upd.velocity_W_before[j, i]
                lines.append(Eq([v, M("μ·", r"\mu \cdot ") + v + M(" + ", " + ") + partial(L_SYM, w),
                                 num(p.momentum) + DOT + num.p(v_before) + M(" + ", " + ") + num.p(g.dL_dW[j, i]), num(upd.velocity_W[j, i])]))
                step_of, step_val = v, upd.velocity_W[j, i]
            else:
                step_of, step_val = partial(L_SYM, w), g.dL_dW[j, i]
            lines.append(Eq([Delta(w), M("−η·", r"-\eta \cdot ") + step_of, M("−", "-") + eta + DOT + num.p(step_val), num(upd.W_change[j, i])]))
            lines.append(Eq([plus(w), w + M(" + ", " + ") + Delta(w), num(upd.W_before[j, i]) + M(" + ", " + ") + num.p(upd.W_change[j, i]), num(upd.W[j, i])]))
            self.add(Eqs(lines))
            self.add(Table(header, rows))
        if not p.train_bias and any(l.b is not None for l in p.layers):
            self.add(note("The biases keep their values: train_bias is false."))

    # ------------------------------------------------------------------ matrix detail

    def matrix(self, label: M, values: np.ndarray) -> None:
        self.add(Matrix(label, f"{values.shape[0]}×{values.shape[1]}", elide(values, self.n.text)))

    def L_sup(self, base: str, tex: str, l: int) -> M:
        return M(f"{base}{superscript(f'({l})')}", rf"{tex}^{{({l})}}")

    def forward_matrix(self, step: StepRecord) -> None:
        self.phase("Forward pass")
        p = self.problem
        self.add(text(f"One row per example of this update (N = {len(step.examples)})."))
        for fwd in step.forward:
            l = fwd.layer
            layer = p.layers[l - 1]
            A_in = M("X", "X") if l == 1 else self.L_sup("A", "A", l - 1)
            Wl = self.L_sup("W", "W", l)
            if layer.bias_form == "augmented":
                A_in = M(f"[{A_in.u}, 1]", rf"[{A_in.t},\ 1]")
            prod = A_in + DOT + (transpose(Wl) if layer.layout == "out_in" else Wl)
            if layer.separate_bias:
                prod = prod + M(" + ", " + ") + self.L_sup("b", "b", l)
            self.add(Eqs([Eq([self.L_sup("Z", "Z", l), prod])]))
            self.matrix(self.L_sup("Z", "Z", l), fwd.z)
            f = layer.activation.name
            f_tex = f.replace("_", r"\_")
            Z = self.L_sup("Z", "Z", l)
            self.add(Eqs([Eq([self.L_sup("A", "A", l), M(f"{f}({Z.u})", rf"\operatorname{{{f_tex}}}({Z.t})")])]))
            self.matrix(self.L_sup("A", "A", l), fwd.a)

    def loss_matrix(self, step: StepRecord) -> None:
        self.phase("Loss")
        p = self.problem
        self.matrix(M("Lₙ", "L_n"), step.losses[:, None])
        N = len(step.examples)
        red = M(f"(1/{N})·Σₙ Lₙ", rf"\frac{{1}}{{{N}}} \sum_n L_n") if p.batch_reduction == "mean" and N > 1 else M("Σₙ Lₙ", r"\sum_n L_n")
        self.add(Eqs([Eq([L_SYM, red, self.n(step.loss)])]))

    def dL_dA(self, l: int) -> M:
        return M(f"∂L/∂A{superscript(f'({l})')}", rf"\frac{{\partial L}}{{\partial A^{{({l})}}}}")

    def backward_matrix(self, step: StepRecord) -> None:
        self.phase("Backward pass")
        p = self.problem
        N = len(step.examples)
        r = M(f"(1/{N})·", rf"\frac{{1}}{{{N}}}") if p.batch_reduction == "mean" and N > 1 else EMPTY
        for rec in step.backward:
            l = rec.layer
            layer = p.layers[l - 1]
            self.add(Heading(3, f"Layer {l} ({layer.name})"))
            D = self.L_sup("δ", r"\delta", l)
            if l == len(p.layers):
                if rec.shortcut:
                    pair = SHORTCUTS[(layer.activation.name, p.loss.name)]
                    K = layer.units
                    closed = (M("Ŷ − Y", r"\hat Y - Y") if p.loss.name == "cross_entropy" or K == 1
                              else M(f"(Ŷ − Y)/{K}", rf"\frac{{\hat Y - Y}}{{{K}}}"))
                    self.add(Eqs([Eq([D, closed])]))
                    self.add(note(f"Why: {pair.why}."))
                else:
                    grad = p.loss.gradient_formula
                    self.add(Eqs([Eq([self.dL_dA(l), M(grad[0].split(" = ", 1)[1], grad[1].split(" = ", 1)[1])])]))
                    self.matrix(self.dL_dA(l), rec.dL_da)
                    self.delta_matrix(rec, l, D)
            else:
                above = p.layers[l]
                Wa = self.L_sup("W", "W", l + 1)
                prod = self.L_sup("δ", r"\delta", l + 1) + DOT + (Wa if above.layout == "out_in" else transpose(Wa))
                self.add(Eqs([Eq([self.dL_dA(l), prod])]))
                remark = "with the weights from before the update"
                if above.bias_form == "augmented":
                    remark += "; the bias " + ("column" if above.layout == "out_in" else "row") + " of W" + superscript(f"({l + 1})") + " is left out (it multiplies a constant 1)"
                self.add(note(remark + "."))
                self.matrix(self.dL_dA(l), rec.dL_da)
                self.delta_matrix(rec, l, D)
            A_in = M("X", "X") if l == 1 else self.L_sup("A", "A", l - 1)
            grad = r + (transpose(D) + DOT + A_in if layer.layout == "out_in" else transpose(A_in) + DOT + D)
            G = M(f"∂L/∂{self.L_sup('W', 'W', l).u}", rf"\frac{{\partial L}}{{\partial W^{{({l})}}}}")
            self.add(Eqs([Eq([G, grad])]))
            self.matrix(G, layer.weights_as_given(rec.dL_dW, rec.dL_db))
            if layer.separate_bias:
                Gb = M(f"∂L/∂{self.L_sup('b', 'b', l).u}", rf"\frac{{\partial L}}{{\partial b^{{({l})}}}}")
                self.add(Eqs([Eq([Gb, r + M("Σₙ ", r"\sum_n ") + D])]))
                self.matrix(Gb, rec.dL_db[None, :])
        W1 = self.L_sup("W", "W", 1)
        first = p.layers[0]
        dX = M("∂L/∂X", r"\frac{\partial L}{\partial X}")
        self.add(Eqs([Eq([dX, r + self.L_sup("δ", r"\delta", 1) + DOT + (W1 if first.layout == "out_in" else transpose(W1))])]))
        self.matrix(dX, step.dL_dx)

    def delta_matrix(self, rec, l: int, D: M) -> None:
        layer = self.problem.layers[l - 1]
        if rec.da_dz is not None:
            F = M(f"f′({self.L_sup('Z', 'Z', l).u})", rf"f'(Z^{{({l})}})")
            self.add(Eqs([Eq([F, M(layer.activation.derivative_formula[0].split(" = ", 1)[-1], layer.activation.derivative_formula[1].split(" = ", 1)[-1])])]))
            self.matrix(F, rec.da_dz)
            self.add(Eqs([Eq([D, self.dL_dA(l) + M(" ⊙ ", r" \odot ") + F])]))
        else:
            A, G = self.L_sup("A", "A", l), self.dL_dA(l)
            self.add(Eqs([Eq([D, A + M(" ⊙ (", r" \odot \left(") + G + M(" − rowsum(", r" - \operatorname{rowsum}(") + G + M(" ⊙ ", r" \odot ") + A + M("))", r")\right)")])]))
        self.matrix(D, rec.delta)

    def updates_matrix(self, step: StepRecord) -> None:
        self.phase("Updates")
        p = self.problem
        for upd in step.update:
            l = upd.layer
            layer = p.layers[l - 1]
            Wl = self.L_sup("W", "W", l)
            rule = M(" − η·v", r" - \eta\, v") if p.momentum > 0 else M(f" − η·∂L/∂{Wl.u}", rf" - \eta \frac{{\partial L}}{{\partial {Wl.t}}}")
            self.add(Eqs([Eq([plus(Wl), Wl + rule])]))
            self.matrix(plus(Wl), layer.weights_as_given(upd.W, upd.b))
            if layer.separate_bias:
                self.matrix(plus(self.L_sup("b", "b", l)), upd.b[None, :])

    # ------------------------------------------------------------------ epochs

    def epoch_end(self, epoch: EpochRecord) -> None:
        if epoch.loss_after is None:  # a non-finite value ended this epoch early
            return
        n = self.n
        before = "the epoch" if self.sub_phases else "the update"
        self.add(Heading(3 if self.sub_phases else 2, f"Loss after {before}"))
        N = self.problem.n_examples
        over = f" over all {N} examples" if N > 1 else ""
        result = text(f"With the new weights{over}, ", M(f"L = {n.text(epoch.loss_after)}", f"L = {n(epoch.loss_after).t}"),
                      f" (before {'the epoch' if self.sub_phases else 'the update'}: {n.text(epoch.loss)}).")
        result.style = "result"
        self.add(result)

    def solution(self) -> list[Block]:
        self.problem_section()
        self.givens_end = len(self.blocks)
        for epoch in self.trace.epochs:
            for step in epoch.steps or []:
                self.step_section(epoch, step)
            self.epoch_end(epoch)
        if self.trace.stopped:
            self.add(note(f"The run stopped early: {self.trace.stopped}."))
        return self.blocks


def elide(values: np.ndarray, fmt, max_rows: int = 8, max_cols: int = 6) -> list[list[str]]:
    """Format a matrix, eliding the middle of a large one (⋯ for columns, ⋮ for rows)."""
    rows, cols = values.shape
    ri = list(range(rows)) if rows <= max_rows else list(range(4)) + [None] + list(range(rows - 2, rows))
    ci = list(range(cols)) if cols <= max_cols else list(range(3)) + [None] + list(range(cols - 2, cols))
    out = []
    for r in ri:
        if r is None:
            out.append(["⋮" if c is not None else "⋱" for c in ci])
        else:
            out.append(["⋯" if c is None else fmt(values[r, c]) for c in ci])
    return out


# ----------------------------------------------------------------------------- the step summary


def training_summary(trace: Trace, options: Options) -> list[Block]:
    """``step`` without --trace: a loss table, a loss curve for longer runs, and the final weights."""
    p = trace.problem
    n = Numbers(options.precision)
    blocks: list[Block] = [Heading(1, p.title or p.origin)]
    done = len(trace.epochs)
    blocks.append(text(f"Network {Builder(trace, options).architecture()}, {p.loss.name} loss ({p.batch_reduction} over examples), "
                       f"{p.update} updates, η = {n.text(p.learning_rate)}"
                       + (f", momentum {n.text(p.momentum)}" if p.momentum else "") + f": {done} epoch{'s' if done != 1 else ''}."))
    every = options.every or auto_every(done)
    rows = [[str(e.epoch), n(e.loss), n(e.loss_after) if e.loss_after is not None else "—"]
            for e in trace.epochs if (e.epoch - 1) % every == 0 or e is trace.epochs[-1]]
    blocks.append(Heading(2, "Loss per epoch"))
    blocks.append(Table(["epoch", "loss (before its updates)", "loss after"], rows))
    if done >= 10:
        blocks.append(Curve("loss after each epoch", [e.loss_after for e in trace.epochs if e.loss_after is not None]))
    if trace.stopped:
        blocks.append(note(f"Stopped: {trace.stopped}."))
    blocks.append(Heading(2, "Final weights"))
    nxt = trace.next_problem
    for l, layer in enumerate(nxt.layers, start=1):
        blocks.append(Heading(3, f"Layer {l} ({layer.name}, {layer.layout})"))
        M_ = layer.weights_as_given(layer.W, layer.b)
        blocks.append(Matrix(M(f"W{superscript(f'({l})')}", rf"W^{{({l})}}"), f"{M_.shape[0]}×{M_.shape[1]}", elide(M_, n.text)))
        if layer.separate_bias:
            blocks.append(Matrix(M(f"b{superscript(f'({l})')}", rf"b^{{({l})}}"), f"1×{layer.units}", elide(layer.b[None, :], n.text)))
    blocks.append(note("--format json writes next_problem, from which backprop step continues the run."))
    return blocks


def auto_every(epochs: int, rows: int = 20) -> int:
    """The smallest round step (1, 2, 5, 10, 20, 50, …) that keeps the loss table to about ``rows`` rows."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if epochs <= rows * step:
                return step
        scale *= 10


BLANK = M("______", r"\underline{\qquad\qquad}")


def blanked(block: Block) -> Block | None:
    """A block of the solution with every computed quantity left blank (None: leave the block out)."""
    if isinstance(block, Eqs):
        return Eqs([Eq(eq.sides[:2] + [BLANK] if len(eq.sides) > 2 else [eq.sides[0], BLANK]) for eq in block.rows])
    if isinstance(block, Table):
        return Table(block.header, [[row[0]] + [BLANK] * (len(row) - 1) for row in block.rows], block.numeric)
    if isinstance(block, Matrix):
        return Matrix(block.label, block.shape, [["__"] * len(row) for row in block.cells])
    if isinstance(block, Para) and block.style == "result":
        return text("With the new weights, ", M("L = ", "L = ") + BLANK, ".")
    if isinstance(block, Curve):
        return None
    return block


def worksheet(builder: "Builder", answers: bool) -> list[Block]:
    """The solution page with the givens filled in and every computed quantity blank; the key after it if asked."""
    full = builder.solution()
    givens, work = full[: builder.givens_end], full[builder.givens_end:]
    title = givens[0]
    page = [Heading(1, f"Worksheet: {title.text}")] + [b for b in givens[1:] if not (isinstance(b, Para) and b.style == "notes")]
    page.append(note("Fill in every blank; the formulas say what each one is. "
                     "backprop check can grade your answers."))
    page += [b for b in map(blanked, work) if b is not None]
    if answers:
        page += [Heading(1, f"Answer key: {title.text}")] + work
    return page


def build(trace: Trace, options: dict) -> list[Block]:
    """The page for a trace: the full solution when it has steps, else the training summary; or a worksheet."""
    opt = Options(precision=options.get("precision", 4), detail=options.get("detail", "auto"), every=options.get("every") or 0)
    if options.get("worksheet"):
        return worksheet(Builder(trace, opt), options.get("answers", False))
    if trace.epochs and trace.epochs[0].steps is None:
        return training_summary(trace, opt)
    return Builder(trace, opt).solution()
