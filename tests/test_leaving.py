"""Leaving assistance and coming back (issue 8, part 2).

Subsidies end on their clock and the family then pays the full rent; assisted placements break down
(conflict, landlord non-renewal, rent burden once the subsidy ends) straight into doubling up or
shelter, with the shelter-entry bookkeeping of the front door; hub long-term vouchers are rationed by
slots, wait on a list in the rule's order, cost the subsidies they pay and turn over.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers_services import ECONOMY_OFF, HOUSING_OFF, ONE_GROUP, service_model, skip_to
from helpers_stats import assert_binomial, build_model
from sysmodel import Params, SystemModel
from sysmodel.population import (
    BEHIND,
    DOUBLED_UP,
    NEVER,
    REHOUSED,
    SHELTER,
    STABLE,
    SUBSIDIZED,
)
from sysmodel.services import budget_split, voucher_budget

N = 20_000
QUIET = {**ECONOMY_OFF, **HOUSING_OFF, "population.groups": ONE_GROUP}
# The three breakdown hazards off (they are calibrated and on by default, docs/calibration.md): each
# test below switches on only the hazard it checks.
HAZARDS_OFF = {
    "housing.p_placement_conflict_per_month": 0.0,
    "housing.p_nonrenewal_at_lease_end": 0.0,
    "housing.p_breakdown_per_unit_rent_burden_per_month": 0.0,
}


def placed(overrides: dict, n: int = N, seed: int = 5, state: int = STABLE) -> SystemModel:
    """``n`` families placed by assistance last month (month 0 is the first month), in ``state``,
    paying a rent of 30% of income (below the burden threshold) and owing nothing."""
    model = build_model({**QUIET, **HAZARDS_OFF, **overrides}, ["placements"], n=n, seed=seed)
    skip_to(model, 0)  # recording starts now, so the records set below stay
    pop = model.population
    pop.housing[:] = state
    pop.arrears[:] = 0.0
    pop.earnings[:] = 2_000.0
    pop.benefits[:] = 0.0
    pop.rent[:] = 600.0
    pop.assisted_lease_month[:] = -1
    pop.lease_month[:] = 5  # the anniversary is not month 0 unless a test says so
    return model


def test_with_the_hazards_off_the_process_draws_nothing():
    hp = Params().housing
    # On by default since the calibration to HUD SPM 2 returns (docs/calibration.md, fifth pass).
    assert hp.p_placement_conflict_per_month > 0.0
    assert Params().assistance.share_vouchers == 0.0
    model = placed({}, n=500)
    model.step()
    assert model.events.get("placement_breakdowns", 0) == 0
    assert (model.population.housing == STABLE).all()


def test_conflict_hazard_matches_its_rate():
    model = placed({"housing.p_placement_conflict_per_month": 0.02})
    model.step()
    broke = model.population.housing != STABLE
    assert model.events["placements_at_risk"] == N
    assert_binomial(broke.sum(), N, 0.02, what="conflict breakdowns")
    assert model.events["breakdowns_conflict"] == broke.sum()


def test_nonrenewal_applies_only_in_the_lease_anniversary_month():
    model = placed({"housing.p_nonrenewal_at_lease_end": 0.2})
    pop = model.population
    anniversary = np.arange(N) % 2 == 0
    pop.lease_month[anniversary] = 0  # month 0 is their anniversary
    pop.assisted_lease_month[:] = -12  # leased a year ago
    model.step()
    broke = pop.housing != STABLE
    assert not broke[~anniversary].any()
    assert_binomial(broke[anniversary].sum(), anniversary.sum(), 0.2, what="non-renewals")


def test_burden_hazard_rises_with_rent_burden_once_the_subsidy_has_ended():
    rate, threshold = 0.4, 0.5
    model = placed(
        {
            "housing.p_breakdown_per_unit_rent_burden_per_month": rate,
            "housing.rent_burden_threshold": threshold,
        }
    )
    pop = model.population
    third = np.arange(N) % 3
    pop.rent[third == 1] = 1_600.0  # burden 0.8: hazard rate * 0.3
    pop.rent[third == 2] = 1_600.0
    pop.housing[third == 2] = REHOUSED  # still subsidised: no burden hazard
    pop.subsidy_left[third == 2] = 3
    pop.subsidy_share[third == 2] = 0.7
    before = pop.housing.copy()
    model.step()
    broke = pop.housing != before
    assert not broke[third == 0].any(), "a rent burden below the threshold broke a placement"
    assert not broke[third == 2].any(), "a subsidised family faced the burden hazard"
    assert_binomial(
        broke[third == 1].sum(), (third == 1).sum(), rate * 0.3, what="burden breakdowns"
    )


def test_placements_are_at_risk_only_within_the_window_after_lease_up():
    model = placed(
        {
            "housing.p_placement_conflict_per_month": 0.5,
            "housing.placement_breakdown_window_months": 12,
        },
        n=4_000,
    )
    pop = model.population
    pop.assisted_lease_month[:2_000] = -13  # leased 13 months ago: outside the window
    pop.assisted_lease_month[2_000:3_000] = 0  # leased this month: at risk from next month
    pop.assisted_lease_month[3_000:] = NEVER  # never assisted
    model.step()
    assert (pop.housing == STABLE).all()
    assert model.events["placements_at_risk"] == 0


def test_breakdowns_go_to_shelter_in_the_configured_share_and_count_as_returns():
    model = placed(
        {
            "housing.p_placement_conflict_per_month": 0.5,
            "housing.share_breakdowns_to_shelter": 0.3,
        }
    )
    pop = model.population
    pop.last_housing_exit_month[:] = 0  # left shelter for this unit: a return within 6 months
    pop.arrears[:] = 100.0
    pop.housing[:] = BEHIND
    model.step()
    broke = pop.housing != BEHIND
    sheltered = pop.housing == SHELTER
    assert set(np.unique(pop.housing[broke])) <= {DOUBLED_UP, SHELTER}
    assert_binomial(broke.sum(), N, 0.5, what="breakdowns")
    assert_binomial(sheltered.sum(), broke.sum(), 0.3, what="breakdowns to shelter")
    ev = model.events
    assert ev["breakdowns_to_shelter"] == sheltered.sum()
    assert ev["shelter_entries_first_time"] == sheltered.sum()  # none had been sheltered before
    for window in (6, 12, 24):
        assert ev[f"returns_within_{window}"] == sheltered.sum()
        assert (pop.column(f"returns_{window}") == sheltered).all()
    assert (pop.episodes == sheltered).all() and (pop.ever_sheltered == sheltered).all()
    assert (pop.first_shelter_month[sheltered] == 0).all()
    assert (pop.sheltered_month[sheltered] == 0).all()
    # Arrears left behind become debt, as on an eviction; no placement is at risk any more.
    assert (pop.arrears[broke] == 0).all() and (pop.debt[broke] == 100.0).all()
    assert (pop.assisted_lease_month[broke] == NEVER).all()
    table = model.housing_table()
    homeless = table["state"].isin(["doubled_up", "shelter"])
    assert set(table.loc[homeless, "route_in"]) == {"placement_breakdown"}


def test_a_broken_hub_placement_refunds_the_unused_subsidy_and_ends_it():
    model = placed({"housing.p_placement_conflict_per_month": 1.0}, n=10, state=REHOUSED)
    pop = model.population
    pop.subsidy_left[:] = 4
    pop.subsidy_share[:] = 0.7
    pop.hub_subsidy[:5] = True
    pop.hub_subsidy_usd[:5] = 500.0
    pop.coordinator[:] = 0
    model.step()
    assert (pop.housing != REHOUSED).all()
    # Four unused months of the five hub subsidies come back to the re-housing pot.
    assert model.services.funds["rehousing"] == pytest.approx(5 * 4 * 500.0)
    assert model.ledger["rehousing_usd"] == pytest.approx(-5 * 4 * 500.0)
    assert model.events["subsidies_refunded"] == 5
    assert (pop.subsidy_left == 0).all() and (pop.subsidy_share == 0).all()
    assert not pop.hub_subsidy.any() and (pop.hub_subsidy_usd == 0).all()


@pytest.mark.parametrize("hub", [False, True])
def test_subsidies_end_on_their_clock_and_the_family_then_pays_the_full_rent(hub):
    model = build_model(QUIET, ["budget", "housing"], n=200, seed=3)
    pop = model.population
    pop.housing[:] = REHOUSED
    pop.arrears[:] = 0.0
    pop.subsidy_left[:] = 3
    pop.subsidy_share[:] = 0.7
    pop.hub_subsidy[:] = hub
    pop.hub_subsidy_usd[:] = 400.0 if hub else 0.0
    budget = model.process("budget")
    for month in range(3):
        assert (pop.housing == REHOUSED).all(), f"the subsidy ended early, month {month}"
        assert budget.rent_due() == pytest.approx(pop.rent * 0.3)
        model.step()
    assert set(np.unique(pop.housing)) <= {STABLE, BEHIND}
    assert (pop.subsidy_left == 0).all() and (pop.subsidy_share == 0).all()
    assert not pop.hub_subsidy.any() and (pop.hub_subsidy_usd == 0).all()
    assert budget.rent_due() == pytest.approx(pop.rent)  # the full rent from now on
    table = model.housing_table()
    ended = table["state"].isin(["stable", "behind"]) & (table["start_month"] > 0)
    assert set(table.loc[ended, "route_in"]) == {"subsidy_ended"}


# --- hub vouchers ------------------------------------------------------------------------------


def test_vouchers_take_their_share_of_the_cash_left_after_prevention():
    ap = Params().assistance.model_copy(
        update={"share_prevention": 0.2, "share_vouchers": 0.75, "annual_budget_usd": 600_000.0}
    )
    _, prevention, rehousing = budget_split(ap, 6_000.0)
    vouchers = voucher_budget(ap, 6_000.0)
    assert prevention == pytest.approx(120_000.0)
    assert vouchers == pytest.approx(360_000.0) and rehousing == pytest.approx(120_000.0)
    off = ap.model_copy(update={"share_vouchers": 0.0})
    assert budget_split(off, 6_000.0)[2] == pytest.approx(480_000.0)


def voucher_model(pot_usd: float, rule: str = "first_come_first_served") -> SystemModel:
    """The rationing process alone, with a tiny voucher line and ``pot_usd`` in the voucher pot."""
    model = service_model(
        {
            **QUIET,
            "assistance.annual_budget_usd": 12.0,  # 1 USD a month: the pot is what the test puts in
            "assistance.share_staff": 0.0,
            "assistance.share_prevention": 0.0,
            "assistance.share_vouchers": 1.0,
            "assistance.voucher_reserve_months": 6.0,
            "assistance.rationing": rule,
        },
        ["rationing"],
        n=200,
        seed=11,
    )
    model.services.funds["vouchers"] = pot_usd
    return model


def test_voucher_applicants_are_funded_in_the_rules_order_while_the_reserve_holds():
    model = voucher_model(0.0)
    pop = model.population
    rationing = model.process("rationing")
    rows = np.arange(10)
    pop.housing[rows] = SHELTER
    pop.coordinator[rows] = 0
    pop.voucher_app_month[rows] = [15, 3, 9, 1, 12, 4, 18, 7, 2, 20]  # first come: rows 3, 8, 1, 5
    first = np.array([3, 8, 1])
    # The pot holds six months of the first three applicants' expected subsidies (and a dollar).
    need = 6.0 * rationing.expected_voucher_subsidy(first).sum()
    model.services.funds["vouchers"] = need  # the step adds the month's 1 USD
    model.month = 20
    model.step()
    assert set(np.flatnonzero(pop.voucher_award_month == 20)) == {3, 8, 1}
    waiting = np.flatnonzero(pop.voucher_app_month != NEVER)
    assert set(waiting) == set(rows) - {3, 8, 1}
    assert model.events["voucher_applicants"] == 10 and model.events["voucher_awards"] == 3
    # The reserve is spoken for: the list waits.
    model.step()
    assert (pop.voucher_award_month != NEVER).sum() == 3
    # Money comes in for one more voucher: the next in line gets it, not a later applicant.
    model.services.funds["vouchers"] += 6.0 * rationing.expected_voucher_subsidy(np.array([5]))[0]
    model.step()
    assert pop.voucher_award_month[5] == 22  # row 5 applied in month 4: next in line


def test_the_voucher_line_spends_its_budget_less_the_reserve_and_books_the_subsidies_paid():
    params = Params().with_overrides(
        {
            "population.n_families": 3_000,
            "time.months": 72,
            "assistance.annual_budget_usd": 150_000.0,  # a line small enough to bind
            "assistance.share_prevention": 0.2,
            "assistance.share_vouchers": 1.0,
            "housing.p_voucher_exit_per_month": 0.03,  # turnover within the run
        }
    )
    model = SystemModel(params, rng=4).run()
    monthly = model.monthly_table()
    yearly = voucher_budget(params.assistance, params.costs.staff_usd)
    assert (monthly["waiting_voucher"] > 0).any(), "the line never bound: the test is not testing"
    # The subsidies paid track the money coming in (the pot keeps its reserve, it does not pile up).
    assert monthly["cost_hub_vouchers_usd"].mean() == pytest.approx(yearly / 12.0, rel=0.2)
    assert monthly["funds_vouchers_usd"].iloc[-1] < yearly  # not piling up: under a year of money
    # Money in = money paid + what is left in the pot (nothing lost, nothing made up).
    months = params.time.burn_in_months + params.time.months
    paid_all = model.population.records()["hub_voucher_usd"].sum()
    assert monthly["funds_vouchers_usd"].iloc[-1] >= 0
    assert monthly["vouchers_leased"].sum() > monthly["hub_vouchers_in_use"].max(), (
        "vouchers freed by holders who left were not awarded again"
    )
    families = model.population.records()
    paid = families["hub_voucher_usd"].sum()
    assert paid > 0 and paid == pytest.approx(paid_all)
    assert monthly["cost_hub_vouchers_usd"].sum() == pytest.approx(paid)
    # Each voucher is a spell of service from its award to its end, with the subsidy paid.
    spells = model.spell_table()
    vouchers = spells[spells["service"] == "hub_voucher"]
    assert vouchers["amount_usd"].sum() == pytest.approx(paid)
    recorded = vouchers[vouchers["start_month"] >= 0]
    assert len(recorded) == monthly["voucher_awards"].sum()
    ends = vouchers["end_reason"].value_counts()
    assert ends["ended"] > 0 and ends["open"] > 0
    assert ends.get("lapsed", 0) == monthly["voucher_awards_lapsed"].sum()
    assert (vouchers["agency"] == "housing hub").all() or vouchers["agency"].notna().all()
    assert monthly["funds_vouchers_usd"].iloc[-1] <= months * yearly / 12.0
    pop = model.population
    held = pop.hub_voucher
    assert (pop.housing[held] == SUBSIDIZED).all()
    # Status-quo vouchers keep their unit cost; the hub's are booked on their own line.
    n_status_quo = monthly["n_subsidized"].iloc[-1] - held.sum()
    assert monthly["cost_long_term_subsidy_usd"].iloc[-1] == pytest.approx(
        n_status_quo * params.costs.long_term_subsidy_usd
    )
