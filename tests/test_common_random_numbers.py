"""Common random numbers: a process's draws depend only on (seed, process, month, draw).

Changing one process's parameters must leave every other process's *draws* unchanged. Outcomes may
still diverge (a housing change feeds back into training drop-outs, rents, ...), so the end-to-end
tests compare the arrays each process was handed, and compare outcomes only where no feedback can
have reached them yet.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import RecordingStreams, assert_same_draws, shifted
from sysmodel import SystemModel
from sysmodel.population import COLUMNS, UNEMPLOYED
from sysmodel.processes.economy import Economy
from sysmodel.streams import Streams

# --- the streams themselves --------------------------------------------------------------------


def test_uniform_depends_only_on_seed_process_month_and_draw():
    a, b = Streams(42, 1000), Streams(42, 1000)
    first = a.uniform("economy", 3, "job_loss")
    # Other draws in between, in another order and on another instance, change nothing.
    b.uniform("housing", 3, "transition")
    b.normal("economy", 3, "wage_offer")
    b.uniform("economy", 2, "job_loss")
    assert np.array_equal(b.uniform("economy", 3, "job_loss"), first)
    assert np.array_equal(a.uniform("economy", 3, "job_loss"), first), "a repeat call differs"


@pytest.mark.parametrize(
    ("seed", "process", "month", "draw"),
    [
        (43, "economy", 3, "job_loss"),
        (42, "housing", 3, "job_loss"),
        (42, "economy", 4, "job_loss"),
        (42, "economy", -3, "job_loss"),
        (42, "economy", 3, "job_find"),
    ],
    ids=["seed", "process", "month", "burn_in_month", "draw"],
)
def test_each_key_component_changes_the_draws(seed, process, month, draw):
    reference = Streams(42, 1000).uniform("economy", 3, "job_loss")
    other = Streams(seed, 1000).uniform(process, month, draw)
    assert not np.array_equal(reference, other)
    assert np.abs(np.corrcoef(reference, other)[0, 1]) < 0.15, "streams should be independent"


def test_a_rows_draw_does_not_depend_on_the_number_of_rows():
    small = Streams(42, 300).uniform("economy", 3, "job_loss")
    large = Streams(42, 1000).uniform("economy", 3, "job_loss")
    assert np.array_equal(small, large[:300])
    assert np.array_equal(
        Streams(42, 300).normal("economy", 3, "wage_offer"),
        Streams(42, 1000).normal("economy", 3, "wage_offer")[:300],
    )


def test_uniforms_are_in_the_unit_interval_and_look_uniform():
    u = Streams(42, 20_000).uniform("economy", 0, "job_loss")
    assert u.min() >= 0.0 and u.max() < 1.0
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / u.size)


# --- end to end: two models on one seed ---------------------------------------------------------


def lockstep(params_a, params_b, seed=11):
    """Two models on one seed, each with recording streams."""
    a, b = SystemModel(params_a, rng=seed), SystemModel(params_b, rng=seed)
    rec_a, rec_b = RecordingStreams.install(a), RecordingStreams.install(b)
    return a, b, rec_a, rec_b


def run_both(a, b, months):
    for _ in range(months):
        a.step()
        b.step()


def outcomes_differ(a: SystemModel, b: SystemModel) -> bool:
    return not a.monthly_table().equals(b.monthly_table()) or any(
        not np.array_equal(a.population.column(c), b.population.column(c)) for c in COLUMNS
    )


@pytest.mark.parametrize(
    ("changed", "observed"),
    [
        ("housing.p_case_decided_per_month", "economy"),
        ("housing.p_shelter_exit_per_month", "economy"),
        ("housing.p_filing_per_month_behind", "help_seeking"),
        ("turnover.p_move_out_per_month", "economy"),
        ("turnover.p_move_out_per_month", "housing"),
        ("economy.p_job_find_per_month", "housing"),
        ("economy.p_expense_shock_per_month", "housing"),
        ("benefits.cliff_threshold_fpl", "economy"),
        ("help_seeking.p_seek_help_doubled_up_per_month", "housing"),
    ],
)
def test_changing_one_process_parameter_leaves_another_process_draws_unchanged(
    small_params, changed, observed
):
    other = small_params.with_overrides({changed: shifted(changed)})
    a, b, rec_a, rec_b = lockstep(small_params, other)
    run_both(a, b, small_params.time.burn_in_months + 12)
    n = assert_same_draws(rec_a, rec_b, observed)
    assert n > 0, f"{observed} drew nothing"
    # The change must have mattered, or identical draws would prove nothing.
    assert outcomes_differ(a, b), f"changing {changed} changed no outcome"


def test_closed_cohort_leaves_other_processes_draws_unchanged(small_params):
    """Turnover off makes no turnover draws and no newcomers; every other stream is untouched."""
    closed = small_params.with_overrides({"turnover.p_move_out_per_month": 0.0})
    a, b, rec_a, rec_b = lockstep(small_params, closed)
    run_both(a, b, small_params.time.burn_in_months + 12)
    assert rec_a.drawn_by("turnover") and not rec_b.drawn_by("turnover")
    for process in ("economy", "housing", "help_seeking"):
        assert_same_draws(rec_a, rec_b, process)
    assert outcomes_differ(a, b)


class EconomyWithExtraDraw(Economy):
    """The economy process with one more draw each month (a new feature, say)."""

    def step(self, month: int) -> None:
        self.uniform("an_extra_draw_added_later")
        super().step(month)


def test_adding_a_draw_to_one_process_does_not_move_other_processes_draws(small_params):
    a, b, rec_a, rec_b = lockstep(small_params, small_params)
    i = b.process_order.index("economy")
    b.processes[i] = EconomyWithExtraDraw(b)
    b.processes[i].setup()
    run_both(a, b, small_params.time.burn_in_months + 6)
    for process in ("turnover", "housing", "help_seeking"):
        assert_same_draws(rec_a, rec_b, process)
    # The economy's own existing draws are unchanged too: only the new key is added.
    extra = [r for r in rec_b.drawn_by("economy") if r[0][3] == "an_extra_draw_added_later"]
    assert len(extra) == small_params.time.burn_in_months + 6
    rec_b.records = [r for r in rec_b.records if r[0][3] != "an_extra_draw_added_later"]
    assert_same_draws(rec_a, rec_b, "economy")
    assert a.monthly_table().equals(b.monthly_table()), "an unused extra draw changed outcomes"


def snapshot_economy(model: SystemModel, log: list[dict[str, np.ndarray]]) -> None:
    """Wrap the model's economy process so each month logs the population before and after it."""
    proc = next(p for p in model.processes if p.name == "economy")
    inner = proc.run_month

    def run_month(month: int) -> None:
        before = {c: model.population.column(c).copy() for c in COLUMNS}
        inner(month)
        after = {c: model.population.column(c).copy() for c in COLUMNS}
        log.append({"month": month, "before": before, "after": after})

    proc.run_month = run_month  # instance attribute: only this model is affected


