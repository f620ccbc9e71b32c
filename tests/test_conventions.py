"""The page speaks the student's textbook: each bundled textbook example shows the book's names and symbols, and the
numbers on its lines are the trace's.

Golden values: Han, Kamber & Pei, Data Mining (3rd ed., 2012), Example 9.1; Negnevitsky, Artificial Intelligence
(2nd ed., 2005), §6.4, the XOR network's first iteration; Mitchell, Machine Learning (1997), Exercise 4.7 (no printed
answer: exact values, which agree with torch.optim.SGD); see /problems and tests/test_textbooks.py.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from backprop_cli import engine, examples, load, loads
from backprop_cli.conventions import PRESETS
from backprop_cli.names import Names
from backprop_cli.render import get
from backprop_cli.render.drawing import svg
from backprop_cli.render.mathtext import Numbers
from backprop_cli.teaching.answer_names import AnswerNames, Loc

FMT = Numbers(4)


def page(problem, fmt: str = "markdown") -> tuple[str, object]:
    trace = engine.run(problem)
    out = io.StringIO()
    get(fmt)(trace, out, {"precision": 4, "detail": "scalar"})
    return out.getvalue(), trace


def example(name: str):
    return load(examples.path(name))


def plain(text: str) -> str:
    """The rich page without its line wrapping of long equations."""
    return re.sub(r"\n\s+= ", " = ", text)


def test_han_kamber_page_reads_like_the_book():
    text, trace = page(example("textbook-han-kamber-9-1"), "rich")
    text = plain(text)
    step = trace.epochs[0].steps[0]
    assert "I4 = w14·x1 + w24·x2 + w34·x3 + θ4 = 0.2·1 + 0.4·0 + (−0.5)·1 + (−0.4) = −0.7" in text
    err6 = step.backward_of(2).delta[0, 0]
    assert err6 == pytest.approx(0.1311690782, rel=1e-9)  # the book's Err6, unrounded (it prints 0.1311)
    a6 = FMT.text(step.forward[1].a[0, 0])
    assert f"Err6 = O6·(1 − O6)·(T6 − O6) = {a6}·(1 − {a6})·(1 − {a6}) = {FMT.text(err6)}" in text
    err4 = step.backward_of(1).delta[0, 0]
    assert err4 == pytest.approx(-0.0087245620, rel=1e-8)
    assert f"Err4 = O4·(1 − O4)·w46·Err6 = 0.3318·(1 − 0.3318)·(−0.3·{FMT.text(err6)}) = {FMT.text(err4)}" in text
    assert "w46⁺ = w46 + Δw46 = −0.3 + 0.0392 = −0.2608" in text
    assert "E = ½·(O6 − T6)² = ½·(0.4739 − 1)² = 0.1384" in text
    assert "∂E/∂θ4 = −Err4" in text and "θ6" in text
    assert "net_h1" not in text and "δ_" not in text and "b1" not in text


def test_negnevitsky_thresholds_are_subtracted_and_delta_is_the_error_gradient():
    text, trace = page(example("textbook-negnevitsky-xor"), "rich")
    text = plain(text)
    step = trace.epochs[0].steps[0]
    assert "net3 = w13·x1 + w23·x2 − θ3 = 0.5·1 + 0.4·1 − 0.8 = 0.1" in text
    assert "net4 = w14·x1 + w24·x2 − θ4 = 0.9·1 + 1·1 − (−0.1) = 2" in text
    d5 = step.backward_of(2).delta[0, 0]
    assert d5 == pytest.approx(-0.1273828538, rel=1e-9)  # printed −0.1274
    assert f"δ5 = y5·(1 − y5)·(y_d,5 − y5) = 0.5097·(1 − 0.5097)·(0 − 0.5097) = {FMT.text(d5)}" in text
    assert f"∂E/∂θ5 = δ5 = {FMT.text(d5)}" in text  # z = W·x − θ: ∂E/∂θ = −∂E/∂z = δ
    theta5 = step.update[1].b[0]
    assert theta5 == pytest.approx(0.3127382854, rel=1e-9)  # printed 0.3127
    assert "Δθ5 = −η·δ5 = −0.1·(−0.1274) = 0.0127" in text  # Δθ = −α·δ: the threshold is subtracted
    # the table's Δ column is in one number style: fixed, with the decimals its smallest value (−6.687e−3) needs
    assert re.search(r"θ5\s+0\.3\s+−0\.1274\s+0\.012738\s+0\.3127", text)


def test_mitchell_writes_w_ji_and_the_threshold_weight():
    text, trace = page(example("textbook-mitchell-4-7-momentum"), "rich")
    text = plain(text)
    assert "net3 = w31·x1 + w32·x2 + w30 = 0.1·1 + 0.1·0 + 0.1 = 0.2" in text
    assert "δ4 = o4·(1 − o4)·(t4 − o4) = 0.5387·(1 − 0.5387)·(1 − 0.5387) = 0.1146" in text
    last = trace.epochs[0].steps[-1].update
    np.testing.assert_allclose(last[0].W, [[0.10161743545543266, 0.09879852785432702]], rtol=1e-12)
    np.testing.assert_allclose(last[1].b, [0.12452152136346563], rtol=1e-12)
    assert re.search(r"w30\s+0\.1009\s+4\.005e−3", text)


def test_latex_page_writes_the_books_symbols():
    text, _ = page(example("textbook-han-kamber-9-1"), "latex")
    assert r"\mathit{Err}_{6}" in text and r"\theta_{4}" in text and "I_{4}" in text and "w_{46}" in text


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_gives_the_same_numbers_and_its_own_names(preset):
    base = open(examples.path("textbook-han-kamber-9-1")).read()
    problem = loads(base.replace("preset: han_kamber", f"preset: {preset}"))
    text, trace = page(problem, "rich")
    ref = engine.run(example("textbook-han-kamber-9-1"))
    for ours, theirs in zip(trace.epochs[0].steps[0].update, ref.epochs[0].steps[0].update, strict=False):
        np.testing.assert_allclose(ours.W, theirs.W, rtol=1e-15)
    settings = PRESETS[preset].settings
    names = Names(problem)
    assert names.quantity("net", 0, 0) in text and names.quantity("out", 0, 0) in text
    assert ("w14" in text) == (settings["names"] == "global" and settings["index"] == "from_to")
    sign = -1 if settings["delta"] == "error_signal" else 1
    assert trace.epochs[0].steps[0].backward_of(2).delta[0, 0] == pytest.approx(sign * -0.1311690782, rel=1e-9)


THRESHOLD = """
layout: in_out
conventions: {names: global, delta: error_signal}
layers:
  - {name: h, activation: sigmoid, weights: [[0.5, 0.9], [0.4, 1.0]], threshold: [0.8, -0.1]}
  - {name: o, activation: sigmoid, weights: [[-1.2], [1.1]], threshold: [0.3]}
