"""The backward pass: δ of every unit, then the gradients of every weight and bias, then those of the inputs.

Scalar detail writes one line per unit and weight; matrix detail writes
∂L/∂A, δ and ∂L/∂W per layer. The output layer's δ comes either from the
chain ∂L/∂out · ∂out/∂net, or from the closed form of an (activation, loss)
pair (losses.SHORTCUTS) when the engine used it.
"""

from __future__ import annotations

from ..losses import SHORTCUTS
from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading, note
from .loss import strengths
from .mathtext import DOT, PLUS, M, fill, join, paren, superscript
from .forward import keep_scale, mask_name
from .sheet import Sheet, unit_placeholders
from .symbols import d_loss, of_layer, partial, transpose

# ----------------------------------------------------------------------------- scalar detail


def scalar(s: Sheet, step: StepRecord) -> None:
    s.phase("Backward pass")
    p = s.problem
    n_layers = len(p.layers)
    by_layer = {b.layer: b for b in step.backward}
    many = len(step.examples) > 1
    for li in range(n_layers - 1, -1, -1):
        rec = by_layer[li + 1]
        layer = p.layers[li]
        where = ": the output layer" if li == n_layers - 1 else ": δ sent back from the layer above"
        s.add(Heading(3, f"Layer {li + 1} ({layer.name}){where}"))
        for n, row in enumerate(step.examples):
            if many:
                s.add(Heading(3, f"Example {row + 1}"))
            if li == n_layers - 1:
                output_delta_lines(s, step, rec, n, row)
            else:
                hidden_delta_lines(s, step, rec, by_layer[li + 2], li, n)
        gradient_lines(s, step, rec, li)
    input_gradient_lines(s, step, by_layer[1])


def _loss_values(s: Sheet, step: StepRecord, k: int, n: int, row: int) -> tuple[dict, dict]:
    """The placeholders of a loss template for output k: names, then the numbers of example n (data row ``row``)."""
    p, sym, num = s.problem, s.sym, s.fmt
    out = len(p.layers) - 1
    Kx = M(str(p.layers[out].units), str(p.layers[out].units))
    names = dict(a=sym.out(out, k), y=sym.y(k), py=sym.y(k), K=Kx)
    nums = dict(a=num(step.forward[-1].a[n, k]), y=num.given(p.Y[row, k]), py=num.given_p(p.Y[row, k]), K=Kx)
    return names, nums


def output_delta_lines(s: Sheet, step: StepRecord, rec, n: int, row: int) -> None:
    p, sym, num = s.problem, s.sym, s.fmt
    li = len(p.layers) - 1
    act, loss = p.layers[li].activation, p.loss
    K = p.layers[li].units
    shortcut = SHORTCUTS.get((act.name, loss.name)) if rec.shortcut else None
    rows = []
    if shortcut is not None:
        ysum = float(p.Y[row].sum())
        tpl = shortcut.show(K, abs(ysum - 1.0) < 1e-12)
        for k in range(K):
            names, nums = _loss_values(s, step, k, n, row)
            names["ysum"], nums["ysum"] = M("Σⱼyⱼ", r"\textstyle\sum_j y_j"), num(ysum)
            rows.append(Eq([sym.delta(li, k), fill(tpl, **names), fill(tpl, **nums), num(rec.delta[n, k])]))
        s.add(Eqs(rows))
        s.add(note(f"Why: {shortcut.why}."))
        return
    for k in range(K):
        names, nums = _loss_values(s, step, k, n, row)
        rows.append(Eq([d_loss(sym.out(li, k)), fill(loss.dterm(K), **names), fill(loss.dterm(K), **nums),
                        num(rec.dL_da[n, k])]))
    s.add(Eqs(rows))
    delta_from_dL_da(s, step, rec, li, n)


