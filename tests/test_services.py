"""Tests of the service system: budget, rationing rules, intake and referral, waitlists, coaching,
lease-up, bridging, burnout, relationships and the per-family service records.

Mechanism tests run only the process under test on hand-made caseloads (family columns set
directly) and compare what happened with what the parameters say: exactly where the process is
deterministic, else within ``K_SIGMA`` standard errors *and* outside them for a rate wrong by
``WRONG_FACTOR`` (``helpers_stats``), so every check can fail. The service parameters are not
calibrated yet, so every parameter an assertion depends on is set here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers_services import (
    ECONOMY_OFF,
    HOUSING_OFF,
    ONE_GROUP,
    Probe,
    coach_at_provider,
    service_model,
    skip_to,
    two_groups,
)
from helpers_stats import assert_bernoulli_sum, assert_binomial, build_model
from sysmodel import Params, SystemModel
from sysmodel.params import SERVICE_SCHEDULE
from sysmodel.policies import RATIONING_RULES
from sysmodel.policies.rationing import Predictions, vulnerability_score
from sysmodel.policies.risk import true_risk
from sysmodel.population import (
    BEHIND,
    DOUBLED_UP,
    FILED,
    NEVER,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
    UNEMPLOYED,
)
from sysmodel.processes.rationing import Rationing
from sysmodel.services import budget_split
from sysmodel.targeting import calibrated_score

# Intake with only the referral under test: no walk-ins and no referrals to financial coaching.
INTAKE_QUIET = {"services.p_seek_coaching_per_month": 0.0, "services.p_refer_financial": 0.0}


def aligned(alignment: float) -> dict:
    """Overrides for the aligned model with a degree of alignment."""
    return {"services.model": "aligned", "services.alignment": alignment}


# --- the budget ------------------------------------------------------------------------------------


@st.composite
def budget_scenarios(draw) -> dict:
    """Small random scenarios of the full service month with varied budgets, rules and subsidies."""
    model = draw(st.sampled_from(["siloed", "aligned"]))
    return {
        "population.n_families": draw(st.integers(80, 400)),
        "time.burn_in_months": draw(st.integers(0, 4)),
        "time.months": draw(st.integers(3, 15)),
        "schedule.processes": SERVICE_SCHEDULE,
        "services.model": model,
        "services.alignment": draw(st.floats(0, 1)),
        "assistance.annual_budget_usd": draw(
            st.one_of(st.just(0.0), st.floats(1_000, 300_000), st.floats(300_000, 3e6))
        ),
        "assistance.share_prevention": draw(st.floats(0, 1)),
        "assistance.share_staff": draw(st.one_of(st.just(0.0), st.floats(0, 1))),
        "assistance.staff_role": draw(st.sampled_from(["coordinator", "coach", "financial"])),
        "assistance.rationing": draw(st.sampled_from(RATIONING_RULES.names())),
        # A small pilot, and a target below any ceiling these dynamics may have (risk-based rules).
        "targeting.target_auc": 0.5,
        "targeting.calibration_families": 2_000,
        "assistance.prevention_max_months_rent": draw(st.floats(0, 6)),
        "assistance.rehousing_subsidy_share": draw(st.floats(0, 1)),
        "assistance.rehousing_months": draw(st.integers(1, 24)),
        "assistance.deposit_months_rent": draw(st.floats(0, 3)),
        "assistance.p_lease_up_per_month": draw(st.floats(0, 1)),
        "assistance.coordinator_landlord_boost": draw(st.floats(0, 3)),
        "assistance.award_expiry_months": draw(st.integers(1, 6)),
        "economy.training_months": draw(st.integers(1, 24)),
        "economy.p_training_start_per_month": draw(st.floats(0, 0.2)),
        "help_seeking.p_seek_help_behind_per_month": draw(st.floats(0.05, 0.6)),
        "help_seeking.p_seek_help_doubled_up_per_month": draw(st.floats(0.05, 0.6)),
        "turnover.p_move_out_per_month": draw(st.floats(0, 0.1)),
        "agencies.rent_assistance_coordinators": draw(st.integers(1, 6)),
        "agencies.caseload_cap": draw(st.integers(1, 40)),
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=budget_scenarios(), seed=st.integers(0, 2**31 - 1))
def test_hub_funds_never_go_negative_and_money_is_conserved(overrides, seed):
    params = Params().with_overrides(overrides)
    model = SystemModel(params, rng=seed)
    ap = params.assistance
    allotted = {"prevention": 0.0, "rehousing": 0.0}
    spent = {"prevention": 0.0, "rehousing": 0.0}
    hired, prevention, rehousing = budget_split(ap, params.costs.staff_usd)
    assert hired * 12 * params.costs.staff_usd + prevention + rehousing == pytest.approx(
        ap.annual_budget_usd
    )
    monthly = {"prevention": prevention / 12.0, "rehousing": rehousing / 12.0}
    for _ in range(model.total_months):
        model.step()
        for pot in allotted:
            allotted[pot] += monthly[pot]
            spent[pot] += model.ledger.get(f"{pot}_usd", 0.0)
            left = model.services.funds[pot]
            assert left >= -1e-6, f"{pot} funds overspent: {left}"
            # Cumulative allotments = spent (ledger) + funds left.
            assert allotted[pot] == pytest.approx(spent[pot] + left, rel=1e-9, abs=1e-6), pot


@given(
    budget=st.floats(0, 5e6),
    share_staff=st.floats(0, 1),
    share_prevention=st.floats(0, 1),
    staff_usd=st.floats(100, 20_000),
)
def test_budget_split_hires_whole_staff_within_the_staff_share_and_keeps_the_rest_as_cash(
    budget, share_staff, share_prevention, staff_usd
):
    ap = Params().assistance.model_copy(
        update={
            "annual_budget_usd": budget,
            "share_staff": share_staff,
            "share_prevention": share_prevention,
        }
    )
    hired, prevention, rehousing = budget_split(ap, staff_usd)
    year = 12 * staff_usd
    assert hired * year <= budget * share_staff * (1 + 1e-9)
    assert budget * share_staff - hired * year < year * (
        1 + 1e-9
    )  # no whole staff member left unbought
    assert hired * year + prevention + rehousing == pytest.approx(budget, abs=1e-6)
    assert prevention == pytest.approx((budget - hired * year) * share_prevention, abs=1e-6)


@pytest.mark.parametrize("role", ["coordinator", "coach", "financial"])
def test_staff_share_of_the_budget_hires_staff_of_its_role_and_books_their_cost(role):
    staff_usd = 5_000.0
    overrides = {
        "assistance.annual_budget_usd": 600_000.0,
        "assistance.share_staff": 0.25,  # 150,000 a year = 2.5 staff-years: two hired
        "assistance.staff_role": role,
        "costs.staff_usd": staff_usd,
    }
    base = service_model({"costs.staff_usd": staff_usd}, list(SERVICE_SCHEDULE), n=200, seed=3)
    model = service_model(overrides, list(SERVICE_SCHEDULE), n=200, seed=3)
    counts = {r: len(m) for r, m in model.services.staff.items()}
    expected = {r: len(m) + (2 if r == role else 0) for r, m in base.services.staff.items()}
    assert counts == expected
    if role == "coach":  # spread over the providers
        providers = np.bincount(model.services.coach_provider)
        assert providers.max() - providers.min() <= 1
    model.step()
    assert model.ledger["staff_usd"] == pytest.approx(sum(counts.values()) * staff_usd)
    # The cash left: 600,000 - 2 x 60,000, split 40/60 between prevention and re-housing, per month.
    assert model.services.funds["prevention"] + model.ledger.get(
        "prevention_usd", 0.0
    ) == pytest.approx(480_000 * 0.4 / 12)


# --- rationing rules -------------------------------------------------------------------------------

N_APPLICANTS = 12


def rationing_setup(rule: str, seed: int) -> tuple[SystemModel, np.ndarray, np.ndarray, np.ndarray]:
    """A model with hand-made prevention applicants: rows, application months and award costs."""
    model = service_model(
        {
            "assistance.rationing": rule,
            "population.groups": two_groups(hiring_multiplier=(1.0, 0.5)),
            # Without burn-in few families are doubled up: the ceiling is about 0.70 (not 0.86).
            "targeting.target_auc": 0.65,
        },
        ["rationing"],
        n=40,
        seed=seed,
    )
    pop = model.population
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(pop.n, N_APPLICANTS, replace=False))
    pop.housing[rows] = rng.choice([BEHIND, FILED, SHELTER, DOUBLED_UP], N_APPLICANTS)
    pop.children[rows] = rng.integers(0, 5, N_APPLICANTS)
    pop.emp[rows] = rng.choice([UNEMPLOYED, 1, 2], N_APPLICANTS)
    pop.high_barrier[rows] = rng.random(N_APPLICANTS) < 0.3
    pop.months_homeless[rows] = rng.integers(0, 20, N_APPLICANTS)
    pop.rent[rows] = rng.uniform(800, 1_600, N_APPLICANTS)
    pop.arrears[rows] = rng.uniform(0.1, 5.0, N_APPLICANTS) * pop.rent[rows]
    pop.savings[rows] = rng.choice([0.0, 50.0, 500.0, 2_000.0], N_APPLICANTS)
    pop.ever_sheltered[rows] = rng.random(N_APPLICANTS) < 0.4
    pop.group[rows] = rng.integers(0, 2, N_APPLICANTS)
    applied = rng.permutation(N_APPLICANTS).astype(np.int64)  # distinct application months
    cost = rng.uniform(100.0, 1_000.0, N_APPLICANTS)
    return model, rows, applied, cost


def reference_predictions(model: SystemModel, rows, cost, draw: str) -> Predictions:
    """The hub's predictions for prevention applicants, rebuilt from the definitions (docs/ODD.md 7.9)."""
    pop, score = model.population, calibrated_score(model.params)
    streams = model.streams
    z_now = streams.normal("rationing", model.month, f"{draw}_risk_noise")[rows]
    z_other = streams.normal("rationing", model.month, f"{draw}_benefit_noise")[rows]
    rho = model.params.targeting.benefit_noise_correlation
    z_helped = rho * z_now + np.sqrt(1 - rho**2) * z_other
    # Prevention pays the award; cleared arrears end a filing (and being behind).
    arrears = np.maximum(pop.arrears[rows] - cost, 0.0)
    cleared = arrears <= 0.005
    months_before = np.minimum(pop.arrears[rows] / pop.rent[rows], 6.0)
    months_after = np.minimum(np.where(cleared, 0.0, arrears) / pop.rent[rows], 6.0)
    filed = pop.housing[rows] == FILED
    helped = true_risk(pop, rows) - (months_before - months_after) - 2.0 * (filed & cleared)
    risk = score.probability(score.score(true_risk(pop, rows), z_now))
    return Predictions(risk, risk - score.probability(score.score(helped, z_helped)))


