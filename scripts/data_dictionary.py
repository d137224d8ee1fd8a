"""Regenerate docs/data_dictionary.md from src/sysmodel/dictionary.py (the one source of truth).

    .venv/bin/python scripts/data_dictionary.py          # write the document
    .venv/bin/python scripts/data_dictionary.py --check  # exit 1 if the document is out of date

tests/test_data_dictionary.py fails when the committed document differs from what this writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data_dictionary.md"
COMMAND = "python scripts/data_dictionary.py"


def render() -> str:
    from sysmodel.dictionary import markdown

    return markdown()


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1
        print(f"{DOC.relative_to(ROOT)} is up to date")
        return 0
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
