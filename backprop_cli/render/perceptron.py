"""The perceptron rule's page (rule: perceptron): one short section per example, as a first chapter works it.

For each example: the net input (with − θ for a threshold), the output step(net) or
sign(net), the error e = y − ŷ, and the update w ← w + η·e·x (b ← b + η·e,
θ ← θ − η·e) or "no change". There is no backward pass. The engine computed
every value in exact fractions; the page prints the trace's values.
"""

from __future__ import annotations

from ..trace import EpochRecord, StepRecord
from .blocks import Eq, Eqs, Heading, note, text
from .forward import unit_lines
from .mathtext import DOT, M
from .sheet import Sheet
from .symbols import plus


def words(s: Sheet) -> str:
    """The rule in a sentence, for the problem statement."""
    layer = s.problem.layers[0]
    bias = ""
    if layer.b is not None:
        bias = "; θ ← θ − η·e" if layer.bias_sign < 0 and layer.bias_form == "threshold" else "; b ← b + η·e"
        if not s.problem.train_bias:
            bias += " (not here: train_bias is false)"
    return (
        f"Rule: the perceptron rule. For each example in turn: ŷ = {layer.activation.name}(net), the error "
        f"e = y − ŷ, and w ← w + η·e·x{bias}; no change when e = 0. Learning rate η = "
        f"{s.fmt.given(s.problem.learning_rate).u}; epochs: {s.problem.epochs}. The rule is computed in exact "
        "fractions, as by hand, so a net input that is 0 by hand is exactly 0"
    )


def step_section(s: Sheet, epoch: EpochRecord, step: StepRecord) -> None:
    p, sym, fmt = s.problem, s.sym, s.fmt
    row = int(step.examples[0])
    xs = ", ".join(fmt.given(v).u for v in p.X[row])
    ys = ", ".join(fmt.given(v).u for v in p.Y[row])
    s.add(Heading(2, f"Epoch {epoch.epoch}, example {row + 1}: x = ({xs}), y = {ys}"))
    fwd, upd = step.forward[0], step.update[0]
    layer = p.layers[0]
    s.add(Eqs(unit_lines(s, step, 0, fwd, 0, row)))
    errors = []
    for j in range(layer.units):
        e = step.e[0, j]  # the recorded error y − ŷ (0, ±1 or ±2)
        errors.append(e)
        err = M(f"e_{sym.units[0][j]}", rf"e_{{{sym.label(sym.units[0][j]).t}}}")
        s.add(
            Eqs(
                [
                    Eq(
                        [
                            err,
                            sym.y(j) + M(" − ", " - ") + sym.out(0, j),
                            fmt.given(p.Y[row, j]) + M(" − ", " - ") + fmt.p(fwd.a[0, j]),
                            fmt(e),
                        ]
                    )
                ]
            )
        )
    if not any(errors):
        s.add(text("Right: e = 0, so no change."))
        return
    rows = []
    for j in range(layer.units):
        if not errors[j]:
            continue
        err = M(f"e_{sym.units[0][j]}", rf"e_{{{sym.label(sym.units[0][j]).t}}}")
        for i in range(layer.n_in):
            w, x = sym.w(0, j, i), sym.input_of(0, i)
            rows.append(
                Eq(
                    [
                        plus(w),
                        w + M(" + ", " + ") + M("η", r"\eta") + DOT + err + DOT + x,
                        s.val(upd.W_before[j, i], layer.W[j, i])
                        + M(" + ", " + ")
                        + fmt.given(p.learning_rate)
                        + DOT
                        + fmt.p(errors[j])
                        + DOT
                        + s.input_value(0, fwd, 0, i, row),
                        fmt(upd.W[j, i]),
                    ]
                )
            )
        if layer.b is not None and p.train_bias:
            k = 0 if layer.bias_form == "shared" else j
            b = sym.b(0, k)
            sign = M(" − ", " - ") if layer.bias_sign < 0 else M(" + ", " + ")
            rows.append(
                Eq(
                    [
                        plus(b),
                        b + sign + M("η", r"\eta") + DOT + err,
                        s.val(upd.b_before[k], layer.b[k]) + sign + fmt.given(p.learning_rate) + DOT + fmt.p(errors[j]),
                        fmt(upd.b[k]),
                    ]
                )
            )
    s.add(Eqs(rows))


def epoch_end(s: Sheet, epoch: EpochRecord) -> None:
    """The mistakes of the epoch: the examples whose output was wrong (loss > 0)."""
    wrong = [int(st.examples[0]) + 1 for st in epoch.steps or [] if st.loss > 0]
    n = len(epoch.steps or [])
    which = f" (example{'s' if len(wrong) > 1 else ''} {', '.join(map(str, wrong))})" if wrong else ""
    s.add(Heading(3, f"End of epoch {epoch.epoch}"))
    s.add(text(f"Mistakes in this epoch: {len(wrong)} of {n}{which}."))
    if not wrong:
        s.add(note("No mistake: every example is classified right, and the weights no longer change."))