def reference_priority(rule: str, model: SystemModel, rows, applied, u, cost) -> np.ndarray:
    """What each rule claims to rank by (higher first)."""
    pop = model.population
    if rule == "first_come_first_served":
        return -applied.astype(float)
    if rule == "most_vulnerable_first":
        return vulnerability_score(pop, rows)
    if rule == "highest_risk_first":
        return reference_predictions(model, rows, cost, "order_prevention").risk
    if rule == "cost_effectiveness":
        return reference_predictions(model, rows, cost, "order_prevention").risk / cost
    if rule == "largest_predicted_benefit":
        return reference_predictions(model, rows, cost, "order_prevention").benefit
    if rule == "eviction_filed_first":
        # Filed first; within each tier the earliest application (applied months are < 10^6 apart).
        return 1e6 * (pop.housing[rows] == FILED) - applied
    if rule == "equity_weighted":
        weight = np.array([1.0, 2.0])  # 1 / hiring multiplier of the two groups
        return vulnerability_score(pop, rows) * weight[pop.group[rows]]
    if rule == "lottery":
        return u
    raise AssertionError(f"no reference ordering for the new rule {rule!r}: add one here")


@pytest.mark.parametrize("rule", RATIONING_RULES.names())
def test_rationing_rule_funds_a_prefix_of_its_order_and_stops_at_the_first_misfit(rule):
    model, rows, applied, cost = rationing_setup(rule, seed=11)
    process = model.processes[0]
    u = model.streams.uniform("rationing", model.month, "order_prevention")[rows]
    prio = reference_priority(rule, model, rows, applied, u, cost)
    order = np.lexsort((u, -prio))  # ties (equal scores) broken by the rule's uniform draw
    # Funds for the first k applicants and a rest that the (k+1)-th does not fit into but a cheaper
    # later applicant would: strict priority must not skip ahead to fund it.
    ordered_cost = cost[order]
    k = next(i for i in range(2, N_APPLICANTS - 1) if ordered_cost[i + 1 :].min() < ordered_cost[i])
    rest = 0.5 * (ordered_cost[k] + ordered_cost[k + 1 :].min())
    budget = ordered_cost[:k].sum() + rest
    model.services.funds["prevention"] = budget
    funded = process.fund("prevention", rows, applied, cost, "order_prevention")
    assert list(funded) == list(rows[order[:k]])
    assert model.services.funds["prevention"] == pytest.approx(rest)
    assert model.ledger["prevention_usd"] == pytest.approx(budget - rest)


