"""The bundled examples: each solves, and its key numbers (and the notebook diagnoses in its notes) hold."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from backprop_cli import engine, examples, load, loads
from backprop_cli.render.jsontrace import trace_dict


def trace(name: str, text: str | None = None) -> dict:
    problem = loads(text, name) if text is not None else load(examples.path(name))
    return json.loads(json.dumps(trace_dict(engine.run(problem))))


def first(t: dict) -> dict:
    return t["epochs"][0]["steps"][0]


def printed(value: float, decimals: int):
    """Equal to a number printed with ``decimals`` decimals."""
    return pytest.approx(value, abs=0.5 * 10**-decimals)


@pytest.mark.parametrize("name", examples.names())
def test_every_example_solves_and_opens_with_its_provenance(name):
    text = examples.path(name).read_text()
    assert text.startswith("#"), "each example opens with comments saying where it comes from"
    t = trace(name)
    assert t["problem"]["title"] and t["problem"]["source"]
    assert np.isfinite(t["epochs"][-1]["loss_after"])


# Every course notebook the project reproduces, by the example that reproduces it and the title it
# is cited by. None of these notebooks names its author or where it was published; the citation
# says so rather than invent one.
NOTEBOOKS = {
    "folded-bias-2-2-2": "Forward Propagation and Stochastic Back Propagation for a 3-NN",
    "pytorch-batch-2-2-2": "Batch Back Propagation with PyTorch",
    "pytorch-sgd-sigmoid-2-2-1": "Stochastic Back Propagation with PyTorch",
    "pytorch-sgd-tanh-2-2-1": "Stochastic Back Propagation with PyTorch",
    "sigmoid-4-3-1-no-bias": "Forward Propagation & Backpropagation",
    "sigmoid-2-10-10-1": "Implement forward propagation and backpropagation algorithm from scratch",
    "relu-relu-sigmoid-bce": "A2 - Neural Nets: Backprop",
}
INTERNAL = re.compile(r"seed[ -]?notebook|notebook 00[0-9]|seeds?/|\bseed-0", re.IGNORECASE)


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_each_reproduced_notebook_is_cited_by_its_title_and_says_its_author_is_not_given(name):
    problem = load(examples.path(name))
    assert NOTEBOOKS[name] in problem.source
    assert "author" in problem.source and "not given" in problem.source
    assert "notebook" in problem.source


def test_mazur_is_cited_with_author_title_and_where_it_was_published():
    source = load(examples.path("mazur-2-2-2")).source
    assert all(s in source for s in ("Matt Mazur", "A Step by Step Backpropagation Example", "mattmazur.com", "2015"))


@pytest.mark.parametrize("name", examples.names(kind=None))
def test_no_example_speaks_of_the_projects_internal_names(name):
    """Users never met the notebooks the project grew from by number: titles, sources, notes and
    comments name what an example teaches and cite its real source instead."""
    text = examples.path(name).read_text()
    assert not INTERNAL.search(text), INTERNAL.search(text)
    assert not INTERNAL.search(name) and not name.startswith("seed")


def test_folded_bias_linear_network():
    s = first(trace("folded-bias-2-2-2"))
    assert s["forward"][0]["z"] == [[3, 4]] and s["forward"][1]["a"] == [[15, 54]]
    assert s["loss"] == 1278.5
    np.testing.assert_allclose(s["update"][1]["W_change"], [[-6.3, -13.8], [-8.4, -18.4], [-2.1, -4.6]], rtol=1e-12)
    np.testing.assert_allclose(s["update"][0]["W_change"], [[38.1, 32.2], [-76.2, -64.4], [-38.1, -32.2]], rtol=1e-12)


def test_pytorch_sgd_the_code_and_the_printed_run():
    code = first(trace("pytorch-sgd-sigmoid-2-2-1"))
    assert code["forward"][1]["a"][0][0] == printed(0.616691, 6) and code["loss"] == printed(0.006808, 6)
    shown = first(trace("pytorch-sgd-tanh-2-2-1"))
    assert shown["forward"][1]["a"][0][0] == printed(-0.7869, 4) and shown["loss"] == printed(0.8281, 4)
    u = {x["layer"]: x for x in shown["update"]}
    assert u[1]["W_change"] == [[printed(0.0092, 4), printed(0.0829, 4)], [printed(0.0139, 4), printed(0.1255, 4)]]
    assert u[1]["b_change"] == [printed(0.0921, 4), printed(0.1395, 4)]
    assert u[2]["W_change"] == [[printed(0.0300, 4), printed(-0.0658, 4)]] and u[2]["b_change"] == [printed(0.1225, 4)]


def test_pytorch_batch_step():
    s = first(trace("pytorch-batch-2-2-2"))
    assert s["forward"][1]["a"] == [[15, 54], [5, 56]] and s["loss"] == 2655
    u = {x["layer"]: x for x in s["update"]}
    np.testing.assert_allclose(u[1]["W_change"], [[142.2, -215], [141.4, -210]], rtol=1e-12)
    np.testing.assert_allclose(u[1]["b_change"], [-72.8, -68.6], rtol=1e-12)
    np.testing.assert_allclose(u[2]["W_change"], [[-7, -12.6], [-19, -49.6]], rtol=1e-12)
    np.testing.assert_allclose(u[2]["b_change"], [-2.8, -9.8], rtol=1e-12)


def test_4_3_1_and_the_notebooks_extra_factor():
    t = trace("sigmoid-4-3-1-no-bias")
    s = first(t)
    assert s["forward"][1]["a"][0][0] == printed(0.9203, 4) and s["loss"] == printed(0.8470, 4)
    grads = {b["layer"]: np.array(b["dL_dW"]) for b in s["backward"]}
    assert grads[2].ravel().tolist() == [printed(0.1220, 4), printed(0.1044, 4), printed(0.1134, 4)]
    assert grads[1][0, :2].tolist() == [printed(0.009913, 6), printed(0.021044, 6)]
    # the notebook's printed ∂E/∂W1 is the right one times h_j (it reused dE_dW2)
    h = np.array(s["forward"][0]["a"][0])
    nb = [[0.0090, 0.0163, 0.0136], [0.0080, 0.0145, 0.0120], [0.0070, 0.0127, 0.0105], [0.0060, 0.0109, 0.0090]]
    np.testing.assert_allclose(grads[1] * h, nb, atol=0.5e-4)
    assert np.sqrt(t["epochs"][0]["loss_after"]) == printed(0.9181, 4)  # E = ŷ² with y = 0


def test_mazur_is_the_default_example():
    assert examples.DEFAULT == "mazur-2-2-2"


def test_2_10_10_1_reproduces_the_printed_losses_as_twice_half_sse():
    t = trace("sigmoid-2-10-10-1")
    shown = [
        27.70769141,
        0.16445874,
        0.00095962,
        5.59923213e-06,
        3.2670576e-08,
        1.90627393e-10,
        1.11227919e-12,
        6.48996442e-15,
        3.78678678e-17,
        2.20952638e-19,
    ]
    # printed with 5 to 10 significant digits; by epoch 10 the residual ŷ − y is 5e-10 and
    # float64 rounding in it shows at 1e-6 relative, so the two agree to rtol 1e-5.
    np.testing.assert_allclose([2 * e["loss"] for e in t["epochs"]], shown, rtol=1e-5)
    assert len(t["epochs"]) == 10


def test_2_10_10_1_with_the_stated_sse_loss_overshoots():
    text = examples.path("sigmoid-2-10-10-1").read_text().replace("loss: half_sse", "loss: sse")
    losses = [e["loss"] for e in trace("sigmoid-2-10-10-1-sse", text)["epochs"]]
    assert losses[0] == printed(27.70769141, 8)
    assert [round(v, 2) for v in losses[1:3]] == [36.86, 48.78] and round(losses[-1], 1) == 22.8


def test_relu_relu_sigmoid_bce():
    s = first(trace("relu-relu-sigmoid-bce"))
    assert [f["z"] for f in s["forward"]] == [[[1, -1]], [[1, -1, 1]], [[1]]]
    assert [f["a"] for f in s["forward"][:2]] == [[[1, 0]], [[1, 0, 1]]]
    assert s["forward"][2]["a"][0][0] == printed(0.731059, 6) and s["loss"] == printed(1.313262, 6)
    assert s["backward"][0]["delta"] == [[pytest.approx(1 / (1 + np.exp(-1)), rel=1e-15)]]  # δ = ŷ − y


def test_mazur_notebook_matrix_cell_mistakes_reproduce_its_printed_w1():
    """W2·δ instead of W2ᵀ·δ, and f′(W1·x) without the bias, give exactly what the course notebook that reworks
    Mazur's example prints."""
    s = first(trace("mazur-2-2-2"))
    W1, W2 = np.array([[0.15, 0.20], [0.25, 0.30]]), np.array([[0.40, 0.45], [0.50, 0.55]])
    x = np.array([0.05, 0.10])
    delta_o = np.array(s["backward"][0]["delta"][0])

    def sig(z):
        return 1 / (1 + np.exp(-z))

    wrong_hidden_delta = (W2 @ delta_o) * sig(W1 @ x) * (1 - sig(W1 @ x))
    np.testing.assert_allclose(
        W1 - 0.5 * np.outer(wrong_hidden_delta, x), [[0.14976095, 0.1995219], [0.24969829, 0.29939658]], atol=0.5e-8
    )
    np.testing.assert_allclose(
        s["update"][0]["W"], [[0.149780716, 0.199561432], [0.249751144, 0.299502287]], atol=0.5e-9
    )


