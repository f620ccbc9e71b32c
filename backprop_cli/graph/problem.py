"""The problem file of a computational graph (SPEC §5): reading and validating it.

A file whose top-level mapping has a ``graph:`` key is a circuit::

    inputs: {x: -2, y: 5, z: -4}
    graph:            # named nodes in order, each over inputs and earlier nodes
      q: x + y
      f: q * z
    output: f         # default: the last node
    learning_rate: 0.1
    train: [x, y]
    maximize: false   # true: gradient ascent, x ← x + η·∂f/∂x (Karpathy's micrograd and Hacker's guide)

Everything is checked before anything is computed; every mistake is one
:class:`~backprop_cli.errors.Issue` naming file, line, key, what was found and
what was expected. Expressions are parsed by :mod:`.expr`, never evaluated.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, NamedTuple

from .. import source
from ..errors import Issue, ProblemError, key_name
from ..fields import describe
from . import expr
from .circuit import Gate, decompose

TOP_KEYS = ("title", "source", "notes", "inputs", "graph", "output", "learning_rate", "train", "maximize")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}\Z")
MAX_INPUTS = 100
MAX_NODES = 200
MAX_GATES = 1000


class GraphProblem(NamedTuple):
    title: str
    source: str
    notes: str
    origin: str  # the file name, or <stdin>
    inputs: dict[str, float]  # as float64
    exact_inputs: dict[str, Fraction]  # as written (0.1 is 1/10)
    nodes: dict[str, str]  # name -> expression as written, in order
    gates: tuple[Gate, ...]  # in the order they are computed
    output: str
    learning_rate: float | None
    train: tuple[str, ...]
    warnings: list[str]
    lines: dict[str, int]  # the line of each input and node in the file
    maximize: bool = False  # the step goes up the gradient (ascent) instead of down

    @property
    def step_sign(self) -> int:
        """+1 for gradient ascent (x ← x + η·∂f/∂x), −1 for descent (x ← x − η·∂f/∂x)."""
        return 1 if self.maximize else -1

    kind = "graph"

    def names(self) -> list[str]:
        """Inputs, then every gate's value (named nodes and intermediates), in the order computed."""
        return list(self.inputs) + [g.name for g in self.gates]


def is_graph(problem: Any) -> bool:
    return isinstance(problem, GraphProblem)


# ----------------------------------------------------------------------------- reading


def has_graph_key(doc: source.Document) -> bool:
    return isinstance(doc.data, dict) and "graph" in doc.data


def read_if_graph(text: str, name: str) -> GraphProblem | None:
    """The graph problem in ``text``, or None when it is not one (then it is a network's problem file)."""
    if not re.search(r"""(^|[{,\s])["']?graph["']?\s*:""", text, re.M):
        return None  # cheap: most network files never say graph:
    doc = source.parse(text, name)
    return validate(doc) if has_graph_key(doc) else None