def test_lottery_order_is_a_permutation_that_changes_with_the_draw():
    model, rows, applied, cost = rationing_setup("lottery", seed=12)
    rule = model.processes[0].rule
    orders = [
        rule.order(
            model.population, rows, applied, np.random.default_rng(s).random(rows.size), cost
        )
        for s in range(5)
    ]
    for order in orders:
        assert sorted(order) == list(rows)
    assert len({tuple(o) for o in orders}) == len(orders)


def retarget(model: SystemModel, **targeting) -> Rationing:
    """The model's rationing process, set up again with ``targeting.*`` overrides."""
    process = model.processes[0]
    model.params = process.params = model.params.with_overrides(
        {f"targeting.{key}": value for key, value in targeting.items()}
    )
    process.setup()
    return process


def test_eviction_filed_first_funds_filed_families_first_then_by_application_month():
    model, rows, _, cost = rationing_setup("eviction_filed_first", seed=15)
    pop = model.population
    pop.housing[rows] = [FILED, BEHIND, FILED, BEHIND, FILED, BEHIND] * 2
    applied = np.array([5, 1, 3, 0, 3, 2, 9, 4, 0, 6, 7, 8])
    u = np.linspace(0.9, 0.0, rows.size)  # ties (rows 2 and 4, both filed, month 3) by the draw
    order = model.processes[0].rule.order(pop, rows, applied, u, cost)
    # Filed: rows 0, 2, 4, 6, 8, 10 applied 5, 3, 3, 9, 0, 7; behind: 1, 3, 5, 7, 9, 11 applied
    # 1, 0, 2, 4, 6, 8.
    assert list(order) == list(rows[[8, 4, 2, 0, 10, 6, 3, 1, 5, 7, 9, 11]])


def test_largest_predicted_benefit_and_highest_risk_first_can_disagree():
    """Kube, Das & Fowler (JAMIA 2023): risk and benefit diverge. With exact predictions (target at
    the ceiling, errors that cancel), a family at high risk that prevention cannot change (no arrears
    to pay, many other risks) comes first by risk and last by benefit; a family whose risk is its
    arrears and filing comes first by benefit."""
    model, rows, applied, _ = rationing_setup("largest_predicted_benefit", seed=16)
    best = calibrated_score(model.params).best_auc
    process = retarget(
        model, target_auc=math.floor(best * 1000) / 1000, benefit_noise_correlation=1.0
    )
    pop = model.population
    pop.rent[rows] = 1_000.0
    pop.savings[rows] = 1_000.0
    pop.emp[rows] = 2
    pop.high_barrier[rows] = False
    pop.ever_sheltered[rows] = False
    pop.arrears[rows] = 500.0
    pop.housing[rows] = BEHIND
    stuck, arrears_only = rows[0], rows[1]
    # Stuck: behind by a little, out of work, no savings, sheltered before, high barrier.
    pop.arrears[stuck], pop.emp[stuck], pop.savings[stuck] = 10.0, UNEMPLOYED, 0.0
    pop.ever_sheltered[stuck] = pop.high_barrier[stuck] = True
    # Arrears only: filed on, three months behind, otherwise secure.
    pop.arrears[arrears_only], pop.housing[arrears_only] = 3_000.0, FILED
    cost = np.minimum(pop.arrears[rows], 3_000.0)
    predicted = process.predict("prevention", rows, cost, "order_prevention")
    assert predicted.risk.argmax() == 0, "the stuck family is at the highest risk"
    assert predicted.benefit.argmax() == 1, "clearing the filed family's arrears helps most"
    assert predicted.benefit[0] < np.median(predicted.benefit)
    u = np.zeros(rows.size)
    by_benefit = process.rule.order(pop, rows, applied, u, cost, predicted)
    by_risk = RATIONING_RULES.get("highest_risk_first")().order(
        pop, rows, applied, u, cost, predicted
    )
    assert by_benefit[0] == arrears_only and by_risk[0] == stuck


