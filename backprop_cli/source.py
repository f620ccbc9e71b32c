"""Reading a problem document as plain data, remembering where each value stood.

PyYAML's safe parser gives a stream of events; we compose the node tree from
them ourselves (without recursion, see :func:`_compose`) and then build plain
dicts, lists and scalars, so that

* every value keeps its line and column, for messages that point at it;
* a duplicate key is an error instead of silently keeping the last one;
* numbers are read as people type them: ``1e-3`` and ``5E-1`` are floats,
  ``010`` is ten (YAML 1.2; YAML 1.1 reads eight), ``1:30`` is text (YAML 1.1
  reads ninety), ``2001-12-14`` is text (never a date);
* nothing can make the reader crash, hang or take all memory: the text is at
  most 16 MiB (also from an endless stream), nested at most 64 deep, expands
  through aliases to at most 2,000,000 values, holds no cycle, no control
  character and no integer a float64 cannot hold (see docs/limits.md).
"""

from __future__ import annotations

import json
import math
import re
from typing import IO, Any

from . import bounded, json_reader
from .bounded import BAD_IN_TEXT, MAX_DIGITS, character
from .errors import Issue, ProblemError, key_name
from .yaml_import import yaml

MAX_BYTES = 16 * 1024 * 1024
"""Refuse problem files larger than this (16 MiB): far above any worked example."""
MAX_NODES = 2_000_000
"""Refuse documents that expand (through aliases) to more values than this."""
MAX_DEPTH = 64
"""Refuse documents nested deeper than this (a problem file needs 4 levels; traces about 10)."""
POSITIONS_UP_TO = 2 * 1024 * 1024
"""JSON larger than this is read without line numbers (the key path still says where): composing a
YAML node for every number of a 16 MiB dataset would take gigabytes."""

Path_ = tuple  # a key path: ("layers", 0, "weights")
T = "tag:yaml.org,2002:"
PLAIN_TAGS = {T + t for t in ("null", "bool", "int", "float", "str")}


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's C parser where PyYAML has it) with numbers read as people mean them."""


# YAML 1.1's implicit types, without dates and base-60 numbers, and with 1e-3 a float and 010 ten.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (T + "timestamp", T + "int", T + "float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    T + "int", re.compile(r"^(?:[-+]?[0-9][0-9_]*|[-+]?0x[0-9a-fA-F_]+|[-+]?0b[01_]+)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    T + "float",
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class Document:
    """Plain data read from a problem file, with positions.

    ``positions[path]`` is the (line, column) of the value at ``path``;
    ``key_positions[path]`` that of the key naming it. Both count from 1.
    """

    def __init__(self, name: str, data: Any):
        self.name, self.data = name, data
        self.positions: dict[Path_, tuple[int, int]] = {}
        self.key_positions: dict[Path_, tuple[int, int]] = {}

    def where(self, path: Path_, at_key: bool = False) -> tuple[int | None, int | None]:
        """The position of ``path``, or of its nearest ancestor that has one."""
        table = self.key_positions if at_key else self.positions
        p = tuple(path)
        while True:
            if p in table:
                return table[p]
            if at_key and p in self.positions:
                return self.positions[p]
            if not p:
                return (None, None)
            p = p[:-1]


# --------------------------------------------------------------------------- reading text, bounded


def read_text(path: str, name: str | None = None) -> str:
    """The UTF-8 text of a file (or of a device or FIFO), at most MAX_BYTES, or a ProblemError saying why not."""
    return bounded.read_text(path, name or str(path), MAX_BYTES)


def read_stream(stream: IO[bytes] | None, name: str) -> str:
    """Read a binary stream up to MAX_BYTES (an endless one such as /dev/zero or ``yes |`` is refused)."""
    return bounded.read_stream(stream, name, MAX_BYTES)


# --------------------------------------------------------------------------- building plain data


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _describe_tag(tag: str) -> str:
    return tag.replace(T, "!!")


