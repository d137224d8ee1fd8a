"""Regression baseline: a small fixed-seed run must reproduce the committed summary key by key.

If this fails after a change that is meant to move results, regenerate with
``python scripts/update_baseline.py`` and record why in CHANGELOG.md.
"""

from __future__ import annotations

import json
import math

import pytest

from baseline_spec import BASELINE_FILE, baseline_summary


def test_baseline_run_matches_committed_summary_key_by_key():
    expected = json.loads(BASELINE_FILE.read_text())
    actual = baseline_summary()
    assert sorted(actual) == sorted(expected), (
        "baseline keys changed: run scripts/update_baseline.py"
    )
    mismatches = [
        f"{key}: expected {expected[key]!r}, got {actual[key]!r}"
        for key in sorted(expected)
        if not math.isclose(actual[key], expected[key], rel_tol=1e-9, abs_tol=1e-9)
    ]
    if mismatches:
        pytest.fail("run differs from tests/baseline/baseline.json:\n" + "\n".join(mismatches))