def test_predicted_benefit_of_rehousing_is_largest_for_families_doubled_up():
    """Re-housing's help (a lease) removes the doubled-up term of the true risk: with exact
    predictions, doubled-up families gain more than families already in shelter."""
    model, rows, _, _ = rationing_setup("largest_predicted_benefit", seed=17)
    process = retarget(model, benefit_noise_correlation=1.0)
    pop = model.population
    pop.housing[rows] = [DOUBLED_UP, SHELTER] * (rows.size // 2)
    pop.arrears[rows] = 0.0
    cost = np.full(rows.size, 5_000.0)
    benefit = process.predict("rehousing", rows, cost, "order_rehousing").benefit
    doubled = pop.housing[rows] == DOUBLED_UP
    assert benefit[doubled].mean() > benefit[~doubled].mean() > -0.01


def test_risk_rules_use_the_accuracy_lever():
    """highest_risk_first ranks by the calibrated score: a different target gives another order."""
    orders = []
    for target in (0.55, 0.69):  # the ceiling without burn-in is 0.695
        model, rows, applied, cost = rationing_setup("highest_risk_first", seed=18)
        process = retarget(model, target_auc=target)
        assert process.score.target_auc == target
        predicted = process.predict("prevention", rows, cost, "order_prevention")
        orders.append(
            tuple(
                process.rule.order(
                    model.population, rows, applied, np.zeros(rows.size), cost, predicted
                )
            )
        )
    assert orders[0] != orders[1]


def test_a_prediction_rule_without_predictions_says_so():
    model, rows, applied, cost = rationing_setup("highest_risk_first", seed=19)
    with pytest.raises(ValueError, match="ranks by predictions"):
        model.processes[0].rule.order(model.population, rows, applied, np.zeros(rows.size), cost)


def test_first_come_first_served_rations_by_application_month_in_the_monthly_step():
    """The whole rationing step: earlier applicants are funded; later ones wait for next month."""
    rent = 1_000.0
    model = service_model(
        {
            "assistance.rationing": "first_come_first_served",
            "assistance.annual_budget_usd": 12 * 3 * rent,  # 3 months of rent a month...
            "assistance.share_prevention": 1.0,
            "assistance.prevention_max_months_rent": 1.0,  # ...= three awards of one month's rent
        },
        ["rationing"],
        n=10,
        seed=13,
    )
    pop = model.population
    pop.housing[:] = BEHIND
    pop.rent[:] = rent
    pop.arrears[:] = 2 * rent
    pop.coordinator[:] = 0
    skip_to(model, 5)
    pop.prevention_app_month[:5] = [4, 1, 3, 0, 2]  # open applications; rows 5-9 apply now
    model.step()
    assert sorted(np.flatnonzero(pop.served_prevention_month == 5)) == [1, 3, 4]
    assert (pop.prevention_usd[[1, 3, 4]] == rent).all()
    assert (pop.prevention_app_month[5:] == 5).all()
    assert (pop.applied_prevention_month[5:] == 5).all()  # the record of a first application


def test_first_come_first_served_ranks_a_repeat_applicant_by_its_current_application():
    rent = 1_000.0
    model = service_model(
        {
            "assistance.rationing": "first_come_first_served",
            "assistance.annual_budget_usd": 12 * rent,  # one award a month
            "assistance.share_prevention": 1.0,
            "assistance.prevention_max_months_rent": 1.0,
        },
        ["rationing"],
        n=2,
        seed=14,
    )
    pop = model.population
    pop.housing[:] = BEHIND
    pop.rent[:] = rent
    pop.arrears[:] = rent
    pop.coordinator[:] = 0
    skip_to(model, 20)
    # Row 0 applied in month 0, was served then, and applies again now; row 1 has waited since 10.
    pop.applied_prevention_month[:] = [0, 10]
    pop.served_prevention_month[:] = [0, NEVER]
    pop.last_prevention_month[:] = [0, NEVER]
    pop.prevention_app_month[:] = [NEVER, 10]
    model.step()
    assert pop.served_prevention_month[1] == 20


def test_prevention_once_a_year_limit_holds_across_the_end_of_burn_in():
    rent = 1_000.0
    model = service_model(
        {
            "time.burn_in_months": 2,
            "assistance.annual_budget_usd": 12 * 10 * rent,
            "assistance.share_prevention": 1.0,
            "assistance.prevention_max_months_rent": 1.0,
        },
        ["rationing"],
        n=5,
        seed=15,
    )
    pop = model.population
    pop.coordinator[:] = 0
    pop.rent[:] = rent
    served = []
    for _ in range(3):  # months -2, -1 and 0: behind again every month
        pop.housing[:] = BEHIND
        pop.arrears[:] = rent
        model.step()
        served.append(int((pop.served_prevention_month == model.month - 1).sum()))
    assert served == [5, 0, 0]


# --- intake and referral ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_overrides", "expected_intakes"),
    [({"services.model": "siloed"}, 2), (aligned(1.0), 1)],
    ids=["siloed", "aligned"],
)
def test_aligned_shared_customer_is_assessed_once_siloed_once_per_agency(
    model_overrides, expected_intakes
):
    """A family referred by the front door to the hub, and by the hub on to coaching."""
    n = 40
    model = build_model(
        {
            **INTAKE_QUIET,
            **model_overrides,
            "services.referral_success_siloed": 1.0,
            "services.referral_success_aligned": 1.0,
            "services.relationship_effect": 0.0,
            "services.referral_delay_siloed_months": 2,
            "services.p_accept_offer": 1.0,
            "services.max_wait_months": 6,
            "services.coordination_share": 0.0,
            "help_seeking.engagement_loss_per_intake": 0.0,  # every offer is taken up
            "agencies.caseload_cap": 50,
        },
        ["intake"],
        n=n,
        seed=21,
    )
    pop = model.population
    pop.sought_help[:] = True
    pop.emp[:] = UNEMPLOYED
    pop.engagement[:] = 1.0
    for _ in range(6):  # siloed: two months to the hub, two more to the employment provider
        model.step()
    assert (pop.coordinator >= 0).all() and (pop.coach >= 0).all()
    assert (pop.intakes == expected_intakes).all()


def test_referrals_arrive_and_families_are_assigned_during_burn_in():
    model = build_model(
        {**INTAKE_QUIET, **aligned(1.0), "time.burn_in_months": 6, "services.p_accept_offer": 1.0},
        ["intake"],
        n=20,
        seed=24,
    )
    pop = model.population
    pop.sought_help[:] = True
    pop.engagement[:] = 1.0
    model.step()  # month -6: warm hand-offs arrive at once
    assert model.events.get("intakes", 0) > 0
    assert (pop.coordinator >= 0).any()


@pytest.mark.parametrize(
    ("overrides", "degree"),
    [({"services.model": "siloed"}, 0.0), (aligned(0.5), 0.5), (aligned(1.0), 1.0)],
    ids=["siloed", "aligned-0.5", "aligned-1"],
)
def test_referral_success_share_matches_service_model(overrides, degree):
    success_siloed, success_aligned, effect, strength = 0.4, 0.9, 0.5, 0.3
    model = build_model(
        {
            **INTAKE_QUIET,
            **overrides,
            "services.referral_success_siloed": success_siloed,
            "services.referral_success_aligned": success_aligned,
            "services.relationship_effect": effect,
            "agencies.base_relationship_strength": strength,
            "agencies.rent_assistance_coordinators": 0,  # nobody is taken off the waitlist
        },
        ["intake"],
        n=20_000,
        seed=22,
    )
    pop = model.population
    pop.sought_help[:] = True
    expected = (success_siloed + degree * (success_aligned - success_siloed)) * (
        1 - effect * (1 - strength)
    )
    sm = model.service_model
    assert sm.referral_success(model.services.strength("front_door", "housing_hub")) == (
        pytest.approx(expected)
    )
    model.step()
    completed = (pop.ref_coord >= 0) | (pop.wait_coord >= 0)
    assert model.events["referrals_made"] == pop.n
    assert model.events["referrals_completed"] == completed.sum()
    assert_binomial(completed.sum(), pop.n, expected, what="referral success")


@pytest.mark.parametrize(
    ("overrides", "delay"),
    [({"services.model": "siloed"}, 3), (aligned(1.0), 0), (aligned(1 / 3), 2)],
    ids=["siloed", "aligned-1", "aligned-1/3"],
)
def test_referral_arrives_after_the_service_models_delay(overrides, delay):
    model = build_model(
        {
            **INTAKE_QUIET,
            **overrides,
            "services.referral_delay_siloed_months": 3,
            "services.max_wait_months": 12,
            "agencies.rent_assistance_coordinators": 0,
        },
        ["intake"],
        n=2_000,
        seed=23,
    )
    pop = model.population
    pop.sought_help[:] = True
    model.step()  # month 0: referrals made
    cohort = (pop.ref_coord >= 0) | (pop.wait_coord >= 0)
    assert cohort.sum() > 100
    intakes_before = pop.intakes.copy()
    for month in range(delay + 1):
        if month > 0:
            model.step()
        arrived = cohort & (pop.wait_coord >= 0)
        assert arrived.any() == (month == delay), f"month {month}"
    assert (pop.wait_coord[cohort] == delay).all()
    assert (pop.ref_coord[cohort] == NEVER).all()
    assert ((pop.intakes - intakes_before)[cohort] == (1 if delay > 0 else 0)).all()
    assert (pop.intakes[cohort] == 1).all()


# --- waitlists and staff assignment -----------------------------------------------------------------


