"""The engine is pure: no printing, no exiting, no CLI or terminal libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import backprop_cli

PACKAGE = Path(backprop_cli.__file__).parent
PURE = ["engine.py", "problem.py", "activations.py", "losses.py", "params.py", "source.py", "trace.py", "errors.py"]


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
