"""Published textbook examples typed as printed, in their own conventions, with their printed numbers pinned.

Each value below is the book's printed number; the tolerance is half a unit in
the last place it prints (so 0.332 pins 0.3318…). Where the book prints a
rounded-then-carried value that the exact computation does not give, the
exact value is pinned and the problem file's notes say so. Values the book
does not print (Mitchell's exercise) are exact and agree with torch.optim.SGD
(tests/test_optimizers.py checks the rule in general).
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop_cli import engine, examples, load


def solved(name, epochs=None):
    problem = load(examples.path(name))
    return engine.run(problem if epochs is None else problem.with_epochs(epochs))


def printed(value, text: str):
    """Equal to the printed text at the precision it is printed."""
    places = len(text.split(".")[1]) if "." in text else 0
    assert abs(float(value) - float(text)) <= 0.5 * 10**-places + 1e-12, (value, text)


def test_han_kamber_pei_example_9_1():
    """Data Mining, 3rd ed., Example 9.1 (Tables 9.2–9.4): Err_j = O_j(1 − O_j)(T_j − O_j), θ added."""
    step = solved("textbook-han-kamber-9-1").epochs[0].steps[0]
    (h, o) = step.forward
    for value, text in zip(h.z[0], ["-0.7", "0.1"], strict=False):
        printed(value, text)
    for value, text in zip(h.a[0], ["0.332", "0.525"], strict=False):
        printed(value, text)
    printed(o.z[0, 0], "-0.105")
    printed(o.a[0, 0], "0.474")
    err6 = step.backward_of(2).delta[0, 0]
    assert err6 == pytest.approx(0.1311690782, abs=1e-10)  # printed 0.1311: the book carries O6 = 0.474 on
    for value, text in zip(step.backward_of(1).delta[0], ["-0.0087", "-0.0065"], strict=False):
        printed(value, text)
    W1, W2 = step.update[0], step.update[1]
    # in_out as the book lists them: w14 w15 / w24 w25 / w34 w35
    for value, text in zip(W1.W.T.ravel(), ["0.192", "-0.306", "0.4", "0.1", "-0.508", "0.194"], strict=False):
        printed(value, text)
    for value, text in zip(W2.W.T.ravel(), ["-0.261", "-0.138"], strict=False):
        printed(value, text)
    for value, text in zip(list(W1.b) + list(W2.b), ["-0.408", "0.194", "0.218"], strict=False):
        printed(value, text)


def test_negnevitsky_xor_first_iteration():
    """AI: A Guide to Intelligent Systems, §6.4: thresholds subtracted, δ = y(1 − y)·e with e = y_d − y."""
    step = solved("textbook-negnevitsky-xor").epochs[0].steps[0]
    h, o = step.forward
    for value, text in zip(list(h.a[0]) + [o.a[0, 0]], ["0.5250", "0.8808", "0.5097"], strict=False):
        printed(value, text)
    printed(step.backward_of(2).delta[0, 0], "-0.1274")
    for value, text in zip(step.backward_of(1).delta[0], ["0.0381", "-0.0147"], strict=False):
        printed(value, text)
    W1, W2 = step.update
    for value, text in zip(W1.W.T.ravel(), ["0.5038", "0.8985", "0.4038", "0.9985"], strict=False):  # w13 w14 / w23 w24
        printed(value, text)
    for value, text in zip(W2.W.T.ravel(), ["-1.2067", "1.0888"], strict=False):
        printed(value, text)
    for value, text in zip(list(W1.b) + list(W2.b), ["0.7962", "-0.0985", "0.3127"], strict=False):  # θ3 θ4 θ5
        printed(value, text)
    printed(W2.W_change[0, 0], "-0.0067")
    printed(W2.b_change[0], "0.0127")


def test_hagan_neural_network_design_1_2_1():
    """Neural Network Design, 2nd ed., ch. 11: sensitivities s = ∂F/∂n with F = e² (loss: sse)."""
    step = solved("textbook-hagan-1-2-1").epochs[0].steps[0]
    h, o = step.forward
    for value, text in zip(h.z[:, 0].tolist() + h.a[0].tolist(), ["-0.75", "0.321"], strict=False):
        printed(value, text)
    printed(h.a[0, 1], "0.368")
    printed(o.a[0, 0], "0.446")
    printed(step.backward_of(2).delta[0, 0], "-2.522")
    for value, text in zip(step.backward_of(1).delta[0], ["-0.0495", "0.0997"], strict=False):
        printed(value, text)
    W1, W2 = step.update
    for value, text in zip(W2.W.ravel(), ["0.171", "-0.0772"], strict=False):
        printed(value, text)
    printed(W2.b[0], "0.732")
    for value, text in zip(list(W1.W.ravel()) + list(W1.b), ["-0.265", "-0.420", "-0.475", "-0.140"], strict=False):
        printed(value, text)


def test_mitchell_exercise_4_7_two_iterations_with_momentum():
    """Machine Learning, Exercise 4.7 (no printed answer): exact values, equal to torch.optim.SGD(momentum=0.9)."""
    steps = solved("textbook-mitchell-4-7-momentum").epochs[0].steps
    expected = [  # w_ca, w_cb, w_c0, w_dc, w_d0 after each iteration
        [0.1008512818, 0.1, 0.1008512818, 0.1189103978, 0.1343929220],
        [0.1016174355, 0.0987985279, 0.1004159633, 0.1134741644, 0.1245215214],
    ]
    for step, want in zip(steps, expected, strict=False):
        c, d = step.update
        got = [c.W[0, 0], c.W[0, 1], c.b[0], d.W[0, 0], d.b[0]]
        np.testing.assert_allclose(got, want, atol=1e-10)
    assert steps[0].backward_of(2).delta[0, 0] == pytest.approx(0.1146430734, abs=1e-10)  # δ_d, error signal


def test_negnevitsky_perceptron_and_table_exactly():
    """§6.3's table: every net input as by hand (exact zeros included), mistakes 2, 1, 2, 1, 0, final w = (0.1, 0.1)."""
    trace = solved("perceptron-and")
    z = [s.forward[0].z[0, 0] for e in trace.epochs for s in e.steps]
    assert z == pytest.approx(
        [-0.2, -0.3, 0.1, -0.1, -0.2, -0.2, 0.1, 0, -0.2, -0.2, 0, -0.1, -0.2, -0.1, 0, 0, -0.2, -0.1, -0.1, 0], abs=0
    )
    assert [round(e.loss * 4 / 0.5) for e in trace.epochs] == [2, 1, 2, 1, 0]
    assert trace.next_problem.layers[0].W.tolist() == [[0.1, 0.1]]
    assert trace.next_problem.layers[0].b.tolist() == [0.2]  # θ held fixed, as in the book


