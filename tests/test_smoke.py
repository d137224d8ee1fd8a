"""The model builds and runs with the documented defaults and writes what it promises."""

from __future__ import annotations

import json

from sysmodel import SystemModel, run_scenario
from sysmodel.agents import Agency, CareerCoach, Family, RentAssistanceCoordinator


def test_model_runs_and_records_every_month(small_params):
    model = SystemModel(small_params, rng=3).run()
    table = model.monthly_table()
    assert len(table) == small_params.time.months
    assert (table["families"] == small_params.population.n_families).all()


def test_families_are_mesa_agents_viewing_their_rows(small_params):
    model = SystemModel(small_params, rng=3)
    families = model.agents_by_type[Family]
    assert len(families) == small_params.population.n_families
    fam = families.to_list()[7]
    fam.savings = 1234.5
    assert model.population.savings[fam.row] == 1234.5
    assert len(model.agents_by_type[Agency]) == 5 + small_params.agencies.n_employment_providers
    assert len(model.agents_by_type[CareerCoach]) == (
        small_params.agencies.n_employment_providers
        * small_params.agencies.career_coaches_per_provider
    )
    assert len(model.agents_by_type[RentAssistanceCoordinator]) == (
        small_params.agencies.rent_assistance_coordinators
    )


def test_run_scenario_saves_tables_and_manifest(tmp_path, small_params):
    result = run_scenario(small_params, seed=5)
    out = result.save(tmp_path / "run")
    for name in ("monthly.parquet", "families.parquet", "summary.json", "manifest.json"):
        assert (out / name).exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5
    assert manifest["parameters"]["population"]["n_families"] == 500
    assert "mesa" in manifest["versions"]
