"""Teaching tools: worksheet and draw, as instructors use them (check, new and gradcheck have their own files)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from backprop_cli import examples, load
from backprop_cli.teaching.check import grade

BACKPROP = [sys.executable, "-m", "backprop_cli"]
MAZUR = load(examples.path("mazur-2-2-2"))


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def graded(text: str, problem=MAZUR, **kw):
    return {r.name: r for r in grade(problem, text, "answers.yaml", **kw)}


# ----------------------------------------------------------------------------- worksheet


def test_worksheet_shows_the_givens_and_none_of_the_answers():
    sheet = " ".join(run("worksheet").stdout.split(" "))
    flat = " ".join(sheet.split())
    for given in ("0.15", "0.05", "0.99", "η = 0.5", "w5", "h1 → o1"):
        assert given in flat, given
    for answer in ("0.3775", "0.5933", "0.7514", "0.2984", "0.1385", "0.0822", "0.3589", "0.2910", "0.1498"):
        assert answer not in sheet, answer
    assert "net_h1 = w1·x1 + w2·x2 + b1 = ______" in sheet and "Notes:" not in sheet


def test_worksheet_with_answers_appends_the_key():
    sheet = run("worksheet", "--answers").stdout
    blank, key = sheet.split("Answer key")
    assert "0.5933" not in blank and "0.5933" in key and "0.3589" in key


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_worksheet_formats(fmt):
    out = run("worksheet", "relu-relu-sigmoid-bce", "--format", fmt).stdout
    assert "0.7311" not in out and ("\\underline" in out)


# ----------------------------------------------------------------------------- draw


def test_draw_writes_the_network_as_svg(tmp_path):
    out = tmp_path / "net.svg"
    assert run("draw", "-o", str(out)).returncode == 0
    root = ET.fromstring(out.read_text())
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(f"{ns}text")]
    assert len(root.findall(f"{ns}circle")) == 6  # x1 x2 h1 h2 o1 o2
    assert "w5 = 0.4" in texts and "b1 = 0.35" in texts and "h1" in texts and "o2" in texts
    assert len(root.findall(f"{ns}line")) == 8


def test_draw_a_large_network_lists_the_weights_that_do_not_fit_in_a_table():
    svg = run("draw", "sigmoid-2-10-10-1").stdout
    assert "a row per unit, a column per input" in svg and svg.count("<circle") == 23
    assert all(f">w{k} = " in svg for k in range(1, 131))  # every weight named once, on its edge or in a table
