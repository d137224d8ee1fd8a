"""Analytic check: with services off, homogeneous families' housing follows a Markov chain.

Configuration (every parameter set explicitly, see :func:`homogeneous_params`): one equity group
with multipliers 1, no turnover, everyone in the same low-wage job with fixed earnings (no job loss,
finding, promotion or wage growth), one rent for every unit and no rent increases, no savings,
engagement constant, no high-barrier families. Earnings are set so that a housed family's month
balances to exactly zero (600 = rent 100 + essentials 500, no benefits): a family with no expense
shock keeps its arrears as they are, and any shock puts it behind with arrears of ``min(shock,
rent)``. The filing cap is the schema's minimum (0.1 months of rent) and the shock mean its maximum
(100,000 USD), so a shock leaves arrears under the cap only with probability ``1 - exp(-0.1 * 100 /
100000) = 1e-4`` (the "leak", bounded below). Re-housed families pay no rent (subsidy share 1) and
voucher holders pay 0% of income, so neither can fall behind. Then every family's housing state is
the same Markov chain, month by month:

* stable -> behind with the shock probability q (housing.py moves a stable family that owes at
  once);
* behind -> filed (p_filing * cap) or leaves informally (p_informal), one uniform split in two;
* filed -> decided (p_decided): evicted (p_evict) -> doubled up, else an agreement -> behind;
* doubled up -> own lease (p_du_exit);
* shelter -> voucher (p_v), rapid re-housing (p_rrh) or self-exit (p_self; a share to doubling up),
  consecutive intervals of one uniform;
* rapid re-housing lasts exactly ``rrh_subsidy_months`` months (expanded into one state per month
  left), then stable; a voucher ends with p_voucher_exit;
* help seeking runs *after* housing in the month, so a family that arrives doubled up (evicted,
  informal move or self-exit from shelter) can ask for shelter and be admitted in the same month,
  with probability s = p_seek_doubled_up * p_admission (engagement stays 1).

Families do not interact, so the N families are N independent copies of the chain and the
time-averaged state shares converge to the stationary distribution. The tolerance is four standard
errors computed from the chain itself (the asymptotic variance of a Markov additive functional, via
the Poisson equation), and the same tolerance must reject each of several wrong chains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from sysmodel import Params, SystemModel
from sysmodel.params import FAMILY_SCHEDULE, HOUSING_STATES

K_SIGMA = 4.0
EVENTS = ("filings", "evictions", "shelter_entries")

RENT, ESSENTIALS, EARNINGS = 100.0, 500.0, 600.0
FILING_CAP, SHOCK_MEAN = 0.1, 100_000.0

RATES = {
    "q": 0.1,  # expense shock per month
    "p_filing": 0.8,  # x cap 0.1 = 0.08 filing hazard per month behind
    "p_informal": 0.04,
    "p_decided": 0.5,
    "p_evict": 0.6,
    "p_du_exit": 0.15,
    "p_seek_du": 0.3,
    "p_admission": 0.8,
    "p_voucher": 0.05,
    "p_rrh": 0.15,
    "p_self": 0.3,
    "share_to_du": 0.3,
    "p_voucher_exit": 0.05,
}


def homogeneous_params(
    rates: dict[str, float], rrh_months: int, n: int, burn_in: int, months: int
) -> Params:
    """The homogeneous configuration described in the module docstring."""
    return Params().with_overrides(
        {
            "time.months": months,
            "time.burn_in_months": burn_in,
            "population.n_families": n,
            "population.share_single_adult": 1.0,
            "population.p_children": [1.0, 0.0, 0.0, 0.0, 0.0],
            "population.groups": [
                {
                    "name": "all",
                    "share": 1.0,
                    "hiring_multiplier": 1.0,
                    "wage_multiplier": 1.0,
                    "landlord_multiplier": 1.0,
                }
            ],
            "population.share_unemployed_start": 0.0,
            "population.share_family_wage_start": 0.0,
            "population.rent_median_usd": RENT,
            "population.rent_log_sd": 0.0,
            "population.rent_income_elasticity": 0.0,
            "population.savings_mean_usd": 0.0,
            "population.share_no_savings": 1.0,
            "population.share_behind_start": 0.0,
            "population.share_high_barrier": 0.0,
            "economy.p_job_loss_low_wage_per_month": 0.0,
            "economy.p_job_loss_family_wage_per_month": 0.0,
            "economy.p_job_find_per_month": 0.0,
            "economy.p_promotion_per_month": 0.0,
            "economy.low_wage_earnings_usd": EARNINGS,
            "economy.earnings_log_sd": 0.0,
            "economy.wage_growth_per_year": 0.0,
            "economy.p_training_start_per_month": 0.0,
            "economy.p_expense_shock_per_month": rates["q"],
            "economy.expense_shock_mean_usd": SHOCK_MEAN,
            "economy.rent_increase_per_year": 0.0,
            "economy.rent_increase_sd": 0.0,
            "benefits.max_benefit_per_person_usd": 0.0,
            "benefits.cliff_benefit_per_child_usd": 0.0,
            "benefits.p_decline_raise_if_net_loss": 0.0,
            "budget.essentials_base_usd": ESSENTIALS,
            "budget.essentials_per_person_usd": 0.0,
            "budget.essentials_min_share": 1.0,
            "benefits.p_ui_takeup": 0.0,
            "budget.share_surplus_saved": 0.0,
            "budget.share_surplus_to_debt": 0.0,
            "budget.savings_spend_rate_per_month": 0.0,
            "budget.doubled_up_contribution_usd": 0.0,
            "budget.subsidized_rent_share_of_income": 0.0,
            "housing.p_filing_per_month_behind": rates["p_filing"],
            "housing.filing_arrears_cap_months": FILING_CAP,
            "housing.p_informal_move_per_month_behind": rates["p_informal"],
            "housing.p_case_decided_per_month": rates["p_decided"],
            "housing.p_eviction_given_judgment": rates["p_evict"],
            "housing.p_doubled_up_exit_per_month": rates["p_du_exit"],
            "housing.p_shelter_exit_per_month": rates["p_self"],
            "housing.high_barrier_exit_multiplier": 1.0,
            "housing.share_shelter_exits_to_doubled_up": rates["share_to_du"],
            "housing.p_rapid_rehousing_per_month": rates["p_rrh"],
            "housing.p_voucher_per_month": rates["p_voucher"],
            "housing.rrh_subsidy_months": rrh_months,
            "housing.rrh_subsidy_share": 1.0,
            "housing.p_voucher_exit_per_month": rates["p_voucher_exit"],
            "housing.rent_market_multiplier": 1.0,
            "help_seeking.p_seek_help_behind_per_month": 0.2,
            "help_seeking.p_seek_help_filed_per_month": 0.4,
            "help_seeking.p_seek_help_doubled_up_per_month": rates["p_seek_du"],
            "help_seeking.p_shelter_admission": rates["p_admission"],
            "help_seeking.engagement_loss_per_intake": 0.0,
            "help_seeking.engagement_recovery_per_month": 0.0,
            "turnover.p_move_out_per_month": 0.0,
            # Placement breakdowns are not in the chain (calibrated and on by default).
            "housing.p_placement_conflict_per_month": 0.0,
            "housing.p_nonrenewal_at_lease_end": 0.0,
            "housing.p_breakdown_per_unit_rent_burden_per_month": 0.0,
            "schedule.processes": FAMILY_SCHEDULE,  # the housing chain without services
        }
    )


# --- the chain ------------------------------------------------------------------------------------


@dataclass
class Chain:
    """A Markov chain whose monthly step from state i is a list of outcomes (prob, next state,
    events).

    ``aggregate[i]`` is the model's housing-state code of expanded state i (the re-housed state is
    expanded into one state per month of subsidy left).
    """

    names: list[str]
    aggregate: np.ndarray
    outcomes: list[list[tuple[float, int, dict[str, int]]]] = field(repr=False)

    @property
    def P(self) -> np.ndarray:
        n = len(self.names)
        P = np.zeros((n, n))
        for i, outs in enumerate(self.outcomes):
            for p, j, _ in outs:
                P[i, j] += p
        return P

    def stationary(self) -> np.ndarray:
        """pi with pi P = pi, sum(pi) = 1 (least squares on the stacked system)."""
        n = len(self.names)
        A = np.vstack([(self.P - np.eye(n)).T, np.ones(n)])
        b = np.zeros(n + 1)
        b[-1] = 1.0
        pi = np.linalg.lstsq(A, b, rcond=None)[0]
        return pi

    def reward(self, name: str) -> list[list[float]]:
        """Per-outcome value of a monthly quantity: an event count or a month-end state flag."""
        out = []
        for outs in self.outcomes:
            if name in EVENTS:
                out.append([float(ev.get(name, 0)) for _, _, ev in outs])
            else:
                code = HOUSING_STATES.index(name)
                out.append([float(self.aggregate[j] == code) for _, j, _ in outs])
        return out

    def expected_reward(self, name: str) -> np.ndarray:
        """r(i): the expected value of the quantity in a month that starts in state i."""
        return np.array(
            [
                sum(p * v for (p, _, _), v in zip(outs, vals, strict=True))
                for outs, vals in zip(self.outcomes, self.reward(name), strict=True)
            ]
        )

    def mean_and_variance(self, name: str) -> tuple[float, float]:
        """Stationary mean per family-month, and asymptotic variance of the family's monthly sum.

        With r(i) the expected value from state i and h solving the Poisson equation (I - P) h = r -
        m, the sum over T months is T m plus a martingale whose increments are value + h(next) -
        r(i) - (P h)(i), so the variance per month is sum_i pi_i Var_i(value + h(next)).
        """
        pi, P = self.stationary(), self.P
        values = self.reward(name)
        r = self.expected_reward(name)
        m = float(pi @ r)
        n = len(self.names)
        h = np.linalg.solve(np.eye(n) - P + np.outer(np.ones(n), pi), r - m)
        var = 0.0
        for i, (outs, vals) in enumerate(zip(self.outcomes, values, strict=True)):
            x = np.array([v + h[j] for (_, j, _), v in zip(outs, vals, strict=True)])
            p = np.array([o[0] for o in outs])
            var += pi[i] * float(p @ x**2 - (p @ x) ** 2)
        return m, var

    def mean(self, name: str) -> float:
        """Stationary mean per family-month."""
        return self.mean_and_variance(name)[0]

    def expected_average(self, name: str, start: int, burn_in: int, months: int) -> float:
        """Expected average over the recorded months when everyone starts in state ``start``."""
        P = self.P
        r = self.expected_reward(name)
        dist = np.zeros(len(self.names))
        dist[start] = 1.0
        dist = dist @ np.linalg.matrix_power(P, burn_in)
        total = 0.0
        for _ in range(months):
            total += dist @ r
            dist = dist @ P
        return total / months


def housing_chain(rates: dict[str, float], rrh_months: int, variant: str = "model") -> Chain:
    """The chain the processes imply (``variant="model"``) or a deliberately wrong one.

    Wrong variants: ``"filing_x1.05"`` (filing hazard 5% too high), ``"seek_before_housing"`` (no
    same-month shelter entry after arriving doubled up), ``"independent_exit_draws"`` (shelter exits
    drawn one after another instead of from one uniform), ``"rrh_one_month_longer"``.
    """
    r = dict(rates)
    if variant == "filing_x1.05":
        r["p_filing"] *= 1.05
    months = rrh_months + (1 if variant == "rrh_one_month_longer" else 0)
    names = ["stable", "behind", "filed", "doubled_up", "shelter", "subsidized"]
    names += [f"rehoused_{k}_left" for k in range(months, 0, -1)]
    S, B, F, D, H, V = range(6)
    R = {k: 6 + (months - k) for k in range(1, months + 1)}  # R[k]: k months of subsidy left
    codes = [HOUSING_STATES.index(n) for n in names[:6]] + [
        HOUSING_STATES.index("rehoused")
    ] * months

    s = r["p_seek_du"] * r["p_admission"]
    pf = r["p_filing"] * FILING_CAP

    def arrive_doubled_up(p: float, events: dict[str, int]) -> list:
        # Help seeking comes after housing: a new arrival can ask for shelter and get in this month.
        if variant == "seek_before_housing":
            return [(p, D, events)]
        return [(p * (1 - s), D, events), (p * s, H, {**events, "shelter_entries": 1})]

    pv, pr, ps = r["p_voucher"], r["p_rrh"], r["p_self"]
    if variant == "independent_exit_draws":
        pr, ps = (1 - pv) * pr, (1 - pv) * (1 - pr) * ps
    outcomes = {
        S: [(r["q"], B, {}), (1 - r["q"], S, {})],
        B: [
            (pf, F, {"filings": 1}),
            *arrive_doubled_up(r["p_informal"], {}),
            (1 - pf - r["p_informal"], B, {}),
        ],
        F: [
            *arrive_doubled_up(r["p_decided"] * r["p_evict"], {"evictions": 1}),
            (r["p_decided"] * (1 - r["p_evict"]), B, {}),
            (1 - r["p_decided"], F, {}),
        ],
        # Doubled up at the start of the month: an own lease, or (still doubled up) ask for shelter.
        D: [
            (r["p_du_exit"], S, {}),
            ((1 - r["p_du_exit"]) * (1 - s), D, {}),
            ((1 - r["p_du_exit"]) * s, H, {"shelter_entries": 1}),
        ],
        H: [
            (pv, V, {}),
            (pr, R[months], {}),
            *arrive_doubled_up(ps * r["share_to_du"], {}),
            (ps * (1 - r["share_to_du"]), S, {}),
            (1 - pv - pr - ps, H, {}),
        ],
        V: [(r["p_voucher_exit"], S, {}), (1 - r["p_voucher_exit"], V, {})],
    }
    for k in range(months, 0, -1):
        outcomes[R[k]] = [(1.0, R[k - 1] if k > 1 else S, {})]
    ordered = [outcomes[i] for i in range(len(names))]
    for i, outs in enumerate(ordered):
        total = sum(p for p, _, _ in outs)
        assert math.isclose(total, 1.0), f"outcomes of {names[i]} sum to {total}"
        assert all(p >= 0 for p, _, _ in outs)
    return Chain(names=names, aggregate=np.array(codes), outcomes=ordered)


# --- the comparison -------------------------------------------------------------------------------

N_FAMILIES = 20_000
RECORDED_MONTHS = 300
RRH_MONTHS = 3
WRONG_VARIANTS = (
    "filing_x1.05",
    "seek_before_housing",
    "independent_exit_draws",
    "rrh_one_month_longer",
)
# The chain has no capacities, so no family is ever unsheltered (turned away by a full shelter).
CHAIN_STATES = tuple(s for s in HOUSING_STATES if s != "unsheltered")
QUANTITIES = (*CHAIN_STATES, *EVENTS)


def burn_in_for(chain: Chain, tol: float = 1e-4) -> int:
    """Months until the chain started in 'stable' is within ``tol`` of pi (total variation)."""
    pi, P = chain.stationary(), chain.P
    dist = np.zeros(len(chain.names))
    dist[0] = 1.0
    for month in range(1, 241):
        dist = dist @ P
        if 0.5 * np.abs(dist - pi).sum() < tol:
            return month
    raise AssertionError("the chain mixes too slowly for the schema's burn-in bound (240 months)")


def stationary_values(chain: Chain) -> dict[str, tuple[float, float]]:
    """Stationary mean per family-month and its standard error for this run size, per quantity."""
    out = {}
    for name in QUANTITIES:
        m, var = chain.mean_and_variance(name)
        out[name] = (m, math.sqrt(var / (N_FAMILIES * RECORDED_MONTHS)))
    return out


def observed_values(table) -> dict[str, float]:
    """Time-averaged state shares and flows per family-month of a run's monthly table."""
    out = {name: float(table[f"n_{name}"].mean() / N_FAMILIES) for name in CHAIN_STATES}
    out.update({e: float(table[e].mean() / N_FAMILIES) for e in EVENTS})
    return out


