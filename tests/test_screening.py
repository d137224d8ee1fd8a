"""Upstream screening and the hub's one predicted-risk score: the AUC function, the calibration of
the score's noise to a target AUC for shelter entry within 12 months, and the realised AUC.

``targeting.target_auc`` is the score's AUC for a family's shelter entry within the next 12 months on a
status-quo pilot (``sysmodel.targeting``). These tests check the closed-form AUC the calibration inverts
against a brute-force count and a Monte Carlo average, that the realised AUC of a run tracks the target
and rises with it, that a target above the best achievable is refused, and the summary's realised AUC
on a hand-made table. Screening runs without intake here, so it changes nobody's path and runs that
differ only in the target share every other draw.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers_stats import K_SIGMA
from sysmodel import Params, SystemModel
from sysmodel.outputs import screening_summary, summarize
from sysmodel.params import FAMILY_SCHEDULE
from sysmodel.policies.risk import (
    SIGNAL_GRID,
    auc,
    expected_auc,
    pair_differences,
    weight_for_target,
)
from sysmodel.scenario import ScenarioError, resolve
from sysmodel.targeting import TargetingError, calibrated_score

SCREENING_ONLY = [*FAMILY_SCHEDULE, "screening"]


def pairwise_auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """AUC by brute force: the share of (positive, negative) pairs ranked right, a tie counting 1/2."""
    diff = np.subtract.outer(score[outcome], score[~outcome])
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def hanley_mcneil_se(a: float, positives: int, negatives: int) -> float:
    """Standard error of an AUC ``a`` from ``positives`` and ``negatives`` (Hanley & McNeil 1982)."""
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) / (
        positives * negatives
    )
    return math.sqrt(var)


def screening_params(target: float, n: int, months: int, reach: float, **extra) -> Params:
    return Params().with_overrides(
        {
            "screening.reach_per_month": reach,
            "screening.flag_share": 0.2,
            "targeting.target_auc": target,
            "population.n_families": n,
            "time.months": months,
            **extra,
        }
    )


def realised(
    target: float, seed: int, n: int = 20_000, months: int = 48
) -> tuple[dict, pd.DataFrame]:
    """Summary and family table of a screening-only run (burn-in as the defaults, like the pilot)."""
    model = SystemModel(
        screening_params(target, n, months, reach=0.05), rng=seed, processes=SCREENING_ONLY
    ).run()
    families = model.family_table()
    return summarize(model.monthly_table(), families, model.params), families


# --- policies.risk -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_auc_equals_a_brute_force_pair_count_including_ties(seed):
    rng = np.random.default_rng(seed)
    for size in (2, 7, 40):
        score = rng.integers(0, 4, size).astype(float)  # few values: many ties
        outcome = rng.random(size) < 0.4
        outcome[:2] = [True, False]  # both classes present
        assert auc(score, outcome) == pytest.approx(pairwise_auc(score, outcome), abs=1e-12)
    continuous = rng.normal(size=60)
    labels = rng.random(60) < 0.3
    labels[:2] = [True, False]
    assert auc(continuous, labels) == pytest.approx(pairwise_auc(continuous, labels), abs=1e-12)


def test_auc_is_nan_without_both_classes_and_one_for_a_perfect_ranking():
    score = np.arange(5.0)
    assert math.isnan(auc(score, np.zeros(5, bool)))
    assert math.isnan(auc(score, np.ones(5, bool)))
    assert auc(score, score >= 3) == 1.0
    assert auc(-score, score >= 3) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_pair_differences_count_every_positive_negative_pair_on_the_grid(seed):
    rng = np.random.default_rng(seed)
    signal = rng.gamma(1.5, size=300)
    outcome = rng.random(300) < 0.1
    diffs, counts = pair_differences(signal, outcome)
    assert counts.sum() == outcome.sum() * (~outcome).sum()
    rounded = np.rint(signal / SIGNAL_GRID) * SIGNAL_GRID
    brute = np.subtract.outer(rounded[outcome], rounded[~outcome]).ravel()
    assert np.allclose(np.sort(np.repeat(diffs, counts.astype(int))), np.sort(brute), atol=1e-9)


def test_expected_auc_is_the_signal_auc_at_weight_one_and_a_half_at_weight_zero():
    rng = np.random.default_rng(4)
    signal = rng.integers(0, 6, 500).astype(float)  # many ties
    outcome = rng.random(500) < 0.2 + 0.1 * signal / 6
    diffs, counts = pair_differences(signal, outcome)
    assert expected_auc(diffs, counts, 1.0, signal.std()) == pytest.approx(
        pairwise_auc(signal, outcome), abs=1e-12
    )
    assert expected_auc(diffs, counts, 0.0, signal.std()) == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("weight", [0.3, 0.7])
def test_expected_auc_is_the_mean_auc_of_noisy_scores(weight):
    """The closed form against a Monte Carlo average over 400 draws of the noise."""
    rng = np.random.default_rng(5)
    signal = np.round(rng.gamma(1.5, size=400), 2)
    outcome = rng.random(400) < 1 / (1 + np.exp(3 - 1.5 * signal))  # true risk AUC about 0.8
    sd = signal.std()
    draws = [
        auc(weight * signal / sd + math.sqrt(1 - weight**2) * rng.normal(size=400), outcome)
        for _ in range(400)
    ]
    mean, se = np.mean(draws), np.std(draws) / math.sqrt(len(draws))
    diffs, counts = pair_differences(signal, outcome)
    assert abs(expected_auc(diffs, counts, weight, sd) - mean) < K_SIGMA * se
    # ...and the check has power: a weight 0.1 off is rejected.
    assert abs(expected_auc(diffs, counts, weight + 0.1, sd) - mean) > K_SIGMA * se


@pytest.mark.parametrize("target", [0.6, 0.7, 0.8])
def test_weight_for_target_inverts_the_expected_auc(target):
    rng = np.random.default_rng(6)
    signal = np.round(rng.gamma(1.5, size=3_000), 2)
    outcome = rng.random(3_000) < 0.02 + 0.2 * (signal > 2.5)
    diffs, counts = pair_differences(signal, outcome)
    weight, achieved = weight_for_target(diffs, counts, signal.std(), target)
    assert 0 < weight < 1
    assert achieved == pytest.approx(target, abs=1e-6)
    lower, _ = weight_for_target(diffs, counts, signal.std(), target - 0.05)
    assert lower < weight


# --- calibration on the status-quo pilot ---------------------------------------------------------


def test_calibration_hits_the_target_on_the_pilot_and_reports_the_best_achievable():
    score = calibrated_score(Params().with_overrides({"targeting.target_auc": 0.75}))
    assert score.pilot_auc == pytest.approx(0.75, abs=1e-6)
    # The defaults' ceiling, as documented in docs/ODD.md 7.12 and the parameter's description.
    assert 0.84 < score.best_auc < 0.88
    assert 0 < score.weight < 1
    # A higher target needs less noise; the calibration does not depend on the run's seed.
    assert (
        calibrated_score(Params().with_overrides({"targeting.target_auc": 0.8})).weight
        > score.weight
    )


def test_predicted_probability_is_calibrated_on_the_pilot():
    """The logistic calibration: mean predicted probability = the pilot's share entering shelter."""
    from sysmodel.targeting import pilot_pairs

    params = Params()
    score = calibrated_score(params)
    pairs = pilot_pairs(params)
    keep = pairs.followed
    p = score.probability(score.score(pairs.signal[keep], pairs.z[keep]))
    assert p.mean() == pytest.approx(pairs.entered[keep].mean(), rel=1e-6)
    assert score.slope > 0


