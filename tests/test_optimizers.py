"""SPEC §4.1–4.4 against PyTorch float64: every optimizer, penalties, dropout masks and bias forms.

The PyTorch side is written from the SPEC alone: each layer's weights (with an
augmented bias column, which multiplies a constant ±1) and its bias or
threshold are parameters of one torch.optim optimizer in one group; the loss
of an update is the reduced data loss plus (λ₂/2)·Σw² + λ₁·Σ|w| over the
weights (never a bias); dropout multiplies f(z) by mask/(1 − p). Every trace
key, the optimizer state included, must agree at rtol 1e-8; so must a run
continued through next_problem and the run of all epochs at once.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import problems, run_finite

from backprop_cli import engine, from_dict
from backprop_cli.optimizers import OPTIMIZERS
from backprop_cli.problem import to_dict
from backprop_cli.render.jsontrace import trace_dict

RTOL, ATOL = 1e-8, 1e-12

OPTIMIZER_CHOICES = {
    "sgd": dict(momentum=[0.0, 0.5, 0.9], dampening=[0.0, 0.3], nesterov=[False, True], weight_decay=[0.0, 0.1]),
    "adam": dict(betas=[[0.9, 0.999], [0.5, 0.8]], eps=[1e-8, 0.1], weight_decay=[0.0, 0.1], amsgrad=[False, True]),
    "adamw": dict(betas=[[0.9, 0.999], [0.5, 0.8]], eps=[1e-8, 0.1], weight_decay=[0.0, 0.1], amsgrad=[False, True]),
    "rmsprop": dict(
        alpha=[0.99, 0.5], eps=[1e-8, 0.1], momentum=[0.0, 0.7], centered=[False, True], weight_decay=[0.0, 0.1]
    ),
    "adagrad": dict(
        lr_decay=[0.0, 0.1], eps=[1e-10, 0.1], initial_accumulator_value=[0.0, 0.5], weight_decay=[0.0, 0.1]
    ),
}


@st.composite
def v2_problems(draw):
    """A generated v1 problem with the keys of SPEC §4 laid over it."""
    data = draw(problems(max_epochs=3))
    data.pop("momentum", None)
    name = draw(st.sampled_from(sorted(OPTIMIZER_CHOICES)))
    params = {k: draw(st.sampled_from(v)) for k, v in OPTIMIZER_CHOICES[name].items() if draw(st.booleans())}
    if name == "sgd" and params.get("nesterov"):
        params["momentum"], params["dampening"] = 0.9, 0.0  # PyTorch's condition for Nesterov
    data["optimizer"] = {"name": name, **params}
    data["learning_rate"] = draw(st.sampled_from([0.01, 0.1, 0.5]))
    for key in ("l2", "l1"):
        if draw(st.integers(0, 2)) == 0:
            data[key] = draw(st.sampled_from([0.01, 0.1]))
    n = len(data["inputs"])
    for i, layer in enumerate(data["layers"]):
        bias = layer.get("bias")
        form = draw(st.sampled_from(["keep", "threshold", "shared", "minus"]))
        if form == "threshold" and bias is not None and bias != "augmented":
            layer["threshold"] = layer.pop("bias")
        elif form == "shared" and isinstance(bias, (int, float)) and _act_name(layer) != "softmax":
            # (a shared bias under softmax has Σ δ = 0 exactly; its rounding residue is noise Adagrad amplifies)
            layer["bias"] = {"shared": bias}
        elif form == "minus" and bias == "augmented":
            layer["bias"] = {"augmented": -1}
        if i < len(data["layers"]) - 1 and draw(st.integers(0, 2)) == 0:
            units = _units(layer, data, i)
            layer["dropout"] = draw(st.sampled_from([0.25, 0.5]))
            layer["masks"] = [[draw(st.sampled_from([0, 1])) for _ in range(units)] for _ in range(n)]
    return data


def _act_name(layer):
    act = layer["activation"]
    return act if isinstance(act, str) else act["name"]


def _units(layer, data, i):
    if "units" in layer:
        return layer["units"]
    W = layer["weights"]
    layout = layer.get("layout", data.get("layout", "out_in"))
    return len(W) if layout == "out_in" else len(W[0])


def close(actual, expected, what, atol=ATOL):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=atol, err_msg=what
    )


STEP_ATOL = 1e-9
"""An adaptive step divides g by about |g|: where g is a sum that nearly cancels (zero weights, zero inputs), its
last digits differ between any two summation orders and the step keeps that difference. So steps and weights are
compared at rtol 1e-8 and, near zero, at 1e-9 absolute (steps are of size η ≤ 0.5 here)."""


def _rounding_noise_in_a_gradient(trace) -> bool:
    """A gradient that is a sum cancelling to rounding noise (0 < |g| < 1e-9), which an adaptive optimizer divides by
    about |g|: its step is then that noise, in any summation order (PyTorch's included). Such problems say nothing."""
    for epoch in trace.epochs:
        for step in epoch.steps:
            for rec in step.backward:
                for g in (rec.dL_dW, rec.dL_db):
                    if g is not None and np.any((g != 0) & (np.abs(g) < 1e-9)):
                        return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_problems())
