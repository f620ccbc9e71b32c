"""Exact numbers as a page shows them (``--exact``): the whole decimal where it ends, p/q where it does not.

A fraction p/q (in lowest terms) has a terminating decimal exactly when q has
no prime factor but 2 and 5; then every digit is printed, however many
(3/80 is 0.0375, not 0.04 at any --precision). Otherwise the decimal repeats
for ever and the fraction is written as it is: 1/3, −7/30. An integer is
written as an integer. ``Numbers`` (mathtext.py) calls :func:`text` for every
Fraction it is given, so each renderer shows exact numbers without knowing it.
"""

from __future__ import annotations

from fractions import Fraction


def is_exact(x) -> bool:
    """Whether x is an exact number of an --exact run (a Fraction), not a float."""
    return isinstance(x, Fraction)


def terminates(x: Fraction) -> bool:
    """Whether x has a finite decimal expansion (its denominator is 2^a·5^b)."""
    q = x.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def decimal(x: Fraction) -> str:
    """Every digit of a terminating x, with '-' for a negative number: 3/80 -> '0.0375'."""
    sign, x = ("-" if x < 0 else ""), abs(x)
    twos = fives = 0
    q = x.denominator
    while q % 2 == 0:
        q, twos = q // 2, twos + 1
    while q % 5 == 0:
        q, fives = q // 5, fives + 1
    places = max(twos, fives)  # x·10^places is a whole number
    whole, rest = divmod(x.numerator * 10**places // x.denominator, 10**places)
    return sign + str(whole) + (f".{rest:0{places}d}".rstrip("0") if rest else "")


LONGEST = 40
"""Characters of an exact number a page shows in full; a longer one shows its first SHOWN digits, then '...'."""
SHOWN = 12


def text(x: Fraction) -> str:
    """The exact number as plain text with ASCII '-': '0.0375', '-1/3', '2'.

    After many updates exact values grow long (the digits roughly double with every update); one longer than
    LONGEST characters is written as its first SHOWN significant digits, cut (not rounded), and '...':
    0.0245875544263..., every digit shown exact. The JSON trace's "exact" section keeps all of them.
    """
    s = decimal(x) if terminates(x) else f"{x.numerator}/{x.denominator}"
    return s if len(s) <= LONGEST else _cut(x)


def _cut(x: Fraction) -> str:
    """x's decimal expansion up to SHOWN significant digits (at most LONGEST characters), then '...'."""
    sign, x = ("-" if x < 0 else ""), abs(x)
    whole, rest = divmod(x.numerator, x.denominator)
    digits = ""
    significant = len(str(whole)) if whole else 0
    while rest and significant < SHOWN and len(digits) < LONGEST - 8:
        digit, rest = divmod(rest * 10, x.denominator)
        digits += str(digit)
        significant += 1 if (significant or digit) else 0
    return f"{sign}{whole}" + (f".{digits}" if digits else "") + "..."