def test_take_up_share_matches_acceptance_times_engagement():
    p_accept = 0.7
    model = build_model(
        {
            **INTAKE_QUIET,
            "services.p_accept_offer": p_accept,
            "agencies.career_coaches_per_provider": 100,
            "agencies.caseload_cap": 100,  # 30,000 slots: everyone waiting gets an offer
        },
        ["intake"],
        n=15_000,
        seed=31,
    )
    pop = model.population
    pop.sought_help[:] = False
    pop.wait_coach[:] = 0
    pop.engagement[:] = np.array([1.0, 0.6, 0.3])[np.arange(pop.n) % 3]
    engagement = pop.engagement.copy()
    model.step()
    taken = pop.coach >= 0
    assert (pop.wait_coach == NEVER).all()  # offered and declined families leave the waitlist
    assert model.events["assigned_coach"] == taken.sum()
    assert model.events["declined_coach"] == pop.n - taken.sum()
    assert_bernoulli_sum(taken, p_accept * engagement, what="take-up")


@pytest.mark.parametrize(
    "overrides", [{"services.model": "siloed"}, aligned(1.0)], ids=["siloed", "aligned"]
)
def test_waitlist_is_first_come_first_served_and_staff_stay_within_capacity(overrides):
    cap, coordination = 6, 0.5
    model = build_model(
        {
            **INTAKE_QUIET,
            **overrides,
            "services.coordination_share": coordination,
            "services.p_accept_offer": 1.0,
            "services.max_wait_months": 6,
            "agencies.caseload_cap": cap,
        },
        ["intake"],
        n=200,
        seed=32,
    )
    pop, sys = model.population, model.services
    capacity = int(cap * (1 - coordination * model.service_model.degree()))
    assert (sys.capacity("coach") == capacity).all()
    pop.sought_help[:] = False
    pop.engagement[:] = 1.0
    pop.coach[:8] = 0  # coach 0 is over capacity already
    pop.coach[8:10] = 1
    skip_to(model, 5)
    rng = np.random.default_rng(32)
    waiting = np.arange(10, pop.n)
    pop.wait_coach[waiting] = rng.integers(1, 6, waiting.size)  # joined in months 1-5
    joined = pop.wait_coach.copy()
    load_before = sys.caseload("coach")
    model.step()
    assigned = waiting[pop.coach[waiting] >= 0]
    left = waiting[pop.coach[waiting] < 0]
    slots = np.maximum(capacity - load_before, 0).sum()
    assert assigned.size == slots
    assert joined[assigned].max() <= joined[left].min()
    assert (pop.wait_coach[left] == joined[left]).all()  # the rest keep their place
    load = sys.caseload("coach")
    assert load[0] == 8  # no new case for a coach over capacity
    assert (load[1:] <= capacity).all()


def test_overload_assigns_beyond_the_cap_and_the_overloaded_staff_burn_out():
    cap, overload, after = 6, 0.5, 2
    model = build_model(
        {
            **INTAKE_QUIET,
            "services.model": "siloed",
            "services.p_accept_offer": 1.0,
            "services.max_wait_months": 24,
            "services.overload_share": overload,
            "services.burnout_after_months_over": after,
            "agencies.caseload_cap": cap,
            "services.coaching_months": 60,
            **HOUSING_OFF,
        },
        ["intake", "accounting"],
        n=400,
        seed=33,
    )
    pop, sys = model.population, model.services
    pop.sought_help[:] = False
    pop.engagement[:] = 1.0
    pop.wait_coach[:] = 0  # a long waitlist
    model.step()
    load = sys.caseload("coach")
    assert (load == int(cap * (1 + overload))).all()  # filled to the overload limit, not the cap
    assert model.events["assigned_coach"] == load.sum()
    for _ in range(after):
        model.step()
    coaches = sys.staff["coach"]
    assert all(m.burned_out for m in coaches)
    assert model.events["burned_out_coach"] == len(coaches)


def test_families_give_up_after_max_wait_months_and_lose_engagement():
    max_wait, loss = 3, 0.2
    model = build_model(
        {
            **INTAKE_QUIET,
            "services.max_wait_months": max_wait,
            "help_seeking.engagement_loss_per_intake": loss,
            "agencies.career_coaches_per_provider": 0,  # nobody is ever taken off the list
        },
        ["intake"],
        n=100,
        seed=33,
    )
    pop = model.population
    pop.sought_help[:] = False
    pop.engagement[:] = 1.0
    pop.wait_coach[:50] = 0
    for month in range(max_wait + 2):
        if month == 1:
            pop.wait_coach[50:] = 1
        model.step()
        first = month < max_wait
        second = month < max_wait + 1
        assert ((pop.wait_coach[:50] >= 0) == first).all(), f"month {month}"
        assert ((pop.wait_coach[50:] >= 0) == (second and month >= 1)).all(), f"month {month}"
        assert model.events.get("gave_up_waiting_coach", 0) == 50 * (
            month in (max_wait, max_wait + 1)
        )
    assert pop.engagement == pytest.approx(np.full(pop.n, 1 - loss))


# --- coaching effects --------------------------------------------------------------------------------


def coached_unemployed(overrides: dict, n: int, seed: int, effectiveness: float) -> SystemModel:
    """Unemployed families of equal skill, half of them with a coach of the given effectiveness."""
    model = service_model(
        {**ECONOMY_OFF, **HOUSING_OFF, "services.coaching_months": 60, **overrides},
        ["services", "economy"],  # services sets the multipliers that the economy reads
        n=n,
        seed=seed,
    )
    pop = model.population
    pop.emp[:] = UNEMPLOYED
    pop.earnings[:] = 0.0
    pop.skill[:] = 0.5
    pop.housing[:] = STABLE
    pop.arrears[:] = 0.0
    n_coaches = len(model.services.staff["coach"])
    coached = np.arange(pop.n) % 2 == 0
    pop.coach[coached] = np.arange(coached.sum()) % n_coaches
    for coach in model.services.staff["coach"]:
        coach.effectiveness = effectiveness
    return model


def test_coaching_multiplies_job_finding_by_effectiveness_scaled_multiplier():
    p_find, multiplier, effectiveness = 0.2, 2.0, 0.5
    model = coached_unemployed(
        {
            "economy.p_job_find_per_month": p_find,
            "economy.skill_job_find_effect": 1.0,  # skill 0.5 -> factor 0.5 + 1.0 * 0.5 = 1
            "services.coach_job_find_multiplier": multiplier,
        },
        n=20_000,
        seed=41,
        effectiveness=effectiveness,
    )
    pop = model.population
    coached = pop.coach >= 0
    found = {True: 0, False: 0}
    trials = {True: 0, False: 0}
    for _ in range(3):
        before = pop.emp == UNEMPLOYED
        model.step()
        for c in (True, False):
            group = before & (coached == c)
            trials[c] += int(group.sum())
            found[c] += int((group & (pop.emp != UNEMPLOYED)).sum())
    boosted = p_find * (1 + (multiplier - 1) * effectiveness)
    assert_binomial(found[True], trials[True], boosted, what="job finding, coached")
    assert_binomial(found[False], trials[False], p_find, what="job finding, uncoached")


