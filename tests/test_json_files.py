"""Every JSON file the project writes is strict JSON: no bare NaN or Infinity (``null`` instead)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sysmodel import cli
from sysmodel.outputs import write_json_atomic

ROOT = Path(__file__).resolve().parents[1]


def strict_load(path: Path):
    """Parse like a strict JSON parser would: NaN, Infinity and -Infinity are errors."""

    def refuse(name: str):
        raise ValueError(f"{path.name}: {name} is not JSON")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def test_write_json_atomic_writes_null_for_every_non_finite_float(tmp_path):
    obj = {
        "nan": math.nan,
        "inf": math.inf,
        "numpy_nan": np.float64("nan"),
        "numpy_float32_inf": np.float32("-inf"),
        "nested": [1.5, {"x": np.nan, "y": (np.float64(2.0), math.nan)}],
        "numpy_int": np.int64(3),
        "finite": 0.25,
    }
    back = strict_load(write_json_atomic(obj, tmp_path / "a.json"))
    assert back == {
        "nan": None,
        "inf": None,
        "numpy_nan": None,
        "numpy_float32_inf": None,
        "nested": [1.5, {"x": None, "y": [2.0, None]}],
        "numpy_int": 3,
        "finite": 0.25,
    }


def test_run_summary_and_manifest_parse_as_strict_json(tmp_path):
    # The baseline screens no one, so its screening AUCs are NaN in the summary.
    out = tmp_path / "run"
    result = CliRunner().invoke(
        cli.app,
        ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--families", "200", "--months", "3",
         "-q", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = strict_load(out / "summary.json")
    assert summary["screening_auc_realised"] is None
    strict_load(out / "manifest.json")


def test_strict_load_refuses_bare_nan(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"a": NaN}')
    with pytest.raises(ValueError, match="NaN is not JSON"):
        strict_load(path)