def delta_from_dL_da(s: Sheet, step: StepRecord, rec, li: int, n: int) -> None:
    """f′(z) and δ = ∂L/∂out ⊙ f′(z) for each unit, or the activation's vector-Jacobian product."""
    sym, num = s.sym, s.fmt
    layer = s.problem.layers[li]
    act = layer.activation
    fwd = step.forward[li]
    names, numbers = unit_placeholders(s, li, fwd, rec, n)
    rows = []
    if act.elementwise:
        if fwd.mask is not None:
            rows.extend(dropout_derivative_lines(s, rec, fwd, li, n))
        for j in range(layer.units if fwd.mask is None else 0):
            z = fwd.z[n, j]
            rows.append(Eq([partial(sym.out(li, j), sym.net(li, j)), fill(act.dsymbolic, **names[j]),
                            fill(act.dexpand(z), **numbers[j]), num(rec.da_dz[n, j])],
                           s.kink_note(li, j, z) if act.kinked else ""))
        for j in range(layer.units):
            rows.append(Eq([sym.delta(li, j), d_loss(sym.out(li, j)) + DOT + partial(sym.out(li, j), sym.net(li, j)),
                            num(rec.dL_da[n, j]) + DOT + num.p(rec.da_dz[n, j]), num(rec.delta[n, j])]))
    else:
        for j in range(layer.units):
            rows.append(Eq([sym.delta(li, j), fill(act.vjp_formula, **names[j]), fill(act.vjp_formula, **numbers[j]),
                            num(rec.delta[n, j])]))
        s.add(note(act.vjp_note))
    s.add(Eqs(rows))
    if fwd.mask is not None and n == 0:
        s.add(note("A dropped unit (mask 0) has ∂out/∂net = 0: its δ is 0, so it sends no δ back and the weights "
                   "into it get no gradient from this example. A kept unit's derivative carries the 1/(1 − p)."))


def dropout_derivative_lines(s: Sheet, rec, fwd, li: int, n: int) -> list[Eq]:
    """∂out/∂net = f′(net)·mask/(1 − p): the activation's derivative at net, written by name (f′ before dropout
    is not recorded), times the mask and the scaling."""
    sym, num = s.sym, s.fmt
    layer = s.problem.layers[li]
    du, dt = (f.split("(z)", 1)[0] for f in layer.activation.derivative_formula)
    rows = []
    for j in range(layer.units):
        net = sym.net(li, j)
        names = M(f"{du}({net.u})", f"{dt}({net.t})") + DOT + mask_name(s, li, j) + keep_scale(s, layer, False)
        values = (M(f"{du}({num(fwd.z[n, j]).u})", f"{dt}({num(fwd.z[n, j]).t})") + DOT
                  + num.given(fwd.mask[n, j]) + keep_scale(s, layer, True))
        rows.append(Eq([partial(sym.out(li, j), net), names, values, num(rec.da_dz[n, j])],
                       "kept" if fwd.mask[n, j] else "dropped: no δ goes back"))
    return rows


def hidden_delta_lines(s: Sheet, step: StepRecord, rec, above, li: int, n: int) -> None:
    """∂L/∂out of layer li from the δs of the layer above (record ``above``), then δ."""
    p, sym, num = s.problem, s.sym, s.fmt
    W_above = rec.W_used
    K = p.layers[li + 1].units
    rows = []
    for j in range(p.layers[li].units):
        names = join(sym.w(li + 1, k, j) + DOT + sym.delta(li + 1, k) for k in range(K))
        file_W = p.layers[li + 1].W
        nums = join((s.val if k == 0 else s.pval)(W_above[k, j], file_W[k, j]) + DOT + num.p(above.delta[n, k])
                    for k in range(K))
        rows.append(Eq([d_loss(sym.out(li, j)), names, nums, num(rec.dL_da[n, j])]))
    s.add(Eqs(rows))
    if li == len(p.layers) - 2 and n == 0:
        s.add(note("Each ∂L/∂out sums the δs of the layer above, each times the weight that carried this unit's output "
                   "to it, with the weights from before the update."))
    delta_from_dL_da(s, step, rec, li, n)


