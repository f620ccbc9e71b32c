"""Numerical trouble and output safety, as users meet them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

BACKPROP = [sys.executable, "-m", "backprop_cli"]

DIVERGES = """
layers:
  - {activation: linear, weights: [[3.0]]}
  - {activation: linear, weights: [[3.0]]}
inputs: [[10.0], [1.0]]
targets: [[0.0], [0.0]]
update: stochastic
learning_rate: 0.5
epochs: 50
"""


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_a_diverging_run_exits_1_after_writing_what_was_computed(tmp_path):
    (tmp_path / "p.yaml").write_text(DIVERGES)
    r = run("step", "p.yaml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert re_search(r"epoch \d+, (update \d+|after its last update), layer \d+: .* is not finite", r.stderr)
    t = json.loads(r.stdout)  # a complete trace of what was computed before
    assert t["stopped"] and t["epochs"] and t["epochs"][-1]["partial"] is True and t["epochs"][-1]["loss_after"] is None
    assert all(isinstance(w, float) for row in t["next_problem"]["layers"][0]["weights"] for w in row)


def test_a_diverging_solve_names_the_update_and_keeps_the_finished_ones(tmp_path):
    (tmp_path / "p.yaml").write_text(DIVERGES.replace("epochs: 50", "epochs: 3").replace("0.5", "50"))
    r = run("solve", "p.yaml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 1
    t = json.loads(r.stdout)
    assert "update" in t["stopped"] and "layer" in t["stopped"]


def test_saturated_units_are_a_warning_on_stderr(tmp_path):
    (tmp_path / "p.yaml").write_text("""
layers:
  - {name: h, activation: sigmoid, weights: [[40.0, 40.0]], bias: 0}
  - {name: o, activation: linear, weights: [[1.0]]}
inputs: [[1.0, 1.0]]
targets: [[0.0]]
learning_rate: 0.1
""")
    for command in (["solve"], ["step", "--epochs", "3"]):
        r = run(*command, "p.yaml", "--format", "json", cwd=tmp_path)
        assert r.returncode == 0 and json.loads(r.stdout)
        assert "warning" in r.stderr and "saturated" in r.stderr and "unit 1 of layer 1 (h)" in r.stderr


def test_no_warning_for_a_healthy_network():
    assert run("solve", "--format", "json").stderr == ""


@pytest.mark.parametrize("fmt", ["rich", "json", "ndjson", "markdown", "latex"])
def test_a_closed_pipe_ends_quietly(fmt):
    p = subprocess.Popen(
        [*BACKPROP, "step", "xor-2-2-1", "--epochs", "300", "--trace", "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    p.stdout.read(200)
    p.stdout.close()
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 0 and err == ""


def test_output_is_written_atomically_and_leaves_nothing_behind(tmp_path):
    out = tmp_path / "trace.json"
    out.write_text("the previous answer key")
    (tmp_path / "bad.yaml").write_text("layers: [")
    r = run("solve", "bad.yaml", "--output", str(out), cwd=tmp_path)
    assert r.returncode == 2 and out.read_text() == "the previous answer key"
    r = run("solve", "--format", "json", "--output", str(out), cwd=tmp_path)
    assert r.returncode == 0 and json.loads(out.read_text())["format"] == "backprop-trace"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "trace.json"]


def test_no_yaml_tag_runs_code(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "p.yaml").write_text(f"""
title: !!python/object/apply:os.system ["touch {marker}"]
layers: !!python/object/new:os.system ["touch {marker}"]
inputs: [1]
targets: [1]
learning_rate: 0.1
""")
    r = run("solve", "p.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "never constructed" in r.stderr and not marker.exists()


def test_exit_codes_are_defined_in_one_place():
    from backprop_cli import cli, errors

    assert (errors.EXIT_OK, errors.EXIT_NONFINITE, errors.EXIT_USAGE, errors.EXIT_INTERRUPTED) == (0, 1, 2, 130)
    cli_source = open(cli.__file__).read()
    for literal in ("exit(0)", "exit(1)", "exit(2)", "exit(130)"):
        assert literal not in cli_source


def re_search(pattern: str, text: str):
    import re

    return re.search(pattern, text)


def test_many_problems_are_reported_twenty_at_a_time_with_a_count_of_the_rest():
    from backprop_cli import loads
    from backprop_cli.errors import ProblemError

    text = "layers:\n  - {activation: sigmoid, weights: [[1, 2]]}\ninputs: [1, 2]\ntargets: [1]\nlearning_rate: 0.1\n"
    text += "".join(f"unknown_{i}: 1\n" for i in range(30))
    with pytest.raises(ProblemError) as e:
        loads(text, "p.yaml")
    assert len(e.value.issues) == 20 and e.value.more == 10 and "and 10 more problems" in str(e.value)


def test_files_over_the_size_limit_are_refused(tmp_path, monkeypatch):
    from backprop_cli import load, source
    from backprop_cli.errors import ProblemError

    monkeypatch.setattr(source, "MAX_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 200 + "\n")
    with pytest.raises(ProblemError) as e:
        load(big)
    assert "at most 100 bytes" in str(e.value)


def test_a_directory_or_a_missing_file_is_one_line_and_exit_2(tmp_path):
    for path in (str(tmp_path), str(tmp_path / "missing.yaml")):
        r = run("solve", path)
        assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "Traceback" not in r.stderr
