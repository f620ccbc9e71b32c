"""The forward pass: net input and activation of every unit (scalar detail), or Z and A per layer (matrix detail).

Activation display comes from the activation's table entry: ``symbolic`` with
the unit's names filled in, ``expand(z)`` with its numbers (render/sheet.py's
``unit_placeholders``).
"""

from __future__ import annotations

from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading, text
from .mathtext import DOT, M, fill, join
from .sheet import Sheet, unit_placeholders
from .symbols import of_layer, transpose


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Forward pass")
    many = len(step.examples) > 1
    for n, row in enumerate(step.examples):
        if many:
            xs = ", ".join(s.fmt.given(v).u for v in s.problem.X[row])
            s.add(Heading(3, f"Example {row + 1}: x = ({xs})"))
        for fwd in step.forward:
            s.add(Eqs(unit_lines(s, step, fwd.layer - 1, fwd, n, row)))


def unit_lines(s: Sheet, step: StepRecord, li: int, fwd, n: int, row: int) -> list[Eq]:
    """net and out of every unit of layer li (from 0) for the n-th example of the update (data row ``row``)."""
    layer = s.problem.layers[li]
    sym, num = s.sym, s.fmt
    W, b = step.update[li].W_before, step.update[li].b_before  # the weights this update used
    rows = []
    for j in range(layer.units):
        terms = [sym.w(li, j, i) + DOT + sym.input_of(li, i) for i in range(layer.n_in)]
        values = [s.pval(W[j, i], layer.W[j, i]) + DOT + s.input_value(li, fwd, n, i, row) for i in range(layer.n_in)]
        if W[j, 0] < 0:  # the first term of a sum needs no parentheses around a negative first factor
            values[0] = s.val(W[j, 0], layer.W[j, 0]) + DOT + s.input_value(li, fwd, n, 0, row)
        names, numbers = join(terms), join(values)
        if layer.b is not None:  # + b1, − θ4 or + w04·(−1), as the layer's bias form is written
            k = sym.bias_at(li, j)
            names, numbers = sym.bias_sum(li, j, names, numbers, s.pval(b[k], layer.b[k]))
        rows.append(Eq([sym.net(li, j), names, numbers, num(fwd.z[n, j])]))
    act = layer.activation
    names, numbers = unit_placeholders(s, li, fwd, None, n)
    for j in range(layer.units):
        z = fwd.z[n, j]
        note = s.kink_note(li, j, z) if act.kinked else ""
        rows.append(Eq([sym.out(li, j), fill(act.symbolic, **names[j]), fill(act.expand(z), **numbers[j]),
                        num(fwd.a[n, j])], note))
    return rows


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Forward pass")
    s.add(text(f"One row per example of this update (N = {len(step.examples)})."))
    for fwd in step.forward:
        number = fwd.layer
        layer = s.problem.layers[number - 1]
        A_in = M("X", "X") if number == 1 else of_layer("A", "A", number - 1)
        Wl = of_layer("W", "W", number)
        if layer.bias_form == "augmented":
            A_in = M(f"[{A_in.u}, 1]", rf"[{A_in.t},\ 1]")
        prod = A_in + DOT + (transpose(Wl) if layer.layout == "out_in" else Wl)
        if layer.separate_bias:
            prod = prod + M(" + ", " + ") + of_layer("b", "b", number)
        Z = of_layer("Z", "Z", number)
        s.add(Eqs([Eq([Z, prod])]))
        s.matrix(Z, fwd.z)
        f = layer.activation.name
        f_tex = f.replace("_", r"\_")
        s.add(Eqs([Eq([of_layer("A", "A", number), M(f"{f}({Z.u})", rf"\operatorname{{{f_tex}}}({Z.t})")])]))
        s.matrix(of_layer("A", "A", number), fwd.a)
