"""JSON read by the C json module: about ten times faster than the YAML reader, without positions.

JSON is YAML, so every problem file could go through source.py's YAML reader;
a dataset-sized JSON problem goes through here instead. What only the full reader
may refuse with a line and column (a duplicate key, NaN, an integer no float64
holds, deep nesting, a risky escape) raises :class:`NotPlain`, and source.py
reads the text again the slow way, so that every message still says where.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .bounded import BAD_IN_TEXT, CONTROL, MAX_DIGITS, character
from .errors import Issue, ProblemError, key_name

RISKY_ESCAPE = re.compile(
    r"\\u(?:00[01][0-9a-fA-F]|007[fF]|008[0-9a-fA-F]|009[0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})"
)
"""A JSON escape of a control character or a lone surrogate: left to the reader that says where."""


class NotPlain(ValueError):
    """JSON that the fast reader leaves to the YAML reader (duplicate keys, NaN, Infinity, huge integers)."""


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise NotPlain(k)
        out[k] = v
    return out


def _constant(name):
    raise NotPlain(name)


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise NotPlain(text)
    return int(text)


def loads(text: str) -> Any:
    """json.loads with the reader's rules; NotPlain for what only the full reader may refuse with a line."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_json_int)
    except RecursionError:  # nested too deep: the full reader says where
        raise NotPlain("depth") from None


def looks_like(text: str) -> bool:
    return re.match(r'\s*(\{\s*["}]|\[)', text) is not None


def syntax_error(text: str, e: json.JSONDecodeError, name: str) -> ProblemError:
    """JSON's own message, or for an NDJSON stream (backprop step --format ndjson) the line that is damaged."""
    lines = text.rstrip().split("\n")
    if e.msg == "Extra data" and all(ln.lstrip().startswith("{") for ln in lines if ln.strip()):
        for number, ln in enumerate(lines, start=1):
            if not ln.strip():
                continue
            try:
                json.loads(ln)
            except (ValueError, RecursionError) as bad:
                col = getattr(bad, "colno", 1)
                return ProblemError(
                    Issue(
                        name,
                        number,
                        col,
                        "",
                        f"a damaged line of an NDJSON stream ({getattr(bad, 'msg', bad)})",
                        "one complete JSON object per line, the last one the backprop-trace-end line",
                    )
                )
        return ProblemError(
            Issue(
                name,
                len(lines),
                1,
                "",
                "an NDJSON stream that does not end with its backprop-trace-end line (was it cut short?)",
                'a last line with "format": "backprop-trace-end" and next_problem',
            )
        )
    return ProblemError(Issue(name, e.lineno, e.colno, "", f"a JSON syntax error ({e.msg})", "valid JSON (or YAML)"))


def check_strings(data: Any, name: str) -> None:
    """Refuse text with control characters or lone surrogates in data read by the json module (no positions)."""
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            items = list(value.items())
            for k, _ in items:
                stack.append((k, path))
            stack.extend((v, path + (k,)) for k, v in items)
        elif isinstance(value, list):
            stack.extend((v, path + (i,)) for i, v in enumerate(value))
        elif isinstance(value, str) and (m := BAD_IN_TEXT.search(value)):
            raise ProblemError(
                Issue(
                    name,
                    None,
                    None,
                    key_name(path),
                    f"text with {character(m.group())}",
                    "printable text (tab and newline are fine)",
                )
            )


def read_fast(text: str) -> Any | None:
    """The data of plain JSON text (or of an NDJSON stream's last line, which carries next_problem), or None
    when the text is not plain JSON: then the full reader reads it, and says where any mistake is."""
    if not text.lstrip().startswith("{"):
        return None
    if RISKY_ESCAPE.search(text) or CONTROL.search(text):
        return None
    try:
        return loads(text)
    except ValueError:
        pass
    # An NDJSON stream (backprop step --format ndjson): its last line carries next_problem.
    last = text.rstrip().rsplit("\n", 1)[-1]
    try:
        data = loads(last)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("format") == "backprop-trace-end" else None
