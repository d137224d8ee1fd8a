"""A deliberately plain, object-per-family Mesa version of sysmodel's family dynamics.

``ReferenceModel`` is the docking partner and speed baseline of the fast engine
(:class:`sysmodel.SystemModel`). Every family is an ordinary :class:`mesa.Agent` with plain Python
attributes, and :meth:`ReferenceFamily.step` does that family's month (or its part of the month up
to the next stage, see below) in scalar Python: turnover, economy, benefits, budget, housing,
placement breakdown and help seeking, in ``params.schedule.processes`` order, with the rules of
``src/sysmodel/processes/*.py``, ``capacity.py`` and ``policies/benefit_schedules.py`` re-written by
hand and reading the same :class:`sysmodel.params.Params`. It shares no code with the
engine's processes and no random streams: draws come from ``self.model.random`` (a ``random.Random``
seeded by ``rng=``), one draw at a time and only when a rule needs it. The two models therefore
agree in distribution, not draw by draw, and ``tests/test_docking.py`` compares them statistically.

Activation order. The engine applies each process to all families before the next process
(process-major); here each family runs its processes before the next family (family-major, via
``shuffle_do("step")``). While families do not interact the two orders give the same distribution of
outcomes, and with no capacity limited (the defaults) the whole month is one stage: each family's
``step()`` is its whole month. Capacities (``params.capacity``) make families share shelter units,
status-quo vouchers and landlords' units, so the month is cut into *stages* at the points where the
engine's process-major order decides who gets what (:meth:`ReferenceModel.plan_stages`): every family
finishes a stage (family-major, in random order) before the model allocates the shared units (plain
Python hooks with the model's own lists and counters), and then the next stage begins:

- ``housing`` is a stage of its own when there is a voucher stock or a limit on landlords' units. Before
  it the model issues free vouchers to its waiting list (first come, first served); during it a shelter
  family matched to a voucher takes a free one or joins the list, and families holding a voucher or an
  RRH place are collected as searchers; after it the model computes the month's landlord acceptance
  ``min(1, units / searchers)`` and leases up each searcher with that chance (a doubled-up or
  unsheltered voucher holder that does not lease makes its usual move instead).
- ``placements`` and ``help_seeking`` each end a stage when shelter units are limited: families sent to
  shelter (a breakdown, or admitted at the front door) are collected, and after the stage the model
  admits them while units are free: at the front door the waiting list first (in the order families
  joined it), for breakdowns only the units beyond those owed to the list. A family turned away joins
  the list and sleeps unsheltered (share ``share_turned_away_unsheltered``) or waits doubled up.

New arrivals compete in the random order of the stage (the engine takes them in row order, an
arbitrary but exchangeable order); waiting lists are first come, first served in the order families
joined them (the engine breaks ties within a month by row).

Rules mirrored on purpose, including quirks of the engine (see the docking report):

- One transition uniform per family and month in housing, with competing exits laid out as
  intervals; for a subsidised family that owes rent, the voucher-exit interval follows the filing
  interval.
- A newcomer's ``months_in_state`` starts at 0.
- Rent increases, training drop-out risk and help-seeking use the housing state current when that
  process runs (so a family moved by ``housing`` asks for help in its new state the same month).
- Vouchers in use (for the stock) are counted when ``housing`` starts, so a voucher given up this month
  is free for next month's matches. A family waiting for a voucher or searching for a unit is not
  matched again (no RRH either) but may still leave shelter on its own; an RRH search ends when the
  family leaves shelter, a voucher search when it is housed.
- Landlord acceptance counts the searchers at the start of ``housing`` plus the month's new ones; with
  ``double_count_new_searchers`` (what the engine does as of commit 05143f2) the new ones are counted
  twice. The engine's docstring says once; see ``tests/test_docking.py``.

Only the family dynamics are here (``params.FAMILY_SCHEDULE``, with the capacities of issue 8): no
agencies, staff, network or hub services (so no hub award or hub voucher looks for a landlord).
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import mesa
import pandas as pd

from sysmodel.outputs import EVENTS as ENGINE_EVENTS
from sysmodel.params import EMPLOYMENT_STATES, HOUSING_STATES, Params
from sysmodel.population import COUNTERS

__all__ = ["ReferenceModel", "ReferenceFamily", "EVENTS", "QUEUES"]

# Housing and employment codes, written out here (not imported) so the reference stays independent.
STABLE, BEHIND, FILED, DOUBLED_UP, SHELTER, REHOUSED, SUBSIDIZED, UNSHELTERED = range(8)
UNEMPLOYED, LOW_WAGE, FAMILY_WAGE = range(3)
LEASE_STATES = frozenset((STABLE, BEHIND, FILED, REHOUSED, SUBSIDIZED))
UNSTABLE_STATES = frozenset((BEHIND, FILED, DOUBLED_UP, SHELTER, UNSHELTERED))
# Without a home: in shelter, or (waiting for it) doubled up or unsheltered.
HOMELESS_STATES = frozenset((DOUBLED_UP, SHELTER, UNSHELTERED))
WITHOUT_HOME = frozenset((DOUBLED_UP, UNSHELTERED))
# What a status-quo placement is looking for a unit with (``search_kind``).
NO_SEARCH, RRH_SEARCH, VOUCHER_SEARCH = range(3)

# Output names are shared with the engine (only the dynamics are re-implemented here): the event
# columns of the monthly table, and the counters reset when recording starts.
EVENTS = ENGINE_EVENTS
_COUNTERS = COUNTERS
# A stage of the month: the family methods run one family at a time, and the model's hooks before
# and after them (ReferenceModel.plan_stages).
Hook = Callable[[], None] | None
Stage = tuple[list[str], Hook, Hook]
# The queues of the monthly table (``<queue>_queue``, ``_joined``, ``_left``, ``_wait_months``).
QUEUES = ("shelter", "landlord", "voucher")

# Process name in params.schedule.processes -> ReferenceFamily method.
_METHODS = {
    "turnover": "turnover",
    "economy": "economy",
    "benefits": "update_benefits",
    "budget": "budget",
    "housing": "housing_transition",
    "placements": "placement_breakdown",
    "help_seeking": "help_seeking",
}


def _constants(params: Params) -> SimpleNamespace:
    """Plain-float copies of the parameters a family reads every month.

    Attribute lookups through pydantic models cost several times a plain attribute; reading them
    once keeps the reference a fair (not needlessly slow) baseline without changing any rule.
    """
    pp, ep, bp, bu = params.population, params.economy, params.benefits, params.budget
    hp, sp, cp = params.housing, params.help_seeking, params.capacity
    shares, cum = [], 0.0
    for g in pp.groups:
        cum += g.share
        shares.append(cum)
    children_cum, cum = [], 0.0
    for p in pp.p_children:
        cum += p
        children_cum.append(cum)
    return SimpleNamespace(
        # population
        group_cum=shares,
        n_groups=len(pp.groups),
        hiring=[g.hiring_multiplier for g in pp.groups],
        wage_mult=[g.wage_multiplier for g in pp.groups],
        landlord=[g.landlord_multiplier for g in pp.groups],
        share_single_adult=pp.share_single_adult,
        children_cum=children_cum,
        share_high_barrier=pp.share_high_barrier,
        skill_a=pp.skill_beta_a,
        skill_b=pp.skill_beta_b,
        share_unemployed_start=pp.share_unemployed_start,
        share_family_wage_start=pp.share_family_wage_start,
        rent_median=pp.rent_median_usd,
        rent_log_sd=pp.rent_log_sd,
        rent_elasticity=pp.rent_income_elasticity,
        rent_ref_income=pp.rent_reference_income_usd,
        savings_mean=pp.savings_mean_usd,
        share_no_savings=pp.share_no_savings,
        share_behind_start=pp.share_behind_start,
        # economy
        p_loss_lw=ep.p_job_loss_low_wage_per_month,
        p_loss_fw=ep.p_job_loss_family_wage_per_month,
        p_find=ep.p_job_find_per_month,
        skill_find=ep.skill_job_find_effect,
        p_fw_offer=ep.p_family_wage_offer_max,
        p_promotion=ep.p_promotion_per_month,
        lw_earn=ep.low_wage_earnings_usd,
        fw_earn=ep.family_wage_earnings_usd,
        earn_sd=ep.earnings_log_sd,
        wage_growth=(1.0 + ep.wage_growth_per_year) ** (1.0 / 12.0),
        p_train_start=ep.p_training_start_per_month,
        training_months=ep.training_months,
        p_dropout=ep.p_training_dropout_per_month,
        dropout_mult=ep.training_dropout_instability_multiplier,
        skill_gain=ep.training_skill_gain,
        p_shock=ep.p_expense_shock_per_month,
        shock_mean=ep.expense_shock_mean_usd,
        rent_inc=ep.rent_increase_per_year,
        rent_inc_sd=ep.rent_increase_sd,
        # benefits
        schedule=bp.schedule,
        fpl1=bp.fpl_first_person_usd,
        fpl_extra=bp.fpl_per_extra_person_usd,
        max_per_person=bp.max_benefit_per_person_usd,
        taper=bp.benefit_taper,
        cliff_per_child=bp.cliff_benefit_per_child_usd,
        cliff_fpl=bp.cliff_threshold_fpl,
        band_fpl=bp.flexible_phaseout_band_fpl,
        p_decline=bp.p_decline_raise_if_net_loss,
        take_up_start=bp.take_up_start,
        p_start_claiming=bp.p_start_claiming_per_month,
        p_stop_claiming=bp.p_stop_claiming_per_month,
        p_ui=bp.p_ui_takeup,
        ui_rate=bp.ui_replacement_rate,
        ui_max=bp.ui_max_usd,
        ui_months=bp.ui_max_months,
        # budget
        ess_base=bu.essentials_base_usd,
        ess_pp=bu.essentials_per_person_usd,
        ess_min_share=bu.essentials_min_share,
        save_share=bu.share_surplus_saved,
        debt_share=bu.share_surplus_to_debt,
        savings_keep=1.0 - bu.savings_spend_rate_per_month,
        du_contribution=bu.doubled_up_contribution_usd,
        sub_rent_share=bu.subsidized_rent_share_of_income,
        # housing
        p_file=hp.p_filing_per_month_behind,
        file_cap=hp.filing_arrears_cap_months,
        p_informal=hp.p_informal_move_per_month_behind,
        p_decided=hp.p_case_decided_per_month,
        p_evict=hp.p_eviction_given_judgment,
        p_du_exit=hp.p_doubled_up_exit_per_month,
        p_shelter_exit=hp.p_shelter_exit_per_month,
        hb_exit_mult=hp.high_barrier_exit_multiplier,
        share_exit_du=hp.share_shelter_exits_to_doubled_up,
        p_rrh=hp.p_rapid_rehousing_per_month,
        p_voucher=hp.p_voucher_per_month,
        rrh_months=hp.rrh_subsidy_months,
        rrh_share=hp.rrh_subsidy_share,
        p_voucher_exit=hp.p_voucher_exit_per_month,
        market_rent=hp.rent_market_multiplier * pp.rent_median_usd,
        # placement breakdown (processes/placements.py)
        placements_on=(
            hp.p_placement_conflict_per_month > 0
            or hp.p_nonrenewal_at_lease_end > 0
            or hp.p_breakdown_per_unit_rent_burden_per_month > 0
        ),
        bd_window=hp.placement_breakdown_window_months,
        p_conflict=hp.p_placement_conflict_per_month,
        p_nonrenewal=hp.p_nonrenewal_at_lease_end,
        p_burden=hp.p_breakdown_per_unit_rent_burden_per_month,
        burden_threshold=hp.rent_burden_threshold,
        share_bd_shelter=hp.share_breakdowns_to_shelter,
        # help seeking
        p_seek={
            BEHIND: sp.p_seek_help_behind_per_month,
            FILED: sp.p_seek_help_filed_per_month,
            DOUBLED_UP: sp.p_seek_help_doubled_up_per_month,
            UNSHELTERED: sp.p_seek_help_doubled_up_per_month,
        },
        p_admit=sp.p_shelter_admission,
        engagement_loss=sp.engagement_loss_per_intake,
        engagement_recovery=sp.engagement_recovery_per_month,
        # turnover
        p_move_out=params.turnover.p_move_out_per_month,
        # capacities (whole units for this population; None = no limit)
        shelter_units=_units(cp.shelter_units_per_1000_families, pp.n_families),
        landlord_units=_units(cp.landlord_units_per_1000_families_per_month, pp.n_families),
        voucher_stock=_units(cp.voucher_stock_per_1000_families, pp.n_families),
        share_unsheltered=cp.share_turned_away_unsheltered,
        p_unsheltered_to_du=cp.p_unsheltered_to_doubled_up_per_month,
    )


def _units(per_1000: float | None, n_families: int) -> int | None:
    """A capacity per 1,000 families in whole units for ``n_families`` (None: no limit)."""
    return None if per_1000 is None else int(round(per_1000 * n_families / 1000.0))


def benefit_amount(c: SimpleNamespace, earnings: float, size: int, children: int) -> float:
    """Monthly benefits of one household (scalar re-implementation of the benefit schedules)."""
    tapered = c.max_per_person * size - c.taper * earnings
    if tapered < 0.0:
        tapered = 0.0
    fpl = c.fpl1 + c.fpl_extra * (size - 1)
    if c.schedule == "cliff":
        cliff = c.cliff_per_child * children if earnings <= c.cliff_fpl * fpl else 0.0
    else:  # "flexible": linear phase-out over a band above the threshold
        kept = 1.0 - (earnings - c.cliff_fpl * fpl) / (c.band_fpl * fpl)
        kept = 0.0 if kept < 0.0 else (1.0 if kept > 1.0 else kept)
        cliff = c.cliff_per_child * children * kept
    return tapered + cliff


class ReferenceFamily(mesa.Agent):
    """One household with plain attributes; ``step()`` runs its month (stage) in scalar Python."""

    def __init__(self, model: ReferenceModel, newcomer: bool = False):
        super().__init__(model)
        self.draw_from_population()
        # The housing state when the month began (-1: a newcomer starts at 0 months in state).
        self.housing_at_start = -1 if newcomer else self.housing

    # --- synthesis (population.py ``fill``, one family at a time) -----------------------------
    def draw_from_population(self) -> None:
        """Draw this family's attributes from the synthetic population (start-up and newcomers)."""
        m = self.model
        c = m.c
        rnd = m.random.random
        self.family_id = m.next_fid
        m.next_fid += 1
        self.group = min(bisect_right(c.group_cum, rnd()), c.n_groups - 1)
        self.adults = 1 if rnd() < c.share_single_adult else 2
        self.children = min(bisect_right(c.children_cum, rnd()), 4)
        self.size = self.adults + self.children
        self.high_barrier = rnd() < c.share_high_barrier
        self.skill = m.random.betavariate(c.skill_a, c.skill_b)
        employed = rnd() >= c.share_unemployed_start
        if not employed:
            self.emp = UNEMPLOYED
        elif rnd() < c.share_family_wage_start * (0.5 + self.skill):
            self.emp = FAMILY_WAGE
        else:
            self.emp = LOW_WAGE
        self.earnings = self.job_earnings(self.emp)
        self.training_left = 0
        self.ui_benefit = 0.0
        self.ui_months_left = 0
        # Benefits from the schedule on arrival, if the family claims them (as the engine's fill).
        self.claims_benefits = rnd() < c.take_up_start
        self.benefits = (
            benefit_amount(c, self.earnings, self.size, self.children)
            if self.claims_benefits
            else 0.0
        )
        self.rent = self.lease_rent(c.rent_median)
        self.lease_month = math.floor(rnd() * 12)
        self.assisted_lease_month: int | None = None  # month of the latest assisted lease-up
        has_savings = rnd() >= c.share_no_savings
        self.savings = m.random.expovariate(1.0) * c.savings_mean if has_savings else 0.0
        behind = rnd() < c.share_behind_start
        self.arrears = self.rent if behind else 0.0
        self.debt = 0.0
        self.housing = BEHIND if behind else STABLE
        self.months_in_state = 0
        self.subsidy_left = 0
        self.subsidy_share = 0.0
        self.engagement = 1.0
        self.sought_help = False
        self.ever_sheltered = False
        self.expense_shock = 0.0
        # Queues (capacities): the month the family joined the shelter's or the voucher waiting
        # list (None: not waiting), and what it is looking for a unit with.
        self.shelter_wait_month: int | None = None
        self.voucher_wait_month: int | None = None
        self.search_kind = NO_SEARCH
        for name in _COUNTERS:
            setattr(self, name, 0)
        self.first_shelter_month = -1
        self.last_housing_exit_month = -1
        self.entered_month = max(m.month, 0)
        self.income_start = self.income
        self.emp_start = self.emp
        self.savings_start = self.savings

    def job_earnings(self, emp: int) -> float:
        """Monthly earnings of a new job of type ``emp`` (log-normal around the type's median)."""
        if emp == UNEMPLOYED:
            return 0.0
        c = self.model.c
        median = c.fw_earn if emp == FAMILY_WAGE else c.lw_earn
        return median * c.wage_mult[self.group] * math.exp(c.earn_sd * self.model.random.gauss())

    @property
    def income(self) -> float:
        """Earnings plus benefits, USD/month."""
        return self.earnings + self.benefits

    # --- the month ----------------------------------------------------------------------------
    def step(self) -> None:
        """This family's part of the month: the processes of the model's current stage, in order
        (with no capacity limited, one stage holds every process: the family's whole month)."""
        self.run_processes(self.model.stage, 0)

    def run_processes(self, names: list[str], start: int) -> None:
        """Run the methods ``names[start:]`` (a newcomer ends its predecessor's stage)."""
        model = self.model
        for i in range(start, len(names)):
            if names[i] == "turnover":
                if self.turnover():
                    # A newcomer takes this family's place and lives the rest of the month.
                    newcomer = ReferenceFamily(model, newcomer=True)
                    newcomer.run_processes(names, i + 1)
                    model.leave_queues(self)
                    self.remove()
                    return
            else:
                getattr(self, names[i])()

    def end_month(self) -> None:
        """Month-end bookkeeping (the engine's SystemModel.step, per family)."""
        self.months_in_state = (
            0 if self.housing != self.housing_at_start else self.months_in_state + 1
        )
        if self.housing == SHELTER or self.housing == UNSHELTERED:
            self.months_homeless += 1
        self.housing_at_start = self.housing

    def turnover(self) -> bool:
        """Return True if the family leaves the service area this month (its record is kept)."""
        model = self.model
        rate = model.c.p_move_out
        if rate <= 0 or model.random.random() >= rate:
            return False
        model.events["moves_out"] += 1
        if model.month >= 0:
            model.retired.append(self.record(left_month=model.month))
        return True

    def economy(self) -> None:
        """Job loss, finding and promotion, wage growth, cliff responses, training, shocks, rent."""
        model = self.model
        c, ev, rnd = model.c, model.events, model.random.random
        emp0, earn0, skill = self.emp, self.earnings, self.skill
        hiring = c.hiring[self.group]

        if emp0 == FAMILY_WAGE:
            lost = rnd() < c.p_loss_fw
        elif emp0 == LOW_WAGE:
            lost = rnd() < c.p_loss_lw
        else:
            lost = False

        found = promoted = False
        new_emp = emp0
        if emp0 == UNEMPLOYED:
            if rnd() < min(1.0, c.p_find * (0.5 + c.skill_find * skill) * hiring):
                found = True
                new_emp = FAMILY_WAGE if rnd() < c.p_fw_offer * skill * skill else LOW_WAGE
        elif (
            emp0 == LOW_WAGE and not lost and rnd() < c.p_promotion * skill * hiring
        ):  # a low-wage earner moves up
            promoted = True
            new_emp = FAMILY_WAGE
        if found or promoted:
            new_earn = max(self.job_earnings(new_emp), earn0)
        else:
            new_earn = earn0 * c.wage_growth

        # Benefit cliffs: a gain that lowers earnings + benefits may be turned down (not by a family
        # that has just lost its job).
        declined = False
        if new_earn > earn0 and not lost and self.claims_benefits:
            size, kids = self.size, self.children
            net_old = earn0 + benefit_amount(c, earn0, size, kids)
            net_new = new_earn + benefit_amount(c, new_earn, size, kids)
            if net_new < net_old and rnd() < c.p_decline:
                declined = True
                new_emp, new_earn = emp0, earn0
                ev["raises_declined"] += 1
        if found and not declined:
            ev["jobs_found"] += 1
        if lost:
            self.emp, self.earnings = UNEMPLOYED, 0.0
            ev["jobs_lost"] += 1
            # Unemployment insurance, for those who claim it.
            if c.ui_months > 0 and rnd() < c.p_ui:
                self.ui_benefit = min(c.ui_max, c.ui_rate * earn0)
                self.ui_months_left = c.ui_months
                ev["ui_claims"] += 1
        else:
            self.emp, self.earnings = new_emp, new_earn
        if self.emp != UNEMPLOYED:
            self.ui_benefit, self.ui_months_left = 0.0, 0

        # Training: drop-outs (more likely while housing is unstable), completions, starts.
        if self.training_left > 0:
            p_drop = c.p_dropout * (c.dropout_mult if self.housing in UNSTABLE_STATES else 1.0)
            if rnd() < min(p_drop, 1.0):
                self.training_left = 0
                ev["training_dropouts"] += 1
            else:
                self.training_left -= 1
                if self.training_left == 0:
                    self.skill = min(1.0, skill + c.skill_gain)
                    self.trainings_completed += 1
                    ev["trainings_completed"] += 1
        elif self.emp != FAMILY_WAGE and rnd() < c.p_train_start:
            self.training_left = c.training_months
            self.trainings_started += 1
            ev["trainings_started"] += 1

        # Expense shock (exponential size).
        if rnd() < c.p_shock:
            self.expense_shock = c.shock_mean * model.random.expovariate(1.0)
        else:
            self.expense_shock = 0.0

        # Rent increase at the lease anniversary, for families holding a lease.
        if self.lease_month == model.month % 12 and self.housing in LEASE_STATES:
            factor = 1.0 + c.rent_inc + c.rent_inc_sd * model.random.gauss()
            self.rent *= factor if factor > 0.5 else 0.5

    def update_benefits(self) -> None:
        """Take-up; unemployment insurance while claiming, plus the schedule on earnings and UI."""
        c = self.model.c
        if self.claims_benefits:
            if self.model.random.random() < c.p_stop_claiming:
                self.claims_benefits = False
        elif self.model.random.random() < c.p_start_claiming:
            self.claims_benefits = True
            self.model.events["benefit_claims_started"] += 1
        ui = 0.0
        if self.ui_months_left > 0:
            ui = self.ui_benefit
            self.ui_months_left -= 1
            if self.ui_months_left == 0:
                self.ui_benefit = 0.0
        self.benefits = ui + (
            benefit_amount(c, self.earnings + ui, self.size, self.children)
            if self.claims_benefits
            else 0.0
        )

    def rent_due(self) -> float:
        """Rent (or contribution) owed this month in the current housing state, USD."""
        c, h = self.model.c, self.housing
        if h in (STABLE, BEHIND, FILED):
            return self.rent
        if h == REHOUSED:
            return self.rent * (1.0 - self.subsidy_share)
        if h == SUBSIDIZED:
            return min(self.rent, c.sub_rent_share * self.income)
        if h == DOUBLED_UP:
            return c.du_contribution
        return 0.0  # shelter

    def budget(self) -> None:
        """Balance the month: a surplus repays arrears, then debt, then is partly saved; a deficit
        is met from savings, then becomes rent arrears (up to the rent), then other debt."""
        c = self.model.c
        due = self.rent_due()
        essentials = c.ess_base + c.ess_pp * self.size
        net = self.income - due - essentials - self.expense_shock
        if net < 0.0:  # cut essentials down to the floor first
            net += min(-net, (1.0 - c.ess_min_share) * essentials)
        # Irregular needs spend a share of the savings stock every month, surplus or not.
        self.savings *= c.savings_keep
        if net >= 0.0:
            repay = min(net, self.arrears)
            self.arrears -= repay
            rest = net - repay
            repay_debt = min(self.debt, c.debt_share * rest)
            self.debt -= repay_debt
            self.savings += c.save_share * (rest - repay_debt)
        else:
            deficit = -net
            from_savings = min(deficit, self.savings)
            self.savings -= from_savings
            deficit -= from_savings
            unpaid = min(deficit, due) if self.housing in LEASE_STATES else 0.0
            self.arrears += unpaid
            self.debt += deficit - unpaid

    def lease_rent(self, median: float) -> float:
        """Rent of a unit this family leases: log-normal around ``median``, scaled by income."""
        c = self.model.c
        relative = max(self.income, 0.25 * c.rent_ref_income) / c.rent_ref_income
        return (
            median
            * math.exp(c.rent_log_sd * self.model.random.gauss())
            * relative**c.rent_elasticity
        )

    def filing_hazard(self) -> float:
        """Monthly filing probability given arrears in months of rent (capped)."""
        c = self.model.c
        months_owed = min(self.arrears / max(self.rent, 1.0), c.file_cap)
        return min(1.0, c.p_file * months_owed)

    def new_lease(self) -> None:
        """Sign a new lease at a market rent this month."""
        c = self.model.c
        self.rent = self.lease_rent(c.market_rent)
        self.lease_month = self.model.month % 12

    def housing_transition(self) -> None:
        """A month of housing moves (competing exits share one uniform, as in the engine)."""
        model = self.model
        c, ev, rnd = model.c, model.events, model.random.random
        h = self.housing
        owes = self.arrears > 0.005
        new = h
        lost_home = False

        if h == STABLE:
            if owes:
                new = BEHIND
        elif h == BEHIND:
            if not owes:
                new = STABLE
            else:
                u = rnd()
                p_file = self.filing_hazard()
                if u < p_file:
                    new = FILED
                    self.filings += 1
                    ev["filings"] += 1
                elif u < p_file + c.p_informal:
                    new = DOUBLED_UP
                    lost_home = True
                    ev["informal_moves"] += 1
        elif h == FILED:
            if not owes:
                new = STABLE
                ev["cases_dismissed"] += 1
            elif rnd() < c.p_decided:
                if rnd() < c.p_evict:
                    new = DOUBLED_UP
                    lost_home = True
                    self.evictions += 1
                    ev["evictions"] += 1
                else:
                    new = BEHIND  # payment agreement
        elif h in WITHOUT_HOME:
            if self.search_kind == VOUCHER_SEARCH:
                # A voucher holder looks for a unit first; its own move waits for the lease-up.
                model.seekers.append(self)
                return
            new = self.move_without_home()
        elif h == SHELTER:
            u = rnd()
            p_self = c.p_shelter_exit * (c.hb_exit_mult if self.high_barrier else 1.0)
            if u < c.p_voucher + c.p_rrh:  # matched to a voucher or to rapid re-housing
                kind = VOUCHER_SEARCH if u < c.p_voucher else RRH_SEARCH
                if not model.limited_placements:
                    new = self.lease_assisted(kind)  # no queue: the match is a lease
                elif self.search_kind == NO_SEARCH and self.voucher_wait_month is None:
                    model.match_placement(self, kind)  # a voucher from the stock, or the list
            elif u < c.p_voucher + c.p_rrh + p_self:
                new = DOUBLED_UP if rnd() < c.share_exit_du else STABLE
                ev["shelter_exits"] += 1
                if new == STABLE:
                    self.new_lease()
                    self.last_housing_exit_month = model.month
                    self.housing_exits += 1
                    ev["exits_to_housing"] += 1
            if new == SHELTER and self.search_kind != NO_SEARCH:
                # Holding a voucher or an RRH place: leases up once every family has been matched.
                model.seekers.append(self)
        elif h == REHOUSED:
            if owes and rnd() < self.filing_hazard():
                new = FILED
                self.filings += 1
                ev["filings"] += 1
                self.subsidy_left, self.subsidy_share = 0, 0.0
            else:
                self.subsidy_left -= 1
                if self.subsidy_left <= 0:  # the subsidy runs out on its own clock
                    new = BEHIND if owes else STABLE
                    self.subsidy_left, self.subsidy_share = 0, 0.0
        elif h == SUBSIDIZED:
            u = rnd()
            if owes and u < self.filing_hazard():
                new = FILED
                self.filings += 1
                ev["filings"] += 1
                self.subsidy_left, self.subsidy_share = 0, 0.0
            elif u < (self.filing_hazard() if owes else 0.0) + c.p_voucher_exit:
                new = BEHIND if owes else STABLE

        if lost_home:
            self.debt += self.arrears
            self.arrears = 0.0
        self.housing = new
        if new != h:
            self.settle_queues()

    def move_without_home(self) -> int:
        """Doubled up -> own lease (more likely when working; landlord barriers apply); unsheltered
        -> doubled up (``capacity.p_unsheltered_to_doubled_up_per_month``). Returns the new state."""
        model = self.model
        c = model.c
        if self.housing == DOUBLED_UP:
            p = c.p_du_exit * (1.0 if self.emp != UNEMPLOYED else 0.4) * c.landlord[self.group]
            if model.random.random() < min(1.0, p):
                self.new_lease()
                return STABLE
            return DOUBLED_UP
        if model.random.random() < c.p_unsheltered_to_du:
            model.events["unsheltered_to_doubled_up"] += 1
            return DOUBLED_UP
        return UNSHELTERED

    def lease_assisted(self, kind: int) -> int:
        """Lease a unit now with a voucher or a rapid re-housing place (from shelter, or a voucher
        holder doubled up or unsheltered). Returns the new state."""
        model = self.model
        c, ev = model.c, model.events
        if kind == VOUCHER_SEARCH:
            new = SUBSIDIZED
            ev["exits_to_voucher"] += 1
        else:
            new = REHOUSED
            self.subsidy_left = c.rrh_months
            self.subsidy_share = c.rrh_share
            ev["exits_to_rrh"] += 1
        self.new_lease()
        self.assisted_lease_month = model.month  # placements: breakdown hazards from next month
        if self.housing == SHELTER:  # an exit from shelter to housing
            ev["shelter_exits"] += 1
            self.last_housing_exit_month = model.month
            self.housing_exits += 1
            ev["exits_to_housing"] += 1
        self.housing = new
        return new

    def start_search(self, kind: int) -> None:
        """Begin looking for a unit with a voucher or an RRH place (the landlord queue)."""
        self.search_kind = kind
        self.model.new_searchers += 1

    def end_search(self) -> None:
        self.search_kind = NO_SEARCH

    def settle_queues(self) -> None:
        """After a housing move: a family with a home of its own leaves both waiting lists and ends
        its search (a voucher goes back to the stock); leaving shelter ends an RRH search."""
        model, h = self.model, self.housing
        if h in HOMELESS_STATES:
            if self.search_kind == RRH_SEARCH and h != SHELTER:
                self.end_search()
            return
        if self.shelter_wait_month is not None:
            model.shelter_list.remove(self)
            self.shelter_wait_month = None
        if self.voucher_wait_month is not None:
            model.voucher_list.remove(self)
            self.voucher_wait_month = None
        if self.search_kind != NO_SEARCH:
            self.end_search()

    def help_seeking(self) -> None:
        """Ask for help at the front door; a doubled-up or unsheltered family asking may be admitted
        to shelter (or, when it is full, join its waiting list: :meth:`ReferenceModel.front_door`)."""
        model = self.model
        c, ev = model.c, model.events
        h = self.housing
        p = c.p_seek.get(h, 0.0) * self.engagement
        seek = p > 0.0 and model.random.random() < p
        self.sought_help = seek
        if not seek:
            self.engagement += c.engagement_recovery * (1.0 - self.engagement)
            return
        self.front_door_contacts += 1
        self.intakes += 1
        self.engagement *= 1.0 - c.engagement_loss
        ev["front_door_contacts"] += 1
        if h in WITHOUT_HOME and model.random.random() < c.p_admit:
            model.request_shelter(self)

    def enter_shelter(self) -> None:
        """Enter shelter: first-time or return entry, episodes, and returns after an exit to housing."""
        model = self.model
        ev = model.events
        ev["shelter_entries_return" if self.ever_sheltered else "shelter_entries_first_time"] += 1
        self.housing = SHELTER
        self.episodes += 1
        self.ever_sheltered = True
        if self.first_shelter_month < 0:
            self.first_shelter_month = model.month
        if self.last_housing_exit_month >= 0:  # a return after an exit to housing
            gap = model.month - self.last_housing_exit_month
            for window in (6, 12, 24):
                if gap <= window:
                    setattr(self, f"returns_{window}", getattr(self, f"returns_{window}") + 1)
                    ev[f"returns_within_{window}"] += 1

    def placement_breakdown(self) -> None:
        """An assisted placement may break down within the window after lease-up: conflict, landlord
        non-renewal at the lease anniversary, or rent burden once the subsidy has ended (competing
        intervals of one uniform); the family doubles up or goes straight to shelter."""
        model = self.model
        c, ev = model.c, model.events
        if not c.placements_on:
            return
        h = self.housing
        if h in HOMELESS_STATES:
            self.assisted_lease_month = None  # the placement is already lost
            return
        if self.assisted_lease_month is None or h == FILED:
            return
        since = model.month - self.assisted_lease_month
        if since < 1 or since > c.bd_window:
            return
        ev["placements_at_risk"] += 1
        p_non = c.p_nonrenewal if self.lease_month == model.month % 12 else 0.0
        p_shock = 0.0
        if h in (STABLE, BEHIND):  # the subsidy has ended: the family pays the full rent
            excess = self.rent / max(self.income, 1.0) - c.burden_threshold
            p_shock = c.p_burden * min(max(excess, 0.0), 1.0)
        u = model.random.random()
        if u < c.p_conflict:
            ev["breakdowns_conflict"] += 1
        elif u < c.p_conflict + p_non:
            ev["breakdowns_nonrenewal"] += 1
        elif u < c.p_conflict + p_non + p_shock:
            ev["breakdowns_rent_burden"] += 1
        else:
            return
        ev["placement_breakdowns"] += 1
        self.debt += self.arrears
        self.arrears = 0.0
        self.subsidy_left, self.subsidy_share = 0, 0.0
        self.assisted_lease_month = None
        if model.random.random() < c.share_bd_shelter:
            model.request_shelter(self, breakdown=True)
        else:
            self.housing = DOUBLED_UP

    # --- records ------------------------------------------------------------------------------
    def start_recording(self) -> None:
        """Reset event counters and take start values (when burn-in ends)."""
        for name in _COUNTERS:
            setattr(self, name, 0)
        self.first_shelter_month = -1
        self.last_housing_exit_month = -1
        self.entered_month = 0
        self.income_start = self.income
        self.emp_start = self.emp
        self.savings_start = self.savings

    def record(self, left_month: int = -1) -> dict[str, Any]:
        """This family's row of the per-family table."""
        return {
            "family_id": self.family_id,
            "group": self.group,
            "adults": self.adults,
            "children": self.children,
            "high_barrier": self.high_barrier,
            "entered_month": self.entered_month,
            "left_month": left_month,
            "income_start_usd": self.income_start,
            "income_end_usd": self.income,
            "employment_start": self.emp_start,
            "employment_end": self.emp,
            "savings_start_usd": self.savings_start,
            "savings_end_usd": self.savings,
            "arrears_end_usd": self.arrears,
            "debt_end_usd": self.debt,
            "housing_end": self.housing,
            "months_homeless": self.months_homeless,
            "episodes": self.episodes,
            "evictions": self.evictions,
            "filings": self.filings,
            "months_to_first_shelter": (
                self.first_shelter_month - self.entered_month
                if self.first_shelter_month >= 0
                else math.nan
            ),
            "front_door_contacts": self.front_door_contacts,
            "intakes": self.intakes,
            "trainings_started": self.trainings_started,
            "trainings_completed": self.trainings_completed,
            "claims_benefits_end": self.claims_benefits,
            "housing_exits": self.housing_exits,
            "returns_6": self.returns_6,
            "returns_12": self.returns_12,
            "returns_24": self.returns_24,
        }