def test_every_trace_key_and_the_optimizer_state_match_torch_optim(data):
    torch = pytest.importorskip("torch")
    from torch_reference import torch_run

    problem = from_dict(data)
    trace = run_finite(problem)
    assume(not (problem.optimizer.name != "sgd" and _rounding_noise_in_a_gradient(trace)))
    ours = json.loads(json.dumps(trace_dict(trace)))
    theirs = torch_run(torch, problem)
    assert ours["version"] == 2
    for oe, te in zip(ours["epochs"], theirs, strict=True):
        close(oe["loss"], te["loss"], "epoch loss")
        close(oe["loss_after"], te["loss_after"], "loss_after")
        for os_, ts in zip(oe["steps"], te["steps"], strict=True):
            close(os_["loss"], ts["loss"], "loss")
            close(os_["losses"], ts["losses"], "losses")
            if "penalty" in ts:
                close(os_["penalty"], ts["penalty"], "penalty")
            for of, tf in zip(os_["forward"], ts["forward"], strict=True):
                close(of["z"], tf["z"], "z")
                close(of["a"], tf["a"], "a")
            for ob, tb in zip(os_["backward"], ts["backward"], strict=True):
                close(ob["delta"], tb["delta"], f"delta of layer {ob['layer']}")
                close(ob["dL_dW"], tb["dL_dW"], f"dL_dW of layer {ob['layer']}")
                if tb["dL_db"] is not None:
                    close(ob["dL_db"], tb["dL_db"], f"dL_db of layer {ob['layer']}")
            close(os_["dL_dx"], ts["dL_dx"], "dL_dx")
            for ou, tu in zip(os_["update"], ts["update"], strict=True):
                for key in ("W", "W_change", "b", "b_change"):
                    if tu[key] is not None:
                        close(ou[key], tu[key], f"{key} of layer {ou['layer']}", STEP_ATOL)
                for key in ("state_W", "state_b"):
                    if tu[key]:
                        assert set(ou[key]) == set(tu[key]), key
                        for name, value in tu[key].items():
                            close(ou[key][name], value, f"{key}.{name} of layer {ou['layer']}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_problems())
def test_a_run_continued_through_next_problem_lands_on_the_same_weights(data):
    problem = from_dict(data)
    whole = run_finite(problem)
    first = run_finite(problem.with_epochs(1))
    again = from_dict(json.loads(json.dumps(to_dict(first.next_problem))))
    assert again.epochs_done == 1
    rest = run_finite(again.with_epochs(problem.epochs - 1)) if problem.epochs > 1 else first
    for a, b in zip(whole.next_problem.layers, rest.next_problem.layers, strict=False):
        close(a.W, b.W, "W")
        if a.b is not None:
            close(a.b, b.b, "b")
    if problem.epochs > 1:
        assert [e.epoch for e in rest.epochs] == list(range(2, problem.epochs + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(v2_problems())
def test_the_fast_path_equals_the_recorded_run_for_every_optimizer(data):
    problem = from_dict(data)
    slow, fast = run_finite(problem), run_finite(problem, record=False)
    for a, b in zip(slow.next_problem.layers, fast.next_problem.layers, strict=True):
        assert np.array_equal(a.W, b.W)
        assert (a.b is None and b.b is None) or np.array_equal(a.b, b.b)
        for slow_state, fast_state in ((a.state_W, b.state_W), (a.state_b, b.state_b)):
            assert (slow_state or {}).keys() == (fast_state or {}).keys()
            for name, value in (slow_state or {}).items():
                assert np.array_equal(value, fast_state[name]), name
    assert [e.loss for e in slow.epochs] == [e.loss for e in fast.epochs]
    assert [e.loss_after for e in slow.epochs] == [e.loss_after for e in fast.epochs]


def test_the_first_adam_step_is_plus_or_minus_eta_in_every_coordinate():
    """m̂ = g and v̂ = g² at t = 1, so Δw = −η·g/(|g| + ε) ≈ −η·sign(g) (a classic hand check)."""
    problem = from_dict(
        {
            "layers": [
                {"activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                {"activation": "sigmoid", "weights": [[0.4, 0.45], [0.5, 0.55]], "bias": 0.6},
            ],
            "inputs": [[0.05, 0.1]],
            "targets": [[0.01, 0.99]],
            "learning_rate": 0.5,
            "optimizer": "adam",
        }
    )
    step = engine.run(problem).epochs[0].steps[0]
    for upd, back in zip(step.update, reversed(step.backward), strict=False):
        g = back.dL_dW
        np.testing.assert_allclose(upd.W_change, -0.5 * g / (np.abs(g) + 1e-8), rtol=1e-12)
        assert np.all(np.abs(np.abs(upd.W_change) - 0.5) < 1e-3)
        assert upd.state_W["step"] == 1.0


def test_top_level_momentum_means_sgd_momentum_and_both_are_refused():
    base = {
        "layers": [{"activation": "linear", "weights": [[0.5]]}],
        "inputs": [[1]],
        "targets": [[0]],
        "learning_rate": 0.1,
    }
    assert from_dict({**base, "momentum": 0.9}).hp["momentum"] == 0.9
    with pytest.raises(Exception, match="momentum"):
        from_dict({**base, "momentum": 0.9, "optimizer": {"name": "sgd", "momentum": 0.5}})


@pytest.mark.parametrize(
    "optimizer, message",
    [
        ({"name": "adam", "beta1": 0.9}, "adam takes betas"),
        ({"name": "adam", "betas": [0.9, 1.0]}, r"in \[0, 1\)"),
        ({"name": "adam", "eps": -1e-8}, "≥ 0"),
        ({"name": "rmsprop", "centered": "yes"}, "true or false"),
        ({"name": "adamm"}, "did you mean adam"),
    ],
)
def test_bad_optimizer_parameters_are_refused_with_the_key(optimizer, message):
    with pytest.raises(Exception, match=message):
        from_dict(
            {
                "layers": [{"activation": "linear", "weights": [[0.5]]}],
                "inputs": [[1]],
                "targets": [[0]],
                "learning_rate": 0.1,
                "optimizer": optimizer,
            }
        )


def test_every_optimizer_has_a_derivation_ending_in_the_change():
    for opt in OPTIMIZERS.values():
        hp = {name: p.default for name, p in opt.params.items()}
        lines = opt.shown_lines({**hp, "beta1": 0.9, "beta2": 0.999})
        assert lines and lines[-1].result == "change", opt.name


def test_the_fast_path_steps_arrays_with_different_states_one_by_one():
    """A continued run whose weights and biases were stepped different numbers of times (or have no buffers yet)
    cannot take one step over all arrays together: each array keeps its own counter and buffers."""
    data = {
        "layers": [
            {
                "activation": "tanh",
                "weights": [[0.1, -0.2], [0.3, 0.4]],
                "bias": [0.05, -0.05],
                "state": {
                    "weights": {"step": 3, "exp_avg": [[0.01, 0.02], [-0.03, 0.0]], "exp_avg_sq": [[1e-4] * 2] * 2},
                    "bias": {"step": 1, "exp_avg": [0.1, -0.1], "exp_avg_sq": [0.01, 0.02]},
                },
            },
            {"activation": "sigmoid", "weights": [[0.5, -0.6]], "bias": 0.2},
        ],
        "inputs": [[0.5, -1.0], [1.0, 0.25], [-0.5, 0.5]],
        "targets": [[1.0], [0.0], [1.0]],
        "learning_rate": 0.1,
        "update": "stochastic",
        "epochs": 3,
        "optimizer": {"name": "adam", "amsgrad": True},
    }
    problem = from_dict(data)
    slow, fast = run_finite(problem), run_finite(problem, record=False)
    for a, b in zip(slow.next_problem.layers, fast.next_problem.layers, strict=True):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
        for s, f in ((a.state_W, b.state_W), (a.state_b, b.state_b)):
            assert s.keys() == f.keys()
            assert all(np.array_equal(s[k], f[k]) for k in s)
    first = slow.next_problem.layers[0]
    assert (first.state_W["step"], first.state_b["step"]) == (12.0, 10.0)
    assert slow.next_problem.layers[1].state_W["step"] == 9.0
