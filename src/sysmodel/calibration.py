"""Calibration of the family dynamics to public patterns (docs/design.md §7), re-runnable.

Three pieces, each usable on its own:

- :data:`TARGETS`: the public patterns with their ranges and sources (eviction filing and eviction rates,
  the Culhane et al. 2007 shelter-use typology, returns to homelessness within 24 months of an exit to
  permanent housing from HUD's System Performance Measures), plus plausibility checks a planner would
  look at (share of renters behind on rent, employment rate of main earners).
- :func:`calibration_metrics`: runs the model on fixed seeds and measures every target the same way the
  data were measured; :func:`classify_shelter_use` is the Culhane classifier it uses, and
  :func:`spm_returns` measures returns to homelessness (HUD SPM 2) from the run's housing history.
- :func:`search`: a two-step search over :data:`FREE_PARAMETERS` (a Latin-hypercube screen, then
  block-wise Nelder-Mead polishing) that minimises :func:`calibration_loss` over a few seeds with common
  random numbers. ``sysmodel calibrate`` runs it; ``docs/calibration.md`` records the result.

The calibration only *reads* the model: it steps :class:`~sysmodel.model.SystemModel` and looks at the
family arrays, so nothing here changes how a run behaves.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model import SystemModel
from .params import Params
from .population import HOUSED_PAYING, SHELTER, UNEMPLOYED, state_mask
from .spm import RETURN_WINDOWS, spm_measures

__all__ = [
    "Target",
    "TARGETS",
    "FreeParameter",
    "FREE_PARAMETERS",
    "ENGINE_DEFAULTS",
    "PLACEMENT_STARTING_VALUES",
    "BLOCKS",
    "CALIBRATION_SEEDS",
    "ShelterUse",
    "classify_shelter_use",
    "shelter_use_shares",
    "first_time_cohort",
    "spm_returns",
    "calibration_metrics",
    "evaluate",
    "calibration_loss",
    "SearchResult",
    "search",
    "PORTLAND_TARGETS",
    "PORTLAND_SEEDS",
    "PORTLAND_HELD_OUT",
    "PORTLAND_FREE_PARAMETERS",
    "program_participants",
    "program_evaluation",
    "bootstrap_program_ratios",
    "portland_loss",
    "portland_evaluate",
    "portland_decomposition",
    "PortlandSearchResult",
    "portland_search",
]

_SRC_EVICTION_LAB = "Eviction Lab; Gromis et al. 2022, PNAS 119(21)"
_SRC_CULHANE = "Culhane et al. 2007, Housing Policy Debate 18(1)"
_SRC_SPM = (
    "HUD System Performance Measures data, FY2015-2019 (public CoC-level data): the median Continuum "
    "of Care reports about 17% of exits to permanent housing returning to homelessness within 24 "
    "months (10th-90th percentile of CoCs about 8-28%)"
)
_LEASE = state_mask(HOUSED_PAYING)


@dataclass(frozen=True)
class Target:
    """One public pattern the model should reproduce: an inclusive range for one metric.

    ``kind`` is ``"target"`` for the calibration targets of docs/design.md §7 and ``"check"`` for plausibility
    checks that are not calibration targets but keep the search away from implausible corners.
    """

    metric: str
    lo: float
    hi: float
    unit: str
    source: str
    kind: str = "target"
    weight: float = 1.0

    def distance(self, value: float) -> float:
        """How far ``value`` is outside the range, in range widths (0 inside)."""
        width = self.hi - self.lo
        return max(0.0, self.lo - value, value - self.hi) / width

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the inclusive range."""
        return self.lo <= value <= self.hi


