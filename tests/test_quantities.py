"""--format csv and .quantities(): every row's value is the trace's, and its formula is the rule the run used."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from click.testing import CliRunner

from backprop_cli import engine, examples, validate
from backprop_cli.cli import main
from backprop_cli.render.quantities import rows


def _csv(*args) -> list[dict]:
    out = CliRunner().invoke(main, ["solve", *args, "--format", "csv"])
    assert out.exit_code == 0, out.output
    return list(csv.DictReader(io.StringIO(out.output)))


def test_the_perceptron_rule_has_its_error_and_its_update_not_a_gradient():
    table = _csv("perceptron-and")
    kinds = {r["kind"] for r in table}
    assert "error" in kinds and not kinds & {"dL_dx", "dL_dw", "delta"}
    assert {r["formula"] for r in table if r["kind"] == "delta_w" and r["name"] == "Δw1"} == {"η·e_y1·x1"}
    assert {r["formula"] for r in table if r["kind"] == "delta_b"} == {"−η·e_y1"}  # θ sits on a constant −1
    assert {r["formula"] for r in table if r["kind"] == "net"} == {"w1·x1 + w2·x2 − θ1"}
    trace = engine.run(validate.load(examples.file("perceptron-and")))
    errors = [float(r["value"]) for r in table if r["kind"] == "error"]
    assert errors == [float(s.e[0, 0]) for e in trace.epochs for s in e.steps]


@pytest.mark.parametrize("name", ["optimizer-adam", "optimizer-adamw", "optimizer-rmsprop", "optimizer-adagrad"])
def test_each_value_of_an_optimizer_step_is_a_row_with_the_tables_formula(name):
    trace = engine.run(validate.load(examples.file(name)))
    table = rows(trace)
    opt = trace.problem.optimizer
    first = trace.epochs[0].steps[0].update[0]
    for line in opt.shown_lines({**trace.problem.hp, "first_step": True}):
        if line.result == "change":
            continue
        found = [r for r in table if r["kind"] == f"{line.result}_w" and r["epoch"] == 1 and r["update"] == 1]
        assert found, line.result
        assert found[0]["value"] == float(np.asarray(first.shown_W[line.result]).flat[0])
    change = next(r for r in table if r["kind"] == "delta_w")
    assert change["formula"] != "−η·∂L/∂w1" and "η" in change["formula"]


def test_plain_sgd_writes_the_gradient_by_its_name():
    table = _csv("mazur-2-2-2")
    assert next(r for r in table if r["kind"] == "delta_w")["formula"] == "−η·∂L/∂w1"
    assert not any(r["kind"].startswith("g_decayed") for r in table)


def test_a_bug_is_one_line_and_status_70_never_a_traceback(monkeypatch):
    """Users never see a traceback: an exception of ours becomes one line naming it as backprop's bug."""
    import backprop_cli.render.csvrows as csvrows

    def broken(trace):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(csvrows, "rows", broken)
    monkeypatch.delenv("BACKPROP_DEBUG", raising=False)
    out = CliRunner().invoke(main, ["solve", "mazur-2-2-2", "--format", "csv"])
    assert out.exit_code == 70
    assert "Traceback" not in out.output
    lines = [line for line in out.output.splitlines() if line.startswith("backprop: internal error")]
    assert lines and "TypeError" in lines[0] and "not in your file" in lines[0]


@pytest.mark.parametrize(
    "command", ["solve", "step", "check", "new", "draw", "gradcheck", "worksheet", "examples", "schema"]
)
def test_help_of_every_command_is_status_0(command):
    out = CliRunner().invoke(main, [command, "--help"])
    assert out.exit_code == 0, out.output
    assert "internal error" not in out.output and "Usage:" in out.output


def test_a_dropout_layer_has_f_before_the_mask_the_mask_and_out_as_f_times_the_mask_over_1_minus_p():
    table = _csv("dropout-mazur")
    row = {(r["kind"], r["unit"]): r for r in table if r["epoch"] == "1" and r["update"] == "1" and r["layer"] == "1"}
    f, mask, out = (float(row[(k, "h1")]["value"]) for k in ("f_before_dropout", "mask", "out"))
    assert f == pytest.approx(0.593269992, abs=5e-10)  # Mazur's out_h1
    assert out == f * mask / (1 - 0.5) and row[("out", "h1")]["formula"] == "sigmoid(net_h1)·mask_h1/(1 − p)"
    df, slope = float(row[("df_before_dropout", "h1")]["value"]), float(row[("dout_dnet", "h1")]["value"])
    assert df == pytest.approx(f * (1 - f), rel=1e-12) and slope == df * mask / (1 - 0.5)
    assert float(row[("out", "h2")]["value"]) == 0.0 and float(row[("mask", "h2")]["value"]) == 0.0


def test_what_a_unit_receives_is_written_as_the_page_derives_it():
    """Mazur's ∂E/∂out_h1 = δ_o1·w5 + δ_o2·w7 = 0.036350306; the output's is out − y; ∂L/∂x sums δ·w too."""
    rows = {(r["kind"], r["unit"] or r["name"]): r for r in _csv("mazur-2-2-2") if r["epoch"] == "1"}
    h1 = rows[("dL_dout", "h1")]
    assert h1["formula"] == "δ_o1·w5 + δ_o2·w7" and float(h1["value"]) == pytest.approx(0.036350306, abs=5e-10)
    assert rows[("dL_dout", "o1")]["formula"] == "out_o1 − y1"
    assert rows[("dL_dx", "∂L/∂x1")]["formula"] == "δ_h1·w1 + δ_h2·w3"


def test_under_the_error_signal_convention_delta_is_minus_the_derivative():
    """Han & Kamber's Err6 is −∂L/∂I6, so what a hidden unit receives is −Σ Err·w."""
    rows = {(r["kind"], r["unit"]): r for r in _csv("textbook-han-kamber-9-1") if r["epoch"] == "1"}
    assert rows[("delta", "6")]["formula"] == "−∂L/∂I6"
    assert rows[("dL_dout", "4")]["formula"] == "−(Err6·w46)"
    err6, w46 = float(rows[("delta", "6")]["value"]), -0.3
    assert float(rows[("dL_dout", "4")]["value"]) == pytest.approx(-(err6 * w46), rel=1e-12)


def test_the_json_trace_carries_the_steps_derived_values_for_jq():
    """m̂ = m/(1 − β₁ᵗ) and v̂ = v/(1 − β₂ᵗ), from the trace's own state, under intermediates_W/_b; a v1 trace and
    plain SGD have none."""
    import json

    from backprop_cli.render.jsontrace import dumps, trace_dict

    trace = json.loads(dumps(trace_dict(engine.run(validate.load(examples.file("optimizer-adam"))))))
    update = trace["epochs"][0]["steps"][0]["update"][0]
    m, v, t = (np.array(update["state_W"][k]) for k in ("exp_avg", "exp_avg_sq", "step"))
    np.testing.assert_allclose(update["intermediates_W"]["m_hat"], m / (1 - 0.9**t), rtol=1e-12)
    np.testing.assert_allclose(update["intermediates_W"]["v_hat"], v / (1 - 0.999**t), rtol=1e-12)
    for plain in ("mazur-2-2-2", "momentum"):
        plain_trace = trace_dict(engine.run(validate.load(examples.file(plain))))
        assert all("intermediates_W" not in u for u in plain_trace["epochs"][0]["steps"][0]["update"])