@pytest.mark.parametrize("processes", [SCREENING_ONLY, None])
def test_target_above_the_best_achievable_is_refused_before_the_run(processes):
    params = screening_params(
        0.97, 500, 3, reach=0.05, **{"assistance.rationing": "highest_risk_first"}
    )
    with pytest.raises(TargetingError, match="above the best achievable AUC") as info:
        SystemModel(params, rng=1, processes=processes)
    message = str(info.value)
    assert "targeting.target_auc = 0.97" in message
    best = calibrated_score(params.with_overrides({"targeting.target_auc": 0.5})).best_auc
    assert f"{best:.3f}" in message, "the message gives the ceiling"


def test_a_rule_that_does_not_use_the_score_and_no_screening_run_no_calibration():
    # A target above the ceiling is only refused where the score is used.
    params = Params().with_overrides(
        {"targeting.target_auc": 0.99, "population.n_families": 200, "time.months": 2}
    )
    SystemModel(params, rng=1).run()


# --- the screening process -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("target", [0.65, 0.8])
def test_realised_auc_for_shelter_entry_tracks_the_target(target):
    """The run's realised AUC is within K_SIGMA standard errors of the target, and a target 0.1 off
    would be rejected.

    The error combines the run's sampling error (Hanley-McNeil, ~0.008 with 50,000 families) with the
    pilot's (the target is hit on 44,000 pilot families with ~1,700 entries: ~0.006); the run's
    families are other draws of the same dynamics, screened in later months. Over three seeds and five
    targets from 0.6 to 0.85 the realised AUC was within 0.02 of the target.
    """
    summary, families = realised(target, seed=21, n=50_000)
    followed = families["screened_month"].between(0, 48 - 1 - 12)
    positives = int((followed & (families["sheltered_month"] >= 0)).sum())
    se_run = hanley_mcneil_se(target, positives, int(followed.sum()) - positives)
    se = math.hypot(se_run, 0.006)
    got = summary["screening_auc_realised"]
    assert abs(got - target) < K_SIGMA * se, (summary, se)
    assert abs(got - (target - 0.1)) > K_SIGMA * se and abs(got - (target + 0.1)) > K_SIGMA * se
    assert summary["screening_auc_target"] == target
    # The true risk itself does better on the same families: the best achievable.
    assert summary["screening_auc_best_achievable"] > got


