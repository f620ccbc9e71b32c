"""How the quantities of a worked solution are written as math, in Unicode and LaTeX at once.

:class:`Symbols` adds to the naming scheme (backprop_cli/names.py) the
written forms: net_h1, out_h1, δ_h1, w5, L_o1, and the operators around them
(∂top/∂bottom, Mᵀ, Δm, m⁺, a layer superscript W⁽²⁾).
"""

from __future__ import annotations

from ..names import Names
from .mathtext import M, superscript


def tex_name(name: str) -> str:
    """A unit label in LaTeX: h1 -> h_{1}, h2_1 -> h2_{1}, x3 -> x_{3}."""
    if "_" in name:
        head, tail = name.rsplit("_", 1)
        return rf"\mathit{{{head}}}_{{{tail}}}"
    head = name.rstrip("0123456789")
    tail = name[len(head):]
    head = GREEK.get(head, head)
    return rf"{head}_{{{tail}}}" if head and tail else head


GREEK = {"θ": r"\theta"}
"""Unit and parameter letters that LaTeX writes as commands."""


class Symbols(Names):
    """The names of every quantity, as a textbook would write them (li: layer index from 0, j/k: unit, i: input)."""

    def label(self, s: str) -> M:
        return M(s, tex_name(s))

    def net(self, li: int, j: int) -> M:
        u = self.units[li][j]
        return M(f"net_{u}", rf"\mathrm{{net}}_{{{tex_name(u)}}}")

    def out(self, li: int, j: int) -> M:
        u = self.units[li][j]
        return M(f"out_{u}", rf"\mathrm{{out}}_{{{tex_name(u)}}}")

    def source(self, li: int, i: int) -> M:
        """The unit that feeds input i of layer li: x_i, or unit i of the layer below."""
        return self.label(self.inputs[i] if li == 0 else self.units[li - 1][i])

    def input_of(self, li: int, i: int) -> M:
        """What the i-th input of layer li is called: x_i, or out of the layer below."""
        return self.label(self.inputs[i]) if li == 0 else self.out(li - 1, i)

    def delta(self, li: int, j: int) -> M:
        u = self.units[li][j]
        return M(f"δ_{u}", rf"\delta_{{{tex_name(u)}}}")

    def w(self, li: int, j: int, i: int) -> M:
        return self.label(self.weights[li][j, i])

    def b(self, li: int, j: int) -> M:
        return self.label(self.biases[li][j])

    def y(self, k: int) -> M:
        return self.label(self.targets[k])

    def term(self, k: int) -> M:
        """Output k's term of the loss, L_o1."""
        u = self.units[-1][k]
        return M(f"L_{u}", rf"L_{{{tex_name(u)}}}")


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