def test_financial_coaching_raises_saving_by_its_multiplier():
    share_saved, multiplier, effectiveness = 0.25, 1.8, 0.5
    model = service_model(
        {
            **ECONOMY_OFF,
            "budget.share_surplus_saved": share_saved,
            "budget.savings_spend_rate_per_month": 0.0,
            "services.financial_coach_saving_multiplier": multiplier,
            "services.financial_coaching_months": 12,
        },
        ["services", "budget"],
        n=90,
        seed=42,
    )
    pop, sys = model.population, model.services
    pop.housing[:] = STABLE
    pop.earnings[:] = 3_000.0
    pop.benefits[:] = 0.0
    pop.rent[:] = 1_000.0
    pop.arrears[:] = 0.0
    pop.debt[:] = 0.0
    pop.savings[:] = 0.0
    pop.adults[:] = 1
    pop.children[:] = 0
    bp = model.params.budget
    surplus = 3_000.0 - 1_000.0 - (bp.essentials_base_usd + bp.essentials_per_person_usd)
    # Rows 0-29: no financial coach; 30-59: a fully effective one; 60-89: a burned-out one.
    pop.fin_coach[30:60] = 0
    pop.fin_coach[60:] = 1
    sys.staff["financial"][1].effectiveness = effectiveness
    model.step()
    expected = (
        surplus
        * share_saved
        * np.repeat([1.0, multiplier, 1 + (multiplier - 1) * effectiveness], 30)
    )
    assert pop.savings == pytest.approx(expected)
    assert pop.savings[30:].min() > pop.savings[:30].max()


def test_financial_coaching_raises_benefit_take_up_by_effectiveness():
    p_start, boost, effectiveness = 0.02, 0.15, 0.5
    model = service_model(
        {
            **ECONOMY_OFF,
            "benefits.take_up_start": 0.0,
            "benefits.p_start_claiming_per_month": p_start,
            "benefits.p_stop_claiming_per_month": 0.0,
            "services.financial_coach_take_up_per_month": boost,
            "services.financial_coaching_months": 12,
        },
        ["services", "benefits"],
        n=30_000,
        seed=43,
    )
    pop, sys = model.population, model.services
    # Rows 0-9,999: no financial coach; 10,000-19,999: a fully effective one; the rest a burned-out one.
    pop.fin_coach[10_000:20_000] = 0
    pop.fin_coach[20_000:] = 1
    sys.staff["financial"][1].effectiveness = effectiveness
    started = np.zeros(3)
    trials = np.zeros(3)
    for _ in range(2):
        before = pop.claims_benefits.copy()
        model.step()
        new = ~before & pop.claims_benefits
        for i, rows in enumerate(np.split(np.arange(pop.n), 3)):
            started[i] += new[rows].sum()
            trials[i] += (~before[rows]).sum()
    for i, p in enumerate((p_start, p_start + boost, p_start + boost * effectiveness)):
        assert_binomial(int(started[i]), int(trials[i]), p, what=f"take-up, block {i}")


# --- rent assistance: lease-up and bridging ------------------------------------------------------------


def families_with_awards(overrides: dict, n: int, seed: int) -> SystemModel:
    """Sheltered families with a hub coordinator and an open, amply funded re-housing award."""
    model = build_model(
        {
            **ECONOMY_OFF,
            "services.model": "siloed",
            "population.groups": ONE_GROUP,
            "assistance.award_expiry_months": 12,
            **overrides,
        },
        ["services"],
        n=n,
        seed=seed,
    )
    pop = model.population
    pop.housing[:] = SHELTER
    pop.coordinator[:] = np.arange(pop.n) % len(model.services.staff["coordinator"])
    pop.award_month[:] = 0
    pop.award_usd[:] = 1e6  # more than any subsidy costs: no subsidy is shortened
    return model


def test_lease_up_share_matches_coordinator_boost_and_landlord_multiplier():
    p_lease, boost, landlord = 0.3, 0.5, (1.0, 0.5)
    model = families_with_awards(
        {
            "assistance.p_lease_up_per_month": p_lease,
            "assistance.coordinator_landlord_boost": boost,
            "population.groups": two_groups(landlord_multiplier=landlord),
        },
        n=20_000,
        seed=51,
    )
    pop = model.population
    model.step()
    leased = pop.housing == REHOUSED
    assert ((pop.award_month == NEVER) == leased).all()
    expected = p_lease * np.array(landlord)[pop.group] * (1 + boost)
    for g in (0, 1):
        in_group = pop.group == g
        assert_bernoulli_sum(leased[in_group], expected[in_group], what=f"lease-up, group {g}")


@pytest.mark.parametrize(
    ("overrides", "degree"),
    [({"services.model": "siloed"}, 0.0), (aligned(1.0), 1.0), (aligned(0.5), 0.5)],
    ids=["siloed", "aligned-1", "aligned-0.5"],
)
def test_aligned_subsidy_bridges_the_remaining_training_months(overrides, degree):
    months, share, deposit = 6, 0.7, 1.0
    model = families_with_awards(
        {
            **overrides,
            "assistance.p_lease_up_per_month": 1.0,
            "assistance.coordinator_landlord_boost": 0.0,
            "assistance.rehousing_months": months,
            "assistance.rehousing_subsidy_share": share,
            "assistance.deposit_months_rent": deposit,
        },
        n=4_000,
        seed=52,
    )
    pop = model.population
    long_course = np.arange(pop.n) % 2 == 0
    pop.training_left[:] = np.where(long_course, 10, 3)
    model.step()
    assert (pop.housing == REHOUSED).all()
    assert (pop.subsidy_left[~long_course] == months).all()
    bridged = pop.subsidy_left == 10
    assert (bridged | (pop.subsidy_left == months)).all()
    if degree in (0.0, 1.0):
        assert (bridged[long_course] == bool(degree)).all()
    else:
        assert_binomial(bridged[long_course].sum(), long_course.sum(), degree, what="bridging")
    # The family's record holds what the subsidy it got costs.
    assert pop.rehousing_usd == pytest.approx(pop.rent * (deposit + share * pop.subsidy_left))


def test_open_award_is_withdrawn_when_the_family_is_housed_otherwise():
    model = families_with_awards(
        {"assistance.p_lease_up_per_month": 1.0, "assistance.coordinator_landlord_boost": 0.0},
        n=10,
        seed=53,
    )
    pop = model.population
    pop.housing[:] = SUBSIDIZED  # got a voucher while searching with the award
    model.step()
    assert (pop.housing == SUBSIDIZED).all()
    assert (pop.award_month == NEVER).all()
    assert model.services.funds["rehousing"] == pytest.approx(10 * 1e6)


