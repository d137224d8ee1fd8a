"""Capacities and queues (sysmodel.capacity): shelter units, landlords' units, the voucher stock.

- With every capacity null the model is the model from before capacities existed, exactly (fingerprints
  made with that code: tests/golden/make_uncapped.py), and capacities too large to bind change nothing.
- Each queue obeys Little's law over a long run, never holds more families than have joined it, and no
  family is in two places (in shelter and on its waiting list, housed and waiting, over capacity).
- The new hazard and shares run at their configured rates, and the queues respond to load as they claim:
  fewer units, longer waits.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from helpers_stats import assert_binomial
from sysmodel import Params, SystemModel
from sysmodel.capacity import QUEUES, queue_members
from sysmodel.population import (
    DOUBLED_UP,
    NEVER,
    SHELTER,
    SUBSIDIZED,
    UNSHELTERED,
)

GOLDEN = json.loads((Path(__file__).parent / "golden" / "uncapped.json").read_text())
NO_LIMITS = {
    "capacity.shelter_units_per_1000_families": None,
    "capacity.landlord_units_per_1000_families_per_month": None,
    "capacity.voucher_stock_per_1000_families": None,
}
# Capacities that bind hard in a small run: a queue forms at each.
BINDING = {
    "population.n_families": 2_000,
    "capacity.shelter_units_per_1000_families": 4.0,
    "capacity.voucher_stock_per_1000_families": 2.0,
    "capacity.landlord_units_per_1000_families_per_month": 0.5,
    "housing.p_voucher_per_month": 0.05,
    "housing.p_rapid_rehousing_per_month": 0.1,
    "assistance.share_vouchers": 0.3,
}


def fingerprints(model: SystemModel) -> dict[str, str]:
    """The same hashes as tests/golden/make_uncapped.py."""
    out = {}
    monthly = model.monthly_table()
    for c in monthly.columns:
        data = np.ascontiguousarray(monthly[c].to_numpy(dtype=float)).tobytes()
        out[c] = hashlib.sha256(data).hexdigest()[:16]
    families = model.family_table()
    for c in families.columns:
        text = families[c].astype(str).str.cat(sep="|").encode()
        out[f"family.{c}"] = hashlib.sha256(text).hexdigest()[:16]
    return out


@pytest.mark.parametrize("run", sorted(GOLDEN["fingerprints"]))
def test_no_limits_reproduce_the_model_before_capacities_exactly(run):
    params = Params().with_overrides({**GOLDEN["params"][run], **NO_LIMITS})
    now = fingerprints(SystemModel(params, rng=GOLDEN["seed"]).run())
    before = GOLDEN["fingerprints"][run]
    changed = sorted(c for c in before if now.get(c) != before[c])
    assert not changed, (
        f"columns that differ from the uncapped model ({GOLDEN['made_with']}): {changed}"
    )


def test_capacities_too_large_to_bind_change_nothing():
    base = {
        "population.n_families": 800,
        "time.burn_in_months": 6,
        "time.months": 24,
        "housing.p_voucher_per_month": 0.03,
        "assistance.share_vouchers": 0.3,
    }
    free = SystemModel(Params().with_overrides({**base, **NO_LIMITS}), rng=3).run()
    large = {k: 1000.0 for k in NO_LIMITS}
    capped = SystemModel(Params().with_overrides({**base, **large}), rng=3).run()
    a, b = free.monthly_table(), capped.monthly_table()
    capacity_columns = {
        "shelter_capacity",
        "shelter_utilisation",
        "landlord_units",
        "voucher_stock",
    }
    for c in a.columns:
        if c not in capacity_columns:
            assert np.array_equal(a[c].to_numpy(), b[c].to_numpy()), c
    assert (b["shelter_utilisation"] < 1).all()


def test_a_capacity_can_bind_and_then_the_runs_differ():
    """The identity tests could not pass by ignoring the capacities: binding ones change results."""
    base = {"population.n_families": 800, "time.burn_in_months": 6, "time.months": 24}
    free = SystemModel(Params().with_overrides({**base, **NO_LIMITS}), rng=3).run().monthly_table()
    capped = SystemModel(
        Params().with_overrides({**base, **BINDING, "population.n_families": 800}), rng=3
    )
    table = capped.run().monthly_table()
    assert table["shelter_turned_away"].sum() > 0
    assert table["n_unsheltered"].max() > 0
    assert not free["n_shelter"].equals(table["n_shelter"])


def stepped(overrides: dict, seed: int, months: int):
    """Run month by month from month 0 of burn-in 0, yielding the model after each month."""
    params = Params().with_overrides(
        {"time.burn_in_months": 0, "time.months": months, **BINDING, **overrides}
    )
    model = SystemModel(params, rng=seed)
    for _ in range(months):
        model.step()
        yield model


def test_no_family_in_two_places_and_no_shelter_over_capacity():
    for model in stepped({}, seed=4, months=48):
        pop, cap = model.population, model.capacity
        h = pop.housing
        shelter_list = pop.shelter_wait_month != NEVER
        # On the shelter's list: doubled up or unsheltered, never in shelter or housed.
        assert np.isin(h[shelter_list], (DOUBLED_UP, UNSHELTERED)).all()
        assert not (h == UNSHELTERED)[~shelter_list].any(), (
            "unsheltered but not waiting for shelter"
        )
        assert int((h == SHELTER).sum()) <= cap.shelter_units
        # A status-quo search or voucher waiting list only while homeless; one search at a time.
        homeless = np.isin(h, (DOUBLED_UP, SHELTER, UNSHELTERED))
        searching = pop.landlord_search_month != NEVER
        assert homeless[searching].all()
        assert homeless[pop.voucher_wait_month != NEVER].all()
        assert not (searching & (pop.voucher_wait_month != NEVER)).any()
        assert ((pop.landlord_search_kind > 0) == searching).all()
        assert cap.vouchers_in_use() <= max(cap.voucher_stock, 0) + 0  # issued only when free
        assert not (pop.hub_voucher & (h != SUBSIDIZED)).any()


def test_a_queue_never_holds_more_than_its_arrivals():
    months = 60
    models = list(stepped({}, seed=6, months=months))
    table = models[-1].monthly_table()
    for q in QUEUES:
        joined = table[f"{q}_queue_joined"].cumsum()
        left = table[f"{q}_queue_left"].cumsum()
        assert (table[f"{q}_queue"] <= joined).all(), q
        assert (table[f"{q}_queue"] == joined - left).all(), q
        assert table[f"{q}_queue"].max() > 0, f"the {q} queue never formed: the test is not testing"


@pytest.mark.slow
@pytest.mark.parametrize("queue", QUEUES)
def test_littles_law_holds_for_each_queue(queue):
    """Mean queue length = arrivals a month x mean wait, over a long run (within 5%)."""
    params = Params().with_overrides(
        {**BINDING, "population.n_families": 3_000, "time.burn_in_months": 0, "time.months": 240}
    )
    model = SystemModel(params, rng=21).run()
    table = model.monthly_table()
    pop = model.population
    months = len(table)
    still = queue_members(pop, queue)
    # Families still waiting at the end have waited since they joined (QueueBook keeps the month).
    book = next(b for b in model.capacity.books if b.queue == queue)
    residual = int((table["month"].iloc[-1] - book.since[still]).sum())
    mean_length = table[f"{queue}_queue"].mean()
    arrivals = table[f"{queue}_queue_joined"].sum() / months
    mean_wait = (table[f"{queue}_queue_wait_months"].sum() + residual) / table[
        f"{queue}_queue_joined"
    ].sum()
    assert mean_length > 1.0, f"the {queue} queue is too short to test"
    assert mean_length == pytest.approx(arrivals * mean_wait, rel=0.05)
    # Without the families still waiting at the end, the finished waits alone give the same answer
    # within the end effect.
    finished = table[f"{queue}_queue_wait_months"].sum() / max(
        table[f"{queue}_queue_left"].sum(), 1
    )
    assert mean_length == pytest.approx(arrivals * finished, rel=0.15)


def test_unsheltered_families_double_up_at_their_rate():
    p = 0.25
    over = {
        **BINDING,
        "capacity.p_unsheltered_to_doubled_up_per_month": p,
        "capacity.voucher_stock_per_1000_families": None,  # no voucher lease-up competes
        "turnover.p_move_out_per_month": 0.0,  # the unsheltered at a month end are at risk next month
        "population.n_families": 16_000,
        "time.burn_in_months": 0,
        "time.months": 60,
    }
    table = SystemModel(Params().with_overrides(over), rng=8).run().monthly_table()
    at_risk = int(table["n_unsheltered"].iloc[:-1].sum())
    moved = int(table["unsheltered_to_doubled_up"].iloc[1:].sum())
    assert at_risk > 200, "too few unsheltered family-months to test"
    assert_binomial(moved, at_risk, p, what="unsheltered -> doubled up")


def test_turned_away_families_go_unsheltered_at_their_share():
    share = 0.4
    over = {**BINDING, "capacity.share_turned_away_unsheltered": share,
            "population.n_families": 8_000, "time.burn_in_months": 0, "time.months": 60}  # fmt: skip
    table = SystemModel(Params().with_overrides(over), rng=9).run().monthly_table()
    # Families turned away from doubled up (front door) or from a placement (breakdown) alike.
    assert_binomial(
        int(table["turned_away_unsheltered"].sum()),
        int(table["shelter_turned_away"].sum()),
        share,
        what="turned away -> unsheltered",
    )


def test_fewer_shelter_units_mean_longer_waits_and_more_unsheltered():
    results = {}
    for units in (3.0, 6.0):
        over = {**BINDING, "capacity.shelter_units_per_1000_families": units,
                "time.burn_in_months": 12, "time.months": 48}  # fmt: skip
        table = SystemModel(Params().with_overrides(over), rng=12).run().monthly_table()
        results[units] = table
    small, large = results[3.0], results[6.0]
    assert small["shelter_queue"].mean() > large["shelter_queue"].mean()
    assert small["n_unsheltered"].mean() > large["n_unsheltered"].mean()

    def mean_wait(t):
        return t["shelter_queue_wait_months"].sum() / t["shelter_queue_left"].sum()

    assert mean_wait(small) > mean_wait(large)


def test_landlord_acceptance_is_units_over_searchers_and_bounds_leases():
    models = list(stepped({}, seed=13, months=48))
    table = models[-1].monthly_table()
    units = models[-1].capacity.landlord_units
    assert (table["landlord_units"] == units).all()
    assert (table["landlord_acceptance"] <= 1.0).all()
    assert (table["landlord_acceptance"] < 1.0).any()
    leases = (
        table["exits_to_rrh"] + table["exits_to_voucher"] + table["rehousing_leased"]
        + table["vouchers_leased"]
    )  # fmt: skip
    # Each search succeeds with (its own chance) x units / searchers, so on average at most `units`.
    assert leases.mean() <= units + 3 * leases.std() / np.sqrt(len(leases))
    more = (
        SystemModel(
            Params().with_overrides(
                {
                    **BINDING,
                    "capacity.landlord_units_per_1000_families_per_month": 5.0,
                    "time.burn_in_months": 0,
                    "time.months": 48,
                }  # fmt: skip
            ),
            rng=13,
        )
        .run()
        .monthly_table()
    )
    assert more["landlord_queue"].mean() < table["landlord_queue"].mean()


def test_capacity_units_scale_with_the_population():
    params = Params().with_overrides(
        {"population.n_families": 2_500, "capacity.shelter_units_per_1000_families": 7.3}
    )
    assert SystemModel(params, rng=1).capacity.shelter_units == round(7.3 * 2.5)
    with pytest.raises(Exception, match="greater than or equal to 0"):
        Params().with_overrides({"capacity.shelter_units_per_1000_families": -1})
