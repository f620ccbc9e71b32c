"""Reading text and composing YAML within bounds: no crash, hang or memory blow-up, whatever the input.

* Text is read at most ``limit`` bytes, also from a stream that never ends
  (/dev/zero, ``yes |``, a FIFO); bytes that are not UTF-8 are named by line.
* Characters that YAML refuses (NUL and other controls, lone UTF-16
  surrogates) are named by line and column before the parser sees them.
* The node tree is composed from libyaml's events without recursion, so that
  nesting is bounded before libyaml's own recursive composer could overflow
  the C stack (it segfaults at 50,000 levels). Aliases count as written out:
  towards the depth, towards the number of values (a "billion laughs"), and
  an alias inside the value it names (a cycle) is refused.
"""

from __future__ import annotations

import re
from typing import IO

from .errors import Issue, ProblemError
from .yaml_import import yaml

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters no YAML or JSON text holds raw (YAML refuses them), and lone UTF-16 halves."""
BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Characters a value must not hold even when written as an escape: they break terminals, SVG and LaTeX."""


def read_text(path: str, name: str, limit: int) -> str:
    """The UTF-8 text of a file (or of a device or FIFO), at most ``limit`` bytes, or a ProblemError saying why not."""
    try:
        with open(path, "rb") as f:
            return read_stream(f, name, limit)
    except FileNotFoundError:
        raise ProblemError(
            Issue(name, None, None, "", "no such file", "a readable problem file (YAML or JSON)")
        ) from None
    except IsADirectoryError:
        raise ProblemError(Issue(name, None, None, "", "a directory", "a problem file (YAML or JSON)")) from None
    except OSError as e:
        raise ProblemError(
            Issue(name, None, None, "", f"a file that cannot be read ({e.strerror})", "a readable file")
        ) from None


def read_stream(stream: IO[bytes] | None, name: str, limit: int) -> str:
    """Read a binary stream up to ``limit`` bytes; more is refused without reading it all."""
    if stream is None:
        raise ProblemError(Issue(name, None, None, "", "a closed input", "a problem file or a JSON trace on it"))
    chunks, size = [], 0
    while size <= limit:
        chunk = stream.read(limit + 1 - size)  # a pipe gives its bytes in pieces
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise ProblemError(Issue(name, None, None, "", f"more than {limit:,} bytes", f"at most {limit:,} bytes"))
    data = b"".join(chunks)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ProblemError(
            Issue(name, line, col, "", f"bytes that are not UTF-8 text (at byte {e.start})", "a text file in UTF-8")
        ) from None


def line_col(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def character(ch: str) -> str:
    """U+001B (ESC): a character as a message names it."""
    names = {"\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL", "\x08": "backspace", "\x0c": "form feed"}
    kind = "a lone UTF-16 surrogate" if "\ud800" <= ch <= "\udfff" else "the control character"
    return f"{kind} U+{ord(ch):04X}" + (f" ({names[ch]})" if ch in names else "")


def refuse_control_characters(text: str, name: str) -> None:
    m = CONTROL.search(text)
    if m:
        raise ProblemError(
            Issue(
                name,
                *line_col(text, m.start()),
                "",
                character(m.group()),
                "text (tab, newline and printable characters only)",
            )
        )


def compose(loader, name: str, max_depth: int, max_nodes: int) -> yaml.Node | None:
    """The node tree of the single document in ``text``, composed from parser events without recursion.

    Refused: nesting deeper than max_depth (counted through aliases too, before
    libyaml's own recursive composer could overflow the C stack), an alias of a
    collection that contains it (a cycle), and aliases that expand to more than
    max_nodes values (a "billion laughs").
    """

    stack: list[list] = []  # [node, anchor, height below, size]
    anchors: dict[str, tuple[yaml.Node, int, int]] = {}  # anchor -> (node, height, size); size None while open
    open_anchors: set[str] = set()
    root = None
    expanded = 0

    def refuse(mark, found: str, expected: str):
        raise ProblemError(Issue(name, mark.line + 1, mark.column + 1, "", found, expected))

    def count(new: int, mark) -> None:
        nonlocal expanded
        expanded += new
        if expanded > max_nodes:
            refuse(
                mark, "a document that expands (through aliases) to too many values", f"at most {max_nodes:,} values"
            )

    def attach(node: yaml.Node, height: int, size: int, mark) -> None:
        nonlocal root
        if len(stack) + height > max_depth:
            refuse(
                mark,
                f"values nested more than {max_depth} deep (aliases counted as written out)",
                f"at most {max_depth} levels of lists and mappings",
            )
        if not stack:
            root = node
            return
        parent = stack[-1]
        parent[2], parent[3] = max(parent[2], height + 1), parent[3] + size
        if isinstance(parent[0], yaml.MappingNode):
            if len(parent) == 4:
                parent.append(node)  # a key, waiting for its value
            else:
                parent[0].value.append((parent.pop(), node))
        else:
            parent[0].value.append(node)

    try:
        documents = 0
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    refuse(event.start_mark, "a second document (after ---)", "one problem per file")
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor in open_anchors:
                    refuse(
                        event.start_mark,
                        f"the alias *{event.anchor} inside the value it names (a cycle)",
                        "an alias of a value that is complete where the alias stands",
                    )
                if event.anchor not in anchors:
                    refuse(
                        event.start_mark,
                        f"the alias *{event.anchor} of no anchor",
                        f"&{event.anchor} on a value above it",
                    )
                node, height, size = anchors[event.anchor]
                count(size, event.start_mark)
                attach(node, height, size, event.start_mark)
            elif isinstance(event, yaml.ScalarEvent):
                tag = (
                    event.tag
                    if event.tag not in (None, "!")
                    else loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                )
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                if event.anchor is not None:
                    anchors[event.anchor] = (node, 0, 1)
                count(1, event.start_mark)
                attach(node, 0, 1, event.start_mark)
            elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
                tag = event.tag if event.tag not in (None, "!") else loader.resolve(kind, None, event.implicit)
                node = kind(tag, [], event.start_mark, None, event.flow_style)
                if len(stack) >= max_depth:
                    refuse(
                        event.start_mark,
                        f"values nested more than {max_depth} deep",
                        f"at most {max_depth} levels of lists and mappings",
                    )
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                count(1, event.start_mark)
                stack.append([node, event.anchor, 0, 1])
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node, anchor, height, size = stack.pop()[:4]
                node.end_mark = event.end_mark
                if anchor is not None:
                    open_anchors.discard(anchor)
                    anchors[anchor] = (node, height, size)
                attach(node, height, size, node.start_mark)
    except yaml.MarkedYAMLError as e:
        raise syntax_error(e, name) from None
    except yaml.YAMLError as e:
        raise ProblemError(Issue(name, None, None, "", f"unreadable YAML ({e})", "valid YAML or JSON")) from None
    finally:
        loader.dispose()
    return root


def syntax_error(e: yaml.MarkedYAMLError, name: str) -> ProblemError:
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    what = e.problem or "invalid YAML"
    if e.context:
        started = ""
        if e.context_mark is not None and e.problem_mark is not None and e.context_mark.line != e.problem_mark.line:
            started = f" that starts at line {e.context_mark.line + 1}, column {e.context_mark.column + 1}"
        what = f"{e.context}{started}, {what}"
    return ProblemError(Issue(name, line, col, "", f"a YAML syntax error ({what})", "valid YAML or JSON"))
