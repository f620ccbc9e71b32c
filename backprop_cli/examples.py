"""The worked examples bundled with the package (the repository's problems/ folder)."""

from __future__ import annotations

import os

DEFAULT = "mazur-2-2-2"
"""The example ``backprop solve`` shows when given no problem."""


def _folder() -> str:
    """Where the examples are installed: the package backprop_cli.problems (the repository's problems/).

    Its own __path__ is used rather than importlib.resources, which costs more
    to import than solving a small problem takes.
    """
    try:
        from . import problems
    except ImportError:  # a source checkout run as python -m backprop_cli from its root
        return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "problems")
    return list(problems.__path__)[0]


GRAPH_PREFIX = "circuit-"
"""Bundled computational graphs (SPEC §5) are named circuit-*."""


def names(kind: str | None = "network") -> list[str]:
    """Example names, sorted (a file ``NAME.yaml`` is the example NAME): the networks (the default),
    the computational graphs (``kind="graph"``, named circuit-*), or all of them (``kind=None``)."""
    every = sorted(f[:-5] for f in os.listdir(_folder()) if f.endswith(".yaml"))
    if kind is None:
        return every
    return [n for n in every if n.startswith(GRAPH_PREFIX) == (kind == "graph")]


def path(name: str):
    """The file of example ``name`` (with or without .yaml) as a pathlib.Path, or None if there is none."""
    from pathlib import Path

    found = file(name)
    return Path(found) if found else None


def file(name: str) -> str | None:
    """The file of example ``name`` (with or without .yaml) as a string, or None if there is none."""
    stem = name[:-5] if name.endswith(".yaml") else name
    if len(stem) > 100 or any(c in stem for c in "/\\\n") or stem.startswith("."):
        return None
    candidate = os.path.join(_folder(), f"{stem}.yaml")
    return candidate if os.path.isfile(candidate) else None


def title(name: str) -> str:
    """The example's title: its title: line, read without parsing the whole file."""
    with open(file(name), encoding="utf-8") as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.startswith("title:"):
            return line[6:].strip().strip("'\"")
    return ""