def z_scores(observed: dict[str, float], expected: dict[str, tuple[float, float]]):
    return {k: (observed[k] - expected[k][0]) / expected[k][1] for k in QUANTITIES}


@pytest.fixture(scope="module")
def chain_run():
    chain = housing_chain(RATES, RRH_MONTHS)
    burn_in = burn_in_for(chain)
    params = homogeneous_params(RATES, RRH_MONTHS, N_FAMILIES, burn_in, RECORDED_MONTHS)
    model = SystemModel(params, rng=2024).run()
    return chain, model, burn_in


def test_chain_is_a_proper_stochastic_matrix_with_a_unique_stationary_distribution():
    chain = housing_chain(RATES, RRH_MONTHS)
    P, pi = chain.P, chain.stationary()
    assert np.allclose(P.sum(axis=1), 1.0) and (P >= 0).all()
    assert np.allclose(pi @ P, pi, atol=1e-12) and (pi > 0).all()
    # Irreducible and aperiodic: a single eigenvalue of modulus one.
    moduli = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    assert moduli[0] == pytest.approx(1.0) and moduli[1] < 0.99
    # The eigenvector route gives the same answer as the linear solve.
    w, v = np.linalg.eig(P.T)
    eig_pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    assert np.allclose(eig_pi / eig_pi.sum(), pi, atol=1e-10)
    # Re-housing is a fixed-length sub-chain: its share is inflow x duration.
    rehoused = pi[chain.aggregate == HOUSING_STATES.index("rehoused")].sum()
    assert rehoused == pytest.approx(pi[4] * RATES["p_rrh"] * RRH_MONTHS)


