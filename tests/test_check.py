"""backprop check: verdicts, the usual mistakes named and traced, error carried forward, a class's gradebook."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import MAZUR, graded, run

from backprop_cli import engine, examples, load, loads
from backprop_cli.teaching.answers import decimals
from backprop_cli.teaching.check import grade

# ----------------------------------------------------------------------------- check: right answers


def test_decimals_as_written():
    assert [decimals(t) for t in ("0.5933", "12", "4.386e-4", "-0.0411", "1.5E2")] == [4, 0, 7, 4, 0]


@pytest.mark.parametrize("d", range(3, 10))
def test_correct_answers_at_3_to_9_significant_figures_pass(d):
    s = engine.run(MAZUR).epochs[0].steps[0]
    values = {
        "net_h1": s.forward[0].z[0, 0],
        "out_o2": s.forward[1].a[0, 1],
        "L": s.loss,
        "δ_h2": s.backward[1].delta[0, 1],
        "∂L/∂w3": s.backward[1].dL_dW[1, 0],
        "Δw6": s.update[1].W_change[0, 1],
        "w8⁺": s.update[1].W[1, 1],
    }
    text = "\n".join(f"{k}: {v:#.{d}g}" for k, v in values.items())
    assert all(r.right for r in graded(text).values()), text


def test_every_name_the_solution_prints_is_understood():
    text = (
        "net_h1: 0.3775\nout_h1: 0.5933\nL_o1: 0.2748\nL: 0.2984\nloss_after: 0.2910\n"
        "∂L/∂out_o1: 0.7414\n∂out_o1/∂net_o1: 0.1868\nδ_o1: 0.1385\ndelta_h1: 0.00877\n"
        "∂L/∂w5: 0.0822\ndL_dw1: 0.000439\n∂L/∂b3: 0.1385\n∂L/∂x1: 0.00380\nΔw5: -0.0411\nw5⁺: 0.3589\n"
        "b1⁺: 0.35\n"
    )
    results = graded(text)
    assert len(results) == 16 and all(r.right for r in results.values()), [n for n, r in results.items() if not r.right]
    for spelling in ("w5+", "w5_new"):  # other spellings of w5⁺: each one alone (together they are duplicates)
        assert graded(f"{spelling}: 0.3589\n")[spelling].right


def test_textbook_and_trace_spellings_of_the_names():
    results = graded("E_total: 0.298371109\nE_o1: 0.274811083\nz_h1: 0.3775\na_o2: 0.7729\nw5: 0.4\nb2: 0.35\n")
    assert len(results) == 6 and all(r.right for r in results.values())
    r = graded("w5: 0.3589")["w5"]  # w5 is the given weight; the updated one is w5⁺
    assert not r.right and "after the update" in r.mistakes[0]


# The loss called E (Mitchell, Han & Kamber, Negnevitsky; Mazur's ∂E_total/∂w5): each spelling is its ∂L/∂ twin.
E_SPELLINGS = [
    ("dE/dw5", "∂L/∂w5"),
    ("∂E/∂w5", "∂L/∂w5"),
    ("dE_total/dw5", "∂L/∂w5"),
    ("∂E_total/∂w5", "∂L/∂w5"),
    ("dEtotal_dw5", "∂L/∂w5"),
    ("dE_dw1", "dL_dw1"),
    ("∂E/∂b3", "∂L/∂b3"),
    ("∂E_total/∂out_o1", "∂L/∂out_o1"),
    ("dE_total_dout_o2", "∂L/∂out_o2"),
    ("∂E/∂x1", "∂L/∂x1"),
    ("Etotal", "L"),
    ("∂E/∂w5@u1", "∂L/∂w5"),
]


@pytest.mark.parametrize("spelling,twin", E_SPELLINGS)
def test_the_loss_called_e_is_read_as_l(spelling, twin):
    from backprop_cli.teaching.answer_names import AnswerNames

    names = AnswerNames(MAZUR)
    assert names.by_name(spelling) == names.by_name(twin) and not isinstance(names.by_name(twin), str)


def test_answers_written_with_e_are_graded_as_those_written_with_l():
    s = engine.run(MAZUR).epochs[0].steps[0]
    right = {
        "∂E_total/∂w5": s.backward[0].dL_dW[0, 0],
        "dE/dw1": s.backward[1].dL_dW[0, 0],
        "∂E_total/∂out_o1": s.backward[0].dL_da[0, 0],
        "∂E_total/∂net_o1": s.backward[0].delta[0, 0],  # Mazur: δ_o1 = ∂E_total/∂net_o1 (δ = ∂L/∂net here)
        "dEtotal_dw6": s.backward[0].dL_dW[0, 1],
    }
    text = "".join(f"{k}: {v:.6g}\n" for k, v in right.items()) + "∂E/∂w8: 0.5\n"
    results = graded(text)
    assert [r.verdict for r in results.values()] == ["right"] * 5 + ["WRONG"]
    assert results["∂E/∂w8"].expected == pytest.approx(s.backward[0].dL_dW[1, 1], rel=1e-12)


def test_the_loss_called_e_in_a_book_with_global_names():
    """Han & Kamber, Ex. 9.1 (preset han_kamber: units 1..6, w46, θ6, O6, Err6 = −∂E/∂I6)."""
    from backprop_cli.teaching.answer_names import AnswerNames

    problem = load(examples.path("textbook-han-kamber-9-1"))
    names = AnswerNames(problem)
    assert names.by_name("∂E/∂w46") == names.by_name("dL_dw46") != names.by_name("dL_dw56")
    assert names.by_name("dE_dθ6") == names.by_name("∂L/∂θ6") and names.by_name("∂E/∂O6").kind == "dL_da"
    # ∂E/∂I6 is −Err6 under the error signal: not the same quantity, so not read as it, and the report says why
    for spelling in ("∂E/∂I6", "∂E/∂net6"):
        assert names.by_name(spelling) == f"{spelling} is −Err6 here (the error term is −∂E/∂net): write Err6"
    results = graded("∂E/∂I6: -0.1312\nErr6: 0.1312\n", problem)  # the book prints 0.1311 (see its notes)
    assert results["∂E/∂I6"].verdict == "unknown" and "write Err6" in results["∂E/∂I6"].mistakes[0]
    assert results["Err6"].verdict == "right"


@pytest.mark.parametrize("spelling", ["∂E/∂w55", "dE/dh1", "∂F/∂w5", "dEE_dw5", "∂E_o1/∂w5", "dE_total/dy1"])
def test_a_name_with_e_that_names_nothing_is_still_unknown(spelling):
    assert graded(f"{spelling}: 0.08\n")[spelling].verdict == "unknown"


def test_suggestions_are_written_in_the_pages_letter():
    problem = loads(Path(examples.path("mazur-2-2-2")).read_text() + "conventions: {preset: mazur}\n")
    assert "did you mean ∂E/∂w5" in graded("∂E/∂w55: 0.08\n", problem)["∂E/∂w55"].mistakes[0]
    assert "did you mean ∂L/∂w5" in graded("∂L/∂w55: 0.08\n")["∂L/∂w55"].mistakes[0]


def test_answers_as_a_partial_trace():
    t = json.loads(run("solve", "--format", "json").stdout)
    step = t["epochs"][0]["steps"][0]
    answers = {
        "epochs": [
            {
                "steps": [
                    {
                        "forward": [{"layer": 2, "a": [[round(v, 5) for v in step["forward"][1]["a"][0]]]}],
                        "update": [{"layer": 2, "W": [[0.35891648, 0.408666186], [0.5113, 0.5614]]}],
                    }
                ],
                "loss_after": 0.291027774,
            }
        ]
    }
    results = grade(MAZUR, json.dumps(answers), "answers.json")
    assert len(results) == 7 and all(r.right for r in results)


# ----------------------------------------------------------------------------- the classic mistakes, computed by hand

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
    assert graded("out_h1: 0.593")["out_h1"].right  # 0.5933 rounds to 0.593 at the three decimals written
    assert not graded("out_h1: 0.592")["out_h1"].right
    assert graded("out_h1: 0.592", tolerance=0.01)["out_h1"].right


def test_check_command_output_and_exit_status(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\nout_o1: 0.751\n")
    good = run("check", "mazur-2-2-2", "a.yaml", cwd=tmp_path)
    assert good.returncode == 0 and "2 of 2 right" in good.stdout
    (tmp_path / "b.yaml").write_text("net_h1: 0.0275\nout_o1: 0.7514\n")
    bad = run("check", "mazur-2-2-2", "b.yaml", "--format", "json", cwd=tmp_path)
    report = json.loads(bad.stdout)
    assert bad.returncode == 1 and report["wrong"] == 1 and report["right"] == 1
    wrong = [c for c in report["checked"] if not c["right"]][0]
    assert wrong["name"] == "net_h1" and wrong["expected"] == pytest.approx(0.3775) and "bias" in wrong["mistakes"][0]


def test_an_unknown_name_is_reported_with_its_line_and_the_rest_graded(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\nnet_h9: 1\nout_h1: 0.5933\nouth1: 0.5\n")
    r = run("check", "mazur-2-2-2", "a.yaml", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == ""
    assert "unknown  net_h9 = 1   (line 2: a name the worked solution does not print" in r.stdout
    assert "(line 4: a name the worked solution does not print (did you mean out_h1" in r.stdout
    assert "right    out_h1 = 0.5933" in r.stdout and "2 of 2 right, 2 unknown names" in r.stdout


# ----------------------------------------------------------------------------- honest verdicts (issue 14)

EXERCISE = loads(run("new", "--layers", "2-2-1", "--seed", "7").stdout)  # the exercise of docs/teaching.md


@pytest.mark.parametrize("answer", ["w5⁺: 0", "out_o1: 1", "∂L/∂w5: 0.0", "out_o1: 0.6", "w5⁺: 0.22", "∂L/∂w5: -0"])
def test_lazy_answers_are_never_right(answer):
    r = next(iter(graded(answer, EXERCISE).values()))
    assert r.verdict == "imprecise" and "3 significant figures" in r.mistakes[0], r


@pytest.mark.parametrize("answer", ["w5⁺: 0", "out_o1: 1", "∂L/∂w5: 0.0", "out_o1: 1.00"])
def test_lazy_answers_are_not_right_with_min_decimals_either(answer):
    r = next(iter(graded(answer, EXERCISE, min_decimals=2).values()))
    assert not r.right


def test_min_decimals_replaces_the_significant_figures():
    assert graded("∂L/∂w5: -0.05", EXERCISE, min_decimals=2)["∂L/∂w5"].right  # -0.0466 to 2 decimals
    assert graded("∂L/∂w5: -0.047", EXERCISE, min_decimals=3)["∂L/∂w5"].right
    assert graded("∂L/∂w5: -0.047", EXERCISE, min_decimals=4)["∂L/∂w5"].verdict == "imprecise"


def test_an_exact_answer_is_right_whatever_its_digits():
    assert graded("w5: 0.2\nb1: -0.9", EXERCISE)["w5"].right  # the givens, as written
    assert graded("net_h1: -0.23", EXERCISE)["net_h1"].right  # -0.5·(-0.5) + 0.7·... is exactly -0.23


def test_a_decimal_comma_gets_its_line_and_a_hint(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: -0.23\nout_o1: 0,5704\n")
    r = run("check", str(tmp_path / "a.yaml"), str(tmp_path / "a.yaml"), cwd=tmp_path)  # not a problem: an error
    assert r.returncode == 2
    r = run("check", "-", "a.yaml", cwd=tmp_path, stdin=run("new", "--layers", "2-2-1", "--seed", "7").stdout)
    assert r.returncode == 1 and "unreadable  out_o1 = 0,5704   (line 2: a decimal comma: write 0.5704)" in r.stdout


def test_errors_come_out_as_json_with_format_json(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: [1\n")
    r = run("check", "mazur-2-2-2", "a.yaml", "--format", "json", cwd=tmp_path)
    error = json.loads(r.stdout)["errors"][0]
    assert r.returncode == 2 and error["line"] == 2 and "YAML" in error["found"] and "a.yaml" in r.stderr
    r = run("check", "no-such-problem", "a.yaml", "--format", "json", cwd=tmp_path)
    assert r.returncode == 2 and json.loads(r.stdout)["errors"][0]["file"] == "no-such-problem"


# ----------------------------------------------------------------------------- error carried forward, by hand


def sigma(z):
    return 1 / (1 + math.exp(-z))


def test_an_early_slip_carries_forward():
    """net_h1 = 0.3875 (a slip; 0.3775 is right), then everything computed from it, by hand."""
    out_h1 = sigma(0.3875)
    out_h2 = sigma(0.25 * 0.05 + 0.30 * 0.10 + 0.35)
    net_o1 = 0.40 * out_h1 + 0.45 * out_h2 + 0.60
    out_o1 = sigma(net_o1)
    delta_o1 = (out_o1 - 0.01) * out_o1 * (1 - out_o1)
    text = (
        f"net_h1: 0.3875\nnet_h2: {0.25 * 0.05 + 0.30 * 0.10 + 0.35:.6f}\nout_h1: {out_h1:.6f}\n"
        f"net_o1: {net_o1:.6f}\nout_o1: {out_o1:.6f}\nδ_o1: {delta_o1:.6f}\n∂L/∂w5: {delta_o1 * out_h1:.6f}\n"
        f"w5⁺: {0.40 - 0.5 * delta_o1 * out_h1:.6f}\n"
    )
    results = graded(text)
    assert results["net_h1"].verdict == "WRONG" and results["net_h2"].right
    for name in ("out_h1", "net_o1", "out_o1", "δ_o1", "∂L/∂w5", "w5⁺"):
        r = results[name]
        assert r.verdict == "CARRIED" and abs(r.carried - float(r.answer.text)) < 1e-6, (name, r)


def test_carried_across_updates_and_a_wrong_carried_value_is_wrong():
    problem = loads(STOCHASTIC)
    step1 = engine.run(problem).epochs[0].steps[0]
    slip = step1.update[1].W[0, 0] + 0.01  # w5⁺ of update 1, off by 0.01
    W = [u.W.copy() for u in step1.update]
    W[1][0, 0] = slip
    b = [u.b for u in step1.update]
    again = engine.run(problem.with_parameters(W, b)._replace(X=problem.X[1:], Y=problem.Y[1:])).epochs[0].steps[0]
    text = f"w5⁺: {slip:.6f}\nw5⁺@u2: {again.update[1].W[0, 0]:.6f}\nw6⁺@u2: {again.update[1].W[0, 1] + 0.001:.6f}\n"
    results = graded(text, problem)
    assert results["w5⁺"].verdict == "WRONG" and results["w5⁺@u2"].verdict == "CARRIED"
    assert results["w6⁺@u2"].verdict == "WRONG"


# ----------------------------------------------------------------------------- mistakes traced downstream

d_o2 = (0.7729284653214625 - 0.99) * 0.7729284653214625 * (1 - 0.7729284653214625)
wrong_delta_h1 = (0.35891648 * d_o1 + 0.51130127 * d_o2) * s_h1  # with the already-updated w5⁺, w7⁺


def test_a_mistake_is_named_on_everything_downstream():
    text = f"∂L/∂w1: {wrong_delta_h1 * 0.05:.9f}\nw1⁺: {0.15 - 0.5 * wrong_delta_h1 * 0.05:.9f}\n"
    results = graded(text)
    assert results["∂L/∂w1"].verdict == "WRONG" and results["w1⁺"].verdict == "CARRIED"  # w1⁺ follows from ∂L/∂w1
    for r in results.values():
        assert any("already-updated weights (in ∂L/∂out of layer h)" in m for m in r.mistakes), r


def test_a_mistake_is_named_downstream_in_a_partial_trace():
    answers = {
        "epochs": [
            {
                "steps": [
                    {
                        "backward": [{"layer": 1, "dL_dW": [[round(wrong_delta_h1 * 0.05, 9)]]}],
                        "update": [{"layer": 1, "W": [[round(0.15 - 0.5 * wrong_delta_h1 * 0.05, 9)]]}],
                    }
                ]
            }
        ]
    }
    results = grade(MAZUR, json.dumps(answers), "answers.json")
    assert len(results) == 2
    assert all(any("already-updated weights" in m for m in r.mistakes) for r in results), results


def test_a_mistake_is_named_in_a_later_update_and_epoch():
    problem = loads(STOCHASTIC)
    trace = engine.run(problem)
    for e, s in ((0, 1), (1, 0), (1, 1)):
        st = trace.epochs[e].steps[s]
        missing_eta = st.update[1].W_before[0, 0] - st.backward[0].dL_dW[0, 0]
        name = f"w5⁺@e{e + 1}.u{s + 1}"
        r = graded(f"{name}: {missing_eta:.6f}", problem)[name]
        assert not r.right and "the learning rate is missing" in r.mistakes, r


STOCHASTIC = """
layers:
  - {name: h, activation: sigmoid, weights: [[0.15, 0.2], [0.25, 0.3]], bias: 0.35}
  - {name: o, activation: sigmoid, weights: [[0.4, 0.45], [0.5, 0.55]], bias: 0.6}
