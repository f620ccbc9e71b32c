"""The Python API (solve, train, Result) and --format csv: the same numbers as the trace, loadable by pandas."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from backprop_cli import examples, solve, train
from backprop_cli.api import Result
from backprop_cli.cli import main
from backprop_cli.errors import ProblemError
from backprop_cli.render.quantities import COLUMNS, EPOCH_COLUMNS

MAZUR = examples.path("mazur-2-2-2")
# Matt Mazur, "A Step by Step Backpropagation Example" (2015): the post's own numbers.
MAZUR_VALUES = {"net_h1": 0.3775, "out_h1": 0.593269992, "out_o1": 0.75136507, "w5⁺": 0.35891648, "w1⁺": 0.149780716}


@pytest.mark.parametrize("given", ["mazur-2-2-2", str(MAZUR), MAZUR, MAZUR.read_text()])
def test_a_problem_is_a_name_a_path_or_yaml_text(given):
    r = solve(given)
    for name, value in MAZUR_VALUES.items():
        assert r.value(name) == pytest.approx(value, abs=5e-9)


def test_a_problem_is_a_dict():
    r = solve(
        {
            "layers": [{"activation": "sigmoid", "weights": [[0.5]], "bias": 0.0}],
            "inputs": [[0.0]],
            "targets": [[1.0]],
            "learning_rate": 1.0,
        }
    )
    assert r.value("out_o1") == 0.5


def test_errors_are_the_command_lines():
    with pytest.raises(ProblemError, match="no such file or bundled example"):
        solve("no-such-example")
    with pytest.raises(ProblemError, match="learning_rate"):
        solve("layers: [{activation: sigmoid, weights: [[1]]}]\ninputs: [[1]]\ntargets: [[1]]\nlearning_rate: -1\n")
    with pytest.raises(TypeError, match="unknown option"):
        solve("mazur-2-2-2", precison=3)


def test_the_result_holds_the_trace_the_page_and_the_rows():
    r = solve("mazur-2-2-2", precision=3)
    assert r.trace["format"] == "backprop-trace" and json.loads(r.to_json()) == r.trace
    assert r.trace["epochs"][0]["steps"][0]["forward"][0]["z"][0][0] == 0.3775
    assert "net_h1 = w1·x1 + w2·x2 + b1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.378" in r.page()
    assert r.page("latex").startswith(r"\documentclass") and "<math" in r.page("html")
    html = r._repr_html_()
    assert html.startswith('<div class="backprop">') and "<svg" in html and "<h2>Forward pass" in html
    assert "$" in r._repr_markdown_()
    rows = r.quantities()
    assert all(tuple(row) == COLUMNS for row in rows)
    by_name = {row["name"]: row for row in rows}
    assert by_name["∂L/∂w5"]["value"] == r.trace["epochs"][0]["steps"][0]["backward"][0]["dL_dW"][0][0]
    assert by_name["net_o1"]["formula"] == "w5·out_h1 + w6·out_h2 + b3"
    assert by_name["δ_h1"]["layer"] == 1 and by_name["δ_h1"]["unit"] == "h1" and by_name["δ_h1"]["example"] == 1
    assert "svg" in r.plot().svg and "h1" in str(r.draw())


def test_every_number_in_the_rows_is_the_traces():
    r = solve("minibatch")
    trace = r.trace
    values = {row["value"] for row in r.quantities()}
    for epoch in trace["epochs"]:
        for step in epoch["steps"]:
            for f in step["forward"]:
                assert {v for row in f["z"] + f["a"] for v in row} <= values
            for b in step["backward"]:
                assert {v for row in b["delta"] for v in row} <= values
            assert set(step["losses"]) <= values


def test_train_gives_one_row_per_epoch_and_stops_at_a_loss():
    r = train("xor-2-2-1", epochs=50)
    rows = r.quantities()
    assert len(rows) == 50 and tuple(rows[0]) == EPOCH_COLUMNS
    assert [row["loss_after"] for row in rows] == r.losses
    stopped = train("xor-2-2-1", epochs=100000, until_loss=0.05)
    assert stopped.run.stopped and stopped.losses[-1] <= 0.05 < stopped.losses[-2]
    traced = train("xor-2-2-1", epochs=2, trace=True)
    assert {row["epoch"] for row in traced.quantities()} == {1, 2}


def test_to_frame_is_pandas_when_installed():
    pd = pytest.importorskip("pandas")
    frame = solve("mazur-2-2-2").to_frame()
    assert list(frame.columns) == list(COLUMNS) and str(frame["epoch"].dtype) == "Int64"
    assert frame.loc[frame["name"] == "out_o1", "value"].item() == pytest.approx(0.75136507, abs=5e-9)
    assert isinstance(train("xor-2-2-1", epochs=3).to_frame(), pd.DataFrame)


def test_to_frame_without_pandas_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"backprop-cli\[pandas\]"):
        solve("mazur-2-2-2").to_frame()


def test_importing_the_package_stays_cheap():
    code = (
        "import sys, backprop_cli; heavy = {'rich', 'pandas', 'click'} & set(sys.modules); "
        "assert not heavy, heavy; backprop_cli.solve; assert 'backprop_cli.api' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "command",
    [["solve", "mazur-2-2-2"], ["solve", "minibatch"], ["solve", "momentum"], ["step", "xor-2-2-1", "--epochs", "30"]],
)
def test_csv_loads_with_pandas_and_holds_the_exact_values(command):
    pd = pytest.importorskip("pandas")
    r = CliRunner().invoke(main, [*command, "--format", "csv"])
    assert r.exit_code == 0, r.output
    exact = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}  # pandas 2 rounds
    frame = pd.read_csv(io.StringIO(r.output), **exact)
    api = solve(command[1]) if command[0] == "solve" else train(command[1], epochs=int(command[3]))
    expected = api.to_frame()
    assert list(frame.columns) == list(expected.columns) and len(frame) == len(expected)
    column = "value" if "value" in frame else "loss_after"
    assert frame[column].tolist() == expected[column].tolist()  # full precision, no rounding on the way


def test_csv_cells_a_spreadsheet_would_evaluate_are_text():
    from backprop_cli.render.csvrows import csv_text

    assert csv_text("=HYPERLINK(1)") == "'=HYPERLINK(1)" and csv_text("net_h1") == "net_h1"
    assert csv_text("−η·∂L/∂w1") == "−η·∂L/∂w1"  # the minus sign of the page is not a formula


def test_repr_names_the_run():
    assert repr(train("xor-2-2-1", epochs=3)).startswith("<backprop result: 'XOR")
    assert isinstance(solve("mazur-2-2-2"), Result)


def test_the_python_in_the_api_page_runs():
    """Every ```python block of docs/python-api.md, in order, in one namespace."""
    pytest.importorskip("pandas")
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "python-api.md").read_text()
    namespace: dict = {}
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        exec(compile(block, "python-api.md", "exec"), namespace)  # noqa: S102 - our own documentation
    assert namespace["r"].value("out_o1") == pytest.approx(0.75136507, abs=5e-9)
    assert len(namespace["losses"]) == 2000
    assert namespace["c"].value("x+") == pytest.approx(-1.96, abs=1e-15)


# ----------------------------------------------------------------------------- circuits and spellings


def test_a_circuit_is_solved_by_the_api_with_cs231n_numbers():
    """CS231n, "Backpropagation, Intuitions": f = (x + y)·z at x = −2, y = 5, z = −4: q = 3, f = −12,
    ∂f/∂x = ∂f/∂y = −4, ∂f/∂z = 3. The bundled example steps with η = 0.01."""
    r = solve("circuit-add-multiply")
    assert (r.value("q"), r.value("f"), r.value("df/dx"), r.value("∂f/∂y"), r.value("dz")) == (3, -12, -4, -4, 3)
    assert r.value("x+") == pytest.approx(-1.96, abs=1e-15) and r.value("z⁺") == pytest.approx(-4.03, abs=1e-15)
    assert r.trace["format"] == "backprop-graph" and r.trace["grads"]["q"] == -4
    with pytest.raises(KeyError, match="nothing|no value"):
        r.value("dw")


def test_a_circuit_result_renders_every_format_and_shows_itself_in_jupyter():
    r = solve("circuit-sigmoid-neuron")
    for fmt in ("rich", "markdown", "latex", "html", "json"):
        assert r.page(fmt).strip(), fmt
    shown = r._repr_html_()
    assert shown.startswith('<div class="backprop"><style>') and "<svg" in shown and "<html" not in shown
    assert "Staged" not in r.page() and "sigmoid" in r.page().lower()
    assert json.loads(r.to_json()) == r.trace


def test_a_circuit_from_text_a_dict_or_exact():
    text = "inputs: {x: -2, y: 5, z: -4}\ngraph:\n  q: x + y\n  f: q * z\n"
    assert solve(text).value("df/dz") == 3
    assert solve({"inputs": {"x": 3, "y": 4}, "graph": {"f": "x * y"}}).value("df/dx") == 4
    r = solve(text + "learning_rate: 0.1\ntrain: [x]\n", exact=True)
    assert r.trace["exact"]["updated"] == {"x": "-8/5"}  # −2 − 0.1·(−4)


def test_train_of_a_circuit_says_what_to_use():
    with pytest.raises(ValueError, match="solve"):
        train("circuit-add-multiply")


def test_value_reads_the_spellings_check_reads():
    r = solve("mazur-2-2-2")
    assert r.value("dE/dw7") == r.value("∂E_total/∂w7") == r.value("dEtotal_dw7") == r.value("∂L/∂w7")
    assert r.value("delta_o1") == r.value("δ_o1") and r.value("w7_new") == r.value("w7⁺")
    with pytest.raises(KeyError):
        r.value("dE/dw99")


def test_exact_through_the_api():
    from fractions import Fraction

    first = solve("perceptron-and", exact=True).quantities()[0]  # Negnevitsky's AND: net = 0.3·0 − 0.1·0 − 0.2
    assert first["name"] == "net_y1" and first["exact"] == Fraction(-1, 5) and first["value"] == -0.2
    assert "exact" not in solve("perceptron-and").quantities()[0]
    with pytest.raises(ProblemError, match="not rational"):
        solve("mazur-2-2-2", exact=True)


def test_quantities_hold_plain_python_numbers():
    """json.dumps(r.quantities()) works: no NumPy integer leaks into a row (the example index did)."""
    for name in ("perceptron-and", "minibatch", "mazur-2-2-2"):
        rows = solve(name).quantities()
        assert json.loads(json.dumps(rows, default=None)) and all(type(r["example"]) in (int, type(None)) for r in rows)


def test_check_in_python_grades_as_the_command_does(tmp_path):
    """Mazur's δ_o1 = 0.138498562 with its sign flipped is named; a dict, a path and text give the same grades."""
    from backprop_cli import check

    answers = {"net_h1": 0.3775, "out_h1": "0.5933", "δ_o1": -0.1385, "dE/dw5": 0.0822}
    g = check("mazur-2-2-2", answers)
    by = {r["name"]: r for r in g.results}
    assert by["δ_o1"]["verdict"] == "WRONG" and by["δ_o1"]["mistakes"] == ["the sign is flipped"]
    assert by["dE/dw5"]["verdict"] == "right" and not g.ok and repr(g) == "<backprop check: 3 of 4 right>"
    text = "net_h1: 0.3775\nout_h1: 0.5933\nδ_o1: -0.1385\ndE/dw5: 0.0822\n"
    (tmp_path / "a.yaml").write_text(text)
    for given in (text, tmp_path / "a.yaml", str(tmp_path / "a.yaml")):
        assert [r["verdict"] for r in check("mazur-2-2-2", given).results] == [r["verdict"] for r in g.results]
    cli = CliRunner().invoke(main, ["check", "mazur-2-2-2", str(tmp_path / "a.yaml")]).output
    assert g.page() == cli  # the same report, line for line
    assert g._repr_html_().startswith('<div class="backprop"><style>') and "the sign is flipped" in g._repr_html_()


def test_check_in_python_grades_a_circuit():
    from backprop_cli import check

    g = check("circuit-add-multiply", {"q": 3, "dy": 4, "x+": -1.96})
    assert [r["verdict"] for r in g.results] == ["right", "WRONG", "right"]
    assert "the sign of the gradient flipped" in g.results[1]["mistakes"]


def test_check_in_python_reads_a_whole_number_as_written_and_refuses_no_answers():
    """{"f": 100} is the answer 100 (no decimal), as `f: 100` in a file: right for 100.4 at 3 figures."""
    from backprop_cli import check

    problem = {"inputs": {"x": 100.4, "y": 1}, "graph": {"f": "x * y"}}
    assert check(problem, {"f": 100}).results[0]["verdict"] == check(problem, "f: 100\n").results[0]["verdict"]
    assert check(problem, {"f": 100}).results[0]["written"] == "100"
    with pytest.raises(ValueError, match="no answers"):
        check(problem, {})


def test_the_package_gives_its_submodules_as_attributes():
    """`import backprop_cli` runs nothing (launch.py), yet backprop_cli.engine.run works as it did."""
    code = (
        "import sys, backprop_cli; assert 'backprop_cli.engine' not in sys.modules; "
        "t = backprop_cli.engine.run(backprop_cli.validate.load(backprop_cli.examples.file('mazur-2-2-2'))); "
        "assert abs(t.epochs[0].loss - 0.298371109) < 1e-9; assert not hasattr(backprop_cli, 'nothing_here')"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