def leak_shift() -> dict[str, float]:
    """Upper bound on the bias from shocks that leave arrears below the filing cap.

    Such a shock (probability 1 - exp(-cap x rent / mean)) leaves the filing hazard below p_filing x
    cap until the next shock. A leaky spell ends at the next shock at the latest (mean 1/q = 10
    months), an ordinary behind spell lasts 1/(p_filing x cap + p_informal) = 8.3 months on average,
    so at most ~1.2 x leak of behind family-months are leaky. Bound the effect by a chain whose
    filing hazard is lower by three times the leak.
    """
    leak = 1 - math.exp(-FILING_CAP * RENT / SHOCK_MEAN)
    exact = housing_chain(RATES, RRH_MONTHS)
    bound = housing_chain({**RATES, "p_filing": RATES["p_filing"] * (1 - 3 * leak)}, RRH_MONTHS)
    return {name: abs(bound.mean(name) - exact.mean(name)) for name in QUANTITIES}


def test_leak_below_the_filing_cap_is_negligible():
    """The leak's bias is below a quarter of a standard error (and is added to the tolerance)."""
    assert 1 - math.exp(-FILING_CAP * RENT / SHOCK_MEAN) < 2e-4
    expected = stationary_values(housing_chain(RATES, RRH_MONTHS))
    for name, shift in leak_shift().items():
        assert shift < 0.25 * expected[name][1], name


