"""The family arrays (struct of arrays) and the synthetic population that fills them.

One :class:`Population` owned by the model holds every family's state as numpy columns, one row per
household slot. Monthly processes work on whole columns at once. :class:`sysmodel.agents.Family` is a thin
Mesa agent whose attributes read and write its row here.

With turnover a family that leaves frees its row and a newcomer (new family id) takes it; the leaving
family's record is kept (:meth:`Population.retire`) so the per-family table covers everyone who lived in
the service area during the run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import betaincinv

from .params import Params
from .streams import Streams

if TYPE_CHECKING:
    from .policies import BenefitSchedule

__all__ = [
    "Population",
    "NEVER",
    "COUNTERS",
    "lease_rent",
    "COLUMNS",
    "STABLE",
    "BEHIND",
    "FILED",
    "DOUBLED_UP",
    "SHELTER",
    "REHOUSED",
    "SUBSIDIZED",
    "UNSHELTERED",
    "UNEMPLOYED",
    "LOW_WAGE",
    "FAMILY_WAGE",
    "HOUSED_PAYING",
    "HOMELESS",
]

# "No month" for month-stamp columns of the service system: months are negative during burn-in, so -1
# cannot mean "none" there.
NEVER = -(2**31)

# Housing states (codes match sysmodel.params.HOUSING_STATES).
STABLE, BEHIND, FILED, DOUBLED_UP, SHELTER, REHOUSED, SUBSIDIZED, UNSHELTERED = range(8)
# States in which a family holds its own lease and owes rent.
HOUSED_PAYING = (STABLE, BEHIND, FILED, REHOUSED, SUBSIDIZED)
N_HOUSING_STATES = 8


def state_mask(states: tuple[int, ...]) -> np.ndarray:
    """A lookup table: ``state_mask(S)[housing]`` is True where a family's state is in S (faster than isin)."""
    table = np.zeros(N_HOUSING_STATES, dtype=bool)
    table[list(states)] = True
    return table


HOMELESS = (SHELTER,)
# Without a home of one's own and not in a shelter bed: doubled up, or unsheltered (turned away from a
# full shelter). Both can ask for shelter, hold re-housing awards and wait on the shelter's list.
NOT_IN_SHELTER_HOMELESS = (DOUBLED_UP, UNSHELTERED)
# Employment states of the main earner (codes match sysmodel.params.EMPLOYMENT_STATES).
UNEMPLOYED, LOW_WAGE, FAMILY_WAGE = range(3)

