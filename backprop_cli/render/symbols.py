"""How the quantities of a worked solution are written as math, in Unicode and LaTeX at once.

:class:`Symbols` adds to the naming scheme (backprop_cli/names.py) the
written forms: net_h1, out_h1, δ_h1, w5, L_o1 (or, in a textbook's
conventions, I4, O4, Err6, w46, E), and the operators around them
(∂top/∂bottom, Mᵀ, Δm, m⁺, a layer superscript W⁽²⁾). The symbols follow the
problem's ``conventions:`` (backprop_cli/conventions.py): ``loss``, ``net``,
``out``, ``error`` and ``names``.
"""

from __future__ import annotations

import re

from ..conventions import setting
from ..names import Names
from .mathtext import DOT, PLUS, M, superscript

TEX_LETTER = {
    "θ": r"\theta",
    "δ": r"\delta",
    "Err": r"\mathit{Err}",
    "net": r"\mathrm{net}",
    "out": r"\mathrm{out}",
    "E_total": r"E_{\mathrm{total}}",
}
"""LaTeX of the letters of names and symbols; any other letter is written as it is."""


def tex_letter(letter: str) -> str:
    return TEX_LETTER.get(letter, letter)


def tex_name(name: str) -> str:
    """A name in LaTeX: h1 -> h_{1}, h2_1 -> \\mathit{h2}_{1}, x3 -> x_{3}, θ4 -> \\theta_{4}, w9,10 -> w_{9,10},
    y_d,6 -> y_{d,6}; a global unit number (4) stays as it is."""
    m = re.fullmatch(r"(\D+?)_?(d,\d+|\d[\d,]*)", name)
    if "_" in name and not (m and m.group(2).startswith("d,")):
        head, tail = name.rsplit("_", 1)
        return rf"\mathit{{{head}}}_{{{tail}}}"
    if m is None:
        return name
    return rf"{tex_letter(m.group(1))}_{{{m.group(2)}}}"


