"""Reading answers with the digits they were written with: YAML, JSON, or a two-column CSV (name,value).

A number is kept as an :class:`Answer`: its value, its text as written (the
decimals written decide the rounding it is graded at) and its line. Any other
value is kept as a :class:`Text` with its line, so that a decimal comma
(``0,5704``) or a word can be reported where it stands.

Limits, so that no file can hang or exhaust the grader: at most ``MAX_BYTES``
are read (``/dev/zero`` or an endless pipe is refused after that), nesting is
bounded before the YAML parser sees the text, aliases may not refer to
themselves, and a document may expand to at most ``MAX_VALUES`` values.
"""

from __future__ import annotations

import csv
import math
import re
from typing import Any, BinaryIO, NamedTuple

from ..bounded import tab_at
from ..errors import Issue, ProblemError
from ..yaml_import import yaml

MAX_BYTES = 1024 * 1024
"""Refuse answer files larger than this (1 MiB): a whole trace of answers is far smaller."""
MAX_VALUES = 100_000
"""Refuse answer documents that expand (through aliases) to more values than this."""
MAX_DEPTH = 32
"""Answers nest at most about 6 levels deep (epochs, steps, forward, entry, rows); refuse deeper."""
MAX_DECIMALS = 400
"""Decimals beyond this are beyond any float: an answer written with more is graded at this many."""

EXPECTED = (
    "answers: a mapping of names to numbers (YAML or JSON), a two-column CSV (name,value), or a partial JSON trace"
)


class Answer(NamedTuple):
    value: float
    text: str  # as written: its decimals decide the rounding
    line: int


class Text(NamedTuple):
    """A value that is not a number (a word, a decimal comma, a list where a number belongs), with its line."""

    text: str
    line: int


class Entries(dict):
    """A mapping that remembers the line of each key, and each key that was given twice."""

    def __init__(self):
        super().__init__()
        self.lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int, int]] = []  # (key, its line, the line of the first)

    def add(self, key: str, value: Any, line: int) -> None:
        if key in self:
            self.duplicates.append((key, line, self.lines[key]))
            return
        self[key] = value
        self.lines[key] = line


# ----------------------------------------------------------------------------- numbers as written

NUMBER = re.compile(r"[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?")
DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+(?:[eE][-+]?\d+)?")


def number(raw: str) -> float | None:
    """The value of a number written as people write them (0.5933, -4.386e-4, 12), or None."""
    text = raw.strip().replace("_", "")
    m = NUMBER.fullmatch(text)
    if not m or not (m.group(1) or m.group(2)):
        return None
    exponent = m.group(3)
    if exponent is not None and len(exponent.lstrip("+-")) > 6:  # a 5,000-digit exponent: 0 or too large
        return 0.0 if exponent.startswith("-") else math.inf
    return float(text)


def decimals(text: str) -> int:
    """How many decimals a written number carries: 0.5933 -> 4, 4.386e-4 -> 7, 12 -> 0 (at most MAX_DECIMALS)."""
    m = NUMBER.fullmatch(text.strip().replace("_", ""))
    if not m:
        return 12
    frac = len(m.group(2) or "")
    exp_text = (m.group(3) or "0").lstrip("+")
    if len(exp_text.lstrip("-")) > 6:
        return MAX_DECIMALS if exp_text.startswith("-") else 0
    return min(max(frac - int(exp_text), 0), MAX_DECIMALS)


def decimal_comma_hint(text: str) -> str | None:
    """'0,5704' -> '0.5704', the number a decimal comma meant; None when the text is something else."""
    return text.strip().replace(",", ".") if DECIMAL_COMMA.fullmatch(text.strip()) else None


def scalar(raw: str, line: int) -> Answer | Text:
    value = number(raw)
    if value is None or not math.isfinite(value):
        return Text(raw.strip(), line)
    return Answer(value, raw.strip(), line)


# ----------------------------------------------------------------------------- bytes -> text


def read_bytes(stream: BinaryIO, source: str) -> str:
    """At most MAX_BYTES of UTF-8 text from ``stream``; binary or oversized input is refused with a line."""
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ProblemError(
            Issue(source, None, None, "", f"more than {MAX_BYTES // 1024:,} KiB", "an answer file (a few kilobytes)")
        )
    return decode(data, source)


