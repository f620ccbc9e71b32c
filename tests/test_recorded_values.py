"""The trace is the one source of truth: the numbers a page prints for dropout and the perceptron rule are recorded.

A layer with dropout records f(z) before its mask (``ForwardRecord.f``, JSON ``f``) and f′(z) before it
(``BackwardRecord.df_dz``, JSON ``df_dz``); a perceptron step records its error e = y − ŷ (``StepRecord.e``,
JSON ``e``). Each is checked here against values computed independently in the test (the activation written
out again, f′ by a centred finite difference of it), and the pages are checked to read them. Hand values of the
dropout example: Matt Mazur, A Step by Step Backpropagation Example (2015): out_h1 = σ(0.3775) = 0.593269992,
out_h2 = σ(0.3925) = 0.596884378, so σ′ = out·(1 − out) = 0.241300709 and 0.240613417.
"""

from __future__ import annotations

import io
import json
import re
from fractions import Fraction

import numpy as np
import pytest

from backprop_cli import engine, exact, examples, from_dict, load
from backprop_cli.render import get
from backprop_cli.render.jsontrace import dumps, trace_dict

# The activations, written out again here (not read from the registry), with the parameters used below.
F = {
    "linear": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(0.0, z),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.1 * z),
    "elu": lambda z: np.where(z > 0, z, 0.5 * (np.exp(z) - 1.0)),
    "softplus": lambda z: np.log(1.0 + np.exp(z)),
}
PARAMS = {"leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 0.5}}
H = 1e-6


def centred_difference(f, z: np.ndarray) -> np.ndarray:
    """(f(z + h) − f(z − h))/(2h), elementwise."""
    return (f(z + H) - f(z - H)) / (2 * H)


def dropout_problem(activation: str, masks: bool = True, dropout: float = 0.5) -> dict:
    """2 → 3 (the activation, dropout) → 1 (sigmoid), two examples; no net input within 0.05 of a kink."""
    hidden = {
        "name": "h",
        "activation": {"name": activation, **PARAMS.get(activation, {})},
        "weights": [[0.3, -0.5], [0.8, 0.2], [-0.4, 0.6]],
        "bias": 0.1,
        "dropout": dropout,
    }
    if masks:
        hidden["masks"] = [[1, 0, 1], [0, 1, 1]]
    return {
        "layers": [hidden, {"name": "o", "activation": "sigmoid", "weights": [[0.5, -0.3, 0.2]], "bias": 0.2}],
        "inputs": [[0.5, -1.0], [1.0, 0.3]],
        "targets": [[1], [0]],
        "loss": "half_sse",
        "learning_rate": 0.5,
        "epochs": 2,
        "seed": 7,
    }


def json_trace(problem) -> dict:
    return json.loads(dumps(trace_dict(engine.run(problem))))


def page(trace, **options) -> str:
    out = io.StringIO()
    get("rich")(trace, out, {"precision": 4, "detail": "auto", **options})
    return re.sub(r"\n\s+= ", " = ", out.getvalue())  # wrapped equation lines joined


# ----------------------------------------------------------------------------- dropout: f and df_dz


@pytest.mark.parametrize("masks", [True, False], ids=["given masks", "drawn masks"])
@pytest.mark.parametrize("activation", sorted(F))
def test_a_dropout_layer_records_f_and_its_derivative_before_the_mask(activation, masks):
    data = dropout_problem(activation, masks)
    p = data["layers"][0]["dropout"]
    trace = json_trace(from_dict(data))
    f = F[activation]
    for epoch in trace["epochs"]:
        for step in epoch["steps"]:
            fwd, back = step["forward"][0], step["backward"][-1]
            z, mask = np.array(fwd["z"]), np.array(fwd["mask"])
            assert np.min(np.abs(z)) > 0.05  # away from every kink: the centred difference is f′ there
            np.testing.assert_allclose(fwd["f"], f(z), rtol=1e-12)
            np.testing.assert_allclose(fwd["a"], np.array(fwd["f"]) * mask / (1 - p), rtol=1e-15)
            np.testing.assert_allclose(back["df_dz"], centred_difference(f, z), rtol=1e-7, atol=0)
            np.testing.assert_allclose(back["da_dz"], np.array(back["df_dz"]) * mask / (1 - p), rtol=1e-15)
            assert back["layer"] == 1
            # the layer without dropout has neither key
            assert "f" not in step["forward"][1] and "df_dz" not in step["backward"][0]


def test_an_exact_dropout_run_records_f_and_df_dz_exactly():
    data = dropout_problem("relu", dropout=0.25)
    data["layers"][1]["activation"] = "linear"  # every operation rational
    trace = exact.run(from_dict(data))
    step = json.loads(dumps(trace_dict(trace)))["exact"]["epochs"][0]["steps"][0]
    fwd, back = step["forward"][0], step["backward"][-1]
    z = [[Fraction(v) for v in row] for row in fwd["z"]]
    assert fwd["f"] == [[str(max(Fraction(0), v)) for v in row] for row in z]
    assert back["df_dz"] == [["1" if v > 0 else "0" for v in row] for row in z]
    assert back["da_dz"] == [
        [str(Fraction(d) * Fraction(m) * Fraction(4, 3)) for d, m in zip(dr, mr, strict=True)]
        for dr, mr in zip(back["df_dz"], fwd["mask"], strict=True)
    ]


def test_the_dropout_example_records_mazurs_values():
    step = engine.run(load(examples.path("dropout-mazur"))).epochs[0].steps[0]
    out_h = np.array([0.593269992, 0.596884378])
    np.testing.assert_allclose(step.forward[0].f[0], out_h, rtol=1e-8)
    np.testing.assert_allclose(step.backward_of(1).df_dz[0], out_h * (1 - out_h), rtol=1e-8)
    assert step.forward[1].f is None and step.backward_of(2).df_dz is None


def test_the_dropout_pages_print_the_recorded_f_and_df_dz():
    trace = engine.run(load(examples.path("dropout-mazur")))
    text = page(trace)
    # f(z) = 0.593269992 and 0.596884378; f′(z) = 0.241300709 and 0.240613417 (Mazur's outputs, by hand)
    assert "out_h1 = σ(net_h1)·mask_h1/(1 − p) = 1/(1 + e^(−0.3775))·1/(1 − 0.5) = 0.5933·1/(1 − 0.5) = 1.1865" in text
    assert "out_h2 = σ(net_h2)·mask_h2/(1 − p) = 1/(1 + e^(−0.3925))·0/(1 − 0.5) = 0.5969·0/(1 − 0.5) = 0" in text
    assert "∂out_h1/∂net_h1 = σ′(net_h1)·mask_h1/(1 − p) = 0.2413·1/(1 − 0.5) = 0.4826   (kept)" in text
    assert "∂out_h2/∂net_h2 = σ′(net_h2)·mask_h2/(1 − p) = 0.2406·0/(1 − 0.5) = 0   (dropped" in text
    assert "σ′(0.3775)" not in text
    matrix = page(trace, detail="matrix")
    assert "sigmoid(Z⁽¹⁾) (1×2) = [ 0.5933  0.5969 ]" in matrix
    assert matrix.index("sigmoid(Z⁽¹⁾) (1×2)") < matrix.index("Mask⁽¹⁾ (1×2)") < matrix.index("A⁽¹⁾ (1×2)")


def test_the_dropout_page_reads_f_and_df_dz_from_the_trace():
    trace = engine.run(load(examples.path("dropout-mazur")))
    step = trace.epochs[0].steps[0]
    fwd, back = step.forward[0], step.backward[-1]
    step = step._replace(
        forward=[fwd._replace(f=fwd.f + 10), *step.forward[1:]],
        backward=[*step.backward[:-1], back._replace(df_dz=back.df_dz + 20)],
    )
    text = page(trace._replace(epochs=[trace.epochs[0]._replace(steps=[step])]))
    assert "= 10.5933·1/(1 − 0.5) = 1.1865" in text and "= 20.2413·1/(1 − 0.5) = 0.4826" in text


# ----------------------------------------------------------------------------- the perceptron rule: e


PERCEPTRON_SIGN = {
    "rule": "perceptron",
    "layers": [{"name": "y", "activation": "sign", "weights": [[0.2, -0.4], [0.1, 0.3]], "bias": [0.1, -0.2]}],
    "inputs": [[1, 1], [-1, 0.5], [0.5, -1]],
    "targets": [[1, -1], [-1, 1], [1, 1]],
    "learning_rate": 0.25,
    "epochs": 3,
}


@pytest.mark.parametrize("problem", ["perceptron-and", "sign"])
def test_a_perceptron_step_records_its_error_y_minus_y_hat(problem):
    p = load(examples.path(problem)) if problem != "sign" else from_dict(PERCEPTRON_SIGN)
    trace = json_trace(p)
    errors = []
    for epoch in trace["epochs"]:
        for step in epoch["steps"]:
            y = p.Y[step["examples"]]
            y_hat = np.array(step["forward"][0]["a"])
            np.testing.assert_array_equal(step["e"], y - y_hat)
            errors.append(np.array(step["e"]))
    assert any(np.any(e) for e in errors) and any(not np.any(e) for e in errors)  # mistakes and right answers


def test_an_exact_perceptron_trace_writes_e_exactly():
    trace = json.loads(dumps(trace_dict(exact.run(from_dict(PERCEPTRON_SIGN)))))
    for epoch in trace["exact"]["epochs"]:
        for step in epoch["steps"]:
            y = [[Fraction(str(v)) for v in PERCEPTRON_SIGN["targets"][n]] for n in step["examples"]]
            y_hat = [[Fraction(v) for v in row] for row in step["forward"][0]["a"]]
            assert step["e"] == [[str(a - b) for a, b in zip(r, s, strict=True)] for r, s in zip(y, y_hat, strict=True)]


def test_the_perceptron_page_reads_e_from_the_trace():
    trace = engine.run(load(examples.path("perceptron-and")))
    before = page(trace)
    assert "e_y1 = y1 − out_y1 = 0 − 1 = −1" in before
    first = trace.epochs[0]
    step = first.steps[2]._replace(e=np.array([[7.0]]))  # example 3: recorded e = −1
    first = first._replace(steps=[*first.steps[:2], step, *first.steps[3:]])
    after = page(trace._replace(epochs=[first, *trace.epochs[1:]]))
    assert after != before
    assert "e_y1 = y1 − out_y1 = 0 − 1 = 7" in after
    assert "w1⁺ = w1 + η·e_y1·x1 = 0.3 + 0.1·7·1 = 0.2" in after  # the new weight stays the recorded one
    assert after.count("e_y1 = y1 − out_y1 = 0 − 1 = −1") == before.count("e_y1 = y1 − out_y1 = 0 − 1 = −1") - 1


# ----------------------------------------------------------------------------- every other trace: no new key

STEP_KEYS = {"examples", "forward", "losses", "loss", "penalty", "backward", "dL_dx", "update"}
FORWARD_KEYS = {"layer", "z", "a"}
BACKWARD_KEYS = {"layer", "delta", "dL_dW", "dL_db", "dL_da", "da_dz"}


@pytest.mark.parametrize("name", [n for n in examples.names() if not n.startswith("circuit")])
def test_traces_without_dropout_or_perceptron_have_no_new_key(name):
    problem = load(examples.path(name))
    trace = engine.run(problem)
    d = json.loads(dumps(trace_dict(trace)))
    perceptron = problem.rule == "perceptron"
    for epoch, rec in zip(d["epochs"], trace.epochs, strict=True):
        for step, srec in zip(epoch["steps"], rec.steps, strict=True):
            assert set(step) <= STEP_KEYS | ({"e"} if perceptron else set())
            assert ("e" in step) == perceptron and (srec.e is not None) == perceptron
            for entry, frec in zip(step["forward"], srec.forward, strict=True):
                layer = problem.layers[entry["layer"] - 1]
                dropout, parts = bool(layer.dropout), layer.activation.parts  # softmax's exp_z
                assert set(entry) == FORWARD_KEYS | ({"mask", "f"} if dropout else set()) | (
                    {parts[0]} if parts else set()
                )
                assert (frec.f is not None) == dropout and (frec.parts is not None) == bool(parts)
            for entry, brec in zip(step.get("backward", []), srec.backward, strict=True):
                dropout = bool(problem.layers[entry["layer"] - 1].dropout)
                assert set(entry) <= BACKWARD_KEYS | ({"df_dz"} if dropout else set())
                assert ("df_dz" in entry) == (brec.df_dz is not None) == dropout


def test_the_matrix_page_shows_f_prime_before_the_mask_from_the_trace():
    """Matrix detail: f′(Z⁽¹⁾) as recorded (df_dz), then f′(Z⁽¹⁾) ⊙ Mask⁽¹⁾/(1 − p), then δ."""
    from click.testing import CliRunner

    from backprop_cli.cli import main

    page = CliRunner().invoke(main, ["solve", "dropout-mazur", "--detail", "matrix"]).output
    before = page.index("f′(Z⁽¹⁾) (1×2)")
    masked = page.index("f′(Z⁽¹⁾) ⊙ Mask⁽¹⁾/(1 − p) (1×2)")
    delta = page.index("δ⁽¹⁾ = ∂L/∂A⁽¹⁾ ⊙ f′(Z⁽¹⁾) ⊙ Mask⁽¹⁾/(1 − p)")
    assert before < masked < delta
    assert "0.2413" in page[before:masked] and "0.4826" in page[masked:delta]  # σ′(net_h1) of Mazur's example, ×2
