"""Upstream screening: the AUC function, the noise tuned to a target AUC, and the realised AUC.

``screening.target_auc`` is the score's AUC for telling apart the screened families whose true risk is
in the top ``flag_share`` (ties at the cut count as positives) from the others; the process finds the
noise weight by bisection each month. These tests recompute that AUC from the family arrays by a
pairwise count, check the summary's realised AUC on a hand-made table, and check that a more accurate
score predicts housing loss better. Screening runs without intake here, so it changes nobody's path and
runs that differ only in the target share every other draw.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from helpers_services import Probe
from helpers_stats import build_model
from sysmodel import SystemModel
from sysmodel.outputs import screening_summary, summarize
from sysmodel.params import FAMILY_SCHEDULE
from sysmodel.policies.risk import auc, noisy_score, top_share, true_risk, weight_for_auc
from sysmodel.scenario import ScenarioError, resolve

SCREENING_ONLY = [*FAMILY_SCHEDULE, "screening"]


def pairwise_auc(score: np.ndarray, outcome: np.ndarray) -> float:
    """AUC by brute force: the share of (positive, negative) pairs ranked right, a tie counting 1/2."""
    diff = np.subtract.outer(score[outcome], score[~outcome])
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def screening_model(target: float, seed: int, n: int, months: int, reach: float) -> SystemModel:
    return build_model(
        {
            "screening.reach_per_month": reach,
            "screening.flag_share": 0.2,
            "screening.target_auc": target,
            "time.months": months,
        },
        SCREENING_ONLY,
        n=n,
        seed=seed,
    )


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


def test_top_share_counts_ties_at_the_cut_as_positives_unless_that_takes_everyone():
    risk = np.array([0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # The 0.8 quantile is 4.2 (linear interpolation), so the top fifth is the 5.0 and the 6.0.
    assert np.array_equal(top_share(risk, 0.2), risk >= 5.0)
    ties = np.array([0.0, 1.0, 1.0, 1.0, 1.0])
    assert np.array_equal(top_share(ties, 0.2), ties >= 1.0), "tied values at the cut are positives"
    low = np.array([0.0] * 9 + [3.0])
    assert np.array_equal(top_share(low, 0.2), low > 0.0), "the lowest tie is the negatives"
    assert not top_share(np.ones(4), 0.5).any()


@pytest.mark.parametrize("target", [0.6, 0.75, 0.9])
def test_weight_for_auc_hits_the_target_on_a_large_sample(target):
    rng = np.random.default_rng(3)
    risk = rng.gamma(1.5, size=2_000).round(1)  # ties, like the true-risk index
    z = rng.normal(size=risk.size)
    positive = top_share(risk, 0.2)
    weight, achieved = weight_for_auc(risk, z, positive, target)
    assert 0.0 < weight < 1.0
    assert achieved == pytest.approx(target, abs=1e-3)
    assert auc(noisy_score(risk, weight, z), positive) == achieved


# --- the screening process -----------------------------------------------------------------------


@pytest.mark.parametrize("target", [0.6, 0.75, 0.9])
def test_achieved_auc_against_true_risk_matches_the_target(target):
    """Recomputed each month from the family arrays, by a pairwise count against the definition."""
    model = screening_model(target, seed=5, n=3_000, months=6, reach=0.3)
    recomputed: list[float] = []

    def look(m: SystemModel, month: int) -> None:
        pop = m.population
        rows = pop.screened_month == month
        risk = true_risk(pop)[rows]
        positive = risk >= np.quantile(risk, 1 - m.params.screening.flag_share)
        assert 0 < positive.sum() < rows.sum()
        recomputed.append(pairwise_auc(pop.risk_score[rows], positive))

    model.processes.append(Probe(model, look))
    model.run()
    monthly = model.monthly_table()["screening_auc"].to_numpy()
    assert np.allclose(monthly, recomputed, rtol=0, atol=1e-12), "reported AUC is not the score's"
    assert np.abs(np.array(recomputed) - target).max() < 0.01
    summary = summarize(model.monthly_table(), model.family_table(), model.params)
    assert summary["screening_auc_target"] == target
    assert abs(summary["screening_auc_vs_true_risk"] - target) < 0.01


def test_same_seed_gives_the_same_scores_and_aucs():
    a = screening_model(0.75, seed=9, n=1_000, months=4, reach=0.2).run()
    b = screening_model(0.75, seed=9, n=1_000, months=4, reach=0.2).run()
    assert np.array_equal(a.population.risk_score, b.population.risk_score)
    assert np.array_equal(a.population.screened_month, b.population.screened_month)
    pd.testing.assert_series_equal(
        a.monthly_table()["screening_auc"], b.monthly_table()["screening_auc"], check_exact=True
    )


def test_higher_target_auc_predicts_housing_loss_better():
    """Paired runs (same seed, so the same families lose housing): only the score's noise differs."""
    realised = {0.6: [], 0.9: []}
    for seed in (11, 12, 13):
        for target, values in realised.items():
            model = screening_model(target, seed=seed, n=2_000, months=24, reach=0.05).run()
            summary = summarize(model.monthly_table(), model.family_table(), model.params)
            values.append(summary["screening_auc_realised"])
    low, high = np.mean(realised[0.6]), np.mean(realised[0.9])
    # Over 20 seeds the paired gap was 0.20 on average and never below 0.14.
    assert high - low > 0.1, realised


def test_screening_off_reports_nan_aucs():
    model = screening_model(0.75, seed=1, n=300, months=3, reach=0.0).run()
    monthly = model.monthly_table()
    assert monthly["screening_auc"].isna().all()
    summary = summarize(monthly, model.family_table(), model.params)
    for key in ("screening_auc_target", "screening_auc_vs_true_risk", "screening_auc_realised"):
        assert math.isnan(summary[key]), key


# --- the realised AUC in the summary -------------------------------------------------------------


def test_realised_auc_uses_a_12_month_window_and_only_families_followed_through_it():
    months = 24  # recorded months 0..23
    monthly = pd.DataFrame(
        {
            "month": range(months),
            "screened": 1,
            "screening_auc": [0.7] * (months - 1) + [np.nan],
        }
    )
    families = pd.DataFrame(
        [
            # screened, lost housing, left, score
            (0, 12, -1, 2.0),  # lost in the 12th month after: positive
            (0, 13, -1, 2.5),  # lost in the 13th month: negative
            (11, -1, -1, 0.0),  # window ends at month 23, the last: negative
            (12, 14, -1, -5.0),  # window runs past the end: left out
            (5, -1, 10, 5.0),  # left before its window ended, no loss seen: left out
            (5, 8, 10, 3.0),  # lost housing before leaving: positive
            (-1, 3, -1, 9.0),  # never screened: left out
        ],
        columns=["screened_month", "lost_housing_month", "left_month", "risk_score"],
    )
    out = screening_summary(monthly, families, 0.8)
    # Positives score 2.0 and 3.0, negatives 2.5 and 0.0: three of four pairs ranked right.
    assert out["screening_auc_realised"] == pytest.approx(0.75)
    assert out["screening_auc_vs_true_risk"] == pytest.approx(0.7)
    assert out["screening_auc_target"] == 0.8


# --- the parameter -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.4, 1.5])
def test_target_auc_outside_half_to_one_is_a_scenario_error_naming_the_key(value):
    with pytest.raises(ScenarioError, match=r"screening\.target_auc") as info:
        resolve({"screening": {"target_auc": value}}, origin="test.yaml")
    assert "0.5 to 1.0" in str(info.value)
