"""A worksheet: the solution page with the givens filled in and every computed quantity blank."""

from __future__ import annotations

from .blocks import Block, Curve, Eq, Eqs, Heading, Matrix, PageBreak, Para, Style, Table, note, text
from .mathtext import M

BLANK = M("______", r"\underline{\qquad\qquad}")


def blanked(block: Block) -> Block | None:
    """A block of the solution with every computed quantity left blank (None: leave the block out)."""
    if isinstance(block, Eqs):
        return Eqs([Eq(eq.sides[:2] + [BLANK] if len(eq.sides) > 2 else [eq.sides[0], BLANK]) for eq in block.rows])
    if isinstance(block, Table):
        keep = {0, *block.givens}
        rows = [[c if i in keep else BLANK for i, c in enumerate(row)] for row in block.rows]
        return Table(block.header, rows, block.numeric, block.givens)
    if isinstance(block, Matrix):
        return Matrix(block.label, block.shape, [["__"] * len(row) for row in block.cells])
    if isinstance(block, Para) and block.style == Style.RESULT:
        return text("With the new weights, ", M("L = ", "L = ") + BLANK, ".")
    if isinstance(block, Curve):
        return None
    return block


def worksheet(solution: list[Block], givens_end: int, answers: bool) -> list[Block]:
    """The page from a solution whose first ``givens_end`` blocks state the problem; the key after it if asked."""
    givens, work = solution[:givens_end], solution[givens_end:]
    title = givens[0]
    page = [Heading(1, f"Worksheet: {title.text}")]
    page += [b for b in givens[1:] if not (isinstance(b, Para) and b.style == Style.NOTES)]
    page.append(note("Fill in every blank; the formulas say what each one is. backprop check can grade your answers."))
    page += [b for b in map(blanked, work) if b is not None]
    if answers:
        page += [PageBreak(), Heading(1, f"Answer key: {title.text}")] + work
    return page
