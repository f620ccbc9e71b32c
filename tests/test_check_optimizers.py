"""check on optimizers, penalties and dropout: every usual mistake, computed by hand on a small example, is named.

The example: one linear unit, x = (1, 2), w = (0.5, −0.5), b = 0.1, y = 1, L = ½(ŷ − y)².
So z = −0.4, δ = −1.4 and g = ∂L/∂w = (−1.4, −2.8), ∂L/∂b = −1.4. Each wrong value below is
worked out from the formulas of the mistake (not by the program), then graded: the answer must
be WRONG and the mistake named. The numbers of a second step are derived in the comments.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from test_optimizers import v2_problems

from backprop_cli import engine, from_dict
from backprop_cli.optimizers import OPTIMIZERS
from backprop_cli.render.jsontrace import dumps, trace_dict
from backprop_cli.teaching.answer_names import AnswerNames
from backprop_cli.teaching.check import grade

sqrt = math.sqrt
G1, G2, GB = -1.4, -2.8, -1.4
ADAM = {"name": "adam", "betas": [0.9, 0.999], "eps": 0.0}


def small(optimizer, epochs: int = 1, lr: float = 0.2, **extra):
    data = {
        "layers": [{"name": "o", "activation": "linear", "weights": [[0.5, -0.5]], "bias": 0.1}],
        "inputs": [[1.0, 2.0]],
        "targets": [[1.0]],
        "loss": "half_sse",
        "learning_rate": lr,
        "optimizer": optimizer,
        "epochs": epochs,
        **extra,
    }
    return from_dict(data)


def dropout_net():
    """x = (1, 2) → h (linear, dropout ½, mask (1, 0)) → o (linear), y = 1, η = 0.1, SGD.

    z_h = (−0.5, 0.7), a_h = f·m/(1 − p) = (−1, 0), ŷ = −1, δ_o = −2, ∂a_h1/∂z_h1 = 2.
    After the step: W_o = (0.8, −1), b_o = 0.2, W_h = ((0.9, 0.3), (0.3, 0.2)), b_h = (0.4, 0).
    """
    return from_dict(
        {
            "layers": [
                {
                    "name": "h",
                    "activation": "linear",
                    "weights": [[0.5, -0.5], [0.3, 0.2]],
                    "bias": 0.0,
                    "dropout": 0.5,
                    "masks": [[1, 0]],
                },
                {"name": "o", "activation": "linear", "weights": [[1.0, -1.0]], "bias": 0.0},
            ],
            "inputs": [[1.0, 2.0]],
            "targets": [[1.0]],
            "loss": "half_sse",
            "learning_rate": 0.1,
        }
    )


def named(problem, name: str, value: float, mistake: str, digits: int = 6):
    results = {r.name: r for r in grade(problem, f"{name}: {value:.{digits}f}", "answers.yaml")}
    r = results[name]
    assert r.verdict in ("WRONG", "CARRIED"), r
    assert any(mistake in m for m in r.mistakes), (value, r.expected, r.mistakes)
    return r


# Adam's second step (eps = 0, η = 0.2): the first moved every parameter by +η exactly (m̂/√v̂ = g/|g|),
# so w = (0.7, −0.3), b = 0.3, z = 0.4, δ = −0.6, g₂ = −0.6 for w1;
# m₂ = 0.9·(0.1·−1.4) + 0.1·(−0.6) = −0.186, v₂ = 0.999·(0.001·1.96) + 0.001·0.36 = 0.00231804.
M2, V2 = 0.9 * 0.1 * G1 + 0.1 * -0.6, 0.999 * 0.001 * G1**2 + 0.001 * 0.36

OPTIMIZER_MISTAKES = [
    # (optimizer, epochs, extra keys, answer name, the wrong value by hand, the mistake's words)
    (ADAM, 1, {}, "Δw1", -0.2, "sign of the update is flipped"),  # right: +0.2
    (ADAM, 1, {}, "Δw1", -0.2 * 0.1 * G1 / abs(G1), "bias correction of m is forgotten"),  # m̂ = m = 0.1·g
    (ADAM, 1, {}, "m̂_w1", 0.1 * G1, "bias correction of m is forgotten"),
    (ADAM, 1, {}, "Δw2", -0.2 * G2 / sqrt(0.001 * G2**2), "bias correction of v is forgotten"),  # v̂ = v
    (ADAM, 1, {}, "v̂_w2", 0.001 * G2**2, "bias correction of v is forgotten"),
    (ADAM, 1, {}, "Δb1", -0.2 * 0.1 * GB / sqrt(0.001 * GB**2), "both bias corrections are forgotten"),
    ({**ADAM, "eps": 0.1}, 1, {}, "Δw1", -0.2 * G1 / sqrt(G1**2 + 0.1), "ε is inside the square root"),
    (ADAM, 1, {}, "m_w1", 0.001 * G1, "β₁ and β₂ are swapped"),  # m = β₂·0 + (1 − β₂)·g
    (ADAM, 1, {}, "v_w1", 0.1 * G1**2, "β₁ and β₂ are swapped"),
    # swapped at every step, the wrong m is carried into the second: 0.999·(0.001·g₁) + 0.001·g₂
    (ADAM, 2, {}, "m_w1@e2", 0.999 * 0.001 * G1 + 0.001 * -0.6, "β₁ and β₂ are swapped"),
    (ADAM, 2, {}, "m̂_w1@e2", M2 / (1 - 0.9), "step counter starts at 0"),  # t − 1 = 1 at the second step
    (ADAM, 2, {}, "Δw1@e2", -0.2 * (M2 / 0.1) / sqrt(V2 / 0.001), "step counter starts at 0"),
    # Adam's weight decay λ = 0.1 goes into g: g = −1.4 + 0.05, m̂/√v̂ = −1, Δ = +0.2; AdamW's shrinks w:
    # w·(1 − ηλ) − w = −0.01, and Δ = −0.01 + 0.2 = 0.19. Each taken for the other is the mistake.
    ({**ADAM, "weight_decay": 0.1}, 1, {}, "Δw1", -0.5 * 0.2 * 0.1 + 0.2, "applied to the update"),
    ({**ADAM, "name": "adamw", "weight_decay": 0.1}, 1, {}, "Δw1", 0.2, "applied to the loss"),
    # RMSprop, α = 0.9: s = 0.1·g², Δ = −η·g/√s
    ({"name": "rmsprop", "alpha": 0.9, "eps": 0.0}, 1, {}, "Δw1", -0.2 * G1 / sqrt(0.9 * G1**2), "α and 1 − α"),
    ({"name": "rmsprop", "alpha": 0.9, "eps": 0.0}, 1, {}, "s_w1", 0.9 * G1**2, "α and 1 − α"),
    ({"name": "rmsprop", "alpha": 0.9, "eps": 0.1}, 1, {}, "Δw1", -0.2 * G1 / sqrt(0.1 * G1**2 + 0.1), "ε is inside"),
    ({"name": "rmsprop", "alpha": 0.9, "eps": 0.1}, 1, {}, "d_w1", sqrt(0.1 * G1**2 + 0.1), "ε is inside"),
    ({"name": "rmsprop", "alpha": 0.9, "eps": 0.0}, 1, {}, "Δw1", -G1 / sqrt(0.1 * G1**2), "learning rate is missing"),
    # Adagrad from s₀ = 0.5: s = 0.5 + g²; without this g²: s = 0.5
    ({"name": "adagrad", "initial_accumulator_value": 0.5}, 1, {}, "Δw1", -0.2 * G1 / sqrt(0.5), "accumulator"),
    ({"name": "adagrad", "initial_accumulator_value": 0.5}, 1, {}, "s_w1", 0.5, "accumulator"),
    (
        {"name": "adagrad", "initial_accumulator_value": 0.5},
        1,
        {},
        "Δw1",
        -0.2 * 0.2 * G1 / sqrt(0.5 + G1**2),
        "learning rate is applied twice",
    ),
]

# SGD, μ = 0.9, τ = 0.5, η = 0.1. Step 1: b = g, Δ = (0.14, 0.28), Δb = 0.14, so w = (0.64, −0.22), b = 0.24,
# z = 0.44, δ = −0.56, g₂ = −0.56 for w1. Step 2: b = 0.9·(−1.4) + 0.5·(−0.56) = −1.54, Δw1 = 0.154.
SGD = {"name": "sgd", "momentum": 0.9, "dampening": 0.5}
NESTEROV = {"name": "sgd", "momentum": 0.9, "nesterov": True}  # step 1: b = g, d = g + 0.9·g = −2.66
SGD_MISTAKES = [
    (SGD, 2, {}, "Δw1@e2", -0.1 * -0.56, "momentum term is forgotten"),
    (SGD, 2, {}, "Δw1@e2", -0.1 * (0.9 * G1 - 0.56), "dampening is ignored"),
    (SGD, 2, {}, "b_w1@e2", 0.9 * G1 - 0.56, "dampening is ignored"),
    (SGD, 2, {}, "w1⁺@e2", 0.64 - 0.1 * 0.1 * (0.9 * G1 + 0.5 * -0.56), "learning rate is applied twice"),
    (NESTEROV, 1, {}, "Δw1", -0.1 * G1, "look-ahead is forgotten"),
    (NESTEROV, 1, {}, "d_w1", G1, "look-ahead is forgotten"),
]

# Penalties (SGD, η = 0.1, λ = 0.1): ∂L/∂w = δ·x + λ·w (L2) or + λ·sign(w) (L1); L = ½δ² + (λ/2)·Σw²
PENALTY_MISTAKES = [
    ("sgd", 1, {"l2": 0.1}, "∂L/∂w1", G1 + 2 * 0.1 * 0.5, "½ of the penalty"),  # 2λw instead of λw
    ("sgd", 1, {"l2": 0.1}, "∂L/∂w2", G2, "penalty is forgotten"),
    ("sgd", 1, {"l1": 0.1}, "∂L/∂w1", G1, "penalty is forgotten"),
    ("sgd", 1, {"l2": 0.1}, "L", 0.5 * 1.4**2 + 0.1 * (0.25 + 0.25), "½ of the penalty"),
    ("sgd", 1, {"l2": 0.1}, "L", 0.5 * 1.4**2, "penalty is forgotten"),
    ("sgd", 1, {"l2": 0.1}, "w1⁺", 0.5 - 0.1 * (G1 + 2 * 0.1 * 0.5), "½ of the penalty"),  # downstream
]

CASES = OPTIMIZER_MISTAKES + SGD_MISTAKES + PENALTY_MISTAKES


@pytest.mark.parametrize(
    "optimizer,epochs,extra,name,value,mistake",
    CASES,
    ids=[f"{c[0] if isinstance(c[0], str) else c[0]['name']}: {c[3]}: {c[5]}" for c in CASES],
)
def test_a_mistake_computed_by_hand_is_named(optimizer, epochs, extra, name, value, mistake):
    lr = 0.1 if (optimizer == "sgd" or optimizer.get("name") == "sgd") else 0.2
    named(small(optimizer, epochs, lr, **extra), name, value, mistake)


DROPOUT_MISTAKES = [
    ("out_h1", -0.5, "dropout scaling 1/(1 − p) is forgotten"),  # f·m, not f·m/(1 − p)
    ("out_h2", 0.7, "dropout mask is not applied"),
    ("out_o1", -0.5, "dropout scaling 1/(1 − p) is forgotten"),  # downstream: 1·(−0.5) + (−1)·0
    ("∂out_h1/∂net_h1", 1.0, "dropout scaling 1/(1 − p) is forgotten in ∂a/∂z"),
    # after the step, without dropout: z_h = (1.9, 0.7), ŷ = 0.8·1.9 − 0.7 + 0.2 = 1.02, L = ½·0.02²;
    # with the mask kept: a_h = (3.8, 0), ŷ = 3.24; with the scaling alone: a_h = (3.8, 1.4), ŷ = 1.84
    ("loss_after", 0.5 * 2.24**2, "dropout is applied at evaluation"),
    ("loss_after", 0.5 * 0.84**2, "scaling 1/(1 − p) is applied at evaluation"),
]


@pytest.mark.parametrize("name,value,mistake", DROPOUT_MISTAKES, ids=[f"{n}: {m}" for n, _, m in DROPOUT_MISTAKES])
def test_a_dropout_mistake_computed_by_hand_is_named(name, value, mistake):
    named(dropout_net(), name, value, mistake)


def test_the_dropout_example_is_what_the_comments_derive():
    trace = engine.run(dropout_net())
    step = trace.epochs[0].steps[0]
    assert step.forward[0].a.tolist() == [[-1.0, 0.0]] and step.backward_of(1).da_dz.tolist() == [[2.0, 0.0]]
    assert trace.epochs[0].loss_after == pytest.approx(0.5 * 0.02**2, rel=1e-9)


def test_the_right_values_of_every_step_quantity_are_right():
    """Adam's step by hand: m = 0.1·g, v = 0.001·g², m̂ = g, v̂ = g², Δw = −η·g/|g| = +0.2."""
    text = "m_w1: -0.14\nv_w1: 0.00196\nm̂_w1: -1.4\nmhat_w2: -2.8\nv̂_w1: 1.96\nvhat_b1: 1.96\nΔw1: 0.2\nw1⁺: 0.7\n"
    text += "exp_avg_w2: -0.28\nexp_avg_sq_b1: 0.00196\nm_hat_b1: -1.4\n"
    results = grade(small(ADAM), text, "a.yaml")
    assert len(results) == 11 and all(r.right for r in results), [r for r in results if not r.right]


