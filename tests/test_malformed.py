"""Bad input, the way students write it: refused before anything is computed, exit 2, at the right line and key.

Each file in tests/malformed/ opens with the refusal it must produce:
    # expect: LINE [KEY] | a fragment of the message
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_cli import load
from backprop_cli.cli import main
from backprop_cli.errors import ProblemError

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.yaml"))


def expectation(path: Path) -> tuple[int, str, str]:
    m = re.match(
        r"# expect: (\d+)\s*([^|]*?)\s*\|\s*(.+)", path.read_text().splitlines()[0] if path.read_text() else ""
    )
    assert m, f"{path.name} has no '# expect:' line"
    return int(m.group(1)), m.group(2), m.group(3).strip()


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_refused_at_the_line_and_key_with_the_reason(path):
    line, key, fragment = expectation(path)
    with pytest.raises(ProblemError) as e:
        load(path)
    matching = [i for i in e.value.issues if i.line == line and (not key or i.key == key) and fragment in str(i)]
    assert matching, "\n".join(str(i) for i in e.value.issues)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_refused_with_exit_2_and_no_traceback(path):
    result = CliRunner().invoke(main, ["solve", str(path), "--format", "json"])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and f"{path}:" in result.output


@pytest.mark.parametrize(
    "text,line",
    [("title: x\nlayers:\n\t- name: h\n", 3), ("title: x\nlayers:\n  - name: h\n\t  activation: relu\n", 4)],
)
def test_a_tab_is_named_where_it_stands(text, line):
    """libyaml says "found character that cannot start any token"; a beginner needs to hear "a tab"."""
    from backprop_cli import loads

    with pytest.raises(ProblemError) as e:
        loads(text, "p.yaml")
    assert str(e.value).startswith(f"p.yaml:{line}:1: found a tab; expected spaces"), str(e.value)


def test_a_tab_in_an_answer_file_is_named(tmp_path):
    (tmp_path / "a.yaml").write_text("net_h1: 0.3775\n\tout_h1: 0.5933\n")
    r = CliRunner().invoke(main, ["check", "mazur-2-2-2", str(tmp_path / "a.yaml")])
    assert r.exit_code == 2 and ":2:1: found a tab; expected spaces" in r.output, r.output
