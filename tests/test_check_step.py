"""Error carried forward inside one optimizer step: a wrong m, s or momentum buffer carried correctly is CARRIED.

The example is test_check_optimizers.py's: one linear unit, x = (1, 2), w = (0.5, −0.5), b = 0.1, y = 1,
L = ½(ŷ − y)², so ∂L/∂w = (−1.4, −2.8) and ∂L/∂b = −1.4. Every value that follows from the student's own
wrong one is worked out by hand in the comments, from the formulas the page prints, not by the program.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from test_check_optimizers import ADAM, SGD, small

from backprop_cli.optimizers import OPTIMIZERS, hyperparameters
from backprop_cli.teaching import steplines
from backprop_cli.teaching.check import grade

RMSPROP = {"name": "rmsprop", "alpha": 0.9, "eps": 0.0}


def verdicts(problem, text: str) -> dict[str, tuple[str, float | None]]:
    return {r.name: (r.verdict, r.carried) for r in grade(problem, text, "answers.yaml")}


# Adam, η = 0.2, ε = 0: the right m = 0.1·g = −0.14, v = 0.001·g² = 0.00196, m̂ = −1.4, v̂ = 1.96, Δw1 = +0.2.
# With the student's m = −0.16: m̂ = −0.16/(1 − 0.9) = −1.6, Δw1 = −0.2·(−1.6)/√1.96 = 0.32/1.4 = 0.228571…,
# w1⁺ = 0.5 + 0.228571 = 0.728571.
ADAM_CARRIED = "m_w1: -0.16\nm̂_w1: -1.6\nv_w1: 0.00196\nv̂_w1: 1.96\nΔw1: 0.228571\nw1⁺: 0.728571\n"


def test_adam_a_wrong_m_carried_into_m_hat_the_change_and_the_weight_after():
    results = verdicts(small(ADAM), ADAM_CARRIED)
    assert results["m_w1"][0] == "WRONG"
    assert [results[k][0] for k in ("v_w1", "v̂_w1")] == ["right", "right"]
    assert {k: results[k][0] for k in ("m̂_w1", "Δw1", "w1⁺")} == dict.fromkeys(("m̂_w1", "Δw1", "w1⁺"), "CARRIED")
    assert results["m̂_w1"][1] == pytest.approx(-1.6, rel=1e-12)
    assert results["Δw1"][1] == pytest.approx(0.32 / 1.4, rel=1e-12)


def test_adam_the_later_lines_follow_from_a_wrong_m_even_when_m_hat_is_not_written():
    results = verdicts(small(ADAM), "m_w1: -0.16\nΔw1: 0.228571\n")
    assert results == {"m_w1": ("WRONG", None), "Δw1": ("CARRIED", pytest.approx(0.32 / 1.4, rel=1e-12))}


def test_adam_a_value_that_does_not_follow_from_the_students_own_is_wrong():
    results = verdicts(small(ADAM), "m_w1: -0.16\nm̂_w1: -1.5\nΔw1: 0.2143\n")  # −1.5 would follow from m = −0.15
    assert results["m̂_w1"][0] == "WRONG"
    # Δw1 from the student's m̂ = −1.5: 0.2·1.5/1.4 = 0.214286, which is what they wrote
    assert results["Δw1"] == ("CARRIED", pytest.approx(0.3 / 1.4, rel=1e-12))


def test_adam_a_wrong_v_carried_into_v_hat_and_the_change():
    # v = 0.0025: v̂ = 0.0025/0.001 = 2.5, Δw1 = −0.2·(−1.4)/√2.5 = 0.28/1.581139 = 0.177088
    results = verdicts(small(ADAM), "v_w1: 0.0025\nv̂_w1: 2.5\nΔw1: 0.177088\n")
    assert [results[k][0] for k in ("v_w1", "v̂_w1", "Δw1")] == ["WRONG", "CARRIED", "CARRIED"]
    assert results["Δw1"][1] == pytest.approx(0.28 / math.sqrt(2.5), rel=1e-12)


def test_adam_the_students_m_is_what_the_next_step_starts_from():
    # step 2 (see test_check_optimizers.py): with the right step 1, w = (0.7, −0.3), b = 0.3, g₂ = −0.6 for w1;
    # the student's w1⁺ = 0.728571 (carried) makes z = 0.728571 − 0.6 + 0.3 = 0.428571, δ = g₂ = z − 1, and their
    # m = −0.16: m₂ = 0.9·(−0.16) + 0.1·(−0.571429) = −0.2011429
    results = verdicts(small(ADAM, 2), ADAM_CARRIED + "m_w1@e2: -0.201143\n")
    assert results["m_w1@e2"] == ("CARRIED", pytest.approx(0.9 * -0.16 + 0.1 * (0.728571 - 0.6 + 0.3 - 1), rel=1e-12))


def test_rmsprop_a_wrong_s_carried_into_the_denominator_the_change_and_the_weight_after():
    # α = 0.9, η = 0.2: the right s = 0.1·1.96 = 0.196, d = √0.196 = 0.442719, Δw1 = 0.28/0.442719 = 0.632456.
    # With the student's s = 0.25: d = 0.5, Δw1 = 0.28/0.5 = 0.56, w1⁺ = 1.06
    results = verdicts(small(RMSPROP), "s_w1: 0.25\nd_w1: 0.500\nΔw1: 0.560\nw1⁺: 1.06\n")
    assert results["s_w1"][0] == "WRONG"
    assert {k: v[0] for k, v in results.items() if k != "s_w1"} == dict.fromkeys(("d_w1", "Δw1", "w1⁺"), "CARRIED")
    assert results["Δw1"][1] == pytest.approx(0.56, rel=1e-12)


def test_rmsprop_a_wrong_denominator_carried_into_the_change():
    results = verdicts(small(RMSPROP), "d_w1: 0.400\nΔw1: 0.700\n")  # Δw1 = 0.28/0.4
    assert results == {"d_w1": ("WRONG", None), "Δw1": ("CARRIED", pytest.approx(0.7, rel=1e-12))}


def test_sgd_momentum_a_wrong_buffer_carried_into_the_change_and_the_weight_after():
    # μ = 0.9, τ = 0.5, η = 0.1 (test_check_optimizers.py): step 2's right buffer is −1.54, Δw1 = 0.154,
    # w1⁺ = 0.794. With the student's buffer −1.60: Δw1 = −0.1·(−1.60) = 0.160, w1⁺ = 0.64 + 0.16 = 0.800
    results = verdicts(small(SGD, 2, 0.1), "b_w1@e2: -1.60\nΔw1@e2: 0.160\nw1⁺@e2: 0.800\n")
    assert results["b_w1@e2"][0] == "WRONG"
    assert results["Δw1@e2"] == ("CARRIED", pytest.approx(0.16, rel=1e-12))
    assert results["w1⁺@e2"] == ("CARRIED", pytest.approx(0.8, rel=1e-12))


def test_sgd_momentum_at_the_first_step_whose_buffer_is_the_gradient():
    # the first buffer is g = −1.4 (not dampened); the student's −1.5 gives Δw1 = 0.150, w1⁺ = 0.650
    results = verdicts(small(SGD, 1, 0.1), "b_w1: -1.50\nΔw1: 0.150\nw1⁺: 0.650\n")
    assert [results[k][0] for k in ("b_w1", "Δw1", "w1⁺")] == ["WRONG", "CARRIED", "CARRIED"]


def test_a_wrong_buffer_in_the_partial_trace_form_is_carried_into_the_weights_after():
    answers = {"epochs": [{"steps": [{"update": [{"layer": 1, "state_W": {"exp_avg": [[-0.16, -0.28]]}}]}]}]}
    answers["epochs"][0]["steps"][0]["update"][0]["W"] = [[0.728571, -0.3]]
    results = {r.name: r.verdict for r in grade(small(ADAM), json.dumps(answers), "a.json")}
    at = "epochs[1].steps[1].update[layer 1]"
    assert results[f"{at}.state_W.exp_avg[1][1]"] == "WRONG" and results[f"{at}.state_W.exp_avg[1][2]"] == "right"
    assert results[f"{at}.W[1][1]"] == "CARRIED" and results[f"{at}.W[1][2]"] == "right"


# ----------------------------------------------------------------------------- the table's lines, read


SETTINGS = [
    ("sgd", {"momentum": 0.9}),
    ("sgd", {"momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
    ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("sgd", {"weight_decay": 0.05}),
    ("adam", {}),
    ("adam", {"amsgrad": True, "weight_decay": 0.1, "eps": 0.01}),
    ("adamw", {}),
    ("adamw", {"weight_decay": 0.2, "amsgrad": True}),
    ("rmsprop", {}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
]


@pytest.mark.parametrize("name,given", SETTINGS, ids=[f"{n} {g}" for n, g in SETTINGS])
def test_every_line_of_the_table_read_gives_the_step_functions_number(name, given):
    """steplines reads each formula the page prints; from the step's own values it gives the step's numbers, so
    a formula the reader cannot follow fails here, not silently in a student's grade."""
    problem = small({"name": name, **given})
    opt, hp, lr = problem.optimizer, hyperparameters(problem.optimizer, given), problem.learning_rate
    rng = np.random.default_rng(7)
    w, state = rng.normal(size=(3, 4)), {}
    for _ in range(3):  # the first step, whose buffers start empty, and two more
        g, before, shown = rng.normal(size=w.shape), dict(state), {}
        w_after = opt.step(w, g, state, lr, hp, shown)
        values = {**steplines.inputs(problem, w, g, before, state), **shown}
        lines = steplines.lines(problem, before)
        assert lines and all(steplines.compiled(line.formula[0]) for line in lines)
        for line in lines:
            worked = steplines.evaluate(line, values)
            assert worked is not None, line.formula[0]
            np.testing.assert_allclose(np.broadcast_to(worked, w.shape), shown[line.result], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(w + shown["change"], w_after, rtol=1e-12, atol=1e-15)
        w = w_after


@pytest.mark.parametrize(
    "formula,value",
    [
        ("−$a·$b/(√$c + $d)", -2 * 3 / (2 + 1)),
        ("$a^$b", 8.0),
        ("$b/(1 + ($a − 1)·$d)", 1.5),
        ("√($c − $d²) + $d", math.sqrt(3) + 1),
        ("√$c + $d", 3.0),
        ("$c − $a − $d", 1.0),
        ("$c/$a/$a", 1.0),
        ("max($a, $b) − $c", -1.0),
        ("$a·(1 − $d)", 0.0),
    ],
)
def test_the_formula_reader(formula, value):
    from backprop_cli.optimizer_lines import Line

    line = Line("x", ("x", "x"), (formula, ""))
    assert steplines.evaluate(line, {"a": 2.0, "b": 3.0, "c": 4.0, "d": 1.0}) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("formula", ["$a +", "$a $b", "import os", "$a; $b", "__import__('os')", "", "()"])
def test_a_formula_outside_the_grammar_gives_none(formula):
    from backprop_cli.optimizer_lines import Line

    assert steplines.evaluate(Line("x", ("x", "x"), (formula, "")), {"a": 1.0, "b": 2.0}) is None
    assert steplines.evaluate(Line("x", ("x", "x"), ("$missing + 1", "")), {}) is None


def test_no_grading_module_names_an_optimizer():
    """Registries, not branches: the grader asks the problem's optimizer entry (``new``'s exercise table aside)."""
    from backprop_cli import teaching

    folder = Path(teaching.__file__).parent
    for module in ("answer_names", "answers", "check", "gradebook", "mistakes", "replay", "report", "steplines"):
        src = (folder / f"{module}.py").read_text()
        for name in OPTIMIZERS:
            assert not re.search(rf"(?<![\w.]){name}(?!\w)", src), (module, name)