def test_housing_change_leaves_economy_outcomes_unchanged_until_it_can_feed_back(small_params):
    """First month: the economy runs before housing, so its whole result is identical. Every month:
    a job loss depends only on the job held and the job-loss draw, so families holding the same job
    in both runs lose it in both or in neither, however far the runs have diverged elsewhere."""
    path = "housing.p_case_decided_per_month"
    other = small_params.with_overrides({path: shifted(path)})
    a, b, _, _ = lockstep(small_params, other)
    log_a: list[dict] = []
    log_b: list[dict] = []
    snapshot_economy(a, log_a)
    snapshot_economy(b, log_b)
    months = small_params.time.burn_in_months + 18
    run_both(a, b, months)

    first_a, first_b = log_a[0], log_b[0]
    for c in COLUMNS:
        assert np.array_equal(first_a["before"][c], first_b["before"][c]), c
        assert np.array_equal(first_a["after"][c], first_b["after"][c]), c

    compared = losses = 0
    for ma, mb in zip(log_a, log_b, strict=True):
        emp_a, emp_b = ma["before"]["emp"], mb["before"]["emp"]
        same_job = (emp_a == emp_b) & (emp_a != UNEMPLOYED)
        lost_a = same_job & (ma["after"]["emp"] == UNEMPLOYED)
        lost_b = same_job & (mb["after"]["emp"] == UNEMPLOYED)
        assert np.array_equal(lost_a, lost_b), f"month {ma['month']}: job losses differ"
        compared += int(same_job.sum())
        losses += int(lost_a.sum())
    assert compared > 0 and losses > 0, "no job losses to compare"
    # The housing change did feed back into the economy eventually (else the test is too easy).
    assert any(
        not np.array_equal(ma["before"]["emp"], mb["before"]["emp"])
        or not np.array_equal(ma["before"]["training_left"], mb["before"]["training_left"])
        or not np.array_equal(ma["before"]["housing"], mb["before"]["housing"])
        for ma, mb in zip(log_a, log_b, strict=True)
    )
