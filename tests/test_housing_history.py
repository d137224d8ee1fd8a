"""The housing history: one row per spell in a housing state, with the route in and out.

One small service run (burn-in, turnover, prevention and hub re-housing, capacities that bind, so
every route happens) is
checked against the monthly table's state counts and event counts, the family arrays at the end and
itself (no family in two states at once); the recorder is shown to reject a process that changes
housing without recording the move.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sysmodel import Params, SystemModel, run_scenario
from sysmodel.history import HISTORY_COLUMNS, HousingHistoryError, declared_routes
from sysmodel.params import HOUSING_STATES, SERVICE_SCHEDULE
from sysmodel.population import SHELTER, STABLE
from sysmodel.processes import PROCESSES

HISTORY_RUN = {
    "population.n_families": 1_500,
    "time.burn_in_months": 6,
    "time.months": 30,
    "schedule.processes": SERVICE_SCHEDULE,
    "assistance.annual_budget_usd": 400_000.0,
    "assistance.share_prevention": 0.5,
    "turnover.p_move_out_per_month": 0.02,
    "help_seeking.p_seek_help_behind_per_month": 0.3,
    "housing.p_voucher_per_month": 0.05,
    # Placements break down and the hub buys vouchers, so that every declared route happens.
    "housing.p_placement_conflict_per_month": 0.02,
    # A small voucher line, so that it binds and other clients get re-housing awards.
    "assistance.share_vouchers": 0.05,
    # Every capacity binds, so that families are turned away and find a place to double up.
    "capacity.shelter_units_per_1000_families": 4.0,
    "capacity.voucher_stock_per_1000_families": 10.0,
    "capacity.landlord_units_per_1000_families_per_month": 3.0,
}


@pytest.fixture(scope="module")
def run() -> tuple[SystemModel, pd.DataFrame, pd.DataFrame]:
    model = SystemModel(Params().with_overrides(HISTORY_RUN), rng=17).run()
    return model, model.monthly_table(), model.housing_table()


def occupancy(history: pd.DataFrame, month: int) -> pd.Series:
    """Families in each state at the end of ``month``, from the history."""
    end = history["end_month"].fillna(np.iinfo(np.int64).max).astype(np.int64)
    here = (history["start_month"] <= month) & (end >= month)
    return history.loc[here, "state"].value_counts().reindex(HOUSING_STATES, fill_value=0)


def test_history_has_its_schema_and_every_route(run):
    _, _, history = run
    assert tuple(history.columns) == HISTORY_COLUMNS
    assert list(history["state"].cat.categories) == list(HOUSING_STATES)
    assert tuple(history["route_in"].cat.categories) == declared_routes()
    used = set(history["route_in"]) | set(history["route_out"])
    # Every route a process declares happens in this run (set_directly only when a test sets states).
    expected = set(declared_routes()) - {"set_directly"}
    assert used == expected, f"missing {expected - used}, unexpected {used - expected}"


def test_history_counts_equal_the_monthly_state_counts_in_every_month(run):
    _, monthly, history = run
    for _, row in monthly.iterrows():
        counts = occupancy(history, int(row["month"]))
        for state in HOUSING_STATES:
            assert counts[state] == row[f"n_{state}"], (int(row["month"]), state)


def test_spells_of_a_family_chain_without_overlap(run):
    _, _, history = run
    h = history.copy()
    h["exit"] = h["end_month"].astype("Float64") + 1  # month of the move out (NA: open)
    same = h["family_id"].to_numpy()[1:] == h["family_id"].to_numpy()[:-1]
    exit_before = h["exit"].to_numpy()[:-1][same]
    start_next = h["start_month"].to_numpy()[1:][same]
    assert (exit_before == start_next).all(), (
        "a family's next spell starts the month it left the last"
    )
    # Spells last at least zero month-ends; only a family's last spell is open.
    assert (h["end_month"].dropna() >= h.loc[h["end_month"].notna(), "start_month"] - 1).all()
    last = ~np.r_[same, False]
    assert h.loc[~last, "end_month"].notna().all()
    # A spell's route in is the route out of the family's spell before it.
    route_out_before = h["route_out"].to_numpy()[:-1][same]
    assert (route_out_before == h["route_in"].to_numpy()[1:][same]).all()
    # Each open spell is the family's last and says so; each family's last spell ended the run or it left.
    assert set(h.loc[last, "route_out"]) <= {"end_of_run", "moved_away"}
    assert (h["end_month"].isna() == (h["route_out"] == "end_of_run")).all()


def test_open_spells_are_the_families_present_at_the_end(run):
    model, _, history = run
    pop = model.population
    open_ = history[history["end_month"].isna()].set_index("family_id")
    assert sorted(open_.index) == sorted(pop.fid)
    states = open_.loc[pop.fid, "state"].cat.codes.to_numpy()
    assert (states == pop.housing).all()


def test_route_counts_match_the_monthly_event_counts(run):
    _, monthly, history = run
    recorded = history[history["end_month"].astype("Float64") >= -1]  # moves in recorded months
    moved = recorded["route_out"].value_counts()
    assert moved["filed"] == monthly["filings"].sum()
    assert moved["evicted"] == monthly["evictions"].sum()
    assert moved["informal_move"] == monthly["informal_moves"].sum()
    assert moved["case_dismissed"] == monthly["cases_dismissed"].sum()
    # Shelter entries: at the front door, or straight from a placement that broke down.
    assert (
        moved["entered_shelter"] + monthly["breakdowns_to_shelter"].sum()
        == monthly["shelter_entries"].sum()
    )
    assert moved["placement_breakdown"] == monthly["placement_breakdowns"].sum()
    assert moved["hub_voucher"] == monthly["vouchers_leased"].sum()
    assert moved["rapid_rehousing"] == monthly["exits_to_rrh"].sum()
    assert moved["voucher"] == monthly["exits_to_voucher"].sum()
    assert moved["moved_away"] == monthly["moves_out"].sum()
    next_state = history.groupby("family_id", observed=True)["state"].shift(-1)
    shelter = recorded[recorded["state"] == "shelter"]
    left_shelter = shelter[~shelter["route_out"].isin(["moved_away", "end_of_run"])]
    assert len(left_shelter) == monthly["shelter_exits"].sum()
    to_housing = next_state[left_shelter.index] != "doubled_up"
    assert to_housing.sum() == monthly["exits_to_housing"].sum()


def test_burn_in_spells_are_dropped_and_open_ones_keep_their_true_start(run):
    _, _, history = run
    assert (history["end_month"].dropna() >= -1).all(), "spells that ended in burn-in are dropped"
    assert (history["start_month"] < 0).any(), "spells open at recording start keep their start"
    assert history["start_month"].min() >= -HISTORY_RUN["time.burn_in_months"]
    started = history[history["route_in"] == "start"]
    assert (started["start_month"] == -HISTORY_RUN["time.burn_in_months"]).all()


def test_recording_changes_no_result():
    # The history draws nothing: a run's tables equal the committed baseline (test_baseline) and a
    # run with the history switched off by replacing the recorder's calls gives the same tables.
    params = Params().with_overrides(
        {**HISTORY_RUN, "population.n_families": 400, "time.months": 12}
    )
    a = SystemModel(params, rng=5).run()
    b = SystemModel(params, rng=5)
    b.history.record = lambda *args, **kwargs: None  # type: ignore[method-assign]
    b.history.turnover = lambda *args, **kwargs: None  # type: ignore[method-assign]
    b.history.sync = lambda *args, **kwargs: None  # type: ignore[method-assign]
    b.history.check = lambda *args, **kwargs: None  # type: ignore[method-assign]
    b.run()
    pd.testing.assert_frame_equal(a.monthly_table(), b.monthly_table())


def test_a_process_that_writes_housing_directly_fails_the_run():
    model = SystemModel(Params().with_overrides({"population.n_families": 50}), rng=1)
    housing = model.process("housing")
    original = housing.step

    def sneaky(month: int) -> None:
        original(month)
        model.population.housing[0] = SHELTER  # bypasses move_housing

    housing.step = sneaky  # type: ignore[method-assign]
    with pytest.raises(HousingHistoryError, match="move_housing"):
        model.step()


def test_an_undeclared_move_names_the_process_and_the_move():
    model = SystemModel(Params().with_overrides({"population.n_families": 50}), rng=1)
    model.population.housing[:] = STABLE
    model.history.sync(model.population, model.month)
    help_seeking = model.process("help_seeking")
    with pytest.raises(HousingHistoryError, match="'help_seeking'.*'stable' to 'shelter'"):
        help_seeking.move_housing(np.array([3]), SHELTER)


def test_states_set_by_hand_between_months_are_recorded_as_such():
    params = Params().with_overrides({"population.n_families": 30, "time.burn_in_months": 0})
    model = SystemModel(params, rng=2)
    model.step()
    model.population.housing[4] = SHELTER
    model.step()
    history = model.housing_table()
    fid = model.population.fid[4]
    mine = history[history["family_id"] == fid].reset_index(drop=True)
    now = int(np.flatnonzero(mine["route_in"] == "set_directly")[0])
    assert mine.loc[now, "state"] == "shelter" and mine.loc[now, "start_month"] == 1
    assert mine.loc[now - 1, "route_out"] == "set_directly" and mine.loc[now - 1, "end_month"] == 0


def test_every_declared_route_names_states_that_exist():
    for name in PROCESSES.names():
        for a, b in PROCESSES.get(name).housing_routes:
            assert a in HOUSING_STATES and b in HOUSING_STATES and a != b, (name, a, b)


def test_same_seed_gives_an_identical_history_and_it_is_saved(tmp_path):
    overrides = {"schedule.processes": SERVICE_SCHEDULE, "turnover.p_move_out_per_month": 0.02}
    a = run_scenario(seed=3, months=12, families=300, overrides=overrides)
    b = run_scenario(seed=3, months=12, families=300, overrides=overrides)
    pd.testing.assert_frame_equal(a.housing, b.housing)
    out = a.save(tmp_path / "run")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "housing.parquet"), a.housing)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "housing.parquet" in manifest["files"]