@pytest.mark.parametrize("how", ["filed", "moved_out"])
def test_unused_months_of_a_hub_subsidy_return_to_the_pot_when_the_family_leaves_early(how):
    months_left, monthly_usd = 5, 700.0
    overrides = {
        **HOUSING_OFF,
        "assistance.annual_budget_usd": 0.0,
        "turnover.p_move_out_per_month": 1.0 if how == "moved_out" else 0.0,
    }
    if how == "filed":
        overrides["housing.p_filing_per_month_behind"] = 1.0
    model = build_model(overrides, ["turnover", "housing"], n=10, seed=71)
    pop = model.population
    pop.housing[:] = STABLE
    pop.arrears[:] = 0.0
    # Row 0: hub-subsidised and owing rent; row 1: subsidised by status-quo RRH (no refund).
    pop.housing[:2] = REHOUSED
    pop.subsidy_left[:2] = months_left
    pop.subsidy_share[:2] = 0.7
    pop.hub_subsidy[0] = True
    pop.hub_subsidy_usd[0] = monthly_usd
    pop.rent[:2] = 1_000.0
    pop.arrears[:2] = 3_000.0  # three months owed: filed on for sure
    model.step()
    # A filed family's subsidy paid this month's rent; a family moving out leaves before it is paid.
    unused = months_left - 1 if how == "filed" else months_left
    refund = unused * monthly_usd
    assert model.services.funds["rehousing"] == pytest.approx(refund)
    assert model.ledger["rehousing_usd"] == pytest.approx(-refund)
    assert model.events["subsidies_refunded"] == 1
    if how == "filed":
        assert pop.housing[0] == FILED and not pop.hub_subsidy[0]
        assert pop.rehousing_usd[0] == pytest.approx(-refund)


# --- staff: burnout, relationships, losing cases --------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "capacity"),
    [({"services.model": "siloed"}, 5), ({**aligned(1.0), "services.coordination_share": 0.2}, 4)],
    ids=["siloed", "aligned"],
)
def test_staff_over_capacity_burn_out_after_months_and_recover(overrides, capacity):
    after, burned, multiplier = 2, 0.4, 2.0
    model = build_model(
        {
            **overrides,
            "agencies.caseload_cap": 5,
            "services.burnout_after_months_over": after,
            "services.burnout_effectiveness": burned,
            "services.coach_job_find_multiplier": multiplier,
            "services.coaching_months": 60,
            **HOUSING_OFF,
        },
        ["accounting", "services"],  # services uses the effectiveness accounting sets
        n=50,
        seed=61,
    )
    pop, coaches = model.population, model.services.staff["coach"]
    pop.housing[:] = STABLE
    pop.arrears[:] = 0.0
    pop.coach[: capacity + 2] = 0  # over capacity
    pop.coach[10 : 10 + capacity] = 1  # at capacity: never burns out
    effectiveness = []
    for month in range(after + 2):
        if month == after + 1:
            pop.coach[:2] = -1  # back at capacity
        model.step()
        effectiveness.append((coaches[0].effectiveness, coaches[1].effectiveness))
    assert effectiveness == [(1.0, 1.0)] * (after - 1) + [(burned, 1.0), (burned, 1.0), (1.0, 1.0)]
    # While burned out, the coach's effect on job finding is scaled down accordingly.
    model.step()
    pop.coach[:2] = 0
    for _ in range(after):
        model.step()
    assert coaches[0].burned_out
    assert pop.m_job_find[pop.coach == 0] == pytest.approx(1 + (multiplier - 1) * burned)
    assert pop.m_job_find[pop.coach == 1] == pytest.approx(multiplier)


def test_relationship_strength_grows_with_shared_cases_and_decays_without():
    s0, gain_case, gain_hour, hours, decay = 0.3, 0.01, 0.005, 2.0, 0.05
    model = build_model(
        {
            "agencies.base_relationship_strength": s0,
            "services.strength_gain_per_shared_case": gain_case,
            "services.strength_gain_per_contact_hour": gain_hour,
            "services.contact_hours_per_month": hours,
            "services.strength_decay_per_month": decay,
        },
        ["accounting"],
        n=50,
        seed=62,
    )
    pop, sys = model.population, model.services
    pop.coach[:10] = coach_at_provider(model, 0)[0]
    pop.coordinator[:10] = 0  # ten shared cases with provider 1
    pop.coach[10:20] = coach_at_provider(model, 1)[0]  # coached only: not shared
    hub = sys.agency_by_kind["housing_hub"][0].node
    providers = [a.node for a in sys.agency_by_kind["employment_provider"]]

    def strength(node: int) -> float:
        return sys.graph.edges[hub, node]["strength"]

    shared = unshared = s0
    for _ in range(3):
        model.step()
        shared = (shared + gain_case * 10 + gain_hour * hours) * (1 - decay)
        unshared = (unshared + gain_hour * hours) * (1 - decay)
        assert strength(providers[0]) == pytest.approx(shared)
        assert strength(providers[1]) == pytest.approx(unshared)
    assert shared > s0
    # No shared cases and no contact time: strength decays geometrically.
    pop.coordinator[:] = -1
    model.params.services.contact_hours_per_month = 0.0
    for _ in range(3):
        model.step()
        shared *= 1 - decay
        assert strength(providers[0]) == pytest.approx(shared)


@pytest.mark.parametrize(
    ("overrides", "degree"),
    [({"services.model": "siloed"}, 0.0), (aligned(0.5), 0.5), (aligned(1.0), 1.0)],
    ids=["siloed", "aligned-0.5", "aligned-1"],
)
def test_coaches_lose_clients_in_crisis_unless_aligned(overrides, degree):
    p_lose = 0.3
    model = build_model(
        {
            **overrides,
            **HOUSING_OFF,
            "services.p_coach_loses_case_per_month_siloed": p_lose,
            "services.coaching_months": 60,
            "services.p_disengage_unemployed_per_month": 0.0,  # only crisis losses here
        },
        ["services"],
        n=20_000,
        seed=63,
    )
    pop = model.population
    crisis = np.arange(pop.n) % 2 == 0
    pop.housing[:] = np.where(crisis, BEHIND, STABLE)
    pop.arrears[:] = np.where(crisis, 500.0, 0.0)
    pop.coach[:] = np.arange(pop.n) % len(model.services.staff["coach"])
    model.step()
    lost = pop.coach < 0
    assert not lost[~crisis].any()
    if degree == 1.0:
        assert not lost.any()
    else:
        assert_binomial(lost[crisis].sum(), crisis.sum(), (1 - degree) * p_lose, what="lost")
    assert model.events["coaching_lost_in_crisis"] == lost.sum()


# --- whole runs -----------------------------------------------------------------------------------------

