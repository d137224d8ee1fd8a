"""Paired comparisons on common random numbers (``sysmodel compare``): exact zeros for a scenario against
itself, independence from the worker count, the expected sign for a clear change, counterfactual counts
that add up, the command line's files and refusals, and resumption from a store."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from sysmodel import cli
from sysmodel.experiments import ResultStore
from sysmodel.experiments.compare import OUTCOMES, Comparison, compare, outcome, paired_summary
from sysmodel.params import SERVICE_SCHEDULE
from sysmodel.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SILOED = ROOT / "scenarios" / "baseline_siloed.yaml"
ALIGNED = ROOT / "scenarios" / "aligned_housing_hub.yaml"
SMALL = {"population.n_families": 300, "time.months": 12, "time.burn_in_months": 3}
SMALL_CLI = ["--families", "300", "--months", "12", "--set", "time.burn_in_months=3"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def small(path: Path, **extra) -> Scenario:
    return load_scenario(path).with_overrides({**SMALL, **extra})


def renamed(sc: Scenario, name: str) -> Scenario:
    return Scenario(name=name, description=sc.description, overrides=sc.overrides, params=sc.params)


@pytest.fixture(scope="module")
def siloed_vs_aligned() -> Comparison:
    return compare([small(SILOED), small(ALIGNED)], reps=3, workers=1)


def tables(c: Comparison) -> dict[str, pd.DataFrame]:
    """The comparison's tables without run bookkeeping that legitimately differs between calls."""
    return {name: getattr(c, name) for name in Comparison.TABLES}


def assert_same_tables(a: Comparison, b: Comparison) -> None:
    for name, df in tables(a).items():
        pd.testing.assert_frame_equal(df, getattr(b, name), check_exact=True, obj=name)


# --- the shipped scenarios and the outcome table --------------------------------------------


def test_shipped_comparison_scenarios_run_the_service_system_siloed_and_aligned():
    siloed, aligned = load_scenario(SILOED), load_scenario(ALIGNED)
    assert siloed.params.schedule.processes == SERVICE_SCHEDULE
    assert aligned.params.schedule.processes == SERVICE_SCHEDULE
    assert (siloed.params.services.model, aligned.params.services.model) == ("siloed", "aligned")
    assert "docs/sources.md: Portland Aligned Partners Network" in aligned.description
    # Nothing else differs from the defaults.
    assert set(siloed.overrides) == set(aligned.overrides) == {"services"}


def test_every_outcome_is_computed_from_a_run_with_a_unit_and_a_direction(siloed_vs_aligned):
    c = siloed_vs_aligned
    for o in OUTCOMES:
        assert o.unit and isinstance(o.higher_is_better, bool)
        assert np.isfinite(c.outcomes[o.name]).all(), o.name
    # The cost lines add up to the total cost (a new cost column needs its own line in OUTCOMES).
    lines = [o.name for o in OUTCOMES if o.name.startswith("cost_") and o.name != "cost_total"]
    lines = c.outcomes[lines]
    np.testing.assert_allclose(lines.sum(axis=1), c.outcomes["cost_total"], rtol=1e-9)


def test_per_run_table_has_one_row_per_scenario_and_rep_with_inputs_beside_outputs(
    siloed_vs_aligned,
):
    out = siloed_vs_aligned.outcomes
    assert len(out) == 2 * 3
    assert list(out.columns[:3]) == ["scenario", "rep", "seed"]
    assert out.groupby("scenario", observed=True)["seed"].apply(list).tolist() == [[0, 1, 2]] * 2
    assert out["services.model"].tolist() == ["siloed"] * 3 + ["aligned"] * 3
    assert set(out["population.n_families"]) == {300}


# --- the statistics ----------------------------------------------------------------------------


def test_paired_summary_matches_a_t_interval_by_hand():
    s = paired_summary([1.0, 2.0, 3.0, 6.0])
    # mean 3, sd sqrt(14/3), t(0.975, 3) = 3.182446...
    half = 3.182446305284263 * np.sqrt(14 / 3) / 2
    assert s["n"] == 4 and s["mean"] == pytest.approx(3.0)
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((3 - half, 3 + half))


def test_scenario_against_itself_gives_exactly_zero_differences_and_intervals():
    a = small(SILOED)
    c = compare([a, renamed(a, "same_again")], reps=3, workers=1)
    d = c.differences
    assert len(d) == len(OUTCOMES)
    for col in ("mean", "sd", "ci_low", "ci_high"):
        assert (d[col] == 0).all(), col
    assert (d["verdict"] == "no clear difference").all()
    cf = c.counterfactual_pooled.iloc[0]
    assert cf["homeless_reference_only"] == cf["homeless_scenario_only"] == 0
    assert cf["matched"] == cf["families_reference"] == cf["families_scenario"]
    eq = c.equity[c.equity["scenario"] == "same_again"]
    assert (eq["difference_vs_reference"] == 0).all()


