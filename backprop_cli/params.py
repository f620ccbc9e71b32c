"""A declared parameter of a registry entry (an activation's α, an optimizer's β₁): default, range, symbol.

The problem-file validation, the JSON Schema, the page and the drawing all read
these declarations, so an entry with a new parameter needs nothing else.
"""

from typing import Any, NamedTuple

Tex = tuple[str, str]  # (unicode, latex)


class Param(NamedTuple):
    """One parameter: its default, how it is written, and which values are valid.

    ``kind`` is ``number``, ``bool`` or ``pair`` (two numbers, like Adam's betas).
    ``low``/``high`` bound a number (or each number of a pair); ``open_low`` and
    ``open_high`` exclude the bound itself.
    """

    default: Any
    symbol: Tex
    kind: str = "number"
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    meaning: str = ""

    def expected(self) -> str:
        """The valid values in words, for refusals: 'a number in [0, 1)'."""
        if self.kind == "bool":
            return "true or false"
        what = "two numbers [a, b]" if self.kind == "pair" else "a number"
        if self.low is None and self.high is None:
            return what
        if self.high is None:
            return f"{what} {'>' if self.open_low else '≥'} {self.low:g}"
        if self.low is None:
            return f"{what} {'<' if self.open_high else '≤'} {self.high:g}"
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        each = "each in" if self.kind == "pair" else "in"
        return f"{what} {each} {left}{self.low:g}, {self.high:g}{right}"

    def accepts(self, value: float) -> bool:
        """True when the number lies in the declared range."""
        if self.low is not None and (value < self.low or (self.open_low and value == self.low)):
            return False
        return not (self.high is not None and (value > self.high or (self.open_high and value == self.high)))


def defaults(params: dict[str, Param]) -> dict[str, Any]:
    """name -> default value."""
    return {name: p.default for name, p in params.items()}
