"""Text from a problem file made printable: nothing in a title or a name can steer the reader's terminal or viewer.

Every renderer passes the text it writes through :func:`printable` before its own
escaping (Rich markup, Markdown, LaTeX, HTML). A problem file is written by anyone:
a student's file compiled by a teaching assistant, a title pasted from a web page.

- whitespace controls (tab, newline, form feed, line and paragraph separators) become one space:
  a title stays on its line and a blank line cannot end a LaTeX argument;
- every other control character (C0, DEL, C1: the start of ANSI and OSC escape
  sequences) is shown as its Unicode control picture (ESC as ␛, NUL as ␀) or U+FFFD;
- bidirectional overrides and isolates (the "Trojan Source" characters) are dropped;
- a lone surrogate (which no UTF-8 stream can carry) becomes U+FFFD.
"""

from __future__ import annotations

import re

WHITESPACE = re.compile(r"[\t\n\r\v\f\x85\u2028\u2029]+")
CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SURROGATES = re.compile(r"[\ud800-\udfff]")


def _picture(m: re.Match) -> str:
    c = ord(m.group())
    return chr(0x2400 + c) if c < 0x20 else "\u2421" if c == 0x7F else "\ufffd"


def printable(s: str) -> str:
    """``s`` with no character that a terminal, a browser or TeX would act on rather than show."""
    if s.isprintable() and s.isascii():  # the common case, fast
        return s
    s = WHITESPACE.sub(" ", s)
    s = CONTROLS.sub(_picture, s)
    s = BIDI.sub("", s)
    return SURROGATES.sub("\ufffd", s)