inputs: [[0.05, 0.1], [0.2, -0.3]]
targets: [[0.01, 0.99], [0.5, 0.2]]
update: stochastic
epochs: 2
learning_rate: 0.5
"""


def test_names_of_later_updates_and_epochs():
    problem = loads(STOCHASTIC)
    trace = engine.run(problem)
    e2u2 = trace.epochs[1].steps[1]
    text = (
        f"w5⁺@u2: {trace.epochs[0].steps[1].update[1].W[0, 0]:.6f}\n"
        f"net_h1@e2.u2: {e2u2.forward[0].z[0, 0]:.6f}\nL@e2.u2: {e2u2.loss:.6f}\n"
        f"loss_after@e2: {trace.epochs[1].loss_after:.6f}\n"
        f"w5@e2: {trace.epochs[1].steps[0].update[1].W_before[0, 0]:.6f}\n"
    )
    results = graded(text, problem)
    assert len(results) == 5 and all(r.right for r in results.values()), results
    for name, why in (
        ("w5⁺@2", "write w5⁺@u2"),
        ("net_h1@3", "example 3, but update 1 has 1 example"),
        ("net_h1@e3", "epoch 3, but the problem trains 2 epochs"),
        ("net_h1@x", "the suffix @x"),
    ):
        r = graded(f"{name}: 0.5", problem)[name]
        assert r.verdict == "unknown" and why in r.mistakes[0], r


def test_example_suffix_keeps_its_meaning():
    two = MAZUR._replace(X=np.vstack([MAZUR.X, [[0.2, -0.3]]]), Y=np.vstack([MAZUR.Y, [[0.5, 0.2]]]))
    z = engine.run(two).epochs[0].steps[0].forward[0].z
    results = graded(f"net_h1@2: {z[1, 0]:.6f}\nnet_h1@1: {z[0, 0]:.6f}\n", two)
    assert all(r.right for r in results.values())


def test_the_replay_without_answers_is_the_trace_bit_for_bit():
    from backprop_cli.teaching.replay import Replay, truth

    for name in examples.names():
        problem = load(examples.path(name))
        if problem.rule != "backprop":
            continue  # the perceptron rule has no backward pass to replay
        problem = problem.with_epochs(min(problem.epochs, 2))
        true = truth(engine.run(problem))
        replayed = Replay(problem).run((problem.epochs - 1, len(problem.batches()) - 1))
        assert true.keys() == replayed.keys(), name
        assert all(np.array_equal(true[k], replayed[k]) for k in true), name


# ----------------------------------------------------------------------------- answer files, a class, a gradebook


def test_answers_as_csv_json_and_stdin(tmp_path):
    (tmp_path / "a.csv").write_text("name,value\nnet_h1,0.3775\nw5⁺,0.3589\n")
    (tmp_path / "a.json").write_text('{"net_h1": 0.3775, "w5+": 0.3589}')
    (tmp_path / "b.csv").write_text("net_h1;0,3775\n")
    for name in ("a.csv", "a.json"):
        r = run("check", "mazur-2-2-2", name, cwd=tmp_path)
        assert r.returncode == 0 and "2 of 2 right" in r.stdout, r.stdout
    r = run("check", "mazur-2-2-2", "-", stdin="net_h1: 0.3775\n")
    assert r.returncode == 0 and "1 of 1 right" in r.stdout
    r = run("check", "mazur-2-2-2", "b.csv", cwd=tmp_path)
    assert r.returncode == 1 and "line 1: a decimal comma: write 0.3775" in r.stdout


def test_a_folder_of_thirty_answer_files_some_malformed_gives_thirty_rows(tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    for k in range(30):
        text = [
            "net_h1: 0.3775\nout_h1: 0.5933\n",
            "net_h1: 0.3875\nout_h1: 0.5957\n",
            "net_h1: [0.3\n",
            "\x00\x01\x02",
            "- just a list\n",
            "net_h1: 0.3775\n",
        ][k % 6]
        (folder / f"s{k:02}.yaml").write_bytes(text.encode())
    (tmp_path / "points.yaml").write_text("net_h1: 2\nforward: 1\ncarried: 0.5\n")
    r = run("check", "mazur-2-2-2", "answers", "--format", "csv", "--points", "points.yaml", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert (
        r.returncode == 1
        and len(rows) == 30
        and rows[0].keys() >= {"file", "right", "carried", "wrong", "imprecise", "missing", "points", "total"}
    )
    by = {Path(row["file"]).stem: row for row in rows}
    assert (
        by["s00"]["right"] == "2" and by["s00"]["points"] == "3" and by["s00"]["total"] == "3"
    )  # net_h1: 2, forward: 1
    assert by["s01"]["wrong"] == "1" and by["s01"]["carried"] == "1" and by["s01"]["points"] == "0.5"
    assert by["s05"]["missing"] == "1" and by["s05"]["points"] == "2"  # out_h1, answered by the class, is missing
    for bad in ("s02", "s03", "s04"):  # not graded: 0 of the class's total, everything missing, and why
        assert by[bad]["error"] and by[bad]["right"] == "0", by[bad]
        assert (by[bad]["points"], by[bad]["total"], by[bad]["missing"]) == ("0", "3", "2"), by[bad]
    j = json.loads(run("check", "mazur-2-2-2", "answers", "--format", "json", cwd=tmp_path).stdout)
    assert len(j["files"]) == 30 and j["files"][2]["errors"][0]["line"] == 2
    assert (j["files"][2]["points"], j["files"][2]["total"], j["files"][2]["missing"]) == (0, 2, 2)


def test_the_json_of_a_class_has_one_shape_whatever_its_size(tmp_path):
    """A folder (even of one file) or several files: {"files": [...]}; one file named alone: its object."""
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.yaml").write_text("net_h1: 0.3775\n")
    (tmp_path / "bo.yaml").write_text("net_h1: 0.3775\n")
    shapes = {
        args: sorted(json.loads(run("check", "mazur-2-2-2", *args, "--format", "json", cwd=tmp_path).stdout))
        for args in (("class",), ("bo.yaml",), ("bo.yaml", "class/ann.yaml"))
    }
    assert shapes[("class",)] == shapes[("bo.yaml", "class/ann.yaml")] == ["files"]
    assert "right" in shapes[("bo.yaml",)] and "files" not in shapes[("bo.yaml",)]


def test_an_empty_folder_of_answers_is_an_error_not_an_empty_pass(tmp_path):
    (tmp_path / "class").mkdir()
    r = run("check", "mazur-2-2-2", "class", cwd=tmp_path)
    assert r.returncode == 2 and "no answer files" in r.stderr and "Traceback" not in r.stderr


def test_points_with_names_count_missing_answers(tmp_path):
    (tmp_path / "p.yaml").write_text("net_h1: 1\nw5⁺: 3\nδ_o1: 2\ncarried: 0.5\n")
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\nw5+: 0.3589\n")
    r = run("check", "mazur-2-2-2", "a.yaml", "--points", "p.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "2 of 2 right, 1 missing; 4 of 6 points" in r.stdout
    (tmp_path / "q.yaml").write_text("net_h9: 1\n")
    r = run("check", "mazur-2-2-2", "a.yaml", "--points", "q.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "q.yaml:1:1: net_h9" in r.stderr


def test_per_student_variants_are_graded_against_their_own_problem(tmp_path):
    (tmp_path / "roster.csv").write_text("student_id,name\nann,Ann\nbo,Bo\n")
    assert (
        run("new", "--layers", "2-2-1", "--roster", "roster.csv", "--output-dir", "problems", cwd=tmp_path).returncode
        == 0
    )
    (tmp_path / "answers").mkdir()
    for student in ("ann", "bo"):
        z = engine.run(load(tmp_path / "problems" / f"{student}.yaml")).epochs[0].steps[0].forward[0].z[0, 0]
        (tmp_path / "answers" / f"{student}.yaml").write_text(f"net_h1: {z:.6f}\n")
    (tmp_path / "answers" / "cy.yaml").write_text("net_h1: 0.5\n")
    r = run("check", "problems", "answers", "--format", "csv", cwd=tmp_path)
    rows = {Path(row["file"]).stem: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert rows["ann"]["right"] == "1" and rows["bo"]["right"] == "1" and "no problem" in rows["cy"]["error"]


def test_the_class_loop_of_the_teaching_page_runs_and_prints_what_it_shows(tmp_path):
    """docs/teaching.md's loop (a `for`, which test_docs does not run) and the gradebook and report it shows."""
    import os
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "teaching.md").read_text()
    for name, content in re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, re.S):
        (tmp_path / name).write_text(content)
    loop = re.search(r"<!-- class loop -->\n```sh\n(.*?)```", text, re.S).group(1)
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    r = subprocess.run(["bash", "-c", loop], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert {p.name for p in (tmp_path / "problems").iterdir()} >= {
        "ann.yaml",
        "ann-sheet.tex",
        "ann-key.tex",
        "cy-key.tex",
    }
    shown = re.search(r"give this gradebook:\n\n```text\n(.*?)```", text, re.S).group(1)
    assert (tmp_path / "gradebook.csv").read_text() == shown
    shown = re.search(r"backprop check problems/bo\.yaml bo\.csv.*?```text\n(.*?)```", text, re.S).group(1)
    assert run("check", "problems/bo.yaml", "bo.csv", cwd=tmp_path).stdout == shown


def test_a_whole_trace_as_answers_is_all_right_and_its_nulls_are_no_answers():
    for name in ("sigmoid-4-3-1-no-bias", "momentum", "softmax-3-class"):
        t = run("solve", name, "--format", "json").stdout
        results = grade(load(examples.path(name)), t, "trace.json")
        assert results and all(r.right for r in results), [r for r in results if not r.right][:3]


def test_fewer_figures_are_right_when_the_figures_left_out_are_zeros():
    """4.9 for 4.9000000001 loses nothing at 3 significant figures; 0.6 for 0.6059 does; a lazy 0 or 1 never
    passes on figures alone."""
    from backprop_cli.teaching.answers import Precision, scalar

    def read_number(text):
        return scalar(text, 1)

    p = Precision()
    assert p.judge(read_number("4.9"), 4.9000000001) == "right"
    assert p.judge(read_number("-0.1"), -0.09999999989999964) == "right"
    assert p.judge(read_number("0.6"), 0.6059) == "imprecise"
    assert p.judge(read_number("1"), 0.99995) == "imprecise"
    assert p.judge(read_number("0"), 1.256e-8) == "imprecise"
    assert p.judge(read_number("0.62"), 0.6059) is None


def test_a_zero_written_to_four_decimals_is_right_for_a_value_far_below_them():
    """Adam's first step from w = 0.1 leaves 3.4e−9 (ε = 1e−8): 0.0000 is that value at any precision a hand
    calculation keeps. 0.0000 for a gradient of 4e−5 loses its figures; a bare 0 or 0.00 is still lazy."""
    from backprop_cli.teaching.answers import Precision, scalar

    p, q = Precision(), Precision(min_decimals=4)
    assert p.judge(scalar("0.0000", 1), 3.424e-9) == q.judge(scalar("0.0000", 1), 3.424e-9) == "right"
    assert p.judge(scalar("-0.00000", 1), -4.811e-9) == "right"
    assert p.judge(scalar("0.0000", 1), 4e-5) == q.judge(scalar("0.0000", 1), 4e-5) == "imprecise"
    assert p.judge(scalar("0.00", 1), 3.424e-9) == "imprecise" and p.judge(scalar("0", 1), 3.424e-9) == "imprecise"


def test_one_quantity_under_two_spellings_is_graded_once():
    """∂E/∂w5, dE/dw5 and dL/dw5 name one quantity: the first is graded, the others are duplicates (a
    contradictory pair must not score the point)."""
    from backprop_cli import examples, validate
    from backprop_cli.teaching.check import grade

    answers = '"∂E/∂w5": 0.0822\n"dE/dw5": 0.5\n"dL/dw5": 0.0822\n'
    results = grade(validate.load(examples.file("mazur-2-2-2")), answers, "answers.yaml")
    assert [r.verdict for r in results if r.name == "∂E/∂w5"] == ["right"]
    duplicates = [r for r in results if r.verdict == "duplicate"]
    assert sorted(r.name for r in duplicates) == ["dE/dw5", "dL/dw5"]
    assert all("∂E/∂w5" in r.mistakes[0] for r in duplicates)


def test_a_value_of_another_update_says_which_and_how_to_name_it():
    """m_w1 = 1.88 is Adam's first moment at the second step (β₁·1 + 0.1·g₂ by hand); asked for the first, it
    is WRONG, and the report says where it belongs: m_w1@e2."""
    from backprop_cli import examples, validate
    from backprop_cli.teaching.check import grade

    results = grade(validate.load(examples.file("optimizer-adam")), "m_w1: 1.88\n", "answers.yaml")
    (r,) = results
    assert r.verdict == "WRONG" and r.expected == pytest.approx(1.0)
    assert r.mistakes == ["it is the value at epoch 2: for that one, write m_w1@e2"]
    again = grade(validate.load(examples.file("optimizer-adam")), "m_w1@e2: 1.88\n", "answers.yaml")
    assert again[0].right


def test_the_outputs_read_as_the_page_writes_them_y_hat():
    """The page says "where ŷ is the output of o": ŷ1, ŷ_1 and yhat2 are out_o1 and out_o2 (Mazur: 0.75136507,
    0.772928465); ŷ3 names nothing in a 2-output network."""
    g = graded("ŷ1: 0.7514\nŷ_1: 0.7514\nyhat2: 0.7729\nŷ3: 0.5\n")
    assert g["ŷ1"].verdict == "right" and g["ŷ_1"].verdict == "duplicate" and g["yhat2"].verdict == "right"
    assert g["ŷ3"].verdict == "unknown"


@pytest.mark.parametrize(
    "name,suggested",
    [("deltah2", "δ_h2"), ("o2", "out_o2 or net_o2"), ("outh1", "out_h1"), ("dEdw5", "∂L/∂w5")],
)
def test_suggestions_compare_names_as_spelt_in_letters(name, suggested):
    r = graded(f"{name}: 0.1\n")[name]
    assert r.verdict == "unknown" and f"did you mean {suggested}" in r.mistakes[0], r.mistakes


def test_the_updated_weights_mistake_is_named_where_it_is_made_and_carried_values_do_not_contradict():
    """A hidden ∂L/∂out computed with w⁺ (Mazur: w5⁺·δ_o1 + w7⁺·δ_o2 = 0.35891648·0.138498562 +
    0.51130127·(−0.0380982365) = 0.03023) is named on ∂L/∂out_h1 itself, where the mistake is made, not first on
    δ_h1 below it."""
    from backprop_cli.teaching.report import _carried

    wrong = 0.35891648 * 0.138498562 + 0.51130127 * -0.0380982365
    results = graded(f"∂L/∂out_h1: {wrong:.5f}\nδ_h1: {wrong * 0.241300709:.6f}\n")
    assert results["∂L/∂out_h1"].verdict == "WRONG"
    assert "the hidden δ uses the already-updated weights" in results["∂L/∂out_h1"].mistakes
    carried = results["δ_h1"]
    assert carried.verdict == "CARRIED" and float(_carried(carried)) == pytest.approx(carried.carried, abs=5e-5)


def test_mazurs_per_output_spellings_are_read():
    """Mazur writes ∂E_o1/∂out_o1 = −(target_o1 − out_o1) = 0.74136507 and ∂E_total/∂net_o1 = 0.138498562: an
    output's own term by its own output (or net input) is the total's; another unit's is no name of the page."""
    g = graded("∂E_o1/∂out_o1: 0.74136507\n∂E_o1/∂net_o1: 0.138498562\ndE_o2/dout_o2: -0.217071535\n∂E_o2/∂out_h1: 1\n")
    assert [g[k].verdict for k in g] == ["right", "right", "right", "unknown"]


def test_a_file_named_twice_or_also_in_its_folder_is_graded_once(tmp_path):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ann.yaml").write_text("net_h1: 0.3775\n")
    (tmp_path / "class" / "bo.yaml").write_text("net_h1: 0.3775\n")
    r = run("check", "mazur-2-2-2", "class/ann.yaml", "class", "--format", "json", cwd=tmp_path)
    assert [Path(f["file"]).name for f in json.loads(r.stdout)["files"]] == ["ann.yaml", "bo.yaml"]
