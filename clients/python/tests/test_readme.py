"""The READMEs show the examples this suite runs, verbatim: each fenced block after an
``<!-- example: PATH -->`` line must equal that file (PATH from the repository
root), so what a reader copies is what passed here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
MARKER = re.compile(r"<!-- example: (\S+) -->\n+```\w*\n(.*?)```\n", re.S)


@pytest.mark.parametrize("readme", ["README.md", "clients/python/README.md"])
def test_the_readme_shows_the_python_examples_exactly_as_they_run_here(readme: str) -> None:
    text = (REPO / readme).read_text()
    mine = [(p, block) for p, block in MARKER.findall(text) if p.startswith("clients/python/")]
    assert mine, f"{readme} marks a clients/python example"
    for path, block in mine:
        assert block == (REPO / path).read_text(), f"{readme}: the block for {path}"
