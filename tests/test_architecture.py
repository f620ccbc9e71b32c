"""The shape of the code: the engine is pure (no printing, no exiting, no CLI or terminal libraries), and what is
particular to an activation, a loss or an optimizer lives in its table."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import backprop_cli

PACKAGE = Path(backprop_cli.__file__).parent
PURE = [
    "engine.py",
    "propagation.py",
    "fastpath.py",
    "problem.py",
    "activations.py",
    "losses.py",
    "optimizers.py",
    "optimizer_rules.py",
    "optimizer_lines.py",
    "params.py",
    "source.py",
    "json_reader.py",
    "trace.py",
    "errors.py",
]


def _names(module: str):
    tree = ast.parse((PACKAGE / module).read_text())
    imports, calls = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imports.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call):
            f = node.func
            calls.add(f.id if isinstance(f, ast.Name) else ast.unparse(f))
    return imports, calls


def test_engine_modules_import_no_cli_or_terminal_library():
    for module in PURE:
        imports, _ = _names(module)
        assert not imports & {"click", "rich", "sys"}, module


def test_engine_modules_never_print_or_exit():
    for module in PURE:
        _, calls = _names(module)
        assert not calls & {"print", "exit", "sys.exit", "os._exit", "input"}, module


def test_json_output_does_not_import_rich():
    code = (
        "import sys, io, contextlib; from backprop_cli.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['solve', '--format', 'json'])\n"
        "    except SystemExit: pass\n"
        "print('rich' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().endswith("False")


def test_each_activation_loss_and_optimizer_is_named_in_its_table_and_at_most_one_other_module():
    """Registries, not branches: a module that tests for "sigmoid" or "adam" is a branch that the next
    activation or optimizer would have to find. One other module may name one (a default, a preset).
    Circuits (graph/) have their own table of gates, whose names overlap; and ``step`` is also PyTorch's
    name of an optimizer's step count, so a quoted "step" is not an activation."""
    from backprop_cli.activations import ACTIVATIONS
    from backprop_cli.losses import LOSSES
    from backprop_cli.optimizers import OPTIMIZERS

    sources = {
        p.relative_to(PACKAGE).as_posix(): p.read_text() for p in PACKAGE.rglob("*.py") if "graph" not in p.parts
    }
    tables = (
        (ACTIVATIONS, {"activations.py"}),
        (LOSSES, {"losses.py"}),
        (OPTIMIZERS, {"optimizers.py", "optimizer_rules.py", "optimizer_lines.py", "optimizer_mistakes.py"}),
    )
    for names, home in tables:
        for name in set(names) - {"step"}:
            quoted = re.compile(rf"""["']{re.escape(name)}["']""")
            others = sorted(m for m, text in sources.items() if m not in home and quoted.search(text))
            assert len(others) <= 1, f"{name!r} is named in {others}"


def test_small_rooms():
    """A module reads as one idea (at most 450 lines), a class at most 250 lines, a function fits on a screen
    (at most 80). When one grows past these, split it by what it is about (docs/architecture.md)."""
    too_big = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        name = path.relative_to(PACKAGE).as_posix()
        if text.count("\n") > 450:
            too_big.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            limit = 250 if isinstance(node, ast.ClassDef) else 80
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    too_big.append(f"{name}: {node.name} is {length} lines")
    assert not too_big, too_big


def test_every_package_folder_is_installed():
    """`pip install .` (the README's first command) installs only the packages pyproject.toml lists: a folder left
    out is missing from every regular install, though an editable one (the tests' own) still finds it."""
    tomllib = __import__("pytest").importorskip("tomllib")
    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {
        ".".join(("backprop_cli",) + init.parent.relative_to(PACKAGE).parts)
        for init in PACKAGE.rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert folders <= listed, f"not installed by pip install .: {sorted(folders - listed)}"
    assert "backprop_cli.problems" in listed


def test_the_code_runs_on_the_oldest_python_it_claims():
    """pyproject.toml says Python >= 3.10: nothing of 3.11 or later (enum.StrEnum, tomllib, typing.Self, except*)."""
    newer = re.compile(r"\bStrEnum\b|\bimport tomllib\b|\btyping import [^\n]*\bSelf\b|except\*|\bTaskGroup\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in PACKAGE.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if newer.search(line)
    ]
    assert not found, found