def gradient_lines(s: Sheet, step: StepRecord, rec, li: int) -> None:
    """∂L/∂w = δ·input for every weight of layer li (summed over the update's examples), and ∂L/∂b = δ."""
    p, sym, num = s.problem, s.sym, s.fmt
    layer = p.layers[li]
    fwd = step.forward[li]
    N = len(step.examples)
    sc = s.scale(step)
    rows = []
    for j in range(layer.units):
        for i in range(layer.n_in):
            names, values = _over_examples(sc, sym.delta(li, j) + DOT + sym.input_of(li, i),
                                           [s.term(n, rec.delta[n, j]) + DOT + s.input_value(li, fwd, n, i, row)
                                            for n, row in enumerate(step.examples)])
            if rec.dL_dW_penalty is not None:
                names, values = _with_penalty(s, step, li, j, i, names, values)
            rows.append(Eq([d_loss(sym.w(li, j, i)), names, values, num(rec.dL_dW[j, i])]))
        if layer.b is not None and layer.bias_form != "shared":
            names, values = _over_examples(sc, sym.delta(li, j), [s.term(n, rec.delta[n, j]) for n in range(N)])
            if layer.bias_sign < 0 and N == 1:  # z = … − θ (or + b·(−1)): ∂z/∂θ = −1
                names, values = M("−", "-") + names, M("−", "-") + num.p(rec.delta[0, j])
            elif layer.bias_sign < 0:
                names, values = M("−", "-") + paren(names), M("−", "-") + paren(values)
            rows.append(Eq([d_loss(sym.b(li, j)), names, values, num(rec.dL_db[j])]))
    if layer.bias_form == "shared":  # one bias for the layer: its gradient sums every unit's δ
        names, values = _over_examples(sc, join(sym.delta(li, j) for j in range(layer.units)),
                                       [join(s.term(j, rec.delta[n, j]) for j in range(layer.units)) for n in range(N)])
        rows.append(Eq([d_loss(sym.b(li, 0)), names, values, num(rec.dL_db[0])]))
    what = "δ·(the input the weight multiplies)" + "".join(
        f" + {lam.u}·{'w' if kind == 'l2' else 'sign(w)'}" for kind, lam, _ in strengths(s))
    s.add(Heading(3, f"Gradients of layer {li + 1} ({layer.name}): ∂L/∂w = {what}"))
    s.add(Eqs(rows))


def _with_penalty(s: Sheet, step: StepRecord, li: int, j: int, i: int, names: M, values: M) -> tuple[M, M]:
    """The penalty's part of ∂L/∂w: + λ·w (l2) and + λ·sign(w) (l1), with the weight before the update."""
    w = s.sym.w(li, j, i)
    value_args = step.update[li].W_before[j, i], s.problem.layers[li].W[j, i]
    before, bare = s.pval(*value_args), s.val(*value_args)
    for kind, lam, value in strengths(s):
        lam_value = s.fmt.given(value)
        if kind == "l2":
            names, values = names + PLUS + lam + DOT + w, values + PLUS + lam_value + DOT + before
        else:
            names = names + PLUS + lam + DOT + M(f"sign({w.u})", rf"\operatorname{{sign}}({w.t})")
            values = values + PLUS + lam_value + DOT + M(f"sign({bare.u})", rf"\operatorname{{sign}}({bare.t})")
    return names, values


def _over_examples(sc: M, name: M, values: list[M]) -> tuple[M, M]:
    """A quantity summed over the update's examples (scaled by the batch reduction): Σₙ name, and its terms."""
    if len(values) == 1:
        return name, values[0]
    return sc + M("Σₙ ", r"\sum_n ") + name, sc + paren(join(values)) if sc.u else join(values)


def input_gradient_lines(s: Sheet, step: StepRecord, first) -> None:
    """∂L/∂x of every input and example, from the first layer's δ (record ``first``)."""
    sym, num = s.sym, s.fmt
    W = step.update[0].W_before
    layer = s.problem.layers[0]
    N = len(step.examples)
    sc = s.scale(step)
    rows = []
    for n in range(N):
        for i in range(layer.n_in):
            names = join(sym.w(0, j, i) + DOT + sym.delta(0, j) for j in range(layer.units))
            values = join((s.val if j == 0 else s.pval)(W[j, i], layer.W[j, i]) + DOT + num.p(first.delta[n, j])
                          for j in range(layer.units))
            lhs = d_loss(sym.label(sym.inputs[i]))
            if N > 1:
                lhs = lhs + M(superscript(f"({step.examples[n] + 1})"), f"^{{({step.examples[n] + 1})}}")
            rows.append(Eq([lhs, sc + (paren(names) if sc.u else names), sc + (paren(values) if sc.u else values),
                            num(step.dL_dx[n, i])]))
    s.add(Heading(3, "Gradient with respect to the inputs"))
    s.add(Eqs(rows))


# ----------------------------------------------------------------------------- matrix detail


