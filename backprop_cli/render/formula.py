"""Formula templates with ``$name`` placeholders (optimizers.py's lines), filled with names or numbers.

A value is parenthesised where the template needs it: a negative one that is a later factor, a compound one
raised to a power, a quotient divided again; ``x^t`` becomes a superscript in Unicode.
"""

from __future__ import annotations

import re

from .mathtext import M, superscript

PLACEHOLDER = re.compile(r"\$([_a-zA-Z][_a-zA-Z0-9]*)")
_POWER = re.compile(r"\^(\w+)")


def _power_follows(template: str, end: int) -> bool:
    return template[end : end + 1] in ("²", "^")


def substitute(template: str, values: dict[str, str], latex: bool) -> str:
    """Fill ``$name`` placeholders; a negative or compound value is parenthesised where it is a later factor
    or is raised to a power; ``x^t`` becomes a superscript in Unicode."""
    out, last = [], 0
    for m in PLACEHOLDER.finditer(template):
        key = m.group(1)
        if key not in values:
            continue
        v = values[key]
        negative = v.startswith(("−", "-"))
        compound = negative or (
            any(w in v for w in (r"\frac", r"\times", r"\cdot", " ")) if latex else any(c in v for c in "/·e× ")
        )
        divided = "/" in v and template[m.end() : m.end() + 1] == "/"  # (∂L/∂w1)/d
        leads = m.start() == 0 or template[m.start() - 1] in "{("  # first in a sum, a fraction or a bracket
        if (negative and not leads) or (compound and _power_follows(template, m.end())) or divided:
            v = rf"\left({v}\right)" if latex else f"({v})"
        out.append(template[last : m.start()] + v)
        last = m.end()
    text = "".join(out) + template[last:]
    if not latex:
        text = _POWER.sub(
            lambda m: superscript(m.group(1)) if m.group(1).isdigit() else ("ᵗ" if m.group(1) == "t" else m.group(0)),
            text,
        )
    return text


def fill(formula: tuple[str, str], values: dict[str, M]) -> M:
    return M(
        substitute(formula[0], {k: v.u for k, v in values.items()}, False),
        substitute(formula[1], {k: v.t for k, v in values.items()}, True),
    )