def _int(text: str) -> int | None:
    """A YAML integer as a person means it: 010 is ten, 0x1F and 0b101 as written; None if not an integer."""
    s = text.replace("_", "")
    sign, s = (-1, s[1:]) if s[:1] == "-" else (1, s[1:] if s[:1] == "+" else s)
    base = 16 if s[:2] in ("0x", "0X") else 2 if s[:2] in ("0b", "0B") else 10
    digits = s[2:] if base != 10 else s
    if not digits or len(digits) > MAX_DIGITS * (4 if base == 2 else 1):
        return None
    try:
        return sign * int(digits, base)
    except ValueError:
        return None


class _Builder:
    """Plain data from a node tree, with positions, duplicate keys and unbuildable scalars collected as issues."""

    def __init__(self, doc: Document, loader: _Loader):
        self.doc, self.loader = doc, loader
        self.issues: list[Issue] = []
        self.budget = MAX_NODES

    def issue(self, node: yaml.Node, path: Path_, found: str, expected: str) -> None:
        self.issues.append(Issue(self.doc.name, *_mark(node), key_name(path), found, expected))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise ProblemError(
                Issue(
                    self.doc.name,
                    *_mark(node),
                    "",
                    "a document that expands to too many values",
                    f"at most {MAX_NODES:,}",
                )
            )
        self.doc.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != T + "seq":
                self.issue(node, path, f"the tag {_describe_tag(node.tag)}", "plain data (tags are never constructed)")
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.scalar(node, path)

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict:
        if node.tag != T + "map":
            self.issue(node, path, f"the tag {_describe_tag(node.tag)}", "plain data (tags are never constructed)")
        out: dict[Any, Any] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for knode, vnode in node.value:
            if knode.tag == T + "merge":  # <<: *defaults, or <<: [*a, *b]: their keys, unless written here
                sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        self.issue(
                            vnode,
                            path,
                            "a merge key (<<) whose value is not a mapping",
                            "<<: *name, where &name marks a mapping",
                        )
                    else:
                        merged.extend(src.value)
                continue
            key = self.key(knode, path)
            if key is _BAD:
                continue
            if key in out:
                first = self.doc.key_positions.get(path + (key,), (None, None))
                self.issue(
                    knode,
                    path + (key,),
                    f"the key {key!r} a second time (first at line {first[0]})",
                    "each key once; YAML would silently keep only the last",
                )
                continue
            self.doc.key_positions[path + (key,)] = _mark(knode)
            out[key] = self.build(vnode, path + (key,))
        for knode, vnode in merged:
            key = self.key(knode, path)
            if key is not _BAD and key not in out:
                self.doc.key_positions[path + (key,)] = _mark(knode)
                out[key] = self.build(vnode, path + (key,))
        return out

    def key(self, node: yaml.Node, path: Path_) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            self.issue(node, path, "a key that is a list or mapping", "a plain key name")
            return _BAD
        key = self.scalar(node, path)
        return key if key is _BAD or isinstance(key, str) else str(key)

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        tag, text = node.tag, node.value
        if tag not in PLAIN_TAGS:
            self.issue(node, path, f"the tag {_describe_tag(tag)}", "plain data (tags are never constructed)")
            return _BAD
        if tag == T + "str":
            m = BAD_IN_TEXT.search(text)
            if m:
                self.issue(node, path, f"text with {character(m.group())}", "printable text (tab and newline are fine)")
                return _BAD
            return text
        if tag == T + "int":
            digits = len(text.replace("_", "").lstrip("+-"))
            value = _int(text) if digits <= MAX_DIGITS else None
            if digits > MAX_DIGITS or value is not None and abs(value) >= 2**1024:
                self.issue(
                    node,
                    path,
                    f"an integer of {digits:,} digits",
                    "a number a float64 can hold (at most about ±1.8e308, 309 digits)",
                )
                return _BAD
            if value is not None:
                return value
        else:
            try:
                value = self.loader.construct_object(node, deep=True)
            except Exception:  # noqa: BLE001 - any failure of a constructor means: not this type
                value = _BAD
            if value is not _BAD:
                if tag == T + "float" and math.isinf(value) and "inf" not in text.lower():
                    self.issue(
                        node,
                        path,
                        f"{text.strip()[:40]}, too large for a float64",
                        "a number of magnitude at most about 1.8e308",
                    )
                    return _BAD
                return value
        self.issue(
            node,
            path,
            f"{text[:40]!r} tagged {_describe_tag(tag)}, which cannot be read as one",
            f"a value that is a {_describe_tag(tag)[2:]}, or no tag",
        )
        return _BAD


