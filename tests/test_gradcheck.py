"""backprop gradcheck: the engine's gradients against finite differences, reported honestly."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from backprop_cli import engine, examples, load
from backprop_cli.teaching.check import grade

BACKPROP = [sys.executable, "-m", "backprop_cli"]
MAZUR = load(examples.path("mazur-2-2-2"))


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def graded(text: str, problem=MAZUR, **kw):
    return {r.name: r for r in grade(problem, text, "answers.yaml", **kw)}


# ----------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_every_worked_example():
    from backprop_cli.teaching.gradcheck import check

    for name in examples.names():
        problem = load(examples.path(name))
        if problem.rule == "backprop":  # the perceptron rule has no gradient to check
            assert check(problem).ok, name


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    from backprop_cli.teaching import gradcheck

    real = engine.backward

    def broken(*args, **kwargs):
        records, dL_dx = real(*args, **kwargs)
        first = list(records[0])
        first[3] = first[3] * 1.001  # the output layer's dL_dW, 0.1% off
        return [tuple(first)] + records[1:], dL_dx

    monkeypatch.setattr(engine, "backward", broken)
    report = gradcheck.check(MAZUR)
    assert not report.ok and any(not c.worst_relative <= 1e-6 for c in report.checks if "layer 2" in c.name)


def test_gradcheck_command():
    r = run("gradcheck", "relu-relu-sigmoid-bce")
    assert r.returncode == 0 and "all gradients agree" in r.stdout
    j = json.loads(run("gradcheck", "--format", "json").stdout)
    assert j["ok"] is True and {c["name"] for c in j["checks"]} >= {"layer 1 (h) weights", "inputs"}


def test_gradcheck_reports_the_real_relative_error_and_the_pages_names():
    r = run("gradcheck")
    rows = [l.split() for l in r.stdout.splitlines()[1:5]]  # the four layer rows (weights and biases)
    errors = [float(row[-4]) for row in rows]
    assert all(0 < e < 1e-6 for e in errors), r.stdout  # the real error, not 0.000e+00
    assert all(re.fullmatch(r"[wb]\d+", row[-2]) for row in rows), r.stdout
    assert "W[" not in r.stdout and "(out_in)" not in r.stdout
    j = json.loads(run("gradcheck", "--format", "json").stdout)
    assert all(c["worst_relative"] > 0 and c["allowed"] >= 1e-6 for c in j["checks"])
    assert {c["at"][0] for c in j["checks"]} <= {"w", "b", "x"}


def test_gradcheck_json_is_valid_json_when_a_gradient_is_infinite(monkeypatch):
    from backprop_cli.teaching import gradcheck

    report = gradcheck.Report([gradcheck.LayerCheck("inputs", 1, float("inf"), float("inf"), "x1", 1e-6)], 1e-6, [])
    assert json.loads(gradcheck.as_json(report))["checks"][0]["worst_relative"] is None
