"""The service-spell table: who served which family, when, and what each award cost.

One small service run (burn-in, turnover, partial alignment, so every kind of spell start and end
happens) is checked against what the processes counted in the monthly table, the money booked, the
family arrays at the end and the staff agents; a second run without burn-in checks the re-housing
ledger, which awards made during burn-in would blur.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers_services import Probe
from sysmodel import Params, SystemModel, run_scenario
from sysmodel.params import SERVICE_SCHEDULE
from sysmodel.population import NEVER
from sysmodel.services import ROLES
from sysmodel.spells import SERVICES, SPELL_COLUMNS

# Service of each staff role, and the monthly column counting its assignments.
ROLE_OF = {
    "career_coaching": "coach",
    "financial_coaching": "financial",
    "rent_assistance_coordination": "coordinator",
}
AWARDS = ("prevention_award", "rehousing_award", "hub_voucher")  # named by the coordinator at award

SPELL_RUN = {
    "population.n_families": 2_000,
    "time.burn_in_months": 6,
    "time.months": 36,
    "schedule.processes": SERVICE_SCHEDULE,
    "services.model": "aligned",
    "services.alignment": 0.5,  # coaches both stay on and lose clients in crisis
    "services.p_refer_financial": 0.5,
    "agencies.caseload_cap": 8,  # small caseloads: clients spread over every provider's coaches
    "assistance.annual_budget_usd": 150_000.0,
    "assistance.share_prevention": 0.5,
    "assistance.prevention_max_months_rent": 3.0,
    "assistance.share_vouchers": 0.2,  # hub vouchers are spells too
    "turnover.p_move_out_per_month": 0.02,
    "help_seeking.p_seek_help_behind_per_month": 0.3,
}


Held = set[tuple[int, str, int, int]]


@pytest.fixture(scope="module")
def observed() -> tuple[tuple[SystemModel, pd.DataFrame, pd.DataFrame, pd.DataFrame], Held]:
    """The run (see ``run``) and, seen by a probe each recorded month just before service delivery,
    every (family id, service, month, staff id) of a family holding a staff member."""
    model = SystemModel(Params().with_overrides(SPELL_RUN), rng=81)
    uids = {role: np.array([m.unique_id for m in model.services.staff[role]]) for role in ROLES}
    held: Held = set()

    def look(m: SystemModel, month: int) -> None:
        if month < 0:
            return
        for service, role in ROLE_OF.items():
            column = getattr(m.population, ROLES[role][1])
            rows = np.flatnonzero(column >= 0)
            staff = uids[role][column[rows]]
            fids = m.population.fid[rows]
            held.update((int(f), service, month, int(s)) for f, s in zip(fids, staff, strict=True))

    # Before "services": this month's assignments are made, and its spells have not ended yet.
    Probe.insert_before(model, "services", look)
    model.run()
    tables = (model, model.monthly_table(), model.family_table(), model.spell_table())
    return tables, held


@pytest.fixture(scope="module")
def run(observed) -> tuple[SystemModel, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The model after the run, and its monthly, family and spell tables."""
    return observed[0]


def per_month(months: pd.Series, monthly: pd.DataFrame) -> np.ndarray:
    """How many of ``months`` fall in each recorded month (aligned with the monthly table)."""
    return months.value_counts().reindex(monthly["month"], fill_value=0).to_numpy()


def test_spell_table_has_its_schema_and_every_kind_of_spell(run):
    _, _, _, spells = run
    assert tuple(spells.columns) == SPELL_COLUMNS
    assert str(spells["start_month"].dtype) == "Int64" and str(spells["end_month"].dtype) == "Int64"
    assert list(spells["service"].cat.categories) == list(SERVICES)
    reasons = spells.groupby(["service", "end_reason"], observed=True).size()
    for service, reason in [
        ("career_coaching", "completed"),
        ("career_coaching", "lost_in_crisis"),
        ("career_coaching", "disengaged"),
        ("career_coaching", "moved_out"),
        ("financial_coaching", "completed"),
        ("rent_assistance_coordination", "closed"),
        ("rent_assistance_coordination", "moved_out"),
        ("prevention_award", "paid"),
        ("rehousing_award", "leased"),
    ]:
        assert reasons.get((service, reason), 0) >= 3, (service, reason)
    assert spells["start_month"].notna().all(), "every start was seen by the recorder"


def test_every_spell_names_a_staff_member_of_its_role_at_that_members_agency(run):
    model, _, _, spells = run
    for service in SERVICES:
        members = model.services.staff[ROLE_OF.get(service, "coordinator")]
        agency_of = {m.unique_id: m.agency.label for m in members}
        part = spells[spells["service"] == service]
        assert len(part) > 0, service
        assert part["staff_id"].isin(list(agency_of)).all(), (
            f"{service}: not a staff id of its role"
        )
        expected = part["staff_id"].map(agency_of)
        assert (part["agency"].astype(str) == expected).all(), service
    kinds = {a.label: a.kind for a in model.agencies}
    coaching = spells.loc[spells["service"] == "career_coaching", "agency"].astype(str)
    assert coaching.map(kinds).eq("employment_provider").all()
    assert coaching.nunique() > 1, "coaches at several providers"
    awards = spells[spells["service"].isin(AWARDS)]
    assert awards["agency"].astype(str).map(kinds).eq("housing_hub").all()


