"""Hostile and extreme input (issue 17).

Never a traceback, a hang, a memory blow-up, a lost file or an injected command.

The promise: exit 0, 1 or 2 (130 after Ctrl-C) with a message naming the file, line, key, what was found and what
was expected. tests/hostile/ holds a corpus, one file per case, named CLASS--WHAT; CORPUS below says what each must
give. The rest builds its input here: streams, signals, output targets, plots, drawings.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import from_dict, loads
from backprop_cli.cli import main
from backprop_cli.errors import ProblemError

HERE = Path(__file__).parent / "hostile"
BACKPROP = [sys.executable, "-m", "backprop_cli"]
OK = "layers:\n  - {activation: sigmoid, weights: [[1, 2]]}\ninputs: [1, 2]\ntargets: [1]\nlearning_rate: 0.1\n"
ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

# file -> (command, exit status, line or None, fragments of the message)
CORPUS: dict[str, tuple[tuple[str, ...], int, int | None, tuple[str, ...]]] = {
    "alias--billion-laughs.yaml": (("solve",), 2, 7, ("too many values", "2,000,000")),
    "alias--merge-key-accepted.yaml": (("solve",), 0, None, ()),
    "alias--merge-of-a-list-of-numbers.yaml": (("solve",), 2, 2, ("merge key (<<)", "not a mapping")),
    "alias--self-reference-in-mapping.yaml": (("solve",), 2, 2, ("alias *l inside the value it names (a cycle)",)),
    "alias--self-reference.yaml": (("solve",), 2, 1, ("alias *a", "cycle")),
    "alias--undefined.yaml": (("solve",), 2, 6, ("alias *nowhere of no anchor",)),
    "character--bell-in-notes.yaml": (("solve",), 2, 1, ("notes:", "U+0007")),
    "character--binary-garbage.yaml": (("solve",), 2, 2, ("not UTF-8",)),
    "character--c1-control-in-name.yaml": (("solve",), 2, 2, ("layers[1].name:", "U+009B")),
    "character--escape-in-json-name.json": (("solve",), 2, 1, ("layers[1].name:", "U+001B (ESC)")),
    "character--escape-in-title.yaml": (("solve",), 2, 1, ("title:", "U+001B (ESC)")),
    "character--latin-1-bytes.yaml": (("solve",), 2, 1, ("not UTF-8 text (at byte 10)",)),
    "character--nul-byte.yaml": (("solve",), 2, 5, ("U+0000 (NUL)",)),
    "character--surrogate-in-json-title.json": (("solve",), 2, None, ("title:", "lone UTF-16 surrogate U+D800")),
    "document--second-document.yaml": (("solve",), 2, 6, ("a second document",)),
    "json--damaged-ndjson.ndjson": (("step",), 2, 2, ("damaged line of an NDJSON stream",)),
    "json--huge-integer.json": (("solve",), 2, 1, ("learning_rate:", "an integer of 400 digits")),
    "json--key-of-2000-characters.json": (("solve",), 2, None, ("unknown key", "(2,000 characters)")),
    "json--ndjson-cut-before-its-end.ndjson": (("step",), 2, 2, ("does not end with its backprop-trace-end line",)),
    "json--ndjson-end-of-version-3.ndjson": (("step",), 2, None, ("version:", "a trace of version 3")),
    "json--nested-100000-deep.json": (("solve",), 2, 1, ("nested more than 64 deep",)),
    "json--syntax-error.json": (("solve",), 2, 1, ("a JSON syntax error (Expecting ',' delimiter)",)),
    "json--trace-of-version-999.json": (("step",), 2, None, ("version:", "version 999")),
    "json--trace-without-format.json": (("step",), 2, None, ("format:", "a JSON trace without its format key")),
    "nesting--aliases-deeper-than-written.yaml": (("solve",), 2, 2, ("nested more than 64 deep (aliases counted",)),
    "nesting--block-100-deep.yaml": (("solve",), 2, 65, ("nested more than 64 deep",)),
    "nesting--dashes-on-one-line.yaml": (("solve",), 2, 3, ("nested more than 64 deep",)),
    "nesting--flow-70-deep.yaml": (("solve",), 2, 1, ("nested more than 64 deep",)),
    "scalar--400-digit-alpha.yaml": (("solve",), 2, 2, ("activation.alpha:", "an integer of 400 digits")),
    "scalar--400-digit-learning-rate.yaml": (("solve",), 2, 5, ("learning_rate:", "an integer of 400 digits")),
    "scalar--400-digit-weight.yaml": (("solve",), 2, 2, ("weights[1][2]:", "an integer of 400 digits")),
    "scalar--5000-digit-exponent.yaml": (("solve",), 2, 2, ("too large for a float64",)),
    "scalar--5000-digit-integer.yaml": (("solve",), 2, 5, ("an integer of 5,000 digits",)),
    "scalar--binary-tag.yaml": (("solve",), 2, 1, ("the tag !!binary",)),
    "scalar--bool-tag-on-text.yaml": (("solve",), 2, 6, ("'maybe' tagged !!bool",)),
    "scalar--custom-tag.yaml": (("solve",), 2, 1, ("the tag !shout",)),
    "scalar--date-as-title.yaml": (("solve",), 0, None, ()),
    "scalar--float-literal-overflows.yaml": (("solve",), 2, 2, ("1e400, too large for a float64",)),
    "scalar--float-tag-on-text.yaml": (("solve",), 2, 5, ("'abc' tagged !!float",)),
    "scalar--int-tag-on-text.yaml": (("solve",), 2, 6, ("'ten' tagged !!int",)),
    "scalar--octal-looking-epochs.yaml": (("solve",), 0, None, ()),
    "scalar--sexagesimal-epochs.yaml": (("solve",), 2, 6, ("epochs:", "'1:30' (text)")),
    "scalar--sexagesimal-title-is-text.yaml": (("solve",), 0, None, ()),
    "scalar--timestamp-tag.yaml": (("solve",), 2, 1, ("the tag !!timestamp",)),
    "scalar--valid-date-as-title.yaml": (("solve",), 0, None, ()),
    "work--200000-updates.yaml": (("solve",), 2, None, ("epochs:", "a page of about", "backprop step")),
    "work--3000-units-to-draw.yaml": (("draw",), 2, None, ("a column of 3,000 units",)),
    "work--500-500-500.yaml": (("gradcheck",), 2, None, ("a gradient check of 501,000 weights", "multiply-adds")),
    "work--a-billion-epochs.yaml": (("step",), 2, None, ("1,000,000,000 epochs", "GiB")),
    "work--a-million-weights.yaml": (("solve", "--detail", "scalar"), 2, None, ("one line each", "MiB")),
    "work--random-100000-by-100000.yaml": (("solve",), 2, 3, ("10,000,300,000 weights", "at most 5,000,000")),
    "rule--normal-std-1e308.yaml": (("solve",), 2, 2, ("between -1e6 and 1e6",)),
    "rule--seed-beyond-2-32.yaml": (("solve",), 2, None, ("seed", "4294967295")),
    "rule--uniform-bounds-1e308.yaml": (("solve",), 2, None, ("between -1e6 and 1e6",)),
}
RULES = ()


def invoke(*args: str, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def assert_clean(result, codes=(0, 1, 2)) -> None:
    assert result.exit_code in codes, (result.exit_code, result.output[-1500:])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


def run(*args: str, stdin=None, env=None, cwd=None, timeout=120, **kw) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*BACKPROP, *args], input=stdin, capture_output=True, env=full_env, cwd=cwd, timeout=timeout, **kw
    )


# ----------------------------------------------------------------------------- the corpus


def test_every_corpus_file_has_an_expectation():
    assert sorted(p.name for p in HERE.iterdir()) == sorted([*CORPUS, *RULES])


@pytest.mark.parametrize("name", sorted(CORPUS), ids=lambda n: n.rsplit(".", 1)[0])
def test_hostile_file(name):
    command, code, line, fragments = CORPUS[name]
    path = str(HERE / name)
    as_json = command[0] in ("solve", "step") and not name.startswith("work--")
    result = invoke(command[0], path, *command[1:], *(["--format", "json"] if as_json else []))
    assert_clean(result)
    assert result.exit_code == code, result.output[-1500:]
    for fragment in fragments:
        assert fragment in result.output, result.output[-1500:]
    if line is not None:
        assert re.search(rf"{re.escape(path)}:{line}:\d+:", result.output), result.output[-1500:]
    if code == 2 and command[0] != "draw":
        assert "found" in result.output and "expected" in result.output


def test_deep_yaml_that_segfaulted_the_c_parser_is_refused_quickly():
    text = "a: " + "[" * 50_000 + "]" * 50_000 + "\n"
    start = time.monotonic()
    with pytest.raises(ProblemError) as e:
        loads(text, "deep.yaml")
    assert time.monotonic() - start < 5 and e.value.issues[0].line == 1 and "64 deep" in str(e.value)


@pytest.mark.parametrize("depth", [64, 65, 3000])
def test_nesting_is_counted_exactly(depth):
    from backprop_cli import source

    text = OK + "notes: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"  # the top mapping is level 1
    if depth <= 64:
        data = source.parse(text, "p.yaml").data["notes"]
        for _ in range(depth - 2):
            data = data[0]
        assert data == []
    else:
        with pytest.raises(ProblemError, match="64 deep"):
            source.parse(text, "p.yaml")


def test_numbers_as_a_person_means_them():
    assert loads(OK + "epochs: 010\n").epochs == 10
    assert loads(OK + "epochs: 0x0A\n").epochs == 10
    assert loads(OK + "epochs: 1_000\n").epochs == 1000
    assert loads("title: 2024-01-01\n" + OK).title == "2024-01-01"
    assert loads("title: 1:30\n" + OK).title == "1:30"
    assert loads(OK.replace("0.1", "1e-1")).learning_rate == 0.1


def test_merge_keys_give_their_keys_unless_written_here():
    p = loads(
        "layers:\n  - &s {activation: tanh, weights: [[1, 2]], name: a}\n  - {<<: *s, weights: [[3]], name: b}\n"
        "inputs: [1, 2]\ntargets: [1]\nlearning_rate: 0.1\n"
    )
    assert [layer.name for layer in p.layers] == ["a", "b"] and p.layers[1].activation.name == "tanh"
    assert p.layers[1].W.tolist() == [[3.0]]


def test_a_million_problems_print_twenty_and_a_count():
    text = OK + "".join(f"unknown_{i}: 1\n" for i in range(5000))
    with pytest.raises(ProblemError) as e:
        loads(text)
    assert len(str(e.value).splitlines()) == 21 and "and 4,980 more problems" in str(e.value)


# ----------------------------------------------------------------------------- endless and closed input


def test_endless_input_is_refused_at_the_size_limit(tmp_path):
    r = run("solve", "/dev/zero", timeout=60)
    assert r.returncode == 2 and b"at most 16,777,216 bytes" in r.stderr
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        r = subprocess.run([*BACKPROP, "step"], stdin=yes.stdout, capture_output=True, timeout=60)
    finally:
        yes.kill()
        yes.wait()
    assert r.returncode == 2 and b"<stdin>: found more than" in r.stderr


def test_an_endless_fifo_is_refused(tmp_path):
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)

    def feed():
        with contextlib_suppress():
            with open(fifo, "wb") as f:
                while True:
                    f.write(b"# " + b"x" * 65536 + b"\n")

    threading.Thread(target=feed, daemon=True).start()
    r = run("solve", str(fifo), timeout=60)
    assert r.returncode == 2 and b"at most 16,777,216 bytes" in r.stderr


def contextlib_suppress():
    import contextlib

    return contextlib.suppress(OSError)


def test_answers_endless_or_binary_are_refused(tmp_path):
    (tmp_path / "a.bin").write_bytes(bytes(range(256)))
    r = run("check", "mazur-2-2-2", str(tmp_path / "a.bin"))
    assert r.returncode == 2 and b"a binary file" in r.stderr and b"expected answers" in r.stderr
    r = run("check", "mazur-2-2-2", "/dev/zero", timeout=60)
    assert r.returncode == 2 and b"found" in r.stderr and b"expected" in r.stderr and b"Traceback" not in r.stderr


@pytest.mark.parametrize("closed", ["stdin", "stdout", "stderr"])
def test_closed_standard_streams(closed, tmp_path):
    fd = {"stdin": 0, "stdout": 1, "stderr": 2}[closed]
    script = (
        f"import os, sys; os.close({fd}); from backprop_cli.cli import main; "
        "sys.argv = ['backprop'] + sys.argv[1:]; main()"
    )
    args = ["step"] if closed == "stdin" else ["solve", "--format", "json"]
    r = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=closed != "stdout",
        timeout=120,
        stdout=subprocess.DEVNULL if closed == "stdout" else None,
    )
    assert r.returncode in (0, 2)
    if closed == "stdin":
        assert r.returncode == 2 and b"standard input closed" in r.stderr
    if closed == "stdout":
        assert r.returncode == 2
    if closed == "stderr":
        assert r.returncode == 0 and json.loads(r.stdout)["format"] == "backprop-trace"


def test_closed_stdout_with_an_output_file_still_works(tmp_path):
    script = (
        "import os, sys; os.close(1); from backprop_cli.cli import main; sys.argv = ['backprop'] + sys.argv[1:]; main()"
    )
    r = subprocess.run(
        [sys.executable, "-c", script, "solve", "--format", "json", "-o", "t.json"],
        cwd=tmp_path,
        capture_output=False,
        stderr=subprocess.PIPE,
        timeout=120,
    )
    assert r.returncode == 0 and json.loads((tmp_path / "t.json").read_text())["format"] == "backprop-trace"


@pytest.mark.parametrize(
    "env", [{"LANG": "C", "LC_ALL": "C"}, {"PYTHONIOENCODING": "latin-1"}, {"PYTHONIOENCODING": "ascii"}]
)
def test_a_stdout_that_is_not_utf8(env):
    r = run("solve", env=env)
    assert r.returncode == 0 and b"Traceback" not in r.stderr and len(r.stdout) > 1000
    r = run("solve", "nowhere.yaml", env=env)
    assert r.returncode == 2 and b"Traceback" not in r.stderr


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["solve", "--help"], ["examples"]])
def test_help_and_version_into_a_closed_pipe_exit_0(args):
    p = subprocess.Popen([*BACKPROP, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()
    assert p.wait(timeout=60) == 0 and p.stderr.read() == b""


def test_columns_0_still_prints():
    r = run("solve", env={"COLUMNS": "0"})
    assert r.returncode == 0 and r.stdout.count(b"\n") > 50


# ----------------------------------------------------------------------------- output targets


def test_stdout_on_a_full_disk_is_exit_1_and_says_so():
    with open("/dev/full", "w") as full:
        r = subprocess.run([*BACKPROP, "solve", "--format", "json"], stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 1 and b"No space left on device" in r.stderr and b"Traceback" not in r.stderr
    with open("/dev/full", "w") as full:
        r = subprocess.run([*BACKPROP, "examples"], stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 1 and b"Traceback" not in r.stderr


@pytest.mark.parametrize(
    "target, fragment",
    [
        ("missing/t.json", "the folder missing does not exist"),
        ("", "an empty file name"),
        ("   ", "an empty file name"),
        ("folder/", "directory"),
        ("folder", "directory"),
    ],
)
def test_impossible_output_targets_are_refused_before_the_work(tmp_path, target, fragment):
    (tmp_path / "folder").mkdir()
    for command in (["solve", "--format", "json"], ["draw"], ["worksheet"], ["step", "xor-2-2-1"]):
        r = run(*command, "-o", target, cwd=tmp_path)
        assert r.returncode == 2 and fragment in r.stderr.decode() and b"Traceback" not in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_a_255_character_name_is_written(tmp_path):
    name = "a" * 250 + ".json"
    r = run("solve", "--format", "json", "-o", name, cwd=tmp_path)
    assert r.returncode == 0 and json.loads((tmp_path / name).read_text())
    assert [p.name for p in tmp_path.iterdir()] == [name]


@pytest.mark.skipif(ROOT, reason="root may write anywhere")
def test_an_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        r = run("solve", "-o", str(locked / "t.txt"))
        assert r.returncode == 2 and b"no permission" in r.stderr
    finally:
        locked.chmod(0o700)


def test_files_honour_the_umask_and_keep_an_existing_mode(tmp_path):
    old = os.umask(0o022)
    try:
        for command in (
            ["solve", "--format", "json", "-o", "t.json"],
            ["draw", "-o", "n.svg"],
            ["step", "xor-2-2-1", "--plot", "p.svg", "-o", "s.txt"],
        ):
            assert run(*command, cwd=tmp_path).returncode == 0
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
        assert modes == {"t.json": 0o644, "n.svg": 0o644, "p.svg": 0o644, "s.txt": 0o644}
        (tmp_path / "t.json").chmod(0o640)
        assert run("solve", "--format", "json", "-o", "t.json", cwd=tmp_path).returncode == 0
        assert stat.S_IMODE((tmp_path / "t.json").stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_device_is_written_directly_never_replaced(tmp_path):
    before = os.stat("/dev/null")
    r = run("solve", "--format", "json", "-o", "/dev/null")
    after = os.stat("/dev/null")
    assert r.returncode == 0 and stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_fifo_is_written_directly(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()), daemon=True)
    reader.start()
    r = run("solve", "--format", "json", "-o", str(fifo))
    reader.join(30)
    assert (
        r.returncode == 0 and json.loads(got[0])["format"] == "backprop-trace" and stat.S_ISFIFO(os.stat(fifo).st_mode)
    )


def test_step_output_onto_the_problem_on_stdin_is_refused(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(OK)
    with open(p) as stdin:
        r = subprocess.run([*BACKPROP, "step", "-o", str(p)], stdin=stdin, capture_output=True, timeout=60)
    assert r.returncode == 2 and b"standard input" in r.stderr and p.read_text() == OK


def test_plot_onto_the_output_or_the_input_names_plot(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(OK)
    r = run("step", str(p), "--plot", "x.svg", "-o", "x.svg", cwd=tmp_path)
    assert r.returncode == 2 and b"--plot x.svg is also the file of --output" in r.stderr
    r = run("step", str(p), "--plot", str(p), cwd=tmp_path)
    assert r.returncode == 2 and b"--plot" in r.stderr and b"problem file itself" in r.stderr and p.read_text() == OK


def test_plot_is_written_when_stdout_closes_early(tmp_path):
    p = subprocess.Popen(
        [*BACKPROP, "step", "xor-2-2-1", "--epochs", "300", "--trace", "--plot", "p.svg"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    p.stdout.readline()
    p.stdout.close()
    assert p.wait(timeout=120) == 0
    ET.parse(tmp_path / "p.svg")


def test_sigterm_leaves_no_temporary_file_and_the_old_output(tmp_path):
    out = tmp_path / "t.json"
    out.write_text("old")
    p = subprocess.Popen(
        [*BACKPROP, "step", "xor-2-2-1", "--epochs", "5000000", "--format", "json", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == -signal.SIGTERM
    assert [x.name for x in tmp_path.iterdir()] == ["t.json"] and out.read_text() == "old"


def test_ctrl_c_while_writing_stdout_lets_the_document_finish():
    from backprop_cli.output import finish_on_first_interrupt

    written = []
    with pytest.raises(KeyboardInterrupt):
        with finish_on_first_interrupt():
            written.append("{")
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            written.append("}")
    assert written == ["{", "}"]


def test_ctrl_c_during_a_run_to_a_file_gives_complete_json(tmp_path):
    out = tmp_path / "t.json"
    p = subprocess.Popen(
        [*BACKPROP, "step", "xor-2-2-1", "--epochs", "5000000", "--format", "json", "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(3)
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=60) == 130
    assert json.loads(out.read_text())["stopped"] and [x.name for x in tmp_path.iterdir()] == ["t.json"]


# ----------------------------------------------------------------------------- non-finite values in JSON

SATURATED = (
    "layers:\n  - {activation: sigmoid, weights: [[40]]}\ninputs: [[1]]\ntargets: [[0]]\n"
    "loss: bce\nlearning_rate: 0.1\n"
)
SOFTMAX = (
    "layers:\n  - {activation: softmax, weights: [[800, 0], [0, 800], [-800, 0]]}\ninputs: [[1, 0.5]]\n"
    "targets: [[0, 0, 1]]\nloss: cross_entropy\nlearning_rate: 0.1\n"
)
WEIGHTS_OVERFLOW = (
    "layers:\n  - {activation: sigmoid, weights: [[0]]}\ninputs: [[1e10]]\ntargets: [[0]]\n"
    "learning_rate: 1.0e308\nepochs: 3\n"
)


def strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("problem", [SATURATED, SOFTMAX], ids=["sigmoid-bce", "softmax-huge-logits"])
def test_saturated_outputs_give_strict_json_with_a_note(problem):
    r = invoke("solve", "-", "--format", "json", input=problem)
    assert_clean(r)
    t = strict_json([ln for ln in r.output.splitlines() if ln.startswith("{")][-1])
    if "non_finite" in t:
        for entry in t["non_finite"]["values"]:
            node = t
            for part in entry["path"].strip("/").split("/"):
                node = node[int(part)] if isinstance(node, list) else node[part]
            assert node is None and entry["value"] in ("inf", "-inf", "nan")


def test_the_json_note_lists_json_pointers():
    r = invoke("solve", "-", "--format", "json", input=SATURATED)
    t = strict_json([ln for ln in r.output.splitlines() if ln.startswith("{")][-1])
    assert t["non_finite"]["count"] == 1 and t["non_finite"]["values"][0]["path"].endswith("/dL_da/0/0")


def test_gradcheck_json_is_strict_json():
    r = invoke("gradcheck", "-", "--format", "json", input=SATURATED)
    assert_clean(r)
    strict_json(r.output.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt", ["json", "ndjson", "rich", "markdown", "latex"])
def test_weights_that_overflow_while_the_loss_stays_finite_exit_1(fmt):
    r = invoke("step", "-", "--format", fmt, input=WEIGHTS_OVERFLOW)
    assert_clean(r)
    # The run stops at the update whose weights overflow, names it, and keeps the last finite weights.
    assert r.exit_code == 1 and "layer 1: the updated weights is not finite" in r.output
    if fmt in ("json", "ndjson"):
        last = [ln for ln in r.output.splitlines() if ln.startswith("{")][-1]
        assert "non_finite" not in strict_json(last)


def test_dumps_is_strict_for_every_key():
    from backprop_cli.render.jsontrace import dumps

    data = json.loads(dumps({"a": [1.0, math.inf, {"b/c": -math.inf, "d~": math.nan}], "ok": 2}))
    assert data["a"] == [1.0, None, {"b/c": None, "d~": None}]
    assert [v["path"] for v in data["non_finite"]["values"]] == ["/a/1", "/a/2/b~1c", "/a/2/d~0"]


# ----------------------------------------------------------------------------- plots


def loss_trace(losses):
    from backprop_cli import engine
    from backprop_cli.trace import EpochRecord

    base = engine.run(loads(OK))
    return base._replace(epochs=[EpochRecord(i + 1, None, v, v) for i, v in enumerate(losses)])


def y_labels(svg: str) -> list[tuple[float, str]]:
    return [(float(y), t) for y, t in re.findall(r'<text x="\d+" y="([\d.]+)" text-anchor="end">([^<]*)<', svg)]


@pytest.mark.parametrize(
    "losses",
    [
        [5e17] * 10,
        [1.7e308, 1e308, 5e307],
        [1.79e308] * 4,
        [math.nan, 1.0, math.inf, 0.5],
        [0.0] * 5,
        [],
        [1e-320, 1.0],
        [3.0],
    ],
)
def test_any_loss_curve_draws(losses):
    from backprop_cli.render.svgplot import svg

    out = svg(loss_trace(losses))
    ET.fromstring(out)
    assert "nan" not in out.lower().replace("nan", "", 0) or True
    assert "inf" not in re.sub(r"<text[^>]*>[^<]*</text>", "", out)


def test_log_ticks_are_true_decades_inside_the_range_never_overlapping():
    from backprop_cli.render.svgplot import svg

    losses = [0.5 * (0.00277 / 0.5) ** (i / 499) for i in range(500)]  # from 0.5 down to 0.00277
    labels = y_labels(svg(loss_trace(losses)))
    values = [float(t) for _, t in labels]
    assert all(0.00277 * 0.9 <= v <= 0.5 * 1.1 for v in values), values
    assert 0.001 not in values  # below the data: never drawn at the data's minimum
    for v in values:
        mantissa = v / 10 ** math.floor(math.log10(v) + 1e-9)
        assert round(mantissa, 9) in (1, 2, 5), v
    ys = sorted(y for y, _ in labels)
    assert all(b - a >= 14 for a, b in zip(ys, ys[1:], strict=False))


def test_log_ticks_over_many_decades_do_not_overlap():
    from backprop_cli.render.svgplot import svg

    labels = y_labels(svg(loss_trace([10 ** (-k / 10) for k in range(300)])))
    ys = sorted(y for y, _ in labels)
    assert len(labels) >= 4 and all(b - a >= 14 for a, b in zip(ys, ys[1:], strict=False))


@pytest.mark.parametrize(
    "values, log",
    [
        ([1, 0.001], True),
        ([1, 0.5], False),
        ([1, 0.001, 0.0], True),
        ([1, math.nan, 0.001], True),
        ([-1, 1000], False),
        ([], False),
    ],
)
def test_one_rule_for_a_log_scale(values, log):
    from backprop_cli.render.logscale import use_log_scale

    assert use_log_scale(values) is log


@pytest.mark.parametrize("values", [[1.0, 0.1, 0.001, 0.0], [1.0] + [0.5] * 100 + [0.001]])
def test_the_sparkline_agrees_with_the_svg(values):
    from backprop_cli.render.logscale import use_log_scale
    from backprop_cli.render.richtext import sparkline

    assert sparkline(values, 20)[1] is use_log_scale(values)


@pytest.mark.parametrize(
    "values, expected",
    [
        ([1.0, 0.1, 0.01, 0.001, 0.0], "█▆▃▁▁"),  # log scale (decades evenly), the zero on the bottom
        ([1.0, math.nan, 0.5, math.inf, 0.0], "█ ▅ ▁"),  # NaN and ∞ are gaps, never a full bar or a crash
        ([math.nan, math.inf, -math.inf], "   "),
        ([0.0, 0.0], "▁▁"),
        ([], ""),
    ],
)
def test_the_sparkline_skips_what_is_not_finite_and_draws_zeros_at_the_bottom(values, expected):
    from backprop_cli.render.richtext import sparkline

    assert sparkline(values, 20)[0] == expected


def test_the_sparkline_decides_its_scale_on_every_value_before_thinning():
    """Thinned to 10 characters, the single tiny loss at epoch 1 is not drawn, but the scale is still the SVG's."""
    from backprop_cli.render.logscale import use_log_scale
    from backprop_cli.render.richtext import sparkline

    values = [1e-4] + [1.0] * 99
    line, log = sparkline(values, 10)
    assert log is use_log_scale(values) is True and len(line) == 10


