"""Golden values from published worked examples, per layer and per quantity.

Matt Mazur, "A Step by Step Backpropagation Example" (2015): every number
below is printed in the post (to the digits given here). One is not: the post
says the total error after the update is 0.291027924; the exact value is
0.291027774 (PyTorch float64 agrees; the post's own rounded weights give it too).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from backprop_cli import engine, examples, load
from backprop_cli.render.jsontrace import trace_dict


def approx(value, digits):
    """Equal to the published value at the number of decimals it was printed with."""
    return pytest.approx(value, abs=0.5 * 10**-digits)


@pytest.fixture(scope="module")
def mazur():
    trace = engine.run(load(examples.path("mazur-2-2-2")))
    return json.loads(json.dumps(trace_dict(trace)))


@pytest.fixture(scope="module")
def step(mazur):
    return mazur["epochs"][0]["steps"][0]


def test_forward_hidden(step):
    h = step["forward"][0]
    assert h["layer"] == 1
    assert h["z"][0] == [approx(0.3775, 4), approx(0.3925, 4)]
    assert h["a"][0] == [approx(0.593269992, 9), approx(0.596884378, 9)]


def test_forward_output(step):
    o = step["forward"][1]
    assert o["z"][0] == [approx(1.105905967, 9), approx(1.224921404, 9)]
    assert o["a"][0] == [approx(0.75136507, 8), approx(0.772928465, 9)]


def test_loss(step, mazur):
    assert step["losses"] == [approx(0.298371109, 9)]
    assert step["loss"] == approx(0.298371109, 9)
    assert mazur["epochs"][0]["loss"] == approx(0.298371109, 9)


def test_output_layer_backward(step):
    out = step["backward"][0]
    assert out["layer"] == 2
    # ∂E/∂out_o1 = 0.74136507, ∂out_o1/∂net_o1 = 0.186815602, δ_o1 = their product
    assert out["dL_da"][0][0] == approx(0.74136507, 8)
    assert out["da_dz"][0][0] == approx(0.186815602, 9)
    assert out["delta"][0][0] == approx(0.74136507 * 0.186815602, 8)
    # ∂E/∂w5 = 0.082167041
    assert out["dL_dW"][0][0] == approx(0.082167041, 9)
    assert out["dL_db"] == out["delta"][0]  # one example: ∂L/∂b = δ


def test_hidden_layer_backward(step):
    hid = step["backward"][1]
    assert hid["layer"] == 1
    # ∂E_total/∂out_h1 = 0.055399425 − 0.019049119 = 0.036350306; ∂out_h1/∂net_h1 = 0.241300709
    assert hid["dL_da"][0][0] == approx(0.036350306, 9)
    assert hid["da_dz"][0][0] == approx(0.241300709, 9)
    # ∂E/∂w1 = 0.000438568
    assert hid["dL_dW"][0][0] == approx(0.000438568, 9)


def test_updated_weights(step):
    w = {u["layer"]: u for u in step["update"]}
    assert w[2]["W"] == [
        [approx(0.35891648, 8), approx(0.408666186, 9)],
        [approx(0.511301270, 9), approx(0.561370121, 9)],
    ]
    assert w[1]["W"] == [
        [approx(0.149780716, 9), approx(0.19956143, 8)],
        [approx(0.24975114, 8), approx(0.29950229, 8)],
    ]
    # train_bias: false keeps the biases, as in the post
    assert w[1]["b"] == [0.35, 0.35] and w[1]["b_change"] == [0.0, 0.0]
    assert w[2]["b"] == [0.6, 0.6]
    np.testing.assert_allclose(
        w[2]["W_change"], [[-0.0410835205, -0.0413338139], [0.0113012702, 0.0113701211]], rtol=1e-8
    )


def test_loss_after_the_update(mazur):
    # The post prints 0.291027924: a slip; the exact value is 0.291027774.
    assert mazur["epochs"][0]["loss_after"] == pytest.approx(0.29102777369359933, rel=1e-12)


def test_next_problem_carries_the_new_weights(mazur):
    nxt = mazur["next_problem"]
    assert nxt["layers"][1]["weights"][0][0] == approx(0.35891648, 8)
    assert nxt["train_bias"] is False and nxt["learning_rate"] == 0.5