def decode(data: bytes, source: str) -> str:
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise ProblemError(
            Issue(source, line, nul - data.rfind(b"\n", 0, nul), "", "a NUL byte (a binary file)", EXPECTED)
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ProblemError(
            Issue(
                source,
                line,
                e.start - data.rfind(b"\n", 0, e.start),
                "",
                f"bytes that are not UTF-8 text (byte {e.start})",
                EXPECTED,
            )
        ) from None


# ----------------------------------------------------------------------------- text -> plain data


def parse(text: str, source: str) -> Any:
    """Plain data whose numbers are Answers: a YAML/JSON document, or a CSV of name,value rows."""
    if is_csv(text, source):
        return parse_csv(text, source)
    return parse_yaml(text, source)


def is_csv(text: str, source: str) -> bool:
    """A .csv file, or text whose first line has a comma or semicolon before any colon (name,value)."""
    if source.lower().endswith(".csv"):
        return True
    first = next((l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")), "")
    if first.lstrip().startswith(("{", "[", "-")):
        return False
    head = first.split(":", 1)[0]
    return ("," in head or ";" in head or "\t" in head) and ": " not in first


def parse_csv(text: str, source: str) -> Entries:
    """name,value rows (a header row such as 'name,value' is skipped); ';' or a tab also separate."""
    lines = text.splitlines()
    first = next((l for l in lines if l.strip()), "")
    delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
    out = Entries()
    seen_data = False
    for line_no, row in enumerate(csv.reader(lines, delimiter=delimiter), 1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        value = cells[1] if len(cells) > 1 else ""
        if not seen_data and number(value) is None and decimal_comma_hint(value) is None:
            seen_data = True  # a header row: name,value
            continue
        seen_data = True
        if any(cells[2:]):
            out.add(cells[0], Text(delimiter.join(cells[1:]), line_no), line_no)
            continue
        out.add(cells[0], scalar(value, line_no), line_no)
    if not out:
        raise ProblemError(Issue(source, 1, 1, "", "no rows of answers", EXPECTED))
    return out


def _too_deep(text: str) -> int | None:
    """The line where nesting goes beyond MAX_DEPTH levels, found before the YAML parser sees the text."""
    depth = 0
    for line_no, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        dashes = len(re.match(r"(?:-[ \t]+)*", stripped).group(0).replace(" ", "").replace("\t", ""))
        if (len(line) - len(stripped)) // 2 + dashes > MAX_DEPTH * 2:
            return line_no
        quote = None
        for ch in line:
            if quote:
                quote = None if ch == quote else quote
            elif ch in "\"'":
                quote = ch
            elif ch in "[{":
                depth += 1
                if depth > MAX_DEPTH * 2:
                    return line_no
            elif ch in "]}":
                depth -= 1
    return None


def parse_yaml(text: str, source: str) -> Any:
    if text.lstrip().startswith(("{", "[")):
        text = text.replace("\t", " ")  # JSON may be indented with tabs, which YAML refuses
    deep = _too_deep(text)
    if deep is not None:
        raise ProblemError(Issue(source, deep, 1, "", f"nesting deeper than {MAX_DEPTH} levels", EXPECTED))
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        if mark and tab_at(text, mark.line, mark.column):
            raise ProblemError(
                Issue(source, mark.line + 1, mark.column + 1, "", "a tab", "spaces: YAML indents with spaces")
            ) from None
        raise ProblemError(
            Issue(
                source,
                mark.line + 1 if mark else None,
                mark.column + 1 if mark else None,
                "",
                f"a YAML syntax error ({getattr(e, 'problem', None) or e})",
                "answers as YAML, JSON or CSV",
            )
        ) from None
    if node is None:
        raise ProblemError(Issue(source, 1, 1, "", "an empty file", EXPECTED))
    budget = [MAX_VALUES]

    def build(n: yaml.Node, depth: int, path: frozenset, entry: int = 1) -> Any:
        """``entry``: the line of the key whose value this is (an alias's values stand at the anchor's line)."""
        line = n.start_mark.line + 1
        budget[0] -= 1
        if budget[0] < 0:
            raise ProblemError(
                Issue(source, entry, 1, "", "a document that expands to too many values", f"at most {MAX_VALUES:,}")
            )
        if id(n) in path:
            raise ProblemError(
                Issue(
                    source, line, n.start_mark.column + 1, "", "an alias that contains itself", "answers without cycles"
                )
            )
        if depth > MAX_DEPTH:
            raise ProblemError(Issue(source, line, 1, "", f"nesting deeper than {MAX_DEPTH} levels", EXPECTED))
        inner = path | {id(n)}
        if isinstance(n, yaml.MappingNode):
            out = Entries()
            for k, v in n.value:
                key = str(k.value) if isinstance(k, yaml.ScalarNode) else "<a key that is not a name>"
                out.add(key, build(v, depth + 1, inner, k.start_mark.line + 1), k.start_mark.line + 1)
            return out
        if isinstance(n, yaml.SequenceNode):
            return [build(v, depth + 1, inner, entry) for v in n.value]
        if n.tag == "tag:yaml.org,2002:null":
            return None  # null, ~ or nothing: no answer (a trace's dL_db of a layer without bias)
        return scalar(str(n.value), line)

    return build(node, 0, frozenset())


# ----------------------------------------------------------------------------- does a written number match a value


def matches(answer: Answer, value: float, tolerance: float | None = None) -> bool:
    """True when ``value`` rounded to the decimals written equals the answer (or is within ``tolerance``)."""
    if tolerance is not None:
        return abs(answer.value - value) <= tolerance
    d = decimals(answer.text)
    return abs(answer.value - round(value, d)) <= 1e-9 * max(1.0, abs(value)) + 0.5 * 10.0 ** -(d + 6)


def significant(text: str) -> int:
    """Significant figures as written: 0.0466 -> 3, 1.000 -> 4, 4.386e-4 -> 4, 0 and 0.0 -> 0."""
    m = NUMBER.fullmatch(text.strip().replace("_", ""))
    if not m:
        return 0
    return len(((m.group(1) or "") + (m.group(2) or "")).lstrip("0"))


class Precision(NamedTuple):
    """What a right answer must carry: the true value rounded to its decimals, and enough digits.

    By default at least ``figures`` significant figures as written; with
    ``min_decimals``, at least that many decimals instead. A written 0 or ±1
    is never right by rounding alone (``w5⁺: 0``, ``out_o1: 1``), and an
    answer equal to the true value is always right (a given, an exact 0), as is
    one that is the true value at ``figures`` significant figures (4.9 for
    4.9000000001: the figures left out are zeros). A zero written with more
    decimals than ``figures`` (0.0000) is right for a value that is zero at two
    more decimals than written: Adam's w⁺ = 0.1 + (−0.09999999658) = 3.4e−9
    is 0.0000 in any hand calculation, while 0.0000 for a gradient of 4e−5 is
    too few figures.
    With ``tolerance``, right within that absolute difference, digits aside.
    """

    tolerance: float | None = None
    min_decimals: int | None = None
    figures: int = 3

    def judge(self, answer: Answer, value: float) -> str | None:
        """'right', 'imprecise' (it is the value, rounded, but with too few digits), or None."""
        if abs(answer.value - value) <= 1e-12 * max(1.0, abs(value)):
            return "right"
        if self.tolerance is not None:
            return "right" if abs(answer.value - value) <= self.tolerance else None
        if not matches(answer, value):
            return None
        enough_figures = significant(answer.text) >= self.figures or self._negligible(answer, value)
        if self.min_decimals is None:
            return "right" if enough_figures or self._same_at_figures(answer, value) else "imprecise"
        lazy = answer.value in (0.0, 1.0, -1.0) and not enough_figures
        return "right" if decimals(answer.text) >= self.min_decimals and not lazy else "imprecise"

    def _negligible(self, answer: Answer, value: float) -> bool:
        """A zero written with more decimals than ``figures`` (0.0000), for a value zero at two decimals more."""
        d = decimals(answer.text)
        return answer.value == 0.0 and d > self.figures and abs(value) < 0.5 * 10.0 ** -(d + 2)

    def _same_at_figures(self, answer: Answer, value: float) -> bool:
        """Fewer figures written, but nothing lost: the true value at ``figures`` significant figures is the
        answer (w⁺ = 4.9000000001 written 4.9, Δw = −0.0999999999 written −0.1). A 0 or ±1 never is."""
        if answer.value in (0.0, 1.0, -1.0):
            return False
        rounded = float(f"{value:.{self.figures}g}")
        return abs(answer.value - rounded) <= 1e-12 * max(1.0, abs(rounded))

    def follows(self, answer: Answer, value: float) -> bool:
        """Right for ``value``, allowing 2 units of the last decimal written (the student's own rounding upstream).

        For values derived from a student's rounded answers (error carried forward) or
        from a mistake: their exact value differs from the student's in the last digit.
        """
        if self.judge(answer, value) == "right":
            return True
        if self.tolerance is not None:
            return False
        d = decimals(answer.text)
        enough = (
            decimals(answer.text) >= self.min_decimals
            if self.min_decimals is not None
            else significant(answer.text) >= self.figures
        )
        return enough and abs(answer.value - value) <= 2 * 10.0**-d

    def wanted(self) -> str:
        """What an imprecise answer lacks, for the report."""
        if self.min_decimals is not None:
            return f"write at least {self.min_decimals} decimals"
        return f"write at least {self.figures} significant figures"
