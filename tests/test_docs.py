"""The README's commands stay true."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    return [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.startswith("```sh")][:2]


def test_readme_starts_with_install_and_solve_then_install_and_test():
    run, test = readme_commands()
    assert "pip install ." in run and run.endswith("backprop solve")
    assert "pip install -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim():
    _, test = readme_commands()
    assert test in (ROOT / ".ci" / "run").read_text().splitlines()


# ----------------------------------------------------------------------------- docs/

import os
import re
import shutil
import subprocess
import sys

import pytest

DOCS = ROOT / "docs"
BIN = os.path.dirname(sys.executable)


def sh_commands(text: str) -> list[tuple[str, int]]:
    """Every `backprop …` line of the ```sh blocks, with the exit status a '# exits N' comment expects."""
    out, in_sh = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_sh = line.strip() == "```sh"
            continue
        if in_sh and line.startswith("backprop"):
            m = re.search(r"#\s*exits (\d+)\s*$", line)
            out.append((line, int(m.group(1)) if m else 0))
    return out


def doc_files(text: str) -> dict[str, str]:
    """The files a page writes: a ```yaml block right after <!-- file: NAME -->."""
    return dict(re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", text, re.S))


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_every_command_in_the_docs_runs(page, tmp_path):
    text = (DOCS / page).read_text()
    for name, content in doc_files(text).items():
        (tmp_path / name).write_text(content)
    env = {**os.environ, "PATH": BIN + os.pathsep + os.environ["PATH"], "COLUMNS": "80"}
    for command, expected in sh_commands(text):
        if "jq" in command and shutil.which("jq") is None:
            continue  # the jq cookbook needs jq
        r = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert r.returncode == expected, f"{page}: {command}\n{r.stderr[-2000:]}"
        assert "Traceback" not in r.stderr, command


def all_options() -> dict[str, set[str]]:
    import click

    from backprop_cli import cli_teaching  # noqa: F401  (its commands, registered on main)
    from backprop_cli.cli import main

    return {
        name: {o for p in cmd.params if isinstance(p, click.Option) for o in p.opts}
        for name, cmd in main.commands.items()
    }


def test_command_reference_matches_the_real_help():
    text = (DOCS / "commands.md").read_text()
    for name, options in all_options().items():
        assert f"## backprop {name}" in text
        for opt in options:
            assert f"`{opt}" in text, f"{name} {opt} is not in docs/commands.md"
    known = set().union(*all_options().values()) | {"--help", "--version"}
    for opt in set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text)):
        assert opt in known, f"docs/commands.md mentions {opt}, which no command has"


def test_problem_file_reference_covers_the_whole_contract():
    from backprop_cli.activations import ACTIVATIONS
    from backprop_cli.losses import LOSSES
    from backprop_cli.problem import LAYER_KEYS, LAYOUTS, REDUCTIONS, TOP_KEYS, UPDATES

    text = (DOCS / "problem-file.md").read_text()
    for word in (*TOP_KEYS, *LAYER_KEYS, *ACTIVATIONS, *LOSSES, *LAYOUTS, *UPDATES, *REDUCTIONS, "augmented", "alpha"):
        assert f"`{word}`" in text, word
    conventions = (DOCS / "conventions.md").read_text()
    for word in ("out_in", "in_out", "augmented", "half_sse", "sse", "mse", "bce", "cross_entropy", "sum", "mean", "δ"):
        assert word in conventions, word


def test_trace_reference_names_every_key_and_commands_every_format():
    from backprop_cli.cli import FORMATS

    text = (DOCS / "json-trace.md").read_text()
    for key in (
        "format",
        "version",
        "problem",
        "epochs",
        "next_problem",
        "epoch",
        "steps",
        "examples",
        "forward",
        "losses",
        "loss",
        "backward",
        "dL_dx",
        "update",
        "layer",
        "z",
        "a",
        "delta",
        "dL_dW",
        "dL_db",
        "W_change",
        "W",
        "b_change",
        "b",
        "loss_after",
    ):
        assert f'"{key}"' in text or f"`{key}`" in text, key
    commands = (DOCS / "commands.md").read_text()
    for fmt in FORMATS:
        assert f"--format {fmt}" in commands, fmt


def test_the_tutorials_error_output_is_what_the_program_prints(tmp_path):
    text = (DOCS / "tutorial.md").read_text()
    (tmp_path / "broken.yaml").write_text(doc_files(text)["broken.yaml"])
    shown = re.search(r"backprop solve broken\.yaml.*?```text\n(.*?)```", text, re.S).group(1)
    r = subprocess.run(
        [sys.executable, "-m", "backprop_cli", "solve", "broken.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and r.stderr == shown


def test_the_teaching_pages_check_output_is_what_the_program_prints(tmp_path):
    text = (DOCS / "teaching.md").read_text()
    for name, content in doc_files(text).items():
        (tmp_path / name).write_text(content)
    shown = re.search(r"backprop check exercise\.yaml answers\.yaml.*?```text\n(.*?)```", text, re.S).group(1)
    r = subprocess.run(
        [sys.executable, "-m", "backprop_cli", "check", "exercise.yaml", "answers.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1 and r.stdout == shown
