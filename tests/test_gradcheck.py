"""backprop gradcheck: the engine's gradients against finite differences, reported honestly."""

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


# ----------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_every_worked_example():
    from backprop_cli.teaching.gradcheck import check

    for name in examples.names():
        assert check(load(examples.path(name))).ok, name


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
    r = run("gradcheck", "seed-004-relu-relu-sigmoid-bce")
    assert r.returncode == 0 and "all gradients agree" in r.stdout
    j = json.loads(run("gradcheck", "--format", "json").stdout)
    assert j["ok"] is True and {c["name"] for c in j["checks"]} >= {"layer 1 (h) weights", "inputs"}


