"""The forward pass: net input and activation of every unit (scalar detail), or Z and A per layer (matrix detail).

Activation display comes from the activation's table entry: ``symbolic`` with
the unit's names filled in, ``expand(z)`` with its numbers (render/sheet.py's
``unit_placeholders``).
"""

from __future__ import annotations

from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading, note, text
from .mathtext import DOT, M, fill, join
from .sheet import Sheet, unit_placeholders
from .symbols import of_layer, tex_name, transpose


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Forward pass")
    many = len(step.examples) > 1
    for n, row in enumerate(step.examples):
        if many:
            xs = ", ".join(s.fmt.given(v).u for v in s.problem.X[row])
            s.add(Heading(3, f"Example {row + 1}: x = ({xs})"))
        for fwd in step.forward:
            s.add(Eqs(unit_lines(s, step, fwd.layer - 1, fwd, n, row)))
            if fwd.mask is not None and n == 0:
                dropout_note(s, fwd.layer - 1)


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
        symbolic, expanded = fill(act.symbolic, **names[j]), fill(act.expand(z), **numbers[j])
        sides = [sym.out(li, j), symbolic, expanded]
        if fwd.mask is not None:  # a = f(z)·mask/(1 − p), then the recorded f(z) times the mask and the scaling
            times_mask = DOT + s.fmt.given(fwd.mask[n, j]) + keep_scale(s, layer, numbers=True)
            sides[1] = symbolic + DOT + mask_name(s, li, j) + keep_scale(s, layer, numbers=False)
            sides[2] = expanded + times_mask
            if fwd.f is not None:
                sides.append(num(fwd.f[n, j]) + times_mask)
            note = (note + "; " if note else "") + ("kept" if fwd.mask[n, j] else "dropped")
        if fwd.parts is not None and act.evaluated is not None:  # the recorded parts as numbers (e^z, their sum)
            parts = fwd.parts[n]
            sides.append(fill(act.evaluated, e=num(parts[j]), esum=join(num(x) for x in parts)))
        rows.append(Eq([*sides, num(fwd.a[n, j])], note))
    return rows


def mask_name(s: Sheet, li: int, j: int) -> M:
    u = s.sym.units[li][j]
    return M(f"mask_{u}", rf"\mathrm{{mask}}_{{{tex_name(u)}}}")


def keep_scale(s: Sheet, layer, numbers: bool) -> M:
    """/(1 − p): the scaling of a kept unit, with p's name or its value."""
    p = s.fmt.given(layer.dropout) if numbers else M("p", "p")
    return M(f"/(1 − {p.u})", rf"/(1 - {p.t})")


def dropout_note(s: Sheet, li: int) -> None:
    layer = s.problem.layers[li]
    s.add(
        note(
            f"Dropout on {layer.name} with p = {s.fmt.given(layer.dropout).u}: each unit's output is multiplied "
            "by its mask (1 keep, 0 drop) and divided by 1 − p, so a kept unit is scaled up and a dropped one "
            "is 0, as PyTorch's nn.Dropout in training mode."
        )
    )


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Forward pass")
    s.add(text(f"One row per example of this update (N = {len(step.examples)})."))
    for fwd in step.forward:
        number = fwd.layer
        layer = s.problem.layers[number - 1]
        A_in = M("X", "X") if number == 1 else of_layer("A", "A", number - 1)
        Wl = of_layer("W", "W", number)
        if layer.bias_form == "augmented":
            one = M("−1", "-1") if layer.bias_sign < 0 else M("1", "1")
            A_in = M(f"[{A_in.u}, {one.u}]", rf"[{A_in.t},\ {one.t}]")
        prod = A_in + DOT + (transpose(Wl) if layer.layout == "out_in" else Wl)
        if layer.separate_bias:
            theta = layer.bias_form == "threshold"
            prod = (
                prod
                + M(" − " if theta else " + ", " - " if theta else " + ")
                + of_layer("θ" if theta else "b", r"\theta" if theta else "b", number)
            )
        Z = of_layer("Z", "Z", number)
        s.add(Eqs([Eq([Z, prod])]))
        s.matrix(Z, fwd.z)
        f = layer.activation.name
        f_tex = f.replace("_", r"\_")
        A = M(f"{f}({Z.u})", rf"\operatorname{{{f_tex}}}({Z.t})")
        if fwd.mask is not None:
            if fwd.f is not None:  # f(Z) before dropout, then the mask that multiplies it
                s.matrix(A, fwd.f)
            mask = of_layer("Mask", r"\mathrm{Mask}", number)
            s.matrix(mask, fwd.mask, given=layer.masks is not None)
            A = A + M(" ⊙ ", r" \odot ") + mask + keep_scale(s, layer, numbers=False)
        s.add(Eqs([Eq([of_layer("A", "A", number), A])]))
        s.matrix(of_layer("A", "A", number), fwd.a)
        if fwd.mask is not None:
            dropout_note(s, number - 1)
