"""The backward pass: δ of every unit, then the gradients of every weight and bias, then those of the inputs.

Scalar detail writes one line per unit, then the layer's gradients, one line
per weight (render/gradients.py); matrix detail writes ∂L/∂A, δ and ∂L/∂W per
layer. The output layer's δ comes either from the chain ∂L/∂out · ∂out/∂net,
or from the closed form of an (activation, loss) pair (losses.SHORTCUTS) when
the engine used it.
"""

from __future__ import annotations

from ..losses import SHORTCUTS
from ..trace import StepRecord
from .blocks import Eq, Eqs, Heading, note
from .forward import keep_scale, mask_name
from .gradients import gradient_lines, input_gradient_lines
from .loss import strengths
from .mathtext import DOT, PLUS, M, fill, join, paren, superscript
from .sheet import Sheet, unit_placeholders
from .symbols import NEG, of_layer, partial, transpose

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
        error = s.sym.symbol["error"]
        where = ": the output layer" if li == n_layers - 1 else f": {error} sent back from the layer above"
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
    a = step.forward[-1].a[n, k]
    names = dict(a=sym.out(out, k), pa=sym.out(out, k), y=sym.y(k), py=sym.y(k), K=Kx)
    nums = dict(a=num(a), pa=num.p(a), y=num.given(p.Y[row, k]), py=num.given_p(p.Y[row, k]), K=Kx)
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
        if sym.error_signal:
            tpl = negated(tpl)
        for k in range(K):
            names, nums = _loss_values(s, step, k, n, row)
            names["ysum"], nums["ysum"] = M("Σⱼyⱼ", r"\textstyle\sum_j y_j"), num(ysum)
            rows.append(Eq([sym.delta(li, k), fill(tpl, **names), fill(tpl, **nums), num(rec.delta[n, k])]))
        s.add(Eqs(rows))
        s.add(note(f"Why: {shortcut.why}."))
        return
    if sym.error_signal and act.elementwise:
        error = negated(loss.dterm(K))
        error_term_lines(
            s,
            step,
            rec,
            li,
            n,
            [(fill(error, **names), fill(error, **nums)) for names, nums in _loss_values_all(s, step, n, row)],
        )
        return
    for k in range(K):
        names, nums = _loss_values(s, step, k, n, row)
        rows.append(
            Eq(
                [
                    sym.d_loss(sym.out(li, k)),
                    fill(loss.dterm(K), **names),
                    fill(loss.dterm(K), **nums),
                    num(rec.dL_da[n, k]),
                ]
            )
        )
    s.add(Eqs(rows))
    delta_from_dL_da(s, step, rec, li, n)


def _loss_values_all(s: Sheet, step: StepRecord, n: int, row: int) -> list[tuple[dict, dict]]:
    return [_loss_values(s, step, k, n, row) for k in range(s.problem.layers[-1].units)]


def negated(template: tuple[str, str]) -> tuple[str, str]:
    """The negative of a loss's ∂L/∂ŷ template, as the books write the error: ŷ − y becomes y − ŷ (T6 − O6),
    2·(ŷ − y) becomes 2·(y − ŷ); any other is −(…)."""
    u, t = template
    if "$a − $py" in u:
        return u.replace("$a − $py", "$y − $pa"), t.replace("$a - $py", "$y - $pa")
    return f"−({u})", rf"-\left({t}\right)"


def factor(m: M) -> M:
    """``m`` as a factor of a product: parenthesised when it is a sum at its top level (1 − O4², T6 − O6) or
    negative (−0.3·0.1312)."""
    if m.u.startswith("−"):
        return paren(m)
    depth = 0
    for i, c in enumerate(m.u):
        depth += c in "([" and 1 or c in ")]" and -1 or 0
        if depth == 0 and c in "+−" and 0 < i < len(m.u) - 1 and m.u[i - 1] == " ":
            return paren(m)
    return m


