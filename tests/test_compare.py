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
from sysmodel.experiments.compare import (
    BOOTSTRAP_RESAMPLES,
    OUTCOMES,
    PRACTICAL_SHARE,
    QUADRANT_KEYS,
    VERDICTS,
    CompareError,
    CompareWarning,
    Comparison,
    _cost_effectiveness,
    check_comparable,
    compare,
    outcome,
    paired_summary,
    verdict,
)
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
    with pytest.warns(CompareWarning, match="identical parameters"):
        c = compare([a, renamed(a, "same_again")], reps=3, workers=1)
    assert any("identical parameters" in w for w in c.warnings)
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
    draws = c.ce_bootstrap
    assert list(draws.columns) == ["scenario", "draw", "extra_cost_usd", "spells_averted"]
    assert len(draws) == BOOTSTRAP_RESAMPLES * (len(c.arms) - 1)


def _two_arms(extra_cost, averted) -> pd.DataFrame:
    """A per-run outcomes table whose paired differences are the given per-rep values."""
    reps = len(extra_cost)
    return pd.DataFrame(
        {
            "scenario": ["ref"] * reps + ["arm"] * reps,
            "rep": [*range(reps), *range(reps)],
            "cost_total": [1e6] * reps + [1e6 + c for c in extra_cost],
            "shelter_entries": [100.0] * reps + [100.0 - a for a in averted],
        }
    )


@pytest.mark.parametrize(
    "extra_cost, averted, quadrant, reads",
    [
        ([-9e4, -1e5, -1.1e5, -1.2e5], [4, 5, 6, 5], "dominant", "dominant: costs less and averts"),
        ([9e4, 1e5, 1.1e5, 1.2e5], [-4, -5, -6, -5], "dominated", "dominated: costs more and adds"),
        ([9e4, 1e5, 1.1e5, 1.2e5], [4, 5, 6, 5], "costs more, averts spells",
         "costs 21.0k USD (2024) more per spell averted"),
        ([-9e4, -1e5, -1.1e5, -1.2e5], [-4, -5, -6, -5], "saves money, adds spells",
         "saves 21.0k USD (2024) per extra spell"),
    ],
)  # fmt: skip
def test_cost_effectiveness_names_the_quadrant_and_reads_a_ratio_only_in_a_trade_off(
    extra_cost, averted, quadrant, reads
):
    table, draws = _cost_effectiveness(_two_arms(extra_cost, averted), ["ref", "arm"], 0)
    row = table.iloc[0]
    assert row["quadrant"] == quadrant
    assert reads in row["verdict"], row["verdict"]
    assert row["cost_clear"] and row["spells_clear"]
    # Every draw of this table lies in the quadrant of the means.
    p_cols = ["p_dominant", "p_dominated", "p_costs_more_averts", "p_saves_money_adds"]
    assert row[p_cols].sum() == pytest.approx(1.0)
    assert row[f"p_{QUADRANT_KEYS[quadrant]}"] == 1.0
    if quadrant in ("dominant", "dominated"):
        assert np.isnan(row["ratio_ci_low"]), "a ratio in these quadrants means nothing"
    else:
        assert row["ratio_ci_low"] <= row["cost_per_spell_averted_usd"] <= row["ratio_ci_high"]
    assert len(draws) == BOOTSTRAP_RESAMPLES
    assert draws["extra_cost_usd"].mean() == pytest.approx(np.mean(extra_cost), rel=0.02)


@pytest.mark.parametrize(
    "extra_cost, averted, which",
    [
        ([-2e5, 1e5, 1.5e5, -0.5e5], [4, 5, 6, 5], "extra-cost"),
        ([9e4, 1e5, 1.1e5, 1.2e5], [-4, 5, 6, -5], "spells-averted"),
        ([-2e5, 1e5, 1.5e5, -0.5e5], [-4, 5, 6, -5], "extra-cost and spells-averted"),
    ],
)
def test_cost_effectiveness_gives_no_verdict_when_an_interval_includes_zero(
    extra_cost, averted, which
):
    table, _ = _cost_effectiveness(_two_arms(extra_cost, averted), ["ref", "arm"], 0)
    row = table.iloc[0]
    intervals = "intervals include" if " and " in which else "interval includes"
    assert row["verdict"] == f"no verdict: the {which} {intervals} 0"
    assert np.isnan(row["ratio_ci_low"]) and np.isnan(row["ratio_ci_high"])


def test_cost_effectiveness_with_one_rep_gives_no_verdict():
    table, _ = _cost_effectiveness(_two_arms([1e5], [5]), ["ref", "arm"], 0)
    assert table.iloc[0]["verdict"] == "no verdict: one rep gives no interval"


def test_verdict_is_one_of_four_and_negligible_below_the_practical_threshold():
    assert VERDICTS == ("better", "worse", "negligible", "no clear difference")
    # (ci_low, ci_high, mean, threshold, higher_is_better) -> verdict
    assert verdict(1.0, 3.0, 2.0, 0.5, True) == "better"
    assert verdict(1.0, 3.0, 2.0, 0.5, False) == "worse"
    assert verdict(-3.0, -1.0, -2.0, 0.5, False) == "better"
    assert verdict(0.1, 0.3, 0.2, 0.5, True) == "negligible"  # clear, but below the threshold
    assert verdict(-0.3, -0.1, -0.2, 0.5, False) == "negligible"
    assert verdict(-1.0, 3.0, 1.0, 0.5, True) == "no clear difference"
    assert verdict(float("nan"), float("nan"), 1.0, 0.5, True) == "no clear difference"
    assert verdict(0.0, 2.0, 1.0, 0.5, True) == "no clear difference"  # touches zero


