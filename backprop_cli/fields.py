"""Typed readers of problem-file fields that collect issues with file, line, key, found and expected.

The rules of a problem (validate.py) are written with these readers; every
issue names where it is and what was expected, and up to ``MAX_ISSUES`` are
reported at once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import source
from .errors import Issue, key_name
from .params import Param

MAX_ISSUES = 20


def describe(value: Any) -> str:
    """How a found value is described in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return f"{value!r} (text)" if len(value) < 60 else f"text of {len(value):,} characters"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def close_match(word: str, choices) -> list[str]:
    """The choice nearest to a misspelt name, if one is near ("learning_rat" -> learning_rate)."""
    import difflib  # only when a name is wrong

    return difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)


def quoted_number_hint(value: Any) -> str:
    """A number written in quotes is text to YAML and JSON: say so."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return ""
        return f" (write {value.strip()} without quotes: in quotes it is text)"
    return ""


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Fields:
    """Typed readers of a parsed document that collect every issue instead of stopping at the first.

    Each reader takes the path of the value inside the document (for its line
    and column) and returns the value, or None after recording an issue.
    """

    def __init__(self, doc: source.Document, prefix: tuple):
        self.doc = doc
        self.prefix = prefix
        self.issues: list[Issue] = []
        self.more = 0  # issues found beyond MAX_ISSUES
        self.warnings: list[str] = []

    # ----------------------------------------------------------------- reporting

    def issue(self, path: tuple, found: str, expected: str, at_key: bool = False) -> None:
        full = self.prefix + tuple(path)
        line, col = self.doc.where(full, at_key)
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(self.doc.name, line, col, key_name(full), found, expected))
        else:
            self.more += 1

    def warn(self, path: tuple, message: str) -> None:
        full = self.prefix + tuple(path)
        line, _ = self.doc.where(full, True)
        where = f"{self.doc.name}:{line}" if line else self.doc.name
        self.warnings.append(f"{where}: {key_name(full)}: {message}")

    def check_keys(self, path: tuple, mapping: dict, allowed: tuple, what: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = close_match(str(key), allowed)
                hint = f"; did you mean {close[0]}?" if close else ""
                self.issue(
                    path + (key,),
                    f"the unknown key {key!r}",
                    f"one of the {what} keys {', '.join(allowed)}{hint}",
                    at_key=True,
                )

    # ----------------------------------------------------------------- scalars

    def number(
        self,
        path: tuple,
        value: Any,
        what: str = "a number",
        *,
        low: float | None = None,
        integer: bool = False,
        positive: bool = False,
    ) -> float | int | None:
        if not is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
            self.issue(path, describe(value), what + quoted_number_hint(value))
            return None
        if integer:
            if isinstance(value, float) and not value.is_integer():
                self.issue(path, describe(value), what)
                return None
            value = int(value)
        if positive and value <= 0 or low is not None and value < low:
            self.issue(path, describe(value), what)
            return None
        return value

    def choice(self, path: tuple, value: Any, choices: tuple, what: str) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        close = close_match(value, choices) if isinstance(value, str) else []
        hint = f"; did you mean {close[0]}?" if close else ""
        self.issue(path, describe(value), f"{what}: one of {', '.join(choices)}{hint}")
        return None

    def text(self, path: tuple, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        self.issue(path, describe(value), "free text")
        return None

    def boolean(self, path: tuple, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.issue(path, describe(value), "true or false")
        return None

    def matrix(self, path: tuple, value: Any, what: str, *, flat_is_row: bool = True) -> np.ndarray | None:
        """A rectangular matrix of finite numbers, as a float64 array (rows, cols)."""
        if is_number(value):
            value = [[value]]
        elif isinstance(value, list) and value and all(is_number(v) or not isinstance(v, list) for v in value):
            value = [value] if flat_is_row else [[v] for v in value]
        if not isinstance(value, list) or not value:
            self.issue(path, describe(value), what)
            return None
        ok = True
        width = None
        for i, row in enumerate(value):
            if not isinstance(row, list) or not row:
                self.issue(path + (i,), describe(row), f"a row: a list of numbers ({what})")
                ok = False
                continue
            if width is None:
                width = len(row)
            elif len(row) != width:
                self.issue(
                    path + (i,),
                    f"a row of {len(row)} numbers",
                    f"{width} numbers, like row 1 (rows must all have the same length)",
                )
                ok = False
            for j, v in enumerate(row):
                if not is_number(v):
                    self.issue(path + (i, j), describe(v), "a number" + quoted_number_hint(v))
                    ok = False
                elif isinstance(v, float) and not math.isfinite(v):
                    self.issue(path + (i, j), repr(v), "a finite number")
                    ok = False
        return np.array(value, dtype=np.float64) if ok else None

    def param(self, path: tuple, value: Any, declared: Param) -> Any:
        """A declared parameter (see params.Param): a number in its range, a boolean, or a pair of numbers."""
        if declared.kind == "bool":
            return self.boolean(path, value)
        if declared.kind == "pair":
            if not (isinstance(value, list) and len(value) == 2 and all(is_number(v) for v in value)):
                self.issue(path, describe(value), declared.expected())
                return None
            if not all(declared.accepts(float(v)) for v in value):
                self.issue(path, repr(value), declared.expected())
                return None
            return (float(value[0]), float(value[1]))
        num = self.number(path, value, declared.expected())
        if num is not None and not declared.accepts(float(num)):
            self.issue(path, repr(num), declared.expected())
            return None
        return None if num is None else float(num)

    def parameters(self, path: tuple, given: dict, declared: dict[str, Param], owner: str) -> dict[str, Any]:
        """The parameters of a registry entry (``{name: adam, eps: 1e-6}``): each known and valid."""
        out = {}
        for key, v in given.items():
            if key not in declared:
                close = close_match(str(key), declared)
                hint = f"; did you mean {close[0]}?" if close else ""
                takes = f"{owner} takes {', '.join(declared)}{hint}" if declared else f"{owner} takes no parameters"
                self.issue(path + (key,), f"the parameter {key!r}", takes, at_key=True)
                continue
            val = self.param(path + (key,), v, declared[key])
            if val is not None:
                out[key] = val
        return out

    def named_entry(self, path: tuple, value: Any, table: dict, aliases: dict, what: str, example: str):
        """A registry entry written as a name or as {name: …, parameter: value …}: (entry, given parameters)."""
        given: dict = {}
        name_path = path
        if isinstance(value, dict):
            if "name" not in value:
                self.issue(path, f"{what} mapping without name:", example)
                return None, {}
            given = {k: v for k, v in value.items() if k != "name"}
            value, name_path = value["name"], path + ("name",)
        name = aliases.get(value, value) if isinstance(value, str) else value
        entry = table.get(name) if isinstance(name, str) else None
        if entry is None:
            self.choice(name_path, value, tuple(table) + tuple(aliases), what)
            return None, {}
        return entry, self.parameters(path, given, entry.params, entry.name)
