"""The command line as a user meets it: a real process, its stdout, stderr and exit status."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop_cli import examples

TRACE_KEYS = {"format", "version", "problem", "epochs", "next_problem"}
STEP_KEYS = {"examples", "forward", "losses", "loss", "backward", "dL_dx", "update"}


def backprop(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "backprop_cli", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_solve_without_problem_solves_the_default_example_as_json():
    r = backprop("solve", "--format", "json")
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)
    assert TRACE_KEYS <= t.keys()
    assert t["format"] == "backprop-trace" and t["version"] == 1
    step = t["epochs"][0]["steps"][0]
    assert STEP_KEYS <= step.keys()
    assert [b["layer"] for b in step["backward"]] == [2, 1]
    assert t["problem"]["title"].startswith("Step-by-step")
    assert r.stderr == ""


def test_solve_by_example_name_and_by_path_agree():
    by_name = backprop("solve", "mazur-2-2-2", "--format", "json")
    by_path = backprop("solve", str(examples.path("mazur-2-2-2")), "--format", "json")
    assert by_name.returncode == by_path.returncode == 0
    assert json.loads(by_name.stdout)["epochs"] == json.loads(by_path.stdout)["epochs"]


def test_problem_on_stdin_with_dash():
    text = examples.path("mazur-2-2-2").read_text()
    r = backprop("solve", "-", "--format", "json", stdin=text)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["epochs"][0]["steps"][0]["loss"] == pytest.approx(0.2983711087600027, rel=1e-15)


def test_chaining_through_stdin_lands_on_the_same_weights_as_epochs(tmp_path):
    problem = write(
        tmp_path, examples.path("mazur-2-2-2").read_text().replace("update: batch", "update: batch\nmomentum: 0.9")
    )
    first = backprop("solve", problem, "--format", "json")
    chained = backprop("step", "--epochs", "5", "--format", "json", stdin=first.stdout)
    direct = backprop("step", problem, "--epochs", "6", "--format", "json")
    assert chained.returncode == direct.returncode == 0, chained.stderr + direct.stderr
    a, b = json.loads(chained.stdout)["next_problem"], json.loads(direct.stdout)["next_problem"]
    for la, lb in zip(a["layers"], b["layers"], strict=False):
        np.testing.assert_allclose(la["weights"], lb["weights"], rtol=1e-13)
    assert json.loads(chained.stdout)["epochs"][-1]["loss_after"] == pytest.approx(
        json.loads(direct.stdout)["epochs"][-1]["loss_after"], rel=1e-13
    )


def test_step_writes_steps_only_with_trace():
    lean = json.loads(backprop("step", "mazur-2-2-2", "--epochs", "3", "--format", "json").stdout)
    assert [set(e) for e in lean["epochs"]] == [{"epoch", "loss", "loss_after"}] * 3
    full = json.loads(backprop("step", "mazur-2-2-2", "--epochs", "3", "--trace", "--format", "json").stdout)
    assert all(len(e["steps"]) == 1 for e in full["epochs"])
    assert [e["loss"] for e in lean["epochs"]] == [e["loss"] for e in full["epochs"]]
    # each epoch's loss is the previous epoch's loss_after (batch update, same data)
    assert lean["epochs"][1]["loss"] == pytest.approx(lean["epochs"][0]["loss_after"], rel=1e-15)


def test_output_file_is_written(tmp_path):
    out = tmp_path / "trace.json"
    r = backprop("solve", "--format", "json", "--output", str(out))
    assert r.returncode == 0 and r.stdout == ""
    assert json.loads(out.read_text())["format"] == "backprop-trace"


def test_output_onto_the_problem_file_is_refused(tmp_path):
    problem = write(tmp_path, examples.path("mazur-2-2-2").read_text())
    r = backprop("solve", problem, "--output", problem)
    assert r.returncode == 2
    assert Path(problem).read_text() == examples.path("mazur-2-2-2").read_text()


def test_missing_file_exits_2_with_one_line_and_no_traceback():
    r = backprop("solve", "/nonexistent/problem.yaml")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "/nonexistent/problem.yaml" in r.stderr and r.stdout == ""


def test_bad_problem_names_file_line_key_found_and_expected(tmp_path):
    text = examples.path("mazur-2-2-2").read_text().replace("learning_rate: 0.5", "learning_rate: fast")
    problem = write(tmp_path, text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if l.startswith("learning_rate"))
    r = backprop("solve", problem, "--format", "json")
    assert r.returncode == 2 and r.stdout == ""
    assert f"{problem}:{line}:" in r.stderr
    assert "learning_rate" in r.stderr and "'fast'" in r.stderr and "expected a number" in r.stderr
    assert "Traceback" not in r.stderr


def test_non_finite_exits_1_naming_epoch_layer_and_quantity(tmp_path):
    problem = write(
        tmp_path,
        """
layers:
  - {activation: linear, weights: [[3.0]]}
  - {activation: linear, weights: [[3.0]]}
inputs: [[10.0]]
targets: [[0.0]]
learning_rate: 10
epochs: 50
""",
    )
    r = backprop("step", problem, "--format", "json")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "epoch" in r.stderr and "layer" in r.stderr and "not finite" in r.stderr


def test_examples_lists_name_and_title():
    r = backprop("examples")
    assert r.returncode == 0
    assert "mazur-2-2-2" in r.stdout and "2-2-2 sigmoid network" in r.stdout


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    r = backprop("--version")
    assert r.returncode == 0 and version("backprop-cli") in r.stdout


def test_unknown_option_is_a_usage_error():
    r = backprop("solve", "--format", "pdf")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_step_without_problem_on_a_terminal_is_a_usage_error():
    # stdin here is a pipe with nothing on it: an empty document is refused
    r = backprop("step", stdin="")
    assert r.returncode == 2 and "empty" in r.stderr


def test_an_install_that_cannot_start_says_so_in_one_line():
    """An import error of the CLI itself (NumPy built for another Python, a package left out) is one line and exit
    70, not a traceback: the command's entry point is launch.main, which imports the CLI inside its own handler."""
    code = "import sys; sys.modules['backprop_cli.cli'] = None; from backprop_cli.launch import main; main()"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 70 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("backprop: cannot start (ModuleNotFoundError") and r.stderr.count("\n") == 1


def test_the_command_is_the_launcher():
    import tomllib

    from backprop_cli import launch

    scripts = tomllib.loads((Path(launch.__file__).parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"backprop": "backprop_cli.launch:main"}