def error_term_lines(s: Sheet, step: StepRecord, rec, li: int, n: int, errors: list[tuple[M, M]]) -> None:
    """The error term as the books write it (delta: error_signal): Err_j = f′(I_j)·e_j, where e_j is the error of
    an output unit (T6 − O6) or the weighted sum of the errors above (w46·Err6); one line per unit."""
    sym, num = s.sym, s.fmt
    fwd = step.forward[li]
    names, numbers = unit_placeholders(s, li, fwd, rec, n)
    act = s.problem.layers[li].activation
    rows = []
    for j, (e_names, e_values) in enumerate(errors):
        z = fwd.z[n, j]
        rows.append(
            Eq(
                [
                    sym.delta(li, j),
                    factor(fill(act.dsymbolic, **names[j])) + DOT + factor(e_names),
                    factor(fill(act.dexpand(z), **numbers[j])) + DOT + factor(e_values),
                    num(rec.delta[n, j]),
                ],
                s.kink_note(li, j, z) if act.kinked else "",
            )
        )
    s.add(Eqs(rows))


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
            rows.append(
                Eq(
                    [
                        partial(sym.out(li, j), sym.net(li, j)),
                        fill(act.dsymbolic, **names[j]),
                        fill(act.dexpand(z), **numbers[j]),
                        num(rec.da_dz[n, j]),
                    ],
                    s.kink_note(li, j, z) if act.kinked else "",
                )
            )
        for j in range(layer.units):
            chain = sym.d_loss(sym.out(li, j)) + DOT + partial(sym.out(li, j), sym.net(li, j))
            values = num(rec.dL_da[n, j]) + DOT + num.p(rec.da_dz[n, j])
            if sym.error_signal:  # the error term is −∂L/∂net
                chain, values = NEG + chain, NEG + paren(values)
            rows.append(Eq([sym.delta(li, j), chain, values, num(rec.delta[n, j])]))
    else:
        for j in range(layer.units):
            formula, values = fill(act.vjp_formula, **names[j]), fill(act.vjp_formula, **numbers[j])
            if sym.error_signal:
                formula, values = NEG + paren(formula), NEG + paren(values)
            rows.append(Eq([sym.delta(li, j), formula, values, num(rec.delta[n, j])]))
        s.add(note(act.vjp_note))
    s.add(Eqs(rows))
    if fwd.mask is not None and n == 0:
        s.add(
            note(
                "A dropped unit (mask 0) has ∂out/∂net = 0: its δ is 0, so it sends no δ back and the weights "
                "into it get no gradient from this example. A kept unit's derivative carries the 1/(1 − p)."
            )
        )


def dropout_derivative_lines(s: Sheet, rec, fwd, li: int, n: int) -> list[Eq]:
    """∂out/∂net = f′(net)·mask/(1 − p): the recorded f′(net) before dropout (``rec.df_dz``) times the mask and
    the scaling, equal to the recorded ∂out/∂net. A record without ``df_dz`` writes f′ by name."""
    sym, num = s.sym, s.fmt
    layer = s.problem.layers[li]
    du, dt = (f.split("(z)", 1)[0] for f in layer.activation.derivative_formula)
    rows = []
    for j in range(layer.units):
        net = sym.net(li, j)
        names = M(f"{du}({net.u})", f"{dt}({net.t})") + DOT + mask_name(s, li, j) + keep_scale(s, layer, False)
        z = num(fwd.z[n, j])
        slope = num(rec.df_dz[n, j]) if rec.df_dz is not None else M(f"{du}({z.u})", f"{dt}({z.t})")
        values = slope + DOT + num.given(fwd.mask[n, j]) + keep_scale(s, layer, True)
        rows.append(
            Eq(
                [partial(sym.out(li, j), net), names, values, num(rec.da_dz[n, j])],
                "kept" if fwd.mask[n, j] else "dropped: no δ goes back",
            )
        )
    return rows


