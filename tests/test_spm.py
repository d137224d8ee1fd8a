"""``sysmodel spm``: System Performance Measure-style figures from a housing history.

Each measure is checked on a small history built by hand, whose figures are worked out in the
comments; then against a real run's monthly table, and end to end on the command line.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from sysmodel.history import declared_routes
from sysmodel.params import HOUSING_STATES
from sysmodel.spm import DAYS_PER_MONTH, SPM_COLUMNS, spm_measures

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"


def history(*spells: tuple) -> pd.DataFrame:
    """A housing table from (family, state, start, end or None, route in, route out) tuples."""
    rows = pd.DataFrame(
        spells, columns=["family_id", "state", "start_month", "end_month", "r_in", "r_out"]
    )
    routes = declared_routes()
    return pd.DataFrame(
        {
            "family_id": rows["family_id"].astype("int64"),
            "state": pd.Categorical(rows["state"], categories=HOUSING_STATES),
            "start_month": rows["start_month"].astype("int64"),
            "end_month": pd.array(rows["end_month"].tolist(), dtype="Int64"),
            "route_in": pd.Categorical(rows["r_in"], categories=routes),
            "route_out": pd.Categorical(rows["r_out"], categories=routes),
        }
    )


def value(m: pd.DataFrame, measure: str, statistic: str, year=None, route="all") -> float:
    pick = (m["measure"] == measure) & (m["statistic"] == statistic) & (m["route"] == route)
    if year is not None:
        pick &= m["year"] == year
    (v,) = m.loc[pick, "value"]
    return v


def test_length_of_time_homeless_counts_each_stay_from_its_start_to_the_years_end():
    h = history(
        (1, "doubled_up", 0, 1, "evicted", "entered_shelter"),
        (1, "shelter", 2, 4, "entered_shelter", "self_resolved"),  # 3 months in year 0
        (1, "stable", 5, None, "self_resolved", "end_of_run"),
        (2, "shelter", -3, 1, "entered_shelter", "voucher"),  # from month -3: 5 months
        (2, "subsidized", 2, None, "voucher", "end_of_run"),
        (3, "shelter", 10, 14, "entered_shelter", "rapid_rehousing"),  # year 0: 2; year 1: 5
        (3, "rehoused", 15, None, "rapid_rehousing", "end_of_run"),
        (4, "doubled_up", 0, 5, "evicted", "entered_shelter"),
        (4, "shelter", 6, 5, "entered_shelter", "hub_rehousing"),  # within one month: no month-end
        (4, "rehoused", 6, None, "hub_rehousing", "end_of_run"),
    )
    m = spm_measures(h, 24)
    assert value(m, "1a", "families", 0) == 3
    assert value(m, "1a", "mean_months", 0) == pytest.approx(10 / 3)
    assert value(m, "1a", "median_months", 0) == 3
    assert value(m, "1a", "mean_days", 0) == pytest.approx(10 / 3 * DAYS_PER_MONTH)
    assert value(m, "1a", "families", 1) == 1
    assert value(m, "1a", "mean_months", 1) == 5
    # Without an unsheltered state, SPM 1b (sheltered and unsheltered) equals 1a.
    assert value(m, "1b", "mean_months", 0) == value(m, "1a", "mean_months", 0)


def test_returns_count_only_exits_to_permanent_housing_followed_for_the_whole_window():
    h = history(
        # A: exits at 3 to its own lease, doubles up, returns at 11 (8 months later).
        (1, "shelter", 0, 2, "entered_shelter", "self_resolved"),
        (1, "stable", 3, 9, "self_resolved", "informal_move"),
        (1, "doubled_up", 10, 10, "informal_move", "entered_shelter"),
        (1, "shelter", 11, None, "entered_shelter", "end_of_run"),
        # B: a voucher at 5, no return.
        (2, "shelter", 0, 4, "entered_shelter", "voucher"),
        (2, "subsidized", 5, None, "voucher", "end_of_run"),
        # C: rapid re-housing at 1, moves away at 4: never followed for 6 months.
        (3, "shelter", 0, 0, "entered_shelter", "rapid_rehousing"),
        (3, "rehoused", 1, 3, "rapid_rehousing", "moved_away"),
        # D: exits at 26: followed for 6 and 12 months (to 39), not 24.
        (4, "shelter", 20, 25, "entered_shelter", "self_resolved"),
        (4, "stable", 26, None, "self_resolved", "end_of_run"),
        # E: leaves shelter for doubling up: not an exit to permanent housing.
        (5, "shelter", 0, 1, "entered_shelter", "self_resolved"),
        (5, "doubled_up", 2, None, "self_resolved", "end_of_run"),
        # F: an exit during burn-in (month -2) is not counted.
        (6, "shelter", -5, -3, "entered_shelter", "self_resolved"),
        (6, "stable", -2, None, "self_resolved", "end_of_run"),
    )
    m = spm_measures(h, 40)
    assert value(m, "2", "exits_followed_6m") == 3  # A, B, D
    assert value(m, "2", "returned_within_6m") == 0
    assert value(m, "2", "exits_followed_12m") == 3
    assert value(m, "2", "returned_within_12m") == 1  # A
    assert value(m, "2", "share_returned_within_12m") == pytest.approx(1 / 3)
    assert value(m, "2", "exits_followed_24m") == 2  # A, B
    assert value(m, "2", "share_returned_within_24m") == pytest.approx(1 / 2)
    # By route of exit.
    assert value(m, "2", "exits_followed_12m", route="self_resolved") == 2  # A, D
    assert value(m, "2", "share_returned_within_12m", route="self_resolved") == 0.5
    assert value(m, "2", "share_returned_within_12m", route="voucher") == 0.0
    assert value(m, "2", "exits_followed_6m", route="rapid_rehousing") == 0
    assert math.isnan(value(m, "2", "share_returned_within_6m", route="rapid_rehousing"))


def test_a_family_that_returns_before_moving_away_counts_as_a_return():
    h = history(
        (1, "shelter", 0, 1, "entered_shelter", "self_resolved"),
        (1, "stable", 2, 4, "self_resolved", "informal_move"),
        (1, "doubled_up", 5, 5, "informal_move", "entered_shelter"),
        (1, "shelter", 6, 7, "entered_shelter", "moved_away"),
    )
    m = spm_measures(h, 30)
    assert value(m, "2", "exits_followed_6m") == 1
    assert value(m, "2", "returned_within_6m") == 1  # back at 6, 4 months after the exit at 2


def test_point_in_time_and_annual_counts():
    h = history(
        (1, "shelter", 5, 11, "entered_shelter", "self_resolved"),  # at the month-end of 11
        (1, "stable", 12, None, "self_resolved", "end_of_run"),
        (2, "doubled_up", 0, 10, "evicted", "entered_shelter"),
        (2, "shelter", 11, 10, "entered_shelter", "self_resolved"),  # within month 11
        (2, "doubled_up", 11, None, "self_resolved", "end_of_run"),
        (3, "shelter", 0, 10, "start", "voucher"),
        (3, "subsidized", 11, None, "voucher", "end_of_run"),
        (4, "shelter", -5, -1, "entered_shelter", "rapid_rehousing"),  # left during month 0
        (4, "rehoused", 0, None, "rapid_rehousing", "end_of_run"),
        (5, "doubled_up", 0, 11, "evicted", "entered_shelter"),
        (5, "shelter", 12, None, "entered_shelter", "end_of_run"),
    )
    m = spm_measures(h, 24)
    assert value(m, "3.1", "pit_sheltered", 0) == 1  # family 1
    assert value(m, "3.2", "annual_sheltered", 0) == 4  # families 1-4
    assert value(m, "3.1", "pit_sheltered", 1) == 1  # family 5
    # Family 1 was in shelter at the end of month 11 and left during month 12: in both years.
    assert value(m, "3.2", "annual_sheltered", 1) == 2
    assert value(m, "3.1", "pit_unsheltered", 0) == 0
    assert value(m, "3.2", "annual_homeless", 0) == 4
    first_month = spm_measures(h, 24, pit_month_of_year=0)
    assert value(first_month, "3.1", "pit_sheltered", 0) == 1  # family 3 (family 4 left in month 0)


def test_first_time_homelessness_looks_back_24_months():
    h = history(
        # P: entry at 30, an earlier stay left at 6 = 30 - 24: inside the lookback, not first-time.
        (1, "shelter", 2, 5, "entered_shelter", "self_resolved"),
        (1, "doubled_up", 6, 29, "self_resolved", "entered_shelter"),
        (1, "shelter", 30, None, "entered_shelter", "end_of_run"),
        # Q: entry at 30, an earlier stay left at 5: outside the lookback, first-time.
        (2, "shelter", 0, 4, "entered_shelter", "self_resolved"),
        (2, "doubled_up", 5, 29, "self_resolved", "entered_shelter"),
        (2, "shelter", 30, None, "entered_shelter", "end_of_run"),
        # R: re-housed (assisted housing) until 20: first-time for 5.1, not for 5.2.
        (3, "rehoused", 10, 20, "hub_rehousing", "subsidy_ended"),
        (3, "stable", 21, 24, "subsidy_ended", "informal_move"),
        (3, "doubled_up", 25, 25, "informal_move", "entered_shelter"),
        (3, "shelter", 26, None, "entered_shelter", "end_of_run"),
        # S: two entries in the year, counted once (the first, with no earlier stay).
        (4, "doubled_up", 0, 24, "evicted", "entered_shelter"),
        (4, "shelter", 25, 25, "entered_shelter", "self_resolved"),
        (4, "doubled_up", 26, 32, "self_resolved", "entered_shelter"),
        (4, "shelter", 33, None, "entered_shelter", "end_of_run"),
    )
    m = spm_measures(h, 60)
    assert value(m, "5.1", "families_entering", 2) == 4
    assert value(m, "5.1", "first_time", 2) == 3  # Q, R, S
    assert value(m, "5.1", "share_first_time", 2) == 0.75
    assert value(m, "5.2", "first_time", 2) == 2  # Q, S
    # Years whose lookback reaches before month 0 are not reported.
    assert math.isnan(value(m, "5.1", "families_entering", 0))
    assert math.isnan(value(m, "5.1", "first_time", 1))


def test_spm_of_a_run_agrees_with_its_monthly_table():
    from sysmodel import run_scenario

    result = run_scenario(seed=2, months=36, families=2_000)
    m = spm_measures(result.housing, 36)
    assert tuple(m.columns) == SPM_COLUMNS
    for year in range(3):
        pit = 12 * year + 11
        assert value(m, "3.1", "pit_sheltered", year) == result.monthly["n_shelter"].iloc[pit]
    # SPM 5 entries of a year equal the families among the monthly shelter entries.
    entries = result.monthly["shelter_entries"].iloc[24:36].sum()
    assert 0 < value(m, "5.1", "families_entering", 2) <= entries


def test_bad_arguments_are_refused():
    h = history((1, "stable", 0, None, "start", "end_of_run"))
    with pytest.raises(ValueError, match="months"):
        spm_measures(h, 0)
    with pytest.raises(ValueError, match="pit_month_of_year"):
        spm_measures(h, 12, pit_month_of_year=12)
    with pytest.raises(ValueError, match="route_out"):
        spm_measures(h.drop(columns="route_out"), 12)


# --- the command line --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    from sysmodel import cli

    out = tmp_path_factory.mktemp("spm") / "run"
    args = ["run", str(BASELINE), "--families", "300", "--months", "24", "-q", "--out", str(out)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    return out


def invoke(*args):
    from typer.testing import CliRunner

    from sysmodel import cli

    return CliRunner().invoke(cli.app, [str(a) for a in args], terminal_width=200)


def test_cli_spm_prints_the_measures_and_writes_them_beside_the_run(run_dir):
    before = {p.name: p.read_bytes() for p in run_dir.iterdir()}
    result = invoke("spm", run_dir)
    assert result.exit_code == 0, result.output
    for title in ("SPM 1", "SPM 2", "SPM 3", "SPM 5"):
        assert title in result.output
    after = {
        p.name: p.read_bytes() for p in run_dir.iterdir() if p.name not in ("spm.json", "spm.csv")
    }
    assert after == before, "no other file of the run is touched"
    table = pd.read_csv(run_dir / "spm.csv")
    expected = spm_measures(pd.read_parquet(run_dir / "housing.parquet"), 24)
    assert len(table) == len(expected)
    assert table["value"].fillna(-1).tolist() == pytest.approx(
        expected["value"].fillna(-1).tolist()
    )
    about = json.loads((run_dir / "spm.json").read_text())
    assert about["months_recorded"] == 24 and len(about["rows"]) == len(expected)


def test_cli_spm_out_writes_elsewhere(run_dir, tmp_path):
    result = invoke("spm", run_dir, "--out", tmp_path / "elsewhere", "-q", "--pit-month", "0")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == ""
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["spm.csv", "spm.json"]
    assert json.loads((tmp_path / "elsewhere" / "spm.json").read_text())["pit_month_of_year"] == 0


def test_cli_spm_on_a_run_without_housing_history_says_what_to_do(run_dir, tmp_path):
    old = tmp_path / "old_run"
    old.mkdir()
    for name in ("monthly.parquet", "families.parquet", "summary.json", "manifest.json"):
        (old / name).write_bytes((run_dir / name).read_bytes())
    result = invoke("spm", old)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "housing.parquet" in text and str(old) in text and "sysmodel run" in text
    assert "Traceback" not in result.output
    assert sorted(p.name for p in old.iterdir()) == sorted(
        ["monthly.parquet", "families.parquet", "summary.json", "manifest.json"]
    ), "nothing written"


def test_cli_spm_on_a_missing_folder_fails_cleanly(tmp_path):
    result = invoke("spm", tmp_path / "nope")
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())
