"""Renderers: each reads a :class:`~backprop_cli.trace.Trace` and writes text.

A renderer never recomputes a number; it only formats what the trace holds.
They are looked up by name and imported only when used, so that
``--format json`` never pays for importing Rich.
"""

from __future__ import annotations

import importlib

FORMATS = {
    "rich": "richtext",
    "json": "jsontrace",
    "markdown": "markdown",
    "latex": "latex",
    "html": "html",
    "csv": "csvrows",
}
"""--format name -> module in this package defining ``render(trace, out, options)``."""

PAGES = ("rich", "markdown", "latex", "html")
"""The formats that lay out the worked page (and so can lay out a worksheet)."""


def get(fmt: str):
    """The ``render`` function for a --format name."""
    return importlib.import_module(f"{__name__}.{FORMATS[fmt]}").render
