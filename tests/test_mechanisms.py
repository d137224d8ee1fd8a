"""Statistical and hand-computed tests of each monthly mechanism against what its parameters say.

Each test isolates one mechanism: it builds a model that runs only the process under test (and sets
the family arrays directly where a hand-made population is clearer), steps it, and compares what
happened with the expectation implied by the parameters. Statistical checks use ``helpers_stats``:
observed within ``K_SIGMA`` standard errors of the expectation, *and* outside them for a rate wrong
by ``WRONG_FACTOR``, so every check can fail. Every parameter an assertion depends on is set
explicitly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers_stats import (
    ECONOMY_OFF,
    HOUSING_OFF,
    K_SIGMA,
    ONE_GROUP,
    assert_bernoulli_sum,
    assert_binomial,
    assert_mean,
    build_model,
    two_groups,
)
from sysmodel import Params
from sysmodel.policies.benefit_schedules import CliffSchedule, FlexibleSchedule
from sysmodel.population import (
    BEHIND,
    DOUBLED_UP,
    FAMILY_WAGE,
    FILED,
    LOW_WAGE,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
    UNEMPLOYED,
)

# Economy switches: everything off, so a test turns on only the hazard it checks.


def employ(pop, emp_code: int, earnings: float, rows=slice(None)) -> None:
    """Put rows into a job of type ``emp_code`` with the given earnings."""
    pop.emp[rows] = emp_code
    pop.earnings[rows] = earnings


# --- economy --------------------------------------------------------------------------------------


def test_job_loss_share_matches_hazard_by_job_type():
    p_low, p_fw = 0.05, 0.04
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_job_loss_low_wage_per_month": p_low,
            "economy.p_job_loss_family_wage_per_month": p_fw,
        },
        ["economy"],
        n=30_000,
        seed=1,
    )
    pop = model.population
    half = pop.n // 2
    employ(pop, LOW_WAGE, 2_000.0, slice(0, half))
    employ(pop, FAMILY_WAGE, 4_000.0, slice(half, None))
    trials = {LOW_WAGE: 0, FAMILY_WAGE: 0}
    losses = {LOW_WAGE: 0, FAMILY_WAGE: 0}
    for _ in range(4):
        before = pop.emp.copy()
        model.step()
        lost = pop.emp == UNEMPLOYED
        for job in trials:
            trials[job] += int((before == job).sum())
            losses[job] += int((lost & (before == job)).sum())
        assert model.events["jobs_lost"] == int((lost & (before != UNEMPLOYED)).sum())
        assert (pop.earnings[lost] == 0).all()
    assert_binomial(losses[LOW_WAGE], trials[LOW_WAGE], p_low, what="low-wage job loss")
    assert_binomial(losses[FAMILY_WAGE], trials[FAMILY_WAGE], p_fw, what="family-wage job loss")


def test_job_finding_matches_skill_and_hiring_adjusted_hazard():
    p_find, effect, fw_max = 0.3, 1.5, 1.0
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_job_find_per_month": p_find,
            "economy.skill_job_find_effect": effect,
            "economy.p_family_wage_offer_max": fw_max,
            "population.share_unemployed_start": 1.0,
            "population.groups": two_groups(hiring_multiplier=(1.0, 0.6)),
        },
        ["economy"],
        n=40_000,
        seed=2,
    )
    pop = model.population
    assert (pop.emp == UNEMPLOYED).all()
    hiring = np.array([1.0, 0.6])[pop.group]
    expected = np.minimum(1.0, p_find * (0.5 + effect * pop.skill) * hiring)
    skill = pop.skill.copy()
    model.step()
    found = pop.emp != UNEMPLOYED
    assert model.events["jobs_found"] == found.sum()
    for g in (0, 1):
        in_group = pop.group == g
        assert_bernoulli_sum(found[in_group], expected[in_group], what=f"job finding, group {g}")
    # Among jobs found, the family-wage share follows p_family_wage_offer_max * skill^2.
    assert_bernoulli_sum(
        (pop.emp == FAMILY_WAGE)[found],
        fw_max * skill[found] ** 2,
        what="family-wage share of jobs found",
    )
    assert (pop.earnings[found] > 0).all()


def test_promotion_matches_skill_and_hiring_adjusted_hazard():
    p_promo = 0.2
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_promotion_per_month": p_promo,
            "population.groups": two_groups(hiring_multiplier=(1.0, 0.5)),
        },
        ["economy"],
        n=40_000,
        seed=3,
    )
    pop = model.population
    employ(pop, LOW_WAGE, 2_000.0)
    expected = p_promo * pop.skill * np.array([1.0, 0.5])[pop.group]
    earnings_before = pop.earnings.copy()
    model.step()
    promoted = pop.emp == FAMILY_WAGE
    assert_bernoulli_sum(promoted, expected, what="promotion")
    # A better job never pays less than the old one (max of offer and current earnings).
    assert (pop.earnings[promoted] >= earnings_before[promoted]).all()


def test_expense_shock_frequency_and_exponential_size():
    p_shock, mean_usd = 0.1, 800.0
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_expense_shock_per_month": p_shock,
            "economy.expense_shock_mean_usd": mean_usd,
        },
        ["economy"],
        n=20_000,
        seed=4,
    )
    sizes = []
    shocked = 0
    for _ in range(3):
        model.step()
        shock = model.population.expense_shock
        shocked += int((shock > 0).sum())
        sizes.append(shock[shock > 0])
    sizes = np.concatenate(sizes)
    assert_binomial(shocked, 3 * model.population.n, p_shock, what="expense-shock frequency")
    # Exponential sizes: the sd equals the mean.
    assert_mean(sizes, mean_usd, mean_usd, wrong_shift=0.1 * mean_usd, what="mean shock size")
    assert stats.kstest(sizes, stats.expon(scale=mean_usd).cdf).pvalue > 1e-3
    assert stats.kstest(sizes, stats.expon(scale=1.25 * mean_usd).cdf).pvalue < 1e-3


def test_rent_rises_once_a_year_at_the_lease_anniversary_by_the_mean_increase():
    increase, sd = 0.05, 0.03
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.rent_increase_per_year": increase,
            "economy.rent_increase_sd": sd,
            "population.rent_log_sd": 0.25,
        },
        ["economy"],
        n=12_000,
        seed=5,
    )
    pop = model.population
    # A third hold no lease: their (last) rent must not move.
    no_lease = np.arange(pop.n) % 3 == 0
    pop.housing[no_lease] = np.where(np.arange(pop.n)[no_lease] % 2 == 0, SHELTER, DOUBLED_UP)
    pop.housing[~no_lease & (np.arange(pop.n) % 3 == 1)] = SUBSIDIZED
    changes = np.zeros(pop.n, dtype=int)
    ratios = []
    for _ in range(12):
        month = model.month
        before = pop.rent.copy()
        model.step()
        changed = pop.rent != before
        renew = (pop.lease_month == month % 12) & ~no_lease
        assert (changed == renew).all(), "rents change exactly at lease anniversaries"
        changes += changed
        ratios.append(pop.rent[renew] / before[renew])
    assert (changes[~no_lease] == 1).all() and (changes[no_lease] == 0).all()
    ratios = np.concatenate(ratios)
    assert_mean(ratios, 1 + increase, sd, wrong_shift=0.01, what="yearly rent increase")
    assert np.std(ratios) == pytest.approx(sd, rel=0.1)


def test_training_dropout_is_multiplied_while_housing_is_unstable():
    p_drop, mult, months, gain = 0.1, 3.0, 6, 0.25
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_training_dropout_per_month": p_drop,
            "economy.training_dropout_instability_multiplier": mult,
            "economy.training_months": months,
            "economy.training_skill_gain": gain,
        },
        ["economy"],
        n=48_000,
        seed=6,
    )
    pop = model.population
    rows = np.arange(pop.n)
    # Stable: own lease paid up or subsidised; unstable: behind, filed, doubled up, in shelter.
    stable_states = np.array([STABLE, REHOUSED, SUBSIDIZED])
    unstable_states = np.array([BEHIND, FILED, DOUBLED_UP, SHELTER])
    unstable = rows % 2 == 1
    pop.housing[~unstable] = stable_states[(rows[~unstable] // 2) % 3]
    pop.housing[unstable] = unstable_states[(rows[unstable] // 2) % 4]
    # Most start a full course; every tenth is in its last month (completes unless it drops out).
    last_month = rows % 10 == 0
    pop.training_left[:] = np.where(last_month, 1, months)
    skill = pop.skill.copy()
    completed_before = pop.trainings_completed.copy()
    model.step()
    # A drop-out leaves training with nothing: mid-course rows at 0 months left, last-month rows
    # without a completion.
    dropped = ((pop.training_left == 0) & ~last_month) | (
        last_month & (pop.trainings_completed == completed_before)
    )
    for is_unstable, p in ((False, p_drop), (True, p_drop * mult)):
        group = unstable == is_unstable
        assert_binomial(dropped[group], group.sum(), p, what=f"drop-out, unstable={is_unstable}")
    # The rest of the full courses are a month further on; last-month rows completed and gained
    # skill.
    assert (pop.training_left[~last_month & ~dropped] == months - 1).all()
    completed = last_month & ~dropped
    assert (pop.training_left[last_month] == 0).all()
    assert np.allclose(pop.skill[completed], np.minimum(1.0, skill[completed] + gain))
    assert (pop.skill[~completed] == skill[~completed]).all()
    assert model.events["trainings_completed"] == completed.sum()
    assert model.events["training_dropouts"] == dropped.sum()


def test_training_starts_only_outside_family_wage_work():
    p_start, months = 0.15, 8
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_training_start_per_month": p_start,
            "economy.training_months": months,
        },
        ["economy"],
        n=20_000,
        seed=7,
    )
    pop = model.population
    employ(pop, FAMILY_WAGE, 4_000.0, slice(0, 5_000))
    employ(pop, LOW_WAGE, 2_000.0, slice(5_000, 12_500))
    employ(pop, UNEMPLOYED, 0.0, slice(12_500, None))
    model.step()
    started = pop.training_left == months
    assert not started[:5_000].any()
    assert_binomial(started[5_000:], pop.n - 5_000, p_start, what="training start")
    assert model.events["trainings_started"] == started.sum()


# --- benefits -------------------------------------------------------------------------------------

BENEFITS = {
    "benefits.fpl_first_person_usd": 1_255.0,
    "benefits.fpl_per_extra_person_usd": 448.0,
    "benefits.max_benefit_per_person_usd": 230.0,
    "benefits.benefit_taper": 0.3,
    "benefits.cliff_benefit_per_child_usd": 450.0,
    "benefits.cliff_threshold_fpl": 2.0,
    "benefits.flexible_phaseout_band_fpl": 1.5,
    # Everyone claims (take-up is tested on its own below).
    "benefits.take_up_start": 1.0,
    "benefits.p_stop_claiming_per_month": 0.0,
}


def net_resources(schedule, earnings, size, children) -> np.ndarray:
    earnings = np.asarray(earnings, dtype=float)
    size = np.full(earnings.shape, size)
    children = np.full(earnings.shape, children)
    return earnings + schedule.amount(earnings, size, children)


def test_cliff_schedule_drops_net_resources_just_above_the_threshold():
    bp = Params().with_overrides(BENEFITS).benefits
    cliff = CliffSchedule(bp)
    # One adult, two children: poverty line 1255 + 2 * 448 = 2151, threshold 2 * 2151 = 4302 USD.
    net = net_resources(cliff, [4_000.0, 4_302.0, 4_303.0], size=3, children=2)
    # Below the threshold the tapered benefit (690 - 0.3 * 4000 < 0) is gone; the cliff benefit is
    # 900 (450 a child) up to the threshold and 0 one dollar above it.
    assert net.tolist() == [4_900.0, 5_202.0, 4_303.0]
    # Under the Flexible Benefit Set the same dollar raises net resources.
    flexible = FlexibleSchedule(bp)
    net_flex = net_resources(flexible, [4_302.0, 4_303.0], size=3, children=2)
    assert net_flex[1] > net_flex[0]
    # Tapered part at zero earnings: 230 per person.
    assert cliff.amount(np.array([0.0]), np.array([3]), np.array([2]))[0] == 3 * 230 + 900


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    e1=st.floats(0, 20_000),
    e2=st.floats(0, 20_000),
    adults=st.integers(1, 2),
    children=st.integers(0, 4),
    taper=st.floats(0, 1),
    per_child=st.floats(0, 5_000),
    threshold=st.floats(0, 10),
    band=st.floats(0.01, 10),
    fpl1=st.floats(1, 10_000),
    fpl_extra=st.floats(0, 5_000),
    per_person=st.floats(0, 5_000),
)
def test_flexible_schedule_never_lowers_net_resources_as_earnings_rise(
    e1, e2, adults, children, taper, per_child, threshold, band, fpl1, fpl_extra, per_person
):
    size = adults + children
    fpl = fpl1 + fpl_extra * (size - 1)
    # The module's promise holds while the combined phase-out rate stays below one.
    assume(taper + per_child * children / (band * fpl) <= 1.0)
    bp = (
        Params()
        .with_overrides(
            {
                "benefits.benefit_taper": taper,
                "benefits.cliff_benefit_per_child_usd": per_child,
                "benefits.cliff_threshold_fpl": threshold,
                "benefits.flexible_phaseout_band_fpl": band,
                "benefits.fpl_first_person_usd": fpl1,
                "benefits.fpl_per_extra_person_usd": fpl_extra,
                "benefits.max_benefit_per_person_usd": per_person,
            }
        )
        .benefits
    )
    lo, hi = sorted((e1, e2))
    net = net_resources(FlexibleSchedule(bp), [lo, hi], size=size, children=children)
    assert net[1] >= net[0] - 1e-9 * max(1.0, abs(net[0]))


def _cliff_edge_model(schedule: str, p_decline: float, seed: int):
    """Single parents of one child in low-wage work: half just below the cliff, half far below."""
    model = build_model(
        {
            **ECONOMY_OFF,
            **BENEFITS,
            "benefits.schedule": schedule,
            "benefits.p_decline_raise_if_net_loss": p_decline,
            "economy.wage_growth_per_year": 0.03,
            "population.share_single_adult": 1.0,
            "population.p_children": [0.0, 1.0, 0.0, 0.0, 0.0],
        },
        ["economy", "benefits"],
        n=20_000,
        seed=seed,
    )
    pop = model.population
    threshold = 2.0 * (1_255.0 + 448.0)  # 3406 USD for a household of two
    near = np.arange(pop.n) < pop.n // 2
    # A 3%/year raise (+0.25% a month, ~8 USD) takes the near group over the threshold and loses the
    # 450 USD cliff benefit: net resources fall.
    employ(pop, LOW_WAGE, threshold - 4.0)
    pop.earnings[~near] = threshold / 2
    return model, near, threshold


def test_families_decline_raises_that_lower_net_resources_at_the_stated_rate():
    p_decline = 0.4
    model, near, threshold = _cliff_edge_model("cliff", p_decline, seed=8)
    pop = model.population
    growth = 1.03 ** (1 / 12)
    trials = declines = 0
    for _ in range(3):
        at_edge = near & (pop.earnings == threshold - 4.0)
        far_before = pop.earnings[~near].copy()
        model.step()
        declined = at_edge & (pop.earnings == threshold - 4.0)
        accepted = at_edge & ~declined
        trials += int(at_edge.sum())
        declines += int(declined.sum())
        assert model.events["raises_declined"] == declined.sum()
        assert np.allclose(pop.earnings[accepted], (threshold - 4.0) * growth)
        # A raise that does not lower net resources is always taken.
        assert np.allclose(pop.earnings[~near], far_before * growth)
    assert_binomial(declines, trials, p_decline, what="raises declined")


def test_no_raise_is_declined_under_the_flexible_benefit_set():
    model, near, threshold = _cliff_edge_model("flexible", 1.0, seed=8)
    model.step()
    assert model.events["raises_declined"] == 0
    assert (model.population.earnings[near] > threshold).all()


# --- budget ---------------------------------------------------------------------------------------


def test_budget_moves_savings_arrears_and_debt_by_the_rule():
    """Hand-made families, one per rule of budget.py, with the results computed by hand.

    Essentials: 300 + 200 per person; each family is one adult and one child (700 USD). A surplus
    repays arrears, then half of the rest repays debt and a quarter of what remains is saved, after
    10% of the savings stock is spent; a deficit comes from savings, then becomes arrears (up to the
    rent due, for lease holders) and then debt.
    """
    model = build_model(
        {
            "budget.essentials_base_usd": 300.0,
            "budget.essentials_per_person_usd": 200.0,
            "budget.share_surplus_saved": 0.25,
            "budget.share_surplus_to_debt": 0.5,
            "budget.savings_spend_rate_per_month": 0.1,
            "budget.doubled_up_contribution_usd": 250.0,
            "budget.subsidized_rent_share_of_income": 0.25,
            "budget.essentials_min_share": 1.0,  # no cutting back here (tested below)
        },
        ["budget"],
        n=9,
        seed=9,
    )
    pop = model.population
    pop.adults[:] = 1
    pop.children[:] = 1
    # columns: housing, earnings, benefits, rent, shock, savings, arrears, debt, subsidy_share
    cases = [
        (STABLE, 3000, 0, 1000, 0, 1000, 500, 100, 0.0),  # surplus repays arrears and debt, saves
        (STABLE, 2000, 0, 1000, 0, 0, 0, 1000, 0.0),  # surplus: half of it repays debt
        (STABLE, 1500, 0, 1000, 0, 500, 0, 0, 0.0),  # deficit covered by savings
        (BEHIND, 0, 200, 1000, 2000, 300, 400, 50, 0.0),  # deficit beyond savings and the rent
        (DOUBLED_UP, 500, 0, 1000, 0, 0, 0, 0, 0.0),  # contributes 250, no lease: debt
        (SHELTER, 0, 0, 1000, 0, 0, 0, 0, 0.0),  # no rent; essentials become debt
        (REHOUSED, 800, 0, 1000, 0, 0, 0, 0, 0.75),  # pays a quarter of the rent
        (SUBSIDIZED, 900, 0, 1000, 0, 0, 0, 0, 0.0),  # pays 25% of income (225)
        (FILED, 1000, 0, 1000, 0, 0, 0, 0, 0.0),  # deficit 700 < rent: all arrears
    ]
    cols = ("housing", "earnings", "benefits", "rent", "expense_shock", "savings", "arrears")
    cols += ("debt", "subsidy_share")
    for j, name in enumerate(cols):
        pop.column(name)[:] = [case[j] for case in cases]
    model.step()
    expected_savings = [1075.0, 37.5, 250.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    expected_arrears = [0.0, 0.0, 0.0, 1400.0, 0.0, 0.0, 150.0, 25.0, 700.0]
    expected_debt = [0.0, 850.0, 0.0, 2280.0, 450.0, 700.0, 0.0, 0.0, 0.0]
    assert pop.savings.tolist() == pytest.approx(expected_savings, abs=1e-9)
    assert pop.arrears.tolist() == pytest.approx(expected_arrears, abs=1e-9)
    assert pop.debt.tolist() == pytest.approx(expected_debt, abs=1e-9)


def test_shortfalls_cut_essentials_to_the_floor_before_savings_and_arrears():
    """Essentials 700 (one adult, one child); floor 60% (420), so at most 280 can be cut."""
    model = build_model(
        {
            "budget.essentials_base_usd": 300.0,
            "budget.essentials_per_person_usd": 200.0,
            "budget.essentials_min_share": 0.6,
            "budget.share_surplus_saved": 0.25,
            "budget.share_surplus_to_debt": 0.0,
            "budget.savings_spend_rate_per_month": 0.0,
        },
        ["budget"],
        n=3,
        seed=9,
    )
    pop = model.population
    pop.adults[:] = 1
    pop.children[:] = 1
    pop.housing[:] = STABLE
    pop.rent[:] = 1000.0
    pop.benefits[:] = 0.0
    pop.expense_shock[:] = 0.0
    pop.arrears[:] = 0.0
    pop.debt[:] = 0.0
    pop.earnings[:] = [1500.0, 1000.0, 2000.0]
    pop.savings[:] = [500.0, 100.0, 0.0]
    model.step()
    # -200 is absorbed by cutting essentials; -700 -> cut 280, savings 100, then 320 of arrears;
    # a surplus of 300 cuts nothing and saves a quarter of it.
    assert pop.savings.tolist() == pytest.approx([500.0, 0.0, 75.0])
    assert pop.arrears.tolist() == pytest.approx([0.0, 320.0, 0.0])
    assert pop.debt.tolist() == pytest.approx([0.0, 0.0, 0.0])


def test_job_losers_claim_unemployment_insurance_for_its_duration():
    takeup, rate, cap, months = 0.4, 0.5, 1_500.0, 3
    model = build_model(
        {
            "economy.p_job_loss_low_wage_per_month": 1.0,
            "economy.p_job_loss_family_wage_per_month": 1.0,
            "economy.p_job_find_per_month": 0.0,
            "economy.p_training_start_per_month": 0.0,
            "benefits.p_ui_takeup": takeup,
            "benefits.ui_replacement_rate": rate,
            "benefits.ui_max_usd": cap,
            "benefits.ui_max_months": months,
            "benefits.max_benefit_per_person_usd": 0.0,
            "benefits.cliff_benefit_per_child_usd": 0.0,
            "population.share_unemployed_start": 0.0,
        },
        ["economy", "benefits"],
        n=20_000,
        seed=21,
    )
    pop = model.population
    earnings_before = pop.earnings.copy()
    model.step()
    claiming = pop.benefits > 0
    assert_binomial(claiming, pop.n, takeup, what="UI take-up")
    expected = np.minimum(cap, rate * earnings_before)
    assert pop.benefits[claiming] == pytest.approx(expected[claiming])
    assert (pop.earnings == 0).all()
    paid = [claiming.sum()]
    for _ in range(months):
        model.step()
        paid.append(int((pop.benefits > 0).sum()))
    # Paid for exactly `months` months, then nothing.
    assert paid[:months] == [claiming.sum()] * months
    assert paid[months] == 0


def test_rent_at_lease_up_scales_with_income_by_the_elasticity():
    median, ref, elasticity = 1_200.0, 3_000.0, 0.5
    model = build_model(
        {
            "population.rent_median_usd": median,
            "population.rent_log_sd": 0.0,
            "population.rent_reference_income_usd": ref,
            "population.rent_income_elasticity": elasticity,
        },
        [],
        n=2_000,
        seed=5,
    )
    pop = model.population
    relative = np.maximum(pop.income, 0.25 * ref) / ref
    assert pop.rent == pytest.approx(median * relative**elasticity)
    assert pop.rent.std() > 0  # incomes differ, so rents do


# --- housing --------------------------------------------------------------------------------------


def test_filing_hazard_rises_with_arrears_up_to_the_cap_and_informal_moves_compete():
    p_file, cap, p_informal = 0.2, 2.0, 0.1
    model = build_model(
        {
            **HOUSING_OFF,
            "housing.p_filing_per_month_behind": p_file,
            "housing.filing_arrears_cap_months": cap,
            "housing.p_informal_move_per_month_behind": p_informal,
        },
        ["housing"],
        n=48_000,
        seed=10,
    )
    pop = model.population
    pop.housing[:] = BEHIND
    pop.rent[:] = 1_000.0
    months_owed = np.array([0.5, 1.0, 3.0])[np.arange(pop.n) % 3]
    pop.arrears[:] = 1_000.0 * months_owed
    pop.debt[:] = 0.0
    arrears = pop.arrears.copy()
    model.step()
    filed = pop.housing == FILED
    informal = pop.housing == DOUBLED_UP
    for m in (0.5, 1.0, 3.0):
        rows = months_owed == m
        p = p_file * min(m, cap)
        assert_binomial(filed[rows], rows.sum(), p, what=f"filing at {m} months owed")
        assert_binomial(informal[rows], rows.sum(), p_informal, what=f"informal at {m} months")
    assert model.events["filings"] == filed.sum() == pop.filings.sum()
    assert model.events["informal_moves"] == informal.sum()
    # Leaving the home turns the arrears into other debt; filed families keep theirs.
    assert (pop.arrears[informal] == 0).all()
    assert (pop.debt[informal] == arrears[informal]).all()
    assert (pop.arrears[filed] == arrears[filed]).all()


def test_falling_behind_and_catching_up_follow_the_arrears():
    model = build_model(HOUSING_OFF, ["housing"], n=40, seed=11)
    pop = model.population
    pop.housing[:] = np.array([STABLE, STABLE, BEHIND, BEHIND])[np.arange(40) % 4]
    pop.arrears[:] = np.array([100.0, 0.004, 0.0, 100.0])[np.arange(40) % 4]
    model.step()
    assert pop.housing.tolist() == [BEHIND, STABLE, STABLE, BEHIND] * 10


def test_eviction_cases_are_dismissed_when_paid_and_otherwise_decided():
    p_decided, p_evict = 0.5, 0.6
    model = build_model(
        {
            **HOUSING_OFF,
            "housing.p_case_decided_per_month": p_decided,
            "housing.p_eviction_given_judgment": p_evict,
        },
        ["housing"],
        n=30_000,
        seed=12,
    )
    pop = model.population
    pop.housing[:] = FILED
    pop.rent[:] = 1_000.0
    paid = np.arange(pop.n) % 10 == 0
    pop.arrears[:] = np.where(paid, 0.0, 1_500.0)
    pop.debt[:] = 0.0
    model.step()
    assert (pop.housing[paid] == STABLE).all()
    assert model.events["cases_dismissed"] == paid.sum()
    owing = ~paid
    evicted = owing & (pop.housing == DOUBLED_UP)
    agreement = owing & (pop.housing == BEHIND)
    decided = evicted | agreement
    assert (decided | (pop.housing == FILED))[owing].all()
    assert_binomial(decided[owing], owing.sum(), p_decided, what="cases decided")
    assert_binomial(evicted[decided], decided.sum(), p_evict, what="evictions of decided cases")
    assert model.events["evictions"] == evicted.sum() == pop.evictions.sum()
    assert (pop.debt[evicted] == 1_500.0).all() and (pop.arrears[evicted] == 0).all()
    assert (pop.arrears[agreement] == 1_500.0).all()


def test_shelter_exits_split_one_uniform_between_voucher_rehousing_and_self_exits():
    p_v, p_rrh, p_self, mult, to_du = 0.05, 0.1, 0.4, 0.25, 0.3
    model = build_model(
        {
            **HOUSING_OFF,
            "housing.p_voucher_per_month": p_v,
            "housing.p_rapid_rehousing_per_month": p_rrh,
            "housing.p_shelter_exit_per_month": p_self,
            "housing.high_barrier_exit_multiplier": mult,
            "housing.share_shelter_exits_to_doubled_up": to_du,
            "housing.rent_market_multiplier": 1.2,
            "population.rent_median_usd": 1_000.0,
            "population.rent_log_sd": 0.0,
            "population.rent_income_elasticity": 0.0,
        },
        ["housing"],
        n=80_000,
        seed=13,
    )
    pop = model.population
    pop.housing[:] = SHELTER
    pop.arrears[:] = 0.0
    pop.high_barrier[:] = np.arange(pop.n) % 2 == 0
    model.step()
    h = pop.housing
    for barrier, p_s in ((False, p_self), (True, p_self * mult)):
        rows = pop.high_barrier == barrier
        # Each exit is an interval of the same uniform: its probability is the parameter itself.
        assert_binomial((h == SUBSIDIZED)[rows], rows.sum(), p_v, what="voucher")
        assert_binomial((h == REHOUSED)[rows], rows.sum(), p_rrh, what="rapid re-housing")
        self_exit = rows & ((h == STABLE) | (h == DOUBLED_UP))
        assert_binomial(self_exit[rows], rows.sum(), p_s, what=f"self-exit, barrier={barrier}")
    self_exit = (h == STABLE) | (h == DOUBLED_UP)
    assert_binomial(
        (h == DOUBLED_UP)[self_exit], self_exit.sum(), to_du, what="exits to doubling up"
    )
    # New leases are let at the market rent (no spread here).
    leased = (h == STABLE) | (h == REHOUSED) | (h == SUBSIDIZED)
    assert (pop.rent[leased] == 1.2 * 1_000.0).all()
    assert (pop.last_housing_exit_month[leased] == 0).all()
    assert (pop.last_housing_exit_month[~leased] == -1).all()


def test_doubled_up_exits_scale_with_employment_and_landlord_acceptance():
    p_exit = 0.5
    model = build_model(
        {
            **HOUSING_OFF,
            "housing.p_doubled_up_exit_per_month": p_exit,
            "population.groups": two_groups(landlord_multiplier=(1.0, 0.5)),
        },
        ["housing"],
        n=64_000,
        seed=14,
    )
    pop = model.population
    pop.housing[:] = DOUBLED_UP
    pop.arrears[:] = 0.0
    employed = np.arange(pop.n) % 2 == 0
    pop.emp[:] = np.where(employed, LOW_WAGE, UNEMPLOYED)
    expected = p_exit * np.where(employed, 1.0, 0.4) * np.array([1.0, 0.5])[pop.group]
    model.step()
    exited = pop.housing == STABLE
    for e in (True, False):
        for g in (0, 1):
            rows = (employed == e) & (pop.group == g)
            assert_bernoulli_sum(exited[rows], expected[rows], what=f"DU exit emp={e} group={g}")


@pytest.mark.parametrize("months", [1, 4])
def test_rapid_rehousing_subsidy_ends_after_exactly_its_duration(months):
    model = build_model(
        {
            **HOUSING_OFF,
            "housing.p_rapid_rehousing_per_month": 1.0,
            "housing.rrh_subsidy_months": months,
            "housing.rrh_subsidy_share": 0.6,
        },
        ["housing"],
        n=50,
        seed=15,
    )
    pop = model.population
    pop.housing[:] = SHELTER
    pop.arrears[:] = 0.0
    history = []
    for _ in range(months + 3):
        model.step()
        history.append(pop.housing.copy())
        if (pop.housing == REHOUSED).all():
            assert (pop.subsidy_share == 0.6).all()
    history = np.array(history)
    # Placed in the first month, re-housed at the end of `months` months, stable afterwards.
    assert (history[:months] == REHOUSED).all()
    assert (history[months:] == STABLE).all()
    assert (pop.subsidy_left == 0).all() and (pop.subsidy_share == 0).all()


def test_vouchers_end_at_the_voucher_exit_hazard():
    p_exit = 0.1
    model = build_model(
        {**HOUSING_OFF, "housing.p_voucher_exit_per_month": p_exit}, ["housing"], n=30_000, seed=16
    )
    pop = model.population
    pop.housing[:] = SUBSIDIZED
    owes = np.arange(pop.n) % 4 == 0
    pop.arrears[:] = np.where(owes, 50.0, 0.0)
    model.step()
    ended = pop.housing != SUBSIDIZED
    assert_binomial(ended, pop.n, p_exit, what="voucher exits")
    # Leaving the voucher with arrears means being behind on the (now full) rent.
    assert (pop.housing[ended & owes] == BEHIND).all()
    assert (pop.housing[ended & ~owes] == STABLE).all()


# --- help seeking ---------------------------------------------------------------------------------


def test_help_seeking_rate_is_the_state_rate_times_engagement():
    p_by_state = {BEHIND: 0.3, FILED: 0.5, DOUBLED_UP: 0.4, STABLE: 0.0}
    loss, recovery, admission = 0.2, 0.05, 0.7
    model = build_model(
        {
            "help_seeking.p_seek_help_behind_per_month": p_by_state[BEHIND],
            "help_seeking.p_seek_help_filed_per_month": p_by_state[FILED],
            "help_seeking.p_seek_help_doubled_up_per_month": p_by_state[DOUBLED_UP],
            "help_seeking.engagement_loss_per_intake": loss,
            "help_seeking.engagement_recovery_per_month": recovery,
            "help_seeking.p_shelter_admission": admission,
        },
        ["help_seeking"],
        n=120_000,
        seed=17,
    )
    pop = model.population
    rows = np.arange(pop.n)
    pop.housing[:] = np.array(list(p_by_state))[rows % 4]
    engagement = np.where((rows // 4) % 2 == 0, 1.0, 0.5)
    pop.engagement[:] = engagement
    h = pop.housing.copy()
    model.step()
    seek = pop.sought_help
    for state, p in p_by_state.items():
        for e in (1.0, 0.5):
            group = (h == state) & (engagement == e)
            if p == 0:
                assert not seek[group].any()
            else:
                assert_binomial(seek[group], group.sum(), p * e, what=f"seek {state} eng {e}")
    # Each intake costs a fixed share of engagement; without one it recovers toward 1.
    assert np.allclose(pop.engagement[seek], engagement[seek] * (1 - loss))
    assert np.allclose(
        pop.engagement[~seek], engagement[~seek] + recovery * (1 - engagement[~seek])
    )
    assert (pop.intakes == seek).all() and (pop.front_door_contacts == seek).all()
    # Doubled-up families who ask are admitted to shelter with the admission probability.
    asked = seek & (h == DOUBLED_UP)
    entered = pop.housing == SHELTER
    assert not entered[~asked].any()
    assert_binomial(entered[asked], asked.sum(), admission, what="shelter admission")
    assert model.events["shelter_entries_first_time"] == entered.sum()
    assert (pop.episodes == entered).all() and pop.ever_sheltered[entered].all()


def test_engagement_falls_by_the_loss_share_with_every_intake():
    loss = 0.25
    model = build_model(
        {
            "help_seeking.p_seek_help_filed_per_month": 1.0,
            "help_seeking.engagement_loss_per_intake": loss,
            "help_seeking.engagement_recovery_per_month": 0.0,
        },
        ["help_seeking"],
        n=10,
        seed=18,
    )
    pop = model.population
    pop.housing[:] = FILED
    # Seeking is certain only at full engagement; engagement then falls, so the chance falls too.
    model.step()
    assert (pop.intakes == 1).all()
    assert np.allclose(pop.engagement, 1 - loss)
    for _ in range(5):
        model.step()
    assert np.allclose(pop.engagement, (1 - loss) ** pop.intakes)


# --- turnover -------------------------------------------------------------------------------------


def test_turnover_replaces_families_at_the_move_out_rate():
    p_move = 0.05
    model = build_model({"turnover.p_move_out_per_month": p_move}, ["turnover"], n=20_000, seed=19)
    pop = model.population
    trials = moved = 0
    for _ in range(3):
        fid = pop.fid.copy()
        pop.engagement[:] = 0.5  # newcomers must start afresh (full engagement)
        model.step()
        new = pop.fid != fid
        trials += pop.n
        moved += int(new.sum())
        assert model.events["moves_out"] == new.sum()
        assert (pop.engagement[new] == 1.0).all() and (pop.engagement[~new] == 0.5).all()
        assert np.unique(pop.fid).size == pop.n
    assert_binomial(moved, trials, p_move, what="move-out rate")
    assert len(model.population.records()["fid"]) == pop.n + moved


def test_k_sigma_is_the_documented_four():
    # The tolerance the module docstring promises (a change here must be a deliberate one).
    assert K_SIGMA == 4.0


# --- benefit take-up ---------------------------------------------------------------------------------


def test_benefit_take_up_starts_and_stops_at_their_rates_and_only_claimants_get_benefits():
    start_share, p_start, p_stop = 0.5, 0.1, 0.05
    model = build_model(
        {
            **ECONOMY_OFF,
            "benefits.take_up_start": start_share,
            "benefits.p_start_claiming_per_month": p_start,
            "benefits.p_stop_claiming_per_month": p_stop,
            "benefits.p_ui_takeup": 0.0,
        },
        ["benefits"],
        n=20_000,
        seed=23,
    )
    pop = model.population
    assert_binomial(pop.claims_benefits, pop.n, start_share, what="claiming at start-up")
    started = stopped = trials_start = trials_stop = 0
    for _ in range(3):
        before = pop.claims_benefits.copy()
        model.step()
        started += int((~before & pop.claims_benefits).sum())
        stopped += int((before & ~pop.claims_benefits).sum())
        trials_start += int((~before).sum())
        trials_stop += int(before.sum())
        due = model.benefit_schedule.amount(pop.earnings, pop.size, pop.children)
        assert pop.benefits == pytest.approx(np.where(pop.claims_benefits, due, 0.0))
        assert model.events["benefit_claims_started"] == (~before & pop.claims_benefits).sum()
    assert_binomial(started, trials_start, p_start, what="start claiming")
    assert_binomial(stopped, trials_stop, p_stop, what="stop claiming")


def test_families_not_claiming_benefits_face_no_cliff():
    """A raise across the cliff threshold is turned down only by claimants (decline probability 1)."""
    model = build_model(
        {
            **ECONOMY_OFF,
            "economy.p_promotion_per_month": 1.0,
            "economy.family_wage_earnings_usd": 4_600.0,  # a raise of ~300 loses 900 of cliff benefit
            "economy.earnings_log_sd": 0.0,
            "population.groups": ONE_GROUP,
            "benefits.p_decline_raise_if_net_loss": 1.0,
            "benefits.take_up_start": 0.5,
            "benefits.p_start_claiming_per_month": 0.0,
            "benefits.p_stop_claiming_per_month": 0.0,
        },
        ["economy", "benefits"],
        n=4_000,
        seed=29,
    )
    pop = model.population
    pop.emp[:] = LOW_WAGE
    pop.skill[:] = 1.0
    pop.children[:] = 2
    pop.adults[:] = 1
    fpl = model.benefit_schedule.poverty_line(pop.size)
    # Just under the cliff: any family-wage job offer crosses it and loses the whole cliff benefit.
    pop.earnings[:] = model.params.benefits.cliff_threshold_fpl * fpl - 1.0
    claims = pop.claims_benefits.copy()
    model.step()
    moved_up = pop.emp == FAMILY_WAGE
    assert not moved_up[claims].any(), "claimants crossing the cliff must turn the raise down"
    assert moved_up[~claims].all()