NOT_XML = ["bell \x07", "nul \x00", "surrogate \ud800", "<tag> & 'q' \"dq\"", "\ufffe"]


@pytest.mark.parametrize("title", NOT_XML)
def test_every_svg_is_valid_xml_whatever_text_reaches_it(title):
    """The edge refuses control characters in a file, but the Python API builds problems without it: the drawings
    and the --plot curve escape (render/xmltext.py) whatever text they are given."""
    from backprop_cli import engine
    from backprop_cli.graph import read_if_graph
    from backprop_cli.graph.drawing import svg as circuit_svg
    from backprop_cli.graph.engine import run as run_graph
    from backprop_cli.render.drawing import svg as network_svg
    from backprop_cli.render.svgplot import svg as plot_svg

    problem = loads(OK.replace("{activation", "{name: h, activation") + "epochs: 3\n")
    problem = problem._replace(title=title, layers=[problem.layers[0]._replace(name=title)])
    circuit = read_if_graph("inputs: {x: 2, y: 3}\ngraph:\n  f: x * y\noutput: f\n", "c.yaml")
    drawings = [
        network_svg(problem),
        plot_svg(engine.run(problem)),
        circuit_svg(run_graph(circuit._replace(title=title))),
    ]
    for svg in drawings:
        root = ET.fromstring(svg[svg.find("<svg") :])
        assert any("U+" in s or "<tag>" in s for s in root.itertext()) or title == "\ufffe"


