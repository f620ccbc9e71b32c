"""The engine's gradients against centred finite differences, over generated problems.

Only the engine's forward pass is used to build the loss; the backward pass is
what is checked. Also: k epochs in one run equal k chained one-epoch runs, and
the fast path (no recording) equals the recorded run.
"""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from strategies import KINKED, problems, run_finite

from backprop_cli import engine, from_dict
from backprop_cli.problem import to_dict
from backprop_cli.teaching.gradcheck import H
from backprop_cli.teaching.gradcheck import difference as central_difference

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


def first_update_loss(problem, W, b, X, Y):
    zs, acts = engine.forward(problem.layers, W, b, X)
    return engine.reduce(problem, engine.losses(problem, zs[-1], acts[-1], Y))


def assert_matches_differences(analytic: np.ndarray, f, x: np.ndarray, atol: float) -> None:
    """analytic = the finite difference, at rtol 1e-6, as tightly as the difference itself is known.

    Where the loss curves extremely hard (a softmax output of 1e-5 under bce), even
    the five-point difference is off in the sixth digit while the engine matches
    PyTorch. The disagreement between steps h and 2h estimates that error and is
    added to the tolerance: a wrong gradient is off by far more than this.
    """
    fd, fd2 = central_difference(f, x), central_difference(f, x, 2 * H)
    own_error = np.abs(fd - fd2)
    assert np.all(np.abs(analytic - fd) <= 1e-6 * np.abs(fd) + atol + 2 * own_error), (analytic, fd, fd2)


def away_from_kinks(problem, step) -> bool:
    """False when a kinked activation's net input lies within reach of the finite-difference step."""
    for layer, fwd in zip(problem.layers, step.forward, strict=False):
        if layer.activation.name in KINKED and np.min(np.abs(fwd.z)) < 1e-4:
            return False
    return True


@SETTINGS
@given(problems())
def test_gradients_equal_central_differences(data):
    problem = from_dict(data)
    trace = run_finite(problem.with_epochs(1))
    step = trace.epochs[0].steps[0]
    assume(away_from_kinks(problem, step))
    rows = step.examples
    W = [l.W.copy() for l in problem.layers]
    b = [None if l.b is None else l.b.copy() for l in problem.layers]
    X, Y = problem.X[rows].copy(), problem.Y[rows]

    def f():
        return first_update_loss(problem, W, b, X, Y)

    scale = max(1.0, abs(step.loss))
    by_layer = {r.layer: r for r in step.backward}
    for i in range(len(problem.layers)):
        rec = by_layer[i + 1]
        assert_matches_differences(rec.dL_dW, f, W[i], 1e-8 * scale)
        if b[i] is not None:
            assert_matches_differences(rec.dL_db, f, b[i], 1e-8 * scale)
    assert_matches_differences(step.dL_dx, f, X, 1e-8 * scale)


@SETTINGS
@given(problems())
def test_delta_is_the_per_example_derivative_of_the_loss_by_the_net_input(data):
    """δ of the output layer = ∂Lₙ/∂z, by finite differences on z itself."""
    problem = from_dict(data)
    step = run_finite(problem.with_epochs(1)).epochs[0].steps[0]
    assume(away_from_kinks(problem, step))
    out = problem.layers[-1]
    z = step.forward[-1].z.copy()
    Y = problem.Y[step.examples]
    for n in range(z.shape[0]):
        row = z[n : n + 1].copy()

        def f(row=row, n=n):
            return float(engine.losses(problem, row, out.activation(row, out.activation_params), Y[n : n + 1])[0])

        assert_matches_differences(step.backward[0].delta[n : n + 1], f, row, 1e-8)


def chain(problem_data: dict, times: int) -> dict:
    """Run one epoch ``times`` times, each from the previous run's next_problem, through JSON."""
    from backprop_cli.render.jsontrace import trace_dict

    data = problem_data
    for _ in range(times):
        trace = run_finite(from_dict(data).with_epochs(1))
        data = json.loads(json.dumps(trace_dict(trace)))["next_problem"]
    return data


@SETTINGS
@given(problems(max_epochs=3))
def test_k_epochs_equal_k_chained_single_epochs(data):
    problem = from_dict(data)
    whole = to_dict(run_finite(problem, record=False).next_problem)
    chained = chain(data, problem.epochs)
    for a, b in zip(whole["layers"], chained["layers"], strict=False):
        np.testing.assert_allclose(a["weights"], b["weights"], rtol=1e-12, atol=0)
        if isinstance(a.get("bias"), list):
            np.testing.assert_allclose(a["bias"], b["bias"], rtol=1e-12, atol=0)


@SETTINGS
@given(problems(max_epochs=3))
def test_fast_path_equals_recorded_run(data):
    problem = from_dict(data)
    fast = run_finite(problem, record=False)
    full = run_finite(problem, record=True)
    assert [e.loss for e in fast.epochs] == [e.loss for e in full.epochs]
    assert [e.loss_after for e in fast.epochs] == [e.loss_after for e in full.epochs]
    for a, b in zip(fast.next_problem.layers, full.next_problem.layers, strict=False):
        assert np.array_equal(a.W, b.W)
        assert (a.b is None and b.b is None) or np.array_equal(a.b, b.b)
    # loss_after of the last epoch is the loss of next_problem's weights
    _, loss_next = engine.evaluate(fast.next_problem, engine.initial_params(fast.next_problem))
    assert loss_next == fast.epochs[-1].loss_after


@SETTINGS
@given(problems(max_epochs=1))
def test_stochastic_equals_chained_single_example_batches(data):
    """update: stochastic is one batch update per example, in file order."""
    data = dict(data, update="stochastic", momentum=0)
    data.pop("batch_size", None)
    whole = run_finite(from_dict(data)).next_problem
    current = data
    for row in range(len(data["inputs"])):
        single = dict(current, inputs=[data["inputs"][row]], targets=[data["targets"][row]], update="batch")
        nxt = to_dict(run_finite(from_dict(single)).next_problem)
        current = dict(data, layers=nxt["layers"])
    for a, b in zip(whole.layers, from_dict(current).layers, strict=False):
        np.testing.assert_allclose(a.W, b.W, rtol=1e-12, atol=1e-15)
