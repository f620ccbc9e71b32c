"""The worked solution of a circuit as page blocks, the way a first lecture on backpropagation works it.

1. The circuit: the inputs, the nodes as written, and each compound node broken
   into one gate per operation with its intermediates named.
2. The forward pass: a table of gates (operation, numbers substituted, value).
3. The backward pass, gate by gate from the output: the local derivatives, then
   upstream × local = downstream for each operand, with the numbers, and the
   pattern the gate follows ("add distributes", "multiply swaps", "max routes").
   Where a value is used by several gates, the terms are added. A local
   derivative is ∂g/∂a; the output gate's is written over its operation,
   ∂(q·z)/∂q, since ∂f/∂q is the gradient of the output (CS231n's "local
   gradient" and the chain rule's product are two things).
4. With ``learning_rate`` and ``train``: one step x ← x − η·∂f/∂x (x ← x + η·∂f/∂x
   with ``maximize``), then the output recomputed at the updated inputs, and
   whether it rose or fell.
5. A summary table of every value and gradient.

Every number comes from the trace; a worksheet leaves each computed one blank,
and keeps the givens: the inputs, a local derivative that is a constant (add's
1), and ∂f/∂f = 1.
"""

from __future__ import annotations

from fractions import Fraction

from ._blocks import BLANK, DOT, Eq, Eqs, Heading, M, Numbers, Table, fill, join, note, paren, text
from .gates import OPS
from .trace import GateRecord, GraphTrace

MINUS = M(" − ", " - ")
INFIX = ("add", "sub", "mul", "div", "pow", "neg")
PLUS = M(" + ", " + ")


def after(x: M) -> M:
    """x⁺, the value after the step."""
    return x + M("⁺", "^{+}")


def sym(name: str) -> M:
    """A name as math: x, w0 -> w_{0}, dot_1 -> \\mathit{dot}_{1}, sigy -> \\mathit{sigy}."""
    head, tail = name, ""
    if "_" in name and name.rsplit("_", 1)[1].isdigit():
        head, tail = name.rsplit("_", 1)
    elif name[-1].isdigit():
        head = name.rstrip("0123456789")
        tail = name[len(head) :]
    h = head.replace("_", r"\_")
    h = h if len(head) == 1 else rf"\mathit{{{h}}}"
    return M(name, f"{h}_{{{tail}}}" if tail else h)


def d(f: str, x: str) -> M:
    """∂f/∂x."""
    return M(f"∂{f}/∂{x}", rf"\frac{{\partial {sym(f).t}}}{{\partial {sym(x).t}}}")


class Fmt:
    """Numbers as shown: float64 to ``precision`` decimals; an exact fraction as an exact decimal, or p/q."""

    def __init__(self, precision: int):
        self.numbers = Numbers(precision)

    def __call__(self, x) -> M:
        if isinstance(x, Fraction):
            q = x.denominator
            while q % 2 == 0:
                q //= 2
            while q % 5 == 0:
                q //= 5
            if q != 1:  # text writes a negative number with the minus sign U+2212, as every other number
                return M(
                    f"{'−' if x < 0 else ''}{abs(x.numerator)}/{x.denominator}",
                    rf"{'-' if x < 0 else ''}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}",
                )
            s = _exact_decimal(x)
            return M(s.replace("-", "−"), s)
        return self.numbers(x)

    def p(self, x) -> M:
        m = self(x)
        return paren(m) if x < 0 else m

    def column(self, xs: list) -> list[M]:
        """A table column's numbers in one style (Numbers.column); exact fractions are exact in any column."""
        if any(isinstance(x, Fraction) for x in xs):
            return [self(x) for x in xs]
        return self.numbers.column(xs)


def _exact_decimal(x: Fraction) -> str:
    sign, x = ("-" if x < 0 else ""), abs(x)
    whole, rest = divmod(x.numerator, x.denominator)
    digits = ""
    while rest and len(digits) < 60:
        rest *= 10
        digit, rest = divmod(rest, x.denominator)
        digits += str(digit)
    return sign + str(whole) + ("." + digits if digits else "")


