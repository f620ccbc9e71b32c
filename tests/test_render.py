"""The worked solution as a reader meets it: order, substituted lines, width, and each format.

Golden renderings live in tests/golden/; after an intended change of layout,
regenerate them with BACKPROP_UPDATE_GOLDEN=1 pytest tests/test_render.py and
read the diff before committing it.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import pdflatex

from backprop_cli import engine, examples, load, loads
from backprop_cli.render import get

GOLDEN = Path(__file__).parent / "golden"
ANSI = re.compile(r"\x1b\[")


def render(name_or_text: str, fmt: str = "rich", **options) -> str:
    problem = load(examples.path(name_or_text)) if examples.path(name_or_text) else loads(name_or_text)
    trace = engine.run(problem, record=options.pop("record", True))
    out = io.StringIO()
    get(fmt)(trace, out, {"precision": 4, "detail": "auto", **options})
    return out.getvalue()


def positions(text: str, needles: list[str]) -> list[int]:
    found = [text.find(n) for n in needles]
    assert -1 not in found, [n for n, f in zip(needles, found, strict=False) if f == -1]
    return found


@pytest.mark.parametrize("name", ["mazur-2-2-2", "pytorch-batch-2-2-2", "sigmoid-2-10-10-1"])
def test_golden_rendering_at_80_columns(name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    text = render(name)
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("BACKPROP_UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text()


def test_plain_text_off_a_terminal_fits_80_columns_and_has_no_colour(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    text = render("mazur-2-2-2")
    assert not ANSI.search(text)
    assert max(len(line) for line in text.splitlines()) <= 80


def test_phases_come_in_textbook_order():
    text = render("mazur-2-2-2")
    order = positions(
        text, ["The problem ─", "Forward pass ─", "\nLoss ─", "Backward pass ─", "Updates ─", "Loss after the update ─"]
    )
    assert order == sorted(order)
    # the output layer's δ before the hidden layer's, weights before their updates
    assert positions(text, ["δ_o1 =", "δ_h1 ="]) == sorted(positions(text, ["δ_o1 =", "δ_h1 ="]))


def test_substituted_lines_of_the_mazur_example():
    text = render("mazur-2-2-2")
    for line in [
        "net_h1 = w1·x1 + w2·x2 + b1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775",
        "out_h1 = σ(net_h1) = 1/(1 + e^(−0.3775)) = 0.5933",
        "L_o1 = ½·(out_o1 − y1)² = ½·(0.7514 − 0.01)² = 0.2748",
        "L = L_o1 + L_o2 = 0.2748 + 0.0236 = 0.2984",
        "∂L/∂out_o1 = out_o1 − y1 = 0.7514 − 0.01 = 0.7414",
        "∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.7514·(1 − 0.7514) = 0.1868",
        "δ_o1 = ∂L/∂out_o1·∂out_o1/∂net_o1 = 0.7414·0.1868 = 0.1385",
        "∂L/∂w5 = δ_o1·out_h1 = 0.1385·0.5933 = 0.0822",
        "∂L/∂out_h1 = w5·δ_o1 + w7·δ_o2 = 0.4·0.1385 + 0.5·(−0.0381) = 0.0364",
        "δ_h1 = ∂L/∂out_h1·∂out_h1/∂net_h1 = 0.0364·0.2413 = 8.771e−3",
        "∂L/∂w1 = δ_h1·x1 = 8.771e−3·0.05 = 4.386e−4",
        "Δw5 = −η·∂L/∂w5 = −0.5·0.0822 = −0.0411",
        "w5⁺ = w5 + Δw5 = 0.4 + (−0.0411) = 0.3589",
    ]:
        assert line in text, line
    assert "L = 0.2910" in text  # the loss after the update


def test_problem_section_states_architecture_layout_data_loss_and_eta():
    text = render("mazur-2-2-2")
    flat = " ".join(text.split())
    assert "2 → 2 (sigmoid) → 2 (sigmoid)" in text
    assert "out_in: row j holds the weights into hj" in flat
    assert "L = ½·Σₖ (ŷₖ − yₖ)²" in flat and "η = 0.5" in flat
    assert re.search(r"w5\s+h1 → o1\s+0\.4\b", text)
    assert "biases stay fixed (train_bias: false)" in flat


def test_weight_names_follow_the_in_out_layout():
    text = render("sigmoid-4-3-1-no-bias")
    # in_out: the file's first row is x1's weights, so w1, w2, w3 leave x1
    for row in (r"w1\s+x1 → h1", r"w2\s+x1 → h2", r"w3\s+x1 → h3", r"w4\s+x2 → h1"):
        assert re.search(row, text), row


def test_sigmoid_with_bce_shows_the_simplified_delta_and_why():
    text = render("relu-relu-sigmoid-bce")
    assert "δ_o1 = out_o1 − y1 = 0.7311 − 0 = 0.7311" in text
    assert "cancels the denominator" in " ".join(text.split())
    assert "(since net_h2_2 ≤ 0)" in text  # the relu branch is named


def test_softmax_cross_entropy_and_the_general_softmax_chain():
    base = """
