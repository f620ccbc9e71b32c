"""check --format html: one self-contained page for a class, the gradebook and each student's answers.

Read back with Python's HTML parser (always), and rendered by headless Chromium (skipped where it is not
installed): the screenshot must show a page, not a blank, and the printed PDF must hold the verdicts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import CHROMIUM, Balance, balanced, chromium, run  # noqa: E402
from pngread import read_png  # noqa: E402


class Page(Balance):
    """The page's headings and tables (rows of cell texts), with every tag checked to nest properly."""

    def __init__(self):
        super().__init__()
        self.headings: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th", "h1", "h2"):
            self.text = []

    def handle_endtag(self, tag):
        super().handle_endtag(tag)
        if tag in ("td", "th"):
            self.tables[-1][-1].append("".join(self.text))
        elif tag in ("h1", "h2"):
            self.headings.append("".join(self.text))

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> Page:
    return balanced(html, Page)


ANN = "net_h1: 0.12\nout_h1: 0.5300\nδ_o1: -0.1203\nh1: 0.3\n"
BO = "net_h1: 0.3775\nout_h1: 0.5933\n"


@pytest.fixture
def a_class(tmp_path):
    (tmp_path / "ann.yaml").write_text(ANN)
    (tmp_path / "bo.yaml").write_text(BO)
    (tmp_path / "<script>cy.yaml").write_text("net_h1: [\n")  # a broken file, with a name to be escaped
    r = run("check", "mazur-2-2-2", "ann.yaml", "bo.yaml", "<script>cy.yaml", "--format", "html", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == ""
    return r.stdout


def test_the_class_page_has_the_gradebook_then_each_students_answers(a_class):
    page = parsed(a_class)
    assert page.headings[0].startswith("Grades: ") and page.headings[1:] == ["ann.yaml", "bo.yaml", "<script>cy.yaml"]
    gradebook, ann, bo, cy = page.tables
    assert gradebook[0] == [
        "file",
        "right",
        "carried",
        "wrong",
        "imprecise",
        "missing",
        "unknown",
        "points",
        "total",
        "error",
    ]
    assert [row[0] for row in gradebook[1:]] == ["ann.yaml", "bo.yaml", "<script>cy.yaml"]
    assert gradebook[2][1:3] == ["2", "0"] and gradebook[3][-1] == "not\u00a0graded\u00a0↓"
    assert ann[0] == ["answer", "written", "verdict", "expected", "notes"]
    rows = {row[0]: row for row in ann[1:]}
    assert rows["net_h1"][2] == "WRONG" and rows["net_h1"][3] == "0.3775"
    assert rows["h1"][2] == "unknown" and "line 4" in rows["h1"][4]
    assert [row[2] for row in bo[1:]] == ["right", "right"]
    assert "YAML" in cy[1][0]


def test_the_class_page_is_self_contained_and_escapes_file_names(a_class):
    page = parsed(a_class)
    assert "script" not in page.tags and "Content-Security-Policy" in a_class
    assert "&lt;script&gt;cy.yaml" in a_class and "<script>cy" not in a_class
    assert not re.search(r"(src|href)=", a_class)  # nothing fetched


def test_one_answer_file_gives_its_answers_with_the_summary():
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "a.yaml").write_text("net_h1: 0.3775\nw5⁺: 0.3178\n")
        r = run("check", "mazur-2-2-2", "a.yaml", "--format", "html", cwd=d)
    page = parsed(r.stdout)
    assert r.returncode == 1 and len(page.tables) == 1
    assert "a.yaml: 1 of 2 right" in r.stdout
    assert [row[2] for row in page.tables[0][1:]] == ["right", "WRONG"]
    assert "learning rate is missing" in page.tables[0][2][4]


def test_a_circuits_answers_are_graded_to_html_as_a_networks_are(tmp_path):
    """CS231n's (x + y)·z: ∂f/∂y = −4; a flipped sign is named on the page, as for a network."""
    r = run("check", "circuit-add-multiply", "-", "--format", "html", stdin="q: 3\ndy: 4\n")
    assert r.returncode == 1 and balanced(r.stdout)
    assert "<td>WRONG</td>" in r.stdout and "the sign of the gradient flipped" in r.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_shows_the_class_page(a_class, tmp_path):
    html = tmp_path / "grades.html"
    html.write_text(a_class, encoding="utf-8")
    chromium(["--hide-scrollbars", f"--screenshot={tmp_path / 'shot.png'}", "--window-size=1000,1300"], html, tmp_path)
    image = read_png((tmp_path / "shot.png").read_bytes())[..., :3]
    ink = image.min(axis=2) < 160
    assert 0.005 < ink.mean() < 0.5, ink.mean()  # text and rules, neither blank nor black
    assert ink[:150].any() and ink[900:].any()  # the title at the top, the students' tables below
    assert (image.max(axis=2).astype(int) - image.min(axis=2) > 60).any()  # the coloured student headings
    if shutil.which("pdftotext"):
        chromium(["--no-pdf-header-footer", f"--print-to-pdf={tmp_path / 'grades.pdf'}"], html, tmp_path)
        text = subprocess.run(["pdftotext", "grades.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
        for expected in ("ann.yaml", "bo.yaml", "WRONG", "unknown", "0.3775", "<script>cy.yaml"):
            assert expected in text, expected


def test_check_writes_its_report_to_output(tmp_path):
    """-o as every command has it: the gradebook into a file, nothing on standard output."""
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\n")
    for fmt in ("html", "csv", "json", "rich"):
        target = tmp_path / f"grades.{fmt}"
        r = run("check", "mazur-2-2-2", "a.yaml", "--format", fmt, "-o", str(target), cwd=tmp_path)
        assert r.returncode == 0 and r.stdout == "" and ("net_h1" in target.read_text()) != (fmt == "csv"), fmt
    assert (tmp_path / "grades.csv").read_text().splitlines()[1] == "a.yaml,1,0,0,0,0,0,1,1,"
    page = (tmp_path / "grades.html").read_text()
    assert '<td class="num">0.3775</td>' in page and 'class="data results"' in page
