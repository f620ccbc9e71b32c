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


class Characters:
    """A set of characters to find in text: ``search`` works as a compiled pattern's does.

    The pattern is compiled only for text that may hold one of them (start-up
    time: compiling these character ranges takes about 1 ms, more than reading
    a problem). Every character of the sets is one that ``str.isprintable``
    refuses, so text that is printable apart from tab, newline and carriage
    return holds none of them, and most text is found clean without the pattern.
    """

    __slots__ = ("_pattern", "_compiled")

    def __init__(self, pattern: str):
        self._pattern, self._compiled = pattern, None

    def search(self, text: str) -> re.Match | None:
        if text.replace("\n", "").replace("\t", "").replace("\r", "").isprintable():
            return None
        if self._compiled is None:
            self._compiled = re.compile(self._pattern)
        return self._compiled.search(text)


CONTROL = Characters("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters no YAML or JSON text holds raw (YAML refuses them), and lone UTF-16 halves."""
MAX_DIGITS = 309
"""An integer with more digits than this cannot be a float64 (the largest is about 1.8e308)."""

BAD_IN_TEXT = Characters("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
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


def compose(loader, name: str, max_depth: int, max_nodes: int, text: str = "") -> yaml.Node | None:
    """The node tree of the single document in ``text``, composed from parser events without recursion.

    Refused: nesting deeper than max_depth (counted through aliases too, before
    libyaml's own recursive composer could overflow the C stack), an alias of a
    collection that contains it (a cycle), and aliases that expand to more than
    max_nodes values (a "billion laughs").
    """
    composer = _Composer(loader, name, max_depth, max_nodes)
    handlers = {
        yaml.DocumentStartEvent: composer.document,
        yaml.AliasEvent: composer.alias,
        yaml.ScalarEvent: composer.scalar,
        yaml.SequenceStartEvent: composer.start,
        yaml.MappingStartEvent: composer.start,
        yaml.SequenceEndEvent: composer.end,
        yaml.MappingEndEvent: composer.end,
    }
    try:
        while loader.check_event():
            event = loader.get_event()
            handler = handlers.get(type(event))
            if handler is not None:
                handler(event)
    except yaml.MarkedYAMLError as e:
        raise syntax_error(e, name, text) from None
    except yaml.YAMLError as e:
        raise ProblemError(Issue(name, None, None, "", f"unreadable YAML ({e})", "valid YAML or JSON")) from None
    finally:
        loader.dispose()
    return composer.root


class _Composer:
    """The state of :func:`compose`: the open collections, the anchors, and the count of values expanded."""

    def __init__(self, loader, name: str, max_depth: int, max_nodes: int):
        self.loader, self.name, self.max_depth, self.max_nodes = loader, name, max_depth, max_nodes
        self.stack: list[list] = []  # [node, anchor, height below, size (+ a mapping's key waiting for its value)]
        self.anchors: dict[str, tuple[yaml.Node, int, int]] = {}  # anchor -> (node, height, size) once complete
        self.open_anchors: set[str] = set()
        self.root = None
        self.expanded = 0
        self.documents = 0

    def refuse(self, mark, found: str, expected: str):
        raise ProblemError(Issue(self.name, mark.line + 1, mark.column + 1, "", found, expected))

    def count(self, new: int, mark) -> None:
        self.expanded += new
        if self.expanded > self.max_nodes:
            self.refuse(
                mark,
                "a document that expands (through aliases) to too many values",
                f"at most {self.max_nodes:,} values",
            )

    def attach(self, node: yaml.Node, height: int, size: int, mark) -> None:
        """Put a complete node into the collection being built (or make it the root)."""
        if len(self.stack) + height > self.max_depth:
            self.refuse(
                mark,
                f"values nested more than {self.max_depth} deep (aliases counted as written out)",
                f"at most {self.max_depth} levels of lists and mappings",
            )
        if not self.stack:
            self.root = node
            return
        parent = self.stack[-1]
        parent[2], parent[3] = max(parent[2], height + 1), parent[3] + size
        if isinstance(parent[0], yaml.MappingNode):
            if len(parent) == 4:
                parent.append(node)  # a key, waiting for its value
            else:
                parent[0].value.append((parent.pop(), node))
        else:
            parent[0].value.append(node)

    def document(self, event) -> None:
        self.documents += 1
        if self.documents > 1:
            self.refuse(event.start_mark, "a second document (after ---)", "one problem per file")

    def alias(self, event) -> None:
        if event.anchor in self.open_anchors:
            self.refuse(
                event.start_mark,
                f"the alias *{event.anchor} inside the value it names (a cycle)",
                "an alias of a value that is complete where the alias stands",
            )
        if event.anchor not in self.anchors:
            self.refuse(
                event.start_mark, f"the alias *{event.anchor} of no anchor", f"&{event.anchor} on a value above it"
            )
        node, height, size = self.anchors[event.anchor]
        self.count(size, event.start_mark)
        self.attach(node, height, size, event.start_mark)

    def scalar(self, event) -> None:
        tag = event.tag
        if tag in (None, "!"):
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        if event.anchor is not None:
            self.anchors[event.anchor] = (node, 0, 1)
        self.count(1, event.start_mark)
        self.attach(node, 0, 1, event.start_mark)

    def start(self, event) -> None:
        """A list or mapping opens."""
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
        tag = event.tag if event.tag not in (None, "!") else self.loader.resolve(kind, None, event.implicit)
        node = kind(tag, [], event.start_mark, None, event.flow_style)
        if len(self.stack) >= self.max_depth:
            self.refuse(
                event.start_mark,
                f"values nested more than {self.max_depth} deep",
                f"at most {self.max_depth} levels of lists and mappings",
            )
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.count(1, event.start_mark)
        self.stack.append([node, event.anchor, 0, 1])

    def end(self, event) -> None:
        """A list or mapping closes: it is complete, and its anchor may now be aliased."""
        node, anchor, height, size = self.stack.pop()[:4]
        node.end_mark = event.end_mark
        if anchor is not None:
            self.open_anchors.discard(anchor)
            self.anchors[anchor] = (node, height, size)
        self.attach(node, height, size, node.start_mark)


def syntax_error(e: yaml.MarkedYAMLError, name: str, text: str = "") -> ProblemError:
    """A YAML syntax error where it stands; a tab there is named, the most common beginner's slip."""
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    what = e.problem or "invalid YAML"
    if mark and tab_at(text, mark.line, mark.column):
        return ProblemError(
            Issue(name, line, col, "", "a tab", "spaces: YAML indents and separates with spaces, never tabs")
        )
    if e.context:
        started = ""
        if e.context_mark is not None and e.problem_mark is not None and e.context_mark.line != e.problem_mark.line:
            started = f" that starts at line {e.context_mark.line + 1}, column {e.context_mark.column + 1}"
        what = f"{e.context}{started}, {what}"
    return ProblemError(Issue(name, line, col, "", f"a YAML syntax error ({what})", "valid YAML or JSON"))


def tab_at(text: str, line: int, column: int) -> bool:
    """Whether the character at 0-based ``line`` and ``column`` of ``text`` is a tab."""
    lines = text.split("\n", line + 1)
    return line < len(lines) and lines[line][column : column + 1] == "\t"
