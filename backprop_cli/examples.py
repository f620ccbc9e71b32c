"""The worked examples bundled with the package (the repository's problems/ folder)."""

from __future__ import annotations

from pathlib import Path

DEFAULT = "mazur-2-2-2"
"""The example ``backprop solve`` shows when given no problem."""


def _folder() -> Path:
    """Where the examples are installed: the package backprop_cli.problems (the repository's problems/).

    Its own __path__ is used rather than importlib.resources, which costs more
    to import than solving a small problem takes.
    """
    try:
        from . import problems
    except ImportError:  # a source checkout run as python -m backprop_cli from its root
        return Path(__file__).resolve().parents[1] / "problems"
    return Path(list(problems.__path__)[0])


def names() -> list[str]:
    """Example names, sorted (a file ``NAME.yaml`` is the example NAME)."""
    return sorted(p.name[:-5] for p in _folder().iterdir() if p.name.endswith(".yaml"))


def path(name: str) -> Path | None:
    """The file of example ``name`` (with or without .yaml), or None if there is none."""
    stem = name[:-5] if name.endswith(".yaml") else name
    if len(stem) > 100 or any(c in stem for c in "/\\\n") or stem.startswith("."):
        return None
    candidate = _folder() / f"{stem}.yaml"
    return candidate if candidate.is_file() else None


def title(name: str) -> str:
    """The example's title: its title: line, read without parsing the whole file."""
    for line in path(name).read_text(encoding="utf-8").splitlines():
        if line.startswith("title:"):
            return line[6:].strip().strip("'\"")
    return ""
