"""Statistical helpers for the mechanism and Markov-chain tests.

Every check compares an observed count (or mean) with its expectation within ``k`` standard errors
and, so that a test can visibly fail, also asserts that the same observation would be *rejected* if
the true rate were off by ``wrong_factor`` in either direction (the test has power against a
modestly wrong rate).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sysmodel import Params, SystemModel

__all__ = [
    "K_SIGMA",
    "WRONG_FACTOR",
    "assert_bernoulli_sum",
    "assert_binomial",
    "assert_mean",
    "build_model",
]

# Four standard errors: with a few dozen comparisons per test run the family-wise false alarm rate
# (with fixed seeds: the chance a seed happens to be unlucky) stays below ~0.2%.
K_SIGMA = 4.0
# A rate wrong by this factor must be rejected by the same test.
WRONG_FACTOR = 1.25


def _check(observed: float, expected: float, sd: float, k: float, what: str) -> float:
    if sd <= 0:
        raise ValueError(f"{what}: zero standard error, the test cannot discriminate")
    z = (observed - expected) / sd
    assert abs(z) < k, (
        f"{what}: observed {observed:.6g}, expected {expected:.6g} +- {sd:.3g} (z = {z:.2f})"
    )
    return z


def assert_bernoulli_sum(
    events: np.ndarray | int,
    probs: np.ndarray,
    *,
    k: float = K_SIGMA,
    wrong_factor: float | None = WRONG_FACTOR,
    what: str = "events",
) -> float:
    """Number of events vs independent Bernoulli trials with probabilities ``probs``.

    ``events`` is a boolean array aligned with ``probs`` or a count. Returns the z-score. When
    ``wrong_factor`` is given, also asserts that hazards scaled by it (up and down, capped at 1)
    would have been rejected, i.e. the check has power.
    """
    probs = np.asarray(probs, dtype=float)
    count = float(np.sum(events))
    z = _check(count, probs.sum(), float(np.sqrt(np.sum(probs * (1 - probs)))), k, what)
    if wrong_factor is not None:
        for factor in (wrong_factor, 1.0 / wrong_factor):
            alt = np.minimum(1.0, probs * factor)
            sd_alt = float(np.sqrt(np.sum(alt * (1 - alt))))
            z_alt = (count - alt.sum()) / max(sd_alt, 1e-12)
            assert abs(z_alt) > k, (
                f"{what}: no power: a hazard x{factor:.3g} would pass too (z = {z_alt:.2f})"
            )
    return z


def assert_binomial(
    successes: np.ndarray | int,
    trials: int,
    p: float,
    *,
    k: float = K_SIGMA,
    wrong_factor: float | None = WRONG_FACTOR,
    what: str = "share",
) -> float:
    """``successes`` of ``trials`` Bernoulli(p) trials (see :func:`assert_bernoulli_sum`)."""
    return assert_bernoulli_sum(
        successes, np.full(int(trials), p), k=k, wrong_factor=wrong_factor, what=what
    )


def assert_mean(
    values: Iterable[float] | np.ndarray,
    expected: float,
    sd: float,
    *,
    k: float = K_SIGMA,
    wrong_shift: float | None = None,
    what: str = "mean",
) -> float:
    """Sample mean of ``values`` vs ``expected`` with known per-value standard deviation ``sd``.

    ``wrong_shift`` (absolute) states a wrong expectation (``expected +- wrong_shift``) the same
    data must reject.
    """
    values = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    se = sd / np.sqrt(values.size)
    z = _check(float(values.mean()), expected, se, k, what)
    if wrong_shift is not None:
        for alt in (expected + wrong_shift, expected - wrong_shift):
            z_alt = (values.mean() - alt) / se
            assert abs(z_alt) > k, f"{what}: no power against {alt:.6g} (z = {z_alt:.2f})"
    return z


def build_model(overrides: dict, processes: list[str], n: int, seed: int) -> SystemModel:
    """A model of ``n`` families with no burn-in that runs only ``processes`` each month."""
    params = Params().with_overrides(
        {"population.n_families": n, "time.burn_in_months": 0, "time.months": 12, **overrides}
    )
    return SystemModel(params, rng=seed, processes=processes)


# Parameter sets that switch mechanisms off, and equity groups for tests.
ECONOMY_OFF = {
    "economy.p_job_loss_low_wage_per_month": 0.0,
    "economy.p_job_loss_family_wage_per_month": 0.0,
    "economy.p_job_find_per_month": 0.0,
    "economy.p_promotion_per_month": 0.0,
    "economy.p_training_start_per_month": 0.0,
    "economy.p_training_dropout_per_month": 0.0,
    "economy.p_expense_shock_per_month": 0.0,
    "economy.wage_growth_per_year": 0.0,
    "benefits.p_decline_raise_if_net_loss": 0.0,
}
HOUSING_OFF = {
    "housing.p_filing_per_month_behind": 0.0,
    "housing.p_informal_move_per_month_behind": 0.0,
    "housing.p_case_decided_per_month": 0.0,
    "housing.p_doubled_up_exit_per_month": 0.0,
    "housing.p_shelter_exit_per_month": 0.0,
    "housing.p_rapid_rehousing_per_month": 0.0,
    "housing.p_voucher_per_month": 0.0,
    "housing.p_voucher_exit_per_month": 0.0,
}
ONE_GROUP = [
    {
        "name": "all",
        "share": 1.0,
        "hiring_multiplier": 1.0,
        "wage_multiplier": 1.0,
        "landlord_multiplier": 1.0,
    }
]


def two_groups(**multipliers: tuple[float, float]) -> list[dict]:
    """Two equal groups; e.g. ``hiring_multiplier=(1.0, 0.6)`` gives the groups those multipliers."""
    groups = [dict(ONE_GROUP[0], name="a", share=0.5), dict(ONE_GROUP[0], name="b", share=0.5)]
    for key, (a, b) in multipliers.items():
        groups[0][key], groups[1][key] = a, b
    return groups
