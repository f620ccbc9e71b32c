"""Hypothesis profiles, and the helpers several test files share (imported as ``from conftest import …``).

Hypothesis is derandomised in CI (CI=true) so that a failure there is reproducible.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import settings

from backprop_cli import examples, load

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# ----------------------------------------------------------------------------- the command line, and check

BACKPROP = [sys.executable, "-m", "backprop_cli"]
MAZUR = load(examples.path("mazur-2-2-2"))


def run(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    """``backprop ARGS…`` in a fresh interpreter, its output as text."""
    return subprocess.run([*BACKPROP, *args], input=stdin, capture_output=True, text=True, timeout=120, cwd=cwd)


def graded(text: str, problem=MAZUR, **kw) -> dict:
    """check's results for the answers ``text`` (default: of Mazur's 2-2-2 network), by answer name."""
    from backprop_cli.teaching.check import grade

    return {r.name: r for r in grade(problem, text, "answers.yaml", **kw)}


# ----------------------------------------------------------------------------- HTML pages

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source", "area", "base", "embed", "track"}


class Balance(HTMLParser):
    """Every element that opens closes, in order (MathML and SVG included): a broken nesting is a broken page."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs |= {a for a, _ in attrs}
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs |= {a for a, _ in attrs}

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


def balanced(html: str, parser: type[Balance] = Balance) -> Balance:
    """``html`` read by ``parser`` (a Balance), which must find every element closed."""
    b = parser()
    b.feed(html)
    b.close()
    assert not b.stack, b.stack
    return b


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def chromium(args: list[str], html_path: Path, cwd: Path) -> None:
    """Headless Chromium on the page ``html_path`` (``args``: print to PDF, take a screenshot), in a fresh profile."""
    profile = tempfile.mkdtemp(dir=cwd)
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
            html_path.as_uri(),
        ],
        cwd=cwd,
        capture_output=True,
        timeout=180,
        check=False,
    )


def pdflatex(tex: Path) -> subprocess.CompletedProcess:
    """Compile ``tex`` where it lies (the .pdf and .log beside it); stdout as text, for the assertion message."""
    return subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=180,
    )