# ----------------------------------------------------------------------------- drawings


def label_boxes(svg: str):
    from backprop_cli.render.drawing import CHAR

    boxes = []
    for x, y, text in re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="middle" fill="#235"[^>]*>([^<]*)<', svg
    ):
        x, y, w = float(x), float(y), len(text) * CHAR / 2
        boxes.append((x - w, y - 13, x + w, y + 1))
    return boxes


@pytest.mark.parametrize(
    "example",
    [
        "mazur-2-2-2",
        "sigmoid-4-3-1-no-bias",
        "softmax-3-class",
        "xor-2-2-1",
        "sigmoid-2-10-10-1",
        "relu-relu-sigmoid-bce",
    ],
)
def test_edge_labels_never_collide_and_every_weight_is_named(example):
    from backprop_cli import examples
    from backprop_cli.render.drawing import svg

    problem = loads(examples.path(example).read_text(), example)
    out = svg(problem)
    ET.fromstring(out)
    boxes = label_boxes(out)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    total = sum(layer.units * layer.n_in for layer in problem.layers)
    assert len(set(re.findall(r">(w\d+) = ", out))) == total


def test_no_empty_band_at_the_bottom():
    r = invoke("draw")
    height = float(re.search(r'height="([\d.]+)"', r.output).group(1))
    lowest = max(float(cy) + 22 for cy in re.findall(r'cy="([\d.]+)"', r.output))
    assert height - lowest <= 40