def test_momentum_answers_a_step_later_are_graded():
    """The optimizer state is PyTorch's dict of buffers: a momentum problem of two steps grades (it used to fail)."""
    results = {r.name: r for r in grade(small(SGD, 2, 0.1), "b_w1@e2: -1.54\nΔw1@e2: 0.154\nw1⁺@e2: 0.794\n", "a")}
    assert all(r.right for r in results.values()), results
    results = grade(small(SGD, 2, 0.1), "v_w1@e2: -1.54\n", "a")  # the page's symbol; b is PyTorch's
    assert len(results) == 1 and results[0].right, results


def test_a_buffer_in_the_partial_trace_form():
    trace = trace_dict(engine.run(small(ADAM)))
    update = trace["epochs"][0]["steps"][0]["update"][0]
    assert update["state_W"]["exp_avg"][0] == pytest.approx([0.1 * G1, 0.1 * G2], rel=1e-12)
    answers = {
        "epochs": [
            {
                "steps": [
                    {
                        "update": [
                            {
                                "layer": 1,
                                "state_W": {"exp_avg": [[0.001 * G1, -0.28]], "step": 1},
                                "state_b": {"exp_avg_sq": [0.00196]},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    results = {r.name: r for r in grade(small(ADAM), json.dumps(answers), "a.json")}
    wrong = results["epochs[1].steps[1].update[layer 1].state_W.exp_avg[1][1]"]
    assert wrong.verdict == "WRONG" and any("β₁ and β₂ are swapped" in m for m in wrong.mistakes)
    assert results["epochs[1].steps[1].update[layer 1].state_W.exp_avg[1][2]"].right
    assert results["epochs[1].steps[1].update[layer 1].state_b.exp_avg_sq[1]"].right


def test_a_name_of_another_optimizer_is_unknown_with_a_suggestion():
    results = {r.name: r for r in grade(small("sgd"), "m_w1: -0.14\n", "a.yaml")}
    assert results["m_w1"].verdict == "unknown"
    results = {r.name: r for r in grade(small(ADAM), "m_w9: -0.14\n", "a.yaml")}
    assert results["m_w9"].verdict == "unknown" and "m_w1" in results["m_w9"].mistakes[0]


def test_a_frozen_bias_has_no_optimizer_values():
    results = {r.name: r for r in grade(small(ADAM, train_bias=False), "m_b1: 0\n", "a.yaml")}
    assert results["m_b1"].verdict == "unknown" and "not trained" in results["m_b1"].mistakes[0]


def test_every_optimizer_mistake_is_a_named_function_of_the_recorded_values():
    """The table's mistakes: each entry has the generic three and its own; names are unique per optimizer."""
    for opt in OPTIMIZERS.values():
        names = [m.name for m in opt.mistakes]
        assert len(names) == len(set(names)) >= 4, opt.name
        assert "the learning rate is missing" in names


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_problems())
def test_a_whole_trace_with_its_optimizer_state_as_answers_is_all_right(data):
    """Every number of a trace (the state_W/state_b buffers included, in every layout and bias form) is right.

    The trace is written as backprop writes it (strict JSON: a value that is not finite, such as ∂L/∂ŷ of bce
    at ŷ = 1, is null and listed under non_finite), which check does not grade."""
    problem = from_dict(data).with_epochs(1)
    try:
        trace = engine.run(problem)
    except Exception:  # a generated problem whose run is not finite has nothing to grade
        return
    if trace.stopped:
        return
    results = grade(problem, dumps(trace_dict(trace)), "trace.json")
    state = [r for r in results if ".state_" in r.name]
    assert all(r.right for r in results), [r for r in results if not r.right][:3]
    assert state or not any(u.state_W for s in trace.epochs[0].steps for u in s.update)


def test_the_names_of_every_optimizers_values_resolve():
    for name, params in [
        ("sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
        ("adam", {"amsgrad": True}),
        ("adamw", {}),
        ("rmsprop", {"centered": True, "momentum": 0.5}),
        ("adagrad", {"lr_decay": 0.1}),
    ]:
        names = AnswerNames(small({"name": name, **params}))
        for key in names.steps:
            assert not isinstance(names.by_name(f"{key}_w1"), str), (name, key)


def test_check_command_names_an_adam_mistake(tmp_path):
    problem = tmp_path / "adam.yaml"
    problem.write_text(
        "layers:\n  - name: o\n    activation: linear\n    weights: [[0.5, -0.5]]\n    bias: 0.1\n"
        "inputs: [[1, 2]]\ntargets: [[1]]\nloss: half_sse\nlearning_rate: 0.2\noptimizer: {name: adam, eps: 0}\n"
    )
    answers = tmp_path / "a.yaml"
    answers.write_text("m̂_w1: -0.14\nv̂_w1: 1.96\n")
    out = subprocess.run(
        [sys.executable, "-m", "backprop_cli", "check", str(problem), str(answers)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert "WRONG  m̂_w1 = -0.14" in out.stdout and "bias correction of m is forgotten" in out.stdout
    assert "right  v̂_w1" in out.stdout


def test_the_adam_example_of_the_teaching_page_prints_what_it_shows(tmp_path):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text()
    for name in ("adam-exercise.yaml", "adam-answers.yaml"):
        body = re.search(rf"<!-- file: {name} -->\n```yaml\n(.*?)```", text, re.S).group(1)
        (tmp_path / name).write_text(body)
    shown = re.search(r"backprop check adam-exercise\.yaml adam-answers\.yaml.*?```text\n(.*?)```", text, re.S).group(1)
    out = subprocess.run(
        [sys.executable, "-m", "backprop_cli", "check", "adam-exercise.yaml", "adam-answers.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert out.stdout == shown


@pytest.mark.parametrize(
    "optimizer,spellings",
    [
        (
            {"name": "adam", "amsgrad": True},
            ["m̂_w1", "mhat_w1", "m_hat_w1", "v̂_b1", "vhat_b1", "v_max_w2", "exp_avg_sq_w1"],
        ),
        ({"name": "adamw"}, ["w′_w1", "wprime_w1", "w_decayed_w1"]),
        ({"name": "rmsprop", "centered": True}, ["ḡ_w1", "gbar_w1", "grad_avg_w1", "s_w1", "d_w1"]),
        ({"name": "adagrad", "lr_decay": 0.1}, ["η_t_w1", "eta_t_w1", "clr_w1", "sum_w2"]),
    ],
)
def test_the_documented_spellings_of_the_step_values(optimizer, spellings):
    names = AnswerNames(small(optimizer))
    for spelling in spellings:
        assert not isinstance(names.by_name(spelling), str), spelling


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_problems())
def test_the_replay_is_the_trace_for_every_optimizer_penalty_and_mask(data):
    """Without answers, check's replay repeats the engine bit for bit, the optimizer's intermediates included."""
    from backprop_cli.teaching.replay import Replay, truth

    problem = from_dict(data).with_epochs(min(data.get("epochs", 1), 2))
    try:
        trace = engine.run(problem)
    except Exception:  # a generated problem whose run is not finite has nothing to replay
        return
    if trace.stopped:
        return
    true = truth(trace)
    replayed = Replay(problem).run((problem.epochs - 1, len(problem.batches()) - 1))
    assert true.keys() == replayed.keys()
    assert all(np.array_equal(true[k], replayed[k]) for k in true), [
        k for k in true if not np.array_equal(true[k], replayed[k])
    ][:3]