class Builder:
    def __init__(self, trace: GraphTrace, precision: int = 4, blank: bool = False):
        self.trace, self.problem = trace, trace.problem
        self.fmt = Fmt(precision)
        self.blank = blank
        self.f = self.problem.output

    # ------------------------------------------------------------------ pieces

    def value(self, x) -> M:
        """A computed number (left blank on a worksheet)."""
        return BLANK if self.blank else self.fmt(x)

    def operand_sym(self, rec: GateRecord, k: int) -> M:
        o = rec.gate.operands[k]
        return sym(o.ref) if o.is_ref else self.fmt(o.const)

    def filled(self, template: tuple[str, str], rec: GateRecord, numbers: bool) -> M:
        if numbers:
            vals = [self.fmt(a) for a in rec.args]
            wrapped = [self.fmt.p(a) for a in rec.args]
            out, pout = self.fmt(rec.value), self.fmt.p(rec.value)
        else:
            vals = [self.operand_sym(rec, k) for k in range(len(rec.args))]
            wrapped = [self.fmt.p(o.const) if not o.is_ref else v for o, v in zip(rec.gate.operands, vals, strict=True)]
            out = pout = sym(rec.gate.name)
        slots = {"a": vals[0], "pa": wrapped[0], "out": out, "pout": pout}
        if len(vals) > 1:
            slots |= {"b": vals[1], "pb": wrapped[1]}
        return fill(template, **slots)

    # ------------------------------------------------------------------ sections

    def statement(self) -> list:
        p = self.problem
        blocks = [Heading(1, p.title or "Computational graph")]
        if p.source:
            blocks.append(note(f"Source: {p.source}"))
        if p.notes and not self.blank:
            blocks.append(note(p.notes))
        blocks.append(Heading(2, "The circuit"))
        blocks.append(text("Inputs:"))
        blocks.append(Eqs([Eq([sym(n), self.fmt(v)]) for n, v in self.trace.values.items() if n in p.inputs]))
        blocks.append(text("Nodes, as written (each over the inputs and the nodes before it):"))
        blocks.append(Eqs([Eq([sym(n), M(e, r"\text{" + e + "}")]) for n, e in p.nodes.items()]))
        compound = [n for n in p.nodes if sum(g.node == n for g in p.gates) > 1]
        if compound:
            blocks.append(text("One operation (gate) at a time, with the intermediates named:"))
            rows = [Eq([sym(r.gate.name), self.filled(OPS[r.gate.op].show, r, False)]) for r in self.trace.records]
            blocks.append(Eqs(rows))
        blocks.append(
            text("The output is ", sym(self.f), f"; the backward pass computes ∂{self.f}/∂v for every value v.")
        )
        return blocks

    def forward(self) -> list:
        rows = []
        values = self.fmt.column([r.value for r in self.trace.records])
        for r, value in zip(self.trace.records, values, strict=True):
            op = OPS[r.gate.op]
            numbers = BLANK if self.blank else self.filled(op.show, r, True)
            rows.append([sym(r.gate.name), self.filled(op.show, r, False), numbers, BLANK if self.blank else value])
        return [
            Heading(2, "Forward pass"),
            text("Each gate computes its value from its operands, in order:"),
            Table(["gate", "operation", "with the numbers", "value"], rows),
        ]

    def backward(self) -> list:
        f = self.f
        blocks = [
            Heading(2, "Backward pass"),
            text(
                "Start at the output, ",
                M(f"∂{f}/∂{f} = 1", d(f, f).t + " = 1"),
                ". Going back gate by gate, each gate multiplies the gradient on its output (upstream) by its "
                "local derivative for each operand, and passes the product (downstream) back: "
                "upstream × local = downstream. A value used by several gates adds what comes back from each.",
            ),
        ]
        for r in reversed(self.trace.records):
            if r.upstream == 0 and not self.reaches_output(r):
                continue
            blocks += self.gate(r)
        blocks += self.sums([n for n in self.problem.inputs], "The inputs")
        return blocks

    def reaches_output(self, r: GateRecord) -> bool:
        return r.gate.name == self.f or r.gate.name in self.trace.contributions

    def gate(self, r: GateRecord) -> list:
        g, op, f = r.gate, OPS[r.gate.op], self.f
        blocks = [Heading(3, f"{g.name} = {self.filled(op.show, r, False).u}   ({op.title})")]
        blocks += self.sums([g.name], None)
        local_rows, chain_rows = [], []
        uses = {n: len(c) for n, c in self.trace.contributions.items()}
        for k, o in enumerate(g.operands):
            if not o.is_ref:
                continue
            tmpl = op.local_show[k]
            formula, numbers = self.filled(tmpl, r, False), self.filled(tmpl, r, True)
            given = formula.u == numbers.u  # a constant (add's 1, x·2's 2): a given, never a blank to fill
            asked = self.blank and not given
            local_rows.append(
                Eq(
                    [
                        self.local(g.name, o.ref),
                        formula,
                        BLANK if asked else numbers,
                        BLANK if asked else self.fmt(r.local[k]),
                    ]
                )
            )
            up = d(f, g.name)
            numbers = BLANK if self.blank else self.fmt.p(r.upstream) + DOT + self.fmt.p(r.local[k])
            remark = f"through {g.name}: one of {uses[o.ref]} terms, added below" if uses.get(o.ref, 0) > 1 else ""
            chain_rows.append(
                Eq([d(f, o.ref), up + DOT + self.local(g.name, o.ref), numbers, self.value(r.downstream[k])], remark)
            )
        if local_rows:
            blocks += [
                self.local_heading(r),
                Eqs(local_rows),
                text("Upstream × local = downstream:"),
                Eqs(chain_rows),
                note(op.pattern[0].upper() + op.pattern[1:]),
            ]
        return blocks

    def local_heading(self, r: GateRecord):
        if r.gate.name != self.f:
            return text("Local derivatives:")
        a = next(o.ref for o in r.gate.operands if o.is_ref)
        return text(
            "Local derivatives of the operation ",
            self.filled(OPS[r.gate.op].show, r, False),
            " (written ",
            self.local(r.gate.name, a),
            ", to keep them apart from the gradients of the output, ",
            d(self.f, a),
            "):",
        )

    def operation(self, r: GateRecord) -> M:
        """The gate's operation over its operands' names, parenthesised when it is infix: (q·z), σ(s)."""
        shown = self.filled(OPS[r.gate.op].show, r, False)
        return paren(shown) if r.gate.op in INFIX else shown

    def local(self, gate: str, operand: str) -> M:
        """The local derivative ∂g/∂a of a gate. The output gate's is written over its operation, ∂(q·z)/∂q:
        ∂f/∂q is the total gradient of the output, which differs from the local one where q is used again."""
        if gate != self.f:
            return d(gate, operand)
        shown = self.operation(self.trace.record(gate))
        return M(f"∂{shown.u}/∂{operand}", rf"\frac{{\partial}}{{\partial {sym(operand).t}}}{shown.t}")

    def sums(self, names: list[str], heading: str | None) -> list:
        """∂f/∂v = term + term + … for each value used by several gates (the multivariable chain rule)."""
        rows = []
        for n in names:
            terms = self.trace.contributions.get(n, [])
            if len(terms) < 2:
                continue
            via = ", ".join(c.via for c in terms)
            symbolic = join([d(self.f, c.via) + DOT + self.local(c.via, n) for c in terms])
            numbers = (
                BLANK
                if self.blank
                else join([self.fmt.p(c.value) if i else self.fmt(c.value) for i, c in enumerate(terms)])
            )
            rows.append(
                Eq(
                    [d(self.f, n), symbolic, numbers, self.value(self.trace.grads[n])],
                    f"{n} is used by {len(terms)} gates ({via}): the gradients add",
                )
            )
        if not rows:
            return []
        return ([Heading(3, heading)] if heading else []) + [Eqs(rows)]

    def update(self) -> list:
        """x⁺ = x ∓ η·∂f/∂x for each trained input, then f recomputed at the updated inputs."""
        t, p = self.trace, self.problem
        if t.updated is None:
            return []
        eta = self.fmt(p.learning_rate if not t.exact else Fraction(repr(p.learning_rate)))
        sign, way = (PLUS, "ascent") if p.maximize else (MINUS, "descent")
        rows = []
        for n in p.train:
            x = sym(n)
            numbers = BLANK if self.blank else self.fmt(t.values[n]) + sign + eta + DOT + self.fmt.p(t.grads[n])
            rows.append(
                Eq([after(x), x + sign + M("η", r"\eta") + DOT + d(self.f, n), numbers, self.value(t.updated[n])])
            )
        blocks = [
            Heading(2, "Update"),
            text(f"One step of gradient {way}, η = ", eta, ", for each trained input:"),
            Eqs(rows),
        ]
        return blocks + self.output_after()

    def output_after(self) -> list:
        """The output at the updated inputs (Karpathy's "f = −5.87" after the step), and whether it rose or fell."""
        t, p, f = self.trace, self.problem, self.f
        if t.output_after is None:
            return []
        args = join([after(sym(n)) if n in p.train else sym(n) for n in p.inputs], M(", ", ", "))
        recomputed = M(f"{f}(", rf"{sym(f).t}\left(") + args + M(")", r"\right)")
        rows = [Eq([after(sym(f)), recomputed, self.value(t.output_after)])]
        if self.blank:
            said = text("Did the output rise or fall?")
        else:
            up, down = t.output_after > t.values[f], t.output_after < t.values[f]
            moved = "rose" if up else "fell" if down else "did not change"
            said = text(
                f"The output {moved} from ",
                sym(f),
                " = ",
                self.fmt(t.values[f]),
                " to ",
                after(sym(f)),
                " = ",
                self.fmt(t.output_after),
                self.remark(up, down),
            )
        return [text("The forward pass again, at the updated inputs:"), Eqs(rows), said]

    def remark(self, up: bool, down: bool) -> str:
        """What the change says: the step went the way it aims, or it was too large for the gradient's slope."""
        if not (up or down):
            return "."
        if up == self.problem.maximize:
            return f", as a small enough step {'up' if up else 'down'} the gradient does."
        return ": this step is too large for the gradient, a local slope, to predict the change."

    def summary(self) -> list:
        t, p = self.trace, self.problem
        rows = []
        forward, grads = self.fmt.column(list(t.values.values())), self.fmt.column([t.grads[n] for n in t.values])
        for n, value, grad in zip(t.values, forward, grads, strict=True):
            blank = self.blank and n not in p.inputs  # an input's value is given, on a worksheet too
            given_grad = n == self.f  # ∂f/∂f = 1, said where the backward pass starts
            rows.append([sym(n), BLANK if blank else value, BLANK if self.blank and not given_grad else grad])
        return [Heading(2, "Summary"), Table(["value", "forward", d(self.f, "v")], rows)]

    def page(self) -> list:
        blocks = self.statement() + self.forward() + self.backward() + self.update() + self.summary()
        if self.trace.exact and not self.blank:
            blocks.append(note("Computed exactly in rational numbers from the decimals as written."))
        return blocks


def local_symbol(trace: GraphTrace, gate: str, operand: str) -> M:
    """The page's symbol of a gate's local derivative (∂q/∂x, or the output gate's ∂(q·z)/∂q), for check's words."""
    return Builder(trace).local(gate, operand)


def build(trace: GraphTrace, options: dict | None = None) -> list:
    """The page for a circuit's trace; with ``worksheet`` the same page with every computed number blank."""
    options = options or {}
    precision = options.get("precision", 4)
    if not options.get("worksheet"):
        return Builder(trace, precision).page()
    sheet = Builder(trace, precision, blank=True).page()
    title = sheet[0].text
    sheet[0] = Heading(1, f"Worksheet: {title}")
    sheet.insert(1, note("Fill in every blank; the formulas say what each one is."))
    if options.get("answers"):
        sheet += [Heading(1, f"Answer key: {title}")] + Builder(trace, precision).page()[1:]
    return sheet