TARGETS: tuple[Target, ...] = (
    Target(
        "filing_rate",
        6.0,
        8.0,
        "filings per 100 renter households per year",
        f"{_SRC_EVICTION_LAB}: 6-8% of renter households face a filing each year",
    ),
    Target(
        "eviction_rate",
        2.3,
        3.1,
        "executed evictions per 100 renter households per year",
        f"{_SRC_EVICTION_LAB}: 2.3-3.1% evicted each year",
    ),
    Target(
        "share_temporary",
        0.75,
        0.80,
        "share of first-time shelter families",
        f"{_SRC_CULHANE}: temporary cluster (short single stays) ~75-80%",
    ),
    Target(
        "share_episodic",
        0.05,
        0.10,
        "share of first-time shelter families",
        f"{_SRC_CULHANE}: episodic cluster ~5-10%",
    ),
    Target(
        "share_long_stay",
        0.10,
        0.20,
        "share of first-time shelter families",
        f"{_SRC_CULHANE}: long-stay cluster ~10-20%",
    ),
    Target(
        "long_stay_share_of_days",
        0.40,
        0.60,
        "share of the cohort's shelter months",
        f"{_SRC_CULHANE}: long stayers use about half of the shelter days (tolerance +-0.10 ours)",
    ),
    Target(
        "returns_within_24",
        0.13,
        0.21,
        "share of exits to permanent housing followed 24 months",
        f"{_SRC_SPM}; the range (median +-0.04) is our tolerance, narrower than the spread of CoCs",
    ),
    Target(
        "share_renters_behind",
        0.10,
        0.20,
        "share of renter households owing rent, at a time",
        "Census Household Pulse Survey 2022-23: ~8% of all renter households, and roughly 15-20% of "
        "renters with incomes under $35,000, not caught up on rent (approx.)",
        kind="check",
        weight=0.0,  # reported, not fitted (docs/calibration.md)
    ),
    Target(
        "employment_rate",
        0.85,
        0.90,
        "share of main earners employed, at a time",
        "BLS CPS 2023: employment of low-income renter household heads in the labour force (approx.)",
        kind="check",
        weight=0.1,
    ),
)


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the search may move, with the search box (narrower than the schema's bounds).

    The box is chosen from each parameter's source (see docs/calibration.md), so the search cannot
    wander to values the evidence rules out.
    """

    path: str
    lo: float
    hi: float
    why: str

    def to_unit(self, value: float) -> float:
        """Map a value in the box to [0, 1]."""
        return (value - self.lo) / (self.hi - self.lo)

    def from_unit(self, x: float) -> float:
        """Map [0, 1] back to the box (clipped)."""
        return self.lo + min(max(x, 0.0), 1.0) * (self.hi - self.lo)


FREE_PARAMETERS: tuple[FreeParameter, ...] = (
    # Block 1: what happens to families behind on rent (eviction rates). The budget parameters
    # (budget.essentials_*) stay at their documented values: see docs/calibration.md, "not matched".
    FreeParameter(
        "housing.p_filing_per_month_behind",
        0.01,
        0.15,
        "free: set by the Eviction Lab filing rate",
    ),
    FreeParameter(
        "housing.p_case_decided_per_month",
        0.4,
        0.9,
        "Eviction Lab: most cases resolve within 1-2 months",
    ),
    FreeParameter(
        "housing.p_eviction_given_judgment",
        0.3,
        0.8,
        "Eviction Lab: roughly 30-45% of filings end in an executed eviction",
    ),
    FreeParameter(
        "housing.p_informal_move_per_month_behind",
        0.005,
        0.04,
        "Desmond 2016: informal moves outnumber formal evictions",
    ),
    # Block 2: who stays in shelter how long and who comes back (Culhane typology).
    FreeParameter(
        "population.share_high_barrier",
        0.05,
        0.40,
        "Culhane et al. 2007: ~20% long stayers among shelter families",
    ),
    FreeParameter(
        "housing.p_shelter_exit_per_month",
        0.2,
        0.8,
        "Culhane et al. 2007: temporary stays last ~1-5 months",
    ),
    FreeParameter(
        "housing.high_barrier_exit_multiplier",
        0.02,
        0.4,
        "Culhane et al. 2007: long stays ~144-552 days",
    ),
    FreeParameter(
        "housing.share_shelter_exits_to_doubled_up",
        0.2,
        0.4,
        "HUD AHAR 2020: ~25-35% of family shelter exits go to family or friends",
    ),
    FreeParameter(
        "housing.p_doubled_up_exit_per_month",
        0.04,
        0.2,
        "doubled-up spells of months, not years (a mean of 5-25 months while working)",
    ),
    FreeParameter(
        "help_seeking.p_seek_help_doubled_up_per_month",
        0.05,
        0.3,
        "free: set by shelter entries and the episodic share",
    ),
    # Block 3: assisted placements that break down soon after lease-up (the placements process), which
    # set returns to homelessness within 24 months of an exit to permanent housing (HUD SPM 2).
    FreeParameter(
        "housing.p_placement_conflict_per_month",
        0.0,
        0.02,
        "HUD RRH for Homeless Families Demonstration (Finkel et al., Abt 2016): 10% of families "
        "returned to homelessness within 12 months of the end of RRH; 0.02 a month breaks ~22% of "
        "placements a year, about twice that, since not every breakdown ends in shelter",
    ),
    FreeParameter(
        "housing.p_nonrenewal_at_lease_end",
        0.0,
        0.3,
        "RRHD evaluation (Abt 2016): 76% of families moved at least once in the 12 months after RRH "
        "ended, not all involuntarily; a non-renewal at up to ~1 in 3 anniversaries stays well below",
    ),
    FreeParameter(
        "housing.p_breakdown_per_unit_rent_burden_per_month",
        0.0,
        0.2,
        "Family Options Study (Gubits et al. 2015/2016): short-term rapid re-housing did not reduce "
        "later homelessness against usual care, long-term subsidies did; a family paying 100% of "
        "income in rent once its subsidy ends breaks down at up to 0.1 a month (excess 0.5 x 0.2)",
    ),
    FreeParameter(
        "housing.share_breakdowns_to_shelter",
        0.1,
        0.6,
        "HUD AHAR 2020: ~25-35% of families entering shelter come from their own rental; RRHD: most "
        "moves after RRH do not end in homelessness, so most breakdowns double up first",
    ),
)
# The engine's values of the free parameters before calibration: blocks 1 and 2 as in commit 47fbfe2
# (the first search started there); block 3 as shipped with the placements process (commit 0f75aec,
# before its calibration): the three hazards off (0) and share_breakdowns_to_shelter 0.3.
# ``sysmodel calibrate --from-engine-defaults`` starts here.
ENGINE_DEFAULTS: dict[str, float] = {
    "housing.p_filing_per_month_behind": 0.05,
    "housing.p_case_decided_per_month": 0.6,
    "housing.p_eviction_given_judgment": 0.55,
    "housing.p_informal_move_per_month_behind": 0.01,
    "population.share_high_barrier": 0.18,
    "housing.p_shelter_exit_per_month": 0.5,
    "housing.high_barrier_exit_multiplier": 0.12,
    "housing.share_shelter_exits_to_doubled_up": 0.3,
    "housing.p_doubled_up_exit_per_month": 0.08,
    "help_seeking.p_seek_help_doubled_up_per_month": 0.15,
    "housing.p_placement_conflict_per_month": 0.0,
    "housing.p_nonrenewal_at_lease_end": 0.0,
    "housing.p_breakdown_per_unit_rent_burden_per_month": 0.0,
    "housing.share_breakdowns_to_shelter": 0.3,
}
# The starting values the parameter descriptions suggest for block 3 (params.py), before calibration.
PLACEMENT_STARTING_VALUES: dict[str, float] = {
    "housing.p_placement_conflict_per_month": 0.005,
    "housing.p_nonrenewal_at_lease_end": 0.10,
    "housing.p_breakdown_per_unit_rent_burden_per_month": 0.05,
    "housing.share_breakdowns_to_shelter": 0.3,
}
BLOCKS: tuple[tuple[str, ...], ...] = (
    tuple(p.path for p in FREE_PARAMETERS[:4]),
    tuple(p.path for p in FREE_PARAMETERS[4:10]),
    tuple(p.path for p in FREE_PARAMETERS[10:]),
)
# Fixed seeds: every candidate is run on the same seeds (common random numbers), so differences between
# candidates are differences of parameters, not of luck.
CALIBRATION_SEEDS: tuple[int, ...] = (101, 202, 303, 404, 505, 606, 707, 808)


# --- the Culhane typology ------------------------------------------------------------------------
@dataclass(frozen=True)
class ShelterUse:
    """Thresholds of the rule-based Culhane classification (see :func:`classify_shelter_use`)."""

    followup_months: int = 24
    long_stay_min_months: int = 6
    long_stay_max_episodes: int = 2
    episodic_min_episodes: int = 2


TEMPORARY, EPISODIC, LONG_STAY = "temporary", "episodic", "long_stay"


def classify_shelter_use(
    episodes: np.ndarray, shelter_months: np.ndarray, rule: ShelterUse | None = None
) -> np.ndarray:
    """Label each family's shelter use over its follow-up as temporary, episodic or long-stay.

    Culhane et al. (2007) clustered first-time shelter families by their number of episodes and total
    shelter days over the follow-up. We write their three clusters as rules on the same two numbers:

    - **long-stay**: at least ``long_stay_min_months`` months in shelter in at most
      ``long_stay_max_episodes`` episodes;
    - **episodic**: at least ``episodic_min_episodes`` episodes and not long-stay;
    - **temporary**: the rest, i.e. one stay of less than ``long_stay_min_months`` months.

    Args:
        episodes: shelter entries per family during its follow-up (>= 1 for cohort members).
        shelter_months: months spent in shelter during its follow-up.
        rule: thresholds (defaults: :class:`ShelterUse`).

    Returns:
        An array of labels ("temporary", "episodic", "long_stay").
    """
    rule = rule or ShelterUse()
    episodes = np.asarray(episodes)
    months = np.asarray(shelter_months)
    long_stay = (months >= rule.long_stay_min_months) & (episodes <= rule.long_stay_max_episodes)
    episodic = ~long_stay & (episodes >= rule.episodic_min_episodes)
    return np.where(long_stay, LONG_STAY, np.where(episodic, EPISODIC, TEMPORARY))


def shelter_use_shares(
    episodes: np.ndarray, shelter_months: np.ndarray, rule: ShelterUse | None = None
) -> dict[str, float]:
    """Shares of the three clusters, and the long stayers' share of all shelter months of the cohort."""
    labels = classify_shelter_use(episodes, shelter_months, rule)
    months = np.asarray(shelter_months, dtype=float)
    n = max(len(labels), 1)
    total = max(months.sum(), 1.0)
    return {
        "share_temporary": float((labels == TEMPORARY).sum() / n),
        "share_episodic": float((labels == EPISODIC).sum() / n),
        "share_long_stay": float((labels == LONG_STAY).sum() / n),
        "long_stay_share_of_days": float(months[labels == LONG_STAY].sum() / total),
        "cohort_families": float(len(labels)),
    }


def first_time_cohort(
    fid: np.ndarray,
    in_shelter: np.ndarray,
    episodes: np.ndarray,
    ever_sheltered: np.ndarray,
    fid_before: np.ndarray,
    ever_before: np.ndarray,
    followup_months: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Episodes and shelter months over the follow-up of every first-time shelter family.

    The inputs are month-end snapshots of the family arrays, shape (months, rows), over the recorded
    months: family id, in shelter, the episode counter (reset when recording starts) and the lifetime
    ``ever_sheltered`` flag; ``fid_before`` and ``ever_before`` are the same at the end of burn-in.

    A family is in the cohort if its first shelter entry *ever* (burn-in included) falls in a recorded
    month early enough to leave a full follow-up, as with the entry cohorts of Culhane et al. 2007. It
    is followed for ``followup_months`` months from that entry, its entry month included. A family
    that leaves the area during the follow-up contributes what it did while present, as in the
    administrative data, where later stays elsewhere are unseen.

    Returns:
        ``(episodes, shelter_months)`` arrays, one entry per cohort family.
    """
    months, rows = fid.shape
    same_prev = np.empty_like(fid, dtype=bool)
    same_prev[0] = fid[0] == fid_before
    same_prev[1:] = fid[1:] == fid[:-1]
    prev_eps = np.zeros_like(episodes)
    prev_eps[1:] = episodes[:-1]
    prev_eps = np.where(
        same_prev, prev_eps, 0
    )  # counters start at 0 for newcomers and at recording
    prev_eps[0] = 0
    prev_ever = np.empty_like(ever_sheltered)
    prev_ever[0] = ever_before
    prev_ever[1:] = ever_sheltered[:-1]
    prev_ever &= same_prev
    first_entry = (episodes > prev_eps) & ~prev_ever
    first_entry[max(months - followup_months + 1, 0) :] = False  # keep only full follow-ups

    t0, r = np.nonzero(first_entry)
    if t0.size == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    tt = t0[:, None] + np.arange(followup_months)[None, :]
    rr = r[:, None]
    # A row's family id never comes back once replaced, so "same id" is a prefix of the follow-up.
    present = fid[tt, rr] == fid[t0, r][:, None]
    shelter_months = (in_shelter[tt, rr] & present).sum(axis=1)
    # The episode counter is cumulative since recording started; a first-timer had none before.
    eps = np.where(present, episodes[tt, rr], 0).max(axis=1)
    return eps.astype(int), shelter_months.astype(int)


# --- metrics of one run -------------------------------------------------------------------------
def calibration_metrics(
    params: Params, seed: int, rule: ShelterUse | None = None
) -> dict[str, float]:
    """Run the model once (burn-in plus ``params.time.months``) and measure every calibration metric.

    - ``filing_rate``, ``eviction_rate``: events per 100 renter households (holding a lease) per
      year over the recorded months, as in :func:`sysmodel.outputs.summarize` and Eviction Lab.
    - ``share_temporary``, ``share_episodic``, ``share_long_stay``, ``long_stay_share_of_days``: the
      Culhane typology of the first-time shelter cohort (:func:`first_time_cohort`,
      :func:`classify_shelter_use`).
    - ``share_renters_behind``: renter households owing rent at a month's end, averaged over months.
    - ``employment_rate``: main earners employed at a month's end, averaged over months.
    - ``returns_within_24`` (a target), ``returns_within_12`` and ``returns_within_6`` (reported, not
      fitted): HUD SPM 2 returns to homelessness after exits to permanent housing, measured on the
      run's own housing history (:func:`spm_returns`), with the counts ``exits_followed_*`` and
      ``returned_within_*`` they come from.
    - diagnostics (not targets): shelter entries per 1,000 families a year, the first-time share of
      entries, filings per eviction, mean families in shelter and doubled up.
    """
    rule = rule or ShelterUse()
    model = SystemModel(params, rng=seed)
    pop = model.population
    for _ in range(params.time.burn_in_months):
        model.step()
    fid_before = pop.fid.copy()
    ever_before = pop.ever_sheltered.copy()
    months, n = params.time.months, pop.n
    fid = np.empty((months, n), dtype=np.int64)
    in_shelter = np.empty((months, n), dtype=bool)
    episodes = np.empty((months, n), dtype=np.int16)
    ever = np.empty((months, n), dtype=bool)
    behind = np.empty(months)
    employed = np.empty(months)
    for t in range(months):
        model.step()
        fid[t] = pop.fid
        in_shelter[t] = pop.housing == SHELTER
        episodes[t] = pop.episodes
        ever[t] = pop.ever_sheltered
        lease = _LEASE[pop.housing]
        behind[t] = (lease & (pop.arrears > 0.005)).sum() / max(lease.sum(), 1)
        employed[t] = (pop.emp != UNEMPLOYED).mean()

    monthly = model.monthly_table()
    years = months / 12.0
    renters = (
        monthly[["n_stable", "n_behind", "n_filed", "n_rehoused", "n_subsidized"]]
        .sum(axis=1)
        .mean()
    )
    eps, sh = first_time_cohort(
        fid, in_shelter, episodes, ever, fid_before, ever_before, rule.followup_months
    )
    out = {
        "filing_rate": float(100 * monthly["filings"].sum() / renters / years),
        "eviction_rate": float(100 * monthly["evictions"].sum() / renters / years),
        **shelter_use_shares(eps, sh, rule),
        "share_renters_behind": float(behind.mean()),
        "employment_rate": float(employed.mean()),
        "shelter_entries_per_1000_per_year": float(
            1000 * monthly["shelter_entries"].sum() / n / years
        ),
        "first_time_share_of_entries": float(
            monthly["shelter_entries_first_time"].sum() / max(monthly["shelter_entries"].sum(), 1)
        ),
        "evictions_per_filing": float(
            monthly["evictions"].sum() / max(monthly["filings"].sum(), 1)
        ),
        "informal_moves_per_100_renters_per_year": float(
            100 * monthly["informal_moves"].sum() / renters / years
        ),
        "mean_families_in_shelter": float(monthly["n_shelter"].mean()),
        "mean_families_doubled_up": float(monthly["n_doubled_up"].mean()),
        **spm_returns(model.housing_table(), months),
    }
    return out


def spm_returns(housing: Any, months: int) -> dict[str, float]:
    """Returns to homelessness after exits to permanent housing, HUD SPM 2 style, from a housing history.

    Reads :func:`sysmodel.spm.spm_measures` (measure 2, route ``all``): exits from shelter (or
    unsheltered) to a lease of the family's own, with or without a subsidy, and whether the family is
    homeless again (a shelter or unsheltered spell; doubling up is not a return) within 6, 12 and 24
    months. Only exits followed for the whole window count (exits in recorded months 0 to
    ``months - 1 - w``; a family that left the area before the window ended and had not returned is
    dropped). For each window ``w``: ``returns_within_{w}`` (share, NaN with no exit followed),
    ``returned_within_{w}`` and ``exits_followed_{w}`` (counts, which :func:`evaluate` pools over seeds).
    """
    spm = spm_measures(housing, months)
    spm2 = spm[(spm["measure"] == "2") & (spm["route"] == "all")]
    value = dict(zip(spm2["statistic"], spm2["value"], strict=True))
    out: dict[str, float] = {}
    for w in RETURN_WINDOWS:
        n = float(value[f"exits_followed_{w}m"])
        r = float(value[f"returned_within_{w}m"])
        out[f"returns_within_{w}"] = r / n if n > 0 else math.nan
        out[f"returned_within_{w}"] = r
        out[f"exits_followed_{w}"] = n
    return out


def _run_one(overrides: dict[str, Any], seed: int, base: dict[str, Any]) -> dict[str, float]:
    """Worker entry point (module level, so a process pool can pickle it)."""
    params = Params().with_overrides({**base, **overrides})
    return calibration_metrics(params, seed)


def _mean_metrics(runs: Sequence[dict[str, float]]) -> dict[str, float]:
    """Average metrics over seeds; the Culhane shares are pooled over the seeds' cohorts."""
    keys = runs[0].keys()
    out = {k: float(np.mean([r[k] for r in runs])) for k in keys}
    # Weight the cohort shares by cohort size, as if the seeds' cohorts were one larger cohort.
    sizes = np.array([r["cohort_families"] for r in runs])
    if sizes.sum() > 0:
        for k in ("share_temporary", "share_episodic", "share_long_stay"):
            out[k] = float(np.dot(sizes, [r[k] for r in runs]) / sizes.sum())
    out["cohort_families"] = float(sizes.sum())
    # Returns: the seeds' exits pooled into one set of exits (counts add up).
    for w in RETURN_WINDOWS:
        n = float(sum(r[f"exits_followed_{w}"] for r in runs))
        k = float(sum(r[f"returned_within_{w}"] for r in runs))
        out[f"exits_followed_{w}"], out[f"returned_within_{w}"] = n, k
        out[f"returns_within_{w}"] = k / n if n > 0 else math.nan
    return out


def calibration_loss(metrics: dict[str, float], targets: Sequence[Target] = TARGETS) -> float:
    """Weighted squared distances to the target ranges, in range widths.

    Outside a range the distance counts fully; inside, a small pull toward the middle (weight 0.05)
    prefers fits that stay inside the range when seeds or horizons change.
    """
    loss = 0.0
    for t in targets:
        x = metrics[t.metric]
        if not math.isfinite(x):  # not measurable (e.g. no exit followed 24 months): far outside
            x = t.lo - 10.0 * (t.hi - t.lo)
        centre = (x - 0.5 * (t.lo + t.hi)) / (t.hi - t.lo)
        loss += t.weight * (t.distance(x) ** 2 + 0.05 * centre**2)
    return float(loss)


def _base_overrides(families: int, months: int, burn_in: int | None) -> dict[str, Any]:
    base: dict[str, Any] = {"population.n_families": families, "time.months": months}
    if burn_in is not None:
        base["time.burn_in_months"] = burn_in
    return base


def evaluate(
    overrides: dict[str, Any] | None = None,
    *,
    families: int = 10_000,
    months: int = 120,
    burn_in: int | None = None,
    seeds: Sequence[int] = CALIBRATION_SEEDS[:2],
    executor: Any | None = None,
) -> dict[str, float]:
    """Calibration metrics of the defaults (plus ``overrides``), pooled over ``seeds``; adds ``loss``."""
    base = _base_overrides(families, months, burn_in)
    ov = dict(overrides or {})
    if executor is None:
        runs = [_run_one(ov, s, base) for s in seeds]
    else:
        runs = list(executor.map(_run_one, [ov] * len(seeds), list(seeds), [base] * len(seeds)))
    out = _mean_metrics(runs)
    out["loss"] = calibration_loss(out)
    return out


# --- the search ---------------------------------------------------------------------------------
@dataclass
class SearchResult:
    """The outcome of :func:`search`: best values (rounded for params.py), their metrics and a log."""

    best: dict[str, float]
    metrics: dict[str, float]
    start_metrics: dict[str, float]
    evaluations: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)


def _round_sig(x: float, digits: int = 3) -> float:
    """Round to ``digits`` significant digits (values to paste into params.py)."""
    if x == 0:
        return 0.0
    return round(x, digits - 1 - math.floor(math.log10(abs(x))))


def _with_block(
    anchor: dict[str, float], block: Sequence[str], x: Sequence[float]
) -> dict[str, float]:
    """``anchor`` with the parameters of ``block`` set from unit-box coordinates ``x``."""
    spec = {p.path: p for p in FREE_PARAMETERS}
    return {**anchor, **{p: spec[p].from_unit(float(v)) for p, v in zip(block, x, strict=True)}}


def search(
    *,
    families: int = 10_000,
    months: int = 96,
    burn_in: int | None = None,
    seeds: Sequence[int] = CALIBRATION_SEEDS[:2],
    n_screen: int = 24,
    polish_evals: int = 60,
    rounds: int = 2,
    workers: int = 2,
    sample_seed: int = 20240601,
    start_at: dict[str, float] | None = None,
    blocks: Sequence[int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Search the free parameters for the smallest :func:`calibration_loss`, block by block.

    The free parameters fall in three nearly separable blocks (:data:`BLOCKS`): block 1 (filing, case
    outcomes, informal moves) sets the eviction rates; block 2 (shelter exits, high barriers, doubled-up
    spells and help seeking) sets the Culhane typology; block 3 (placement breakdowns) sets returns to
    homelessness after exits to permanent housing. So:

    1. **Screen**: starting from the current defaults, for each block in turn, ``n_screen``
       Latin-hypercube points over that block's search boxes (other parameters at the best so far),
       all run on every seed in parallel; keep the best.
    2. **Polish**: ``rounds`` passes of bounded Nelder-Mead, one block at a time, each limited to
       ``polish_evals`` evaluations (the seeds of one evaluation run in parallel).
    3. Round the best values to 3 significant digits and evaluate them once more: those are the
       numbers to paste into params.py.

    The search starts from the current defaults, or from ``start_at`` (e.g. :data:`ENGINE_DEFAULTS`,
    the uncalibrated values it was first run from). Every evaluation runs the same ``seeds`` (common
    random numbers). ``blocks`` picks the blocks to search by number (1, 2, 3 as in
    docs/calibration.md; default all); the others stay at their start values. A block's screen uses
    the same Latin hypercube whichever blocks are searched. ``progress(done, total)`` is
    called after each evaluation; ``total`` is an upper bound (Nelder-Mead may stop early).
    Everything is deterministic given the arguments.
    """
    from scipy.optimize import minimize
    from scipy.stats import qmc

    start = time.perf_counter()
    start_at = dict(start_at or {})
    base = _base_overrides(families, months, burn_in)
    defaults = Params().flat()
    paths = [p.path for p in FREE_PARAMETERS]
    spec = {p.path: p for p in FREE_PARAMETERS}
    numbers = sorted(set(blocks)) if blocks is not None else list(range(1, len(BLOCKS) + 1))
    if not numbers or any(not 1 <= b <= len(BLOCKS) for b in numbers):
        raise ValueError(f"blocks must be numbers from 1 to {len(BLOCKS)}, got {blocks!r}")
    searched = [(b - 1, BLOCKS[b - 1]) for b in numbers]
    total = 1 + len(searched) * n_screen + rounds * len(searched) * polish_evals + 1
    done = 0
    history: list[dict[str, Any]] = []
    cache: dict[tuple[float, ...], float] = {}

    with ProcessPoolExecutor(max_workers=workers) as pool:

        def run_many(points: list[dict[str, float]]) -> list[dict[str, float]]:
            """Evaluate points on every seed (all jobs at once, so both cores stay busy)."""
            nonlocal done
            futures = [pool.submit(_run_one, pt, s, base) for pt in points for s in seeds]
            results = []
            for i, pt in enumerate(points):
                runs = [futures[i * len(seeds) + j].result() for j in range(len(seeds))]
                m = _mean_metrics(runs)
                m["loss"] = calibration_loss(m)
                history.append({**pt, **m})
                cache[tuple(pt[p] for p in paths)] = m["loss"]
                results.append(m)
                done += 1
                if progress is not None:
                    progress(min(done, total), total)
            return results

        best = {p: float(start_at.get(p, defaults[p])) for p in paths}
        start_metrics = run_many([best])[0]
        best_loss = start_metrics["loss"]

        # 1. Screen each block with a Latin hypercube over its boxes.
        for k, block in searched:
            sampler = qmc.LatinHypercube(d=len(block), seed=sample_seed + k)
            points = [_with_block(best, block, row) for row in sampler.random(n_screen)]
            losses = [m["loss"] for m in run_many(points)]
            i_best = int(np.argmin(losses))
            if losses[i_best] < best_loss:
                best, best_loss = points[i_best], losses[i_best]

        # 2. Polish: bounded Nelder-Mead in each block's unit box, the other blocks held fixed.
        for _ in range(rounds):
            for _k, block in searched:
                anchor = dict(best)

                def objective(
                    x: np.ndarray, block: tuple[str, ...] = block, anchor: dict = anchor
                ) -> float:
                    pt = _with_block(anchor, block, x)
                    key = tuple(pt[p] for p in paths)
                    return cache[key] if key in cache else run_many([pt])[0]["loss"]

                x0 = np.clip([spec[p].to_unit(anchor[p]) for p in block], 0.0, 1.0)
                # Initial simplex: a step of 15% of each box, inward from the nearer edge.
                steps = np.diag(np.where(x0 < 0.85, 0.15, -0.15))
                res = minimize(
                    objective,
                    x0,
                    method="Nelder-Mead",
                    bounds=[(0.0, 1.0)] * len(block),
                    options={
                        "maxfev": polish_evals,
                        "initial_simplex": np.vstack([x0, x0 + steps]),
                        "xatol": 0.01,
                        "fatol": 1e-3,
                    },
                )
                if res.fun < best_loss:
                    best_loss = float(res.fun)
                    best = _with_block(anchor, block, res.x)

        # 3. Round for params.py and measure the rounded values.
        rounded = {p: _round_sig(v) for p, v in best.items()}
        final = run_many([rounded])[0]
        if progress is not None:
            progress(total, total)

    return SearchResult(
        best=rounded,
        metrics=final,
        start_metrics=start_metrics,
        evaluations=len(history),
        seconds=time.perf_counter() - start,
        history=history,
    )


# --- Portland: the service system (docs/sources.md: Portland Aligned Partners Network) ---------
# The Aligned Partners Network evaluated its own programme: customers shared between a career coach and a
# housing-hub coordinator against the programme's other customers. These functions measure the model the
# same way, search the service-system parameters, and split the observed gap into the effect of alignment
# and selection with the paired counterfactual (docs/calibration.md, "Portland: the service system").

_SRC_PORTLAND = "docs/sources.md: Portland Aligned Partners Network (2017 programme data)"

PORTLAND_TARGETS: tuple[Target, ...] = (
    Target(
        "income_increase_ratio",
        1.6,
        2.4,
        "shared customers' income-increase rate / other customers' rate",
        f"{_SRC_PORTLAND}: 'almost double the rate of increase' (tolerance ours)",
    ),
    Target(
        "exit_employed_ratio",
        1.3,
        1.8,
        "shared customers' share leaving employed / other customers' share",
        f"{_SRC_PORTLAND}: '53% more likely to leave the program employed' (tolerance ours)",
    ),
)
# The evaluated scenario (scenarios/aligned_housing_hub.yaml) and its paired counterfactual.
PORTLAND_SCENARIO: dict[str, Any] = {"services.model": "aligned"}
PORTLAND_COUNTERFACTUAL: dict[str, Any] = {"services.model": "siloed"}
# Search seeds (common random numbers) and held-out seeds that no search sees.
PORTLAND_SEEDS: tuple[int, ...] = (101, 202, 303)
PORTLAND_HELD_OUT: tuple[int, ...] = (404, 505, 606, 707)

# Columns of the family table the programme evaluation reads.
PROGRAM_COLUMNS = (
    "family_id",
    "shared_customer",
    "program_entry_month",
    "program_exit_month",
    "income_at_entry_usd",
    "income_at_exit_usd",
    "exit_employed",
)


# An income increase counts when income at exit is at least 5% above entry: wages grow a little every
# month, so any employed participant would otherwise count (docs/calibration.md, Portland).
PORTLAND_MIN_INCREASE = 0.05


def program_participants(families: Any, min_increase: float = PORTLAND_MIN_INCREASE) -> Any:
    """The programme's exiting participants, one row each, with the two outcome flags.

    - **Programme**: families whose (latest) career-coaching spell ended during the recorded months,
      i.e. ``program_exit_month >= 0`` in the family table. A family counts once, with its latest spell.
    - **Shared customer**: ``shared_customer`` (had a coach and a housing-hub coordinator at the same time
      while recording); the others are the rest of the programme.
    - **Income increase**: income (earnings plus benefits) at exit *strictly* above income at entry times
      ``1 + min_increase`` (default :data:`PORTLAND_MIN_INCREASE`, 5%: a material gain, not the small
      monthly wage drift every employed participant gets). Ties are *not* increases.
    - **Exit employed**: the main earner was employed when the spell closed (``exit_employed``).

    Returns a DataFrame with ``family_id``, ``shared``, ``increase``, ``employed``, ``entry`` and ``exit``
    (months), ``income_at_entry_usd`` and ``income_at_exit_usd``.
    """
    import pandas as pd

    f = families[families["program_exit_month"] >= 0]
    entry = f["income_at_entry_usd"].to_numpy(float)
    exit_ = f["income_at_exit_usd"].to_numpy(float)
    return pd.DataFrame(
        {
            "family_id": f["family_id"].to_numpy(),
            "shared": f["shared_customer"].to_numpy(bool),
            "increase": exit_ > entry * (1.0 + min_increase),
            "employed": f["exit_employed"].to_numpy(bool),
            "entry": f["program_entry_month"].to_numpy(int),
            "exit": f["program_exit_month"].to_numpy(int),
            "income_at_entry_usd": entry,
            "income_at_exit_usd": exit_,
        }
    )


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def program_evaluation(participants: Any) -> dict[str, float]:
    """Counts, rates and shared/other ratios of a participants table (:func:`program_participants`).

    Rates are shares of exiting participants; a ratio is the shared customers' rate over the other
    customers' rate (NaN when a group is empty or its rate is 0).
    """
    sh = participants["shared"].to_numpy(bool)
    inc = participants["increase"].to_numpy(bool)
    emp = participants["employed"].to_numpy(bool)
    n_sh, n_ot = int(sh.sum()), int((~sh).sum())
    out = {
        "participants": float(sh.size),
        "shared": float(n_sh),
        "other": float(n_ot),
        "shared_increase": float(inc[sh].sum()),
        "other_increase": float(inc[~sh].sum()),
        "shared_employed": float(emp[sh].sum()),
        "other_employed": float(emp[~sh].sum()),
    }
    out["income_increase_shared"] = out["shared_increase"] / n_sh if n_sh else float("nan")
    out["income_increase_other"] = out["other_increase"] / n_ot if n_ot else float("nan")
    out["exit_employed_shared"] = out["shared_employed"] / n_sh if n_sh else float("nan")
    out["exit_employed_other"] = out["other_employed"] / n_ot if n_ot else float("nan")
    out["income_increase_ratio"] = _ratio(
        out["income_increase_shared"], out["income_increase_other"]
    )
    out["exit_employed_ratio"] = _ratio(out["exit_employed_shared"], out["exit_employed_other"])
    return out


def bootstrap_program_ratios(
    participants: Any, resamples: int = 2000, seed: int = 20240603, level: float = 0.95
) -> dict[str, tuple[float, float]]:
    """Percentile intervals of the two ratios, resampling families within each group (and seed).

    ``participants`` may pool several runs; pass a ``seed_run`` column to resample within each run.
    The generator is local (``np.random.default_rng(seed)``), so the intervals are reproducible.
    """
    rng = np.random.default_rng(seed)
    run = (
        participants["seed_run"].to_numpy()
        if "seed_run" in participants
        else np.zeros(len(participants), dtype=int)
    )
    sh = participants["shared"].to_numpy(bool)
    inc = participants["increase"].to_numpy(float)
    emp = participants["employed"].to_numpy(float)
    sums = np.zeros(
        (resamples, 4)
    )  # shared increase, other increase, shared employed, other employed
    counts = np.zeros(2)
    for r in np.unique(run):
        for k, group in enumerate((sh, ~sh)):
            idx = np.flatnonzero(group & (run == r))
            counts[k] += idx.size
            if idx.size == 0:
                continue
            draw = idx[rng.integers(0, idx.size, size=(resamples, idx.size))]
            sums[:, k] += inc[draw].sum(axis=1)
            sums[:, 2 + k] += emp[draw].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inc_ratio = (sums[:, 0] / counts[0]) / (sums[:, 1] / counts[1])
        emp_ratio = (sums[:, 2] / counts[0]) / (sums[:, 3] / counts[1])
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    return {
        "income_increase_ratio": tuple(float(v) for v in np.nanpercentile(inc_ratio, q)),
        "exit_employed_ratio": tuple(float(v) for v in np.nanpercentile(emp_ratio, q)),
    }


def _portland_params(
    overrides: dict[str, Any], base: dict[str, Any], arm: dict[str, Any]
) -> Params:
    return Params().with_overrides({**base, **overrides, **arm})


def _portland_run(
    overrides: dict[str, Any],
    seed: int,
    base: dict[str, Any],
    arm: dict[str, Any],
    snapshots: bool = False,
) -> dict[str, Any]:
    """Worker: one run of ``arm`` (the aligned scenario or its counterfactual); the programme columns of
    its family table and, with ``snapshots``, each row's family id, income and employment at every
    recorded month's end (for the paired counterfactual)."""
    params = _portland_params(overrides, base, arm)
    model = SystemModel(params, rng=seed)
    pop = model.population
    for _ in range(params.time.burn_in_months):
        model.step()
    months, n = params.time.months, pop.n
    out: dict[str, Any] = {"seed": seed}
    if snapshots:
        # Row 0 is the end of burn-in (entry income of families coached when recording starts);
        # row t + 1 is the end of recorded month t.
        fid = np.empty((months + 1, n), dtype=np.int64)
        income = np.empty((months + 1, n))
        employed = np.empty((months + 1, n), dtype=bool)
        fid[0], income[0], employed[0] = pop.fid, pop.income, pop.emp != UNEMPLOYED
        out["coached_at_start"] = pop.coach >= 0
    for t in range(months):
        model.step()
        if snapshots:
            fid[t + 1] = pop.fid
            income[t + 1] = pop.income
            employed[t + 1] = pop.emp != UNEMPLOYED
    out["families"] = model.family_table()[list(PROGRAM_COLUMNS)]
    if snapshots:
        out.update(fid=fid, income=income, employed=employed)
    return out


def _map_runs(fn: Callable, args: list[tuple], executor: Any | None) -> list[Any]:
    if executor is None:
        return [fn(*a) for a in args]
    return list(executor.map(fn, *zip(*args, strict=True)))


def portland_loss(metrics: dict[str, float]) -> float:
    """:func:`calibration_loss` over :data:`PORTLAND_TARGETS` (NaN ratios count as far outside)."""
    safe = {t.metric: metrics.get(t.metric, float("nan")) for t in PORTLAND_TARGETS}
    safe = {k: (v if np.isfinite(v) else -10.0) for k, v in safe.items()}
    return calibration_loss(safe, PORTLAND_TARGETS)


def portland_evaluate(
    overrides: dict[str, Any] | None = None,
    *,
    families: int = 10_000,
    months: int = 120,
    burn_in: int | None = None,
    seeds: Sequence[int] = PORTLAND_SEEDS,
    min_increase: float = PORTLAND_MIN_INCREASE,
    resamples: int = 2000,
    executor: Any | None = None,
) -> dict[str, Any]:
    """The programme evaluation of the aligned scenario (defaults plus ``overrides``), pooled over seeds.

    Pools every seed's exiting participants into one programme (counts add up), and adds per-seed ratios,
    bootstrap intervals of the pooled ratios (families resampled within group and seed) and ``loss``.
    """
    import pandas as pd

    base = _base_overrides(families, months, burn_in)
    ov = dict(overrides or {})
    runs = _map_runs(_portland_run, [(ov, s, base, PORTLAND_SCENARIO) for s in seeds], executor)
    parts = []
    per_seed = []
    for r in runs:
        p = program_participants(r["families"], min_increase)
        p["seed_run"] = r["seed"]
        parts.append(p)
        per_seed.append({"seed": r["seed"], **program_evaluation(p)})
    pooled = pd.concat(parts, ignore_index=True)
    out: dict[str, Any] = program_evaluation(pooled)
    out["intervals"] = bootstrap_program_ratios(pooled, resamples=resamples) if resamples else {}
    out["per_seed"] = per_seed
    out["loss"] = portland_loss(out)
    return out


# --- selection vs effect ------------------------------------------------------------------------
def _window_rows(part: Any, run: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Snapshot rows of each participant's programme window in ``run`` (the aligned run that defines
    the windows): the family's row, and the snapshot indices of its entry and exit."""
    fid = run["fid"]
    months, n = fid.shape
    # A family id holds one row for a contiguous stretch of months and never moves rows.
    rows_of = dict(zip(fid.ravel().tolist(), np.tile(np.arange(n), months).tolist(), strict=True))
    ids = part["family_id"].to_numpy()
    row = np.array([rows_of.get(int(i), -1) for i in ids])
    r = np.maximum(row, 0)
    entry = part["entry"].to_numpy() + 1
    exit_ = part["exit"].to_numpy() + 1
    # Families coached when recording started entered "at month 0" with their income at that moment.
    at_start = (entry == 1) & (fid[0, r] == ids) & run["coached_at_start"][r]
    entry = np.where(at_start, 0, entry)
    return row, entry, exit_


def _window_outcomes(
    ids: np.ndarray, row: np.ndarray, entry: np.ndarray, exit_: np.ndarray, run: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Income increase (strict) and employment over each window in ``run``; and whether the family is
    present at both ends of its window (and the window is valid)."""
    fid = run["fid"]
    r = np.maximum(row, 0)
    e = np.clip(entry, 0, fid.shape[0] - 1)
    x = np.clip(exit_, 0, fid.shape[0] - 1)
    present = (row >= 0) & (entry <= exit_) & (fid[e, r] == ids) & (fid[x, r] == ids)
    inc = run["income"][x, r] > run["income"][e, r] * (1.0 + PORTLAND_MIN_INCREASE)
    emp = run["employed"][x, r]
    return inc & present, emp & present, present


def portland_decomposition(
    overrides: dict[str, Any] | None = None,
    *,
    families: int = 10_000,
    months: int = 120,
    burn_in: int | None = None,
    seeds: Sequence[int] = PORTLAND_HELD_OUT,
    counterfactual: dict[str, Any] | None = None,
    resamples: int = 2000,
    executor: Any | None = None,
) -> dict[str, Any]:
    """Split the observed shared-vs-other gap into the effect of alignment and selection.

    Each seed runs twice: the aligned scenario (A) and the counterfactual (C, default: siloed), with
    common random numbers; families are matched by ``family_id``. For every programme participant of A
    (shared S or other O), the outcome over *the same window* (end of its entry month to end of its exit
    month) is read from both runs: ``r_g^A`` and ``r_g^C`` are the rates of group g in A and C. Then

    - observed gap: ``r_S^A - r_O^A`` (the programme's own comparison),
    - effect of alignment on the shared customers: ``r_S^A - r_S^C``,
    - selection (how different the shared customers would have been anyway): ``r_S^C - r_O^C``,
    - effect of alignment on the other customers: ``r_O^A - r_O^C`` (enters the gap with a minus sign),

    so gap = effect on shared + selection - effect on others, and on the ratio scale
    ``r_S^A / r_O^A = (r_S^A / r_S^C) * (r_S^C / r_O^C) * (r_O^C / r_O^A)``. Families that are not in
    the area at both ends of their window in C (if turnover differed), and the few whose recorded
    entry is after their exit (a later spell still open at the end overwrote the entry record), are
    dropped from all four rates (``dropped``).
    Percentile intervals come from resampling participants within group and seed (paired: a family's A
    and C outcomes move together).
    """
    import pandas as pd

    base = _base_overrides(families, months, burn_in)
    ov = dict(overrides or {})
    cf = dict(counterfactual or PORTLAND_COUNTERFACTUAL)
    args = [(ov, s, base, arm, True) for s in seeds for arm in (PORTLAND_SCENARIO, cf)]
    runs = _map_runs(_portland_run, args, executor)
    rows = []
    for i, seed in enumerate(seeds):
        a, c = runs[2 * i], runs[2 * i + 1]
        part = program_participants(a["families"])
        ids = part["family_id"].to_numpy()
        row, entry, exit_ = _window_rows(part, a)
        inc_a, emp_a, pres_a = _window_outcomes(ids, row, entry, exit_, a)
        inc_c, emp_c, pres_c = _window_outcomes(ids, row, entry, exit_, c)
        keep = pres_a & pres_c
        rows.append(
            pd.DataFrame(
                {
                    "seed": seed,
                    "shared": part["shared"].to_numpy(bool)[keep],
                    "inc_program": part["increase"].to_numpy(bool)[keep],
                    "emp_program": part["employed"].to_numpy(bool)[keep],
                    "inc_a": inc_a[keep],
                    "emp_a": emp_a[keep],
                    "inc_c": inc_c[keep],
                    "emp_c": emp_c[keep],
                }
            )
        )
        rows[-1].attrs["dropped"] = int((~keep).sum())
    data = pd.concat(rows, ignore_index=True)
    dropped = sum(r.attrs["dropped"] for r in rows)

    def parts(d: dict[str, np.ndarray], sh: np.ndarray) -> dict[str, float]:
        out = {}
        for k in ("inc", "emp"):
            sa, oa = d[f"{k}_a"][sh].mean(), d[f"{k}_a"][~sh].mean()
            sc, oc = d[f"{k}_c"][sh].mean(), d[f"{k}_c"][~sh].mean()
            out.update(
                {
                    f"{k}_shared_aligned": sa,
                    f"{k}_other_aligned": oa,
                    f"{k}_shared_counterfactual": sc,
                    f"{k}_other_counterfactual": oc,
                    f"{k}_gap": sa - oa,
                    f"{k}_effect_shared": sa - sc,
                    f"{k}_selection": sc - oc,
                    f"{k}_effect_other": oa - oc,
                    f"{k}_ratio": _ratio(sa, oa),
                    f"{k}_ratio_effect_shared": _ratio(sa, sc),
                    f"{k}_ratio_selection": _ratio(sc, oc),
                    f"{k}_ratio_effect_other": _ratio(oc, oa),
                }
            )
        return out

    cols = {k: data[k].to_numpy(float) for k in ("inc_a", "emp_a", "inc_c", "emp_c")}
    sh = data["shared"].to_numpy(bool)
    point = parts(cols, sh)
    intervals: dict[str, tuple[float, float]] = {}
    if resamples:
        rng = np.random.default_rng(20240604)
        strata = [
            np.flatnonzero((data["seed"].to_numpy() == s) & (sh == g))
            for s in seeds
            for g in (True, False)
        ]
        draws = []
        for _ in range(resamples):
            idx = np.concatenate([s[rng.integers(0, s.size, s.size)] for s in strata if s.size])
            draws.append(parts({k: v[idx] for k, v in cols.items()}, sh[idx]))
        boot = pd.DataFrame(draws)
        intervals = {
            k: (float(boot[k].quantile(0.025)), float(boot[k].quantile(0.975))) for k in point
        }
    return {
        "point": {k: float(v) for k, v in point.items()},
        "intervals": intervals,
        "participants": int(len(data)),
        "shared": int(sh.sum()),
        "dropped": int(dropped),
        "program_income_increase_ratio": program_evaluation(
            data.rename(columns={"inc_program": "increase", "emp_program": "employed"})
        )["income_increase_ratio"],
        "seeds": list(seeds),
    }


# --- the Portland search ------------------------------------------------------------------------
PORTLAND_FREE_PARAMETERS: tuple[FreeParameter, ...] = (
    FreeParameter(
        "services.p_seek_coaching_per_month",
        0.005,
        0.1,
        "assumption: walk-ins at employment providers, a few per 100 families a month",
    ),
    FreeParameter(
        "services.coaching_months",
        3,
        24,
        "docs/sources.md: Portland Aligned Partners Network: coaching before, during and after assistance; WIOA spells of months to 2 years",
    ),
    FreeParameter(
        "services.coach_job_find_multiplier",
        1.0,
        3.0,
        "WIOA / sectoral programme evaluations: coaching raises job finding by up to ~2x",
    ),
    FreeParameter(
        "agencies.career_coaches_per_provider",
        1,
        10,
        "assumption: a few career coaches at each community provider",
    ),
)
_INTEGER_PATHS = {"services.coaching_months", "agencies.career_coaches_per_provider"}


@dataclass
class PortlandSearchResult:
    """The outcome of :func:`portland_search`: best point, its fits and every candidate."""

    best: dict[str, float]
    metrics: dict[str, Any]
    family_metrics: dict[str, float]
    start_metrics: dict[str, Any]
    evaluations: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)


def _portland_point(x: Sequence[float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for p, u in zip(PORTLAND_FREE_PARAMETERS, x, strict=True):
        v = p.from_unit(float(u))
        out[p.path] = int(round(v)) if p.path in _INTEGER_PATHS else _round_sig(v)
    return out


def _pool_context() -> Any:
    """Fork-server workers where available (no fork() of a threaded parent), else the default."""
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return None


def portland_search(
    *,
    families: int = 10_000,
    months: int = 120,
    seeds: Sequence[int] = PORTLAND_SEEDS,
    n_screen: int = 24,
    workers: int = 2,
    sample_seed: int = 20240605,
    progress: Callable[[int, int], None] | None = None,
) -> PortlandSearchResult:
    """Latin-hypercube screen of :data:`PORTLAND_FREE_PARAMETERS` for the Portland ratios.

    Every candidate runs the aligned scenario on the same ``seeds`` (common random numbers) and the
    default (siloed) model on the family-dynamics seeds, since the service system runs in the default
    month too. The loss is :func:`portland_loss` plus the family-dynamics :func:`calibration_loss`, so a
    candidate that fits Portland by breaking the family-dynamics targets is not preferred. The start
    point (current defaults) is candidate 0. Deterministic given the arguments.
    """
    from scipy.stats import qmc

    start = time.perf_counter()
    defaults = Params().flat()
    points = [{p.path: defaults[p.path] for p in PORTLAND_FREE_PARAMETERS}]
    sampler = qmc.LatinHypercube(d=len(PORTLAND_FREE_PARAMETERS), seed=sample_seed)
    points += [_portland_point(row) for row in sampler.random(n_screen)]
    history: list[dict[str, Any]] = []
    fam_seeds = CALIBRATION_SEEDS[:2]
    with ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context()) as pool:
        for i, pt in enumerate(points):
            m = portland_evaluate(
                pt, families=families, months=months, seeds=seeds, resamples=0, executor=pool
            )
            fam = evaluate(pt, families=families, months=months, seeds=fam_seeds, executor=pool)
            total = m["loss"] + fam["loss"]
            history.append(
                {
                    **pt,
                    **{k: v for k, v in m.items() if isinstance(v, float)},
                    "portland_loss": m["loss"],
                    "family_loss": fam["loss"],
                    "family_all_in_range": all(
                        t.contains(fam[t.metric]) for t in TARGETS if t.kind == "target"
                    ),
                    "total_loss": total,
                }
            )
            if progress is not None:
                progress(i + 1, len(points))
        best_i = int(np.argmin([h["total_loss"] for h in history]))
        best = points[best_i]
        metrics = portland_evaluate(
            best, families=families, months=months, seeds=seeds, executor=pool
        )
        fam = evaluate(best, families=families, months=months, seeds=fam_seeds, executor=pool)
        start_metrics = (
            metrics
            if best_i == 0
            else portland_evaluate(
                points[0], families=families, months=months, seeds=seeds, executor=pool
            )
        )
    return PortlandSearchResult(
        best=best,
        metrics=metrics,
        family_metrics=fam,
        start_metrics=start_metrics,
        evaluations=len(history),
        seconds=time.perf_counter() - start,
        history=history,
    )