class _Bad:
    def __repr__(self) -> str:
        return "<unreadable>"


_BAD = _Bad()


def parse_json_fast(text: str, name: str) -> Document | None:
    """JSON read by the C json module (json_reader.py), without positions, or None when the text is not plain JSON.

    Problems the size of a dataset are read about ten times faster this way.
    A document with a mistake is read again by :func:`parse`, so that every
    message still names its line and column.
    """
    data = json_reader.read_fast(text)
    return None if data is None else _finish(Document(name, data))


# --------------------------------------------------------------------------- the whole document


def parse(text: str, name: str) -> Document:
    """Parse YAML (or JSON) text into a :class:`Document`, or raise :class:`ProblemError`."""
    if len(text) > MAX_BYTES:
        raise ProblemError(
            Issue(name, None, None, "", f"more than {MAX_BYTES:,} characters", f"at most {MAX_BYTES:,} bytes (16 MiB)")
        )
    bounded.refuse_control_characters(text, name)
    json_data, json_error = None, None
    if json_reader.looks_like(text):
        # JSON may be indented with tabs, which YAML refuses. JSON strings cannot hold a
        # raw tab, so every tab is white space: a space keeps every line and column.
        text = text.replace("\t", " ")
        try:
            json_data = json_reader.loads(text)
        except json.JSONDecodeError as e:
            json_error = e
        except json_reader.NotPlain:
            pass  # NaN, a duplicate key, a huge integer, deep nesting: the YAML reader says where
        if json_error is not None and len(text) > POSITIONS_UP_TO:
            raise json_reader.syntax_error(text, json_error, name)
        if json_data is not None and len(text) > POSITIONS_UP_TO:
            json_reader.check_strings(json_data, name)
            return _finish(Document(name, json_data))
    try:
        root = bounded.compose(_Loader(text), name, MAX_DEPTH, MAX_NODES, text)
    except ProblemError:
        if json_data is not None:  # JSON that YAML cannot read (a key longer than 1024 characters)
            json_reader.check_strings(json_data, name)
            return _finish(Document(name, json_data))
        if json_error is not None:  # JSON with a mistake: JSON's message, not YAML's
            raise json_reader.syntax_error(text, json_error, name) from None
        raise
    if root is None:
        raise ProblemError(
            Issue(name, 1, 1, "", "an empty file", "a mapping of keys such as layers:, inputs:, targets:")
        )
    doc = Document(name, None)
    builder = _Builder(doc, _Loader(""))
    doc.data = builder.build(root, ())
    if builder.issues:
        raise ProblemError(builder.issues)
    return _finish(doc)


def from_data(data: Any, name: str) -> Document:
    """A document for data that did not come from text (no positions)."""
    return _finish(Document(name, data))


TRACE_FORMATS = ("backprop-trace", "backprop-trace-end")
TRACE_VERSIONS = (1, 2)
"""v1, and v2 (SPEC §4): a trace whose problem uses any of §4's keys."""


def _finish(doc: Document) -> Document:
    """Checks on the whole document before it is validated: a trace's header, and the size of the work it asks."""
    data = doc.data
    if isinstance(data, dict):
        where = doc.where(("format",)) if "format" in data else doc.where(())
        if data.get("format") in TRACE_FORMATS and data.get("version", 1) not in TRACE_VERSIONS:
            raise ProblemError(
                Issue(
                    doc.name,
                    *doc.where(("version",)),
                    "version",
                    f"a trace of version {data.get('version')!r}",
                    f"version {', '.join(map(str, TRACE_VERSIONS))}, the trace this backprop writes and reads",
                )
            )
        if "format" not in data and "next_problem" in data and ("epochs" in data or "problem" in data):
            raise ProblemError(
                Issue(
                    doc.name,
                    *where,
                    "format",
                    "a JSON trace without its format key",
                    '"format": "backprop-trace" (as backprop writes it), or the next_problem alone',
                )
            )
    from . import budget

    budget.check_document(doc)
    return doc