def test_trask_eleven_lines_full_batch_as_singman_annotates_it():
    """Trask (2015) as annotated by Singman (KDnuggets, 2016): iteration 0 of the one-layer network."""
    step = solved("full-batch-error-signal").epochs[0].steps[0]
    for value, text in zip(
        step.forward[0].a[:, 0], ["0.36672394", "0.27408027", "0.46173529", "0.35868411"], strict=True
    ):
        printed(value, text)
    for value, text in zip(
        step.backward_of(1).delta[:, 0], ["-0.08516705", "-0.05453109", "0.13377806", "0.14752178"], strict=True
    ):
        printed(value, text)  # l1_delta = (y − l1)·l1·(1 − l1): the error signal
    printed(step.forward[0].a[3, 0] * (1 - step.forward[0].a[3, 0]), "0.23002982")  # printed 0.21876263: a slip
    for value, text in zip(step.update[0].W[0], ["0.67423821", "-0.33473064", "-0.40469539"], strict=True):
        printed(value, text)
    W = solved("full-batch-error-signal", epochs=100000).next_problem.layers[0].W[0]
    np.testing.assert_allclose(W, [12.008716220024937, -0.204478732753891, -5.8002499737981985], rtol=1e-9)


def test_cs231n_softmax_scores():
    """CS231n, Linear classification, Softmax classifier: exponentials 0.058, 2.36, 1.32; probabilities
    0.016 (0.01545: see below), 0.631, 0.353; cross-entropy 1.04 for the third class."""
    step = solved("softmax-scores-cs231n").epochs[0].steps[0]
    for value, text in zip(step.forward[0].parts[0], ["0.058", "2.36", "1.32"], strict=True):
        printed(value, text)
    for value, text in zip(step.forward[0].a[0], ["0.0154", "0.631", "0.353"], strict=True):
        printed(value, text)  # printed 0.016: 0.058/3.738 from the rounded exponentials is 0.0155
    printed(step.loss, "1.04")