# name -> (dtype, fill value, description). Every family column is declared here once.
COLUMNS: dict[str, tuple[str, float, str]] = {
    "fid": ("i8", -1, "family id (a newcomer in a freed row gets a new id)"),
    "group": ("i1", 0, "equity group index (population.groups)"),
    "adults": ("i1", 1, "adults in the household (1-2)"),
    "children": ("i1", 0, "children in the household (0-4)"),
    "high_barrier": ("?", False, "high barriers to leaving shelter (long-stayer type)"),
    "emp": ("i1", UNEMPLOYED, "employment state of the main earner"),
    "earnings": ("f8", 0.0, "household earnings, USD/month"),
    "skill": ("f8", 0.0, "skill level, 0-1"),
    "training_left": ("i2", 0, "months of training left (0 = not in training)"),
    "benefits": ("f8", 0.0, "benefits received, USD/month"),
    "claims_benefits": (
        "?",
        False,
        "claims the benefit schedule's benefits it is eligible for (take-up; UI is separate)",
    ),
    "expense_shock": ("f8", 0.0, "unexpected expense this month, USD"),
    "ui_benefit": ("f8", 0.0, "unemployment insurance paid while claiming, USD/month"),
    "ui_months_left": ("i2", 0, "months of unemployment insurance left (0 = not claiming)"),
    "rent": ("f8", 0.0, "contract rent of the family's (last) unit, USD/month"),
    "lease_month": ("i1", 0, "calendar month (0-11) of the lease anniversary"),
    "assisted_lease_month": (
        "i4",
        NEVER,
        "month of the latest assisted lease-up (status-quo RRH or voucher, hub re-housing or hub "
        "voucher; NEVER: none); the placement-breakdown hazards apply for a window after it",
    ),
    "savings": ("f8", 0.0, "savings, USD"),
    "arrears": ("f8", 0.0, "rent arrears owed to the current landlord, USD"),
    "debt": ("f8", 0.0, "other debt (arrears left behind after losing housing), USD"),
    "housing": ("i1", STABLE, "housing state"),
    "months_in_state": ("i2", 0, "months in the current housing state"),
    "subsidy_left": ("i2", 0, "months left of a time-limited subsidy"),
    "subsidy_share": ("f8", 0.0, "share of rent covered by a time-limited subsidy"),
    "engagement": ("f8", 1.0, "engagement with services, 0-1 (falls with each intake)"),
    "sought_help": ("?", False, "asked for help at the front door this month"),
    "front_door_contacts": ("i4", 0, "times the family asked for help at the front door"),
    "intakes": ("i4", 0, "intakes/assessments gone through (administrative burden)"),
    "child_wellbeing": (
        "f8",
        0.0,
        "children's well-being index, 0-100 (families without children: 0)",
    ),
    "wellbeing_base": ("f8", 0.0, "the level children's well-being recovers toward"),
    "cw_involved": ("?", False, "has an open child-welfare case"),
    "cw_months_left": ("i2", 0, "months left of the open child-welfare case"),
    "returns_6": ("i2", 0, "shelter returns within 6 months of an exit to housing (recording)"),
    "returns_12": ("i2", 0, "shelter returns within 12 months of an exit to housing (recording)"),
    "returns_24": ("i2", 0, "shelter returns within 24 months of an exit to housing (recording)"),
    "housing_exits": ("i2", 0, "exits from shelter to housing since recording started"),
    "school_moves": ("i2", 0, "school moves of the children since recording started"),
    "cw_cases": ("i2", 0, "child-welfare cases opened since recording started"),
    "ever_sheltered": (
        "?",
        False,
        "has ever been in shelter (lifetime; decides first-time vs return entries)",
    ),
    "episodes": ("i2", 0, "shelter (homeless) episodes since recording started"),
    "months_homeless": (
        "i4", 0, "months literally homeless (in shelter or unsheltered) since recording started"
    ),
    "evictions": ("i2", 0, "executed evictions since recording started"),
    "filings": ("i2", 0, "eviction filings since recording started"),
    "trainings_started": ("i2", 0, "training courses started"),
    "trainings_completed": ("i2", 0, "training courses completed"),
    # --- the service system (intake, staff, rent assistance) ---
    "known": (
        "i2",
        0,
        "bitmask of agency kinds the family is known to (sysmodel.services.AGENCY_BITS)",
    ),
    "coach": ("i4", -1, "index of the family's career coach (-1 none)"),
    "fin_coach": ("i4", -1, "index of the family's financial coach (-1 none)"),
    "coordinator": ("i4", -1, "index of the family's rent-assistance coordinator (-1 none)"),
    "spell_entry_month": (
        "i4",
        NEVER,
        "month the current career-coaching spell began (NEVER: none)",
    ),
    "spell_income_at_entry": (
        "f8",
        0.0,
        "income when the current career-coaching spell began, USD/month",
    ),
    "coach_months": ("i2", 0, "months in the current career-coaching spell"),
    "fin_months": ("i2", 0, "months in the current financial-coaching spell"),
    "coord_idle_months": ("i2", 0, "months the coordinator case has had no assistance or crisis"),
    "ref_coach": (
        "i4",
        NEVER,
        "month a pending referral reaches an employment provider (NEVER: none)",
    ),
    "ref_fin": ("i4", NEVER, "month a pending referral reaches financial coaching (NEVER: none)"),
    "ref_coord": ("i4", NEVER, "month a pending referral reaches the housing hub (NEVER: none)"),
    "wait_coach": (
        "i4",
        NEVER,
        "month the family joined the coaching waitlist (NEVER: not waiting)",
    ),
    "wait_fin": (
        "i4",
        NEVER,
        "month the family joined the financial-coaching waitlist (NEVER: not waiting)",
    ),
    "wait_coord": ("i4", NEVER, "month the family joined the hub's waitlist (NEVER: not waiting)"),
    "shared_assessment": ("?", False, "has a shared assessment that partner agencies reuse"),
    "crisis_referred": ("?", False, "a coach has referred this housing crisis to the hub"),
    "shared_customer": ("?", False, "has had a coach and a coordinator at the same time"),
    "m_job_find": ("f8", 1.0, "service multiplier on the job-finding hazard"),
    "m_promotion": ("f8", 1.0, "service multiplier on the promotion hazard"),
    "m_dropout": ("f8", 1.0, "service multiplier on the training drop-out hazard"),
    "add_training_start": ("f8", 0.0, "extra monthly training-start probability from coaching"),
    "m_saving": ("f8", 1.0, "service multiplier on saving and debt-repayment shares"),
    "add_take_up": (
        "f8",
        0.0,
        "extra monthly chance of starting to claim benefits, from financial coaching",
    ),
    "applied_prevention_month": (
        "i4",
        NEVER,
        "first month the family applied for prevention (NEVER: never)",
    ),
    "served_prevention_month": (
        "i4",
        NEVER,
        "latest month the family received prevention (NEVER: never)",
    ),
    "prevention_usd": ("f8", 0.0, "prevention dollars received"),
    "applied_rehousing_month": (
        "i4",
        NEVER,
        "first month the family applied for re-housing (NEVER: never)",
    ),
    "served_rehousing_month": (
        "i4",
        NEVER,
        "latest month the family was awarded re-housing (NEVER: never)",
    ),
    "rehousing_usd": ("f8", 0.0, "re-housing dollars committed to the family"),
    "prevention_app_month": (
        "i4",
        NEVER,
        "month the open prevention application was made (NEVER: none)",
    ),
    "rehousing_app_month": (
        "i4",
        NEVER,
        "month the open re-housing application was made (NEVER: none)",
    ),
    "last_prevention_month": (
        "i4",
        NEVER,
        "month of the latest prevention award, burn-in included (NEVER: none)",
    ),
    "award_month": (
        "i4",
        NEVER,
        "month of an open re-housing award still looking for a unit (NEVER: none)",
    ),
    "award_usd": ("f8", 0.0, "funds committed to the open re-housing award"),
    "hub_subsidy_usd": (
        "f8",
        0.0,
        "monthly amount of the hub's re-housing subsidy, committed at lease-up, USD",
    ),
    "hub_subsidy": (
        "?",
        False,
        "the current time-limited subsidy is the hub's (not status-quo RRH)",
    ),
    "hub_voucher": (
        "?",
        False,
        "holds one of the hub's long-term vouchers (housing 'subsidized'; not a status-quo voucher)",
    ),
    "voucher_app_month": (
        "i4",
        NEVER,
        "month the open hub-voucher application (the waiting list) was made (NEVER: none)",
    ),
    "voucher_award_month": (
        "i4",
        NEVER,
        "month of an open hub-voucher award still looking for a unit (NEVER: none)",
    ),
    "hub_voucher_usd": ("f8", 0.0, "hub-voucher subsidy paid for the family, USD"),
    "shelter_wait_month": (
        "i4",
        NEVER,
        "month the family joined the shelter's waiting list, turned away by a full shelter "
        "(capacity.shelter_units_per_1000_families; NEVER: not waiting)",
    ),
    "voucher_wait_month": (
        "i4",
        NEVER,
        "month the family joined the status-quo voucher waiting list, the stock being full "
        "(capacity.voucher_stock_per_1000_families; NEVER: not waiting)",
    ),
    "landlord_search_month": (
        "i4",
        NEVER,
        "month a status-quo placement (RRH or voucher) began looking for a landlord among the units "
        "offered (capacity.landlord_units_per_1000_families_per_month; NEVER: not searching)",
    ),
    "landlord_search_kind": (
        "i1",
        0,
        "what a status-quo landlord search would lease: 0 none, 1 rapid re-housing, 2 voucher",
    ),
    "program_entry_month": (
        "i4",
        NEVER,
        "month of the first career-coaching assignment (NEVER: never)",
    ),
    "program_exit_month": ("i4", NEVER, "month the latest coaching spell closed (NEVER: none)"),
    "income_at_entry": ("f8", 0.0, "income when career coaching began, USD/month"),
    "income_at_exit": ("f8", 0.0, "income when the latest coaching spell closed, USD/month"),
    "exit_employed": ("?", False, "employed when the latest coaching spell closed"),
    "risk_score": ("f8", 0.0, "latest screening score (standard units; 0 if never screened)"),
    "flagged_month": (
        "i4",
        NEVER,
        "latest month the family was flagged by upstream screening (NEVER: never)",
    ),
    "screened_month": (
        "i4",
        NEVER,
        "latest month the family was screened (NEVER: never, or only in burn-in)",
    ),
    # The outcome the realised screening AUC is measured against (set by housing and help_seeking).
    "lost_housing_month": (
        "i4",
        NEVER,
        "first month of losing housing (eviction or shelter entry) since the latest screening, or "
        "since recording started or arrival if not screened since (NEVER: none)",
    ),
    # The outcome the predicted-risk score is measured against (set by help_seeking).
    "sheltered_month": (
        "i4",
        NEVER,
        "first month of a shelter entry since the latest screening, or since recording started or "
        "arrival if not screened since (NEVER: none)",
    ),
    "risk_signal": ("f8", 0.0, "true-risk index at the latest screening (0 if never screened)"),
    "first_shelter_month": (
        "i4",
        -1,
        "month of first shelter entry since recording started (-1 none)",
    ),
    "last_housing_exit_month": (
        "i4",
        -1,
        "month of the latest exit from shelter to housing (-1 none)",
    ),
    "entered_month": ("i4", 0, "month the family entered the service area (0 = present at start)"),
    "income_start": (
        "f8",
        0.0,
        "earnings + benefits when recording started or on arrival, USD/month",
    ),
    "emp_start": ("i1", 0, "employment state when recording started or on arrival"),
    "savings_start": ("f8", 0.0, "savings when recording started or on arrival, USD"),
}