@pytest.mark.slow
def test_long_run_state_shares_and_flows_match_the_markov_steady_state(chain_run):
    chain, model, burn_in = chain_run
    table = model.monthly_table()
    assert len(table) == RECORDED_MONTHS
    expected = stationary_values(chain)
    # The burn-in removes the start-up transient: the exact expected average over the recorded
    # months (from everyone stable) is within a twentieth of a standard error of the stationary
    # value.
    for name in QUANTITIES:
        finite = chain.expected_average(name, 0, burn_in, RECORDED_MONTHS)
        assert abs(finite - expected[name][0]) < 0.05 * expected[name][1], name
    observed = observed_values(table)
    z = z_scores(observed, expected)
    shift = leak_shift()
    report = {k: f"obs {observed[k]:.5f} exp {expected[k][0]:.5f} z {z[k]:+.2f}" for k in z}
    for name in QUANTITIES:
        tolerance = K_SIGMA * expected[name][1] + shift[name]
        assert abs(observed[name] - expected[name][0]) < tolerance, report
    # Every state is visited often enough for the comparison to mean something.
    assert all(expected[name][0] > 0.005 for name in CHAIN_STATES)


@pytest.mark.slow
def test_wrong_chains_are_rejected_by_the_same_tolerance(chain_run):
    """The comparison can fail: each deliberately wrong chain misses the run beyond tolerance."""
    _, model, _ = chain_run
    observed = observed_values(model.monthly_table())
    shift = leak_shift()
    for variant in WRONG_VARIANTS:
        wrong = stationary_values(housing_chain(RATES, RRH_MONTHS, variant))
        misses = [
            name
            for name in QUANTITIES
            if abs(observed[name] - wrong[name][0]) > K_SIGMA * wrong[name][1] + shift[name]
        ]
        assert misses, f"the wrong chain {variant!r} passes the test"


