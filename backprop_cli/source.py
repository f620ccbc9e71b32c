"""Reading a problem document as plain data, remembering where each value stood.

PyYAML's safe loader composes the node tree (it never constructs objects from
tags); we then build plain dicts, lists and scalars ourselves so that

* every value keeps its line and column, for messages that point at it;
* a duplicate key is an error instead of silently keeping the last one;
* numbers are read as people type them: YAML 1.1 reads ``1e-3`` and ``5E-1``
  (no dot) as strings; here they are floats;
* anchors and aliases cannot blow up into a huge document.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import Issue, ProblemError

MAX_BYTES = 16 * 1024 * 1024
"""Refuse problem files larger than this (16 MiB): far above any worked example."""
MAX_NODES = 2_000_000
"""Refuse documents that expand (through aliases) to more values than this."""

Path_ = tuple  # a key path: ("layers", 0, "weights")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """The safe loader (libyaml's C parser where PyYAML has it) that also reads 1e-3, 5E-1 and 1E5 as floats."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
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


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _describe_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def parse(text: str, name: str) -> Document:
    """Parse YAML (or JSON) text into a :class:`Document`, or raise :class:`ProblemError`."""
    if text.lstrip().startswith(("{", "[")):
        # JSON may be indented with tabs, which YAML refuses. JSON strings cannot hold a
        # raw tab, so every tab is white space: a space keeps every line and column.
        text = text.replace("\t", " ")
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        what = e.problem or "invalid YAML"
        if e.context:
            started = ""
            if e.context_mark is not None and e.problem_mark is not None and e.context_mark.line != e.problem_mark.line:
                started = f" that starts at line {e.context_mark.line + 1}, column {e.context_mark.column + 1}"
            what = f"{e.context}{started}, {what}"
        raise ProblemError(Issue(name, line, col, "", f"a YAML syntax error ({what})", "valid YAML or JSON")) from None
    except yaml.YAMLError as e:
        raise ProblemError(Issue(name, None, None, "", f"unreadable YAML ({e})", "valid YAML or JSON")) from None
    finally:
        loader.dispose()

    doc = Document(name, None)
    if root is None:
        raise ProblemError(Issue(name, 1, 1, "", "an empty file", "a mapping of keys such as layers:, inputs:, targets:"))
    issues: list[Issue] = []
    budget = [MAX_NODES]

    def build(node: yaml.Node, path: Path_) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise ProblemError(Issue(name, *_mark(node), "", "a document that expands to too many values", f"at most {MAX_NODES:,}"))
        doc.positions[path] = _mark(node)
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                issues.append(Issue(name, *_mark(node), _key(path), f"the tag {_describe_tag(node.tag)}", "plain data (tags are never constructed)"))
            out: dict[Any, Any] = {}
            for knode, vnode in node.value:
                key = build_scalar_key(knode, path)
                if key is _BAD:
                    continue
                if key in out:
                    first = doc.key_positions.get(path + (key,), (None, None))
                    issues.append(Issue(name, *_mark(knode), _key(path + (key,)), f"the key {key!r} a second time (first at line {first[0]})", "each key once; YAML would silently keep only the last"))
                    continue
                doc.key_positions[path + (key,)] = _mark(knode)
                out[key] = build(vnode, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                issues.append(Issue(name, *_mark(node), _key(path), f"the tag {_describe_tag(node.tag)}", "plain data (tags are never constructed)"))
            return [build(child, path + (i,)) for i, child in enumerate(node.value)]
        return build_scalar(node, path)

    def build_scalar(node: yaml.Node, path: Path_) -> Any:
        try:
            return loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            issues.append(Issue(name, *_mark(node), _key(path), f"the tag {_describe_tag(node.tag)}", "plain data (tags are never constructed)"))
            return _BAD

    def build_scalar_key(node: yaml.Node, path: Path_) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            issues.append(Issue(name, *_mark(node), _key(path), "a key that is a list or mapping", "a plain key name"))
            return _BAD
        key = build_scalar(node, path)
        if key is _BAD:
            return _BAD
        if not isinstance(key, str):
            key = str(key)
        return key

    doc.data = build(root, ())
    if issues:
        raise ProblemError(issues)
    return doc


class _Bad:
    def __repr__(self) -> str:
        return "<unreadable>"


_BAD = _Bad()


def _key(path: Path_) -> str:
    """A key path as users read it: layers[2].weights (list indices count from 1)."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p + 1}]"
        else:
            out += ("." if out else "") + str(p)
    return out


key_name = _key


class _NotPlain(ValueError):
    """JSON that the fast reader leaves to the YAML reader (duplicate keys, NaN, Infinity)."""


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _NotPlain(k)
        out[k] = v
    return out


def _constant(name):
    raise _NotPlain(name)


def parse_json_fast(text: str, name: str) -> Document | None:
    """JSON read by the C json module, without positions, or None when the text is not plain JSON.

    Problems the size of a dataset are read about ten times faster this way.
    A document with a mistake is read again by :func:`parse`, so that every
    message still names its line and column.
    """
    if not text.lstrip().startswith("{"):
        return None
    import json

    try:
        return Document(name, json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant))
    except ValueError:
        pass
    # An NDJSON stream (backprop step --format ndjson): its last line carries next_problem.
    last = text.rstrip().rsplit("\n", 1)[-1]
    try:
        data = json.loads(last, object_pairs_hook=_pairs, parse_constant=_constant)
    except ValueError:
        return None
    return Document(name, data) if isinstance(data, dict) and data.get("format") == "backprop-trace-end" else None


def from_data(data: Any, name: str) -> Document:
    """A document for data that did not come from text (no positions)."""
    return Document(name, data)
