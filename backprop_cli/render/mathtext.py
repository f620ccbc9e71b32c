"""Math written twice: as Unicode text (terminal, plain text) and as LaTeX (Markdown, LaTeX).

An :class:`M` holds both forms of one piece of a formula; pieces concatenate
with ``+``. Display templates from the activation and loss tables are filled with :func:`fill`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from string import Template
from typing import Iterable


@dataclass(frozen=True)
class M:
    """One piece of math: ``u`` its Unicode form, ``t`` its LaTeX form."""

    u: str
    t: str

    def __add__(self, other: "M | str") -> "M":
        o = lift(other)
        return M(self.u + o.u, self.t + o.t)

    def __radd__(self, other: "M | str") -> "M":
        return lift(other) + self


def lift(x: "M | str") -> M:
    return x if isinstance(x, M) else M(x, x)


EMPTY = M("", "")
DOT = M("·", r" \cdot ")
PLUS = M(" + ", " + ")


def join(parts: Iterable[M], sep: M = PLUS) -> M:
    out = EMPTY
    for i, p in enumerate(parts):
        out = out + (sep if i else EMPTY) + p
    return out


def paren(m: M) -> M:
    return M(f"({m.u})", rf"\left({m.t}\right)")


def fill(template: tuple[str, str], **values: M) -> M:
    """A registry template filled with names or numbers (both forms at once)."""
    return M(Template(template[0]).safe_substitute({k: v.u for k, v in values.items()}),
             Template(template[1]).safe_substitute({k: v.t for k, v in values.items()}))


SUPERSCRIPT = str.maketrans("0123456789()+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")


def superscript(s: str) -> str:
    return s.translate(SUPERSCRIPT)


class Numbers:
    """How numbers are shown: ``precision`` decimals.

    A value that is exactly that short is written as typed (0.2, 1278.5, 3);
    any other keeps all its decimals (0.0100 is not 0.01 rounded from 0.0099).
    A value so small that the decimals would show fewer than about three of
    its significant digits (below 0.01 at precision 4), or a very large one,
    is written in scientific notation: δ = 8.771e-3, never 0.0088.
    """

    def __init__(self, precision: int = 4):
        self.precision = precision

    def text(self, x: float) -> str:
        x = float(x)
        if x == 0 or not math.isfinite(x):
            return "0" if x == 0 else str(x)
        p = self.precision
        if abs(x - round(x, p)) <= 1e-12 * abs(x) and abs(x) < 1e7:  # this short, up to float noise: as typed
            s = f"{round(x, p):.{p}f}".rstrip("0").rstrip(".")
            return s if s not in ("", "-0") else "0"
        small = 10.0 ** -(p - 2) if p >= 4 else 0.5 * 10.0 ** -p
        if abs(x) >= 1e7 or abs(x) < small:
            mantissa, exp = f"{x:.{max(p - 1, 1)}e}".split("e")
            return f"{mantissa}e{int(exp)}"
        return f"{x:.{p}f}"

    def __call__(self, x: float) -> M:
        s = self.text(x)
        if "e" in s:
            mantissa, exp = s.split("e")
            return M(s, rf"{mantissa} \times 10^{{{exp}}}")
        return M(s, s)

    def p(self, x: float) -> M:
        """The number, parenthesised when negative (as a factor or a later term)."""
        m = self(x)
        return paren(m) if float(x) < 0 else m
