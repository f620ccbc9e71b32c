"""Text from a problem file reaches every format escaped: no injected TeX, HTML, Markdown, Rich markup or terminal
escape, and no crash, whatever a title, a source, notes or a layer name holds (issue 17, "Injection").

A teaching assistant compiles answer keys from files that students send; the corpus below is what a hostile or
unlucky file can hold. pdflatex (run with -shell-escape, the worst case) and markdown-it are real clients here.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata

import pytest
from conftest import pdflatex
from test_html import balanced

from backprop_cli import engine, from_dict
from backprop_cli.render import get, tex
from backprop_cli.render.escape import printable

CANARY_TEXT = "CANARY-7f3a9-SECRET"

LATEX = [
    "\\",
    "&",
    "%",
    "$",
    "#",
    "_",
    "{",
    "}",
    "~",
    "^",
    "a_b^c",
    "x^",
    "x_",
    "a^b^c",
    "{{{",
    "}}}",
    "}{",
    "$$",
    "\\\\",
    "\\input{CANARY}",
    "x\\input{CANARY}",
    "}\\input{CANARY}{",
    "$\\input{CANARY}$",
    "\\include{CANARY}",
    "\\write18{touch PWNED}",
    "\\immediate\\write18{touch PWNED}",
    "^^5cinput{CANARY}",
    "^^5c^^69nput{CANARY}",
    "\\csname input\\endcsname{CANARY}",
    "\\def\\x{\\input{CANARY}}\\x",
    "\\catcode`\\@=0 @input{CANARY}",
    "\\begin{filecontents}{PWNED}x\\end{filecontents}",
    "\\end{document}",
    "\\text{\\input{CANARY}}",
    "\\mathrm{\\input{CANARY}}",
    "\\left(",
    "\\right)",
    "\\frac",
    "\\frac{",
    "\\begin{cases}",
    "\\end{cases}",
    "& \\\\ &",
    "\\verb|x|",
    "\\url{x}",
    "\\href{javascript:alert(1)}{x}",
    "\\newline",
    "\\par",
    "\\section{x}",
]
HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt;",
    "&#60;script&#62;",
    "<!-- x -->",
    "</table><b>",
    "a<b",
    "\"'><svg onload=alert(1)>",
]
MARKDOWN = [
    "[link](javascript:alert(1))",
    "![img](http://example.org/x.png)",
    "*em* _u_ **b**",
    "`code`",
    "# heading",
    "| pipe |",
    "<https://example.org>",
    "---",
    "> quote",
    "1. list",
    "~~strike~~",
    "\\*",
]
TERMINAL = [
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "\x9b31m",
    "over\rwritten",
    "back\bspace",
    "\x07bell",
    "\x00nul",
    "a\n\nb",
    "form\x0cfeed",
    "line\u2028sep",
    "\x7f",
    "tab\there",
]
UNICODE = [
    "\u202eevil\u202c",
    "\u2066isolate\u2069",
    "\ud800",
    "\udfff lone",
    "é ñ ß",
    "σ δ η",
    "隐藏层",
    "😀",
    "ȷ",
    "\u0301",
    "\ufeff",
    "\u00a0",
]
CSV = ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2+3"]
RICH = ["[/]", "[bold]x[/bold]", "[link=http://x]y[/link]", ":smile:", "[", "]", "[/bold]"]
CORPUS = LATEX + HTML + MARKDOWN + TERMINAL + UNICODE + RICH + CSV


def problem(text: str, layer_name: str | None = None, epochs: int = 1):
    name = layer_name if layer_name is not None else text
    name = name if name.strip() else "h" + name  # a blank name is refused at the edge, rightly
    return from_dict(
        {
            "title": f"T {text}",
            "source": f"S {text}",
            "notes": f"N {text}",
            "layout": "out_in",
            "layers": [
                {"name": name, "activation": "sigmoid", "weights": [[0.15, 0.2], [0.25, 0.3]], "bias": 0.35},
                {"name": "o" + name, "activation": "sigmoid", "weights": [[0.4, 0.45]], "bias": 0.6},
            ],
            "inputs": [[0.05, 0.1]],
            "targets": [[0.01]],
            "learning_rate": 0.5,
            "epochs": epochs,
        }
    )


def render(fmt: str, text: str, **options) -> str:
    epochs = options.pop("epochs", 1)
    trace = engine.run(problem(text, epochs=epochs), record=options.pop("record", True))
    out = io.StringIO()
    get(fmt)(trace, out, {"precision": 4, "detail": "auto", **options})
    s = out.getvalue()
    s.encode("utf-8")  # strict: no lone surrogate survives
    return s


VIEWS = [{}, {"detail": "matrix"}, {"worksheet": True, "answers": True}, {"record": False, "epochs": 12}]


@pytest.mark.parametrize("fmt", ["rich", "markdown", "latex", "html", "csv"])
@pytest.mark.parametrize("case", CORPUS, ids=lambda s: repr(s)[1:-1][:30])
def test_no_text_reaches_a_format_unescaped(fmt, case):
    for view in VIEWS:
        out = render(fmt, case, **view)
        controls = {c for c in out if unicodedata.category(c) in ("Cc", "Cf", "Cs") and c != "\n"}
        assert not controls - {"\ufeff", "\u200b"}, (view, controls)
        if fmt == "latex":
            assert "^^" not in out
            assert set(re.findall(r"\\([A-Za-z]+)", out)) <= LATEX_WORDS, view
            assert "\n\n\n" not in out.split(r"\begin{document}")[1].replace("\\end{align*}\n", "")
        if fmt == "markdown":
            assert "<" not in re.sub(r"\\<", "", out), view  # every '<' escaped, in text and math alike
        if fmt == "rich":
            assert "\x1b" not in out
        if fmt == "html":
            b = balanced(out)
            assert not b.tags & {"script", "img", "a", "iframe", "object", "embed", "link", "b", "i"}, view
            assert not {a for a in b.attrs if a.startswith("on")} and "href" not in b.attrs, view
        if fmt == "csv":
            import csv

            for row in csv.reader(io.StringIO(out)):
                assert not any(c.startswith(("=", "+", "@")) for c in row), row


def allowed_latex_words() -> set[str]:
    """The control words of a page from a harmless file, plus the escapes: all a hostile file may produce."""
    clean = set()
    for view in VIEWS:
        clean |= set(re.findall(r"\\([A-Za-z]+)", render("latex", "h", **view)))
    escapes = "".join([*tex.SPECIAL.values(), *tex.TEXT_CHARS.values(), *tex.UNICODE_MATH.values()])
    return clean | set(tex.WORDS) | set(re.findall(r"\\([A-Za-z]+)", escapes)) | {"backslash", "text", "sim"}


LATEX_WORDS = allowed_latex_words()
READERS = {
    "input",
    "include",
    "write",
    "immediate",
    "csname",
    "def",
    "catcode",
    "openin",
    "read",
    "verb",
    "url",
    "href",
    "newline",
    "par",
    "input@path",
    "special",
    "directlua",
    "endcsname",
    "let",
    "expandafter",
}


def test_the_allowed_words_hold_nothing_that_reads_writes_or_defines():
    assert not LATEX_WORDS & READERS


def test_math_never_keeps_a_word_it_does_not_know():
    assert tex.math(r"x\input{/etc/hostname}") == r"x\backslash{}input{/etc/hostname}"
    assert tex.math(r"x^^5cinput") == "x^{}{}^5cinput"
    assert tex.math(r"\text{\input{a}}") == r"\text{\textbackslash{}input\{a\}}"
    assert tex.math(r"\frac{\partial L}{\partial w_{1}}") == r"\frac{\partial L}{\partial w_{1}}"  # the page's own TeX
    cases = r"\begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}"
    assert tex.math(cases) == cases.replace("\\\\", "\\\\{}")
    assert tex.math("a & b \\\\ c") == r"a \& b \backslash{}\ c"  # outside an environment: no & and no \\
    assert tex.math("x}{") == r"x\}{}"  # braces balanced
    assert tex.math(r"\left( x") == r"\left( x\right."


def test_printable_keeps_ordinary_text_and_shows_controls():
    assert printable("Step-by-step: σ(z) = 1/(1 + e^(−z)), ½·Σₖ") == "Step-by-step: σ(z) = 1/(1 + e^(−z)), ½·Σₖ"
    assert printable("a\x1b[31mb") == "a␛[31mb"
    assert printable("a\n\n\tb") == "a b"
    assert printable("\ud800\u202e") == "\ufffd"


def test_a_rich_markup_layer_name_is_printed_as_written():
    out = render("rich", "[/]")
    assert "Layer 1 ([/])" in out and "x1 → [/]1" in out


def test_terminal_escapes_in_a_title_are_shown_not_obeyed():
    out = render("rich", "\x1b]0;pwned\x07\x1b[2J")
    assert "T ␛]0;pwned␇␛[2J" in out


@pytest.mark.skipif(
    shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
    reason="pdflatex and pdftotext are not installed",
)
def test_hostile_files_compile_and_include_nothing(tmp_path):
    """Every LaTeX case, five to a document (title, source, notes and two layer names), compiled with -shell-escape."""
    secret = tmp_path / "secret.tex"
    secret.write_text(CANARY_TEXT + "\n")
    cases = [c.replace("CANARY", str(secret.with_suffix(""))) for c in LATEX + TERMINAL + UNICODE + HTML[:3]]
    for k in range(0, len(cases), 2):
        title, name = cases[k], cases[min(k + 1, len(cases) - 1)]
        for view in ({}, {"detail": "matrix"}):
            trace = engine.run(problem(title, layer_name=name))
            doc = tmp_path / f"key{k}.tex"
            with doc.open("w", encoding="utf-8") as f:
                get("latex")(trace, f, {"precision": 4, **view})
            r = subprocess.run(
                ["pdflatex", "-shell-escape", "-interaction=nonstopmode", "-halt-on-error", doc.name],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=120,
            )
            assert r.returncode == 0, (title, name, view, r.stdout[-1500:])
            pdf_text = subprocess.run(
                ["pdftotext", doc.with_suffix(".pdf").name, "-"],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                errors="replace",
            ).stdout
            assert CANARY_TEXT not in pdf_text, (title, name)
            assert "0.3775" in pdf_text or "Z(1)" in pdf_text  # the page itself is there
            assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED.tex").exists()


def test_markdown_from_hostile_files_makes_no_html_element():
    """markdown-it with raw HTML allowed (as GitHub and Jupyter read Markdown): only the page's own elements."""
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    page_tags = {"h1", "h2", "h3", "p", "em", "strong", "table", "thead", "tbody", "tr", "th", "td", "hr"}
    for case in HTML + MARKDOWN + LATEX[:12]:
        html = md.render(render("markdown", case))
        tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
        assert tags <= page_tags, (case, tags - page_tags)
        assert "<!--" not in html


