"""The expression language of a computational graph: a tokenizer and a recursive-descent parser.

An expression is parsed into a small tree and never handed to Python: no
``eval``, ``exec``, ``compile`` or ``ast`` is involved, so ``__import__('os')``
or ``x.__class__`` is only text that the tokenizer or the parser refuses.

Grammar (``**`` binds tighter than unary minus and is right-associative, as in
Python and in mathematics: ``-x**2`` is ``-(x**2)``)::

    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | power
    power   := atom ("**" unary)?
    atom    := NUMBER | NAME | NAME "(" sum ("," sum)* ")" | "(" sum ")"

Limits keep a hostile file cheap: at most ``MAX_CHARS`` characters and
``MAX_TOKENS`` tokens per expression, at most ``MAX_DEPTH`` nested levels.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NamedTuple

MAX_CHARS = 2000
MAX_TOKENS = 400
MAX_DEPTH = 40

FUNCTIONS = {"exp": 1, "log": 1, "sqrt": 1, "abs": 1, "tanh": 1, "sigmoid": 1, "relu": 1, "max": 2, "min": 2}
"""The functions of the language and how many arguments each takes."""


class ExprError(ValueError):
    """An expression was refused: ``found`` says what, at character ``offset`` (0-based)."""

    def __init__(self, found: str, expected: str, offset: int):
        super().__init__(found)
        self.found, self.expected, self.offset = found, expected, offset


# ----------------------------------------------------------------------------- the tree


class Num(NamedTuple):
    value: Fraction  # exactly as written: 0.1 is 1/10
    text: str
    at: int


class Name(NamedTuple):
    name: str
    at: int


class Unary(NamedTuple):
    op: str  # "neg"
    operand: object
    at: int


class Binary(NamedTuple):
    op: str  # "add" "sub" "mul" "div" "pow"
    left: object
    right: object
    at: int


class Call(NamedTuple):
    op: str  # a FUNCTIONS name
    args: tuple
    at: int


Node = Num | Name | Unary | Binary | Call

# ----------------------------------------------------------------------------- tokens


class Token(NamedTuple):
    kind: str  # "num" "name" "op" "end"
    text: str
    at: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/(),])
""",
    re.X,
)

_HINTS = {
    ".": "attribute access is not part of the language",
    "^": "write ** for a power (x**2)",
    "[": "indexing is not part of the language",
    "=": "a node is defined by its key; write only the expression",
    ":": "a node is defined by its key; write only the expression",
    "'": "text in quotes is not part of the language",
    '"': "text in quotes is not part of the language",
}

EXPECTED = "an expression of numbers, names, + - * / **, parentheses and exp log sqrt abs tanh sigmoid relu max min"


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_CHARS:
        raise ExprError(f"an expression of {len(text):,} characters", f"at most {MAX_CHARS:,} characters per node", 0)
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = _HINTS.get(ch)
            raise ExprError(f"the character {ch!r}" + (f" ({hint})" if hint else ""), EXPECTED, pos)
        if m.lastgroup != "space":
            if m.lastgroup == "name" and m.end() < len(text) and text[m.end()] == ".":
                raise ExprError(
                    f"{text[pos : m.end() + 1]!r} (attribute access is not part of the language)", EXPECTED, m.end()
                )
            out.append(Token(m.lastgroup, m.group(), pos))
            if len(out) > MAX_TOKENS:
                raise ExprError(
                    f"more than {MAX_TOKENS} tokens",
                    f"at most {MAX_TOKENS} tokens per node: split the expression into several nodes",
                    pos,
                )
        pos = m.end()
    out.append(Token("end", "", len(text)))
    return out


# ----------------------------------------------------------------------------- the parser