@pytest.mark.slow
def test_flows_match_the_chain_given_last_months_states(chain_run):
    """Month by month: filings = p_filing x cap x behind, evictions = p_decided x p_evict x filed.

    Given last month's counts these are binomial, so the summed deviations are a martingale whose
    variance is the sum of the binomial variances: an exact test of the within-month rates.
    """
    _, model, _ = chain_run
    table = model.monthly_table()
    pf = RATES["p_filing"] * FILING_CAP
    pe = RATES["p_decided"] * RATES["p_evict"]
    for event, state, p in (("filings", "n_behind", pf), ("evictions", "n_filed", pe)):
        at_risk = table[state].shift(1).iloc[1:]
        events = table[event].iloc[1:]
        z = (events.sum() - p * at_risk.sum()) / math.sqrt(p * (1 - p) * at_risk.sum())
        assert abs(z) < K_SIGMA, (event, z)
        wrong = 1.1 * p
        z_wrong = (events.sum() - wrong * at_risk.sum()) / math.sqrt(
            wrong * (1 - wrong) * at_risk.sum()
        )
        assert abs(z_wrong) > K_SIGMA, (event, "no power", z_wrong)


def test_rrh_off_chain_has_no_rehoused_state_and_matches_a_short_run():
    """Re-housing switched off (p_rrh = 0): a smaller run against the 6-state chain."""
    rates = {**RATES, "p_rrh": 0.0, "p_self": 0.4}
    chain = housing_chain(rates, 1)
    pi = chain.stationary()
    assert pi[chain.aggregate == HOUSING_STATES.index("rehoused")].sum() == pytest.approx(0.0)
    n, months = 5_000, 120
    burn_in = burn_in_for(chain)
    model = SystemModel(homogeneous_params(rates, 1, n, burn_in, months), rng=7).run()
    table = model.monthly_table()
    assert (table["n_rehoused"] == 0).all()
    for name in QUANTITIES:
        m, var = chain.mean_and_variance(name)
        se = math.sqrt(var / (n * months))
        obs = table[f"n_{name}" if name in HOUSING_STATES else name].mean() / n
        if se > 0:
            assert abs(obs - m) < K_SIGMA * se, (name, obs, m, se)