def hidden_delta_lines(s: Sheet, step: StepRecord, rec, above, li: int, n: int) -> None:
    """∂L/∂out of layer li from the δs of the layer above (record ``above``), then δ."""
    p, sym, num = s.problem, s.sym, s.fmt
    W_above = rec.W_used
    K = p.layers[li + 1].units
    rows, sums = [], []
    for j in range(p.layers[li].units):
        names = join(sym.w(li + 1, k, j) + DOT + sym.delta(li + 1, k) for k in range(K))
        file_W = p.layers[li + 1].W
        nums = join(
            (s.val if k == 0 else s.pval)(W_above[k, j], file_W[k, j]) + DOT + num.p(above.delta[n, k])
            for k in range(K)
        )
        sums.append((names, nums))
        rows.append(Eq([sym.d_loss(sym.out(li, j)), names, nums, num(rec.dL_da[n, j])]))
    if sym.error_signal and p.layers[li].activation.elementwise:
        error_term_lines(s, step, rec, li, n, sums)
        return
    s.add(Eqs(rows))
    if li == len(p.layers) - 2 and n == 0:
        d_out = sym.d_loss(M(sym.symbol["out"], sym.symbol["out"])).u
        s.add(
            note(
                f"Each {d_out} sums the {sym.symbol['error']}s of the layer above, each times the weight that "
                "carried this unit's output to it, with the weights from before the update."
            )
        )
    delta_from_dL_da(s, step, rec, li, n)


# ----------------------------------------------------------------------------- matrix detail


def dL_dA(layer: int) -> M:
    return M(f"∂L/∂A{superscript(f'({layer})')}", rf"\frac{{\partial L}}{{\partial A^{{({layer})}}}}")


def matrix(s: Sheet, step: StepRecord) -> None:
    s.phase("Backward pass")
    p = s.problem
    r = s.scale(step)
    if s.sym.error_signal:  # δ = −∂L/∂Z: the gradients carry a minus
        r = NEG + r
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
                remark += (
                    "; the bias "
                    + ("column" if above.layout == "out_in" else "row")
                    + " of W"
                    + superscript(f"({number + 1})")
                    + " is left out (it multiplies a constant 1)"
                )
            s.add(note(remark + "."))
            s.matrix(dL_dA(number), rec.dL_da)
            delta_matrix(s, rec, number, D)
        A_in = M("X", "X") if number == 1 else of_layer("A", "A", number - 1)
        grad = r + (transpose(D) + DOT + A_in if layer.layout == "out_in" else transpose(A_in) + DOT + D)
        G = s.sym.d_loss(of_layer("W", "W", number))
        Wl = of_layer("W", "W", number)
        for kind, lam, _ in strengths(s):
            sign = M(f"sign({Wl.u})", rf"\operatorname{{sign}}({Wl.t})")
            grad = grad + PLUS + lam + DOT + (Wl if kind == "l2" else sign)
        s.add(Eqs([Eq([G, grad])]))
        s.matrix(G, layer.weights_as_given(rec.dL_dW, rec.dL_db))
        if layer.separate_bias:
            Gb = s.sym.d_loss(of_layer("b", "b", number))
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
        rule = M(*pair.matrix(layer.units))
        s.add(Eqs([Eq([D, NEG + paren(rule) if s.sym.error_signal else rule])]))
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
            if rec.df_dz is not None:  # f′(Z) before the mask, as recorded
                s.add(Eqs([Eq([F, rhs])]))
                s.matrix(F, rec.df_dz)
            mask = of_layer("Mask", r"\mathrm{Mask}", number)
            F = F + M(" ⊙ ", r" \odot ") + mask + keep_scale(s, layer, numbers=False)
            rhs = M(
                f"f′ before dropout, times the mask and 1/(1 − {s.fmt.given(layer.dropout).u})",
                rf"f' \text{{ before dropout, times the mask and }} 1/(1 - {s.fmt.given(layer.dropout).t})",
            )
        s.add(Eqs([Eq([F, rhs])]))
        s.matrix(F, rec.da_dz)
        rule = dL_dA(number) + M(" ⊙ ", r" \odot ") + F
    else:
        rule = fill(layer.activation.vjp_matrix, A=of_layer("A", "A", number), G=dL_dA(number))
    s.add(Eqs([Eq([D, NEG + paren(rule) if s.sym.error_signal else rule])]))
    s.matrix(D, rec.delta)
