"""The worked solution as a sequence of blocks, in textbook order: the conductor.

This module turns a trace into headings, paragraphs, equations, tables and
matrices (render/blocks.py); the rich, markdown and latex renderers only lay
those blocks out. It reads the trace and never recomputes a number: every
value shown is a value the engine recorded (substituted expressions are
written out, not evaluated).

The page states the problem, then works each update phase by phase
(render/forward.py, loss.py, backward.py, update.py), in scalar or matrix
detail; ``step`` without --trace gets a summary (render/summary.py) and
``worksheet`` a page with blanks (render/worksheet.py). Names follow
backprop_cli/names.py.
"""

from __future__ import annotations

from ..names import Names, given_order, unit_name
from ..problem import Layer
from ..trace import EpochRecord, StepRecord, Trace
from . import backward, forward, loss, perceptron, update, update_rule
from .blocks import Block, Curve, Eq, Eqs, Heading, Hint, Matrix, PageBreak, Para, Style, Table, note, text
from .loss import strengths
from .mathtext import M
from .sheet import Options, Sheet, architecture
from .summary import training_summary
from .symbols import of_layer, tex_name
from .worksheet import worksheet

__all__ = [
    "build",
    "Block",
    "Curve",
    "Eq",
    "Eqs",
    "Heading",
    "Hint",
    "Matrix",
    "PageBreak",
    "Para",
    "Style",
    "Table",
    "text",
    "note",
    "Names",
    "Options",
]

# ----------------------------------------------------------------------------- the problem


def problem_section(s: Sheet) -> None:
    p = s.problem
    s.add(Heading(1, p.title or p.origin))
    if p.source:
        s.add(text(f"Source: {p.source}"))
    if p.notes:
        notes = note(f"Notes: {p.notes}")
        notes.style = Style.NOTES  # may hold answers: a worksheet leaves them out
        s.add(notes)
    s.add(Heading(2, "The problem"))
    names = ", ".join(f"{layer.name} ({layer.units})" for layer in p.layers)
    s.add(text(f"Network: {architecture(p)}. {_inputs(p.X.shape[1])}; {_layers(names, len(p.layers))}."))
    for i, layer in enumerate(p.layers):
        layer_givens(s, i, layer)
    data_table(s)
    loss_and_training(s)


def layout_words(s: Sheet, i: int, layer: Layer) -> str:
    prev = "x" if i == 0 else s.problem.layers[i - 1].name
    unit_j = "unit j" if s.sym.scheme == "global" else unit_name(layer.name, 0).replace("0", "j")  # hj, h2_j
    if layer.layout == "out_in":
        words = (
            f"out_in: row j holds the weights into {unit_j}, one column per input from {prev} "
            "(W·x + b, like PyTorch's nn.Linear.weight)"
        )
    else:
        words = (
            f"in_out: row i holds the weights out of input i from {prev}, one column per unit of {layer.name} "
            "(xᵀ·W + b)"
        )
    if layer.bias_form == "threshold":
        words = words.replace("W·x + b", "W·x − θ").replace("xᵀ·W + b", "xᵀ·W − θ")
    if layer.bias_form == "augmented":
        words += (
            "; the bias is folded in as the last "
            + ("column" if layer.layout == "out_in" else "row")
            + f", multiplying a constant {'−1' if layer.bias_sign < 0 else '1'}"
        )
    return words