class Symbols(Names):
    """The names of every quantity, as the problem's conventions write them (li: layer index from 0, j/k: unit,
    i: input): net_h1 or I4, out_h1 or O4, δ_h1 or Err6, L or E, as (Unicode, LaTeX) pieces of math."""

    def label(self, s: str) -> M:
        return M(s, tex_name(s))

    def _unit_symbol(self, kind: str, li: int, j: int) -> M:
        letter, u = self.symbol[kind], self.units[li][j]
        sub = u if self.scheme == "global" else tex_name(u)
        return M(self.quantity(kind, li, j), rf"{tex_letter(letter)}_{{{sub}}}")

    def net(self, li: int, j: int) -> M:
        return self._unit_symbol("net", li, j)

    def out(self, li: int, j: int) -> M:
        return self._unit_symbol("out", li, j)

    def source(self, li: int, i: int) -> M:
        """The unit that feeds input i of layer li: x_i, or unit i of the layer below."""
        return self.label(self.inputs[i] if li == 0 else self.units[li - 1][i])

    def input_of(self, li: int, i: int) -> M:
        """What the i-th input of layer li is called: x_i, or out of the layer below."""
        return self.label(self.inputs[i]) if li == 0 else self.out(li - 1, i)

    def delta(self, li: int, j: int) -> M:
        """The error term of unit j: δ_h1 (∂L/∂net, or −∂L/∂net with delta: error_signal), Err6."""
        return self._unit_symbol("error", li, j)

    def w(self, li: int, j: int, i: int) -> M:
        return self.label(self.weights[li][j, i])

    def b(self, li: int, j: int) -> M:
        return self.label(self.biases[li][j])

    def y(self, k: int) -> M:
        return self.label(self.targets[k])

    def term(self, k: int) -> M:
        """Output k's term of the loss: L_o1, E_o1, E6."""
        return self._unit_symbol("loss", len(self.units) - 1, k)

    # ------------------------------------------------------------------ the loss and the sign of δ

    @property
    def loss(self) -> M:
        """The loss of an update: L, E, or E_total (Mazur's, with layer names and E)."""
        letter = self.symbol["loss"]
        if letter == "E" and self.scheme == "layer":
            letter = "E_total"
        return M(letter, tex_letter(letter))

    def d_loss(self, m: M) -> M:
        """∂L/∂m in the problem's letter: ∂E/∂w46."""
        return partial(self.loss, m)

    def loss_of(self, row: int, many: bool) -> M:
        """The loss of the example in data row ``row`` (from 0): L⁽³⁾, E⁽³⁾; the plain letter for one example."""
        base = self.loss
        return M(f"{base.u}{superscript(f'({row + 1})')}", rf"{base.t}^{{({row + 1})}}") if many else base

    @property
    def error_signal(self) -> bool:
        """δ is the error signal −∂L/∂net (Mitchell, Han & Kamber), not ∂L/∂net."""
        return setting(self.problem.conventions, "delta") == "error_signal"

    def bias_sum(self, li: int, j: int, names: M, values: M, value: M) -> tuple[M, M]:
        """A net input's sum of weighted inputs, ``names`` and ``values``, with unit j's bias added as its textbook
        writes it: "+ b1", "− θ4" for a threshold, "+ w04·(−1)" for {augmented: -1}. ``value`` is the bias's
        number, parenthesised when negative."""
        layer = self.problem.layers[li]
        name = self.b(li, j)
        if layer.bias_form == "threshold":
            return names + MINUS_SIGN + name, values + MINUS_SIGN + value
        if layer.bias_sign < 0:  # {augmented: -1}: a weight on the constant input −1
            return names + PLUS + name + DOT + NEG1, values + PLUS + value + DOT + NEG1
        return names + PLUS + name, values + PLUS + value

    def bias_units(self, li: int) -> list[int]:
        """The units whose bias the page lists: one for a shared bias, each unit's otherwise (none without)."""
        layer = self.problem.layers[li]
        return [] if layer.b is None else [0] if layer.bias_form == "shared" else list(range(layer.units))

    def bias_at(self, li: int, j: int) -> int:
        """Where unit j's bias is in the trace's b: 0 for a shared bias, else j."""
        return 0 if self.problem.layers[li].bias_form == "shared" else j


def partial(top: M, bottom: M) -> M:
    return M(f"∂{top.u}/∂{bottom.u}", rf"\frac{{\partial {top.t}}}{{\partial {bottom.t}}}")


LOSS = M("L", "L")
"""The loss of an update."""


def loss_of(row: int, many: bool) -> M:
    """The loss of the example in data row ``row`` (from 0), numbered as the data table numbers it: L⁽³⁾;
    plain L when the update has one example."""
    return M(f"L{superscript(f'({row + 1})')}", rf"L^{{({row + 1})}}") if many else LOSS


def transpose(m: M) -> M:
    """Mᵀ; in LaTeX the symbol is braced, since it may carry a superscript already: {A^{(2)}}^{T}."""
    return M(f"{m.u}ᵀ", f"{{{m.t}}}^{{T}}")


def Delta(m: M) -> M:
    return M(f"Δ{m.u}", rf"\Delta {m.t}")


def plus(m: M) -> M:
    """The value after the update, m⁺ (braced in LaTeX, like :func:`transpose`)."""
    return M(f"{m.u}⁺", f"{{{m.t}}}^{{+}}")


def of_layer(base: str, tex: str, layer: int) -> M:
    """A matrix of layer ``layer`` (from 1): W⁽²⁾, W^{(2)}."""
    return M(f"{base}{superscript(f'({layer})')}", rf"{tex}^{{({layer})}}")


def d_loss(m: M) -> M:
    """∂L/∂m."""
    return partial(LOSS, m)


NEG = M("−", "-")
"""A minus sign in a formula (U+2212 in text)."""

MINUS_SIGN = M(" − ", " - ")
"""A minus sign between the terms of a sum."""

NEG1 = M("(−1)", "(-1)")
"""The constant input −1 of a bias written as a weight ({augmented: -1})."""