def test_much_higher_job_loss_lowers_employment_with_an_interval_below_zero():
    a = small(SILOED)
    b = renamed(
        small(
            SILOED,
            **{
                "economy.p_job_loss_low_wage_per_month": 0.3,
                "economy.p_job_loss_family_wage_per_month": 0.2,
            },
        ),
        "high_job_loss",
    )
    d = compare([a, b], reps=3, workers=1).differences.set_index("outcome")
    for name in ("employment_rate", "income"):
        assert d.loc[name, "ci_high"] < 0, d.loc[name].to_dict()
        assert d.loc[name, "verdict"] == "worse"
    assert d.loc["employment_rate", "scenario_mean"] < d.loc["employment_rate", "reference_mean"]


def test_cost_per_spell_averted_is_the_ratio_of_mean_paired_differences(siloed_vs_aligned):
    c = siloed_vs_aligned
    ce = c.cost_effectiveness.iloc[0]
    out = c.outcomes.set_index(["scenario", "rep"])
    ref, arm = c.arms
    extra = (out.loc[arm, "cost_total"] - out.loc[ref, "cost_total"]).mean()
    averted = (out.loc[ref, "shelter_entries"] - out.loc[arm, "shelter_entries"]).mean()
    assert ce["extra_cost_usd"] == pytest.approx(extra)
    assert ce["spells_averted"] == pytest.approx(averted)
    if averted != 0:
        assert ce["cost_per_spell_averted_usd"] == pytest.approx(extra / averted)
    if ce["interval_defined"]:
        assert ce["ci_low"] <= ce["ci_high"]


# --- the paired counterfactual and equity -----------------------------------------------------


def test_counterfactual_counts_add_up_to_the_matched_families(siloed_vs_aligned):
    for cf in (siloed_vs_aligned.counterfactual, siloed_vs_aligned.counterfactual_pooled):
        cells = cf[
            [
                "homeless_both",
                "homeless_reference_only",
                "homeless_scenario_only",
                "homeless_neither",
            ]
        ].sum(axis=1)
        assert (cells == cf["matched"]).all()
        assert (cf["matched"] == cf["matched_at_start"] + cf["matched_newcomers"]).all()
        assert (cf["matched"] <= cf[["families_reference", "families_scenario"]].min(axis=1)).all()
    per_rep = siloed_vs_aligned.counterfactual
    # Turnover does not depend on the service model, so every family (newcomers too) is matched.
    assert (per_rep["matched"] == per_rep["families_reference"]).all()
    assert (per_rep["matched_newcomers"] > 0).all()
    # Homeless under the reference (pooled) agrees with the per-run family outcome.
    pooled = siloed_vs_aligned.counterfactual_pooled.iloc[0]
    out = siloed_vs_aligned.outcomes
    ref = out[out["scenario"] == siloed_vs_aligned.reference]
    homeless_ref = (ref["ever_homeless"] * per_rep["families_reference"].to_numpy()).sum()
    assert pooled["homeless_both"] + pooled["homeless_reference_only"] == round(homeless_ref)


def test_equity_table_has_every_group_and_a_unit_disparity_ratio_for_the_reference_group(
    siloed_vs_aligned,
):
    eq = siloed_vs_aligned.equity
    groups = [g.name for g in small(SILOED).params.population.groups]
    family_outcomes = [o.name for o in OUTCOMES if o.table == "families"]
    assert len(eq) == len(family_outcomes) * 2 * len(groups)
    ref_rows = eq[eq["group"] == groups[0]]
    assert (ref_rows["disparity_ratio"] == 1.0).all()
    row = eq[(eq["group"] == groups[1]) & (eq["outcome"] == "ever_homeless")].iloc[0]
    runs = siloed_vs_aligned.equity_runs
    cell = (
        runs[(runs["scenario"] == row["scenario"]) & (runs["outcome"] == "ever_homeless")]
        .groupby("group")["value"]
        .mean()
    )
    assert row["disparity_ratio"] == pytest.approx(cell[groups[1]] / cell[groups[0]])
    assert outcome("ever_homeless").table == "families"


# --- execution: workers and resumption ------------------------------------------------------


def test_tables_are_identical_with_one_and_two_workers(siloed_vs_aligned):
    two = compare([small(SILOED), small(ALIGNED)], reps=3, workers=2)
    assert_same_tables(siloed_vs_aligned, two)


