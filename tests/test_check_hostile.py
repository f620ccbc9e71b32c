"""check under hostile or unlucky answer files: never a traceback, a hang, a blow-up, or a false exit 0 (issue 17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import BACKPROP


def check(
    tmp_path,
    content: bytes | str,
    *extra: str,
    name: str = "a.yaml",
    stdin: bytes | None = None,
    problem: str = "mazur-2-2-2",
):
    """check PROBLEM a.yaml (holding ``content``) …; when ``extra`` starts with '-', the answers come on stdin."""
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    args = list(extra) if extra[:1] == ("-",) else [name, *extra]
    r = subprocess.run([*BACKPROP, "check", problem, *args], cwd=tmp_path, input=stdin, capture_output=True, timeout=60)
    out, err = r.stdout.decode(), r.stderr.decode()
    assert "Traceback" not in err and "Error:" not in out, err
    return r.returncode, out, err


REFUSED = [
    (b"\x00\x01\x02\xff binary", "a NUL byte (a binary file)"),
    (b"net_h1: \xff\xfe0.3\n", "bytes that are not UTF-8"),
    ("title: &a [*a]\n", "an alias that contains itself"),
    ("a: &a {b: *a}\n", "an alias that contains itself"),
    ("[" * 5000 + "]" * 5000, "nesting deeper than"),
    ("- " * 20000 + "x\n", "nesting deeper than"),
    (
        "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "too many values",
    ),
    ("net_h1: 0.3775\n" * 2 + "x" * (1024 * 1024), "more than 1,024 KiB"),
    ("", "an empty file"),
    ("- 1\n- 2\n", "answers that are not a mapping"),
    ("net_h1: [0.3\n", "YAML syntax error"),
]


@pytest.mark.parametrize("content,message", REFUSED, ids=[m for _, m in REFUSED])
def test_a_file_that_cannot_be_graded_is_refused_with_a_message(tmp_path, content, message):
    code, out, err = check(tmp_path, content)
    assert code == 2 and message in err, err


@pytest.mark.parametrize("content,message", REFUSED, ids=[m for _, m in REFUSED])
def test_a_circuits_answer_file_is_refused_as_a_networks_is(tmp_path, content, message):
    """Circuits read answers with the networks' bounded reader: the same refusals, one line each, exit 2."""
    code, out, err = check(tmp_path, content, problem="circuit-add-multiply")
    assert code == 2 and message in err and err.count("\n") == 1, err


@pytest.mark.parametrize("fmt", ["rich", "json"])
def test_a_circuits_endless_or_bad_answers_are_refused_in_every_format(tmp_path, fmt):
    r = subprocess.run(
        [*BACKPROP, "check", "circuit-add-multiply", "/dev/zero", "--format", fmt], capture_output=True, timeout=60
    )
    assert r.returncode == 2 and b"more than 1,024 KiB" in r.stderr and b"Traceback" not in r.stderr
    code, out, err = check(tmp_path, "q: 3,0\nq: 3\nx: [1]\n", "--format", fmt, problem="circuit-add-multiply")
    assert code == 2 and "Traceback" not in err
    assert "a.yaml:1:1: q: found '3,0'; expected a number (a decimal comma: write 3.0)" in err
    assert "a.yaml:2:1: q: found a second answer (the first is at line 1)" in err
    assert "a.yaml:3:1: x: found a list; expected a number" in err


def test_a_circuits_answers_from_standard_input_and_as_csv(tmp_path):
    code, out, err = check(tmp_path, "name,value\nq,3\ndf/dx,-4\n", name="a.csv", problem="circuit-add-multiply")
    assert code == 0 and out.endswith("2 of 2 right\n"), out
    code, out, err = check(tmp_path, "", "-", problem="circuit-add-multiply", stdin=b"q: 3\n")
    assert code == 0 and out.endswith("1 of 1 right\n"), out


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_file_that_cannot_be_graded_in_machine_formats(tmp_path, fmt):
    code, out, err = check(tmp_path, "title: &a [*a]\n", "--format", fmt)
    assert code == 2 and "alias that contains itself" in out and "alias that contains itself" in err
    if fmt == "json":
        assert json.loads(out)["errors"][0]["line"] == 1