def dL_dA(layer: int) -> M:
    return M(f"∂L/∂A{superscript(f'({layer})')}", rf"\frac{{\partial L}}{{\partial A^{{({layer})}}}}")


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Backward pass")
    p = s.problem
    r = s.scale(step)
    for rec in step.backward:
        number = rec.layer
        layer = p.layers[number - 1]
        s.add(Heading(3, f"Layer {number} ({layer.name})"))
        D = of_layer("δ", r"\delta", number)
        if number == len(p.layers):
            output_delta_matrix(s, rec, D)
        else:
            above = p.layers[number]
            Wa = of_layer("W", "W", number + 1)
            prod = of_layer("δ", r"\delta", number + 1) + DOT + (Wa if above.layout == "out_in" else transpose(Wa))
            s.add(Eqs([Eq([dL_dA(number), prod])]))
            remark = "with the weights from before the update"
            if above.bias_form == "augmented":
                remark += ("; the bias " + ("column" if above.layout == "out_in" else "row") + " of W"
                           + superscript(f"({number + 1})") + " is left out (it multiplies a constant 1)")
            s.add(note(remark + "."))
            s.matrix(dL_dA(number), rec.dL_da)
            delta_matrix(s, rec, number, D)
        A_in = M("X", "X") if number == 1 else of_layer("A", "A", number - 1)
        grad = r + (transpose(D) + DOT + A_in if layer.layout == "out_in" else transpose(A_in) + DOT + D)
        G = d_loss(of_layer("W", "W", number))
        for kind, lam, _ in strengths(s):
            Wl = of_layer("W", "W", number)
            grad = grad + PLUS + lam + DOT + (Wl if kind == "l2" else M(f"sign({Wl.u})", rf"\operatorname{{sign}}({Wl.t})"))
        s.add(Eqs([Eq([G, grad])]))
        s.matrix(G, layer.weights_as_given(rec.dL_dW, rec.dL_db))
        if layer.separate_bias:
            Gb = d_loss(of_layer("b", "b", number))
            s.add(Eqs([Eq([Gb, r + M("Σₙ ", r"\sum_n ") + D])]))
            s.matrix(Gb, rec.dL_db[None, :])
    W1 = of_layer("W", "W", 1)
    dX = M("∂L/∂X", r"\frac{\partial L}{\partial X}")
    W1_used = W1 if p.layers[0].layout == "out_in" else transpose(W1)
    s.add(Eqs([Eq([dX, r + of_layer("δ", r"\delta", 1) + DOT + W1_used])]))
    s.matrix(dX, step.dL_dx)


def output_delta_matrix(s: Sheet, rec, D: M) -> None:
    """δ of the output layer: the closed form of the pair, or ∂L/∂A then δ."""
    p = s.problem
    number = len(p.layers)
    layer = p.layers[-1]
    if rec.shortcut:
        pair = SHORTCUTS[(layer.activation.name, p.loss.name)]
        s.add(Eqs([Eq([D, M(*pair.matrix(layer.units))])]))
        s.add(note(f"Why: {pair.why}."))
        return
    grad = p.loss.gradient_formula
    s.add(Eqs([Eq([dL_dA(number), M(grad[0].split(" = ", 1)[1], grad[1].split(" = ", 1)[1])])]))
    s.matrix(dL_dA(number), rec.dL_da)
    delta_matrix(s, rec, number, D)


def delta_matrix(s: Sheet, rec, number: int, D: M) -> None:
    """δ⁽ˡ⁾ = ∂L/∂A ⊙ f′(Z), or the activation's vector-Jacobian product."""
    layer = s.problem.layers[number - 1]
    if rec.da_dz is not None:
        F = M(f"f′({of_layer('Z', 'Z', number).u})", rf"f'(Z^{{({number})}})")
        deriv = layer.activation.derivative_formula
        rhs = M(deriv[0].split(" = ", 1)[-1], deriv[1].split(" = ", 1)[-1])
        if layer.dropout:
            mask = of_layer("Mask", r"\mathrm{Mask}", number)
            F = F + M(" ⊙ ", r" \odot ") + mask + keep_scale(s, layer, numbers=False)
            rhs = M(f"f′ before dropout, times the mask and 1/(1 − {s.fmt.given(layer.dropout).u})",
                    rf"f' \text{{ before dropout, times the mask and }} 1/(1 - {s.fmt.given(layer.dropout).t})")
        s.add(Eqs([Eq([F, rhs])]))
        s.matrix(F, rec.da_dz)
        s.add(Eqs([Eq([D, dL_dA(number) + M(" ⊙ ", r" \odot ") + F])]))
    else:
        s.add(Eqs([Eq([D, fill(layer.activation.vjp_matrix, A=of_layer("A", "A", number), G=dL_dA(number))])]))
    s.matrix(D, rec.delta)
