"""Applying allocation rules to a household table: tidy tables of who gets what, and what it predicts."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..registry import RegistryError
from ..streams import stable_hash
from .optimum import Optimum, optimal_assignment
from .rules import ALLOCATION_RULES, AllocationRule, check_feasible
from .table import KUBE_LAYOUT, AllocationError, HouseholdTable, TableLayout, read_table

__all__ = ["AllocationResult", "allocate", "capacities_for", "OPTIMUM"]

OPTIMUM = "optimum"  # the name of the bound's rows in the tables
# A household is worse (better) off when its predicted probability rises (falls) by more than this:
# probabilities equal up to floating-point noise are the same prediction.
_SAME = 1e-12
FILES = ("allocations.parquet", "summary.csv", "allocation.png", "manifest.json")


@dataclass
class AllocationResult:
    """Rules applied to one household table.

    Attributes:
        table: the checked household table.
        capacities: the places of each intervention the rules shared out.
        allocations: one row per household and rule (and the optimum): the intervention it gets, its
            predicted probability there and under the observed assignment, and its group flags.
        summary: one row per rule (and the optimum) and group: expected adverse outcomes, the
            difference from the observed assignment, the shares worse and better off, and how many
            households got each intervention.
        optimum: the optimal assignment (a bound no rule can beat).
        manifest: what was done, with which inputs (written as manifest.json).
    """

    table: HouseholdTable
    capacities: dict[str, int]
    allocations: pd.DataFrame
    summary: pd.DataFrame
    optimum: Optimum
    manifest: dict[str, Any] = field(default_factory=dict)

    def overall(self) -> pd.DataFrame:
        """The summary's rows for all households, one per rule, indexed by rule."""
        return self.summary[self.summary["group"] == "all"].set_index("rule")

    def save(self, folder: str | Path) -> list[str]:
        """Write allocations.parquet, summary.csv, allocation.png and manifest.json (each atomically;
        the manifest last, so its presence marks complete results). Returns the file names."""
        from ..files import atomic_path
        from ..outputs import write_json_atomic, write_parquet_atomic
        from ..report.allocation import allocation_plot

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        write_parquet_atomic(self.allocations, out / "allocations.parquet")
        with atomic_path(out / "summary.csv") as tmp:
            self.summary.to_csv(tmp, index=False)
        allocation_plot(self.summary, out / "allocation.png")
        write_json_atomic({**self.manifest, "files": list(FILES[:-1])}, out / "manifest.json")
        return list(FILES)


def capacities_for(table: HouseholdTable, given: Mapping[str, int] | None = None) -> np.ndarray:
    """Each intervention's capacity: how many households got it, unless ``given`` says otherwise."""
    counts = table.observed_counts()
    for name, value in (given or {}).items():
        if name not in counts:
            raise AllocationError(
                f"--capacity {name}={value}: {table.source} has no intervention {name!r}; "
                f"interventions: {', '.join(table.names)}."
            )
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise AllocationError(
                f"--capacity {name}={value!r}: allowed: a whole number of places, 0 or more."
            )
        counts[name] = int(value)
    capacities = np.array([counts[name] for name in table.names], dtype=np.int64)
    check_feasible(table, capacities)
    return capacities


def _rules(
    rules: Sequence[str | AllocationRule] | None, table: HouseholdTable
) -> list[AllocationRule]:
    """The rules to apply, observed first; by default every registered rule the table can express."""
    if rules is None:
        chosen = [
            ALLOCATION_RULES.get(name)()
            for name in ALLOCATION_RULES.names()
            if not (ALLOCATION_RULES.get(name).requires_group and table.groups.empty)
        ]
    else:
        chosen = []
        for rule in rules:
            try:
                chosen.append(ALLOCATION_RULES.get(rule)() if isinstance(rule, str) else rule)
            except RegistryError as exc:
                raise AllocationError(f"--rule {rule}: {exc}") from None
            if chosen[-1].requires_group and table.groups.empty:
                raise AllocationError(
                    f"--rule {rule}: needs a 0/1 group column, and {table.source} has none (add one "
                    "with --group COLUMN)."
                )
    if OPTIMUM in {r.name for r in chosen}:
        raise AllocationError(f"a rule may not be called {OPTIMUM!r}: that name is the bound's.")
    observed = [r for r in chosen if r.name == "observed"] or [ALLOCATION_RULES.get("observed")()]
    rest = list({r.name: r for r in chosen if r.name != "observed"}.values())
    return [observed[0], *rest]