layers:
  - {name: h, activation: tanh, weights: [[0.1, -0.2], [0.3, 0.4]], bias: [0.0, 0.1]}
  - {name: o, activation: softmax, weights: [[0.5, -0.5], [0.2, 0.3], [-0.1, 0.4]], bias: 0}
inputs: [[1.0, 2.0]]
targets: [[0, 1, 0]]
learning_rate: 0.1
"""
    ce = render(base + "loss: cross_entropy\n")
    assert "δ_o2 = out_o2 − y2 = 0.3764 − 1 = −0.6236" in ce and "softmax with cross-entropy" in ce
    general = render(base + "loss: half_sse\n")
    assert "∂L/∂out_o1 = out_o1 − y1" in general and "Jacobian is not diagonal" in general


def test_matrix_detail_shows_shapes_and_elides_large_matrices():
    text = render("sigmoid-2-10-10-1")
    assert "Z⁽¹⁾ = X·W⁽¹⁾ + b⁽¹⁾" in text and "(10×10)" in text and "⋯" in text and "⋮" in text
    forced = render("mazur-2-2-2", detail="matrix")
    assert "Z⁽¹⁾ = X·W⁽¹⁾ᵀ + b⁽¹⁾" in forced and "net_h1 =" not in forced


def test_every_update_and_every_epoch_is_rendered():
    text = render(
        examples.path("pytorch-batch-2-2-2").read_text().replace("\nupdate: batch", "\nupdate: stochastic\nepochs: 2")
    )
    for e in (1, 2):
        for u in (1, 2):
            assert f"Epoch {e}, update {u} (example {u})" in text


def test_precision_changes_display_only():
    assert "= 0.593270" in render("mazur-2-2-2", precision=6)


def test_step_summary_has_a_thinned_loss_table_a_curve_and_final_weights():
    text = render(
        examples.path("mazur-2-2-2").read_text().replace("\nupdate: batch", "\nupdate: batch\nepochs: 100"),
        record=False,
    )
    assert "Loss per epoch" in text and "Final weights" in text and "loss after each epoch" in text
    table = text[text.index("Loss per epoch") : text.index("loss after each epoch")]
    epochs = re.findall(r"^(\d+)\s", table, re.M)
    assert epochs[0] == "1" and epochs[-1] == "100" and len(epochs) <= 22
    assert "0.3589" not in text  # not the one-update weights: trained for 100 epochs
    assert re.search(r"W⁽²⁾ \(2×2\)", text)


def test_markdown_has_headings_tables_and_math_blocks():
    md = render("mazur-2-2-2", "markdown")
    assert md.startswith("# Step-by-step backpropagation")
    assert "## Forward pass" in md and "| $w_{5}$ |" in md
    assert r"\mathrm{net}_{h_{1}} &= w_{1} \cdot x_{1} + w_{2} \cdot x_{2} + b_{1} = 0.15 \cdot 0.05" in md
    assert md.count("$$") % 2 == 0 and r"\begin{aligned}" in md
    assert "$Activation" not in md  # words stay text, only math goes between dollars


def test_latex_is_a_complete_document():
    tex = render("mazur-2-2-2", "latex")
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert r"\begin{align*}" in tex and r"\mathrm{net}_{h_{1}}" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
@pytest.mark.parametrize(
    "name,options",
    [
        ("mazur-2-2-2", {}),
        ("sigmoid-2-10-10-1", {}),
        ("relu-relu-sigmoid-bce", {}),
        ("pytorch-batch-2-2-2", {"detail": "matrix"}),
        ("folded-bias-2-2-2", {}),
    ],
)
def test_latex_compiles_with_pdflatex(name, options, tmp_path):
    (tmp_path / "key.tex").write_text(render(name, "latex", **options))
    r = pdflatex(tmp_path / "key.tex")
    assert r.returncode == 0, r.stdout[-2000:]
    assert (tmp_path / "key.pdf").stat().st_size > 1000


# ----------------------------------------------------------------------------- registries, not branches


PAGE_MODULES = [
    "page",
    "blocks",
    "symbols",
    "sheet",
    "forward",
    "loss",
    "backward",
    "gradients",
    "update",
    "update_rule",
    "summary",
    "worksheet",
]


def test_no_page_module_names_an_activation_a_loss_or_a_parameter():
    from backprop_cli import names
    from backprop_cli.activations import ACTIVATIONS
    from backprop_cli.losses import LOSSES

    words = set(ACTIVATIONS) | set(LOSSES) | {p for a in ACTIVATIONS.values() for p in a.params}
    words -= {"step", "sign"}  # threshold units, and also everyday words (a StepRecord, a minus sign)
    render_dir = Path(names.__file__).parent / "render"
    sources = {m: (render_dir / f"{m}.py").read_text() for m in PAGE_MODULES}
    sources["names"] = Path(names.__file__).read_text()
    found = {(m, w) for m, src in sources.items() for w in words if re.search(rf"(?<![\w\\]){w}(?!\w)", src)}
    assert not found


def test_an_activation_parameter_is_written_with_its_declared_symbol(monkeypatch):
    """A new entry with a parameter not called alpha: the page prints its symbol and fills $beta."""
    from backprop_cli import activations
    from backprop_cli.params import Param

    scaled = activations.Activation(
        "scaled",
        lambda z, beta: beta * z,
        lambda z, a, beta: beta + 0 * z,
        formula=("scaled(z) = β·z", r"\operatorname{scaled}(z) = \beta z"),
        derivative_formula=("scaled′(z) = β", r"\operatorname{scaled}'(z) = \beta"),
        symbolic=("$beta·$z", r"$beta \cdot $z"),
        expand=activations._same(("$beta·$pz", r"$beta \cdot $pz")),
        dsymbolic=("$beta", "$beta"),
        dexpand=activations._same(("$beta", "$beta")),
        params={"beta": Param(1.0, ("β", r"\beta"))},
    )
    monkeypatch.setitem(activations.ACTIVATIONS, "scaled", scaled)
    text = render("""
