"""Running one simulation: scenario in, tidy tables and a manifest out."""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .files import staged_folder
from .history import empty_housing_table
from .identity import code_revision, source_sha256
from .model import SystemModel
from .outputs import family_table, summarize, write_json_atomic, write_parquet_atomic
from .params import Params
from .scenario import Scenario, load_scenario
from .spells import empty_spell_table

__all__ = ["RunResult", "run_scenario", "code_revision", "package_versions"]

_PACKAGES = (
    "sysmodel",
    "mesa",
    "numpy",
    "pandas",
    "pydantic",
    "networkx",
    "scipy",
    "pyarrow",
    "SALib",
)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class RunResult:
    """One finished run: the scenario, its resolved parameters, seed, tables and manifest.

    ``spells`` is the service-spell table (one row per spell of service a family received, with the
    staff member who served it; :mod:`sysmodel.spells`); ``housing`` is the housing history (one row per
    spell a family spent in a housing state, with the route in and out; :mod:`sysmodel.history`).
    """

    scenario: Scenario
    seed: int
    monthly: pd.DataFrame
    families: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    spells: pd.DataFrame = field(default_factory=empty_spell_table)
    housing: pd.DataFrame = field(default_factory=empty_housing_table)

    @property
    def params(self) -> Params:
        return self.scenario.params

    def summary(self) -> dict[str, float]:
        """Headline outcomes over the recorded months (see :func:`sysmodel.outputs.summarize`)."""
        return summarize(self.monthly, self.families, self.params)

    def save(self, out_dir: str | Path) -> Path:
        """Write ``monthly.parquet``, ``families.parquet``, ``spells.parquet``, ``housing.parquet``,
        ``summary.json`` and, last, ``manifest.json``.

        Each file is written atomically; the manifest is written last, so its presence marks a complete run.
        A folder that does not exist yet is written under a temporary name beside it and renamed when
        complete, so a failed save (a full disk) leaves no folder at all.
        """
        out = Path(out_dir)
        if not out.exists():
            with staged_folder(out) as tmp:
                self.save(tmp)
            return out
        write_parquet_atomic(self.monthly, out / "monthly.parquet")
        write_parquet_atomic(self.families, out / "families.parquet")
        write_parquet_atomic(self.spells, out / "spells.parquet")
        write_parquet_atomic(self.housing, out / "housing.parquet")
        write_json_atomic(self.summary(), out / "summary.json")
        write_json_atomic(self.manifest, out / "manifest.json")
        return out


def _as_scenario(scenario: Scenario | Params | str | Path | None) -> Scenario:
    if scenario is None:
        return Scenario(name="defaults", description="built-in defaults")
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Params):
        return Scenario(
            name="custom",
            description="parameters given in Python",
            params=scenario,
            overrides=scenario.model_dump(),
        )
    return load_scenario(scenario)


def run_scenario(
    scenario: Scenario | Params | str | Path | None = None,
    *,
    seed: int = 0,
    months: int | None = None,
    families: int | None = None,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run one simulation and return its tables and manifest.

    Args:
        scenario: a scenario file path, a loaded :class:`Scenario`, a :class:`Params`, or None for defaults.
        seed: run seed; the same scenario and seed give identical results.
        months: recorded months (overrides ``time.months``).
        families: number of families (overrides ``population.n_families``).
        overrides: extra dotted-key overrides, e.g. ``{"economy.p_job_find_per_month": 0.3}``.
        progress: ``progress(done, total)`` called after each month.
    """
    sc = _as_scenario(scenario)
    extra = dict(overrides or {})
    if months is not None:
        extra["time.months"] = months
    if families is not None:
        extra["population.n_families"] = families
    if extra:
        # Name the Python arguments in errors (the default origin, "--set", is the command line's).
        given = ", ".join(f"{k}={v!r}" for k, v in extra.items())
        sc = sc.with_overrides(extra, origin=f"run_scenario({given})")
    started = dt.datetime.now(dt.UTC)
    model = SystemModel(sc.params, rng=seed)
    model.run(progress=progress)
    finished = dt.datetime.now(dt.UTC)
    manifest = {
        "scenario": {
            "name": sc.name,
            "description": sc.description,
            "file": sc.path,
            "overrides": sc.overrides,
        },
        "seed": seed,
        "parameters": sc.params.model_dump(),
        "process_order": model.process_order,
        "months_recorded": sc.params.time.months,
        "burn_in_months": sc.params.time.burn_in_months,
        "families": sc.params.population.n_families,
        "versions": package_versions(),
        "code_revision": code_revision(),  # git commit, or version + source hash when installed
        "code_version": __version__,
        "source_sha256": source_sha256(),
        "started": started.isoformat(),
        "finished": finished.isoformat(),
        "elapsed_seconds": (finished - started).total_seconds(),
        "files": [
            "monthly.parquet",
            "families.parquet",
            "spells.parquet",
            "housing.parquet",
            "summary.json",
        ],
    }
    spells = model.spell_table()
    return RunResult(
        scenario=sc,
        seed=seed,
        monthly=model.monthly_table(),
        families=family_table(model, spells),
        manifest=manifest,
        spells=spells,
        housing=model.housing_table(),
    )