def layer_givens(s: Sheet, i: int, layer: Layer) -> None:
    act, sym, fmt = layer.activation, s.sym, s.fmt
    params = "".join(f", {act.params[k].symbol[0]} = {fmt.given(v).u}" for k, v in layer.activation_params.items())
    units = f"{layer.units} unit{'s' if layer.units > 1 else ''}"
    s.add(Heading(3, f"Layer {i + 1} ({layer.name}): {units}, {act.name}{params}"))
    s.add(text(f"Weights {layout_words(s, i, layer)}."))
    if s.scalar:
        rows = []
        for j, k in given_order(layer):
            src, dst = sym.source(i, k), sym.label(sym.units[i][j])
            rows.append([sym.w(i, j, k), M(f"{src.u} → {dst.u}", rf"{src.t} \to {dst.t}"), fmt.given(layer.W[j, k])])
        for j in sym.bias_units(i):  # one row for a shared bias
            what = "threshold of" if layer.bias_form == "threshold" else "bias of"
            if layer.bias_sign < 0 and layer.bias_form != "threshold":
                what = "weight on a constant −1 input of"
            unit = f"{layer.name} (all its units)" if layer.bias_form == "shared" else sym.units[i][j]
            connects = M(f"{what} {unit}", rf"\text{{{what} }} {tex_name(unit)}")
            rows.append([sym.b(i, j), connects, fmt.given(layer.b[j])])
        s.add(Table(["", "connects", "value"], rows))
    else:
        s.matrix(of_layer("W", "W", i + 1), layer.weights_as_given(layer.W, layer.b), given=True)
        if layer.separate_bias:
            s.matrix(of_layer("b", "b", i + 1), layer.b[None, :], given=True)
    if layer.bias_form == "number" and layer.b is not None:
        s.add(note(f"bias: {fmt.given(layer.b[0]).u} gives every unit of {layer.name} its own bias with that value."))
    s.add(text("Activation: ", M(*act.formula), "; ", M(*act.derivative_formula), "."))
    if layer.dropout:
        masks = (
            "the masks the file gives, one row per example"
            if layer.masks is not None
            else f"masks drawn from seed {s.problem.seed or 0} for each update"
        )
        s.add(
            text(
                f"Dropout: p = {fmt.given(layer.dropout).u}, {masks}; a = f(z)·mask/(1 − p) in training, "
                "a = f(z) when the loss after an epoch is evaluated."
            )
        )


def data_table(s: Sheet) -> None:
    p, sym = s.problem, s.sym
    s.add(Heading(3, "Data"))
    header = ["example"] + [sym.label(x) for x in sym.inputs] + [sym.y(k) for k in range(p.Y.shape[1])]
    rows = [[str(n + 1)] + [s.fmt.given(v) for v in (*p.X[n], *p.Y[n])] for n in range(p.n_examples)]
    if len(rows) > 12:
        rows = rows[:6] + [["⋮"] + [""] * (len(header) - 1)] + rows[-3:]
    s.add(Table(header, rows))


def loss_and_training(s: Sheet) -> None:
    p = s.problem
    if p.rule == "perceptron":
        s.add(Heading(3, "Training"))
        s.add(text(perceptron.words(s) + "."))
        return
    s.add(Heading(3, "Loss and training"))
    s.add(
        text(
            "Loss per example: ",
            M(*p.loss.formula),
            f" ({p.loss.name}), where ŷ is the output of {p.layers[-1].name} and y the target; ",
            M(*p.loss.gradient_formula),
            ".",
        )
    )
    red = "the mean (1/N)·Σₙ Lₙ" if p.batch_reduction == "mean" else "the sum Σₙ Lₙ"
    mode = {
        "batch": "batch: one update per epoch, over all examples",
        "stochastic": "stochastic: one update per example, in file order",
        "minibatch": f"minibatch: one update per {p.batch_size} consecutive examples, in file order",
    }[p.update]
    s.add(
        text(
            f"The loss of an update over N examples is {red} (batch_reduction: {p.batch_reduction}). "
            f"Update: {mode}. Learning rate η = {s.fmt.given(p.learning_rate).u}; "
            f"epochs: {p.epochs}."
        )
    )
    bias = "biases are trained the same way" if p.train_bias else "biases stay fixed (train_bias: false)"
    s.add(text(f"{update_rule.words(s)}; {bias}."))
    given = strengths(s)
    if given:
        adds = " and ".join(
            f"{kind}: {lam.u} = {s.fmt.given(v).u} adds " + (f"({lam.u}/2)·Σw²" if kind == "l2" else f"{lam.u}·Σ|w|")
            for kind, lam, v in given
        )
        gains = " + ".join(f"{lam.u}·w" if kind == "l2" else f"{lam.u}·sign(w)" for kind, lam, _ in given)
        s.add(
            text(
                f"Penalty: {adds} to the loss of each update, over every weight and never a bias, so "
                f"{s.sym.d_loss(M('w', 'w')).u} "
                f"gains {gains}. (Unlike an optimizer's weight_decay, a penalty is part of the loss.)"
            )
        )