# Columns of the service system, reset to their fill value for each newcomer.
SERVICE_COLUMNS = tuple(COLUMNS)[
    tuple(COLUMNS).index("known") : tuple(COLUMNS).index("first_shelter_month")
]

# Service records (who applied, was served, entered and left coaching): reset when recording starts.
RECORD_COLUMNS = (
    "shared_customer",
    "applied_prevention_month",
    "served_prevention_month",
    "prevention_usd",
    "applied_rehousing_month",
    "served_rehousing_month",
    "rehousing_usd",
    "hub_voucher_usd",
    "program_entry_month",
    "program_exit_month",
    "income_at_entry",
    "income_at_exit",
    "exit_employed",
    "flagged_month",
    "screened_month",
    "lost_housing_month",
    "sheltered_month",
)

# Per-family counters: reset when recording starts (after burn-in) and for each newcomer.
COUNTERS = (
    "episodes",
    "months_homeless",
    "evictions",
    "filings",
    "trainings_started",
    "trainings_completed",
    "front_door_contacts",
    "intakes",
    "school_moves",
    "cw_cases",
    "returns_6",
    "returns_12",
    "returns_24",
    "housing_exits",
)


class Population:
    """Struct-of-arrays store of every family's state: one numpy column per attribute in ``COLUMNS``."""

    # Declared for readers and type checkers; allocated in __init__ from COLUMNS.
    fid: np.ndarray
    group: np.ndarray
    adults: np.ndarray
    children: np.ndarray
    high_barrier: np.ndarray
    emp: np.ndarray
    earnings: np.ndarray
    skill: np.ndarray
    training_left: np.ndarray
    benefits: np.ndarray
    claims_benefits: np.ndarray
    expense_shock: np.ndarray
    ui_benefit: np.ndarray
    ui_months_left: np.ndarray
    rent: np.ndarray
    lease_month: np.ndarray
    assisted_lease_month: np.ndarray
    savings: np.ndarray
    arrears: np.ndarray
    debt: np.ndarray
    housing: np.ndarray
    months_in_state: np.ndarray
    subsidy_left: np.ndarray
    subsidy_share: np.ndarray
    engagement: np.ndarray
    sought_help: np.ndarray
    front_door_contacts: np.ndarray
    intakes: np.ndarray
    child_wellbeing: np.ndarray
    wellbeing_base: np.ndarray
    cw_involved: np.ndarray
    cw_months_left: np.ndarray
    returns_6: np.ndarray
    returns_12: np.ndarray
    returns_24: np.ndarray
    housing_exits: np.ndarray
    school_moves: np.ndarray
    cw_cases: np.ndarray
    ever_sheltered: np.ndarray
    episodes: np.ndarray
    months_homeless: np.ndarray
    evictions: np.ndarray
    filings: np.ndarray
    trainings_started: np.ndarray
    trainings_completed: np.ndarray
    known: np.ndarray
    coach: np.ndarray
    fin_coach: np.ndarray
    coordinator: np.ndarray
    spell_entry_month: np.ndarray
    spell_income_at_entry: np.ndarray
    coach_months: np.ndarray
    fin_months: np.ndarray
    coord_idle_months: np.ndarray
    ref_coach: np.ndarray
    ref_fin: np.ndarray
    ref_coord: np.ndarray
    wait_coach: np.ndarray
    wait_fin: np.ndarray
    wait_coord: np.ndarray
    shared_assessment: np.ndarray
    crisis_referred: np.ndarray
    shared_customer: np.ndarray
    m_job_find: np.ndarray
    m_promotion: np.ndarray
    m_dropout: np.ndarray
    add_training_start: np.ndarray
    m_saving: np.ndarray
    add_take_up: np.ndarray
    applied_prevention_month: np.ndarray
    served_prevention_month: np.ndarray
    prevention_usd: np.ndarray
    applied_rehousing_month: np.ndarray
    served_rehousing_month: np.ndarray
    rehousing_usd: np.ndarray
    prevention_app_month: np.ndarray
    rehousing_app_month: np.ndarray
    last_prevention_month: np.ndarray
    award_month: np.ndarray
    award_usd: np.ndarray
    hub_subsidy: np.ndarray
    hub_subsidy_usd: np.ndarray
    hub_voucher: np.ndarray
    voucher_app_month: np.ndarray
    voucher_award_month: np.ndarray
    hub_voucher_usd: np.ndarray
    shelter_wait_month: np.ndarray
    voucher_wait_month: np.ndarray
    landlord_search_month: np.ndarray
    landlord_search_kind: np.ndarray
    program_entry_month: np.ndarray
    program_exit_month: np.ndarray
    income_at_entry: np.ndarray
    income_at_exit: np.ndarray
    exit_employed: np.ndarray
    risk_score: np.ndarray
    flagged_month: np.ndarray
    screened_month: np.ndarray
    lost_housing_month: np.ndarray
    sheltered_month: np.ndarray
    risk_signal: np.ndarray
    first_shelter_month: np.ndarray
    last_housing_exit_month: np.ndarray
    entered_month: np.ndarray
    income_start: np.ndarray
    emp_start: np.ndarray
    savings_start: np.ndarray

    def __init__(self, n: int):
        self.n = int(n)
        for name, (dtype, fill, _) in COLUMNS.items():
            setattr(self, name, np.full(self.n, fill, dtype=dtype))
        self.next_fid = 0
        self._retired: list[dict[str, np.ndarray]] = []

    # --- derived quantities -------------------------------------------------------------------
    @property
    def size(self) -> np.ndarray:
        """Household size (adults + children)."""
        return self.adults.astype(np.int16) + self.children

    @property
    def income(self) -> np.ndarray:
        """Monthly income: earnings plus benefits, USD."""
        return self.earnings + self.benefits

    def column(self, name: str) -> np.ndarray:
        """The array of one column (for views and tests)."""
        if name not in COLUMNS:
            raise KeyError(f"no family column {name!r}; columns are {', '.join(COLUMNS)}")
        return getattr(self, name)

    # --- synthesis ----------------------------------------------------------------------------
    def fill(
        self,
        rows: np.ndarray,
        params: Params,
        streams: Streams,
        process: str,
        month: int,
        benefit_schedule: BenefitSchedule | None = None,
    ) -> None:
        """Draw new families into ``rows`` from the synthetic population (start-up and newcomers).

        Every draw is one value per row from the named stream, so a row's new family depends only on
        (seed, process, month, row).
        """
        pp, ep = params.population, params.economy
        if rows.size == 0:
            return

        # One value per filled row, in row order: the whole population at start-up, only the freed rows
        # for newcomers (cheap, and still determined by this process's own stream alone).
        k = rows.size

        def u(draw: str) -> np.ndarray:
            return streams.generator(process, month, draw).random(k)

        def z(draw: str) -> np.ndarray:
            return streams.generator(process, month, draw).standard_normal(k)

        self.fid[rows] = np.arange(self.next_fid, self.next_fid + k)
        self.next_fid += k
        shares = np.cumsum([g.share for g in pp.groups])
        self.group[rows] = np.minimum(
            np.searchsorted(shares, u("group"), side="right"), len(shares) - 1
        )
        self.adults[rows] = np.where(u("adults") < pp.share_single_adult, 1, 2)
        cum_children = np.cumsum(pp.p_children)
        self.children[rows] = np.minimum(
            np.searchsorted(cum_children, u("children"), side="right"), 4
        )
        self.high_barrier[rows] = u("barrier") < pp.share_high_barrier
        cp = params.children
        wellbeing = np.clip(
            cp.wellbeing_start_mean + cp.wellbeing_start_sd * z("wellbeing"), 0, 100
        )
        self.wellbeing_base[rows] = np.where(self.children[rows] > 0, wellbeing, 0.0)
        self.child_wellbeing[rows] = self.wellbeing_base[rows]
        self.cw_involved[rows] = False
        self.cw_months_left[rows] = 0
        self.skill[rows] = betaincinv(
            pp.skill_beta_a, pp.skill_beta_b, u("skill")
        )  # inverse CDF: one uniform a row

        employed = u("employed") >= pp.share_unemployed_start
        family_wage = employed & (
            u("family_wage") < pp.share_family_wage_start * (0.5 + self.skill[rows])
        )
        self.emp[rows] = np.where(
            family_wage, FAMILY_WAGE, np.where(employed, LOW_WAGE, UNEMPLOYED)
        )
        wage_mult = np.array([g.wage_multiplier for g in pp.groups])[self.group[rows]]
        self.earnings[rows] = job_earnings(self.emp[rows], z("earnings"), wage_mult, ep)
        self.training_left[rows] = 0

        self.claims_benefits[rows] = u("claims_benefits") < params.benefits.take_up_start
        if benefit_schedule is None:
            self.benefits[rows] = 0.0  # the benefits process sets them in the family's first month
        else:
            self.benefits[rows] = self.claims_benefits[rows] * benefit_schedule.amount(
                self.earnings[rows], self.size[rows], self.children[rows]
            )
        self.rent[rows] = lease_rent(pp, pp.rent_median_usd, z("rent"), self.income[rows])
        self.lease_month[rows] = np.floor(u("lease") * 12).astype(np.int8)
        self.assisted_lease_month[rows] = NEVER
        has_savings = u("has_savings") >= pp.share_no_savings
        self.savings[rows] = np.where(
            has_savings, -np.log1p(-u("savings")) * pp.savings_mean_usd, 0.0
        )
        behind = u("behind") < pp.share_behind_start
        self.arrears[rows] = np.where(behind, self.rent[rows], 0.0)
        self.debt[rows] = 0.0
        self.housing[rows] = np.where(behind, BEHIND, STABLE)
        self.months_in_state[rows] = 0
        self.subsidy_left[rows] = 0
        self.subsidy_share[rows] = 0.0
        self.engagement[rows] = 1.0
        self.sought_help[rows] = False
        self.ever_sheltered[rows] = False
        self.expense_shock[rows] = 0.0
        self.ui_benefit[rows] = 0.0
        self.ui_months_left[rows] = 0
        for name in COUNTERS:
            getattr(self, name)[rows] = 0
        for name in SERVICE_COLUMNS:
            getattr(self, name)[rows] = COLUMNS[name][1]
        self.first_shelter_month[rows] = -1
        self.last_housing_exit_month[rows] = -1
        self.entered_month[rows] = max(month, 0)
        self.income_start[rows] = self.income[rows]
        self.emp_start[rows] = self.emp[rows]
        self.savings_start[rows] = self.savings[rows]

    def start_recording(self) -> None:
        """Reset event counters and take start values; called once when burn-in ends."""
        for name in COUNTERS:
            getattr(self, name)[:] = 0
        for name in RECORD_COLUMNS:
            getattr(self, name)[:] = COLUMNS[name][1]
        # A family in coaching when recording starts counts as entering the programme now.
        coached = self.coach >= 0
        self.spell_entry_month[coached] = 0
        self.spell_income_at_entry[coached] = self.income[coached]
        self.first_shelter_month[:] = -1
        self.last_housing_exit_month[:] = -1
        self.entered_month[:] = 0
        self.income_start[:] = self.income
        self.emp_start[:] = self.emp
        self.savings_start[:] = self.savings
        self._retired.clear()

    # --- turnover -----------------------------------------------------------------------------
    def retire(self, rows: np.ndarray, month: int) -> None:
        """Keep the record of families leaving ``rows`` before newcomers overwrite them."""
        if rows.size == 0:
            return
        record = {name: getattr(self, name)[rows].copy() for name in COLUMNS}
        record["income"] = self.income[rows]
        record["left_month"] = np.full(rows.size, month, dtype=np.int32)
        self._retired.append(record)

    def records(self) -> dict[str, np.ndarray]:
        """Columns for every family that lived in the area while recording: those who left, then those present."""
        current = {name: getattr(self, name).copy() for name in COLUMNS}
        current["income"] = self.income
        current["left_month"] = np.full(self.n, -1, dtype=np.int32)
        parts = [*self._retired, current]
        return {key: np.concatenate([p[key] for p in parts]) for key in current}


def lease_rent(pp, median: float, z: np.ndarray, income: np.ndarray) -> np.ndarray:
    """Rent of a unit leased by families with ``income``: log-normal around ``median``, scaled by
    (income / reference income) ^ elasticity, since poorer families rent cheaper units."""
    ref = pp.rent_reference_income_usd
    relative = np.maximum(income, 0.25 * ref) / ref
    return median * np.exp(pp.rent_log_sd * z) * relative**pp.rent_income_elasticity


def job_earnings(emp: np.ndarray, z: np.ndarray, wage_mult: np.ndarray, ep) -> np.ndarray:
    """Monthly earnings of a job of type ``emp`` (log-normal around the type's median)."""
    median = np.where(emp == FAMILY_WAGE, ep.family_wage_earnings_usd, ep.low_wage_earnings_usd)
    return np.where(emp == UNEMPLOYED, 0.0, median * wage_mult * np.exp(ep.earnings_log_sd * z))
