"""Math written twice: as Unicode text (terminal, plain text) and as LaTeX (Markdown, LaTeX).

An :class:`M` holds both forms of one piece of a formula; pieces concatenate
with ``+``. Display templates from the activation and loss tables are filled with :func:`fill`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from string import Template

from . import exactnum


@dataclass(frozen=True)
class M:
    """One piece of math: ``u`` its Unicode form, ``t`` its LaTeX form."""

    u: str
    t: str

    def __add__(self, other: M | str) -> M:
        o = lift(other)
        return M(self.u + o.u, self.t + o.t)

    def __radd__(self, other: M | str) -> M:
        return lift(other) + self


def lift(x: M | str) -> M:
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
    return M(
        Template(template[0]).safe_substitute({k: v.u for k, v in values.items()}),
        Template(template[1]).safe_substitute({k: v.t for k, v in values.items()}),
    )


SUPERSCRIPT = str.maketrans("0123456789()+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")


def superscript(s: str) -> str:
    return s.translate(SUPERSCRIPT)


MINUS = "−"
"""U+2212: the one minus sign of every number and formula in text (LaTeX math keeps '-')."""


def _plain(x: float) -> bool:
    """A finite, non-zero number: one whose notation a column chooses (0, ∞ and NaN read the same in any)."""
    return x != 0 and math.isfinite(x)


class Numbers:
    """How numbers are shown: computed values with ``precision`` decimals, givens as the file wrote them.

    notation ``auto``: a value that is exactly that short is written as typed
    (0.2, 1278.5, 3); any other keeps all its decimals (0.0100 is not 0.01
    rounded from 0.0099). A value so small that the decimals would show fewer
    than about three of its significant digits (below 0.01 at precision 4), or
    a very large one, is written in scientific notation: δ = 8.771e−3, never
    0.0088. At precision 0 a value below 1 keeps one significant digit (0.5,
    0.04), never 0. ``fixed`` never uses scientific notation (small values get
    the decimals their three significant digits need); ``sci`` always does.
    A given (:meth:`given`) is the shortest text that reads back as the same
    float: 0.15 stays 0.15 at any precision.
    """

    def __init__(self, precision: int = 4, notation: str = "auto"):
        self.precision = precision
        self.notation = notation

    def text(self, x: float) -> str:
        return self._text(x).replace("-", MINUS)

    def _text(self, x: float) -> str:
        if exactnum.is_exact(x):  # --exact: every digit of the decimal, or p/q (render/exactnum.py)
            return exactnum.text(x)
        x = float(x)
        if x == 0 or not math.isfinite(x):
            return "0" if x == 0 else str(x)
        p = self.precision
        if self.notation == "sci":
            return self._sci(x, max(p - 1, 0))
        if abs(x - round(x, p)) <= 1e-12 * abs(x) and abs(x) < 1e7:  # this short, up to float noise: as typed
            s = f"{round(x, p):.{p}f}".rstrip("0").rstrip(".") if p else f"{round(x):d}"
            return s if s not in ("", "-0") else "0"
        small = 10.0 ** -(p - 2) if p >= 4 else 0.5 * 10.0**-p if p else 1.0
        if self.notation == "fixed" and abs(x) < small:
            return f"{x:.{max(p - 1, 0) - math.floor(math.log10(abs(x)))}f}"
        if abs(x) >= 1e7 and self.notation == "fixed":
            return f"{x:.{p}f}"
        if p == 0 and 1e-3 <= abs(x) < 1:  # one significant digit, never 0
            return f"{x:.{-math.floor(math.log10(abs(x)))}f}"
        if abs(x) >= 1e7 or abs(x) < small:
            return self._sci(x, max(p - 1, 1) if p else 0)
        return f"{x:.{p}f}"

    @staticmethod
    def _sci(x: float, decimals: int) -> str:
        mantissa, exp = f"{x:.{decimals}e}".split("e")
        return f"{mantissa}e{int(exp)}"

    def column(self, values) -> list[M | str]:
        """The computed values of one table column, all in one style: never 0.0199 above 9.932e−3.

        Each value is first written as :meth:`__call__` would. When that mixes fixed and scientific notation, the
        column is written in fixed notation with the decimals its smallest value needs (so that the decimal
        points line up), or, when that would take more than ``precision + 3`` decimals or a value reaches 1e7,
        in scientific notation throughout. A value that is exactly that short (0.5, 3) stays as typed, 0 is 0,
        and None (no value) is the text "—". Call it once per column, with all of the column's values.
        """
        texts = [None if v is None else self._text(v) for v in values]
        mixed = {("e" in s) for s, v in zip(texts, values, strict=True) if s is not None and _plain(float(v))}
        if len(mixed) == 2:
            texts = self._one_style([None if v is None else float(v) for v in values])
        return ["—" if s is None else self._math(s.replace("-", MINUS)) for s in texts]

    def _one_style(self, xs: list[float | None]) -> list[str | None]:
        p = self.precision
        plain = [abs(x) for x in xs if x is not None and _plain(x)]
        decimals = max(p, *((p - 1) - math.floor(math.log10(x)) for x in plain))
        sci = max(plain) >= 1e7 or decimals > p + 3
        out: list[str | None] = []
        for x in xs:
            if x is None or not _plain(x):
                out.append(None if x is None else self._text(x))
            elif not sci and abs(x - round(x, p)) <= 1e-12 * abs(x):  # exactly this short: as typed
                out.append(self._text(x))
            else:
                out.append(self._sci(x, max(p - 1, 1) if p else 0) if sci else f"{x:.{decimals}f}")
        return out

    def given(self, x: float) -> M:
        """A value the problem file gave: the shortest text that reads back as the same float (repr)."""
        s = repr(float(x))
        if "e" in s:
            mantissa, exp = s.split("e")
            s = f"{mantissa.removesuffix('.0')}e{int(exp)}"
        else:
            s = s.removesuffix(".0")
        return self._math(s.replace("-", MINUS))

    def given_p(self, x: float) -> M:
        """A given, parenthesised when negative."""
        m = self.given(x)
        return paren(m) if float(x) < 0 else m

    def __call__(self, x: float) -> M:
        return self._math(self.text(x))

    @staticmethod
    def _math(s: str) -> M:
        t = s.replace(MINUS, "-")
        if "e" in t:
            mantissa, exp = t.split("e")
            return M(s, rf"{mantissa} \times 10^{{{exp}}}")
        return M(s, t)

    def p(self, x: float) -> M:
        """The number, parenthesised when negative (as a factor or a later term)."""
        m = self(x)
        return paren(m) if float(x) < 0 else m
