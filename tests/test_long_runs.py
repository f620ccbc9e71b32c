"""Long training runs as users meet them: NDJSON as it goes, --until-loss, --plot, Ctrl-C, the progress bar."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from backprop_cli import engine, examples, load

BACKPROP = [sys.executable, "-m", "backprop_cli"]


def backprop(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_ndjson_is_one_line_per_epoch_then_next_problem():
    r = backprop("step", "xor-2-2-1", "--epochs", "5", "--format", "ndjson")
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert r.returncode == 0 and len(lines) == 6
    assert [l["epoch"] for l in lines[:5]] == [1, 2, 3, 4, 5]
    assert all(set(l) == {"epoch", "loss", "loss_after"} for l in lines[:5])
    assert lines[-1]["format"] == "backprop-trace-end" and "next_problem" in lines[-1]
    whole = json.loads(backprop("step", "xor-2-2-1", "--epochs", "5", "--format", "json").stdout)
    assert [l["loss_after"] for l in lines[:5]] == [e["loss_after"] for e in whole["epochs"]]


def test_ndjson_chains_like_json():
    first = backprop("step", "momentum", "--epochs", "2", "--format", "ndjson").stdout
    chained = json.loads(backprop("step", "--epochs", "3", "--format", "json", stdin=first).stdout)
    direct = json.loads(backprop("step", "momentum", "--epochs", "5", "--format", "json").stdout)
    np.testing.assert_allclose(
        chained["next_problem"]["layers"][0]["weights"], direct["next_problem"]["layers"][0]["weights"], rtol=1e-13
    )


def test_ndjson_with_trace_carries_the_steps():
    lines = [
        json.loads(l)
        for l in backprop("step", "minibatch", "--epochs", "2", "--trace", "--format", "ndjson").stdout.splitlines()
    ]
    assert [len(l["steps"]) for l in lines[:2]] == [3, 3]


def test_until_loss_stops_at_the_first_epoch_at_or_below_it_and_says_so():
    r = backprop("step", "xor-2-2-1", "--epochs", "10000", "--until-loss", "0.01", "--format", "json")
    t = json.loads(r.stdout)
    losses = [e["loss_after"] for e in t["epochs"]]
    assert losses[-1] <= 0.01 < min(losses[:-1])
    assert "until-loss" in t["stopped"] and "until-loss" in r.stderr and r.returncode == 0


def test_plot_writes_an_svg_loss_curve(tmp_path):
    svg = tmp_path / "loss.svg"
    r = backprop("step", "xor-2-2-1", "--epochs", "300", "--plot", str(svg), "--format", "json")
    assert r.returncode == 0
    root = ET.fromstring(svg.read_text())
    assert root.tag.endswith("svg")
    line = root.find("{http://www.w3.org/2000/svg}polyline")
    assert line is not None and len(line.get("points").split()) == 301  # epoch 0 and 300 epochs


def test_plot_of_a_long_run_is_thinned_and_log_scaled(tmp_path):
    svg = tmp_path / "loss.svg"
    backprop("step", "xor-2-2-1", "--epochs", "6000", "--plot", str(svg), "--format", "json")
    root = ET.fromstring(svg.read_text())
    assert "log scale" in svg.read_text()
    assert len(root.find("{http://www.w3.org/2000/svg}polyline").get("points").split()) <= 2000


def test_plot_of_a_loss_that_reaches_zero_keeps_its_log_scale(tmp_path):
    svg = tmp_path / "loss.svg"
    backprop("step", "sigmoid-2-10-10-1", "--epochs", "40", "--plot", str(svg), "--format", "json")
    assert "log scale" in svg.read_text()


def test_ctrl_c_stops_cleanly_with_a_complete_trace():
    p = subprocess.Popen(
        [*BACKPROP, "step", "xor-2-2-1", "--epochs", "5000000", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130
    t = json.loads(out)
    assert t["stopped"].startswith("interrupted") and len(t["epochs"]) > 0 and "next_problem" in t
    assert "Traceback" not in err and "interrupted" in err and f"epoch {len(t['epochs'])}" in err


def test_a_stop_within_an_epoch_keeps_the_partial_epoch():
    problem = load(examples.path("minibatch")).with_epochs(3)
    asked = []

    def stop():
        asked.append(1)
        return "enough" if len(asked) == 4 else None  # asked before updates 2, 3 (epoch 1), 1, 2 (epoch 2)

    t = engine.run(problem, record=True, should_stop=stop)
    assert [(e.epoch, e.partial, len(e.steps)) for e in t.epochs] == [(1, False, 3), (2, True, 1)]
    assert t.stopped == "enough"
    assert t.epochs[-1].loss == pytest.approx(float(np.mean(t.epochs[-1].steps[0].losses)), rel=1e-15)


def test_no_progress_bar_on_a_pipe():
    r = backprop("step", "xor-2-2-1", "--epochs", "20000", "--format", "json")
    assert r.returncode == 0 and r.stderr == ""


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_bar_on_a_terminal_for_a_long_run(tmp_path):
    master, slave = os.openpty()
    p = subprocess.Popen(
        [*BACKPROP, "step", "xor-2-2-1", "--epochs", "150000", "--format", "json", "-o", str(tmp_path / "t.json")],
        stderr=slave,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    os.close(slave)
    buf = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
        elif p.poll() is not None:
            break
    assert p.wait(timeout=120) == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buf.decode(errors="replace"))
    assert re.search(r"training .*\d+/150000 epochs loss", screen)
