"""Fuzzing: mutated problem files and random bytes always end with exit 0, 1 or 2, never a traceback."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import examples
from backprop_cli.cli import main

SMALL = ["mazur-2-2-2", "seed-000-folded-bias", "seed-001-4-3-1-no-bias", "seed-004-relu-relu-sigmoid-bce",
         "softmax-3-class", "minibatch", "momentum", "leaky-relu-elu", "mazur-in-out"]
TEXTS = {name: examples.path(name).read_text() for name in SMALL}
NOISE = st.text(alphabet=st.sampled_from(list("[]{}:,-#'\"!&*|>?%@`\t\n 0123456789.eE+-abcxyz_ nanNaN.inf")), max_size=12)


@st.composite
def mutated(draw) -> str:
    lines = TEXTS[draw(st.sampled_from(SMALL))].splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace", "truncate"]))
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[i])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(NOISE) + lines[i][pos:]
        elif kind == "replace" and lines[i]:
            pos = draw(st.integers(0, len(lines[i]) - 1))
            end = draw(st.integers(pos, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(NOISE) + lines[i][end:]
        elif kind == "truncate":
            lines = lines[: i + 1]
    return "\n".join(lines) + "\n"


def assert_clean(result) -> None:
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output[-2000:])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated(), st.sampled_from(["json", "rich", "markdown", "latex"]))
def test_mutated_problem_files(tmp_path_factory, text, fmt):
    path = tmp_path_factory.mktemp("fuzz") / "p.yaml"
    path.write_text(text)
    assert_clean(CliRunner().invoke(main, ["step", str(path), "--epochs", "2", "--trace", "--format", fmt]))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_on_stdin(data):
    assert_clean(CliRunner().invoke(main, ["step", "-", "--epochs", "1", "--format", "json"], input=data))


@FUZZ
@given(st.text(max_size=300))
def test_random_text_on_stdin(text):
    assert_clean(CliRunner().invoke(main, ["solve", "-", "--format", "json"], input=text))