def load_if_graph(path: str) -> GraphProblem | None:
    """The graph problem in the file at ``path``, or None (unreadable files are left to the network reader)."""
    try:
        with open(path, "rb") as f:
            data = f.read(source.MAX_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if len(data) > source.MAX_BYTES:
        return None
    return read_if_graph(text, str(path))


def from_dict(data: dict, name: str = "<dict>") -> GraphProblem:
    return validate(source.from_data(data, name))


def loads(text: str, name: str = "<string>") -> GraphProblem:
    doc = source.parse(text, name)
    if not has_graph_key(doc):
        raise ProblemError(Issue(name, *doc.where(()), "graph", "no graph:", "a computational graph (graph: nodes)"))
    return validate(doc)


# ----------------------------------------------------------------------------- validation


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class _Validator:
    def __init__(self, doc: source.Document):
        self.doc = doc
        self.issues: list[Issue] = []
        self.warnings: list[str] = []

    def issue(self, path: tuple, found: str, expected: str, at_key: bool = False, column_offset: int | None = None):
        line, col = self.doc.where(path, at_key)
        if column_offset is not None and col is not None:
            col += column_offset
        self.issues.append(Issue(self.doc.name, line, col, key_name(path), found, expected))

    def name(self, path: tuple, name: str, what: str) -> bool:
        if not NAME.match(name):
            self.issue(path, f"the name {name!r}", f"{what}: a letter, then letters, digits or _ (at most 32)", True)
            return False
        if name in expr.FUNCTIONS:
            self.issue(path, f"the name {name!r}, which is a function", f"{what} that is not a function's name", True)
            return False
        return True

    def inputs(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or not value:
            self.issue(("inputs",), describe(value), "a mapping of named numbers, like {x: -2, y: 5}")
            return {}
        if len(value) > MAX_INPUTS:
            self.issue(("inputs",), f"{len(value)} inputs", f"at most {MAX_INPUTS}")
            return {}
        out = {}
        for name, v in value.items():
            if not self.name(("inputs", name), name, "an input name"):
                continue
            if not _number(v):
                self.issue(("inputs", name), describe(v), "a finite number")
                continue
            out[name] = v
        return out

    def graph(self, value: Any, inputs: dict) -> tuple[dict[str, str], list[Gate]]:
        if not isinstance(value, dict) or not value:
            self.issue(("graph",), describe(value), "a mapping of named nodes, like {q: x + y, f: q * z}")
            return {}, []
        if len(value) > MAX_NODES:
            self.issue(("graph",), f"{len(value)} nodes", f"at most {MAX_NODES}")
            return {}, []
        later = {n: i for i, n in enumerate(value)}
        known, taken = set(inputs), set(inputs) | set(value)
        nodes: dict[str, str] = {}
        gates: list[Gate] = []
        for i, (name, text) in enumerate(value.items()):
            path = ("graph", name)
            if not self.name(path, name, "a node name"):
                continue
            if name in inputs:
                self.issue(path, f"the node {name!r}, which is also an input", "each name once", True)
                continue
            tree = self.expression(path, text)
            if tree is None:
                continue
            if self.references(path, name, tree, known, later, i):
                nodes[name] = str(text)
                gates += decompose(name, tree, taken, *self.doc.where(path))
            known.add(name)
        if len(gates) > MAX_GATES:
            self.issue(("graph",), f"{len(gates)} operations", f"at most {MAX_GATES}")
        return nodes, gates

    def expression(self, path: tuple, text: Any):
        if _number(text):
            text = repr(text)
        if not isinstance(text, str):
            self.issue(path, describe(text), "an expression (text such as x + y) or a number")
            return None
        try:
            return expr.parse(text)
        except expr.ExprError as e:
            shown = text if len(text) <= 60 else text[:57] + "…"
            self.issue(path, f"{e.found} at character {e.offset + 1} of {shown!r}", e.expected, column_offset=e.offset)
            return None

    def references(self, path, name, tree, known, later, index) -> bool:
        ok = True
        for ref in expr.names(tree):
            if ref.name in known:
                continue
            ok = False
            if ref.name == name:
                found, expected = f"{name} uses itself (a cycle)", "an expression over inputs and earlier nodes"
            elif ref.name in later and later[ref.name] > index:
                found = f"{ref.name!r}, a node defined after {name}"
                expected = "only inputs and earlier nodes (a graph has no cycles: move the node up)"
            else:
                import difflib

                close = difflib.get_close_matches(ref.name, sorted(known), n=1)
                found = f"the unknown name {ref.name!r}"
                expected = "an input or an earlier node" + (f"; did you mean {close[0]}?" if close else "")
            self.issue(path, found, expected, column_offset=ref.at)
        return ok


def validate(doc: source.Document) -> GraphProblem:
    v = _Validator(doc)
    data = doc.data
    for key in data:
        if key not in TOP_KEYS:
            v.issue((key,), f"the unknown key {key!r}", "one of the graph problem keys " + ", ".join(TOP_KEYS), True)
    if "inputs" not in data:
        v.issue((), "no inputs:", "the required key inputs (named numbers, like {x: -2, y: 5})")
    inputs = v.inputs(data["inputs"]) if "inputs" in data else {}
    nodes, gates = v.graph(data["graph"], inputs)
    output = data.get("output", list(nodes)[-1] if nodes else None)
    if "output" in data and output not in nodes:
        v.issue(("output",), describe(output), "the name of a node of graph: " + ", ".join(nodes))
    lr = data.get("learning_rate")
    if lr is not None and (not _number(lr) or lr < 0):
        v.issue(("learning_rate",), describe(lr), "a number ≥ 0 (η)")
    train = data.get("train", [])
    if not isinstance(train, list) or any(t not in inputs for t in train) or len(set(train)) != len(train):
        v.issue(("train",), describe(train), "a list of input names, each once: " + ", ".join(inputs))
        train = []
    if train and lr is None:
        v.issue(("train",), "train: without learning_rate:", "learning_rate: η beside it")
    if lr is not None and not train and "learning_rate" in data:
        line = doc.where(("learning_rate",))[0]
        v.warnings.append(f"{doc.name}:{line}: learning_rate: ignored: train: lists no input to update")
    maximize = data.get("maximize", False)
    if not isinstance(maximize, bool):
        v.issue(("maximize",), describe(maximize), "true (gradient ascent) or false (descent, the default)")
        maximize = False
    if maximize and lr is None:
        v.warnings.append(
            f"{doc.name}:{doc.where(('maximize',))[0]}: maximize: ignored: there is no learning_rate: step"
        )
    for key in ("title", "source", "notes"):
        if key in data and not isinstance(data[key], (str, int, float)):
            v.issue((key,), describe(data[key]), "text")
    if v.issues:
        raise ProblemError(v.issues)
    return GraphProblem(
        title=str(data.get("title", "") or ""),
        source=str(data.get("source", "") or ""),
        notes=str(data.get("notes", "") or ""),
        origin=doc.name,
        inputs={k: float(x) for k, x in inputs.items()},
        exact_inputs={k: Fraction(repr(x)) if isinstance(x, float) else Fraction(x) for k, x in inputs.items()},
        nodes=nodes,
        gates=tuple(gates),
        output=output,
        learning_rate=None if lr is None else float(lr),
        train=tuple(train),
        warnings=v.warnings,
        lines={k: doc.where(("inputs", k))[0] for k in inputs} | {k: doc.where(("graph", k))[0] for k in nodes},
        maximize=maximize,
    )


def to_dict(problem: GraphProblem) -> dict:
    """The problem as run, in the file's own keys (for the JSON output)."""
    out: dict[str, Any] = {"title": problem.title} if problem.title else {}
    out |= {"inputs": dict(problem.inputs), "graph": dict(problem.nodes), "output": problem.output}
    if problem.learning_rate is not None:
        out["learning_rate"] = problem.learning_rate
        out["train"] = list(problem.train)
    if problem.maximize:
        out["maximize"] = True
    return out
