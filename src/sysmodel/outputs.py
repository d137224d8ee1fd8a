"""Outputs: the monthly table, the per-family table, and atomic file writing."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .files import atomic_path
from .params import DOLLAR_YEAR, EMPLOYMENT_STATES, HOUSING_STATES
from .policies.risk import auc
from .population import FAMILY_WAGE, NEVER, REHOUSED, SHELTER, SUBSIDIZED, UNEMPLOYED
from .spells import family_spell_summary

if TYPE_CHECKING:
    from .model import SystemModel
    from .params import Params

__all__ = [
    "EVENTS",
    "MonthlyRecorder",
    "family_table",
    "write_parquet_atomic",
    "write_json_atomic",
    "SUMMARY_UNITS",
    "summary_na_reason",
]

# Events counted by processes each month (always present in the monthly table, 0 if no process counts them).
EVENTS = (
    "filings",
    "evictions",
    "informal_moves",
    "cases_dismissed",
    "shelter_entries_first_time",
    "shelter_entries_return",
    "shelter_exits",
    "exits_to_rrh",
    "exits_to_voucher",
    "front_door_contacts",
    "jobs_found",
    "ui_claims",
    "benefit_claims_started",
    "jobs_lost",
    "raises_declined",
    "trainings_started",
    "trainings_completed",
    "training_dropouts",
    "moves_out",
    "exits_to_housing",
    "returns_within_6",
    "returns_within_12",
    "returns_within_24",
    "placements_at_risk",
    "placement_breakdowns",
    "breakdowns_conflict",
    "breakdowns_nonrenewal",
    "breakdowns_rent_burden",
    "breakdowns_to_shelter",
    "shelter_turned_away",
    "turned_away_unsheltered",
    "shelter_admitted_from_queue",
    "shelter_wait_months_admitted",
    "unsheltered_to_doubled_up",
    "voucher_turned_away",
    "vouchers_issued_from_queue",
    "landlord_turned_away",
)


# Events counted by the service processes (intake, rationing, services, accounting).
SERVICE_EVENTS = (
    "referrals_made",
    "referrals_completed",
    "walk_ins",
    "intakes",
    "assessments_reused",
    "assigned_coach",
    "assigned_financial",
    "assigned_coordinator",
    "declined_coach",
    "declined_financial",
    "declined_coordinator",
    "gave_up_waiting_coach",
    "gave_up_waiting_financial",
    "gave_up_waiting_coordinator",
    "prevention_applicants",
    "prevention_awards",
    "filings_diverted",
    "rehousing_applicants",
    "rehousing_awards",
    "rehousing_leased",
    "rehousing_awards_lapsed",
    "rehousing_awards_withdrawn",
    "subsidies_bridging_training",
    "subsidies_refunded",
    "voucher_applicants",
    "voucher_awards",
    "vouchers_leased",
    "voucher_awards_lapsed",
    "voucher_awards_withdrawn",
    "coaching_ended",
    "coaching_lost_in_crisis",
    "coaching_disengaged",
    "caseload_coach",
    "caseload_financial",
    "caseload_coordinator",
    "burned_out_coach",
    "burned_out_financial",
    "burned_out_coordinator",
    "shared_customers",
    "screened",
    "flagged",
    "braided_applicants",
    "braided_awards",
    "school_moves",
    "cw_cases_opened",
    "cw_open_cases",
    "cw_referrals_to_hub",
)
# Monthly-table columns that only the service system fills.
SERVICE_MONTHLY_COLUMNS = (
    *SERVICE_EVENTS,
    "staff_coach",
    "staff_financial",
    "staff_coordinator",
    "waiting_coach",
    "waiting_financial",
    "waiting_coordinator",
    "searching_with_award",
    "waiting_voucher",
    "hub_vouchers_in_use",
    "funds_prevention_usd",
    "funds_rehousing_usd",
    "funds_vouchers_usd",
    "cost_prevention_usd",
    "cost_hub_rehousing_usd",
    "cost_hub_vouchers_usd",
    "cost_staff_usd",
    "cost_braided_usd",
    "cost_child_welfare_usd",
    "mean_child_wellbeing",
)


class MonthlyRecorder:
    """Collects one row of system-level outcomes per recorded month, computed from the family arrays."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def collect(self, model: SystemModel, month: int) -> dict[str, Any]:
        pop, costs = model.population, model.params.costs
        counts = np.bincount(pop.housing, minlength=len(HOUSING_STATES))
        row: dict[str, Any] = {"month": month, "families": pop.n}
        for name, c in zip(HOUSING_STATES, counts, strict=True):
            row[f"n_{name}"] = int(c)
        for event in EVENTS:
            row[event] = int(model.events.get(event, 0))
        row["shelter_entries"] = row["shelter_entries_first_time"] + row["shelter_entries_return"]
        for event in SERVICE_EVENTS:
            row[event] = int(model.events.get(event, 0))
        for role, members in model.services.staff.items():
            row[f"staff_{role}"] = len(members)
        row["waiting_coach"] = int((pop.wait_coach != NEVER).sum())
        row["waiting_financial"] = int((pop.wait_fin != NEVER).sum())
        row["waiting_coordinator"] = int((pop.wait_coord != NEVER).sum())
        row["searching_with_award"] = int((pop.award_month != NEVER).sum())
        row["waiting_voucher"] = int((pop.voucher_app_month != NEVER).sum())
        # A hub voucher slot is in use from the award to the end of the holder's voucher.
        row["hub_vouchers_in_use"] = int(
            (pop.hub_voucher | (pop.voucher_award_month != NEVER)).sum()
        )
        row.update(model.queue_stats)  # capacities and queues (sysmodel.capacity)
        row["funds_prevention_usd"] = float(model.services.funds["prevention"])
        row["funds_rehousing_usd"] = float(model.services.funds["rehousing"])
        row["funds_vouchers_usd"] = float(model.services.funds["vouchers"])
        employed = pop.emp != UNEMPLOYED
        row["employment_rate"] = float(employed.mean())
        row["family_wage_rate"] = float((pop.emp == FAMILY_WAGE).mean())
        row["in_training"] = int((pop.training_left > 0).sum())
        income = pop.income
        row["mean_income_usd"] = float(income.mean())
        row["mean_earnings_usd"] = float(pop.earnings.mean())
        row["mean_benefits_usd"] = float(pop.benefits.mean())
        row["benefit_take_up"] = float(pop.claims_benefits.mean())
        row["mean_savings_usd"] = float(pop.savings.mean())
        row["median_savings_usd"] = float(np.median(pop.savings))
        row["mean_arrears_usd"] = float(pop.arrears.mean())
        row["mean_debt_usd"] = float(pop.debt.mean())
        row["mean_engagement"] = float(pop.engagement.mean())
        row["cost_shelter_usd"] = float(counts[SHELTER] * costs.shelter_usd)
        status_quo_rrh = int(((pop.housing == REHOUSED) & ~pop.hub_subsidy).sum())
        row["cost_rapid_rehousing_usd"] = float(status_quo_rrh * costs.rapid_rehousing_usd)
        # Status-quo vouchers at their published unit cost; the hub's at the subsidies it paid.
        status_quo_vouchers = int(
            counts[SUBSIDIZED] - (pop.hub_voucher & (pop.housing == SUBSIDIZED)).sum()
        )
        row["cost_long_term_subsidy_usd"] = float(status_quo_vouchers * costs.long_term_subsidy_usd)
        row["cost_hub_vouchers_usd"] = float(model.ledger.get("vouchers_usd", 0.0))
        row["cost_prevention_usd"] = float(model.ledger.get("prevention_usd", 0.0))
        row["cost_hub_rehousing_usd"] = float(model.ledger.get("rehousing_usd", 0.0))
        row["cost_staff_usd"] = float(model.ledger.get("staff_usd", 0.0))
        row["cost_braided_usd"] = float(model.ledger.get("braided_usd", 0.0))
        row["cost_child_welfare_usd"] = float(model.ledger.get("child_welfare_usd", 0.0))
        kids = pop.children > 0
        row["mean_child_wellbeing"] = float(pop.child_wellbeing[kids].mean()) if kids.any() else 0.0
        row["cost_total_usd"] = (
            row["cost_shelter_usd"]
            + row["cost_rapid_rehousing_usd"]
            + row["cost_long_term_subsidy_usd"]
            + row["cost_prevention_usd"]
            + row["cost_hub_rehousing_usd"]
            + row["cost_hub_vouchers_usd"]
            + row["cost_staff_usd"]
            + row["cost_braided_usd"]
            + row["cost_child_welfare_usd"]
        )
        self.rows.append(row)
        return row

    def table(self) -> pd.DataFrame:
        """The monthly table as a tidy DataFrame (one row per month)."""
        return pd.DataFrame(self.rows)