SCARCE_SERVICE_RUN = {
    "population.n_families": 1_500,
    "time.burn_in_months": 0,
    "time.months": 24,
    "schedule.processes": SERVICE_SCHEDULE,
    "assistance.annual_budget_usd": 150_000.0,
    "assistance.share_prevention": 0.5,
    "assistance.prevention_max_months_rent": 3.0,
    "assistance.rationing": "most_vulnerable_first",
    "turnover.p_move_out_per_month": 0.02,
    "help_seeking.p_seek_help_behind_per_month": 0.3,
}


def test_alignment_zero_reproduces_siloed_exactly():
    run = {**SCARCE_SERVICE_RUN, "time.burn_in_months": 6}
    tables = []
    for overrides in ({"services.model": "siloed"}, aligned(0.0)):
        model = SystemModel(Params().with_overrides({**run, **overrides}), rng=71).run()
        tables.append((model.monthly_table(), model.family_table()))
    (monthly_a, families_a), (monthly_b, families_b) = tables
    assert monthly_a[["intakes", "prevention_awards", "rehousing_awards"]].sum().min() > 0
    pd.testing.assert_frame_equal(monthly_a, monthly_b)
    pd.testing.assert_frame_equal(families_a, families_b)


def run_with_shared_probe(overrides: dict, seed: int) -> tuple[SystemModel, dict[int, bool]]:
    """A full service run that notes, by family id, who had a coach and a coordinator at once."""
    model = SystemModel(Params().with_overrides(overrides), rng=seed)
    both: dict[int, bool] = {}

    def look(m: SystemModel, month: int) -> None:
        pop = m.population
        now = (pop.coach >= 0) & (pop.coordinator >= 0)
        for fid in pop.fid[now]:
            both[int(fid)] = True

    Probe.insert_before(model, "services", look)
    return model.run(), both


def test_family_service_records_are_consistent():
    model, both = run_with_shared_probe({**SCARCE_SERVICE_RUN, **aligned(0.7)}, seed=72)
    families, monthly = model.family_table(), model.monthly_table()
    for kind in ("prevention", "rehousing"):
        applied = families[f"applied_{kind}_month"]
        served = families[f"served_{kind}_month"]
        was_served = served >= 0
        assert was_served.sum() > 10, kind
        assert (applied[was_served] >= 0).all() and (applied <= served)[was_served].all(), kind
        assert (families[f"{kind}_usd"][~was_served] == 0).all(), kind
    assert (families["prevention_usd"] > 0).eq(families["served_prevention_month"] >= 0).all()
    # Every prevention dollar booked went to a family.
    assert families["prevention_usd"].sum() == pytest.approx(monthly["cost_prevention_usd"].sum())
    shared = families["shared_customer"].to_numpy()
    assert shared.sum() > 10
    expected = np.array([both.get(int(fid), False) for fid in families["family_id"]])
    assert (shared == expected).all()


def test_rehousing_dollars_booked_equal_dollars_received_plus_open_awards():
    model, _ = run_with_shared_probe({**SCARCE_SERVICE_RUN, **aligned(0.7)}, seed=72)
    families, monthly = model.family_table(), model.monthly_table()
    open_awards = model.population.award_usd.sum()
    assert families["rehousing_usd"].sum() + open_awards == pytest.approx(
        monthly["cost_hub_rehousing_usd"].sum()
    )


@pytest.mark.parametrize("alignment", [0.0, 1.0], ids=["siloed", "aligned-1"])
def test_coached_families_out_of_work_disengage_unless_a_coordinator_keeps_them(alignment):
    p = 0.3
    model = service_model(
        {
            **ECONOMY_OFF,
            "services.p_disengage_unemployed_per_month": p,
            "services.coaching_months": 60,
        },
        ["services"],
        n=20_000,
        seed=81,
        model="aligned",
    )
    model.params.services.alignment = alignment
    pop = model.population
    pop.coach[:] = np.arange(pop.n) % len(model.services.staff["coach"])
    pop.emp[:] = UNEMPLOYED
    pop.earnings[:] = 0.0
    with_coordinator = np.arange(pop.n) % 2 == 0
    pop.coordinator[:] = np.where(with_coordinator, 0, -1)
    model.step()
    left = pop.coach < 0
    assert_binomial(left[~with_coordinator], (~with_coordinator).sum(), p, what="disengaged")
    expected = p * (1.0 - alignment)
    if expected > 0:
        assert_binomial(left[with_coordinator], with_coordinator.sum(), expected, what="kept")
    else:
        assert not left[with_coordinator].any()
    assert not pop.exit_employed[left].any()


def test_employed_families_walk_in_at_the_multiple_of_the_unemployed_rate():
    p, mult = 0.2, 0.25
    model = service_model(
        {
            "services.p_seek_coaching_per_month": p,
            "services.walk_in_employed_multiplier": mult,
            "agencies.career_coaches_per_provider": 0,  # nobody is assigned: count walk-ins only
        },
        ["intake"],
        n=40_000,
        seed=82,
    )
    pop = model.population
    unemployed = np.arange(pop.n) % 2 == 0
    pop.emp[:] = np.where(unemployed, UNEMPLOYED, 1)  # the rest in low-wage work
    pop.engagement[:] = 1.0
    model.step()
    walked = pop.wait_coach != NEVER
    assert_binomial(walked[unemployed], unemployed.sum(), p, what="unemployed walk-ins")
    assert_binomial(walked[~unemployed], (~unemployed).sum(), p * mult, what="employed walk-ins")


def test_pair_alignment_overrides_the_model_degree_for_one_pair():
    from sysmodel import Params
    from sysmodel.policies import SERVICE_MODELS
    from sysmodel.scenario import ScenarioError, resolve

    params = Params().with_overrides(
        {
            "services.model": "aligned",
            "services.alignment": 0.0,
            "services.pair_alignment": {"housing_hub:employment_provider": 1.0},
        }
    )
    sm = SERVICE_MODELS.get("aligned")(params.services)
    sp = params.services
    assert sm.degree(("employment_provider", "housing_hub")) == 1.0  # either order
    assert sm.degree(("front_door", "housing_hub")) == 0.0
    assert sm.co_assignment() == sm.bridges_training() == 1.0
    assert sm.p_coach_loses_case_in_crisis() == 0.0
    assert sm.referral_success(1.0, ("housing_hub", "employment_provider")) == pytest.approx(
        sp.referral_success_aligned
    )
    assert sm.referral_success(1.0, ("front_door", "housing_hub")) == pytest.approx(
        sp.referral_success_siloed
    )
    assert sm.referral_delay(("front_door", "housing_hub")) == sp.referral_delay_siloed_months
    assert sm.referral_delay(("housing_hub", "employment_provider")) == 0
    with pytest.raises(ScenarioError, match="pair_alignment"):
        resolve({"services": {"pair_alignment": {"housing_hub:landlords": 0.5}}}, origin="test")
