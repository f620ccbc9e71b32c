"""The LaTeX answer key fits its page: no matrix or table runs into the margin (issue 11, item 17)."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from conftest import pdflatex

from backprop_cli import engine, examples, load
from backprop_cli.render import get

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


@pytest.mark.parametrize(
    "name,options",
    [
        ("sigmoid-2-10-10-1", {"detail": "matrix"}),
        ("sigmoid-2-10-10-1", {"record": False}),
        ("mazur-2-2-2", {"detail": "matrix"}),
    ],
)
def test_no_overfull_box_in_the_matrix_key(name, options, tmp_path):
    trace = engine.run(load(examples.path(name)), record=options.pop("record", True))
    out = io.StringIO()
    get("latex")(trace, out, {"precision": 4, **options})
    (tmp_path / "key.tex").write_text(out.getvalue())
    r = pdflatex(tmp_path / "key.tex")
    assert r.returncode == 0, r.stdout[-2000:]
    log = (tmp_path / "key.log").read_text(errors="replace")
    overfull = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)
    assert not [w for w in overfull if float(w) > 1.0], overfull
