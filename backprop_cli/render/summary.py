"""``step`` without --trace: a loss table, a loss curve for longer runs, and the final weights."""

from __future__ import annotations

import numpy as np

from ..optimizers import DEFAULT
from ..trace import Trace
from .blocks import Block, Curve, Heading, Matrix, Table, hint, note, text
from .mathtext import Numbers
from .sheet import Options, architecture, ascii_text, elide
from .symbols import of_layer


def training_summary(trace: Trace, options: Options) -> list[Block]:
    p = trace.problem
    fmt = Numbers(options.precision, options.notation)
    blocks: list[Block] = [Heading(1, p.title or p.origin)]
    done = len(trace.epochs)
    momentum = f", momentum {fmt.given(p.momentum).u}" if p.momentum else ""
    if p.optimizer.name != DEFAULT or p.rule == "perceptron":
        momentum = ", the perceptron rule" if p.rule == "perceptron" else f", optimizer {p.optimizer.name}"
    blocks.append(
        text(
            f"Network {architecture(p)}, {p.loss.name} loss ({p.batch_reduction} over examples), "
            f"{p.update} updates, η = {fmt.given(p.learning_rate).u}{momentum}: "
            f"{done} epoch{'s' if done != 1 else ''}."
        )
    )
    blocks.append(Heading(2, "Loss per epoch"))
    blocks.append(loss_table(trace, fmt, options.every or auto_every(done)))
    if done >= 10:
        blocks.append(Curve("loss after each epoch", [e.loss_after for e in trace.epochs if e.loss_after is not None]))
    if trace.stopped:
        blocks.append(note(f"Stopped: {trace.stopped}."))
    blocks.append(Heading(2, "Final weights"))
    for number, layer in enumerate(trace.next_problem.layers, start=1):
        blocks.append(Heading(3, f"Layer {number} ({layer.name}, {layer.layout})"))
        final = layer.weights_as_given(layer.W, layer.b)
        cell = ascii_text(fmt)
        blocks.append(Matrix(of_layer("W", "W", number), f"{final.shape[0]}×{final.shape[1]}", elide(final, cell)))
        if layer.separate_bias:
            blocks.append(Matrix(of_layer("b", "b", number), f"1×{layer.units}", elide(layer.b[None, :], cell)))
    blocks.append(hint("--format json writes next_problem, from which backprop step continues the run."))
    return blocks


def loss_table(trace: Trace, fmt: Numbers, every: int) -> Table:
    """Every ``every``-th epoch's loss before and after it.

    With one update per epoch, the epoch's loss is the loss before it. With several, it is the mean of the
    updates' losses, each before its own update: a column of its own, beside the true loss before the epoch
    (the trace's loss_start) when the engine recorded it.
    """
    shown = [e for e in trace.epochs if (e.epoch - 1) % every == 0 or e is trace.epochs[-1]]
    one_update = len(trace.problem.batches()) == 1
    starts = [getattr(e, "loss_start", None) for e in shown]
    with_start = not one_update and all(v is not None for v in starts)
    header = ["epoch"] + (["loss before"] if one_update or with_start else [])
    header += [] if one_update else ["mean loss over its updates"]
    header += ["loss after"]
    columns = [[str(e.epoch) for e in shown]]  # each column of losses in one number style (Numbers.column)
    per_mistake = mistake_loss(trace.problem)
    if per_mistake:  # the perceptron's mistakes per epoch, from its summed loss
        header.insert(1, "mistakes")
        reduced_over = trace.problem.n_examples if trace.problem.batch_reduction == "mean" else 1
        columns.append([str(round(e.loss * reduced_over / per_mistake)) for e in shown])
    columns += [fmt.column(starts)] if with_start else []
    columns += [fmt.column([e.loss for e in shown]), fmt.column([e.loss_after for e in shown])]
    return Table(header, [list(row) for row in zip(*columns, strict=True)])


def mistake_loss(problem) -> float:
    """The perceptron rule's loss of one wrong output, ½·(high − low)² of its threshold unit (½ for step,
    2 for sign); 0 for backprop. An epoch's mistakes are its summed losses over this."""
    if problem.rule != "perceptron":
        return 0.0
    layer = problem.layers[0]
    high, low = (float(layer.activation(np.array([v]), layer.activation_params)[0]) for v in (1.0, -1.0))
    return 0.5 * (high - low) ** 2


def auto_every(epochs: int, rows: int = 20) -> int:
    """The smallest round step (1, 2, 5, 10, 20, 50, …) that keeps the loss table to about ``rows`` rows."""
    scale = 1
    while True:
        for step in (scale, 2 * scale, 5 * scale):
            if epochs <= rows * step:
                return step
        scale *= 10