def test_an_alias_bomb_is_refused_at_the_line_that_expands_it(tmp_path):
    """The values of an alias stand at its anchor's line; the message names the key whose value expands."""
    bomb = next(content for content, message in REFUSED if message == "too many values")
    code, out, err = check(tmp_path, bomb, "--format", "json")
    assert code == 2 and json.loads(out)["errors"][0]["line"] == 5, out  # e: &e [*d, …] passes 100,000 values


@pytest.mark.parametrize(
    "written,verdict",
    [
        ("0.3775" + "0" * 396, "right"),  # 400 decimals
        ("0.37750000000000000000000000000000000001", "right"),
        ("1e-400", "WRONG"),  # underflows to 0
        ("1e-" + "9" * 5000, "WRONG"),  # a 5,000-digit exponent
        ("1e" + "9" * 5000, "unreadable"),
        ("1" * 5000, "unreadable"),  # too large for a float
        ("3775e-4", "right"),
        (".inf", "unreadable"),
        ("nan", "unreadable"),
        ("0x1F", "unreadable"),
        ("yes", "unreadable"),
    ],
)
def test_extreme_numbers(tmp_path, written, verdict):
    code, out, err = check(tmp_path, f"net_h1: {written}\n", "--format", "json")
    (result,) = json.loads(out)["checked"]
    assert result["verdict"] == verdict and code == (0 if verdict == "right" else 1), result


def test_endless_input_is_refused_after_the_size_limit(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    r = subprocess.run([*BACKPROP, "check", "mazur-2-2-2", "/dev/zero"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "more than 1,024 KiB" in r.stderr
    r = subprocess.run(
        f"head -c 3000000 /dev/zero | {sys.executable} -m backprop_cli check mazur-2-2-2 -",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "more than 1,024 KiB" in r.stderr


def test_many_unknown_names_are_capped(tmp_path):
    text = "".join(f"h{k}: 1\n" for k in range(60_000))
    code, out, err = check(tmp_path, text)
    assert code == 1 and out.count("unknown  h") == 20 and "and 59980 more unknown names" in out
    assert "0 of 0 right, 60000 unknown names" in out
    code, out, err = check(tmp_path, text, "--format", "json")
    report = json.loads(out)
    assert len(report["checked"]) == 20 and report["not_listed"] == 59_980 and report["unknown"] == 60_000


def test_a_million_names_are_refused_by_size(tmp_path):
    code, out, err = check(tmp_path, "".join(f"h{k},1\n" for k in range(1_000_000)), name="a.csv")
    assert code == 2 and "more than 1,024 KiB" in err


@pytest.mark.parametrize("content", ["net_h1: 0.3775\nnet_h1: 0.3775\n", "net_h1,0.3775\nnet_h1,0.3775\n"])
def test_a_duplicated_answer_does_not_exit_0(tmp_path, content):
    code, out, err = check(tmp_path, content, name="a.csv" if "," in content else "a.yaml")
    assert code == 1 and "duplicate" in out and "first at line 1" in out


@pytest.mark.parametrize("content", ["{}\n", "format: backprop-trace\n", "epochs: []\n", "# nothing\nname,value\n"])
def test_nothing_to_grade_does_not_exit_0(tmp_path, content):
    code, out, err = check(tmp_path, content, name="a.csv" if "," in content else "a.yaml")
    assert code != 0, out


def test_the_answers_cannot_make_check_run_a_billion_epochs(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "layers:\n  - {name: o, activation: sigmoid, weights: [[0.5]], bias: 0.1}\n"
        "inputs: [[1]]\ntargets: [[0]]\nlearning_rate: 0.5\nepochs: 1000000000\n"
    )
    (tmp_path / "a.yaml").write_text("net_o1: 0.6\nw1⁺@e3: 0.5\n")
    r = subprocess.run(
        [*BACKPROP, "check", "p.yaml", "a.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1 and "right  net_o1 = 0.6" in r.stdout and "(the weight is not updated)" in r.stdout
