"""One number style per table column (issue 11 item 12): a column never mixes 0.0199 and 9.932e−3."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_cli.render.mathtext import MINUS, Numbers

magnitudes = st.floats(min_value=1e-9, max_value=1e9, allow_nan=False, allow_infinity=False)
signed = st.builds(lambda x, s: x * s, magnitudes, st.sampled_from([1.0, -1.0]))


def style(text: str) -> str:
    return "sci" if "e" in text else "fixed"


def read_back(text: str) -> float:
    return float(text.replace(MINUS, "-"))


@given(st.lists(signed, min_size=1, max_size=12), st.integers(0, 8))
def test_a_column_is_in_one_style_and_every_value_reads_back_to_its_shown_digits(xs, precision):
    texts = [m.u for m in Numbers(precision).column(xs)]
    assert len({style(s) for s in texts}) == 1, texts
    for x, s in zip(xs, texts, strict=True):
        if "e" in s:
            mantissa = s.replace(MINUS, "-").split("e")[0]
            digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
            assert read_back(s) == pytest.approx(x, rel=0.5 * 10**-digits + 1e-12)
        else:
            digits = len(s.split(".")[1]) if "." in s else 0
            assert abs(read_back(s) - x) <= 0.5 * 10**-digits * (1 + 1e-9) + 1e-12 * abs(x), (x, s)


@pytest.mark.parametrize(
    "values, expected",
    [
        # the column: fixed with the decimals its smallest value needs, points aligned
        ([0.019912345, 0.009932123], ["0.019912", "0.009932"]),
        ([-0.019912345, -0.009932123], ["−0.019912", "−0.009932"]),
        # fixed would need more than precision + 3 decimals: scientific throughout
        ([0.48878899, 1.2345678e-6], ["4.888e−1", "1.235e−6"]),
        ([2.5e8, 0.123456789], ["2.500e8", "1.235e−1"]),
        # a column already in one style is written exactly as single values are
        ([0.48878899, 0.0124], ["0.4888", "0.0124"]),
        ([8.961e-3, 4.107e-3], ["8.961e−3", "4.107e−3"]),
        # exactly short values stay as typed; 0, ∞ and a missing value in any column
        ([0.5, 0.0012345678, 0.0, None], ["0.5", "0.001235", "0", "—"]),
    ],
)
def test_the_column_rule(values, expected):
    shown = [m if isinstance(m, str) else m.u for m in Numbers(4).column(values)]
    assert shown == expected


def test_the_latex_side_of_a_column_is_one_style_too():
    assert [m.t for m in Numbers(4).column([0.48878899, 1.2345678e-6])] == [
        r"4.888 \times 10^{-1}",
        r"1.235 \times 10^{-6}",
    ]


@pytest.mark.parametrize("notation", ["fixed", "sci"])
def test_fixed_and_sci_notations_are_one_style_already_and_unchanged(notation):
    fmt = Numbers(4, notation)
    xs = [0.48878899, 0.0124, 8.961e-3, 1.2e-6]
    assert [m.u for m in fmt.column(xs)] == [fmt.text(x) for x in xs]


def test_the_loss_table_of_a_long_run_keeps_one_style_per_column():
    """step xor-2-2-1 --epochs 500 printed 0.0124 above 8.961e−3 in the same column."""
    out = subprocess.run(
        [sys.executable, "-m", "backprop_cli", "step", "xor-2-2-1", "--epochs", "500"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "100"},
    ).stdout
    table = out[out.index("epoch") : out.index("loss after each epoch")]
    rows = [line.split() for line in table.splitlines() if re.match(r"^\d+\s", line)]
    assert len(rows) == 11
    for column in zip(*rows, strict=True):
        assert len({style(c) for c in column}) == 1, column
    assert rows[-1][1:] == ["0.004107", "0.004095"]  # the last epoch's losses, 4.107e−3 and 4.095e−3 before
    assert math.isclose(float(rows[0][1]), 0.48878899923176855, abs_tol=5e-7)
