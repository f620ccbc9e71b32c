"""backprop new: exercises that can be worked by hand, and a variant per student of a roster."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from backprop_cli import engine, examples, load, loads
from backprop_cli.teaching.check import grade

BACKPROP = [sys.executable, "-m", "backprop_cli"]
MAZUR = load(examples.path("mazur-2-2-2"))


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def graded(text: str, problem=MAZUR, **kw):
    return {r.name: r for r in grade(problem, text, "answers.yaml", **kw)}


# ----------------------------------------------------------------------------- new


@pytest.mark.parametrize(
    "args",
    [
        ["--layers", "2-2-1"],
        ["--layers", "2-3-2", "--activation", "tanh", "--loss", "mse", "--seed", "4"],
        ["--layers", "3-2-3", "--loss", "cross_entropy", "--examples", "2", "--seed", "9"],
        ["--layers", "2-2-2-1", "--activation", "relu", "--seed", "2"],
    ],
)
def test_new_writes_an_exercise_that_solves(args):
    text = run("new", *args).stdout
    assert text == run("new", *args).stdout  # the same seed gives the same exercise
    problem = loads(text)
    step = engine.run(problem).epochs[0].steps[0]
    numbers = np.concatenate([np.ravel(l.W) for l in problem.layers] + [np.ravel(problem.X)])
    assert np.all(np.abs(numbers * 10 - np.round(numbers * 10)) < 1e-9) and np.all(
        numbers != 0
    )  # one decimal, no zeros
    for layer, fwd in zip(problem.layers, step.forward, strict=False):
        if layer.activation.name in ("sigmoid", "tanh"):
            assert np.max(np.abs(fwd.z)) <= 2.5
        if layer.activation.name == "relu":
            assert np.all(np.any(fwd.z > 0, axis=0))
    assert all(np.min(np.abs(r.dL_dW)) > 1e-3 for r in step.backward)
    assert run("solve", "-", "--format", "json", stdin=text).returncode == 0


def test_new_refuses_a_bad_layer_spec():
    r = run("new", "--layers", "2x2")
    assert r.returncode == 2 and "like 2-2-1" in r.stderr


def test_new_hidden_and_output_activations_and_output_file(tmp_path):
    r = run(
        "new",
        "--layers",
        "2-2-1",
        "--hidden-activation",
        "tanh",
        "--output-activation",
        "sigmoid",
        "-o",
        "e.yaml",
        cwd=tmp_path,
    )
    assert r.returncode == 0 and r.stdout == ""
    problem = load(tmp_path / "e.yaml")
    assert [l.activation.name for l in problem.layers] == ["tanh", "sigmoid"] and problem.loss.name == "half_sse"
    relu = loads(
        run(
            "new", "--layers", "3-4-1", "--hidden-activation", "relu", "--output-activation", "sigmoid", "--seed", "3"
        ).stdout
    )
    assert [l.activation.name for l in relu.layers] == ["relu", "sigmoid"]
    bad = run("new", "--layers", "2-2-2", "--loss", "cross_entropy", "--output-activation", "sigmoid")
    assert bad.returncode == 2 and "softmax" in bad.stderr


def test_roster_variants_are_reproducible_distinct_and_solvable(tmp_path):
    ids = [f"s{k:03}" for k in range(30)]
    (tmp_path / "roster.csv").write_text("Student ID,Name\n" + "".join(f"{i},Student {i}\n" for i in ids))
    for out in ("a", "b"):
        r = run("new", "--layers", "2-2-1", "--roster", "roster.csv", "--output-dir", out, cwd=tmp_path)
        assert r.returncode == 0 and "wrote 30 exercises" in r.stderr
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == [f"{i}.yaml" for i in ids]  # the header row is not a student
    texts = [(tmp_path / "a" / f).read_text() for f in files]
    assert texts == [(tmp_path / "b" / f).read_text() for f in files]  # the same roster, the same files
    bodies = {t.split("layers:", 1)[1] for t in texts}
    assert len(bodies) == 30  # distinct
    for student, text in zip(ids, texts, strict=False):
        problem = loads(text)
        assert student in problem.title
        step = engine.run(problem).epochs[0].steps[0]
        assert all(np.max(np.abs(f.z)) <= 2.5 for f in step.forward) and all(
            np.min(np.abs(r.dL_dW)) > 1e-3 for r in step.backward
        )
    other = run("new", "--layers", "2-2-1", "--roster", "roster.csv", "--output-dir", "c", "--seed", "1", cwd=tmp_path)
    assert other.returncode == 0 and (tmp_path / "c" / "s000.yaml").read_text() != texts[0]  # --seed gives another set


@pytest.mark.parametrize(
    "roster,message",
    [
        ("ann\n../etc/passwd\n", "the id '../etc/passwd'"),
        ("ann\nann\n", "a second time (first at line 1)"),
        ("id\n", "no student ids"),
    ],
)
def test_a_bad_roster_is_refused_with_its_line(tmp_path, roster, message):
    (tmp_path / "roster.csv").write_text(roster)
    r = run("new", "--layers", "2-2-1", "--roster", "roster.csv", "--output-dir", "out", cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and not (tmp_path / "out").exists()


def test_roster_and_output_dir_go_together():
    assert run("new", "--layers", "2-2-1", "--roster", "r.csv").returncode == 2


# ----------------------------------------------------------------------------- new with an optimizer, l2 and dropout

from backprop_cli.optimizers import OPTIMIZERS  # noqa: E402
from backprop_cli.teaching import gradcheck  # noqa: E402
from backprop_cli.teaching.exercise import new_problem  # noqa: E402


def one_decimal(values) -> bool:
    values = np.asarray(values, dtype=float)
    return bool(np.all(np.abs(values * 10 - np.round(values * 10)) < 1e-9))


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("extra", [{}, {"l2": 0.1}, {"dropout": 0.5, "examples": 2}, {"epochs": 2, "dropout": 0.25}])
def test_new_with_an_optimizer_works_by_hand_and_its_state_moves(optimizer, extra):
    extra = dict(extra)
    examples_ = extra.pop("examples", 1)
    text = new_problem([2, 2, 1], seed=5, examples=examples_, optimizer=optimizer, **extra)
    assert text == new_problem([2, 2, 1], seed=5, examples=examples_, optimizer=optimizer, **extra)  # reproducible
    problem = loads(text)
    assert problem.optimizer.name == optimizer and problem.l2 == extra.get("l2", 0.0)
    assert problem.epochs == extra.get("epochs", 1)
    assert all(one_decimal(l.W) and np.all(l.W != 0) for l in problem.layers) and one_decimal(problem.X)
    for key, value in OPTIMIZERS[optimizer].params.items():  # the β's, ε, α written out as usual
        if value.kind != "bool" and value.default not in (0, 0.0):
            assert f"{key}: " in text.split("optimizer:", 1)[1], key
    hidden = problem.layers[0]
    if "dropout" in extra:
        assert hidden.dropout == extra["dropout"] and hidden.masks.shape == (examples_, 2)
        assert set(np.unique(hidden.masks)) <= {0.0, 1.0} and np.all(hidden.masks.any(axis=1))
        assert not hidden.masks.all()  # something is dropped
        assert problem.layers[-1].dropout == 0
    trace = engine.run(problem)
    assert trace.stopped is None
    for epoch in trace.epochs:
        assert np.isfinite(epoch.loss) and np.isfinite(epoch.loss_after)
        for step in epoch.steps:
            for upd in step.update:
                assert upd.state_W, "the optimizer keeps state"
                for key, value in upd.state_W.items():
                    if key != "step":
                        assert np.all(np.isfinite(value))
                        assert not np.array_equal(value, (upd.state_W_before or {}).get(key)), key
    assert gradcheck.check(problem).ok


def test_new_with_an_optimizer_on_the_command_line():
    args = ["new", "--layers", "2-2-1", "--optimizer", "adam", "--l2", "0.1", "--dropout", "0.5", "--seed", "2"]
    r = run(*args)
    assert r.returncode == 0 and r.stdout == run(*args).stdout
    assert "optimizer: {name: adam, betas: [0.9, 0.999], eps: 1.0e-8}" in r.stdout
    assert "learning_rate: 0.1" in r.stdout and "l2: 0.1" in r.stdout and "masks: [[" in r.stdout
    assert r.stdout.startswith("# A new exercise: backprop new --layers 2-2-1")
    command = r.stdout.splitlines()[0].split(": ", 1)[1]
    assert run(*command.split()[1:]).stdout == r.stdout  # the header's command writes it again
    assert run("solve", "-", "--format", "json", stdin=r.stdout).returncode == 0


def test_new_sgd_gets_momentum_and_a_given_learning_rate_wins():
    text = run("new", "--layers", "2-2-1", "--optimizer", "sgd", "--learning-rate", "0.3", "--epochs", "2").stdout
    problem = loads(text)
    assert problem.momentum == 0.9 and problem.learning_rate == 0.3 and problem.epochs == 2
    assert "--learning-rate 0.3" in text.splitlines()[0] and "--epochs 2" in text.splitlines()[0]


@pytest.mark.parametrize(
    "args,message",
    [
        (["--layers", "2-1", "--dropout", "0.5"], "needs a hidden layer"),
        (["--layers", "2-2-1", "--dropout", "1"], "--dropout"),
        (["--layers", "2-2-1", "--l2", "-1"], "--l2"),
        (["--layers", "2-2-1", "--optimizer", "lbfgs"], "--optimizer"),
        (["--graph", "3", "--optimizer", "adam"], "not with --graph"),
    ],
)
def test_new_refuses_bad_optimizer_settings(args, message):
    r = run("new", *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_roster_variants_with_an_optimizer(tmp_path):
    (tmp_path / "roster.csv").write_text("ann\nbo\n")
    r = run(
        "new",
        "--layers",
        "2-2-1",
        "--optimizer",
        "rmsprop",
        "--dropout",
        "0.5",
        "--roster",
        "roster.csv",
        "--output-dir",
        "out",
        cwd=tmp_path,
    )
    assert r.returncode == 0
    for student in ("ann", "bo"):
        problem = load(tmp_path / "out" / f"{student}.yaml")
        assert problem.optimizer.name == "rmsprop" and problem.layers[0].masks is not None
        assert "--optimizer rmsprop --dropout 0.5" in (tmp_path / "out" / f"{student}.yaml").read_text()


def test_an_output_that_cannot_be_negative_gets_targets_it_can_reach():
    """A ReLU or softplus output is never below 0: its exercise's targets are not either."""
    from backprop_cli.teaching.exercise import new_problem
    from backprop_cli.validate import loads

    for activation in ("relu", "softplus"):
        for seed in range(12):
            problem = loads(new_problem([2, 2, 1], activation=activation, loss="sse", seed=seed))
            assert problem.Y.min() > 0, (activation, seed)


@pytest.mark.parametrize(
    "given,named", [(["--layers", "2-2-1"], "--layers"), (["--activation", "tanh", "--epochs", "2"], "--activation")]
)
def test_new_graph_refuses_the_options_of_a_network_instead_of_ignoring_them(given, named):
    r = run("new", "--graph", "3", *given)
    assert r.returncode == 2 and named in r.stderr and "--graph" in r.stderr and r.stdout == ""


def test_new_graph_writes_to_output(tmp_path):
    r = run("new", "--graph", "3", "--seed", "1", "-o", str(tmp_path / "c.yaml"))
    assert r.returncode == 0 and r.stdout == ""
    assert (tmp_path / "c.yaml").read_text() == run("new", "--graph", "3", "--seed", "1").stdout


def test_new_refuses_values_without_graph():
    r = run("new", "--values", "decimals")
    assert r.returncode == 2 and "--values is for a circuit" in r.stderr