# The classics: numbers computed independently with PyTorch float64 autograd and
# torch.optim.SGD (tests/test_torch.py's torch_run), pinned here at rtol 1e-12.
TORCH = {
    # name: (loss of the first update, loss_after of the last epoch)
    "xor-2-2-1": (0.48878899923176855, 0.0003402524750124159),
    "softmax-3-class": (1.0561814305445965, 1.0111108180163513),
    "regression-mse-mean": (1.7577071434927118, 0.42181747101004186),
    "momentum": (0.07203869168364416, 0.03715184385235564),
    "minibatch": (0.589625, 0.13157731174624512),
    "leaky-relu-elu": (0.64405639694877, 0.3320978014063429),
    "mazur-in-out": (0.2983711087600027, 0.29102777369359933),
}


@pytest.mark.parametrize("name", sorted(TORCH))
def test_classic_examples_match_pytorch(name):
    problem = load(examples.path(name))
    first_loss = engine.run(problem.with_epochs(1)).epochs[0].steps[0].loss
    last = engine.run(problem, record=False).epochs[-1].loss_after
    assert first_loss == pytest.approx(TORCH[name][0], rel=1e-12)
    assert last == pytest.approx(TORCH[name][1], rel=1e-12)


def test_classic_final_weights_match_pytorch():
    expected = {
        "momentum": [[0.33228810253463514, -0.08385594873268241], [0.17097744474196983, 0.3854887223709849]],
        "minibatch": [[0.5425873105275791, 0.08504139535278742], [0.2006285540105021, 0.459462166208128]],
        "leaky-relu-elu": [[0.49983939803750815, -1.0001606019624918], [0.3351150051144862, 0.2351150051144862]],
        "softmax-3-class": [[0.26853251490123675, -0.4469824173706862], [0.43378053130108507, 0.34803700559049644]],
    }
    for name, W in expected.items():
        final = engine.run(load(examples.path(name)), record=False).next_problem
        np.testing.assert_allclose(final.layers[0].W, W, rtol=1e-12, err_msg=name)


