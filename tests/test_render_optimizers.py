"""The page of every optimizer, penalty, dropout mask and the perceptron rule: lines in textbook order, the
trace's numbers on the page, hand-derived values of the bundled examples, and LaTeX that compiles.

Published sources of the bundled examples (see each file's header): G. Basran's full Adam computation on
f(θ) = θ² (θ₁ = 4.9, m₂ = 1.88, v₂ = 0.19594), graduateml.com's RMSprop problem (s = 1.6), lexailabs' AdaGrad
problem (0.99900, G = 1.01) and onenoughtone's L2 step ([0.989, 1.978]).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import pdflatex

from backprop_cli import engine, examples, load, loads
from backprop_cli.optimizers import OPTIMIZERS
from backprop_cli.render import get
from backprop_cli.render.mathtext import Numbers

OPTIMIZER_EXAMPLES = [
    "optimizer-adam",
    "optimizer-adamw",
    "optimizer-rmsprop",
    "optimizer-adagrad",
    "optimizer-sgd-nesterov",
]
PAGE_EXAMPLES = OPTIMIZER_EXAMPLES + ["penalty-l2", "dropout-mazur", "perceptron-and", "momentum"]

NET = """
layers:
  - {name: h, activation: sigmoid, weights: [[0.3, -0.1], [0.2, 0.4]], bias: [0.0, 0.0]}
  - {name: o, activation: sigmoid, weights: [[0.5, -0.5]], bias: [0.1]}