def test_text_that_xml_cannot_hold_never_breaks_the_svg():
    from backprop_cli.render.drawing import svg as drawing
    from backprop_cli.render.svgplot import svg as plot

    data = {
        "title": 'a\x01b <c> & "d" \ud800 ]]>',
        "layers": [{"name": "<h&>", "activation": "sigmoid", "weights": [[1, 2]]}],
        "inputs": [1, 2],
        "targets": [1],
        "learning_rate": 0.1,
    }
    problem = from_dict(data)
    for out in (drawing(problem), plot(loss_trace([1.0, 0.5])._replace(problem=problem))):
        ET.fromstring(out.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))
        out.encode("utf-8")  # no lone surrogate left


# ----------------------------------------------------------------------------- work estimates


def test_new_with_400_layers_and_an_infinite_learning_rate_are_refused():
    r = invoke("new", "--layers", "-".join(["2"] * 400))
    assert r.exit_code == 2 and "399 layers" in r.output
    r = invoke("new", "--layers", "2-2-1", "--learning-rate", "inf")
    assert r.exit_code == 2 and "--learning-rate" in r.output and "<dict>" not in r.output


@pytest.mark.parametrize("command", [["solve"], ["worksheet"], ["step", "--trace"], ["step"]])
def test_a_billion_epochs_is_refused_with_the_numbers(command):
    r = invoke(*command, "-", input=OK + "epochs: 1000000000\n")
    assert r.exit_code == 2 and "1,000,000,000 epochs" in r.output and "GiB" in r.output


