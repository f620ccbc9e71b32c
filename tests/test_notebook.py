"""docs/notebook.ipynb runs top to bottom in a real Jupyter kernel, and its outputs hold the worked page's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("pandas")

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"


def outputs(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        parts.append(o.get("text", ""))
        parts.extend(str(v) for v in o.get("data", {}).values())
    return "\n".join(parts)


def test_the_notebook_runs_and_shows_the_worked_page(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(o.get("output_type") != "error" for c in code for o in c.get("outputs", []))
    page = code[0].outputs[0]["data"]
    html = page["text/html"]
    assert html.startswith('<div class="backprop">') and "<svg" in html and "<math" in html
    for number in ("0.3775", "0.5933", "0.7514", "0.2984", "0.1385", "0.3589"):  # Mazur's worked numbers
        assert f"<mn>{number}</mn>" in html
    assert "0.7513650695523157" in outputs(code[1]) and "0.35891647971788465" in outputs(code[1])
    mine = outputs(code[2])
    assert "net_o1 = w1·x1 + w2·x2 + b1 = 0.5·1 + (−0.25)·2 + 0.1 = 0.1" in mine and "\x1b[" not in mine
    assert "<svg" in code[3].outputs[-1]["data"]["image/svg+xml"]
    assert "net_h1" in outputs(code[4]) and "w5⁺" in outputs(code[5])
    assert "activation derivative is forgotten" in outputs(code[6])
    assert code[6].outputs[-1]["data"]["text/html"].startswith('<div class="backprop">')  # check, as a table