inputs: [[1, 1]]
targets: [[0]]
loss: half_sse
learning_rate: 0.1
"""

AUGMENTED = THRESHOLD.replace(
    "[[0.5, 0.9], [0.4, 1.0]], threshold: [0.8, -0.1]", "[[0.5, 0.9], [0.4, 1.0], [0.8, -0.1]], bias: {augmented: -1}"
).replace("[[-1.2], [1.1]], threshold: [0.3]", "[[-1.2], [1.1], [0.3]], bias: {augmented: -1}")


def test_a_bias_on_a_constant_minus_one_is_written_as_a_weight_times_minus_one():
    text, trace = page(loads(AUGMENTED), "rich")
    text = plain(text)
    assert "net3 = w13·x1 + w23·x2 + w03·(−1) = 0.5·1 + 0.4·1 + 0.8·(−1) = 0.1" in text
    _, ref = page(loads(THRESHOLD))
    for ours, theirs in zip(trace.epochs[0].steps[0].update, ref.epochs[0].steps[0].update, strict=False):
        np.testing.assert_allclose(ours.W, theirs.W, rtol=1e-15)
        np.testing.assert_allclose(ours.b, theirs.b, rtol=1e-15)


def test_a_shared_bias_is_listed_once_and_its_gradient_sums_the_layer():
    mazur = open(examples.path("mazur-2-2-2")).read()
    problem = loads(mazur.replace("bias: 0.35", "bias: {shared: 0.35}").replace("train_bias: false", ""))
    text, trace = page(problem, "rich")
    text = plain(text)
    step = trace.epochs[0].steps[0]
    rec = step.backward_of(1)
    assert rec.dL_db[0] == pytest.approx(rec.delta[0].sum(), rel=1e-12)
    assert f"∂L/∂b1 = δ_h1 + δ_h2 = {FMT.text(rec.delta[0, 0])} + {FMT.text(rec.delta[0, 1])} = " in text
    assert len(re.findall(r"^b1 +bias of h", text, re.M)) == 1
    assert "net_h2 = w3·x1 + w4·x2 + b1" in text


def test_check_understands_the_books_names():
    names = AnswerNames(example("textbook-han-kamber-9-1"))
    assert names.by_name("I4") == Loc("z", 0, 0)
    assert names.by_name("O6") == Loc("a", 1, 0)
    assert names.by_name("Err6") == Loc("delta", 1, 0)
    assert names.by_name("δ5") == Loc("delta", 0, 1)
    assert names.by_name("net_4") == Loc("z", 0, 0)
    assert names.by_name("θ4") == Loc("b_before", 0, 0)
    assert names.by_name("θ4+") == Loc("b", 0, 0)
    assert names.by_name("w46+") == Loc("W", 1, 0, 0)  # into unit 6 (j = 0) from O4 (i = 0)
    assert names.by_name("w14") == Loc("W_before", 0, 0, 0)


def test_layer_names_accept_no_glued_spellings():
    names = AnswerNames(example("mazur-2-2-2"))
    assert names.by_name("out_h1") == Loc("a", 0, 0)
    assert isinstance(names.by_name("outh1"), str)


def test_global_numbers_with_two_digits_are_separated_by_a_comma():
    problem = loads("""
conventions: {names: global}
layers:
  - {activation: sigmoid, weights: [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]], bias: 0.1}
  - {activation: sigmoid, weights: [[0.5]]}
inputs: [[1, 2, 3, 4, 5, 6, 7, 8]]
targets: [[1]]
loss: half_sse
learning_rate: 0.1
""")
    names = Names(problem)
    assert names.units == [["9"], ["10"]]
    assert list(names.weights[0][0]) == [f"w{i}9" for i in range(1, 9)]
    assert names.weights[1][0, 0] == "w9,10"
    assert names.biases == [["θ9"], None]


def test_draw_shows_the_global_names():
    problem = example("textbook-han-kamber-9-1")
    text = svg(problem)
    assert "w46 = −0.3" in text and "θ4 = −0.4" in text and ">4<" in text