inputs: [[1.0, 0.5]]
targets: [[0.9]]
loss: half_sse
learning_rate: 0.01
epochs: 2
"""


def solved(name_or_text: str):
    path = examples.path(name_or_text)
    return engine.run(load(path) if path else loads(name_or_text))


def page(trace, fmt: str = "rich", **options) -> str:
    out = io.StringIO()
    get(fmt)(trace, out, {"precision": 4, "detail": "auto", **options})
    return out.getvalue()


def flat(text: str) -> str:
    """The page with its wrapped equation lines joined (continuation lines start with spaces and '= ')."""
    return re.sub(r"\n\s+= ", " = ", text)


# ----------------------------------------------------------------------------- the lines of each optimizer


@pytest.mark.parametrize(
    "optimizer, lines",
    [
        (
            "adam",
            [
                "m_w1 = β₁·m_w1 + (1 − β₁)·∂L/∂w1",
                "v_w1 = β₂·v_w1 + (1 − β₂)·(∂L/∂w1)²",
                "m̂_w1 = m_w1/(1 − β₁ᵗ)",
                "v̂_w1 = v_w1/(1 − β₂ᵗ)",
                "Δw1 = −η·m̂_w1/(√v̂_w1 + ε)",
                "w1⁺ = w1 + Δw1",
            ],
        ),
        (
            "{name: adam, amsgrad: true, weight_decay: 0.1}",
            [
                "g_w1 = ∂L/∂w1 + λ·w1",
                "m_w1 = β₁·m_w1 + (1 − β₁)·g_w1",
                "v_max_w1 = max(v_max_w1, v_w1)",
                "v̂_w1 = v_max_w1/(1 − β₂ᵗ)",
                "Δw1 = −η·m̂_w1/(√v̂_w1 + ε)",
            ],
        ),
        (
            "{name: adamw, weight_decay: 0.1}",
            [
                "w1′ = w1·(1 − η·λ)",
                "m_w1 = β₁·m_w1 + (1 − β₁)·∂L/∂w1",
                "Δw1 = w1′ − w1 − η·m̂_w1/(√v̂_w1 + ε)",
                "w1⁺ = w1 + Δw1",
            ],
        ),
        ("rmsprop", ["s_w1 = α·s_w1 + (1 − α)·(∂L/∂w1)²", "d_w1 = √s_w1 + ε", "Δw1 = −η·(∂L/∂w1)/d_w1"]),
        (
            "{name: rmsprop, centered: true, momentum: 0.5}",
            [
                "s_w1 = α·s_w1 + (1 − α)·(∂L/∂w1)²",
                "ḡ_w1 = α·ḡ_w1 + (1 − α)·∂L/∂w1",
                "d_w1 = √(s_w1 − ḡ_w1²) + ε",
                "v_w1 = μ·v_w1 + (∂L/∂w1)/d_w1",
                "Δw1 = −η·v_w1",
            ],
        ),
        (
            "{name: adagrad, lr_decay: 0.1}",
            ["η_t = η/(1 + (t − 1)·κ)", "s_w1 = s_w1 + (∂L/∂w1)²", "d_w1 = √s_w1 + ε", "Δw1 = −η_t·(∂L/∂w1)/d_w1"],
        ),
        ("adagrad", ["s_w1 = s_w1 + (∂L/∂w1)²", "Δw1 = −η·(∂L/∂w1)/d_w1"]),
        (
            "{name: sgd, momentum: 0.9, nesterov: true}",
            ["v_w1 = ∂L/∂w1", "d_w1 = ∂L/∂w1 + μ·v_w1", "Δw1 = −η·d_w1", "v_w1 = μ·v_w1 + ∂L/∂w1"],
        ),  # PyTorch's first step: v = g
        ("{name: sgd, momentum: 0.9, dampening: 0.5}", ["v_w1 = ∂L/∂w1", "v_w1 = μ·v_w1 + (1 − τ)·∂L/∂w1"]),
    ],
)
def test_each_optimizer_walks_its_own_lines_in_textbook_order(optimizer, lines):
    text = flat(page(solved(NET + f"optimizer: {optimizer}\n")))
    updates = text[text.index("Updates") :]
    found = [updates.find(line + " = ") for line in lines]
    assert -1 not in found, [line for line, f in zip(lines, found, strict=True) if f == -1]
    assert found == sorted(found)
    assert "−η·∂L/∂w1 = " not in updates  # never SGD's formula for another optimizer


def test_plain_sgd_keeps_its_one_line_and_adam_never_shows_it():
    sgd = page(solved(NET))
    assert "Δw1 = −η·∂L/∂w1 = −0.01·(−0.0117) = 1.166e−4" in sgd
    adam = page(solved(NET + "optimizer: adam\n"))
    assert "Δw1 = −η·∂L/∂w1" not in adam and "Δw1 = −η·m̂_w1/(√v̂_w1 + ε)" in adam


def test_the_table_of_a_layer_has_one_column_per_line_and_fits_80_columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = page(solved(NET + "optimizer: adam\n"))
    assert re.search(r"before\s+∂L/∂·\s+m\s+v\s+m̂", text) and re.search(r"v̂\s+Δ\s+after", text)
    assert "…" not in text[text.index("Updates") :]  # no cell cut short


def test_the_problem_statement_names_the_optimizer_and_its_rule():
    text = " ".join(page(solved("optimizer-adam")).split())
    assert "optimizer adam (torch.optim.Adam, η = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 1e−8)" in text
    assert "m̂ = m/(1 − β₁ᵗ)" in text and "Δw = −η·m̂/(√v̂ + ε)" in text


def test_classical_momentum_shows_the_previous_change_with_the_same_numbers():
    trace = solved(
        NET.replace("learning_rate: 0.01", "learning_rate: 0.5") + "momentum: 0.9\nconventions: {momentum: classical}\n"
    )
    text = flat(page(trace))
    first = trace.epochs[0].steps[0].update[0]
    second = trace.epochs[1].steps[0].update[0]
    fmt = Numbers(4)
    assert f"Δw1 = −η·∂L/∂w1 + μ·Δw1(t − 1) = −0.5·(−0.0117) + 0.9·0 = {fmt(first.W_change[0, 0]).u}" in text
    assert f"+ 0.9·{fmt(first.W_change[0, 0]).u} = {fmt(second.W_change[0, 0]).u}" in text
    # the same numbers as PyTorch's v ← μ·v + g, Δw = −η·v
    np.testing.assert_allclose(second.W_change, -0.5 * second.state_W["momentum_buffer"], rtol=1e-12)


def test_matrix_detail_writes_each_line_as_matrices():
    text = page(solved(NET + "optimizer: adam\n"), detail="matrix")
    order = [
        text.find(s)
        for s in (
            "m⁽¹⁾ = β₁·m⁽¹⁾ + (1 − β₁)·∂L/∂W⁽¹⁾",
            "m_b⁽¹⁾ (1×2)",
            "v̂⁽¹⁾ = ",
            "ΔW⁽¹⁾ = −η·m̂⁽¹⁾/(√v̂⁽¹⁾ + ε)",
            "W⁽¹⁾⁺ = W⁽¹⁾ + ΔW⁽¹⁾",
            "W⁽¹⁾⁺ (2×2)",
        )
    ]
    assert -1 not in order and order == sorted(order)


# ----------------------------------------------------------------------------- the trace's numbers, and only them


def test_every_number_of_an_adam_derivation_is_the_traces():
    trace = solved(NET + "optimizer: adam\n")
    text = flat(page(trace))
    fmt = Numbers(4)
    step = trace.epochs[1].steps[0]
    upd = step.update[0]
    g = step.backward_of(1).dL_dW[0, 0]
    m0, v0 = upd.state_W_before["exp_avg"][0, 0], upd.state_W_before["exp_avg_sq"][0, 0]
    shown = {k: v[0, 0] for k, v in upd.shown_W.items()}
    f, p = (lambda x: fmt(x).u), (lambda x: fmt.p(x).u)
    expected = [
        f"m_w1 = β₁·m_w1 + (1 − β₁)·∂L/∂w1 = 0.9·{p(m0)} + (1 − 0.9)·{p(g)} = {f(shown['exp_avg'])}",
        f"v_w1 = β₂·v_w1 + (1 − β₂)·(∂L/∂w1)² = 0.999·{p(v0)} + (1 − 0.999)·({f(g)})² = {f(shown['exp_avg_sq'])}",
        f"m̂_w1 = m_w1/(1 − β₁ᵗ) = {f(shown['exp_avg'])}/(1 − 0.9²) = {f(shown['m_hat'])}",
        f"v̂_w1 = v_w1/(1 − β₂ᵗ) = {f(shown['exp_avg_sq'])}/(1 − 0.999²) = {f(shown['v_hat'])}",
        f"Δw1 = −η·m̂_w1/(√v̂_w1 + ε) = −0.01·{p(shown['m_hat'])}/(√{f(shown['v_hat'])} + 1e−8) = {f(shown['change'])}",
        f"w1⁺ = w1 + Δw1 = {f(upd.W_before[0, 0])} + {p(shown['change'])} = {f(upd.W[0, 0])}",
    ]
    for line in expected:
        assert line in text, line
    # and the table's cells are the trace's values too
    for key in ("exp_avg", "exp_avg_sq", "m_hat", "v_hat"):
        assert f(upd.shown_W[key][1, 1]) in text


def test_the_first_adam_step_is_plus_or_minus_eta_in_every_coordinate():
    trace = solved(NET.replace("epochs: 2", "epochs: 1") + "optimizer: adam\n")
    step = trace.epochs[0].steps[0]
    for upd in step.update:
        g = np.abs(step.backward_of(upd.layer).dL_dW)  # m̂ = g and √v̂ = |g|: Δw = −η·g/(|g| + ε)
        np.testing.assert_allclose(np.abs(upd.W_change), 0.01 * g / (g + 1e-8), rtol=1e-12)
        np.testing.assert_allclose(np.abs(upd.W_change), 0.01, rtol=1e-5)
    assert page(trace).count("= 1.000e−2\n") + page(trace).count("= −1.000e−2\n") >= 9


# ----------------------------------------------------------------------------- the bundled examples, by hand


def last_update(name: str):
    trace = solved(name)
    return trace, trace.epochs[-1].steps[-1].update[0]


def test_adam_example_basran_two_steps():
    trace, upd = last_update("optimizer-adam")
    first = trace.epochs[0].steps[0].update[0]
    assert first.W[0, 0] == pytest.approx(5 - 1 / (10 + 1e-8), rel=1e-14)  # printed 4.9
    assert first.state_W["exp_avg"][0, 0] == pytest.approx(1.0, rel=1e-14)
    assert first.state_W["exp_avg_sq"][0, 0] == pytest.approx(0.1, rel=1e-14)
    assert upd.state_W["exp_avg"][0, 0] == pytest.approx(1.88000000002, rel=1e-12)
    assert upd.state_W["exp_avg_sq"][0, 0] == pytest.approx(0.19594000000392, rel=1e-12)
    assert upd.W[0, 0] == pytest.approx(4.800057756868857, rel=1e-14)


def test_adamw_example_decays_the_weight_then_steps():
    _, upd = last_update("optimizer-adamw")
    assert upd.shown_W["w_decayed"][0, 0] == pytest.approx(4.995, rel=1e-14)
    assert upd.W[0, 0] == pytest.approx(4.995 - 1 / (10 + 1e-8), rel=1e-14)


def test_rmsprop_example_graduateml():
    _, upd = last_update("optimizer-rmsprop")
    assert upd.state_W["square_avg"][0, 0] == pytest.approx(1.6, rel=1e-14)
    assert upd.W[0, 0] == pytest.approx(-0.4 / np.sqrt(1.6), rel=1e-14)


def test_adagrad_example_lexailabs():
    _, upd = last_update("optimizer-adagrad")
    assert upd.state_W["sum"][0, 0] == pytest.approx(1.01, rel=1e-14)
    assert upd.W[0, 0] == pytest.approx(0.999004962819691, rel=1e-14)
    assert round(upd.W[0, 0], 5) == 0.999  # printed 0.99900
    text = flat(page(solved("optimizer-adagrad")))
    assert "s_w1 = s_w1 + (∂L/∂w1)² = 1 + 0.1² = 1.01" in text  # the sum starts at s₀ = 1, not 0


def test_nesterov_example_by_hand():
    trace, upd = last_update("optimizer-sgd-nesterov")
    first = trace.epochs[0].steps[0].update[0]
    assert first.shown_W["direction"][0, 0] == pytest.approx(19.0) and first.W[0, 0] == pytest.approx(3.1)
    assert upd.shown_W["momentum_buffer"][0, 0] == pytest.approx(15.2)
    assert upd.shown_W["direction"][0, 0] == pytest.approx(19.88)
    assert upd.W[0, 0] == pytest.approx(1.112, rel=1e-12)


def test_l2_example_onenoughtone_and_its_page():
    trace, upd = last_update("penalty-l2")
    step = trace.epochs[0].steps[0]
    np.testing.assert_allclose(upd.W, [[0.989, 1.978]], rtol=1e-12)
    assert step.penalty == pytest.approx(0.025, rel=1e-12) and step.loss == pytest.approx(0.03, rel=1e-12)
    np.testing.assert_allclose(step.backward_of(1).dL_dW, [[0.11, 0.22]], rtol=1e-12)
    text = flat(page(trace))
    assert "P = (λ/2)·(w1² + w2²) = (0.01/2)·(1² + 2²) = 0.025" in text
    assert "L = L⁽¹⁾ + P = 0.005 + 0.025 = 0.03" in text
    assert "∂L/∂w1 = δ_o1·x1 + λ·w1 = 0.1·1 + 0.01·1 = 0.11" in text


def test_dropout_example_on_mazurs_network_and_its_page():
    trace = solved("dropout-mazur")
    step = trace.epochs[0].steps[0]
    h = step.forward[0]
    assert h.a[0, 0] == pytest.approx(2 * 0.593269992, abs=1e-9) and h.a[0, 1] == 0
    assert step.backward_of(1).delta[0, 1] == 0
    np.testing.assert_array_equal(step.backward_of(1).dL_dW[1], [0, 0])
    text = flat(page(trace))
    # f(z) before the mask: Mazur's out_h1 = 0.593269992 and out_h2 = 0.596884378; f′ = out·(1 − out)
    assert "out_h1 = σ(net_h1)·mask_h1/(1 − p) = 1/(1 + e^(−0.3775))·1/(1 − 0.5) = 0.5933·1/(1 − 0.5) = 1.1865" in text
    assert (
        "out_h2 = σ(net_h2)·mask_h2/(1 − p) = 1/(1 + e^(−0.3925))·0/(1 − 0.5) = 0.5969·0/(1 − 0.5) = 0   (dropped)"
        in text
    )
    assert "∂out_h1/∂net_h1 = σ′(net_h1)·mask_h1/(1 − p) = 0.2413·1/(1 − 0.5) = 0.4826   (kept)" in text
    assert "δ_h2 = ∂L/∂out_h2·∂out_h2/∂net_h2 = 0.0409·0 = 0" in text
    assert "evaluated without dropout" in " ".join(text.split())


def test_perceptron_page_has_no_backward_pass_and_counts_mistakes():
    trace = solved("perceptron-and")
    text = flat(page(trace))
    assert "Backward pass" not in text and "Updates" not in text
    assert "net_y1 = w1·x1 + w2·x2 − θ1 = 0.3·0 + (−0.1)·0 − 0.2 = −0.2" in text
    assert "e_y1 = y1 − out_y1 = 0 − 1 = −1" in text
    assert "w1⁺ = w1 + η·e_y1·x1 = 0.3 + 0.1·(−1)·1 = 0.2" in text
    assert "Right: e = 0, so no change." in text
    assert "Mistakes in this epoch: 2 of 4 (examples 3, 4)." in text
    assert "Mistakes in this epoch: 0 of 4." in text
    summary = page(engine.run(load(examples.path("perceptron-and")), record=False))
    assert re.search(r"mistakes", summary) and re.search(r"\n1\s+2\s", summary) and re.search(r"\n5\s+0\s", summary)


def test_bias_forms_are_written_as_their_textbooks_write_them():
    text = flat(
        page(
            solved("""