def test_resumed_comparison_reuses_stored_runs_and_gives_the_same_tables(
    tmp_path, siloed_vs_aligned
):
    store = ResultStore(tmp_path)
    # An "interrupted" comparison: the first two reps are already in the store.
    first = compare([small(SILOED), small(ALIGNED)], reps=2, workers=1, store=store)
    assert first.runs_reused == 0
    assert len(list(store.runs.iterdir())) == 4
    resumed = compare([small(SILOED), small(ALIGNED)], reps=3, workers=1, store=store)
    assert resumed.runs_reused == 4
    assert len(list(store.runs.iterdir())) == 6
    assert_same_tables(siloed_vs_aligned, resumed)


def test_save_writes_tables_manifest_and_figures(tmp_path, siloed_vs_aligned):
    out = siloed_vs_aligned.save(tmp_path / "cmp")
    manifest = json.loads((out / "comparison.json").read_text())
    assert manifest["reference"] == "baseline_siloed"
    assert manifest["seeds"] == [0, 1, 2]
    assert {"sysmodel", "mesa", "numpy"} <= set(manifest["versions"])
    assert manifest["code_revision"]
    assert len(manifest["runs"]) == 6
    for name in Comparison.TABLES:
        back = pd.read_parquet(out / f"{name}.parquet")
        assert len(back) == len(getattr(siloed_vs_aligned, name)), name
    for fig in manifest["figures"]:
        assert (out / fig).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", fig


# --- the command line -----------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(cli.app, list(args))


def test_cli_compare_writes_the_promised_files_and_refuses_an_existing_folder(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(cli, "console", Console(width=200))  # one table row per line
    out = tmp_path / "cmp"
    args = ["compare", str(SILOED), str(ALIGNED), "--reps", "2", *SMALL_CLI, "--workers", "1"]
    result = invoke(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    text = _ANSI.sub("", result.output)
    assert "paired differences" in text and "cost per homeless spell averted" in text
    for label in ("homeless spells", "evictions", "employment rate", "income", "savings at", "child well-being",
                  "total public cost", "administrat"):  # fmt: skip
        assert label in text, label
    for name in (*Comparison.TABLES,):
        assert (out / f"{name}.parquet").is_file(), name
    assert (out / "comparison.json").is_file() and (out / "differences.csv").is_file()
    for fig in ("forest", "trajectories", "equity", "counterfactual"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    assert len(list((out / "runs").iterdir())) == 4

    again = invoke(*args, "--out", str(out))
    assert again.exit_code == 2
    assert "already holds a finished comparison" in _ANSI.sub("", again.output)
    forced = invoke(*args, "--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output


def test_cli_compare_resumes_an_interrupted_folder_and_rejects_bad_input(tmp_path):
    out = tmp_path / "cmp"
    # An interrupted compare leaves runs/ but no comparison.json: rerunning resumes it.
    store = ResultStore(out)
    compare([small(SILOED), small(ALIGNED)], reps=1, workers=1, store=store)
    args = ["compare", str(SILOED), str(ALIGNED), "--reps", "2", *SMALL_CLI, "--workers", "1"]
    result = invoke(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "resuming" in _ANSI.sub("", result.output)

    one = invoke("compare", str(SILOED), "--out", str(tmp_path / "one"))
    assert one.exit_code == 2 and "at least two scenario files" in _ANSI.sub("", one.output)
    typo = invoke("compare", str(SILOED), str(ALIGNED), "--set", "economy.p_job_fnd=0.3")
    assert typo.exit_code == 2 and "Did you mean" in _ANSI.sub("", typo.output)


def test_stored_runs_of_other_code_or_other_defaults_are_not_reused(monkeypatch):
    """A run id covers the resolved parameters and the code, not only the scenario's overrides."""
    from sysmodel.experiments import spec as spec_module
    from sysmodel.experiments.spec import RunSpec

    def run_id(code: str, **params_changed) -> str:
        monkeypatch.setattr(spec_module, "_code_identity", lambda: code)
        sc = load_scenario(Path("scenarios/baseline_siloed.yaml"))
        if params_changed:  # a change of the schema's defaults: same overrides, other parameters
            changed = sc.with_overrides(params_changed).params
            sc = Scenario(sc.name, sc.description, sc.overrides, sc.path, changed)
            monkeypatch.setattr(RunSpec, "scenario", lambda self, _sc=sc: _sc)
        return RunSpec.from_scenario(sc, seed=3).run_id

    same = run_id("0.1.0:abc")
    assert run_id("0.1.0:abc") == same
    assert run_id("0.1.0:def") != same
    assert run_id("0.1.0:abc", **{"benefits.take_up_start": 0.5}) != same