def test_each_spell_names_the_staff_member_who_held_the_case_in_every_month_of_it(observed):
    (model, monthly, _, spells), held = observed
    last = int(monthly["month"].max())
    covered: Held = set()
    for row in spells[~spells["service"].isin(AWARDS)].itertuples(index=False):
        end = last if pd.isna(row.end_month) else int(row.end_month)
        if row.end_reason == "moved_out":
            end -= 1  # turnover comes first in the month: the family was gone by delivery time
        for month in range(max(int(row.start_month), 0), end + 1):
            covered.add((row.family_id, str(row.service), month, row.staff_id))
    assert len(held) > 1_000
    assert covered == held, (
        f"{len(covered - held)} spell-months nobody held, {len(held - covered)} held outside a spell"
    )
    # An award was handled by the coordinator the family had that month (a refund: that month or the
    # month before, since a family that moves out is gone by the end of its refund month).
    for row in spells[spells["service"].isin(AWARDS)].itertuples(index=False):
        if row.start_month >= 0:
            months = [int(row.start_month)]
            if row.end_reason == "refunded":
                months.append(int(row.start_month) - 1)
            keys = [
                (row.family_id, "rent_assistance_coordination", m, row.staff_id) for m in months
            ]
            assert any(key in held for key in keys), row


def test_spells_of_one_family_and_service_do_not_overlap(run):
    _, _, _, spells = run
    start = spells["start_month"].to_numpy(dtype=float, na_value=np.nan)
    end = spells["end_month"].to_numpy(dtype=float, na_value=np.inf)  # open: runs to the end
    assert (start <= end).all()
    same = (spells["family_id"].to_numpy()[1:] == spells["family_id"].to_numpy()[:-1]) & (
        spells["service"].to_numpy()[1:] == spells["service"].to_numpy()[:-1]
    )
    assert same.sum() > 10, "enough families with repeated spells to check"
    # The table is sorted by family, service and start: a spell begins after the previous one ended.
    assert (start[1:][same] > end[:-1][same]).all()


def test_spells_kept_are_those_of_the_recorded_months(run):
    model, monthly, families, spells = run
    ended = spells["end_month"].dropna()
    assert (ended >= 0).all() and (ended <= monthly["month"].max()).all()
    assert (spells["start_month"] < 0).sum() > 0, (
        "spells open when recording started keep their start"
    )
    assert (spells["start_month"] <= monthly["month"].max()).all()
    assert set(spells["family_id"]) <= set(families["family_id"])


def test_spells_started_each_month_equal_the_monthly_assignments(run):
    _, monthly, _, spells = run
    for service, role in ROLE_OF.items():
        starts = spells.loc[spells["service"] == service, "start_month"]
        assert monthly[f"assigned_{role}"].sum() > 5, role
        np.testing.assert_array_equal(
            per_month(starts, monthly), monthly[f"assigned_{role}"], err_msg=service
        )


def test_coaching_spells_end_for_the_reasons_the_monthly_table_counts(run):
    _, monthly, families, spells = run
    coaching = spells[spells["service"] == "career_coaching"]
    ended = coaching[coaching["end_reason"].isin(["completed", "lost_in_crisis", "disengaged"])]
    np.testing.assert_array_equal(per_month(ended["end_month"], monthly), monthly["coaching_ended"])
    for reason, column in (
        ("lost_in_crisis", "coaching_lost_in_crisis"),
        ("disengaged", "coaching_disengaged"),
    ):
        months = coaching.loc[coaching["end_reason"] == reason, "end_month"]
        np.testing.assert_array_equal(per_month(months, monthly), monthly[column], err_msg=reason)
    # A spell that ended because the family moved out ended in the month it left.
    moved = spells[spells["end_reason"] == "moved_out"]
    left = families.set_index("family_id")["left_month"]
    assert (moved["end_month"].to_numpy() == left.loc[moved["family_id"]].to_numpy()).all()
    assert len(moved) > 5