layers:
  - {name: h, activation: sigmoid, weights: [[0.15, 0.2], [0.25, 0.3]], bias: {shared: 0.35}}
  - {name: o, activation: sigmoid, weights: [[0.4, 0.45, 0.1], [0.5, 0.55, 0.2]], bias: {augmented: -1}}
inputs: [[0.05, 0.1]]
targets: [[0.01, 0.99]]
loss: half_sse
learning_rate: 0.5
""")
        )
    )
    assert "net_h1 = w1·x1 + w2·x2 + b1 = " in text and "net_h2 = w3·x1 + w4·x2 + b1 = " in text  # one b
    assert "net_o1 = w5·out_h1 + w6·out_h2 + b2·(−1) = 0.4·0.5933 + 0.45·0.5969 + 0.1·(−1)" in text
    assert "∂L/∂b1 = δ_h1 + δ_h2 = " in text and "∂L/∂b2 = −δ_o1 = " in text


# ----------------------------------------------------------------------------- registries, and every format


def test_no_page_module_names_an_optimizer():
    from backprop_cli import names

    render_dir = Path(names.__file__).parent / "render"
    for module in ("update", "update_rule", "page", "summary", "loss", "backward", "gradients", "forward"):
        src = (render_dir / f"{module}.py").read_text()
        for name in OPTIMIZERS:
            assert not re.search(rf"(?<![\w.]){name}(?!\w)", src), (module, name)


@pytest.mark.parametrize("name", PAGE_EXAMPLES)
@pytest.mark.parametrize("fmt", ["markdown", "latex", "html"])
def test_every_format_renders_the_example(name, fmt):
    assert len(page(solved(name), fmt)) > 500


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "name, options",
    [(n, {}) for n in PAGE_EXAMPLES]
    + [
        (NET + "optimizer: {name: adam, amsgrad: true}\nl1: 0.01\nl2: 0.02\n", {}),
        (NET + "optimizer: {name: rmsprop, centered: true, momentum: 0.5}\n", {"detail": "matrix"}),
        (NET + "optimizer: {name: adagrad, lr_decay: 0.1}\n", {}),
        ("dropout-mazur", {"detail": "matrix"}),
    ],
)
def test_latex_compiles(name, options, tmp_path):
    (tmp_path / "key.tex").write_text(page(solved(name), "latex", **options))
    r = pdflatex(tmp_path / "key.tex")
    assert r.returncode == 0, r.stdout[-2000:]


# ----------------------------------------------------------------------------- PyTorch float64, where installed


@pytest.mark.parametrize(
    "name, cls, kwargs",
    [
        ("optimizer-adam", "Adam", dict(lr=0.1)),
        ("optimizer-adamw", "AdamW", dict(lr=0.1, weight_decay=0.01)),
        ("optimizer-rmsprop", "RMSprop", dict(lr=0.1, alpha=0.9, eps=0.0)),
        ("optimizer-adagrad", "Adagrad", dict(lr=0.01, initial_accumulator_value=1.0, eps=1e-8)),
        ("optimizer-sgd-nesterov", "SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ],
)
def test_scalar_examples_equal_torch_optim(name, cls, kwargs):
    torch = pytest.importorskip("torch")
    problem = load(examples.path(name))
    w = torch.tensor(problem.layers[0].W.copy(), dtype=torch.float64, requires_grad=True)
    x = torch.tensor(problem.X, dtype=torch.float64)
    y = torch.tensor(problem.Y, dtype=torch.float64)
    opt = getattr(torch.optim, cls)([w], **kwargs)
    for _ in range(problem.epochs):
        opt.zero_grad()
        ((x @ w.T - y) ** 2).sum().backward()  # the sse loss of one example
        opt.step()
    trace = engine.run(problem)
    np.testing.assert_allclose(trace.next_problem.layers[0].W, w.detach().numpy(), rtol=1e-12)


# ----------------------------------------------------------------------------- the update under the books' conventions


def test_the_error_signal_books_update_is_eta_delta_times_the_input():
    """Han & Kamber, Data Mining 3rd ed., Fig. 9.5: w46 = −0.3 + (0.9)(0.1311)(0.332) = −0.261 and
    θ6 = 0.1 + (0.9)(0.1311) = 0.218 — every weight worked as Δw = (l)·Err·O; the loss letter is E."""
    text = flat(page(solved("textbook-han-kamber-9-1")))
    assert "Δw46 = η·Err6·O4 = 0.9·0.1312·0.3318 = 0.0392" in text
    assert "w46⁺ = w46 + Δw46 = −0.3 + 0.0392 = −0.2608" in text
    assert "Δθ6 = η·Err6 = 0.9·0.1312 = 0.1181" in text and "θ6⁺ = θ6 + Δθ6 = 0.1 + 0.1181 = 0.2181" in text
    assert "Δw14 = η·Err4·x1 = 0.9·(−8.725e−3)·1 = −7.852e−3" in text
    assert re.search(r"before\s+∂E/∂·\s+Δ = −η·∂E/∂·\s+after", text) and "∂L/∂·" not in text
    assert text.index("Δw46 = η·Err6·O4") < text.index("Δw56 = η·Err6·O5") < text.index("Δθ6 = η·Err6")


TRASK = """
title: Trask's 11-line network, iteration 0
layers:
  - name: l1
    activation: sigmoid
    weights: [[0.39293837, -0.42772133, -0.54629709]]
