"""Paired comparisons of scenarios on common random numbers (``sysmodel compare``).

Every scenario runs on the same seeds (rep ``r`` uses seed ``base_seed + r``). Because every stochastic
process draws from named streams keyed by (seed, process, month, draw), two scenarios on one seed differ
only where their policies differ, so the per-rep difference of an outcome is a paired observation with
far less noise than the difference of two independent runs. The first scenario is the reference.

What a :class:`Comparison` holds (all tidy DataFrames):

- ``outcomes``: one row per scenario x rep, the run's inputs (scenario, seed, rep, the parameters that
  differ between scenarios) beside every outcome of :data:`OUTCOMES`;
- ``differences``: per scenario and outcome, the paired difference to the reference (mean, sd, n and a
  95% t-interval over reps) and a verdict (:func:`verdict`: better, worse, negligible or no clear
  difference);
- ``cost_effectiveness``: each arm on the cost-effectiveness plane (extra total public cost against
  homeless spells averted): the quadrant (dominant, dominated or a trade-off with its ratio), the share
  of paired bootstrap draws in each quadrant, and a verdict only when both intervals exclude 0;
  ``ce_bootstrap`` holds the draws;
- ``counterfactual`` / ``counterfactual_pooled``: the per-family paired counterfactual: families matched
  by id across the two runs of a rep, counted as homeless in both, only under the reference, only under
  the scenario, or neither;
- ``equity`` / ``equity_runs``: the family-level outcomes by equity group, with disparity ratios (the
  group's value over the first, reference group's value).

The outcome list is one declarative table, :data:`OUTCOMES`: a name, the table it comes from, a pandas
expression over that table's columns, how months or families are aggregated, a unit and a direction.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .. import __version__
from ..files import atomic_path
from ..identity import code_revision, source_sha256
from ..outputs import write_json_atomic, write_parquet_atomic
from ..params import DOLLAR_YEAR
from ..report.format import short_number
from ..runner import package_versions
from ..scenario import Scenario
from .executors import run_specs
from .spec import RunSpec
from .store import ResultStore

__all__ = [
    "OUTCOMES",
    "HOMELESS",
    "Outcome",
    "Comparison",
    "CompareError",
    "CompareWarning",
    "check_comparable",
    "compare",
    "outcome",
    "paired_summary",
    "verdict",
    "VERDICTS",
    "QUADRANT_KEYS",
    "PRACTICAL_SHARE",
]

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 4000
# A clear difference smaller than this share of the reference mean's magnitude is called "negligible".
# Common random numbers make intervals narrow, so a change of a few families in thousands can exclude
# zero; a planner would not act on it. 1% is a convention, not an estimate: change it here, once.
PRACTICAL_SHARE = 0.01
# The verdicts of the differences table, in this order (figures and the console colour by them).
VERDICTS = ("better", "worse", "negligible", "no clear difference")
# The quadrants of the cost-effectiveness plane (x: spells averted, y: extra cost), as the
# cost_effectiveness table names them, and the suffix of their p_ columns (share of bootstrap draws).
QUADRANT_KEYS = {
    "dominant": "dominant",  # costs less, averts spells (south-east)
    "dominated": "dominated",  # costs more, adds spells (north-west)
    "costs more, averts spells": "costs_more_averts",  # north-east: a price per spell averted
    "saves money, adds spells": "saves_money_adds",  # south-west: savings per extra spell
}

# A family counts as homeless in a run if it entered shelter, or spent a month there, while recording.
HOMELESS = "(episodes > 0) | (months_homeless > 0)"


@dataclass(frozen=True)
class Outcome:
    """One outcome of a run, computed from its monthly or family table.

    ``expr`` is a column name or a pandas expression over the columns of ``table`` (``DataFrame.eval``).
    Monthly outcomes aggregate the expression over recorded months (``sum``, ``mean`` or the ``last``
    month); family outcomes are a ``mean`` over every family that lived in the area while recording (a
    share when the expression is true/false), and are also reported by equity group.
    """

    name: str
    label: str
    table: Literal["monthly", "families"]
    expr: str
    agg: Literal["sum", "mean", "last"]
    unit: str
    higher_is_better: bool

    def series(self, df: pd.DataFrame) -> pd.Series:
        """The expression evaluated on ``df`` (one value per month or per family)."""
        try:
            return df.eval(self.expr, engine="python").astype(float)
        except (KeyError, NameError, pd.errors.UndefinedVariableError) as exc:
            raise CompareError(
                f"outcome '{self.name}': the {self.table} table has no column for '{self.expr}' ({exc})."
            ) from None

    def value(self, monthly: pd.DataFrame, families: pd.DataFrame) -> float:
        """The outcome of one run."""
        s = self.series(monthly if self.table == "monthly" else families)
        if s.empty:
            return float("nan")
        if self.agg == "sum":
            return float(s.sum())
        if self.agg == "last":
            return float(s.iloc[-1])
        return float(s.mean())


# Dollar units name the dollar year: every amount in the model is in DOLLAR_YEAR dollars.
USD = f"USD ({DOLLAR_YEAR})"

# The outcome table. Totals are over the recorded months; costs are public costs.
# Add a row here to add an outcome everywhere (tables, figures, CLI).
OUTCOMES: tuple[Outcome, ...] = (
    # Homelessness
    Outcome("shelter_entries", "homeless spells (shelter entries)", "monthly", "shelter_entries",
            "sum", "spells", False),
    Outcome("family_months_in_shelter", "family-months in shelter", "monthly", "n_shelter", "sum",
            "family-months", False),
    Outcome("family_months_unsheltered", "family-months unsheltered (turned away by a full shelter)",
            "monthly", "n_unsheltered", "sum", "family-months", False),
    Outcome("shelter_queue", "families waiting for shelter (mean)", "monthly", "shelter_queue",
            "mean", "families", False),
    Outcome("ever_homeless", "families ever homeless", "families", HOMELESS, "mean",
            "share of families", False),
    # HUD System Performance Measure 2: shelter entries within 12 / 24 months of an exit to housing.
    Outcome("returns_within_12", "returns to shelter within 12 months of an exit", "monthly",
            "returns_within_12", "sum", "returns", False),
    Outcome("returns_within_24", "returns to shelter within 24 months of an exit", "monthly",
            "returns_within_24", "sum", "returns", False),
    # Evictions
    Outcome("filings", "eviction filings", "monthly", "filings", "sum", "filings", False),
    Outcome("evictions", "evictions", "monthly", "evictions", "sum", "evictions", False),
    Outcome("ever_evicted", "families ever evicted", "families", "evictions > 0", "mean",
            "share of families", False),
    # Employment and income
    Outcome("employment_rate", "employment rate", "monthly", "employment_rate", "mean",
            "share (mean over months)", True),
    Outcome("family_wage_rate", "family-wage job rate", "monthly", "family_wage_rate", "mean",
            "share (mean over months)", True),
    Outcome("employed_end", "employed at the end (or on leaving)", "families",
            "employment_end != 'unemployed'", "mean", "share of families", True),
    Outcome("income", "income", "monthly", "mean_income_usd", "mean",
            f"USD/family-month ({DOLLAR_YEAR}; mean over months)", True),
    Outcome("income_change", "income change per family", "families",
            "income_end_usd - income_start_usd", "mean", f"USD/month ({DOLLAR_YEAR})", True),
    Outcome("benefit_take_up", "benefit take-up", "monthly", "benefit_take_up", "mean",
            "share claiming (mean over months)", True),
    Outcome("trainings_completed", "trainings completed", "monthly", "trainings_completed", "sum",
            "trainings", True),
    # Children (two-generation outcomes): mean index over families with children.
    Outcome("child_wellbeing", "child well-being", "monthly", "mean_child_wellbeing", "mean",
            "index (mean over months)", True),
    # Savings and debt
    Outcome("savings_end", "savings at the end", "monthly", "mean_savings_usd", "last",
            f"USD/family ({DOLLAR_YEAR})", True),
    Outcome("debt_end", "debt at the end", "monthly", "mean_debt_usd", "last",
            f"USD/family ({DOLLAR_YEAR})", False),
    # Public cost, in total and by line
    Outcome("cost_total", "total public cost", "monthly", "cost_total_usd", "sum", USD, False),
    Outcome("cost_shelter", "cost: shelter", "monthly", "cost_shelter_usd", "sum", USD, False),
    Outcome("cost_hub_assistance", "cost: hub rent assistance", "monthly",
            "cost_prevention_usd + cost_hub_rehousing_usd", "sum", USD, False),
    Outcome("cost_hub_vouchers", "cost: hub long-term vouchers", "monthly",
            "cost_hub_vouchers_usd", "sum", USD, False),
    Outcome("cost_other_subsidies", "cost: status-quo RRH and vouchers", "monthly",
            "cost_rapid_rehousing_usd + cost_long_term_subsidy_usd", "sum", USD, False),
    Outcome("cost_staff", "cost: staff", "monthly", "cost_staff_usd", "sum", USD, False),
    Outcome("cost_child_welfare", "cost: child welfare", "monthly", "cost_child_welfare_usd", "sum",
            USD, False),
    Outcome("cost_braided", "cost: braided funds", "monthly", "cost_braided_usd", "sum", USD,
            False),
    # Administrative burden
    Outcome("intakes_per_family", "intakes per family (administrative burden)", "families",
            "intakes", "mean", "intakes/family", False),
)  # fmt: skip

FAMILY_OUTCOMES = tuple(o for o in OUTCOMES if o.table == "families")


def outcome(name: str) -> Outcome:
    """The outcome called ``name`` in :data:`OUTCOMES`."""
    for o in OUTCOMES:
        if o.name == name:
            return o
    raise KeyError(f"no outcome '{name}'; outcomes are {', '.join(o.name for o in OUTCOMES)}")


class CompareError(ValueError):
    """A comparison that cannot be made as asked; the message says why."""


class CompareWarning(UserWarning):
    """A comparison that runs but whose numbers need care (one rep, two identical arms)."""


# --- which arms can be paired ------------------------------------------------------------------

# Parameters that fix what rep r's month m means. Arms that differ in them are not paired observations of
# one system: a shorter arm sums fewer months (and looks "better" on every total), a larger population
# has more of every count. So they must match, unless the user says the difference is the question.
PAIRING_KEYS = ("time.months", "time.burn_in_months", "population.n_families")
# How a user sets one value for every arm, per key (command line; Python: Scenario.with_overrides).
_ONE_VALUE_FOR_ALL = {
    "time.months": "--months N",
    "time.burn_in_months": "--set time.burn_in_months=N",
    "population.n_families": "--families N",
}
# The recorded months can never differ: tables are paired month by month and totals summed over them.
ALLOWED_TO_DIFFER = ("time.burn_in_months", "population.n_families")


def check_comparable(
    scenarios: Sequence[Scenario], reps: int, allow_differing: Sequence[str] = ()
) -> list[str]:
    """Refuse arms that cannot be paired; return warnings about a comparison that can.

    Raises :class:`CompareError` when the arms differ in one of :data:`PAIRING_KEYS` that is not in
    ``allow_differing`` (naming the key, each arm's value and how to set one value for all), or when
    ``allow_differing`` names a key that may not differ. Returns warnings (plain sentences) for one rep
    (no interval is possible) and for arms with identical parameters (zero differences by construction).
    """
    for key in allow_differing:
        if key == "time.months":
            raise CompareError(
                "time.months cannot be allowed to differ: arms are paired month by month and totals "
                "are summed over the recorded months, so arms of different lengths have no paired "
                "difference. Compare each horizon separately (--months N), or compare a summary per "
                "month from `sysmodel run`."
            )
        if key not in ALLOWED_TO_DIFFER:
            raise CompareError(
                f"--allow-differing {key}: only {' and '.join(ALLOWED_TO_DIFFER)} can be allowed to "
                "differ; every other parameter may differ between arms without it."
            )
    arms = _arm_names(scenarios)
    for key in PAIRING_KEYS:
        values = [sc.params.flat()[key] for sc in scenarios]
        if len(set(values)) > 1 and key not in allow_differing:
            each = ", ".join(f"{arm} {v}" for arm, v in zip(arms, values, strict=True))
            allow = (
                f", or pass --allow-differing {key} if that difference is what you compare"
                if key in ALLOWED_TO_DIFFER
                else ""
            )
            raise CompareError(
                f"the arms differ in {key} ({each}), so rep r of one arm cannot be paired month by "
                f"month with rep r of another. Set one value for all arms with {_ONE_VALUE_FOR_ALL[key]} "
                f"(Python: Scenario.with_overrides({{'{key}': N}})){allow}."
            )
    notes = []
    if reps == 1:
        notes.append(
            "--reps 1: with one paired rep there is no interval and so no verdict; every difference "
            "is one draw. Use --reps 2 or more (20 is the default)."
        )
    for i, a in enumerate(scenarios):
        for j in range(i + 1, len(scenarios)):
            if a.params == scenarios[j].params:
                notes.append(
                    f"arms {arms[i]} and {arms[j]} have identical parameters: on common random "
                    "numbers every difference between them is exactly zero. Check the scenario files."
                )
    return notes


# --- statistics --------------------------------------------------------------------------------


def paired_summary(diffs: Sequence[float] | np.ndarray) -> dict[str, float]:
    """Mean, sd, n and a 95% t-interval of paired differences (NaN interval with fewer than 2 pairs)."""
    d = np.asarray(diffs, dtype=float)
    n = int(d.size)
    mean = float(d.mean()) if n else float("nan")
    if n < 2:
        return {"n": n, "mean": mean, "sd": float("nan"), "se": float("nan"),
                "ci_low": float("nan"), "ci_high": float("nan")}  # fmt: skip
    sd = float(d.std(ddof=1))
    se = sd / np.sqrt(n)
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * se
    return {"n": n, "mean": mean, "sd": sd, "se": se, "ci_low": mean - half, "ci_high": mean + half}


def verdict(
    ci_low: float, ci_high: float, mean: float, threshold: float, higher_is_better: bool
) -> str:
    """One of :data:`VERDICTS` for a paired difference.

    'no clear difference' when the interval is undefined or touches 0; 'negligible' when it excludes 0
    but the mean difference is smaller in magnitude than ``threshold`` (the practical threshold, in the
    outcome's unit); otherwise 'better' or 'worse' by the outcome's direction.
    """
    if not (np.isfinite(ci_low) and np.isfinite(ci_high)) or ci_low <= 0 <= ci_high:
        return "no clear difference"
    if abs(mean) < threshold:
        return "negligible"
    up = ci_low > 0
    return "better" if up == higher_is_better else "worse"


# --- one run, reduced to what the comparison needs --------------------------------------------


@dataclass
class _Digest:
    outcomes: dict[str, float]
    monthly: pd.DataFrame
    groups: pd.DataFrame  # group, outcome, value, families
    families: pd.DataFrame  # family_id plus the columns used to match families and their flag


_MATCH_ON = ("entered_month", "group", "adults", "children")
_KEYS = ("scenario", "rep", "seed")


def _digest(monthly: pd.DataFrame, families: pd.DataFrame) -> _Digest:
    values = {o.name: o.value(monthly, families) for o in OUTCOMES}
    rows = []
    by_group = families.groupby("group", observed=False)
    for o in FAMILY_OUTCOMES:
        s = o.series(families)
        for group, idx in by_group.groups.items():
            part = s.loc[idx]
            rows.append(
                {
                    "group": str(group),
                    "outcome": o.name,
                    "value": float(part.mean()) if len(part) else float("nan"),
                    "families": len(part),
                }
            )
    slim = families[["family_id", *_MATCH_ON]].copy()
    slim["group"] = slim["group"].astype(str)
    slim["homeless"] = families.eval(HOMELESS, engine="python").to_numpy(bool)
    return _Digest(values, monthly.copy(), pd.DataFrame(rows), slim)


# --- the comparison ----------------------------------------------------------------------------


@dataclass
class Comparison:
    """The result of :func:`compare`: tidy tables, and :meth:`save` to write them with figures."""

    scenarios: list[Scenario]
    arms: list[str]  # the scenarios' names, made unique; arms[0] is the reference
    reps: int
    base_seed: int
    outcomes: pd.DataFrame
    differences: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    ce_bootstrap: pd.DataFrame
    counterfactual: pd.DataFrame
    counterfactual_pooled: pd.DataFrame
    equity: pd.DataFrame
    equity_runs: pd.DataFrame
    monthly: pd.DataFrame
    run_ids: dict[tuple[str, int], str]
    warnings: list[str] = field(default_factory=list)
    allowed_differences: list[str] = field(default_factory=list)
    runs_reused: int = 0
    elapsed_seconds: float = 0.0
    created: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    TABLES = (
        "outcomes",
        "differences",
        "cost_effectiveness",
        "ce_bootstrap",
        "counterfactual",
        "counterfactual_pooled",
        "equity",
        "equity_runs",
        "monthly",
    )

    @property
    def reference(self) -> str:
        """The reference arm (the first scenario)."""
        return self.arms[0]

    @property
    def seeds(self) -> list[int]:
        return [self.base_seed + r for r in range(self.reps)]

    def manifest(self) -> dict[str, Any]:
        """What was compared, on which seeds, with which code: written as ``comparison.json``."""
        return {
            "kind": "sysmodel.compare",
            "dollar_year": DOLLAR_YEAR,
            "reference": self.reference,
            "scenarios": [
                {
                    "arm": arm,
                    "name": sc.name,
                    "description": sc.description,
                    "file": sc.path,
                    "overrides": sc.overrides,
                    "n_families": sc.params.population.n_families,
                    "burn_in_months": sc.params.time.burn_in_months,
                }
                for arm, sc in zip(self.arms, self.scenarios, strict=True)
            ],
            "reps": self.reps,
            "base_seed": self.base_seed,
            "seeds": self.seeds,
            "months_recorded": self.scenarios[0].params.time.months,
            # One size for every arm unless allowed to differ (then each scenario above has its own).
            "families": self.scenarios[0].params.population.n_families
            if len({sc.params.population.n_families for sc in self.scenarios}) == 1
            else None,
            "allowed_differences": self.allowed_differences,
            "warnings": self.warnings,
            "runs": [
                {"arm": arm, "rep": rep, "seed": self.base_seed + rep, "run_id": run_id}
                for (arm, rep), run_id in self.run_ids.items()
            ],
            "runs_reused_from_store": self.runs_reused,
            "outcomes": [asdict(o) for o in OUTCOMES],
            "methods": {
                "pairing": "rep r of every scenario runs on seed base_seed + r (common random numbers)",
                "differences": (
                    f"scenario minus reference per rep; mean, sd (ddof 1) and a {CONFIDENCE:.0%} "
                    "t-interval (scipy.stats.t, n - 1 degrees of freedom) over reps"
                ),
                "verdict": (
                    "'no clear difference' if the interval touches 0; 'negligible' if it excludes 0 "
                    f"but |mean| < practical_threshold = {PRACTICAL_SHARE:g} x |reference mean|; "
                    "else 'better' or 'worse' by the outcome's direction"
                ),
                "cost_effectiveness": (
                    "each arm on the cost-effectiveness plane: mean extra total public cost "
                    f"(USD {DOLLAR_YEAR}, undiscounted) against mean shelter entries averted, each "
                    f"with its paired t-interval; the quadrant of the means (dominant, dominated, or a "
                    "trade-off); the share of paired bootstrap draws in each quadrant "
                    f"({BOOTSTRAP_RESAMPLES} resamples of reps, cost and spells resampled together, "
                    "ce_bootstrap table); no verdict when either t-interval includes 0; in a "
                    "trade-off quadrant the ratio of means with a "
                    f"{CONFIDENCE:.0%} bootstrap percentile interval"
                ),
                "homeless_family": HOMELESS,
                "counterfactual_matching": (
                    "families matched on family_id with the same entry month, group, adults and "
                    "children; counts pooled over reps"
                ),
                "disparity_ratio": (
                    "a group's mean over reps divided by the first (reference) group's mean"
                ),
            },
            "versions": package_versions(),
            "code_revision": code_revision(),
            "code_version": __version__,
            "source_sha256": source_sha256(),
            "created": self.created,
            "elapsed_seconds": self.elapsed_seconds,
            "tables": [f"{name}.parquet" for name in self.TABLES],
        }

    def save(self, out_dir: str | Path, figures: bool = True) -> Path:
        """Write every table as Parquet, ``differences.csv``, figures (PNG) and, last, ``comparison.json``.

        Each file is written atomically; ``comparison.json`` is written last, so its presence marks a
        finished comparison. If writing fails (a full disk, Ctrl-C), the files written so far are
        removed again: the folder then holds only ``runs/``, which a rerun resumes from.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        # A comparison written again (--force) stops being marked finished while its tables change.
        (out / "comparison.json").unlink(missing_ok=True)
        written: list[Path] = []
        try:
            for name in self.TABLES:
                written.append(out / f"{name}.parquet")
                write_parquet_atomic(getattr(self, name), written[-1])
            written.append(out / "differences.csv")
            with atomic_path(written[-1]) as tmp:
                self.differences.to_csv(tmp, index=False)
            manifest = self.manifest()
            if figures:
                written.append(out / "figures")
                manifest["figures"] = self.figures(written[-1])
            else:
                manifest["figures"] = []
            write_json_atomic(manifest, out / "comparison.json")
        except BaseException:
            # Tables without comparison.json would make the folder look like someone else's
            # results; without them it is an interrupted comparison that a rerun completes.
            for path in written:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            raise
        return out

    def figures(self, folder: str | Path) -> list[str]:
        """Draw the forest plot, trajectories, equity, counterfactual and cost-effectiveness plane
        figures; return file names."""
        from ..report import figures as fig  # the report layer draws from tables only

        folder = Path(folder)
        paths = [
            fig.forest_plot(self.differences, folder / "forest.png"),
            fig.trajectory_plot(self.monthly, folder / "trajectories.png"),
            fig.equity_plot(self.equity, folder / "equity.png", reps=self.reps),
            fig.counterfactual_plot(self.counterfactual_pooled, folder / "counterfactual.png"),
            fig.ce_plane_plot(self.cost_effectiveness, self.ce_bootstrap, folder / "ce_plane.png", DOLLAR_YEAR),
        ]
        return [f"figures/{p.name}" for p in paths]


def _arm_names(scenarios: Sequence[Scenario]) -> list[str]:
    """The scenarios' names, with ``#2``, ``#3`` ... added to repeats so every arm has its own label."""
    arms: list[str] = []
    for sc in scenarios:
        name, k = sc.name, 1
        while name in arms:
            k += 1
            name = f"{sc.name}#{k}"
        arms.append(name)
    return arms


def _varying_inputs(scenarios: Sequence[Scenario]) -> dict[str, list[Any]]:
    """Parameters that differ between the scenarios (plus horizon and size): the runs' inputs."""
    flats = [sc.params.flat() for sc in scenarios]
    out: dict[str, list[Any]] = {}
    for key in flats[0]:
        values = [f[key] for f in flats]
        # A null capacity (no limit) is NaN, so a column of capacities stays numeric.
        scalar = [
            math.nan if v is None else v if isinstance(v, bool | int | float | str) else json.dumps(v)
            for v in values
        ]
        if key in ("time.months", "population.n_families") or len(set(map(str, scalar))) > 1:
            out[key] = scalar
    return out


def compare(
    scenarios: Sequence[Scenario],
    reps: int,
    base_seed: int = 0,
    workers: int | None = None,
    executor: Executor | None = None,
    store: ResultStore | None = None,
    progress: Callable[[int, int], None] | None = None,
    allow_differing: Sequence[str] = (),
) -> Comparison:
    """Run every scenario on the same ``reps`` seeds and compare each with the first (the reference).

    Args:
        scenarios: two or more loaded scenarios (see :func:`sysmodel.scenario.load_scenario`); the first
            is the reference. Apply ``--set``-style changes with :meth:`Scenario.with_overrides`.
        reps: paired replications; rep ``r`` runs every scenario on seed ``base_seed + r``.
        workers, executor: how runs are executed (see :func:`sysmodel.experiments.run_specs`); the
            tables do not depend on either.
        store: a :class:`ResultStore`; runs already there are read back instead of rerun, and new runs
            are saved there as they finish, so an interrupted comparison resumes.
        progress: ``progress(done, total)`` after each run.
        allow_differing: keys of :data:`ALLOWED_TO_DIFFER` that may differ between arms (see
            :func:`check_comparable`, which refuses any other difference in :data:`PAIRING_KEYS`).

    Raises :class:`CompareError` for arms that cannot be paired, and warns (:class:`CompareWarning`,
    also kept in ``Comparison.warnings`` and ``comparison.json``) about one rep or identical arms.
    """
    if len(scenarios) < 2:
        raise CompareError(
            f"a comparison needs at least two scenarios (the first is the reference), got {len(scenarios)}."
        )
    if reps < 1:
        raise CompareError(f"reps must be at least 1, got {reps}.")
    if base_seed < 0:
        raise CompareError(f"the base seed must be a non-negative integer, got {base_seed}.")
    scenarios = list(scenarios)
    notes = check_comparable(scenarios, reps, allow_differing)
    for note in notes:
        warnings.warn(note, CompareWarning, stacklevel=2)
    started = time.perf_counter()
    arms = _arm_names(scenarios)
    for arm, sc in zip(arms, scenarios, strict=True):
        # Workers rebuild scenarios from their overrides: they must describe the parameters fully.
        if RunSpec.from_scenario(sc, 0).scenario().params != sc.params:
            raise CompareError(
                f"scenario '{arm}': its parameters are not described by its overrides; build it with "
                "load_scenario() or Scenario.with_overrides() so worker processes can rebuild it."
            )
    seeds = [base_seed + r for r in range(reps)]

    run_ids: dict[tuple[str, int], str] = {}
    unique: dict[str, RunSpec] = {}
    for arm, sc in zip(arms, scenarios, strict=True):
        for rep, seed in enumerate(seeds):
            spec = RunSpec.from_scenario(sc, seed, arm=arm, rep=rep)
            run_ids[(arm, rep)] = spec.run_id
            unique.setdefault(spec.run_id, spec)  # the same scenario twice runs once per seed

    digests: dict[str, _Digest] = {}
    reused = 0
    for spec, result in run_specs(
        list(unique.values()), workers=workers, executor=executor, store=store, progress=progress
    ):
        if result is None and store is not None:  # already in the store: read it back
            reused += 1
            digests[spec.run_id] = _digest(store.monthly(spec.run_id), store.families(spec.run_id))
        else:
            digests[spec.run_id] = _digest(result.monthly, result.families)

    # Assemble in (arm, rep) order so the tables do not depend on completion order or workers.
    inputs = _varying_inputs(scenarios)
    out_rows, monthly_parts, equity_parts = [], [], []
    for i, (arm, sc) in enumerate(zip(arms, scenarios, strict=True)):
        for rep, seed in enumerate(seeds):
            run_id = run_ids[(arm, rep)]
            d = digests[run_id]
            keys = {"scenario": arm, "rep": rep, "seed": seed}
            out_rows.append(
                {
                    **keys,
                    "scenario_name": sc.name,
                    "scenario_file": sc.path or "",
                    "run_id": run_id,
                    **{k: v[i] for k, v in inputs.items()},
                    **d.outcomes,
                }
            )
            monthly_parts.append(d.monthly.assign(**keys))
            equity_parts.append(d.groups.assign(**keys))
    outcomes = pd.DataFrame(out_rows)
    monthly = pd.concat(monthly_parts, ignore_index=True)
    monthly = monthly[[*_KEYS, *[c for c in monthly if c not in _KEYS]]]
    equity_runs = pd.concat(equity_parts, ignore_index=True)
    equity_runs = equity_runs[[*_KEYS, "group", "outcome", "value", "families"]]
    for df in (outcomes, monthly, equity_runs):
        df["scenario"] = pd.Categorical(df["scenario"], categories=arms)

    counterfactual = _counterfactual(arms, seeds, run_ids, digests)
    cost_effectiveness, ce_bootstrap = _cost_effectiveness(outcomes, arms, base_seed)
    groups = [g.name for g in scenarios[0].params.population.groups]
    return Comparison(
        scenarios=scenarios,
        arms=arms,
        reps=reps,
        base_seed=base_seed,
        outcomes=outcomes,
        differences=_differences(outcomes, arms),
        cost_effectiveness=cost_effectiveness,
        ce_bootstrap=ce_bootstrap,
        counterfactual=counterfactual,
        counterfactual_pooled=_pool_counterfactual(counterfactual),
        equity=_equity(equity_runs, arms, groups),
        equity_runs=equity_runs,
        monthly=monthly,
        run_ids=run_ids,
        warnings=notes,
        allowed_differences=list(allow_differing),
        runs_reused=reused,
        elapsed_seconds=time.perf_counter() - started,
    )


def _paired(outcomes: pd.DataFrame, arm: str, reference: str, column: str) -> np.ndarray:
    """Per-rep values of ``arm`` minus ``reference`` (rows are in rep order for both)."""
    a = outcomes.loc[outcomes["scenario"] == reference].sort_values("rep")[column].to_numpy(float)
    b = outcomes.loc[outcomes["scenario"] == arm].sort_values("rep")[column].to_numpy(float)
    return b - a


def _differences(outcomes: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    reference = arms[0]
    rows = []
    for arm in arms[1:]:
        for o in OUTCOMES:
            ref_mean = float(outcomes.loc[outcomes["scenario"] == reference, o.name].mean())
            arm_mean = float(outcomes.loc[outcomes["scenario"] == arm, o.name].mean())
            s = paired_summary(_paired(outcomes, arm, reference, o.name))
            threshold = PRACTICAL_SHARE * abs(ref_mean)
            rows.append(
                {
                    "scenario": arm,
                    "reference": reference,
                    "outcome": o.name,
                    "label": o.label,
                    "unit": o.unit,
                    "higher_is_better": o.higher_is_better,
                    "reference_mean": ref_mean,
                    "scenario_mean": arm_mean,
                    **s,
                    "relative": s["mean"] / abs(ref_mean) if ref_mean != 0 else float("nan"),
                    "practical_threshold": threshold,
                    "verdict": verdict(
                        s["ci_low"], s["ci_high"], s["mean"], threshold, o.higher_is_better
                    ),
                }
            )
    return pd.DataFrame(rows)


def _quadrant(extra_cost: np.ndarray, averted: np.ndarray) -> np.ndarray:
    """The quadrant of the cost-effectiveness plane of each (extra cost, spells averted) point.

    Points on an axis go to the quadrant they border with the better reading removed: no extra cost and
    spells averted is dominant, extra cost and no spells averted is dominated.
    """
    c, a = np.asarray(extra_cost, dtype=float), np.asarray(averted, dtype=float)
    return np.select(
        [(c <= 0) & (a >= 0) & ((c < 0) | (a > 0)), (c >= 0) & (a <= 0) & ((c > 0) | (a < 0)),
         (c > 0) & (a > 0), (c < 0) & (a < 0)],
        ["dominant", "dominated", "costs more, averts spells", "saves money, adds spells"],
        default="no difference",
    )  # fmt: skip


def _ce_verdict(quadrant: str, ratio: float, lo: float, hi: float, c: dict, a: dict) -> str:
    """The reading of one arm's cost-effectiveness, or why there is none."""
    if c["n"] < 2:
        return "no verdict: one rep gives no interval"
    unclear = [
        name
        for name, s in (("extra-cost", c), ("spells-averted", a))
        if not (s["ci_low"] > 0 or s["ci_high"] < 0)
    ]
    if unclear:
        intervals = "interval includes" if len(unclear) == 1 else "intervals include"
        return f"no verdict: the {' and '.join(unclear)} {intervals} 0"
    usd = f"USD ({DOLLAR_YEAR})"
    interval = f"[{short_number(lo)}, {short_number(hi)}]"
    return {
        "dominant": "dominant: costs less and averts spells",
        "dominated": "dominated: costs more and adds spells",
        "costs more, averts spells": (
            f"costs {short_number(ratio)} {usd} more per spell averted {interval}"
        ),
        "saves money, adds spells": f"saves {short_number(ratio)} {usd} per extra spell {interval}",
    }[quadrant]


def _cost_effectiveness(
    outcomes: pd.DataFrame, arms: list[str], base_seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each arm on the cost-effectiveness plane: extra total public cost against spells averted.

    Returns the table (one row per arm: both paired t-intervals, the quadrant of the means, the share
    of bootstrap draws in each quadrant, the ratio where it means something, and a verdict) and the
    bootstrap draws (scenario, draw, extra_cost_usd, spells_averted). Draws resample reps with
    replacement, pairing cost and spells within a rep; every arm uses the same resamples.
    """
    reference = arms[0]
    n = int((outcomes["scenario"] == reference).sum())
    rng = np.random.default_rng([base_seed, n, 0xC0575])
    idx = rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
    tail = (1 - CONFIDENCE) / 2 * 100
    rows, draws = [], []
    for arm in arms[1:]:
        extra_cost = _paired(outcomes, arm, reference, "cost_total")
        averted = -_paired(outcomes, arm, reference, "shelter_entries")
        c, a = paired_summary(extra_cost), paired_summary(averted)
        boot_cost, boot_averted = extra_cost[idx].mean(axis=1), averted[idx].mean(axis=1)
        draws.append(
            pd.DataFrame(
                {
                    "scenario": arm,
                    "draw": np.arange(BOOTSTRAP_RESAMPLES),
                    "extra_cost_usd": boot_cost,
                    "spells_averted": boot_averted,
                }
            )
        )
        where = _quadrant(boot_cost, boot_averted)
        quadrant = str(_quadrant(c["mean"], a["mean"]))
        ratio = c["mean"] / a["mean"] if a["mean"] != 0 else float("nan")
        clear = {
            key: bool(s["n"] >= 2 and (s["ci_low"] > 0 or s["ci_high"] < 0))
            for key, s in (("cost", c), ("spells", a))
        }
        # A ratio reads only as a trade-off (more cost for more effect, or savings for less): a negative
        # ratio mixes "cheaper and better" with "dearer and worse". Its interval needs both clear.
        lo = hi = float("nan")
        if clear["cost"] and clear["spells"] and quadrant in QUADRANT_KEYS and ratio > 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                lo, hi = (float(v) for v in np.percentile(boot_cost / boot_averted, [tail, 100 - tail]))
        rows.append(
            {
                "scenario": arm,
                "reference": reference,
                "n": c["n"],
                "extra_cost_usd": c["mean"],
                "extra_cost_ci_low": c["ci_low"],
                "extra_cost_ci_high": c["ci_high"],
                "spells_averted": a["mean"],
                "spells_averted_ci_low": a["ci_low"],
                "spells_averted_ci_high": a["ci_high"],
                "cost_clear": clear["cost"],
                "spells_clear": clear["spells"],
                "quadrant": quadrant,
                **{f"p_{key}": float((where == q).mean()) for q, key in QUADRANT_KEYS.items()},
                "cost_per_spell_averted_usd": ratio,
                "ratio_ci_low": lo,
                "ratio_ci_high": hi,
                "verdict": _ce_verdict(quadrant, ratio, lo, hi, c, a),
            }
        )
    return pd.DataFrame(rows), pd.concat(draws, ignore_index=True)


def _counterfactual(
    arms: list[str],
    seeds: list[int],
    run_ids: dict[tuple[str, int], str],
    digests: dict[str, _Digest],
) -> pd.DataFrame:
    """Per rep: would each family have been homeless under the other scenario?"""
    reference = arms[0]
    rows = []
    for arm in arms[1:]:
        for rep, seed in enumerate(seeds):
            a = digests[run_ids[(reference, rep)]].families
            b = digests[run_ids[(arm, rep)]].families
            both_ids = a.merge(b, on="family_id", suffixes=("_a", "_b"))
            # Ids are handed out in order, so with unchanged turnover a newcomer's id names the same
            # family in both runs; the attribute check guards against ids reused by other families.
            same = np.ones(len(both_ids), dtype=bool)
            for col in _MATCH_ON:
                same &= (both_ids[f"{col}_a"] == both_ids[f"{col}_b"]).to_numpy()
            m = both_ids[same]
            ha, hb = m["homeless_a"].to_numpy(bool), m["homeless_b"].to_numpy(bool)
            rows.append(
                {
                    "scenario": arm,
                    "reference": reference,
                    "rep": rep,
                    "seed": seed,
                    "families_reference": len(a),
                    "families_scenario": len(b),
                    "ids_in_both": len(both_ids),
                    "matched": int(same.sum()),
                    "matched_at_start": int((m["entered_month_a"] == 0).sum()),
                    "matched_newcomers": int((m["entered_month_a"] > 0).sum()),
                    "homeless_both": int((ha & hb).sum()),
                    "homeless_reference_only": int((ha & ~hb).sum()),
                    "homeless_scenario_only": int((~ha & hb).sum()),
                    "homeless_neither": int((~ha & ~hb).sum()),
                }
            )
    return pd.DataFrame(rows)


def _pool_counterfactual(per_rep: pd.DataFrame) -> pd.DataFrame:
    counts = [c for c in per_rep.columns if c not in ("scenario", "reference", "rep", "seed")]
    pooled = per_rep.groupby(["scenario", "reference"], sort=False)[counts].sum().reset_index()
    pooled.insert(2, "reps", per_rep.groupby(["scenario", "reference"], sort=False).size().values)
    homeless_ref = pooled["homeless_both"] + pooled["homeless_reference_only"]
    # Of the families homeless under the reference, the share the scenario kept out of homelessness.
    pooled["share_of_reference_homeless_averted"] = pooled["homeless_reference_only"] / np.maximum(
        homeless_ref, 1
    )
    return pooled


def _equity(equity_runs: pd.DataFrame, arms: list[str], groups: list[str]) -> pd.DataFrame:
    """Per scenario, group and family outcome: mean over reps with a t-interval, the disparity ratio
    (group over the reference group) and the paired difference to the reference scenario."""
    rows = []
    ref_group = groups[0]
    for o in FAMILY_OUTCOMES:
        sub = equity_runs[equity_runs["outcome"] == o.name]
        for arm in arms:
            for group in groups:
                cell = sub[(sub["scenario"] == arm) & (sub["group"] == group)].sort_values("rep")
                ref = sub[(sub["scenario"] == arm) & (sub["group"] == ref_group)]
                base = sub[(sub["scenario"] == arms[0]) & (sub["group"] == group)].sort_values(
                    "rep"
                )
                s = paired_summary(cell["value"].to_numpy(float))  # a one-sample interval here
                ref_mean = float(ref["value"].mean())
                d = paired_summary(cell["value"].to_numpy(float) - base["value"].to_numpy(float))
                rows.append(
                    {
                        "scenario": arm,
                        "group": group,
                        "reference_group": ref_group,
                        "outcome": o.name,
                        "label": o.label,
                        "unit": o.unit,
                        "higher_is_better": o.higher_is_better,
                        "mean": s["mean"],
                        "ci_low": s["ci_low"],
                        "ci_high": s["ci_high"],
                        "families_per_rep": float(cell["families"].mean()),
                        "disparity_ratio": s["mean"] / ref_mean if ref_mean != 0 else float("nan"),
                        "difference_vs_reference": d["mean"],
                        "difference_ci_low": d["ci_low"],
                        "difference_ci_high": d["ci_high"],
                    }
                )
    out = pd.DataFrame(rows)
    out["scenario"] = pd.Categorical(out["scenario"], categories=arms)
    return out
