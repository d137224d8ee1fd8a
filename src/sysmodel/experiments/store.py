"""A results folder with one sub-folder per finished run, written atomically so sweeps can resume."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from ..files import staged_folder
from ..runner import RunResult

__all__ = ["ResultStore"]


class ResultStore:
    """``root/runs/<run_id>/`` holds each run's tables, summary and manifest.

    A run folder is written under a temporary name and renamed into place when complete, so a folder that
    exists is a finished run, and an interrupted sweep resumes by skipping the ids it finds.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.runs.mkdir(parents=True, exist_ok=True)

    def path(self, run_id: str) -> Path:
        return self.runs / run_id

    def has(self, run_id: str) -> bool:
        """True if a complete run with this id is stored."""
        return (self.path(run_id) / "manifest.json").exists()

    def save(self, run_id: str, result: RunResult) -> Path:
        """Store ``result`` under ``run_id`` atomically (replacing nothing that is already complete)."""
        final = self.path(run_id)
        if self.has(run_id):
            return final
        with staged_folder(final) as tmp:
            result.save(tmp)
        return final

    def summary(self, run_id: str) -> dict[str, float | None]:
        """The run's summary.json; outcomes that were NaN (undefined) come back as ``None``."""
        return json.loads((self.path(run_id) / "summary.json").read_text())

    def manifest(self, run_id: str) -> dict:
        return json.loads((self.path(run_id) / "manifest.json").read_text())

    def monthly(self, run_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.path(run_id) / "monthly.parquet")

    def families(self, run_id: str) -> pd.DataFrame:
        return pd.read_parquet(self.path(run_id) / "families.parquet")

    def spells(self, run_id: str) -> pd.DataFrame:
        """The run's service-spell table (runs stored before it existed have none: FileNotFoundError)."""
        return pd.read_parquet(self.path(run_id) / "spells.parquet")

    def housing(self, run_id: str) -> pd.DataFrame:
        """The run's housing history (runs stored before it existed have none: FileNotFoundError)."""
        return pd.read_parquet(self.path(run_id) / "housing.parquet")