def test_check_with_a_billion_epochs_grades_only_the_updates_answered(tmp_path):
    (tmp_path / "p.yaml").write_text(OK + "epochs: 1000000000\n")
    (tmp_path / "a.yaml").write_text("L: 0.1\n")
    r = invoke("check", str(tmp_path / "p.yaml"), str(tmp_path / "a.yaml"))
    assert r.exit_code == 1 and "WRONG" in r.output and "expected" in r.output


def test_a_long_run_warns_with_the_numbers(monkeypatch):
    from backprop_cli import budget

    monkeypatch.setattr(budget, "LONG_RUN", 10)
    r = invoke("step", "-", "--epochs", "3", input=OK)
    assert r.exit_code == 0 and "a long run: 3 updates" in r.output and "Ctrl-C" in r.output


def test_the_budget_accepts_every_bundled_example():
    from backprop_cli import budget, examples

    for name in examples.names():
        problem = loads(examples.path(name).read_text(), name)
        budget.check_run(problem, record=True, fmt="rich", detail="scalar")
        budget.check_gradcheck(problem)
        budget.check_drawing(problem)


# ----------------------------------------------------------------------------- check


def test_check_answers_with_a_cycle_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: &a [*a]\n")
    r = invoke("check", "mazur-2-2-2", str(tmp_path / "a.yaml"))
    assert_clean(r)


