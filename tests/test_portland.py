"""Portland calibration of the service system (docs/sources.md: Portland Aligned Partners Network): the programme evaluation on hand-made
families, the paired selection/effect split, and the shipped defaults against the two ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sysmodel.calibration import (
    PORTLAND_HELD_OUT,
    PORTLAND_TARGETS,
    PROGRAM_COLUMNS,
    _window_outcomes,
    bootstrap_program_ratios,
    portland_decomposition,
    portland_evaluate,
    program_evaluation,
    program_participants,
)


def _families() -> pd.DataFrame:
    # family_id, shared, entry, exit, income at entry, income at exit, employed at exit
    rows = [
        (1, True, 0, 12, 1000.0, 2500.0, True),  # shared: increase, employed
        (2, True, 5, 17, 1800.0, 1800.0, False),  # shared: tie (no increase), not employed
        (3, True, 3, 15, 2000.0, 2100.0, True),  # shared: increase, employed
        (4, True, 7, 19, 2400.0, 2300.0, True),  # shared: decrease, employed
        (5, False, 2, 14, 2000.0, 2000.0, True),  # other: tie, employed
        (6, False, 0, 12, 900.0, 950.0, False),  # other: increase, not employed
        (7, False, 4, 16, 2200.0, 2100.0, False),  # other: decrease, not employed
        (8, False, 6, 18, 2300.0, 2000.0, True),  # other: decrease, employed
        (9, True, 30, -1, 1000.0, 0.0, False),  # still in coaching: not in the programme
        (10, False, -1, -1, 0.0, 0.0, False),  # never coached
    ]
    return pd.DataFrame(rows, columns=list(PROGRAM_COLUMNS))


def test_program_evaluation_on_hand_made_families():
    # The default counts only gains above PORTLAND_MIN_INCREASE (5%): family 3's +5% is not one.
    default = program_participants(_families())
    assert default["increase"].tolist() == [True, False, False, False, False, True, False, False]
    part = program_participants(_families(), min_increase=0.0)
    assert part["family_id"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]  # exits only
    # Ties are not increases.
    assert part["increase"].tolist() == [True, False, True, False, False, True, False, False]
    ev = program_evaluation(part)
    assert (ev["participants"], ev["shared"], ev["other"]) == (8, 4, 4)
    assert ev["income_increase_shared"] == pytest.approx(2 / 4)
    assert ev["income_increase_other"] == pytest.approx(1 / 4)
    assert ev["income_increase_ratio"] == pytest.approx(2.0)
    assert ev["exit_employed_shared"] == pytest.approx(3 / 4)
    assert ev["exit_employed_other"] == pytest.approx(2 / 4)
    assert ev["exit_employed_ratio"] == pytest.approx(1.5)
    # Both hand-made ratios are inside the Portland ranges.
    assert all(t.contains(ev[t.metric]) for t in PORTLAND_TARGETS)


def test_min_increase_threshold_and_empty_groups():
    part = program_participants(_families(), min_increase=0.10)
    # Family 3 (+5%) and family 6 (+5.6%) no longer count; family 1 (+150%) does.
    assert part["increase"].tolist() == [True] + [False] * 7
    ev = program_evaluation(part[part["shared"]])
    assert ev["other"] == 0
    assert np.isnan(ev["income_increase_ratio"])


def test_bootstrap_intervals_are_reproducible_and_cover_the_point():
    part = pd.concat([program_participants(_families())] * 30, ignore_index=True)
    a = bootstrap_program_ratios(part, resamples=500)
    b = bootstrap_program_ratios(part, resamples=500)
    assert a == b
    lo, hi = a["exit_employed_ratio"]
    assert lo < 1.5 < hi


def test_window_outcomes_read_the_same_family_in_another_run():
    # Two rows, three snapshots (end of burn-in, months 0 and 1). Row 1's family 7 leaves after
    # month 0 in the counterfactual run (a newcomer, id 9, takes the row).
    run = {
        "fid": np.array([[5, 7], [5, 7], [5, 7]]),
        "income": np.array([[1000.0, 2000.0], [1000.0, 2000.0], [1500.0, 1900.0]]),
        "employed": np.array([[False, True], [False, True], [True, False]]),
    }
    cf = {
        "fid": np.array([[5, 7], [5, 7], [5, 9]]),
        "income": np.array([[1000.0, 2000.0], [1000.0, 2000.0], [1000.0, 2500.0]]),
        "employed": np.array([[False, True], [False, True], [False, True]]),
    }
    ids, row = np.array([5, 7]), np.array([0, 1])
    entry, exit_ = np.array([1, 1]), np.array([2, 2])
    inc, emp, present = _window_outcomes(ids, row, entry, exit_, run)
    assert inc.tolist() == [True, False] and emp.tolist() == [True, False]
    assert present.tolist() == [True, True]
    inc, emp, present = _window_outcomes(ids, row, entry, exit_, cf)
    assert present.tolist() == [True, False]
    assert inc.tolist() == [False, False] and emp.tolist() == [False, False]


def test_decomposition_adds_up_and_reads_the_programme_records():
    dec = portland_decomposition(families=2000, months=36, seeds=(11,), resamples=0)
    p = dec["point"]
    for k in ("inc", "emp"):
        assert p[f"{k}_gap"] == pytest.approx(
            p[f"{k}_effect_shared"] + p[f"{k}_selection"] - p[f"{k}_effect_other"]
        )
        assert p[f"{k}_ratio"] == pytest.approx(
            p[f"{k}_ratio_effect_shared"] * p[f"{k}_ratio_selection"] * p[f"{k}_ratio_effect_other"]
        )
    # In the aligned run itself the window outcomes are the programme's own records.
    assert p["inc_ratio"] == pytest.approx(dec["program_income_increase_ratio"])
    assert dec["participants"] > 0 and dec["shared"] > 0


@pytest.mark.slow
def test_shipped_defaults_reproduce_the_portland_ratios():
    # Default size (10,000 families, 120 months) on the four held-out seeds: about 10 s on 2 cores.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("forkserver")  # no fork() from a threaded test process
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        m = portland_evaluate(seeds=PORTLAND_HELD_OUT, resamples=0, executor=pool)
    assert m["shared"] >= 400
    for t in PORTLAND_TARGETS:
        assert t.contains(m[t.metric]), f"{t.metric} = {m[t.metric]:.3f} outside {t.lo}-{t.hi}"