inputs: [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]
targets: [[0], [0], [1], [1]]
loss: half_sse
batch_reduction: sum
learning_rate: 1
conventions: {delta: error_signal}
"""


def test_a_batch_under_the_error_signal_updates_by_eta_times_the_sum_of_delta_x():
    """A. Trask, "A Neural Network in 11 lines of Python" (2015), syn0 += l0.T.dot(l1_delta), as annotated by
    P. Singman (KDnuggets, 2016): weights after iteration 0 are 0.67423821, −0.33473064, −0.40469539."""
    trace = solved(TRASK)
    text = flat(page(trace, precision=8))
    assert "Δw1 = η·Σₙ δ_l1_1·x1 = 1·0.28129984 = 0.28129984" in text
    assert "w1⁺ = w1 + Δw1 = 0.39293837 + 0.28129984 = 0.67423821" in text
    np.testing.assert_allclose(trace.next_problem.layers[0].W[0], [0.67423821, -0.33473064, -0.40469539], atol=5e-9)
    mean = flat(page(solved(TRASK.replace("batch_reduction: sum", "batch_reduction: mean"))))
    assert "Δw1 = η·(1/4)·Σₙ δ_l1_1·x1 = 1·0.0703 = 0.0703" in mean


def test_a_subtracted_threshold_moves_against_the_error_signal_and_momentum_stays_classical():
    """Negnevitsky §6.4: Δθ = α·(−1)·δ; Mitchell Eq. 4.18: Δw_ji(n) = η·δ_j·x_ji + α·Δw_ji(n − 1)."""
    text = flat(page(solved("textbook-negnevitsky-xor")))
    assert "Δθ5 = −η·δ5 = −0.1·(−0.1274) = 0.0127" in text
    assert "Δw35 = η·δ5·y3 = 0.1·(−0.1274)·0.5250 = −6.687e−3" in text
    text = flat(page(solved("textbook-mitchell-4-7-momentum")))
    assert "Δw43 = η·δ4·o3 + μ·Δw43(t − 1) = 0.3·0.1146·0.5498 + 0.9·0 = 0.0189" in text
    assert "Δw = η·δ·x + μ·Δw(t − 1)" in text  # the rule as the problem statement says it


def test_each_column_of_the_update_table_is_in_one_number_style():
    text = page(solved("textbook-negnevitsky-xor"))
    table = text[text.index("Layer 2 (o)", text.index("Updates")) :]
    rows = {m.group(1): m.group(2).split() for m in re.finditer(r"^(w35|w45|θ5) +(.*)$", table, re.M)}
    assert [rows[k][2] for k in ("w35", "w45", "θ5")] == ["−0.006687", "−0.011220", "0.012738"]
    assert not any("e−" in v for row in rows.values() for v in row)