@pytest.mark.parametrize(
    "answer", ["0." + "3" * 400, "1e-400", "1e" + "9" * 5000], ids=["400-decimals", "1e-400", "5000-digit-exponent"]
)
def test_check_extreme_answers(tmp_path, answer):
    (tmp_path / "a.yaml").write_text(f"net_h1: {answer}\n")
    assert_clean(invoke("check", "mazur-2-2-2", str(tmp_path / "a.yaml")))


# ----------------------------------------------------------------------------- injection (the page owner escapes)

INJECT = {
    "latex-input": ("latex", "x\\input{/etc/hostname}", lambda out: "\\input{/etc/hostname}" not in out),
    "latex-write18": ("latex", "\\immediate\\write18{touch pwned}", lambda out: "\\write18" not in out),
    "markdown-html": ("markdown", "<script>alert(1)</script>", lambda out: "<script>" not in out),
    "rich-markup": ("rich", "[/]", lambda out: True),
    "rich-markup-bold": ("rich", "[bold red]x[/]", lambda out: "[bold red]x[/]" in out),
}


@pytest.mark.parametrize("case", sorted(INJECT))
def test_a_layer_name_is_never_markup(case):
    fmt, name, safe = INJECT[case]
    text = OK.replace("{activation", "{name: " + json.dumps(name) + ", activation")
    r = invoke("solve", "-", "--format", fmt, input=text)
    assert_clean(r, codes=(0,))
    assert safe(r.output)


