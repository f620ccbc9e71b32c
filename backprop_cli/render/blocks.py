"""The block vocabulary of a page: what the page builder writes and every renderer reads.

A page is a list of blocks in reading order. Renderers lay each kind out in
their own medium (terminal, Markdown, LaTeX); a renderer may skip a kind it
has no use for (a :class:`Curve` in a document, a :class:`Hint` off the
terminal).
"""

from __future__ import annotations

from dataclasses import dataclass

from .mathtext import M


class Style:
    """How a paragraph reads: plain strings, so renderers may compare with "note" and the like."""

    PLAIN = ""
    NOTE = "note"  # a remark
    NOTES = "notes"  # the problem file's notes: may hold answers, so a worksheet leaves them out
    RESULT = "result"  # the loss after an epoch: a worksheet blanks it


@dataclass
class Heading:
    level: int  # 1 title, 2 phase, 3 part
    text: str


@dataclass
class Para:
    """Text and inline math: a list of ("text", str) and ("math", M) parts."""

    parts: list[tuple[str, object]]
    style: str = Style.PLAIN


@dataclass
class Eq:
    sides: list[M]  # written s0 = s1 = s2 …
    note: str = ""

    def shown(self) -> list[M]:
        """The sides to write: a side equal to the one before it (out = net = 3 = 3) is dropped."""
        out = [self.sides[0]]
        for s in self.sides[1:]:
            if s.u != out[-1].u:
                out.append(s)
        return out


@dataclass
class Eqs:
    rows: list[Eq]


@dataclass
class Table:
    header: list[object]  # str or M
    rows: list[list[object]]
    numeric: bool = True  # right-align columns after the first
    givens: tuple[int, ...] = ()  # columns of given values, which a worksheet keeps (the first always is)


@dataclass
class Matrix:
    label: M  # e.g. Z⁽¹⁾
    shape: str
    cells: list[list[str]]  # already formatted and elided (⋯, ⋮)


@dataclass
class Curve:
    label: str
    values: list[float]


@dataclass
class Hint:
    """Advice about the tool itself ("--format json writes …"): for the terminal only, never in a document."""

    parts: list[tuple[str, object]]


@dataclass
class PageBreak:
    """A new page (LaTeX), or a rule (Markdown): the answer key after a worksheet's blanks."""


Block = Heading | Para | Eqs | Table | Matrix | Curve | Hint | PageBreak


def text(*parts) -> Para:
    """A paragraph from strings (text) and M (math)."""
    return Para([("math", p) if isinstance(p, M) else ("text", p) for p in parts])


def hint(*parts) -> Hint:
    """Terminal advice from strings and M."""
    return Hint(text(*parts).parts)


def note(*parts) -> Para:
    """A remark: a paragraph in the note style."""
    p = text(*parts)
    p.style = Style.NOTE
    return p
