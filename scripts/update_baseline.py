"""Regenerate the committed regression baseline (tests/baseline/baseline.json).

Run this only when a change is *meant* to move results, and say why in CHANGELOG.md (flag it **[results]**):

    .venv/bin/python scripts/update_baseline.py

The baseline is a small fixed-seed run of scenarios/baseline.yaml; tests/test_baseline.py compares a fresh
run with it key by key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from baseline_spec import BASELINE_FILE, baseline_summary  # noqa: E402


def main() -> None:
    summary = baseline_summary()
    old = json.loads(BASELINE_FILE.read_text()) if BASELINE_FILE.exists() else {}
    BASELINE_FILE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE_FILE.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    changed = sorted(k for k in summary if old.get(k) != summary[k])
    print(f"wrote {BASELINE_FILE.relative_to(ROOT)}: {len(summary)} keys, {len(changed)} changed")
    for key in changed:
        print(f"  {key}: {old.get(key)} -> {summary[key]}")


if __name__ == "__main__":
    main()