@pytest.mark.slow
def test_higher_target_auc_predicts_shelter_entry_better():
    """Paired runs (same seed, so the same families enter shelter): only the score's noise differs."""
    gaps = [
        realised(0.85, seed)[0]["screening_auc_realised"]
        - realised(0.6, seed)[0]["screening_auc_realised"]
        for seed in (31, 32)
    ]
    # Expected gap 0.25; each run's realised AUC is within ~0.03 of its target.
    assert min(gaps) > 0.15, gaps


def test_same_seed_gives_the_same_scores():
    params = screening_params(0.75, 1_000, 4, reach=0.2)
    a = SystemModel(params, rng=9, processes=SCREENING_ONLY).run()
    b = SystemModel(params, rng=9, processes=SCREENING_ONLY).run()
    assert np.array_equal(a.population.risk_score, b.population.risk_score)
    assert np.array_equal(a.population.screened_month, b.population.screened_month)


def test_screening_off_reports_nan_aucs():
    model = SystemModel(
        screening_params(0.75, 300, 3, reach=0.0), rng=1, processes=SCREENING_ONLY
    ).run()
    summary = summarize(model.monthly_table(), model.family_table(), model.params)
    for key in ("screening_auc_target", "screening_auc_realised", "screening_auc_best_achievable"):
        assert math.isnan(summary[key]), key


# --- the realised AUC in the summary -------------------------------------------------------------


def test_realised_auc_uses_a_12_month_window_and_only_families_followed_through_it():
    months = 24  # recorded months 0..23
    monthly = pd.DataFrame(
        {
            "month": range(months),
            "screened": 1,
        }
    )
    families = pd.DataFrame(
        [
            # screened, entered shelter, left, score, true risk
            (0, 12, -1, 2.0, 4.0),  # entered in the 12th month after: positive
            (0, 13, -1, 2.5, 1.0),  # entered in the 13th month: negative
            (11, -1, -1, 0.0, 0.0),  # window ends at month 23, the last: negative
            (12, 14, -1, -5.0, 9.0),  # window runs past the end: left out
            (5, -1, 10, 5.0, 0.0),  # left before its window ended, no entry seen: left out
            (5, 8, 10, 3.0, 3.0),  # entered shelter before leaving: positive
            (-1, 3, -1, 9.0, 9.0),  # never screened: left out
        ],
        columns=["screened_month", "sheltered_month", "left_month", "risk_score", "risk_signal"],
    )
    out = screening_summary(monthly, families, 0.8)
    # Positives score 2.0 and 3.0, negatives 2.5 and 0.0: three of four pairs ranked right.
    assert out["screening_auc_realised"] == pytest.approx(0.75)
    # True risks: positives 4.0 and 3.0 above both negatives, 1.0 and 0.0.
    assert out["screening_auc_best_achievable"] == 1.0
    assert out["screening_auc_target"] == 0.8


# --- the parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("target_auc", 0.4, "0.5 to 1.0"),
        ("target_auc", 1.5, "0.5 to 1.0"),
        ("benefit_noise_correlation", -0.1, "0 to 1"),
        ("benefit_noise_correlation", 1.2, "0 to 1"),
        ("calibration_families", 10, "1000 to 1000000"),
    ],
)
def test_targeting_parameters_outside_their_bounds_are_scenario_errors_naming_the_key(
    key, value, allowed
):
    with pytest.raises(ScenarioError, match=rf"targeting\.{key}") as info:
        resolve({"targeting": {key: value}}, origin="test.yaml")
    assert allowed in str(info.value).replace(",", "")


def test_the_old_screening_target_auc_key_says_where_it_moved():
    with pytest.raises(
        ScenarioError, match=r"'screening\.target_auc' has moved to 'targeting\.target_auc'"
    ):
        resolve({"screening": {"target_auc": 0.8}}, origin="test.yaml")
