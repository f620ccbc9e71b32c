"""--format html: one self-contained page, MathML formulas, inline SVG, read by a real browser.

Headless Chromium renders the page, prints it to PDF (whose text pdftotext reads back: the
numbers and symbols of the worked solution) and takes a screenshot (which must not be
blank). Both skip cleanly where Chromium or poppler is not installed.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from backprop_cli import engine, examples, load
from backprop_cli.render import get
from backprop_cli.render.mathml import mathml

sys.path.insert(0, str(Path(__file__).parent))
from conftest import CHROMIUM, balanced, chromium  # noqa: E402
from pngread import read_png  # noqa: E402

SVG_VOID = {"rect", "line", "circle", "path", "polyline", "polygon", "ellipse", "stop"}


def page(name: str, record: bool = True, epochs: int | None = None, **options) -> str:
    problem = load(examples.path(name))
    if epochs:
        problem = problem.with_epochs(epochs)
    out = io.StringIO()
    get("html")(engine.run(problem, record=record), out, {"precision": 4, "detail": "auto", **options})
    return out.getvalue()


@pytest.mark.parametrize(
    "name,options",
    [
        ("mazur-2-2-2", {}),
        ("sigmoid-2-10-10-1", {"detail": "matrix"}),
        ("softmax-3-class", {}),
        ("leaky-relu-elu", {}),
        ("momentum", {}),
        ("mazur-2-2-2", {"worksheet": True, "answers": True}),
        ("xor-2-2-1", {"record": False, "epochs": 300}),
    ],
)
def test_the_page_is_one_self_contained_well_formed_file(name, options):
    record = options.pop("record", True)
    html = page(name, record=record, epochs=options.pop("epochs", None), **options)
    assert html.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in html
    b = balanced(html)
    assert not b.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert not {a for a in b.attrs if a.startswith("on")} and "src" not in b.attrs and "href" not in b.attrs
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)  # nothing fetched: only SVG's namespace
    assert "<math" in html and "<svg" in html


def test_the_textbook_order_and_numbers_of_the_terminal_page():
    html = page("mazur-2-2-2")
    order = [
        html.find(s)
        for s in (
            "<h2>The problem",
            "<svg",
            "<h2>Forward pass",
            "<h2>Loss<",
            "<h2>Backward pass",
            "<h2>Updates",
            "Loss after the update",
        )
    ]
    assert -1 not in order and order[1] < order[2] and order[2:] == sorted(order[2:])
    for number in ("0.3775", "0.5933", "0.7514", "0.2748", "0.1385", "0.0822", "0.3589", "0.2984"):
        assert f"<mn>{number}</mn>" in html


def test_a_wide_worksheet_key_starts_on_a_new_page():
    html = page("mazur-2-2-2", worksheet=True, answers=True)
    assert '<h1 class="key">Answer key' in html and 'class="blank"' in html


@pytest.mark.parametrize(
    "tex,mathml_part",
    [
        (r"\mathrm{net}_{h_{1}}", "<msub><mi>net</mi><msub><mi>h</mi><mn>1</mn></msub></msub>"),
        (r"8.771 \times 10^{-3}", "<mn>8.771</mn><mo>×</mo><msup><mn>10</mn><mrow><mo>−</mo><mn>3</mn></mrow></msup>"),
        (r"\frac{\partial L}{\partial w_{5}}", "<mfrac><mrow><mi>∂</mi><mi>L</mi></mrow><mrow><mi>∂</mi><msub>"),
        (r"\sigma'(z)", '<mi>σ</mi><mo lspace="0" rspace="0">′</mo>'),
        (r"\hat y_k", '<msub><mover accent="true"><mi>y</mi>'),
        (
            r"\begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
            '<mtable columnalign="left"><mtr><mtd><mn>1</mn></mtd>',
        ),
        (r"x\input{/etc/passwd}<script>", "<mo>\\</mo><mrow></mrow><mi>i</mi>"),
        # spaced as TeX spaces them (a browser ran "−y ln a" together as "−ylna", and wrote "( −0.4 )", "( − 0.1)")
        (r"-y \ln a", '<mi>y</mi><mrow><mspace width="0.1667em"></mspace><mi>ln</mi><mo>\u2061</mo><mspace'),
        (r"= \tanh(x)", '<mo>=</mo><mrow><mi>tanh</mi><mo>\u2061</mo></mrow><mo form="prefix" stretchy="false">('),
        (r"\tanh(-0.1) = -2", '(</mo><mo form="prefix">−</mo><mn>0.1</mn><mo form="postfix" stretchy="false">)</mo>'),
        (r"= -2", '<mo>=</mo><mo form="prefix">−</mo><mn>2</mn>'),
        (r"\left(-0.4\right)", '<mo fence="true" stretchy="false">(</mo><mrow><mo>−</mo><mn>0.4</mn></mrow>'),
        (r"\left(\frac{a}{b}\right)", '<mo fence="true">(</mo><mfrac>'),
    ],
)
def test_tex_becomes_mathml(tex, mathml_part):
    out = mathml(tex)
    assert mathml_part in out
    balanced(out)
    assert "<script" not in out


needs_chromium = pytest.mark.skipif(
    CHROMIUM is None or shutil.which("pdftotext") is None, reason="Chromium and pdftotext are not installed"
)


@needs_chromium
@pytest.mark.parametrize(
    "name,options,expected",
    [
        (
            "mazur-2-2-2",
            {},
            [
                "0.3775",
                "0.5933",
                "0.7514",
                "0.2748",
                "0.2984",
                "0.1385",
                "0.0822",
                "0.3589",
                "net",
                "out",
                "δ",
                "∂L",
                "σ",
                "w5",
                "Forward pass",
                "Backward pass",
                "Updates",
            ],
        ),
        ("sigmoid-2-10-10-1", {"detail": "matrix"}, ["10×10", "=X·W", "sigmoid(Z", "δ", "×", "10−4"]),
        ("softmax-3-class", {}, ["softmax", "Forward pass"]),
    ],
)
def test_printed_by_chromium_the_pdf_holds_the_numbers_and_symbols(name, options, expected, tmp_path):
    html = tmp_path / "page.html"
    html.write_text(page(name, **options), encoding="utf-8")
    chromium(["--no-pdf-header-footer", f"--print-to-pdf={tmp_path / 'page.pdf'}"], html, tmp_path)
    assert (tmp_path / "page.pdf").exists(), "Chromium printed nothing"
    text = subprocess.run(["pdftotext", "page.pdf", "-"], cwd=tmp_path, capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))  # math italic 𝑍 is Z
    missing = [e for e in expected if re.sub(r"\s+", "", e) not in flat]
    assert not missing, (missing, text[:1500])


@needs_chromium
def test_a_screenshot_shows_a_page_not_a_blank(tmp_path):
    html = tmp_path / "page.html"
    html.write_text(page("mazur-2-2-2"), encoding="utf-8")
    chromium(["--hide-scrollbars", f"--screenshot={tmp_path / 'shot.png'}", "--window-size=900,1400"], html, tmp_path)
    image = read_png((tmp_path / "shot.png").read_bytes())[..., :3]
    ink = image.min(axis=2) < 160
    assert 0.01 < ink.mean() < 0.5, ink.mean()  # text and figures, neither blank nor a black page
    assert ink[:120].any() and ink[1200:].any()  # the title at the top, content to the bottom
    assert (image[..., 0].astype(int) - image[..., 2].astype(int) > 60).any()  # the coloured headings and figure