layers:
  - {name: o, activation: {name: scaled, beta: 3}, weights: [[0.5]], bias: [0.25]}
inputs: [[2.0]]
targets: [[1.0]]
learning_rate: 0.1
""")
    assert "Layer 1 (o): 1 unit, scaled, β = 3" in text and "α" not in text
    assert "out_o1 = β·net_o1 = 3·1.25 = 3.75" in text
    assert "∂out_o1/∂net_o1 = β = 3 = 3" not in text and "∂out_o1/∂net_o1 = β = 3" in text


# ----------------------------------------------------------------------------- what the page says is true (issue 11)


def blocks_of(name: str, **options):
    from backprop_cli.render import page

    problem = load(examples.path(name))
    trace = engine.run(problem, record=options.pop("record", True))
    return page.build(trace, {"precision": 4, "detail": "auto", **options}), trace


def test_givens_are_written_as_the_file_wrote_them_whatever_the_precision():
    text = render("mazur-2-2-2", precision=1)
    assert "= 0.15·0.05 + 0.2·0.1 + 0.35 = 0.4" in text  # computed: rounded; given: as written
    assert re.search(r"w1\s+x1 → h1\s+0\.15", text) and re.search(r"η =\s+0\.5;", text)
    sheet = render(examples.path("mazur-2-2-2").read_text().replace("0.15", "0.125"), worksheet=True, precision=2)
    assert "0.125" in sheet and "0.12·" not in sheet


def test_precision_0_keeps_a_significant_digit():
    from backprop_cli.render.mathtext import Numbers

    n = Numbers(0)
    assert [n.text(v) for v in (0.5, 0.4, 0.37, 12.7, 3.0, -0.5)] == ["0.5", "0.4", "0.4", "13", "3", "−0.5"]


def test_a_mean_of_update_losses_is_not_called_the_loss_before_the_epoch():
    from types import SimpleNamespace

    blocks, trace = blocks_of("minibatch")
    said = " ".join(str(part) for b in blocks if getattr(b, "style", None) == "result" for _, part in b.parts)
    start = trace.epochs[0].loss_start  # the true loss at the weights the epoch starts from, one more forward pass
    assert f"before the epoch: {start:.4f}" in said and "mean loss over the epoch's" in said
    from backprop_cli.render import page

    started = trace._replace(epochs=[SimpleNamespace(**{**e._asdict(), "loss_start": 0.125475}) for e in trace.epochs])
    said = " ".join(
        str(part) for b in page.build(started, {}) if getattr(b, "style", None) == "result" for _, part in b.parts
    )
    assert "before the epoch: 0.1255" in said and "mean loss over the epoch's" in said


def test_a_worksheet_keeps_the_given_before_weights_and_starts_the_key_on_a_new_page():
    from backprop_cli.render import page

    blocks, _ = blocks_of("mazur-2-2-2", worksheet=True, answers=True)
    updates = [b for b in blocks if isinstance(b, page.Table) and "before" in b.header]
    assert [getattr(row[1], "u", "") for row in updates[1].rows][0] == "0.4"  # w5's given value stays
    key = next(i for i, b in enumerate(blocks) if isinstance(b, page.Heading) and b.text.startswith("Answer key"))
    assert isinstance(blocks[key - 1], page.PageBreak)


def test_terminal_advice_stays_out_of_documents():
    from backprop_cli.render import page

    blocks, _ = blocks_of("mazur-2-2-2", record=False)
    assert any(isinstance(b, page.Hint) for b in blocks)
    for fmt in ("markdown", "latex"):
        assert "next_problem" not in render("mazur-2-2-2", fmt, record=False)


def test_one_minus_sign_and_a_choice_of_notation():
    text = render("mazur-2-2-2")
    math = [line for line in text.splitlines() if " = " in line and "⎡" not in line and "[" not in line]
    assert not [line for line in math if re.search(r"(?<![\w^{])-\d", line)]
    assert "0.5·(−0.0381)" in text and "−0.0411" in text
    assert "8.771e−3" in text and "0.008771" in render("mazur-2-2-2", notation="fixed")
    assert "3.775e−1" in render("mazur-2-2-2", notation="sci")
    assert r"\frac{1}{1 + e^{-0.3775}}" in render("mazur-2-2-2", "markdown")  # LaTeX math keeps its '-'


def test_minibatch_losses_are_numbered_like_their_examples():
    text = render("minibatch")
    second = text[text.index("update 2 (examples 3, 4)") :]
    loss = second[second.index("\nLoss\n") :]
    assert loss.index("Example 3") < loss.index("L⁽³⁾ =") < loss.index("Example 4") < loss.index("L⁽⁴⁾ =")
    assert "L⁽¹⁾" not in loss[: loss.index("Backward pass")]


def test_softmax_is_worked_through_its_exponentials_and_their_sum():
    """CS231n, Linear classification ("Softmax classifier"): scores −2.85, 0.86, 0.28 exponentiate to
    0.058, 2.36, 1.32 and normalize to 0.016, 0.631, 0.353; the loss for class 3 is −ln 0.353 = 1.04."""
    cs231n = (
        "layers:\n  - name: o\n    activation: softmax\n    weights: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\n"
        "    bias: 0\ninputs: [[-2.85, 0.86, 0.28]]\ntargets: [[0, 0, 1]]\nloss: cross_entropy\nlearning_rate: 0.1\n"
    )
    text = re.sub(r"\n\s+= ", " = ", render(cs231n))
    assert "= e^(−2.85)/(e^(−2.85) + e^(0.86) + e^(0.28)) = 0.0578/(0.0578 + 2.3632 + 1.3231) = 0.0154" in text
    assert "= 1.3231/(0.0578 + 2.3632 + 1.3231) = 0.3534" in text
    trace = engine.run(loads(cs231n))
    np.testing.assert_allclose(trace.epochs[0].steps[0].forward[0].parts, np.exp([[-2.85, 0.86, 0.28]]), rtol=1e-15)
    assert trace.epochs[0].loss == pytest.approx(1.04, abs=5e-3)
    big = cs231n.replace("[[-2.85, 0.86, 0.28]]", "[[800, 0, 0]]")  # e^800 is no float: straight to the value
    assert engine.run(loads(big)).epochs[0].steps[0].forward[0].parts is None and "e^(800)" in render(big)
