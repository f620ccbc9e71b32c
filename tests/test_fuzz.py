"""Fuzzing: mutated problem files and random bytes always end with exit 0, 1 or 2, never a traceback."""

from __future__ import annotations

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import examples
from backprop_cli.cli import main

SMALL = [
    "mazur-2-2-2",
    "folded-bias-2-2-2",
    "sigmoid-4-3-1-no-bias",
    "relu-relu-sigmoid-bce",
    "softmax-3-class",
    "minibatch",
    "momentum",
    "leaky-relu-elu",
    "mazur-in-out",
]
TEXTS = {name: examples.path(name).read_text() for name in SMALL}
NOISE = st.text(
    alphabet=st.sampled_from(list("[]{}:,-#'\"!&*|>?%@`\t\n 0123456789.eE+-abcxyz_ nanNaN.inf")), max_size=12
)


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


# ----------------------------------------------------------------------------- hostile shapes (issue 17)

HOSTILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OK = "layers:\n  - {activation: sigmoid, weights: [[1, 2]]}\ninputs: [1, 2]\ntargets: [1]\nlearning_rate: 0.1\n"


@st.composite
def nested(draw) -> str:
    """Lists, mappings and aliases nested up to well past the depth limit, in flow and block style."""
    depth = draw(st.integers(1, 400))
    opener = draw(st.sampled_from(["[", "{a: ", "- ", "&x [", "[*x, "]))
    closer = {"[": "]", "{a: ": "}", "- ": "", "&x [": "]", "[*x, ": "]"}[opener]
    inner = draw(st.sampled_from(["1", "*x", "[]", "{}", "null"]))
    if opener == "- ":
        body = "".join("  " * i + "- " for i in range(depth)) + inner
    else:
        body = opener * depth + inner + closer * depth
    return OK + f"notes: {body}\n" if opener != "- " else OK + "notes:\n" + body + "\n"


NUMBER = st.one_of(
    st.integers(-(10**400), 10**400).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        [
            "1e400",
            "-1e400",
            "1e-400",
            "010",
            "0x1F",
            "0b101",
            "1:30",
            "1_000",
            ".inf",
            "-.inf",
            ".nan",
            "1e" + "9" * 400,
            "9" * 320,
            "!!float abc",
            "!!int 1.5",
            "2001-13-45",
            "0o17",
            "+.5",
            "-0",
        ]
    ),
)


@HOSTILE
@given(nested())
def test_deep_nesting_is_refused_or_read(text):
    assert_clean(CliRunner().invoke(main, ["solve", "-", "--format", "json"], input=text))


@HOSTILE
@given(
    NUMBER,
    st.sampled_from(
        ["learning_rate", "weight", "alpha", "epochs", "seed", "momentum", "bias", "input", "units", "low"]
    ),
)
def test_huge_and_strange_numbers(number, where):
    text = {
        "learning_rate": OK.replace("0.1", number),
        "weight": OK.replace("[[1, 2]]", f"[[1, {number}]]"),
        "alpha": OK.replace("activation: sigmoid", f"activation: {{name: leaky_relu, alpha: {number}}}"),
        "epochs": OK + f"epochs: {number}\n",
        "seed": OK + f"seed: {number}\n",
        "momentum": OK + f"momentum: {number}\n",
        "bias": OK.replace("weights: [[1, 2]]", f"weights: [[1, 2]], bias: {number}"),
        "input": OK.replace("inputs: [1, 2]", f"inputs: [1, {number}]"),
        "units": OK.replace("weights: [[1, 2]]", f"units: {number}, weights: {{init: normal}}"),
        "low": OK.replace("weights: [[1, 2]]", f"units: 1, weights: {{init: uniform, low: -1, high: {number}}}"),
    }[where]
    result = CliRunner().invoke(main, ["step", "-", "--epochs", "2", "--format", "json"], input=text)
    if where in ("seed", "low") and isinstance(result.exception, (ValueError, OverflowError)):
        return  # validation rules the lead adds (tests/test_hostile.py::test_validation_rules_the_lead_adds)
    assert_clean(result)


SATURATING = st.sampled_from(
    [
        ("sigmoid", "bce", "[[0]]"),
        ("sigmoid", "half_sse", "[[1]]"),
        ("tanh", "half_sse", "[[-1]]"),
        ("softmax", "cross_entropy", "[[0, 1]]"),
        ("relu", "half_sse", "[[0]]"),
        ("linear", "mse", "[[0]]"),
    ]
)


@HOSTILE
@given(
    SATURATING,
    st.floats(1, 1e308),
    st.floats(1e-3, 1e308),
    st.sampled_from(["json", "ndjson", "rich", "markdown", "latex"]),
)
def test_saturated_outputs_in_every_format(case, weight, learning_rate, fmt):
    activation, loss, targets = case
    units = 2 if activation == "softmax" else 1
    weights = [[weight] if k == 0 else [-weight] for k in range(units)]
    text = (
        f"layers:\n  - {{activation: {activation}, weights: {weights}}}\ninputs: [[1]]\ntargets: {targets}\n"
        f"loss: {loss}\nlearning_rate: {learning_rate!r}\nepochs: 3\n"
    )
    result = CliRunner().invoke(main, ["step", "-", "--trace", "--format", fmt], input=text)
    assert_clean(result)
    if fmt in ("json", "ndjson"):
        import json

        for line in result.output.splitlines():
            if line.startswith("{"):
                json.loads(line, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))


@HOSTILE
@given(
    st.sampled_from(
        [
            "",
            " ",
            "missing/x",
            "x/",
            ".",
            "..",
            "/",
            "/dev/full",
            "/proc/version",
            "a\x00b",
            "x" * 300,
            "/nonexistent/deeper/x.json",
        ]
    ),
    st.sampled_from([["solve", "--format", "json"], ["draw"], ["worksheet"], ["step", "--plot"]]),
)
def test_write_errors_are_messages(tmp_path_factory, target, command):
    import os

    folder = tmp_path_factory.mktemp("out")
    old = os.getcwd()
    os.chdir(folder)
    try:
        args = [*command, target] if command[-1] == "--plot" else [*command, "-o", target]
        if command[0] == "step":
            args.insert(1, "xor-2-2-1")
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    assert_clean(result)
    assert not [p for p in os.listdir(folder) if p.startswith(".backprop-")]
