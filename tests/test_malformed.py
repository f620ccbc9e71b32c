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