def test_xor_is_learned():
    final = engine.run(load(examples.path("xor-2-2-1")), record=False).next_problem
    _, acts = engine.forward(final.layers, [l.W for l in final.layers], [l.b for l in final.layers], final.X)
    np.testing.assert_allclose(acts[-1].ravel(), [0.0145, 0.9876, 0.9876, 0.0128], atol=1e-4)


def test_mazur_in_out_is_mazur_transposed():
    a = trace("mazur-2-2-2")["epochs"][0]["steps"][0]
    b = trace("mazur-in-out")["epochs"][0]["steps"][0]
    assert a["forward"] == b["forward"] and a["losses"] == b["losses"]
    for ua, ub in zip(a["update"], b["update"], strict=False):
        np.testing.assert_array_equal(np.array(ua["W"]).T, ub["W"])


def test_minibatch_updates_cover_the_examples_in_file_order():
    t = trace("minibatch")
    assert [s["examples"] for s in t["epochs"][0]["steps"]] == [[0, 1], [2, 3], [4]]
    losses = [L for s in t["epochs"][0]["steps"] for L in s["losses"]]
    assert t["epochs"][0]["loss"] == pytest.approx(np.mean(losses), rel=1e-15)


def test_there_are_at_least_fourteen_examples():
    assert len(examples.names()) >= 14