def allocate(
    table: str | Path | pd.DataFrame | HouseholdTable,
    capacities: Mapping[str, int] | None = None,
    rules: Sequence[str | AllocationRule] | None = None,
    seed: int = 0,
    layout: TableLayout = KUBE_LAYOUT,
) -> AllocationResult:
    """Apply allocation rules to a household table and bound them by the optimum.

    Args:
        table: a CSV path, a DataFrame, or a table already read with :func:`read_table`.
        capacities: places per intervention, e.g. ``{"RRH": 120}``; interventions not named keep the
            number of households that got them.
        rules: rule names (``ALLOCATION_RULES.names()``) or rule objects, e.g.
            ``EquityWeightedBenefit("Family", 3)``; default: every rule the table can express.
            ``observed`` is always included, as the reference.
        seed: the seed of the random rules (``lottery``); each rule draws from its own stream.
        layout: the table's columns (default: the layout of Kube, Das & Fowler's public table).
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        raise AllocationError(f"--seed {seed!r}: allowed: a whole number, 0 or more.")
    hh = table if isinstance(table, HouseholdTable) else read_table(table, layout)
    caps = capacities_for(hh, capacities)
    chosen = _rules(rules, hh)
    assignments: dict[str, np.ndarray] = {}
    for rule in chosen:
        # A stream per rule: adding a rule never changes another rule's draws.
        rng = np.random.default_rng([int(seed), stable_hash(rule.name)])
        assignments[rule.name] = rule.allocate(hh, caps, rng)
    optimum = optimal_assignment(hh, caps)
    assignments[OPTIMUM] = optimum.assigned
    allocations = _allocations(hh, assignments)
    summary = _summary(hh, assignments)
    capacity = {name: int(c) for name, c in zip(hh.names, caps, strict=True)}
    manifest = _manifest(hh, capacities or {}, capacity, chosen, seed, optimum, summary)
    return AllocationResult(hh, capacity, allocations, summary, optimum, manifest)


def _kind(rule: str) -> str:
    return {"observed": "reference", OPTIMUM: "bound"}.get(rule, "rule")


def _allocations(table: HouseholdTable, assignments: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = np.arange(table.n)
    observed = table.probability[rows, table.original]
    names = np.array(table.names, dtype=object)
    parts = []
    for rule, assigned in assignments.items():
        p = table.probability[rows, assigned]
        part = pd.DataFrame(
            {
                "household": table.household.to_numpy(),
                "row": rows,
                "rule": rule,
                "intervention": names[assigned],
                "p_adverse": p,
                "p_adverse_observed": observed,
                "worse_off": p > observed + _SAME,
                "better_off": p < observed - _SAME,
            }
        )
        parts.append(pd.concat([part, table.groups], axis=1))
    out = pd.concat(parts, ignore_index=True)
    out["rule"] = pd.Categorical(out["rule"], categories=list(assignments))
    out["intervention"] = pd.Categorical(out["intervention"], categories=list(table.names))
    return out


def _share(flag: np.ndarray, inside: np.ndarray) -> float:
    return float(flag[inside].mean()) if inside.any() else np.nan


def _summary(table: HouseholdTable, assignments: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = np.arange(table.n)
    observed = table.probability[rows, table.original]
    subsets: list[tuple[str, int | None, np.ndarray]] = [("all", None, np.ones(table.n, bool))]
    for g in table.groups.columns:
        flag = table.groups[g].to_numpy()
        subsets += [(g, 0, flag == 0), (g, 1, flag == 1)]
    records = []
    for rule, assigned in assignments.items():
        p = table.probability[rows, assigned]
        for group, value, inside in subsets:
            n = int(inside.sum())
            counts = np.bincount(assigned[inside], minlength=len(table.names))
            records.append(
                {
                    "rule": rule,
                    "kind": _kind(rule),
                    "group": group,
                    "group_value": value,
                    "households": n,
                    "expected_adverse": float(p[inside].sum()),
                    "expected_adverse_rate": _share(p, inside),
                    "difference_from_observed": float((p - observed)[inside].sum()),
                    "share_worse_off": _share(p > observed + _SAME, inside),
                    "share_better_off": _share(p < observed - _SAME, inside),
                    **{f"n_{name}": int(c) for name, c in zip(table.names, counts, strict=True)},
                }
            )
    summary = pd.DataFrame.from_records(records)
    summary["group_value"] = summary["group_value"].astype("Int64")  # empty for "all"
    return summary


def _sha256(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _manifest(table, given, capacity, rules, seed, optimum, summary) -> dict[str, Any]:
    from .. import __version__
    from ..identity import code_revision

    overall = summary[summary["group"] == "all"].set_index("rule")["expected_adverse"]
    manifest: dict[str, Any] = {
        "command": "allocate",
        "table": {
            "file": None if table.source == "table" else table.source,
            "sha256": None if table.source == "table" else _sha256(table.source),
            "households": table.n,
        },
        "layout": table.layout.describe(),
        "baseline": table.names[table.baseline],
        "capacities": capacity,
        "capacities_given": dict(given),
        "observed_counts": table.observed_counts(),
        "rules": {r.name: (type(r).__doc__ or "").split("\n\n")[0].strip() for r in rules},
        "rule_settings": {r.name: r.settings(table) for r in rules if r.settings(table)},
        "seed": int(seed),
        "expected_adverse": overall.to_dict(),
        "optimum": {
            "expected_adverse": optimum.objective,
            "solver": "scipy.optimize.linprog(method='highs')",
            "max_distance_from_integral": optimum.max_fractional,
        },
        "code_revision": code_revision(),
        "code_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(),
    }
    if table.outcome is not None:
        # The fit of the predictions: observed adverse outcomes beside what they predict for the
        # assignment that happened.
        manifest["observed_outcome"] = {
            "column": table.layout.outcome,
            "adverse": int(table.outcome.sum()),
            "predicted_for_observed_assignment": float(overall["observed"]),
        }
    return manifest
