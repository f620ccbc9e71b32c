"""backprop new: exercises that can be worked by hand, and a variant per student of a roster."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from backprop_cli import engine, examples, load, loads
from backprop_cli.teaching.answers import decimals
from backprop_cli.teaching.check import grade

BACKPROP = [sys.executable, "-m", "backprop_cli"]
MAZUR = load(examples.path("mazur-2-2-2"))


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def graded(text: str, problem=MAZUR, **kw):
    return {r.name: r for r in grade(problem, text, "answers.yaml", **kw)}


# ----------------------------------------------------------------------------- new


@pytest.mark.parametrize("args", [["--layers", "2-2-1"], ["--layers", "2-3-2", "--activation", "tanh", "--loss", "mse", "--seed", "4"],
                                  ["--layers", "3-2-3", "--loss", "cross_entropy", "--examples", "2", "--seed", "9"],
                                  ["--layers", "2-2-2-1", "--activation", "relu", "--seed", "2"]])
def test_new_writes_an_exercise_that_solves(args):
    text = run("new", *args).stdout
    assert text == run("new", *args).stdout  # the same seed gives the same exercise
    problem = loads(text)
    step = engine.run(problem).epochs[0].steps[0]
    numbers = np.concatenate([np.ravel(l.W) for l in problem.layers] + [np.ravel(problem.X)])
    assert np.all(np.abs(numbers * 10 - np.round(numbers * 10)) < 1e-9) and np.all(numbers != 0)  # one decimal, no zeros
    for layer, fwd in zip(problem.layers, step.forward):
        if layer.activation.name in ("sigmoid", "tanh"):
            assert np.max(np.abs(fwd.z)) <= 2.5
        if layer.activation.name == "relu":
            assert np.all(np.any(fwd.z > 0, axis=0))
    assert all(np.min(np.abs(r.dL_dW)) > 1e-3 for r in step.backward)
    assert run("solve", "-", "--format", "json", stdin=text).returncode == 0


def test_new_refuses_a_bad_layer_spec():
    r = run("new", "--layers", "2x2")
    assert r.returncode == 2 and "like 2-2-1" in r.stderr