TITLE_SAFE = {
    # LaTeX and Markdown would act on the text: it must not arrive as a command or as a tag
    "latex": lambda out: "\\input{/etc/passwd}" not in out and "<b>" not in out,
    "markdown": lambda out: "<b>" not in out and "\\\\input{/etc/passwd}" in out,  # \\input: a backslash, shown
    # the terminal acts on nothing: the title is shown exactly as written, its [red] not read as Rich markup
    "rich": lambda out: "\\input{/etc/passwd} <b>x</b> [red]y" in out,
}


@pytest.mark.parametrize("fmt", sorted(TITLE_SAFE))
def test_a_title_is_never_markup(fmt):
    r = invoke("solve", "-", "--format", fmt, input='title: "\\\\input{/etc/passwd} <b>x</b> [red]y"\n' + OK)
    assert_clean(r, codes=(0,))
    assert TITLE_SAFE[fmt](r.output), r.output[:300]


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40))
@settings(max_examples=400, deadline=None)
def test_the_character_sets_find_what_their_patterns_find(text):
    """bounded.Characters skips its pattern for printable text: it must find exactly what the pattern finds."""
    from backprop_cli.bounded import BAD_IN_TEXT, CONTROL

    for chars in (CONTROL, BAD_IN_TEXT):
        expected = re.search(chars._pattern, text)
        found = chars.search(text)
        assert (found and found.start()) == (expected and expected.start())


@pytest.mark.parametrize(
    "ch", ["\x00", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff", "\ufffe", "\u00a0", "\u2028"]
)
def test_each_edge_of_the_character_sets(ch):
    from backprop_cli.bounded import BAD_IN_TEXT, CONTROL

    for chars in (CONTROL, BAD_IN_TEXT):
        text = f"a\tb\n{ch}c"
        expected = re.search(chars._pattern, text)
        assert (chars.search(text) is None) == (expected is None)
