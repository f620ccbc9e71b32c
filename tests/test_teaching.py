"""Teaching tools: check, worksheet, new, gradcheck and draw, as students and instructors use them."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from backprop_cli import engine, examples, load, loads
from backprop_cli.check import decimals, grade

BACKPROP = [sys.executable, "-m", "backprop_cli"]
MAZUR = load(examples.path("mazur-2-2-2"))


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def graded(text: str, problem=MAZUR, **kw):
    return {r.name: r for r in grade(problem, text, "answers.yaml", **kw)}


# ----------------------------------------------------------------------------- check: right answers


def test_decimals_as_written():
    assert [decimals(t) for t in ("0.5933", "12", "4.386e-4", "-0.0411", "1.5E2")] == [4, 0, 7, 4, 0]


@pytest.mark.parametrize("d", range(4, 10))
def test_correct_answers_at_4_to_9_decimals_pass(d):
    s = engine.run(MAZUR).epochs[0].steps[0]
    values = {"net_h1": s.forward[0].z[0, 0], "out_o2": s.forward[1].a[0, 1], "L": s.loss, "δ_h2": s.backward[1].delta[0, 1],
              "∂L/∂w3": s.backward[1].dL_dW[1, 0], "Δw6": s.update[1].W_change[0, 1], "w8⁺": s.update[1].W[1, 1]}
    text = "\n".join(f"{k}: {v:.{d}f}" for k, v in values.items())
    assert all(r.right for r in graded(text).values())


def test_every_name_the_solution_prints_is_understood():
    text = ("net_h1: 0.3775\nout_h1: 0.5933\nL_o1: 0.2748\nL: 0.2984\nloss_after: 0.2910\n"
            "∂L/∂out_o1: 0.7414\n∂out_o1/∂net_o1: 0.1868\nδ_o1: 0.1385\ndelta_h1: 0.0088\n"
            "∂L/∂w5: 0.0822\ndL_dw1: 0.0004\n∂L/∂b3: 0.1385\n∂L/∂x1: 0.0038\nΔw5: -0.0411\nw5⁺: 0.3589\n"
            "w5+: 0.3589\nw5_new: 0.3589\nb1⁺: 0.35\n")
    results = graded(text)
    assert len(results) == 18 and all(r.right for r in results.values()), [n for n, r in results.items() if not r.right]


def test_textbook_and_trace_spellings_of_the_names():
    results = graded("E_total: 0.298371109\nE_o1: 0.274811083\nz_h1: 0.3775\na_o2: 0.7729\nw5: 0.4\nb2: 0.35\n")
    assert len(results) == 6 and all(r.right for r in results.values())
    r = graded("w5: 0.3589")["w5"]  # w5 is the given weight; the updated one is w5⁺
    assert not r.right and "after the update" in r.mistakes[0]


def test_answers_as_a_partial_trace():
    t = json.loads(run("solve", "--format", "json").stdout)
    step = t["epochs"][0]["steps"][0]
    answers = {"epochs": [{"steps": [{"forward": [{"layer": 2, "a": [[round(v, 5) for v in step["forward"][1]["a"][0]]]}],
                                      "update": [{"layer": 2, "W": [[0.35891648, 0.408666186], [0.5113, 0.5614]]}]}],
                           "loss_after": 0.291027774}]}
    results = grade(MAZUR, json.dumps(answers), "answers.json")
    assert len(results) == 7 and all(r.right for r in results)


# ----------------------------------------------------------------------------- check: the classic mistakes, computed by hand

s_o1 = 0.7513650695523157 * (1 - 0.7513650695523157)  # σ′(net_o1)
s_h1 = 0.5932699921071872 * (1 - 0.5932699921071872)  # σ′(net_h1)
d_o1 = (0.7513650695523157 - 0.01) * s_o1
d_o2 = (0.7729284653214625 - 0.99) * (0.7729284653214625 * (1 - 0.7729284653214625))
CLASSIC = [
    ("net_h1", 0.15 * 0.05 + 0.20 * 0.10, "bias is forgotten"),
    ("net_h1", 0.15 * 0.05 + 0.25 * 0.10 + 0.35, "transposed"),
    ("out_h1", 0.3775, "net input is used as the activation"),
    ("∂L/∂out_o1", -(0.7513650695523157 - 0.01), "sign is flipped"),
    ("∂L/∂out_o1", 2 * (0.7513650695523157 - 0.01), "factor 2"),
    ("∂out_h1/∂net_h1", 0.3775 * (1 - 0.3775), "net input is used where the activation belongs"),
    ("δ_o1", 0.7513650695523157 - 0.01, "derivative is forgotten"),
    ("δ_o1", d_o1 * s_o1, "derivative is applied twice"),
    ("δ_h1", (0.35891648 * d_o1 + 0.51130127 * d_o2) * s_h1, "already-updated weights"),
    ("w5⁺", 0.40 - d_o1 * 0.5932699921071872, "learning rate is missing"),
    ("w5⁺", 0.40 - 0.25 * d_o1 * 0.5932699921071872, "learning rate is applied twice"),
    ("Δw5", 0.5 * d_o1 * 0.5932699921071872, "sign of the update is flipped"),
    ("L", 2 * 0.2983711087600027, "factor 2"),
]


@pytest.mark.parametrize("name,value,mistake", CLASSIC, ids=[f"{n}: {m}" for n, _, m in CLASSIC])
def test_a_classic_mistake_is_named(name, value, mistake):
    r = graded(f"{name}: {value:.6f}")[name]
    assert not r.right and any(mistake in m for m in r.mistakes), r.mistakes


def test_truncation_is_named():
    r = graded("δ_h1: 0.0087")["δ_h1"]
    assert not r.right and "truncated" in r.mistakes[0]


def test_tolerance_overrides_rounding():
    assert graded("out_h1: 0.59")["out_h1"].right  # 0.5933 rounds to 0.59 at the two decimals written
    assert not graded("out_h1: 0.592")["out_h1"].right  # ... and to 0.593 at three
    assert graded("out_h1: 0.592", tolerance=0.01)["out_h1"].right


def test_check_command_output_and_exit_status(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\nout_o1: 0.75\n")
    good = run("check", "mazur-2-2-2", "a.yaml", cwd=tmp_path)
    assert good.returncode == 0 and "2 of 2 right" in good.stdout
    (tmp_path / "b.yaml").write_text("net_h1: 0.0275\nout_o1: 0.7514\n")
    bad = run("check", "mazur-2-2-2", "b.yaml", "--format", "json", cwd=tmp_path)
    report = json.loads(bad.stdout)
    assert bad.returncode == 1 and report["wrong"] == 1 and report["right"] == 1
    wrong = [c for c in report["checked"] if not c["right"]][0]
    assert wrong["name"] == "net_h1" and wrong["expected"] == pytest.approx(0.3775) and "bias" in wrong["mistakes"][0]


def test_an_unknown_name_is_refused_with_its_line(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\nnet_h9: 1\n")
    r = run("check", "mazur-2-2-2", "a.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "a.yaml:2:1: net_h9" in r.stderr


# ----------------------------------------------------------------------------- gradcheck


def test_gradcheck_passes_on_every_worked_example():
    from backprop_cli.gradcheck import check

    for name in examples.names():
        problem = load(examples.path(name))
        if problem.rule == "backprop":  # the perceptron rule has no gradient to check
            assert check(problem).ok, name


def test_gradcheck_catches_a_wrong_gradient(monkeypatch):
    from backprop_cli import gradcheck

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