# ----------------------------------------------------------------------------- the updates


def step_section(s: Sheet, epoch: EpochRecord, step: StepRecord) -> None:
    if s.problem.rule == "perceptron":
        perceptron.step_section(s, epoch, step)
        return
    if s.sub_phases:
        ex = ", ".join(str(i + 1) for i in step.examples)
        plural = "s" if len(step.examples) > 1 else ""
        s.add(Heading(2, f"Epoch {epoch.epoch}, update {step.number} (example{plural} {ex})"))
    for phase in (forward, loss, backward, update):
        (phase.scalar if s.scalar else phase.matrix)(s, step)


def epoch_end(s: Sheet, epoch: EpochRecord) -> None:
    """The loss over all examples after the epoch, the loss before it, and (several updates) their mean loss."""
    if epoch.loss_after is None:  # a non-finite value ended this epoch early
        return
    if s.problem.rule == "perceptron":
        perceptron.epoch_end(s, epoch)
    fmt = s.fmt
    before = "the epoch" if s.sub_phases else "the update"
    s.add(Heading(3 if s.sub_phases else 2, f"Loss after {before}"))
    N = s.problem.n_examples
    over = f" over all {N} examples" if N > 1 else ""
    after = s.sym.loss + M(f" = {fmt.text(epoch.loss_after)}", f" = {fmt(epoch.loss_after).t}")
    result = text(
        f"With the new weights{over}{evaluated_without(s)}, ", after, f" ({', '.join(loss_before(s, epoch))})."
    )
    result.style = Style.RESULT
    s.add(result)


def evaluated_without(s: Sheet) -> str:
    """What the loss after an epoch includes and leaves out: the penalty at the new weights; no dropout."""
    p = s.problem
    said = []
    if p.l2 or p.l1:
        said.append("the penalty at the new weights included")
    if any(layer.dropout for layer in p.layers):
        said.append("evaluated without dropout, as in evaluation mode")
    return f" ({'; '.join(said)})" if said else ""


def loss_before(s: Sheet, epoch: EpochRecord) -> list[str]:
    """What the page can truly say about the loss before an epoch.

    With one update per epoch, the epoch's loss is the loss at the weights it started from. With several,
    it is the mean of the updates' losses, each at the weights before its own update: it gets its own name,
    and the loss before the epoch is the trace's loss_start when the engine recorded it.
    """
    fmt = s.fmt
    updates = len(s.problem.batches())
    start = getattr(epoch, "loss_start", None)
    if updates == 1:
        return [f"before {'the epoch' if s.sub_phases else 'the update'}: {fmt.text(epoch.loss)}"]
    said = [f"before the epoch: {fmt.text(start)}"] if start is not None else []
    return said + [f"mean loss over the epoch's {updates} updates, each before its own update: {fmt.text(epoch.loss)}"]


def solution(s: Sheet) -> int:
    """Write the whole solution; the number of blocks that state the problem (the givens)."""
    problem_section(s)
    givens_end = len(s.blocks)
    for epoch in s.trace.epochs:
        for step in epoch.steps or []:
            step_section(s, epoch, step)
        epoch_end(s, epoch)
    if s.trace.stopped:
        s.add(note(f"The run stopped early: {s.trace.stopped}."))
    return givens_end


def build(trace: Trace, options: dict) -> list[Block]:
    """The page for a trace: the full solution when it has steps, else the training summary; or a worksheet."""
    opt = Options(
        precision=options.get("precision", 4),
        detail=options.get("detail", "auto"),
        every=options.get("every") or 0,
        notation=options.get("notation") or "auto",
    )
    if trace.epochs and trace.epochs[0].steps is None and not options.get("worksheet"):
        return training_summary(trace, opt)
    s = Sheet(trace, opt)
    givens_end = solution(s)
    if options.get("worksheet"):
        return worksheet(s.blocks, givens_end, options.get("answers", False))
    return s.blocks


def _inputs(n: int) -> str:
    return "Input x1" if n == 1 else f"Inputs x1…x{n}"


def _layers(names: str, count: int) -> str:
    if count == 1:
        return f"one layer, {names}, the output layer"
    return f"layers {names}, numbered 1 to {count} from the first hidden layer to the output layer"