class ReferenceModel(mesa.Model):
    """Object-per-family reference version of sysmodel's family dynamics (docking, speed baseline).

    Args:
        params: the same :class:`sysmodel.params.Params` the engine takes (defaults if None).
        rng: the run seed (int); seeds ``self.random``, from which every draw is taken.

        double_count_new_searchers: count the month's new status-quo searchers twice in the landlord
            acceptance, as the engine does as of commit 05143f2 (its docstring says once; False
            follows the docstring).

    Like the engine, the first ``params.time.burn_in_months`` steps are burn-in (``month < 0``) and
    are simulated but not recorded; :meth:`monthly_table` has the engine's column names.
    """

    def __init__(
        self,
        params: Params | None = None,
        *,
        rng: int | None = None,
        double_count_new_searchers: bool = False,
    ):
        super().__init__(rng=rng)
        self.params = params if params is not None else Params()
        schedule = self.params.benefits.schedule
        if schedule not in ("cliff", "flexible"):
            raise ValueError(
                f"the reference implements the 'cliff' and 'flexible' schedules, not {schedule!r}"
            )
        unknown = [n for n in self.params.schedule.processes if n not in _METHODS]
        if unknown:
            raise ValueError(f"the reference has no process {unknown}; it knows {sorted(_METHODS)}")
        self.c = _constants(self.params)
        self.month = -self.params.time.burn_in_months
        self.next_fid = 0
        self.events: dict[str, int] = dict.fromkeys(EVENTS, 0)
        self.retired: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.recording = False
        # Capacities and their queues (None: no limit). Waiting lists hold families in the order
        # they joined; ``seekers`` and the arrivals are this month's, collected during a stage.
        c = self.c
        self.limited_placements = c.voucher_stock is not None or c.landlord_units is not None
        self.double_count_new_searchers = double_count_new_searchers
        self.shelter_list: list[ReferenceFamily] = []
        self.voucher_list: list[ReferenceFamily] = []
        self.front_door_arrivals: list[ReferenceFamily] = []
        self.breakdown_arrivals: list[ReferenceFamily] = []
        self.seekers: list[ReferenceFamily] = []
        self.searchers_at_start = 0  # families looking for a unit when ``housing`` starts
        self.new_searchers = 0  # ... and those who began this month
        self.vouchers_free: int | None = None  # free status-quo vouchers left this month
        self.acceptance = 1.0  # this month's landlord acceptance
        self.queue_since: dict[str, dict[int, int]] = {q: {} for q in QUEUES}
        self.queue_stats: dict[str, float] = {}
        self.stages = self.plan_stages()
        self.stage: list[str] = []
        for _ in range(self.params.population.n_families):
            ReferenceFamily(self)

    def plan_stages(self) -> list[Stage]:
        """The month cut into stages: (family methods, hook before, hook after).

        Families run a stage's methods one family at a time (family-major); a process whose shared
        units are allocated by a hook starts (hook before) or ends (hook after) a stage, so every
        family has done the processes before it when the hook runs.
        """
        c = self.c
        hooks: dict[str, tuple[Hook, Hook]] = {}
        if self.limited_placements:
            hooks["housing"] = (self.open_voucher_stock, self.lease_up)
        if c.shelter_units is not None:
            hooks["placements"] = (None, self.admit_breakdowns)
            hooks["help_seeking"] = (None, self.front_door)
        stages = []
        methods: list[str] = []
        before = None
        for name in self.params.schedule.processes:
            hook_before, hook_after = hooks.get(name, (None, None))
            if hook_before is not None and methods:
                stages.append((methods, before, None))
                methods = []
            if not methods:
                before = hook_before
            methods.append(_METHODS[name])
            if hook_after is not None:
                stages.append((methods, before, hook_after))
                methods, before = [], None
        if methods:
            stages.append((methods, before, None))
        return stages

    @property
    def total_months(self) -> int:
        """Burn-in plus recorded months."""
        return self.params.time.burn_in_months + self.params.time.months

    def step(self) -> None:
        """One month: stage by stage, every family's ``step()`` in random order (and the stage's
        hooks), then month-end bookkeeping and queues, then record (after burn-in)."""
        if self.month >= 0 and not self.recording:
            self.agents_by_type[ReferenceFamily].do("start_recording")
            self.retired.clear()
            self.recording = True
        self.events = dict.fromkeys(EVENTS, 0)
        for methods, before, after in self.stages:
            if before is not None:
                before()
            self.stage = methods
            self.agents_by_type[ReferenceFamily].shuffle_do("step")
            if after is not None:
                after()
        self.month_end()
        if self.recording:
            self.collect()
        self.month += 1

    # --- capacities: shelter ------------------------------------------------------------------
    def request_shelter(self, family: ReferenceFamily, breakdown: bool = False) -> None:
        """``family`` is to enter shelter: at once with no limit on units, else at the stage's end."""
        if self.c.shelter_units is None:
            if breakdown:
                self.events["breakdowns_to_shelter"] += 1
            family.enter_shelter()
        elif breakdown:
            self.breakdown_arrivals.append(family)
        elif family.shelter_wait_month is None:  # a family already waiting keeps its place
            self.front_door_arrivals.append(family)

    def families_in_shelter(self) -> int:
        return sum(1 for f in self.agents_by_type[ReferenceFamily] if f.housing == SHELTER)

    def admit_breakdowns(self) -> None:
        """After ``placements``: breakdowns sent to shelter get the units free beyond those owed to
        the waiting list (in the order they broke down); the rest join the list."""
        free = self.c.shelter_units - self.families_in_shelter() - len(self.shelter_list)
        for family in self.breakdown_arrivals:
            if free > 0:
                free -= 1
                self.events["breakdowns_to_shelter"] += 1
                family.enter_shelter()
            else:
                self.turn_away(family, otherwise=DOUBLED_UP)
        self.breakdown_arrivals = []

    def front_door(self) -> None:
        """After ``help_seeking``: free units go to the waiting list first (first come, first served),
        then to this month's arrivals; arrivals turned away join the list."""
        ev = self.events
        free = self.c.shelter_units - self.families_in_shelter()
        while free > 0 and self.shelter_list:
            family = self.shelter_list.pop(0)
            free -= 1
            ev["shelter_admitted_from_queue"] += 1
            ev["shelter_wait_months_admitted"] += self.month - family.shelter_wait_month
            family.shelter_wait_month = None
            family.enter_shelter()
        for family in self.front_door_arrivals:
            if free > 0:
                free -= 1
                family.enter_shelter()
            else:
                self.turn_away(family, otherwise=None)
        self.front_door_arrivals = []

    def turn_away(self, family: ReferenceFamily, otherwise: int | None) -> None:
        """A full shelter: ``family`` joins the waiting list and sleeps unsheltered (a share) or
        moves to ``otherwise`` (None: stays where it is)."""
        self.events["shelter_turned_away"] += 1
        family.shelter_wait_month = self.month
        self.shelter_list.append(family)
        if self.random.random() < self.c.share_unsheltered:
            self.events["turned_away_unsheltered"] += 1
            family.housing = UNSHELTERED
        elif otherwise is not None:
            family.housing = otherwise

    # --- capacities: status-quo vouchers and landlords' units -----------------------------------
    def open_voucher_stock(self) -> None:
        """Before ``housing``: count the searchers, and issue free vouchers to the waiting list."""
        families = self.agents_by_type[ReferenceFamily]
        self.searchers_at_start = sum(1 for f in families if f.search_kind != NO_SEARCH)
        self.new_searchers = 0
        self.seekers = []
        stock = self.c.voucher_stock
        if stock is None:
            self.vouchers_free = None
            return
        in_use = sum(
            1 for f in families if f.housing == SUBSIDIZED or f.search_kind == VOUCHER_SEARCH
        )
        self.vouchers_free = max(stock - in_use, 0)
        while self.vouchers_free > 0 and self.voucher_list:
            family = self.voucher_list.pop(0)
            family.voucher_wait_month = None
            family.start_search(VOUCHER_SEARCH)
            self.vouchers_free -= 1
            self.events["vouchers_issued_from_queue"] += 1

    def match_placement(self, family: ReferenceFamily, kind: int) -> None:
        """During ``housing``: a shelter family matched to a voucher takes a free one (or joins the
        waiting list); matched to rapid re-housing, it starts looking for a unit."""
        if kind == VOUCHER_SEARCH and self.vouchers_free is not None:
            if self.vouchers_free <= 0:
                family.voucher_wait_month = self.month
                self.voucher_list.append(family)
                self.events["voucher_turned_away"] += 1
                return
            self.vouchers_free -= 1
        family.start_search(kind)

    def lease_up(self) -> None:
        """After ``housing``: this month's acceptance ``min(1, units / searchers)``; each searcher
        leases with that chance; a voucher holder doubled up or unsheltered that does not lease makes
        its usual move (own lease, or doubling up)."""
        units = self.c.landlord_units
        searchers = self.searchers_at_start + self.new_searchers
        if self.double_count_new_searchers:
            searchers += self.new_searchers
        self.acceptance = 1.0 if units is None or searchers <= units else units / searchers
        for family in self.seekers:
            if self.acceptance >= 1.0 or self.random.random() < self.acceptance:
                kind = family.search_kind
                family.end_search()
                family.lease_assisted(kind)
                family.settle_queues()
                continue
            self.events["landlord_turned_away"] += 1
            if family.housing != SHELTER:
                family.housing = family.move_without_home()
                family.settle_queues()
        self.seekers = []

    def leave_queues(self, family: ReferenceFamily) -> None:
        """A family moving out leaves the waiting lists (its search ends with it), and this
        month's lists of families waiting for a hook (empty when ``turnover`` comes first)."""
        if family.shelter_wait_month is not None:
            self.shelter_list.remove(family)
        if family.voucher_wait_month is not None:
            self.voucher_list.remove(family)
        for pending in (self.seekers, self.front_door_arrivals, self.breakdown_arrivals):
            if family in pending:
                pending.remove(family)

    # --- month end ------------------------------------------------------------------------------
    def month_end(self) -> None:
        """Every family's month-end bookkeeping; then each queue's length, joins, departures and
        the departures' waits (compared with the queue at the last month end), and capacity use."""
        c = self.c
        in_shelter = vouchers_in_use = 0
        searching = []
        for f in self.agents_by_type[ReferenceFamily]:
            f.end_month()
            if f.housing == SHELTER:
                in_shelter += 1
            elif f.housing == SUBSIDIZED:
                vouchers_in_use += 1
            if f.search_kind != NO_SEARCH:
                searching.append(f.family_id)
                if f.search_kind == VOUCHER_SEARCH:
                    vouchers_in_use += 1
        members = {
            "shelter": [f.family_id for f in self.shelter_list],
            "landlord": searching,
            "voucher": [f.family_id for f in self.voucher_list],
        }
        row: dict[str, float] = {}
        for queue in QUEUES:
            since = self.queue_since[queue]
            now = set(members[queue])
            left = [fid for fid in since if fid not in now]
            waited = sum(self.month - since.pop(fid) for fid in left)
            joined = [fid for fid in now if fid not in since]
            for fid in joined:
                since[fid] = self.month
            row[f"{queue}_queue"] = len(now)
            row[f"{queue}_queue_joined"] = len(joined)
            row[f"{queue}_queue_left"] = len(left)
            row[f"{queue}_queue_wait_months"] = waited
        units = c.shelter_units
        row["shelter_capacity"] = math.nan if units is None else units
        row["shelter_utilisation"] = math.nan if not units else in_shelter / units
        row["landlord_units"] = math.nan if c.landlord_units is None else c.landlord_units
        row["landlord_acceptance"] = 1.0 if c.landlord_units is None else self.acceptance
        row["voucher_stock"] = math.nan if c.voucher_stock is None else c.voucher_stock
        row["vouchers_in_use"] = vouchers_in_use
        self.queue_stats = row

    def run(
        self, months: int | None = None, progress: Callable[[int, int], None] | None = None
    ) -> ReferenceModel:
        """Run burn-in plus ``months`` recorded months (``params.time.months`` if None).

        ``progress(done, total)`` is called after every month, as in the engine's ``run``.
        """
        recorded = self.params.time.months if months is None else months
        total = self.params.time.burn_in_months + recorded if self.month < 0 else recorded
        for done in range(1, total + 1):
            self.step()
            if progress is not None:
                progress(done, total)
        self.running = False
        return self

    def collect(self) -> None:
        """Append this month's row of outcomes (the columns of the engine's MonthlyRecorder)."""
        families = self.agents_by_type[ReferenceFamily].to_list()
        n = len(families)
        costs = self.params.costs
        counts = [0] * len(HOUSING_STATES)
        employed = family_wage = in_training = 0
        income = earnings = benefits = arrears = debt = engagement = 0.0
        claiming = 0
        savings = []
        for f in families:
            counts[f.housing] += 1
            if f.emp != UNEMPLOYED:
                employed += 1
                if f.emp == FAMILY_WAGE:
                    family_wage += 1
            if f.training_left > 0:
                in_training += 1
            earnings += f.earnings
            benefits += f.benefits
            claiming += f.claims_benefits
            income += f.earnings + f.benefits
            savings.append(f.savings)
            arrears += f.arrears
            debt += f.debt
            engagement += f.engagement
        row: dict[str, Any] = {"month": self.month, "families": n}
        for name, count in zip(HOUSING_STATES, counts, strict=True):
            row[f"n_{name}"] = count
        for event in EVENTS:
            row[event] = self.events[event]
        row["shelter_entries"] = row["shelter_entries_first_time"] + row["shelter_entries_return"]
        row.update(self.queue_stats)  # capacities and queues (month_end)
        row["employment_rate"] = employed / n
        row["family_wage_rate"] = family_wage / n
        row["in_training"] = in_training
        row["mean_income_usd"] = income / n
        row["mean_earnings_usd"] = earnings / n
        row["mean_benefits_usd"] = benefits / n
        row["benefit_take_up"] = claiming / n
        row["mean_savings_usd"] = sum(savings) / n
        row["median_savings_usd"] = statistics.median(savings)
        row["mean_arrears_usd"] = arrears / n
        row["mean_debt_usd"] = debt / n
        row["mean_engagement"] = engagement / n
        row["cost_shelter_usd"] = counts[SHELTER] * costs.shelter_usd
        row["cost_rapid_rehousing_usd"] = counts[REHOUSED] * costs.rapid_rehousing_usd
        row["cost_long_term_subsidy_usd"] = counts[SUBSIDIZED] * costs.long_term_subsidy_usd
        row["cost_total_usd"] = (
            row["cost_shelter_usd"]
            + row["cost_rapid_rehousing_usd"]
            + row["cost_long_term_subsidy_usd"]
        )
        self.rows.append(row)

    def monthly_table(self) -> pd.DataFrame:
        """System outcomes, one row per recorded month (the engine's column names)."""
        return pd.DataFrame(self.rows)

    def family_table(self) -> pd.DataFrame:
        """One row per family that lived in the area while recording (leavers first)."""
        rows = [*self.retired, *(f.record() for f in self.agents_by_type[ReferenceFamily])]
        df = pd.DataFrame(rows)
        groups = [g.name for g in self.params.population.groups]
        df["group"] = pd.Categorical.from_codes(df["group"].astype(int), categories=groups)
        for col in ("employment_start", "employment_end"):
            df[col] = pd.Categorical.from_codes(df[col].astype(int), categories=EMPLOYMENT_STATES)
        df["housing_end"] = pd.Categorical.from_codes(
            df["housing_end"].astype(int), categories=HOUSING_STATES
        )
        return df
