"""SPEC §4.1: a run continued through a pipe lands on the same weights as --epochs, for a trace of version 2
(optimizer state, penalties, dropout, the perceptron rule, textbook conventions) as for version 1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backprop_cli.cli import main

V2 = ["optimizer-adam", "optimizer-rmsprop", "optimizer-adagrad", "penalty-l2", "dropout-mazur", "perceptron-and"]


def _run(*args, stdin: str | None = None) -> str:
    out = CliRunner().invoke(main, list(args), input=stdin)
    assert out.exit_code == 0, out.output
    return out.output


@pytest.mark.parametrize("example", V2)
def test_json_and_ndjson_traces_of_version_2_continue_where_epochs_would(example):
    whole = json.loads(_run("step", example, "--epochs", "3", "--format", "json"))
    first = _run("step", example, "--epochs", "1", "--format", "json")
    assert json.loads(first)["version"] == 2
    rest = json.loads(_run("step", "-", "--epochs", "2", "--format", "json", stdin=first))
    assert [e["epoch"] for e in rest["epochs"]] == [2, 3]
    assert rest["next_problem"]["layers"] == whole["next_problem"]["layers"]
    stream = _run("step", example, "--epochs", "1", "--format", "ndjson")
    assert json.loads(stream.splitlines()[-1])["version"] == 2
    again = json.loads(_run("step", "-", "--epochs", "2", "--format", "json", stdin=stream))
    assert again["next_problem"]["layers"] == whole["next_problem"]["layers"]


def test_a_circuits_solution_piped_into_step_is_refused_with_the_reason():
    graph = _run("solve", "circuit-micrograd", "--format", "json")
    out = CliRunner().invoke(main, ["step", "-"], input=graph)
    assert out.exit_code == 2
    assert "backprop-graph" in out.output and "nothing to train" in out.output
    assert "found no layers" not in out.output