def test_a_long_title_is_wrapped_not_cut_when_piped(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    words = " ".join(f"word{i}" for i in range(40))
    out = render("rich", words)
    assert "…" not in out.split("The problem")[0]
    assert all(f"word{i}" in out.split("The problem")[0] for i in range(40))
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_any_string_as_math_or_text_compiles(tmp_path):
    """600 random strings over TeX's active characters, as math (inside a unit name) and as text, in one document."""
    import random

    rng = random.Random(17)
    words = ["\\input", "\\frac", "\\left", "\\right", "\\text", "\\begin{cases}", "\\end{cases}", "\\\\", "^^"]
    alphabet = list("\\{}^_$&%#~'`[]()<>| \nab1") + words + ["σ", "é", "隐", "\x1b", "\ud800"]
    lines = []
    for _ in range(600):
        s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        name = tex.math(r"\mathrm{net}_{\mathit{" + s + "}_{1}}")
        lines.append(f"${name} = {tex.math(s)}$ {tex.text(s)}" + r"\par")
    doc = tmp_path / "fuzz.tex"
    doc.write_text(
        r"\documentclass{article}\usepackage[utf8]{inputenc}\usepackage{amsmath,amssymb}\begin{document}"
        + "\n".join(lines)
        + "\n\\end{document}\n",
        encoding="utf-8",
    )
    r = pdflatex(doc)
    assert r.returncode == 0, r.stdout[-1500:]
