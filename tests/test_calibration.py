"""Calibration: the Culhane classifier and the SPM 2 returns on hand-made families, and the shipped
defaults against §7 (on the calibration seeds and on held-out seeds)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sysmodel.calibration import (
    BLOCKS,
    CALIBRATION_SEEDS,
    ENGINE_DEFAULTS,
    FREE_PARAMETERS,
    TARGETS,
    ShelterUse,
    _mean_metrics,
    calibration_loss,
    classify_shelter_use,
    evaluate,
    first_time_cohort,
    shelter_use_shares,
    spm_returns,
)
from sysmodel.history import declared_routes
from sysmodel.params import HOUSING_STATES, Params

# Seeds no search has seen (the searches use CALIBRATION_SEEDS[:2]; docs/calibration.md).
HELD_OUT_SEEDS = (909, 1010, 1111, 1212)
RETURNS = next(t for t in TARGETS if t.metric == "returns_within_24")


def test_culhane_classifier_labels_hand_made_families():
    # (episodes, months in shelter over the follow-up) -> cluster
    cases = {
        (1, 1): "temporary",  # one short stay
        (1, 5): "temporary",  # one stay just under six months
        (1, 6): "long_stay",  # one stay of six months
        (1, 24): "long_stay",  # in shelter the whole follow-up
        (2, 9): "long_stay",  # a long stay with one short return
        (2, 2): "episodic",  # two short stays
        (3, 4): "episodic",
        (3, 12): "episodic",  # many episodes: episodic even when the total is long
    }
    episodes = np.array([k[0] for k in cases])
    months = np.array([k[1] for k in cases])
    assert classify_shelter_use(episodes, months).tolist() == list(cases.values())


def test_culhane_thresholds_are_configurable():
    rule = ShelterUse(long_stay_min_months=4, episodic_min_episodes=3)
    labels = classify_shelter_use(np.array([1, 2, 3]), np.array([4, 2, 3]), rule)
    assert labels.tolist() == ["long_stay", "temporary", "episodic"]


def test_shelter_use_shares_and_long_stayers_share_of_days():
    # Eight temporary families of 1 month, one episodic (2 stays, 2 months), one long stayer of 10.
    episodes = np.array([1] * 8 + [2, 1])
    months = np.array([1] * 8 + [2, 10])
    shares = shelter_use_shares(episodes, months)
    assert shares["share_temporary"] == pytest.approx(0.8)
    assert shares["share_episodic"] == pytest.approx(0.1)
    assert shares["share_long_stay"] == pytest.approx(0.1)
    assert shares["long_stay_share_of_days"] == pytest.approx(10 / 20)


def test_first_time_cohort_follows_first_entries_for_a_fixed_window():
    months, followup = 10, 6
    # Rows: 0 enters at month 1 (2 months), leaves, returns at month 5 (1 month): 2 episodes, 3 months.
    #       1 was sheltered during burn-in: not a first-timer.
    #       2's family moves away at month 3; a newcomer (id 9) enters shelter at month 4 for 2 months.
    #       3 enters for the first time at month 6: too late for a full 6-month follow-up.
    fid = np.tile(np.array([0, 1, 2, 3]), (months, 1))
    fid[3:, 2] = 9
    in_shelter = np.zeros((months, 4), dtype=bool)
    in_shelter[[1, 2, 5], 0] = True
    in_shelter[[2, 3], 1] = True
    in_shelter[[4, 5], 2] = True
    in_shelter[6:, 3] = True
    entries = np.zeros((months, 4), dtype=np.int16)
    entries[[1, 5], 0] = 1
    entries[2, 1] = 1
    entries[4, 2] = 1
    entries[6, 3] = 1
    episodes = entries.cumsum(axis=0).astype(np.int16)
    ever = episodes > 0
    ever[:, 1] = True
    fid_before = np.array([0, 1, 2, 3])
    ever_before = np.array([False, True, False, False])

    eps, sh = first_time_cohort(fid, in_shelter, episodes, ever, fid_before, ever_before, followup)
    assert sorted(zip(eps.tolist(), sh.tolist(), strict=True)) == [(1, 2), (2, 3)]


def test_loss_is_zero_only_near_the_middle_of_every_range():
    middle = {t.metric: 0.5 * (t.lo + t.hi) for t in TARGETS}
    assert calibration_loss(middle) == pytest.approx(0.0)
    outside = dict(middle, filing_rate=16.0)
    assert calibration_loss(outside) > 10


def _history(*spells: tuple) -> pd.DataFrame:
    """A housing table from (family, state, start, end or None, route in, route out) tuples."""
    routes = declared_routes()
    fam, state, start, end, r_in, r_out = zip(*spells, strict=True)
    return pd.DataFrame(
        {
            "family_id": pd.array(fam, dtype="int64"),
            "state": pd.Categorical(state, categories=HOUSING_STATES),
            "start_month": pd.array(start, dtype="int64"),
            "end_month": pd.array(end, dtype="Int64"),
            "route_in": pd.Categorical(r_in, categories=routes),
            "route_out": pd.Categorical(r_out, categories=routes),
        }
    )


def test_spm_returns_on_a_hand_made_history():
    h = _history(
        # 1: leaves shelter for its own lease at 3, doubles up, back in shelter at 11 (8 months).
        (1, "shelter", 0, 2, "entered_shelter", "self_resolved"),
        (1, "stable", 3, 9, "self_resolved", "informal_move"),
        (1, "doubled_up", 10, 10, "informal_move", "entered_shelter"),
        (1, "shelter", 11, None, "entered_shelter", "end_of_run"),
        # 2: re-housed at 2, the placement breaks down straight to shelter at 4 (2 months).
        (2, "shelter", 0, 1, "entered_shelter", "rapid_rehousing"),
        (2, "rehoused", 2, 3, "rapid_rehousing", "placement_breakdown"),
        (2, "shelter", 4, None, "placement_breakdown", "end_of_run"),
        # 3: leaves shelter for its own lease at 1 and stays housed.
        (3, "shelter", 0, 0, "entered_shelter", "self_resolved"),
        (3, "stable", 1, None, "self_resolved", "end_of_run"),
        # 4: leaves shelter to double up: not an exit to permanent housing.
        (4, "shelter", 0, 4, "entered_shelter", "self_resolved"),
        (4, "doubled_up", 5, None, "self_resolved", "end_of_run"),
    )
    r = spm_returns(h, 30)  # every exit (months 1-3) is followed 24 months within months 0-29
    assert (r["exits_followed_24"], r["returned_within_24"]) == (3, 2)
    assert r["returns_within_24"] == pytest.approx(2 / 3)
    assert r["returns_within_12"] == pytest.approx(2 / 3)
    assert r["returns_within_6"] == pytest.approx(1 / 3)
    # With 20 recorded months no exit is followed 24 months: not measurable (NaN), not 0.
    short = spm_returns(h, 20)
    assert short["exits_followed_24"] == 0 and math.isnan(short["returns_within_24"])
    assert short["returns_within_12"] == pytest.approx(2 / 3)


def test_returns_are_pooled_over_seeds_by_exits_and_a_missing_value_counts_as_far_outside():
    def run(exits: int, returned: int) -> dict[str, float]:
        out = {"cohort_families": 10.0, "share_temporary": 0.8}
        out |= {"share_episodic": 0.1, "share_long_stay": 0.1}
        for w in (6, 12, 24):
            out |= {f"exits_followed_{w}": exits, f"returned_within_{w}": returned}
            out[f"returns_within_{w}"] = returned / exits if exits else math.nan
        return out

    pooled = _mean_metrics([run(10, 1), run(30, 9), run(0, 0)])
    assert pooled["returns_within_24"] == pytest.approx(10 / 40)  # not the mean of 0.1 and 0.3
    assert pooled["exits_followed_24"] == 40
    middle = {t.metric: 0.5 * (t.lo + t.hi) for t in TARGETS}
    missing = calibration_loss(dict(middle, returns_within_24=math.nan))
    assert math.isfinite(missing) and missing > 10


def test_block_3_holds_the_placement_hazards_in_their_source_boxes():
    spec = {p.path: p for p in FREE_PARAMETERS}
    assert set(BLOCKS[2]) == {
        "housing.p_placement_conflict_per_month",
        "housing.p_nonrenewal_at_lease_end",
        "housing.p_breakdown_per_unit_rent_burden_per_month",
        "housing.share_breakdowns_to_shelter",
    }
    assert sum(len(b) for b in BLOCKS) == len(FREE_PARAMETERS) == len(ENGINE_DEFAULTS)
    defaults = Params().flat()
    for path in (p for block in BLOCKS for p in block):
        # The shipped default lies in its search box; the engine value is the uncalibrated one.
        assert spec[path].lo <= defaults[path] <= spec[path].hi, path
    assert all(ENGINE_DEFAULTS[p] == 0.0 for p in BLOCKS[2][:3])


def _misses(metrics: dict[str, float]) -> dict[str, tuple]:
    return {
        t.metric: (round(metrics[t.metric], 4), (t.lo, t.hi))
        for t in TARGETS
        if t.kind == "target" and not t.contains(metrics[t.metric])
    }


@pytest.fixture(scope="module")
def default_fit() -> dict[str, float]:
    """The shipped defaults on the calibration seeds, as ``sysmodel calibrate --evaluate`` runs them."""
    return evaluate(families=10_000, months=120, seeds=CALIBRATION_SEEDS[:2])


@pytest.mark.slow
def test_shipped_defaults_reproduce_the_public_patterns(default_fit):
    """10,000 families x 120 months x 2 seeds: every §7 target inside its range (docs/calibration.md)."""
    misses = _misses(default_fit)
    assert not misses, f"outside the target ranges: {misses}"
    employment = next(t for t in TARGETS if t.metric == "employment_rate")
    assert employment.contains(default_fit["employment_rate"])


@pytest.mark.slow
def test_shipped_defaults_put_returns_within_24_months_in_range_and_no_breakdowns_do_not(
    default_fit,
):
    """HUD SPM 2: the placement-breakdown hazards bring returns into 0.13-0.21; with all three hazards
    off the same runs fall below the range (so the check can fail)."""
    assert default_fit["exits_followed_24"] > 2000  # enough exits for a share to within ~0.01
    assert RETURNS.contains(default_fit["returns_within_24"]), default_fit["returns_within_24"]
    # Returns accumulate: fewer within 12 months than within 24, fewer within 6 than within 12.
    assert (
        default_fit["returns_within_6"]
        < default_fit["returns_within_12"]
        < default_fit["returns_within_24"]
    )
    off = evaluate(
        {p: 0.0 for p in BLOCKS[2][:3]}, families=10_000, months=120, seeds=CALIBRATION_SEEDS[:2]
    )
    assert off["returns_within_24"] < RETURNS.lo, off["returns_within_24"]


@pytest.mark.slow
def test_shipped_defaults_hold_on_held_out_seeds():
    """Seeds no search saw, pooled as the calibration pools them (10,000 families x 120 months each):
    every target still inside its range."""
    assert not set(HELD_OUT_SEEDS) & set(CALIBRATION_SEEDS)
    metrics = evaluate(families=10_000, months=120, seeds=HELD_OUT_SEEDS)
    misses = _misses(metrics)
    assert not misses, f"outside the target ranges on seeds {HELD_OUT_SEEDS}: {misses}"
