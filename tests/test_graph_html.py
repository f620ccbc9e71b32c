"""--format html for computational graphs: the gate-by-gate page as one self-contained HTML file with the circuit
drawn inline, as a worksheet too, read by a real browser where Chromium is installed."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from pngread import read_png  # noqa: E402
from test_html import CHROMIUM, balanced, chromium  # noqa: E402

from backprop_cli import examples  # noqa: E402


def cli(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "backprop_cli", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def svg_of(html: str) -> ET.Element:
    """The inline circuit drawing, which must be well-formed XML on its own."""
    return ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])


@pytest.mark.parametrize("name", examples.names(kind="graph"))
def test_every_circuit_is_one_self_contained_page_with_its_drawing(name):
    r = cli("solve", name, "--format", "html")
    assert r.returncode == 0, r.stderr
    html = r.stdout
    assert html.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in html
    b = balanced(html)
    assert not b.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not {a for a in b.attrs if a.startswith("on")} and "src" not in b.attrs and "href" not in b.attrs
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
    assert "<?xml" not in html  # the drawing's prolog has no place inside HTML
    svg_of(html)
    # the drawing comes after the title and before the first section; the sections in lecture order
    order = [
        html.find(s)
        for s in ("<h1>", "<svg", "<h2>The circuit", "<h2>Forward pass", "<h2>Backward pass", "<h2>Summary")
    ]
    assert -1 not in order and order == sorted(order), order
    assert r"\text" not in html and "\\backslash" not in html  # formulas are MathML, never TeX shown as text


def test_the_add_multiply_page_holds_the_published_values_in_math_and_drawing():
    """CS231n notes: q = 3, f = −12; ∂f/∂x = ∂f/∂y = ∂f/∂q = −4, ∂f/∂z = 3."""
    html = cli("solve", "circuit-add-multiply", "--format", "html").stdout
    for shown in ("<mn>3</mn>", "<mn>12</mn>", "<mn>4</mn>"):
        assert shown in html
    drawing = "".join(svg_of(html).itertext())
    for label in ("q\u00a0=\u00a03", "f\u00a0=\u00a0−12", "−4"):
        assert label in drawing
    assert "Nodes, as written" in html and "<mtext>q * z</mtext>" in html  # the node exactly as the file wrote it


def test_a_negative_number_in_parentheses_is_a_sign_not_a_binary_minus():
    html = cli("solve", "circuit-add-multiply", "--format", "html").stdout
    fence = '<mo fence="true" stretchy="false">'  # around a number, a bracket keeps its size (as in TeX)
    assert f"{fence}(</mo><mrow><mo>−</mo><mn>4</mn></mrow>{fence})</mo>" in html


def test_a_worksheet_draws_the_givens_only_and_its_key_has_every_answer():
    sheet = cli("worksheet", "circuit-add-multiply", "--format", "html").stdout
    assert 'class="blank"' in sheet
    drawing = "".join(svg_of(sheet).itertext())
    assert "x\u00a0=\u00a0−2" in drawing and "q\u00a0=\u00a0?" in drawing and "f\u00a0=\u00a0?" in drawing
    assert "12" not in drawing and "<mn>12</mn>" not in sheet  # f = −12 is computed: a blank, nowhere shown
    labels = ["".join(t.itertext()) for t in svg_of(sheet).iter("{http://www.w3.org/2000/svg}text")]
    assert labels[labels.index("f\u00a0=\u00a0?") + 1] == "1"  # ∂f/∂f = 1 starts the backward pass: a given
    key = cli("worksheet", "circuit-add-multiply", "--answers", "--format", "html").stdout
    assert '<h1 class="key">Answer key' in key and "<mn>12</mn>" in key


def test_text_from_the_file_is_escaped_in_the_page_and_its_drawing(tmp_path):
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(
        'title: "<script>alert(1)</script> & <b>bold</b>"\ninputs: {x: 2, y: 3}\ngraph:\n  f: x * y\noutput: f\n',
        encoding="utf-8",
    )
    r = cli("solve", str(hostile), "--format", "html")
    assert r.returncode == 0, r.stderr
    assert "<script" not in r.stdout and "<b>" not in r.stdout
    balanced(r.stdout)
    svg_of(r.stdout)


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


@needs_chromium
def test_a_screenshot_shows_the_circuit_and_the_page(tmp_path):
    html = tmp_path / "page.html"
    html.write_text(cli("solve", "circuit-add-multiply", "--format", "html").stdout, encoding="utf-8")
    chromium(["--hide-scrollbars", f"--screenshot={tmp_path / 'shot.png'}", "--window-size=1000,1400"], html, tmp_path)
    image = read_png((tmp_path / "shot.png").read_bytes())[..., :3].astype(int)
    ink = image.min(axis=2) < 160
    assert 0.01 < ink.mean() < 0.5, ink.mean()
    assert ink[:120].any() and ink[1200:].any()  # the title at the top, content to the bottom
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    drawing = image[150:650]  # the circuit sits between the title and the first section
    assert ((drawing[..., 1] - drawing[..., 0] > 60) & (drawing[..., 1] - drawing[..., 2] > 30)).any()  # values
    assert ((drawing[..., 0] - drawing[..., 1] > 100) & (drawing[..., 0] - drawing[..., 2] > 100)).any()  # gradients
    assert ((r > 220) & (g > 230) & (b > 180) & (b < 235)).any()  # the gates' cream ovals