def _describe(tok: Token) -> str:
    return "the end of the expression" if tok.kind == "end" else repr(tok.text)


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, text: str, what: str) -> Token:
        if self.tok.text != text or self.tok.kind != "op":
            raise ExprError(_describe(self.tok), what, self.tok.at)
        return self.take()

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(
                f"more than {MAX_DEPTH} nested levels",
                f"at most {MAX_DEPTH}: split the expression into nodes",
                self.tok.at,
            )

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExprError("an empty expression", EXPECTED, 0)
        node = self.sum()
        if self.tok.kind != "end":
            raise ExprError(_describe(self.tok), "an operator (+ - * / **) or the end of the expression", self.tok.at)
        return node

    def sum(self) -> Node:
        self.nested()
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take()
            node = Binary("add" if op.text == "+" else "sub", node, self.product(), op.at)
        self.depth -= 1
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take()
            right = self.unary()
            if op.text == "/" and isinstance(right, Num) and right.value == 0:
                raise ExprError(f"a division by the literal zero {right.text!r}", "a divisor that is not 0", right.at)
            node = Binary("mul" if op.text == "*" else "div", node, right, op.at)
        return node

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            op = self.take()
            self.nested()
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, Num):  # -3 is the number −3, not a gate
                return Num(-operand.value, "-" + operand.text, op.at)
            return Unary("neg", operand, op.at)
        if self.tok.kind == "op" and self.tok.text == "+":
            raise ExprError("a unary '+'", "a number, a name, a function or '(' (write x, not +x)", self.tok.at)
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "**":
            op = self.take()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            return Binary("pow", base, exponent, op.at)
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.take()
            return Num(_number(tok), tok.text, tok.at)
        if tok.kind == "name":
            self.take()
            if self.tok.kind == "op" and self.tok.text == "(":
                return self.call(tok)
            if tok.text in FUNCTIONS:
                raise ExprError(f"the function {tok.text!r} without '('", f"{tok.text}(…)", tok.at)
            return Name(tok.text, tok.at)
        if tok.kind == "op" and tok.text == "(":
            self.take()
            if self.tok.kind == "op" and self.tok.text == ")":
                raise ExprError("empty parentheses '()'", "an expression inside the parentheses", self.tok.at)
            node = self.sum()
            self.expect(")", "')' to close the '(' at character " + str(tok.at + 1))
            return node
        raise ExprError(_describe(tok), "a number, a name, a function or '('", tok.at)

    def call(self, name: Token) -> Node:
        if name.text not in FUNCTIONS:
            raise ExprError(
                f"a call of the unknown function {name.text!r}", "one of the functions " + " ".join(FUNCTIONS), name.at
            )
        self.expect("(", "'('")
        self.nested()
        args = [self.sum()]
        while self.tok.kind == "op" and self.tok.text == ",":
            self.take()
            args.append(self.sum())
        self.expect(")", "')' or ',' in the call of " + name.text)
        self.depth -= 1
        arity = FUNCTIONS[name.text]
        if len(args) != arity:
            nest = " (nest them: max(a, max(b, c)))" if arity == 2 and len(args) > 2 else ""
            raise ExprError(
                f"{name.text} with {len(args)} argument{'s' * (len(args) != 1)}",
                f"{name.text} with {arity} argument{'s' * (arity != 1)}{nest}",
                name.at,
            )
        return Call(name.text, tuple(args), name.at)


def _number(tok: Token) -> Fraction:
    """The literal as an exact fraction; refused when it would not fit a float64 (1e999, 1e-999)."""
    mantissa, _, exponent = tok.text.lower().partition("e")
    if exponent and abs(int(exponent)) > 300 or len(mantissa) > 300:
        raise ExprError(f"the number {tok.text[:20]!r}", "a number between 1e-300 and 1e300 in size", tok.at)
    value = Fraction(tok.text)
    if value and not 1e-300 <= abs(value) <= 1e300:
        raise ExprError(f"the number {tok.text[:20]!r}", "a number between 1e-300 and 1e300 in size", tok.at)
    return value


def parse(text: str) -> Node:
    """The tree of ``text``, or :class:`ExprError` naming the offending token and where it stands."""
    return _Parser(text).parse()


def names(node: Node) -> list[Name]:
    """Every name the expression reads, in the order written."""
    if isinstance(node, Name):
        return [node]
    if isinstance(node, Unary):
        return names(node.operand)
    if isinstance(node, Binary):
        return names(node.left) + names(node.right)
    if isinstance(node, Call):
        return [n for a in node.args for n in names(a)]
    return []