def test_differences_have_a_practical_threshold_of_one_percent_of_the_reference(siloed_vs_aligned):
    d = siloed_vs_aligned.differences
    assert PRACTICAL_SHARE == 0.01
    np.testing.assert_allclose(d["practical_threshold"], 0.01 * d["reference_mean"].abs())
    assert set(d["verdict"]) <= set(VERDICTS)
    for row in d.itertuples():
        assert row.verdict == verdict(
            row.ci_low, row.ci_high, row.mean, row.practical_threshold, row.higher_is_better
        )


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
    assert manifest["dollar_year"] == 2024
    assert "ce_bootstrap.parquet" in manifest["tables"]
    assert "figures/ce_plane.png" in manifest["figures"]
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
    header = next(line for line in text.splitlines() if "95% interval" in line)
    assert header.split()[-1] == "verdict" and "outcome (unit)" in header
    assert not re.search(r"\bnan\b", text, re.IGNORECASE)
    assert "USD (2024)" in text and "% of families" in text and "costs in 2024 USD" in text
    for label in ("homeless spells", "evictions", "employment rate", "income", "savings at", "child well-being",
                  "total public cost", "administrat"):  # fmt: skip
        assert label in text, label
    for name in (*Comparison.TABLES,):
        assert (out / f"{name}.parquet").is_file(), name
    assert (out / "comparison.json").is_file() and (out / "differences.csv").is_file()
    for fig in ("forest", "trajectories", "equity", "counterfactual", "ce_plane"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000, fig
    assert "dominant" in text or "no verdict" in text or "per spell averted" in text
    assert "share of bootstrap draws" in text
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
    with pytest.warns(CompareWarning, match="--reps 1"):
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


# --- arms that cannot be paired ------------------------------------------------------------


@pytest.mark.parametrize(
    "key, fix",
    [
        ("time.months", "--months"),
        ("population.n_families", "--families"),
        ("time.burn_in_months", "--set time.burn_in_months="),
    ],
)
def test_arms_differing_in_horizon_burn_in_or_size_are_refused_with_the_key_values_and_fix(key, fix):
    a, b = small(SILOED), small(ALIGNED, **{key: 24})
    with pytest.raises(CompareError) as err:
        compare([a, b], reps=2, workers=1)
    text = str(err.value)
    assert key in text and fix in text
    assert f"baseline_siloed {SMALL[key]}" in text and "aligned_housing_hub 24" in text


def test_allow_differing_lets_size_and_burn_in_differ_but_never_the_recorded_months():
    a = small(SILOED)
    b = small(ALIGNED, **{"population.n_families": 400, "time.burn_in_months": 4})
    allowed = ["population.n_families", "time.burn_in_months"]
    assert check_comparable([a, b], reps=2, allow_differing=allowed) == []
    with pytest.raises(CompareError, match="time.burn_in_months"):
        check_comparable([a, b], reps=2, allow_differing=["population.n_families"])
    with pytest.raises(CompareError, match="month by month"):
        check_comparable([a, b], reps=2, allow_differing=["time.months"])
    with pytest.raises(CompareError, match="economy.p_job_find_per_month"):
        check_comparable([a, b], reps=2, allow_differing=["economy.p_job_find_per_month"])


def test_one_rep_is_warned_about_because_no_interval_is_possible():
    warned = check_comparable([small(SILOED), small(ALIGNED)], reps=1)
    assert len(warned) == 1 and "--reps 1" in warned[0] and "no interval" in warned[0]


def test_cli_compare_refuses_differing_sizes_before_running_and_allow_differing_accepts_them(
    tmp_path,
):
    args = ["compare", str(SILOED), str(ALIGNED), "--reps", "2", "--workers", "1",
            "--set", "time.months=6", "--set", "time.burn_in_months=2"]  # fmt: skip
    bigger = tmp_path / "bigger.yaml"
    bigger.write_text(ALIGNED.read_text() + "  population:\n    n_families: 250\n")
    args[2] = str(bigger)
    refused = invoke(*args, "--out", str(tmp_path / "no"))
    text = _ANSI.sub("", refused.output)
    assert refused.exit_code == 2 and "population.n_families" in text and "--families" in text
    assert not (tmp_path / "no").exists(), "a refused comparison leaves no folder behind"
    small_base = tmp_path / "base.yaml"
    small_base.write_text(SILOED.read_text() + "  population:\n    n_families: 200\n")
    args[1] = str(small_base)
    ok = invoke(*args, "--allow-differing", "population.n_families", "--out", str(tmp_path / "ok"))
    assert ok.exit_code == 0, ok.output
    manifest = json.loads((tmp_path / "ok" / "comparison.json").read_text())
    assert manifest["allowed_differences"] == ["population.n_families"]
    assert [s["n_families"] for s in manifest["scenarios"]] == [200, 250]


def test_cli_compare_warns_on_stderr_and_in_the_manifest_for_one_rep(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", str(SILOED), str(ALIGNED), "--reps", "1", *SMALL_CLI, "--workers", "1"]
    result = CliRunner().invoke(cli.app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning" in _ANSI.sub("", result.stderr) and "--reps 1" in result.stderr
    manifest = json.loads((out / "comparison.json").read_text())
    assert any("--reps 1" in w for w in manifest["warnings"])
