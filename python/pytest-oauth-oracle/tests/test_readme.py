"""The repository README's pytest example is test_example.py, so it works as written."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
README = HERE.parents[2] / "README.md"
SECTION = "## Test your MCP client (Python)\n"


def test_readme_example_is_test_example() -> None:
    if not README.is_file() or SECTION not in README.read_text(encoding="utf-8"):
        pytest.skip(f"no repository README with the section {SECTION.strip()!r} at {README}")
    section = README.read_text(encoding="utf-8").split(SECTION, 1)[1]
    block = section.split("```python\n", 1)[1].split("```\n", 1)[0]
    example = (HERE / "test_example.py").read_text(encoding="utf-8")
    docstring, _, body = example.partition("\n\n")
    assert docstring.startswith('"""') and body == block
