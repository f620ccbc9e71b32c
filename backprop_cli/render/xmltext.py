"""Text from a problem file made safe for SVG (XML 1.0): escaped, and without characters XML cannot hold."""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def text(value: str) -> str:
    """``value`` as XML character data: &, <, > and quotes escaped; control characters and lone surrogates
    (which no XML document may hold) shown as U+XXXX."""
    value = _NOT_XML.sub(lambda m: f"U+{ord(m.group()):04X}", str(value))
    return escape(value, {'"': "&quot;", "'": "&apos;"})
