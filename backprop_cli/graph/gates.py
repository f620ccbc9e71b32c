"""The gates of a circuit: one table entry per operation.

Each entry holds what the engine needs (the forward value and the local
derivative ∂out/∂operand of each operand), what the page needs (display
templates, with names or with numbers substituted) and the pattern a course
teaches about how the gate passes the gradient back (CS231n: "add distributes",
"max routes", "multiply swaps").

Templates use ``$a``, ``$b`` (the operands) and ``$out`` (the gate's value);
``$pa``, ``$pb``, ``$pout`` stand for the same, parenthesised when a number
substituted there is negative. Each template is a (Unicode, LaTeX) pair.

The arithmetic is written once for both kinds of number: Python floats
(IEEE float64) and ``fractions.Fraction`` (exact). Operations whose value of a
rational number is irrational in general (exp, log, sqrt, tanh, sigmoid) use
``math`` and are refused under exact arithmetic before anything runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

Number = float | Fraction


class Undefined(ArithmeticError):
    """The operation has no finite value or derivative here (log of a negative number, division by 0)."""


def _one(x: Number) -> Number:
    return Fraction(1) if isinstance(x, Fraction) else 1.0


def _zero(x: Number) -> Number:
    return Fraction(0) if isinstance(x, Fraction) else 0.0


def _finite(f: Callable[[float], float], what: str) -> Callable[[float], float]:
    def g(x: float) -> float:
        try:
            y = f(x)
        except (OverflowError, ValueError):
            raise Undefined(what) from None
        if not math.isfinite(y):
            raise Undefined(what)
        return y

    return g


def _div(a: Number, b: Number) -> Number:
    if b == 0:
        raise Undefined("a division by 0")
    return a / b


def _pow(a: Number, b: Number) -> Number:
    if a == 0 and b < 0:
        raise Undefined("0 raised to a negative power")
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a ** int(b)  # exact arithmetic allows integer exponents only (checked before the run)
    if a < 0 and float(b) != int(b):
        raise Undefined(f"a negative number raised to the non-integer power {float(b):g}")
    try:
        y = float(a) ** float(b)
    except (OverflowError, ZeroDivisionError):
        raise Undefined("a power that overflows") from None
    if not math.isfinite(y):
        raise Undefined("a power that overflows")
    return y


def _pow_local(a: Number, b: Number, out: Number, refs: tuple[bool, ...]) -> list:
    """∂(aᵇ)/∂a = b·aᵇ⁻¹; ∂(aᵇ)/∂b = aᵇ·ln a (only when the exponent is a value of the graph, and then a > 0)."""
    da = b * _pow(a, b - 1) if b != 0 else _zero(a)
    if not refs[1]:
        return [da, None]
    if a <= 0:
        raise Undefined(
            f"∂(a**b)/∂b = a**b·ln a with a = {float(a):g} ≤ 0 (a power with a variable exponent needs a positive base)"
        )
    return [da, out * math.log(a)]


def _sigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e⁻ˣ), written so that neither branch overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sqrt_local(a, out, refs):
    if out == 0:
        raise Undefined("∂sqrt(a)/∂a = 1/(2·sqrt(a)) at a = 0")
    return [1.0 / (2.0 * out)]


def _log(a):
    if a <= 0:
        raise Undefined(f"log of {float(a):g} (log needs a positive argument)")
    return math.log(a)


def _sign(a: Number) -> Number:
    return _one(a) if a > 0 else -_one(a) if a < 0 else _zero(a)


@dataclass(frozen=True)
class Op:
    name: str  # as the language writes it (add, mul, sigmoid, ...)
    title: str  # "multiply gate"
    symbol: str  # inside the gate's circle in a drawing
    arity: int
    show: tuple[str, str]  # the gate's operation
    forward: Callable[..., Number]  # (*operand values) -> value
    local: Callable[..., list]  # (*operand values, out, refs) -> ∂out/∂operand for each operand
    local_show: tuple[tuple[str, str], ...]  # one template per operand
    pattern: str  # how the gate passes the gradient back
    rational: bool  # the value and the local derivatives of rationals are rational


def _unary(name, title, symbol, show, forward, local, local_show, pattern, rational=False) -> Op:
    return Op(
        name,
        title,
        symbol,
        1,
        show,
        forward,
        lambda a, out, refs: local(a, out, refs),
        (local_show,),
        pattern,
        rational,
    )


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            "add",
            "add gate",
            "+",
            2,
            ("$a + $pb", "$a + $pb"),
            lambda a, b: a + b,
            lambda a, b, out, refs: [_one(out), _one(out)],
            (("1", "1"), ("1", "1")),
            "add distributes: each operand receives the upstream gradient unchanged (its local derivative is 1).",
            True,
        ),
        Op(
            "sub",
            "subtract gate",
            "−",
            2,
            ("$a − $pb", "$a - $pb"),
            lambda a, b: a - b,
            lambda a, b, out, refs: [_one(out), -_one(out)],
            (("1", "1"), ("−1", "-1")),
            "subtract distributes with a sign: the first operand receives the upstream gradient, "
            "the second receives it negated (its local derivative is −1).",
            True,
        ),
        Op(
            "mul",
            "multiply gate",
            "×",
            2,
            ("$pa·$pb", r"$pa \cdot $pb"),
            lambda a, b: a * b,
            lambda a, b, out, refs: [b, a],
            (("$b", "$b"), ("$a", "$a")),
            "multiply swaps: each operand's local derivative is the other operand's value.",
            True,
        ),
        Op(
            "div",
            "divide gate",
            "÷",
            2,
            ("$pa / $pb", r"\frac{$a}{$b}"),
            _div,
            lambda a, b, out, refs: [_div(_one(out), b), _div(-a, b * b)],
            (("1 / $pb", r"\frac{1}{$b}"), ("−$pa / $pb²", r"-\frac{$a}{{$pb}^{2}}")),
            "divide scales: the numerator receives the upstream gradient divided by the denominator; "
            "the denominator receives −upstream·numerator/denominator².",
            True,
        ),
        Op(
            "pow",
            "power gate",
            "^",
            2,
            ("$pa^$pb", r"{$pa}^{$b}"),
            _pow,
            lambda a, b, out, refs: _pow_local(a, b, out, refs),
            (("$pb·$pa^($b − 1)", r"$pb \cdot {$pa}^{$b - 1}"), ("$pout·ln $pa", r"$pout \cdot \ln $pa")),
            "power: the base receives upstream·b·aᵇ⁻¹ (the power rule).",
            False,
        ),
        _unary(
            "neg",
            "negate gate",
            "−x",
            ("−$pa", "-$pa"),
            lambda a: -a,
            lambda a, out, refs: [-_one(out)],
            ("−1", "-1"),
            "negation flips the sign of the gradient.",
            True,
        ),
        _unary(
            "id",
            "copy",
            "=",
            ("$a", "$a"),
            lambda a: a,
            lambda a, out, refs: [_one(out)],
            ("1", "1"),
            "a copy passes the gradient on unchanged.",
            True,
        ),
        _unary(
            "exp",
            "exp gate",
            "exp",
            ("exp($a)", r"e^{$a}"),
            _finite(math.exp, "exp that overflows"),
            lambda a, out, refs: [out],
            ("exp($a)", r"e^{$a}"),
            "exp: the local derivative is the gate's own output.",
            False,
        ),
        _unary(
            "log",
            "log gate",
            "log",
            ("log($a)", r"\log($a)"),
            _log,
            lambda a, out, refs: [_div(1.0, a)],
            ("1 / $pa", r"\frac{1}{$a}"),
            "log: the local derivative is 1 over the input.",
            False,
        ),
        _unary(
            "sqrt",
            "square-root gate",
            "√",
            ("sqrt($a)", r"\sqrt{$a}"),
            _finite(math.sqrt, "sqrt of a negative number"),
            _sqrt_local,
            ("1 / (2·sqrt($a))", r"\frac{1}{2\sqrt{$a}}"),
            "sqrt: the local derivative is 1/(2·output).",
            False,
        ),
        _unary(
            "abs",
            "abs gate",
            "|x|",
            ("|$a|", r"\left|$a\right|"),
            abs,
            lambda a, out, refs: [_sign(a)],
            ("sign($a)", r"\operatorname{sign}($a)"),
            "abs passes the gradient with the sign of its input (0 at 0).",
            True,
        ),
        _unary(
            "tanh",
            "tanh gate",
            "tanh",
            ("tanh($a)", r"\tanh($a)"),
            math.tanh,
            lambda a, out, refs: [1.0 - out * out],
            ("1 − $pout²", "1 - {$pout}^{2}"),
            "tanh: the local derivative is 1 − output².",
            False,
        ),
        _unary(
            "sigmoid",
            "sigmoid gate",
            "σ",
            ("σ($a)", r"\sigma($a)"),
            _sigmoid,
            lambda a, out, refs: [out * (1.0 - out)],
            ("$pout·(1 − $pout)", r"$pout \cdot (1 - $pout)"),
            "sigmoid: the local derivative is output·(1 − output).",
            False,
        ),
        _unary(
            "relu",
            "ReLU gate",
            "relu",
            ("relu($a)", r"\operatorname{relu}($a)"),
            lambda a: a if a > 0 else _zero(a),
            lambda a, out, refs: [_one(a) if a > 0 else _zero(a)],
            ("[$a > 0]", r"[$a > 0]"),
            "ReLU opens or closes: the gradient passes where the input is positive and is 0 elsewhere.",
            True,
        ),
        Op(
            "max",
            "max gate",
            "max",
            2,
            ("max($a, $b)", r"\max($a, $b)"),
            lambda a, b: a if a >= b else b,
            lambda a, b, out, refs: [_one(out), _zero(out)] if a >= b else [_zero(out), _one(out)],
            (("[$a ≥ $b]", r"[$a \ge $b]"), ("[$b > $a]", r"[$b > $a]")),
            "max routes: the larger operand receives the whole upstream gradient, the other receives 0 "
            "(the first on a tie).",
            True,
        ),
        Op(
            "min",
            "min gate",
            "min",
            2,
            ("min($a, $b)", r"\min($a, $b)"),
            lambda a, b: a if a <= b else b,
            lambda a, b, out, refs: [_one(out), _zero(out)] if a <= b else [_zero(out), _one(out)],
            (("[$a ≤ $b]", r"[$a \le $b]"), ("[$b < $a]", r"[$b < $a]")),
            "min routes: the smaller operand receives the whole upstream gradient, the other receives 0 "
            "(the first on a tie).",
            True,
        ),
    )
}
"""Every gate of the language, by name."""

KINKS = ("relu", "abs", "max", "min")
"""Gates whose derivative jumps: a finite difference across the jump is not the derivative."""
