"""What the regression baseline is: a small fixed-seed run of the baseline scenario, summarised."""

from __future__ import annotations

import math
from pathlib import Path

from sysmodel import run_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE_FILE = ROOT / "tests" / "baseline" / "baseline.json"
SCENARIO = ROOT / "scenarios" / "baseline.yaml"
SEED, FAMILIES, MONTHS = 20261122, 2_000, 36

# Monthly-table columns whose totals over the run go into the baseline.
TOTALS = (
    "filings",
    "evictions",
    "informal_moves",
    "shelter_entries_first_time",
    "shelter_entries_return",
    "shelter_exits",
    "front_door_contacts",
    "jobs_found",
    "jobs_lost",
    "raises_declined",
    "trainings_started",
    "trainings_completed",
    "moves_out",
)


def baseline_summary() -> dict[str, float]:
    """The summary the baseline stores: headline outcomes, event totals, and end-of-run state counts."""
    result = run_scenario(SCENARIO, seed=SEED, families=FAMILIES, months=MONTHS)
    # NaN outcomes (the screening AUCs: the baseline screens no one) have no value to compare.
    out = {f"summary.{k}": float(v) for k, v in result.summary().items() if not math.isnan(v)}
    monthly = result.monthly
    for col in TOTALS:
        out[f"total.{col}"] = float(monthly[col].sum())
    last = monthly.iloc[-1]
    for col in monthly.columns:
        if col.startswith("n_"):
            out[f"end.{col}"] = float(last[col])
    fam = result.families
    out["families.mean_debt_end_usd"] = float(fam["debt_end_usd"].mean())
    out["families.total_months_homeless"] = float(fam["months_homeless"].sum())
    return out
