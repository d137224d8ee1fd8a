"""References in the code, scenarios and docs point at documents that are in the repository.

The design and the five source stories were once cited as an internal "DESIGN.md" and "seed 000-004"
(and "seed" means the random seed here); they are docs/design.md and docs/sources.md now.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_TEXT = [
    *sorted((ROOT / "src").rglob("*.py")),
    *sorted((ROOT / "scenarios").iterdir()),
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "README.md",
]
STALE = re.compile(r"DESIGN\.md|\bseeds? 00\d|\.\./shared")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", SHIPPED_TEXT, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_to_documents_outside_the_repository(path):
    hits = [
        f"{path.relative_to(ROOT)}:{i}: {line.strip()}"
        for i, line in enumerate(_text(path).splitlines(), 1)
        if STALE.search(line)
    ]
    assert not hits, "\n".join(hits)


def _cited(pattern: str) -> set[str]:
    out = set()
    tests = [p for p in sorted((ROOT / "tests").glob("*.py")) if p.name != Path(__file__).name]
    for path in [*SHIPPED_TEXT, *tests]:
        out |= set(re.findall(pattern, _text(path)))
    return out


def test_cited_design_sections_exist():
    headings = set(re.findall(r"^## (\d+b?)\. ", _text(ROOT / "docs" / "design.md"), re.M))
    cited = _cited(r"design\.md,? §(\d+b?)")
    assert cited, "nothing cites docs/design.md by section"
    assert cited <= headings, cited - headings


def test_cited_source_stories_exist():
    headings = re.findall(r"^## (.+)$", _text(ROOT / "docs" / "sources.md"), re.M)
    # What follows each "sources.md: " (with line breaks and YAML indentation folded away).
    cited = _cited(r"sources\.md: ([^\n]+(?:\n[ #]*[^\n]*)?)")
    cited = {" ".join(c.split()).lstrip("# ")[:60] for c in cited}
    assert cited, "nothing cites docs/sources.md by name"
    unknown = {c for c in cited if not any(c.startswith(h) for h in headings)}
    assert not unknown, unknown
