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