def family_table(model: SystemModel, spells: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per family that lived in the area while recording (leavers included).

    ``spells`` is the model's spell table if the caller has built it already (it is built otherwise).
    """
    if spells is None:
        spells = model.spell_table()
    r = model.population.records()
    for name in (
        "program_entry_month",
        "program_exit_month",
        "applied_prevention_month",
        "served_prevention_month",
        "applied_rehousing_month",
        "served_rehousing_month",
        "flagged_month",
        "screened_month",
        "lost_housing_month",
        "sheltered_month",
    ):
        r[name] = np.where(r[name] == NEVER, -1, r[name])  # outputs say "none" with -1
    groups = [g.name for g in model.params.population.groups]
    first = r["first_shelter_month"]
    months_to_first = np.where(first >= 0, first - r["entered_month"], np.nan)
    return pd.DataFrame(
        {
            "family_id": r["fid"],
            "group": pd.Categorical.from_codes(r["group"].astype(int), categories=groups),
            "adults": r["adults"],
            "children": r["children"],
            "high_barrier": r["high_barrier"],
            "entered_month": r["entered_month"],
            "left_month": r["left_month"],
            "income_start_usd": r["income_start"],
            "income_end_usd": r["income"],
            "employment_start": pd.Categorical.from_codes(
                r["emp_start"].astype(int), categories=EMPLOYMENT_STATES
            ),
            "employment_end": pd.Categorical.from_codes(
                r["emp"].astype(int), categories=EMPLOYMENT_STATES
            ),
            "savings_start_usd": r["savings_start"],
            "savings_end_usd": r["savings"],
            "arrears_end_usd": r["arrears"],
            "debt_end_usd": r["debt"],
            "housing_end": pd.Categorical.from_codes(
                r["housing"].astype(int), categories=HOUSING_STATES
            ),
            "months_homeless": r["months_homeless"],
            "episodes": r["episodes"],
            "evictions": r["evictions"],
            "filings": r["filings"],
            "months_to_first_shelter": months_to_first,
            "front_door_contacts": r["front_door_contacts"],
            "intakes": r["intakes"],
            "trainings_started": r["trainings_started"],
            "trainings_completed": r["trainings_completed"],
            "claims_benefits_end": r["claims_benefits"],
            "housing_exits": r["housing_exits"],
            "returns_6": r["returns_6"],
            "returns_12": r["returns_12"],
            "returns_24": r["returns_24"],
            # The service system (zero / -1 / False when no service process runs).
            "known_to": r["known"],
            "shared_customer": r["shared_customer"],
            "program_entry_month": r["program_entry_month"],
            "program_exit_month": r["program_exit_month"],
            "income_at_entry_usd": r["income_at_entry"],
            "income_at_exit_usd": r["income_at_exit"],
            "exit_employed": r["exit_employed"],
            "applied_prevention_month": r["applied_prevention_month"],
            "served_prevention_month": r["served_prevention_month"],
            "prevention_usd": r["prevention_usd"],
            "applied_rehousing_month": r["applied_rehousing_month"],
            "served_rehousing_month": r["served_rehousing_month"],
            "rehousing_usd": r["rehousing_usd"],
            "last_housing_exit_month": r["last_housing_exit_month"],
            "flagged_month": r["flagged_month"],
            "child_wellbeing_end": r["child_wellbeing"],
            "school_moves": r["school_moves"],
            "cw_cases": r["cw_cases"],
            "risk_score": r["risk_score"],
            "screened_month": r["screened_month"],
            "lost_housing_month": r["lost_housing_month"],
            "sheltered_month": r["sheltered_month"],
            "risk_signal": r["risk_signal"],
            # Who served the family (from the spell table): n_coaches, last_*_id (-1 none).
            **family_spell_summary(spells, r["fid"]),
        }
    )


# Family-table columns that only the service system fills.
SERVICE_FAMILY_COLUMNS = (
    "known_to",
    "shared_customer",
    "program_entry_month",
    "program_exit_month",
    "income_at_entry_usd",
    "income_at_exit_usd",
    "exit_employed",
    "applied_prevention_month",
    "served_prevention_month",
    "prevention_usd",
    "applied_rehousing_month",
    "served_rehousing_month",
    "rehousing_usd",
    "last_housing_exit_month",
    "flagged_month",
    "risk_score",
    "screened_month",
    "lost_housing_month",
    "sheltered_month",
    "risk_signal",
    "child_wellbeing_end",
    "school_moves",
    "cw_cases",
    "n_coaches",
    "last_coach_id",
    "last_financial_coach_id",
    "last_coordinator_id",
)


def write_parquet_atomic(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to ``path`` via a temporary file and an atomic rename (no half-written files)."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def _json_ready(obj: Any) -> Any:
    """``obj`` with numpy scalars and arrays made plain, and NaN or infinite floats made ``None``."""
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_json_atomic(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` as indented, strict JSON to ``path`` atomically.

    NaN and infinite floats (numpy's too) are written as ``null``: Python's json module would write bare
    ``NaN``, which strict parsers (JavaScript, jq, most other languages) refuse.
    """
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(_json_ready(obj), f, indent=2, default=str, allow_nan=False)
        f.write("\n")
    return Path(path)


# The unit of every key of :func:`summarize`, as printed by ``sysmodel run``. A unit starting with "share"
# is a fraction in summary.json and a percentage on screen (as in ``sysmodel compare``).
SUMMARY_UNITS: dict[str, str] = {
    "months": "months",
    "families_ever": "families",
    "filing_rate_per_100_renters_per_year": "per 100 renters/year",
    "eviction_rate_per_100_renters_per_year": "per 100 renters/year",
    "shelter_entries_per_year": "entries/year",
    "first_time_share_of_entries": "share of entries",
    "mean_families_in_shelter": "families",
    "mean_families_doubled_up": "families",
    "mean_families_unsheltered": "families",
    "mean_shelter_queue": "families",
    "mean_shelter_wait_months": "months",
    "shelter_utilisation_mean": "share of shelter units",
    "landlord_acceptance_mean": "share (mean over months)",
    "share_families_ever_in_shelter": "share of families",
    "mean_months_homeless_if_any": "months",
    "employment_rate_end": "share of families",
    "family_wage_rate_end": "share of families",
    "mean_income_start_usd": f"USD/family-month ({DOLLAR_YEAR})",
    "mean_income_end_usd": f"USD/family-month ({DOLLAR_YEAR})",
    "mean_savings_end_usd": f"USD/family ({DOLLAR_YEAR})",
    "benefit_take_up_mean": "share of families (mean over months)",
    "cost_total_usd": f"USD ({DOLLAR_YEAR})",
    "returns_within_12_per_exit": "share of exits to housing",
    "returns_within_24_per_exit": "share of exits to housing",
    "screening_auc_target": "AUC",
    "screening_auc_realised": "AUC",
    "screening_auc_best_achievable": "AUC",
}


def _ratio(num: float, den: float) -> float:
    """num / den, NaN when den is 0 (written as null)."""
    return float(num / den) if den else math.nan


def summary_na_reason(key: str, summary: dict[str, float]) -> str:
    """Why ``summary[key]`` is NaN (written as null): the screening outcomes need screened families."""
    if key.startswith("screening_auc") and not math.isfinite(summary["screening_auc_target"]):
        return "no family was screened, upstream screening is off"
    if key in ("screening_auc_realised", "screening_auc_best_achievable"):
        return (
            f"no screened family was followed {SCREENING_FOLLOW_UP_MONTHS} months, or none (or all) "
            "entered shelter"
        )
    if key == "shelter_utilisation_mean":
        return "the shelter has no capacity limit (capacity.shelter_units_per_1000_families is null)"
    if key == "mean_shelter_wait_months":
        return "no family left the shelter's waiting list (no limit, or the shelter never filled)"
    return "not defined for this run"


def summarize(
    monthly: pd.DataFrame, families: pd.DataFrame, params: Params | None = None
) -> dict[str, float]:
    """Headline outcomes of one run over its recorded months.

    Yearly rates are events per year per 100 renter households holding a lease (stable, behind, filed,
    re-housed or subsidised), the denominator Eviction Lab uses. ``params`` (the run's parameters)
    gives the screening target; the screening outcomes are described in :func:`screening_summary`.
    """
    years = len(monthly) / 12.0
    renters = (
        monthly[["n_stable", "n_behind", "n_filed", "n_rehoused", "n_subsidized"]]
        .sum(axis=1)
        .mean()
    )
    last = monthly.iloc[-1]
    homeless = families[families["episodes"] > 0]
    return {
        "months": float(len(monthly)),
        "families_ever": float(len(families)),
        "filing_rate_per_100_renters_per_year": float(
            100 * monthly["filings"].sum() / renters / years
        ),
        "eviction_rate_per_100_renters_per_year": float(
            100 * monthly["evictions"].sum() / renters / years
        ),
        "shelter_entries_per_year": float(monthly["shelter_entries"].sum() / years),
        "first_time_share_of_entries": float(
            monthly["shelter_entries_first_time"].sum() / max(monthly["shelter_entries"].sum(), 1)
        ),
        "mean_families_in_shelter": float(monthly["n_shelter"].mean()),
        "mean_families_doubled_up": float(monthly["n_doubled_up"].mean()),
        # Capacities and queues (NaN where there is no limit or nobody waited).
        "mean_families_unsheltered": float(monthly["n_unsheltered"].mean()),
        "mean_shelter_queue": float(monthly["shelter_queue"].mean()),
        "mean_shelter_wait_months": _ratio(
            monthly["shelter_queue_wait_months"].sum(), monthly["shelter_queue_left"].sum()
        ),
        "shelter_utilisation_mean": float(monthly["shelter_utilisation"].mean()),
        "landlord_acceptance_mean": float(monthly["landlord_acceptance"].mean()),
        "share_families_ever_in_shelter": float(len(homeless) / max(len(families), 1)),
        "mean_months_homeless_if_any": float(homeless["months_homeless"].mean())
        if len(homeless)
        else 0.0,
        "employment_rate_end": float(last["employment_rate"]),
        "family_wage_rate_end": float(last["family_wage_rate"]),
        "mean_income_start_usd": float(families["income_start_usd"].mean()),
        "mean_income_end_usd": float(families["income_end_usd"].mean()),
        "mean_savings_end_usd": float(last["mean_savings_usd"]),
        "benefit_take_up_mean": float(monthly["benefit_take_up"].mean()),
        "cost_total_usd": float(monthly["cost_total_usd"].sum()),
        # HUD SPM 2 style: returns to shelter per exit to housing (exits late in the run are followed
        # for less than the window, so these are lower bounds).
        "returns_within_12_per_exit": float(
            monthly["returns_within_12"].sum() / max(monthly["exits_to_housing"].sum(), 1)
        ),
        "returns_within_24_per_exit": float(
            monthly["returns_within_24"].sum() / max(monthly["exits_to_housing"].sum(), 1)
        ),
        **screening_summary(
            monthly, families, params.targeting.target_auc if params is not None else None
        ),
    }


# Months after a screening in which a shelter entry counts for the screening AUCs.
SCREENING_FOLLOW_UP_MONTHS = 12


def screening_summary(
    monthly: pd.DataFrame, families: pd.DataFrame, target_auc: float | None
) -> dict[str, float]:
    """How well upstream screening ranked families; all NaN when no family was screened.

    - ``screening_auc_target``: ``targeting.target_auc``, the score's AUC for shelter entry within 12
      months on the status-quo pilot that calibrated it (NaN if not given).
    - ``screening_auc_realised``: the AUC of each family's latest score for a shelter entry within 12
      months after that screening, over families screened at least 12 months before the last recorded
      month and followed for those months (or that entered shelter before leaving the area).
    - ``screening_auc_best_achievable``: the AUC of the same families' true risk at that screening
      (``risk_signal``) for the same outcomes: what a noise-free score would have realised.
    """
    keys = ("screening_auc_target", "screening_auc_realised", "screening_auc_best_achievable")
    if "screened" not in monthly or monthly["screened"].sum() == 0:
        # math.nan (one object) keeps equal summaries equal as dicts.
        return dict.fromkeys(keys, math.nan)
    screened = families["screened_month"].to_numpy()
    entry = families["sheltered_month"].to_numpy()
    left = families["left_month"].to_numpy()
    window_end = screened + SCREENING_FOLLOW_UP_MONTHS
    entered_in_window = (entry >= 0) & (entry <= window_end)
    # -1 means "never screened" / "still here"; a leaver's later entries are not seen.
    followed = (screened >= 0) & (window_end <= int(monthly["month"].iloc[-1]))
    followed &= (left < 0) | (left > window_end) | entered_in_window
    outcome = entered_in_window[followed]
    return {
        "screening_auc_target": math.nan if target_auc is None else float(target_auc),
        "screening_auc_realised": auc(families["risk_score"].to_numpy()[followed], outcome),
        "screening_auc_best_achievable": auc(families["risk_signal"].to_numpy()[followed], outcome),
    }
