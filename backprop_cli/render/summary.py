"""``step`` without --trace: a loss table, a loss curve for longer runs, and the final weights."""

from __future__ import annotations

from ..trace import Trace
from .blocks import Block, Curve, Heading, Matrix, Table, note, text
from .mathtext import Numbers
from .sheet import Options, architecture, elide
from .symbols import of_layer


def training_summary(trace: Trace, options: Options) -> list[Block]:
    p = trace.problem
    fmt = Numbers(options.precision)
    blocks: list[Block] = [Heading(1, p.title or p.origin)]
    done = len(trace.epochs)
    blocks.append(text(f"Network {architecture(p)}, {p.loss.name} loss ({p.batch_reduction} over examples), "
                       f"{p.update} updates, η = {fmt.text(p.learning_rate)}"
                       + (f", momentum {fmt.text(p.momentum)}" if p.momentum else "")
                       + f": {done} epoch{'s' if done != 1 else ''}."))
    every = options.every or auto_every(done)
    rows = [[str(e.epoch), fmt(e.loss), fmt(e.loss_after) if e.loss_after is not None else "—"]
            for e in trace.epochs if (e.epoch - 1) % every == 0 or e is trace.epochs[-1]]
    blocks.append(Heading(2, "Loss per epoch"))
    blocks.append(Table(["epoch", "loss (before its updates)", "loss after"], rows))
    if done >= 10:
        blocks.append(Curve("loss after each epoch", [e.loss_after for e in trace.epochs if e.loss_after is not None]))
    if trace.stopped:
        blocks.append(note(f"Stopped: {trace.stopped}."))
    blocks.append(Heading(2, "Final weights"))
    for number, layer in enumerate(trace.next_problem.layers, start=1):
        blocks.append(Heading(3, f"Layer {number} ({layer.name}, {layer.layout})"))
        given = layer.weights_as_given(layer.W, layer.b)
        blocks.append(Matrix(of_layer("W", "W", number), f"{given.shape[0]}×{given.shape[1]}", elide(given, fmt.text)))
        if layer.separate_bias:
            blocks.append(Matrix(of_layer("b", "b", number), f"1×{layer.units}", elide(layer.b[None, :], fmt.text)))
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