def test_award_rows_match_the_award_counts_and_the_money_paid(run):
    _, monthly, families, spells = run
    assert monthly["braided_awards"].sum() == 0  # no partnership: every award is counted below
    for service, column in (
        ("prevention_award", "prevention_awards"),
        ("rehousing_award", "rehousing_awards"),
    ):
        awards = spells[(spells["service"] == service) & (spells["end_reason"] != "refunded")]
        starts = awards["start_month"]
        assert monthly[column].sum() > 5, column
        np.testing.assert_array_equal(per_month(starts, monthly), monthly[column], err_msg=service)
    rehousing = spells[spells["service"] == "rehousing_award"]
    for reason, column in (
        ("leased", "rehousing_leased"),
        ("lapsed", "rehousing_awards_lapsed"),
        ("withdrawn", "rehousing_awards_withdrawn"),
        ("refunded", "subsidies_refunded"),
    ):
        months = rehousing.loc[rehousing["end_reason"] == reason, "end_month"]
        np.testing.assert_array_equal(per_month(months, monthly), monthly[column], err_msg=reason)
    assert spells.loc[~spells["service"].isin(AWARDS), "amount_usd"].isna().all()

    # Money: per family, and prevention in total (paid at once, so no burn-in awards to blur it).
    prevention = spells[spells["service"] == "prevention_award"]
    assert (prevention["amount_usd"] > 0).all()
    assert prevention["amount_usd"].sum() == pytest.approx(monthly["cost_prevention_usd"].sum())
    # Unused months of a hub subsidy come back as a negative row when the family loses or leaves
    # its unit early.
    refunded = rehousing[rehousing["end_reason"] == "refunded"]
    assert len(refunded) > 0 and (refunded["amount_usd"] < 0).all()
    assert (refunded["start_month"] == refunded["end_month"]).all()
    leased = rehousing[rehousing["end_reason"].isin(["leased", "refunded"])]
    for frame, column in ((prevention, "prevention_usd"), (leased, "rehousing_usd")):
        by_family = frame.groupby("family_id")["amount_usd"].sum()
        expected = families.set_index("family_id")[column]
        got = by_family.reindex(expected.index, fill_value=0.0)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, err_msg=column)
    returned = rehousing["end_reason"].isin(["withdrawn", "lapsed", "moved_out"])
    assert (rehousing.loc[returned, "amount_usd"] == 0).all()


def test_rehousing_award_amounts_sum_to_the_hub_rehousing_spending():
    """Without burn-in every award's commitment, adjustments and refunds fall in the recorded months."""
    model = SystemModel(
        Params().with_overrides({**SPELL_RUN, "time.burn_in_months": 0, "time.months": 18}), rng=82
    ).run()
    monthly, spells = model.monthly_table(), model.spell_table()
    rehousing = spells[spells["service"] == "rehousing_award"]
    assert (rehousing["end_reason"] == "leased").sum() > 5
    assert rehousing["amount_usd"].sum() == pytest.approx(monthly["cost_hub_rehousing_usd"].sum())


def test_open_spells_at_the_end_are_the_families_holding_a_staff_member(run):
    model, _, _, spells = run
    pop = model.population
    open_ = spells[spells["end_reason"] == "open"]
    assert open_["end_month"].isna().all()
    assert spells.loc[spells["end_reason"] != "open", "end_month"].notna().all()
    for service, role in ROLE_OF.items():
        column = getattr(pop, ROLES[role][1])
        uids = np.array([m.unique_id for m in model.services.staff[role]])
        holding = column >= 0
        expected = set(zip(pop.fid[holding].tolist(), uids[column[holding]].tolist(), strict=True))
        part = open_[open_["service"] == service]
        assert len(expected) > 0, service
        assert set(zip(part["family_id"], part["staff_id"], strict=True)) == expected, service
        assert len(part) == len(expected)
    awards = open_[open_["service"] == "rehousing_award"]
    searching = pop.award_month != NEVER
    assert sorted(awards["family_id"]) == sorted(pop.fid[searching].tolist())
    assert awards["amount_usd"].sum() == pytest.approx(pop.award_usd[searching].sum())


def test_family_table_names_each_familys_coaches_and_last_staff(run):
    model, _, families, spells = run
    pop = model.population
    f = families.set_index("family_id")
    staff = spells[~spells["service"].isin(AWARDS)]
    for service, column in (
        ("career_coaching", "last_coach_id"),
        ("financial_coaching", "last_financial_coach_id"),
        ("rent_assistance_coordination", "last_coordinator_id"),
    ):
        served = set(staff.loc[staff["service"] == service, "family_id"])
        assert ((f[column] >= 0) == f.index.isin(served)).all(), column
        # Whoever serves a family at the end is its last staff member.
        role = ROLE_OF[service]
        holding = getattr(pop, ROLES[role][1]) >= 0
        uids = np.array([m.unique_id for m in model.services.staff[role]])
        now = uids[getattr(pop, ROLES[role][1])[holding]]
        assert (f.loc[pop.fid[holding], column].to_numpy() == now).all(), column
    coaching = staff[staff["service"] == "career_coaching"]
    n = coaching.groupby("family_id")["staff_id"].nunique()
    assert (f["n_coaches"].reindex(n.index) == n).all()
    assert (f.loc[~f.index.isin(n.index), "n_coaches"] == 0).all()
    assert (n > 1).any(), "some family saw two coaches"


def test_same_seed_gives_an_identical_spell_table_and_it_is_saved(tmp_path):
    small = {**SPELL_RUN, "population.n_families": 600, "time.months": 12}
    a = run_scenario(Params().with_overrides(small), seed=5)
    b = run_scenario(Params().with_overrides(small), seed=5)
    assert len(a.spells) > 20
    pd.testing.assert_frame_equal(a.spells, b.spells, check_exact=True)
    c = run_scenario(Params().with_overrides(small), seed=6)
    assert not a.spells.equals(c.spells)

    out = a.save(tmp_path / "run")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "spells.parquet"), a.spells)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "spells.parquet" in manifest["files"]
