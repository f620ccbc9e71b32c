"""backprop gradcheck: the engine's gradients against finite differences, reported honestly."""

from __future__ import annotations

import json
import re

from conftest import MAZUR, run

from backprop_cli import engine, examples, load, propagation

# ----------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_every_worked_example():
    from backprop_cli.teaching.gradcheck import check

    for name in examples.names():
        problem = load(examples.path(name))
        if problem.rule == "backprop":  # the perceptron rule has no gradient to check
            assert check(problem).ok, name


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    from backprop_cli.teaching import gradcheck

    real = engine.backward

    def broken(*args, **kwargs):
        records, dL_dx = real(*args, **kwargs)
        first = list(records[0])
        first[3] = first[3] * 1.001  # the output layer's dL_dW, 0.1% off
        return [tuple(first)] + records[1:], dL_dx

    monkeypatch.setattr(engine, "backward", broken)
    report = gradcheck.check(MAZUR)
    assert not report.ok and any(not c.worst_relative <= 1e-6 for c in report.checks if "layer 2" in c.name)


def test_gradcheck_command():
    r = run("gradcheck", "relu-relu-sigmoid-bce")
    assert r.returncode == 0 and "all gradients agree" in r.stdout
    j = json.loads(run("gradcheck", "--format", "json").stdout)
    assert j["ok"] is True and {c["name"] for c in j["checks"]} >= {"layer 1 (h) weights", "inputs"}


def test_gradcheck_reports_the_real_relative_error_and_the_pages_names():
    r = run("gradcheck")
    rows = [l.split() for l in r.stdout.splitlines()[1:5]]  # the four layer rows (weights and biases)
    errors = [float(row[-4]) for row in rows]
    assert all(0 < e < 1e-6 for e in errors), r.stdout  # the real error, not 0.000e+00
    assert all(re.fullmatch(r"[wb]\d+", row[-2]) for row in rows), r.stdout
    assert "W[" not in r.stdout and "(out_in)" not in r.stdout
    j = json.loads(run("gradcheck", "--format", "json").stdout)
    assert all(c["worst_relative"] > 0 and c["allowed"] >= 1e-6 for c in j["checks"])
    assert {c["at"][0] for c in j["checks"]} <= {"w", "b", "x"}


def test_gradcheck_json_is_valid_json_when_a_gradient_is_infinite(monkeypatch):
    from backprop_cli.teaching import gradcheck

    report = gradcheck.Report([gradcheck.LayerCheck("inputs", 1, float("inf"), float("inf"), "x1", 1e-6)], 1e-6, [])
    assert json.loads(gradcheck.as_json(report))["checks"][0]["worst_relative"] is None


# ----------------------------------------------------------------------------- penalties and dropout masks

import pytest  # noqa: E402
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import run_finite  # noqa: E402
from test_optimizers import _units, v2_problems  # noqa: E402

from backprop_cli import from_dict  # noqa: E402
from backprop_cli.teaching import gradcheck  # noqa: E402


@st.composite
def penalised(draw):
    """A generated SPEC §4 problem that always has a penalty (l2, l1 or both) and, with a hidden layer, masks."""
    data = draw(v2_problems())
    which = draw(st.sampled_from([("l2",), ("l1",), ("l2", "l1")]))
    for key in which:
        data[key] = draw(st.sampled_from([0.01, 0.1, 0.5]))
    n = len(data["inputs"])
    for i, layer in enumerate(data["layers"][:-1]):
        if "masks" not in layer:
            layer["dropout"] = draw(st.sampled_from([0.25, 0.5]))
            layer["masks"] = [[draw(st.sampled_from([0, 1])) for _ in range(_units(layer, data, i))] for _ in range(n)]
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(penalised())
def test_gradcheck_passes_with_penalties_and_dropout_masks(data):
    problem = from_dict(data)
    run_finite(problem.with_epochs(1))
    # λ₁·|w| is kinked at 0, but the weights are 0 or at least 0.001 apart from it (3 decimals), and at exactly 0
    # both sides agree: sign(0) = 0, and the centred difference of |w| there is 0
    report = gradcheck.check(problem)
    assume(not report.notes)  # a net input at a ReLU kink: the difference averages its two sides
    assert report.ok, gradcheck.rich(report)


def penalised_dropout_problem(masks=True):
    """2 → 3 (tanh, dropout ½) → 2 (sigmoid), two examples, l2 and l1."""
    hidden = {
        "name": "h",
        "activation": "tanh",
        "weights": [[0.3, -0.5], [0.8, 0.2], [-0.4, 0.6]],
        "bias": 0.1,
        "dropout": 0.5,
    }
    if masks:
        hidden["masks"] = [[1, 0, 1], [0, 1, 1]]
    return from_dict(
        {
            "layers": [
                hidden,
                {
                    "name": "o",
                    "activation": "sigmoid",
                    "weights": [[0.5, -0.3, 0.2], [0.1, 0.4, -0.6]],
                    "bias": [0.2, -0.1],
                },
            ],
            "inputs": [[0.5, -1.0], [1.0, 0.3]],
            "targets": [[1, 0], [0, 1]],
            "loss": "half_sse",
            "learning_rate": 0.5,
            "l2": 0.1,
            "l1": 0.05,
            "seed": 3,
        }
    )


@pytest.mark.parametrize("masks", [True, False], ids=["given masks", "masks drawn from the seed"])
def test_gradcheck_passes_on_a_penalised_dropout_network(masks):
    problem = penalised_dropout_problem(masks)
    step = engine.run(problem).epochs[0].steps[0]
    assert step.forward[0].mask is not None and step.penalty > 0
    assert gradcheck.check(problem).ok


def test_gradcheck_catches_a_forgotten_penalty_gradient(monkeypatch):
    real = propagation.weight_gradients

    def without_penalty(problem, *args, **kwargs):
        dL_dW, pen, dL_db = real(problem, *args, **kwargs)
        return (dL_dW - pen if pen is not None else dL_dW), pen, dL_db

    monkeypatch.setattr(propagation, "weight_gradients", without_penalty)
    report = gradcheck.check(penalised_dropout_problem())
    assert not report.ok
    assert {c.name for c in report.checks if c.worst_relative > c.allowed} >= {
        "layer 1 (h) weights",
        "layer 2 (o) weights",
    }


def test_gradcheck_catches_a_forgotten_dropout_scaling(monkeypatch):
    real = propagation.local_slope

    def unscaled(layer, z, f, mask):
        slope = real(layer, z, f, mask)
        return slope * (1.0 - layer.dropout) if mask is not None else slope  # f′·m instead of f′·m/(1 − p)

    monkeypatch.setattr(propagation, "local_slope", unscaled)
    report = gradcheck.check(penalised_dropout_problem())
    failing = {c.name for c in report.checks if c.worst_relative > c.allowed}
    assert not report.ok and "layer 1 (h) weights" in failing and "layer 2 (o) weights" not in failing
