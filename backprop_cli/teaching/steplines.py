"""An optimizer's step worked line by line from the student's own values: error carried forward inside one step.

The optimizer table (optimizers.py) writes each step as :class:`~backprop_cli.optimizers.Line`\\ s, in the
order a derivation takes them, each ``result = formula`` whose formula names earlier values as
``$name`` placeholders (``$exp_avg``, ``$exp_avg_sq_prev``, ``$beta1``, ``$lr``, ``$t``, …). When a student
writes one value of the step wrongly (Adam's m), the later lines that use it (m̂, Δw, and so w⁺)
are what they would compute from it: this module evaluates those lines from the student's
values, so that an answer which follows correctly from the student's own m is CARRIED, not WRONG.

The formulas are the page's own text (their Unicode column), read by a small recursive-descent
parser over a fixed grammar, never ``eval``: numbers, placeholders, ``+ − ·  /``, unary minus,
``^`` (a power), ``²``, ``√`` (of the next factor or bracket), brackets and ``max(a, b)``.
A formula it cannot read, or one naming a value it does not have, gives None and the step's
own value is kept (nothing is carried through that line; tests hold every formula of the table
to the step function's numbers, so this does not happen with the table as it is).

No optimizer is named here: everything comes from the problem's optimizer entry.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from ..optimizer_lines import Line

Values = dict[str, object]

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|\$([_a-zA-Z][_a-zA-Z0-9]*)|(max)\b|([-+−·×/^²√(),]))")
PLACEHOLDER = re.compile(r"\$([_a-zA-Z][_a-zA-Z0-9]*)")


class Unreadable(ValueError):
    """A formula outside the grammar."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Unreadable(f"{text!r} at {pos}")
        number, name, word, op = m.groups()
        out.append(("num", number) if number else ("name", name) if name else ("op", word or op))
        pos = m.end()
    return out


Node = tuple  # ("num", x) | ("name", n) | (operator, operand, …): + − · / ^ neg √ ² max


class _Parser:
    """sum := product (± product)*;  product := unary ((· | /) unary)*;  unary := − unary | root;
    root := √ root | power;  power := postfix (^ postfix)?;  postfix := atom ²*;
    atom := number | $name | ( sum ) | max( sum , sum )."""

    def __init__(self, text: str):
        self.tokens, self.at = _tokens(text), 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, *expected: str) -> str:
        if self.at >= len(self.tokens) or (expected and self.tokens[self.at][1] not in expected):
            raise Unreadable(f"expected {expected} at token {self.at}")
        self.at += 1
        return self.tokens[self.at - 1][1]

    def whole(self) -> Node:
        node = self.sum()
        if self.at != len(self.tokens):
            raise Unreadable(f"left over from token {self.at}")
        return node

    def sum(self) -> Node:
        node = self.product()
        while self.peek() in ("+", "−", "-"):
            op = "+" if self.take() == "+" else "−"
            node = (op, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.peek() in ("·", "×", "/"):
            op = "/" if self.take() == "/" else "·"
            node = (op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() in ("−", "-"):
            self.take()
            return ("neg", self.unary())
        return self.root()

    def root(self) -> Node:
        if self.peek() == "√":
            self.take()
            return ("√", self.root())
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.peek() == "^":
            self.take()
            return ("^", base, self.postfix())
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while self.peek() == "²":
            self.take()
            node = ("²", node)
        return node

    def atom(self) -> Node:
        kind, text = self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")
        if kind in ("num", "name"):
            self.take()
            return (kind, float(text) if kind == "num" else text)
        if text == "max":
            self.take()
            self.take("(")
            a = self.sum()
            self.take(",")
            b = self.sum()
            self.take(")")
            return ("max", a, b)
        self.take("(")
        node = self.sum()
        self.take(")")
        return node


_APPLY = {
    "+": lambda a, b: a + b,
    "−": lambda a, b: a - b,
    "·": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
    "neg": lambda a: -a,
    "√": np.sqrt,
    "²": lambda a: a * a,
    "max": np.maximum,
}


def _value(node: Node, values: Values):
    if node[0] == "num":
        return node[1]
    if node[0] == "name":
        return values[node[1]]
    return _APPLY[node[0]](*(_value(n, values) for n in node[1:]))


@lru_cache(maxsize=256)
def compiled(text: str) -> Node | None:
    """The formula ``text`` as a tree, or None when it is outside the grammar."""
    try:
        return _Parser(text).whole()
    except Unreadable:
        return None


def uses(line: Line) -> frozenset[str]:
    """The values a line's formula names ($exp_avg -> exp_avg)."""
    return _names(line.formula[0])


@lru_cache(maxsize=256)
def _names(text: str) -> frozenset[str]:
    return frozenset(PLACEHOLDER.findall(text))


def evaluate(line: Line, values: Values):
    """The line's value from ``values``, or None when its formula cannot be read or names a value not given."""
    tree = compiled(line.formula[0])
    if tree is None:
        return None
    try:
        with np.errstate(all="ignore"):
            return _value(tree, values)
    except (KeyError, TypeError):  # a value not given, or not a number
        return None


def inputs(problem, param, grad, before: dict, after: dict) -> Values:
    """The placeholders of a step that are not its own lines' results: the hyperparameters, η, w, g, t and
    each buffer before the step ($exp_avg_prev: 0 at the first step, or the hyperparameter it starts at)."""
    opt = problem.optimizer
    values: Values = {k: v for k, v in problem.hp.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    values.update(lr=problem.learning_rate, w=param, g=grad)
    if "step" in after:
        values["t"] = float(after["step"])
    for key in opt.state:
        start = opt.starts.get(key)
        values[f"{key}_prev"] = before[key] if before.get(key) is not None else problem.hp[start] if start else 0.0
    return values


def lines(problem, before: dict) -> tuple[Line, ...]:
    """The step's lines as the page takes them (the first step of a buffer may have a line of its own)."""
    return problem.optimizer.shown_lines({**problem.hp, "first_step": not before})
