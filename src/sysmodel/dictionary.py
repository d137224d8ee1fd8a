"""The data dictionary: every column and key of every file sysmodel writes, with unit, type and meaning.

This module is the one source of truth; ``docs/data_dictionary.md`` is generated from it
(``python scripts/data_dictionary.py``) and ``tests/test_data_dictionary.py`` checks both against the
files real runs write, so neither can drift from the code.

Descriptions already written elsewhere are read from there, not copied: the family arrays'
(:data:`sysmodel.population.COLUMNS`), the summary's units (:data:`sysmodel.outputs.SUMMARY_UNITS`), the
comparison outcomes (:data:`sysmodel.experiments.compare.OUTCOMES`), the housing states, roles, routes,
services and end reasons.

**Adding a column** is one line in the file's list below, e.g. in :data:`MONTHLY`::

    _during("queue_hub", "families", "families that joined the hub's queue"),

(``_during`` for counts of events during the month, ``_end`` for a state at the month's end, ``Field``
for anything else). A column written only in some runs takes ``when="..."`` saying when (the test then
needs one run that writes it). The test names every column a file has and the dictionary lacks.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from .experiments.compare import BOOTSTRAP_RESAMPLES, HOMELESS, OUTCOMES, QUADRANT_KEYS, VERDICTS
from .outputs import SCREENING_FOLLOW_UP_MONTHS, SUMMARY_UNITS, summary_na_reason
from .params import DOLLAR_YEAR, EMPLOYMENT_STATES, HOUSING_STATES
from .population import COLUMNS
from .services import AGENCY_BITS, ROLES
from .spells import END_REASONS, LAST_STAFF_COLUMNS, SERVICES, SPELL_COLUMNS
from .spm import SPM_COLUMNS

__all__ = [
    "Field",
    "OutputFile",
    "FILES",
    "MONTHLY",
    "FAMILIES",
    "SPELLS",
    "HOUSING",
    "SUMMARY",
    "MANIFEST",
    "output_file",
    "markdown",
]

USD = f"USD ({DOLLAR_YEAR})"
USD_MONTH = f"USD/month ({DOLLAR_YEAR})"
# Where a missing description is added (named in the test's failure messages).
SOURCE = "src/sysmodel/dictionary.py"


@dataclass(frozen=True)
class Field:
    """One column of a table, or one top-level key of a JSON file.

    Attributes:
        name: the column or key; ``<...>`` in it marks a name made at run time (see ``pattern``).
        unit: what a value is measured in ("" for identifiers and labels).
        dtype: the pandas dtype when the file is read back (Parquet), the JSON type (JSON files) or
            the type of the values (CSV); "" where it depends on the inputs.
        description: one line a planner understands: what it counts and when it is measured.
        when: "" if every such file has it; else when it is written (e.g. "only if the table has an
            outcome column").
        pattern: for names made at run time, a regular expression the real names match in full.
    """

    name: str
    unit: str
    dtype: str
    description: str
    when: str = ""
    pattern: str = ""

    def matches(self, name: str) -> bool:
        return name == self.name or bool(self.pattern and re.fullmatch(self.pattern, name))


@dataclass(frozen=True)
class OutputFile:
    """One file a command writes: what a row (or the object) is, and every column or key."""

    command: str  # the command that writes it, e.g. "sysmodel run"
    name: str  # the file name in the output folder
    rows: str  # "one row per ...", or what the JSON object holds
    fields: tuple[Field, ...]
    source: str  # the code that writes it (for readers and for failure messages)
    notes: str = ""
    listed_in: str = ""  # the name in this module that lists the fields (for failure messages)
    kind: str = field(default="")  # "table" (Parquet/CSV) or "json"; derived from the name

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", "json" if self.name.endswith(".json") else "table")

    def lookup(self, name: str) -> Field | None:
        """The field describing column or key ``name`` (exact names first, then patterns)."""
        for f in self.fields:
            if f.name == name:
                return f
        for f in self.fields:
            if f.pattern and f.matches(name):
                return f
        return None

    def undescribed(self, names) -> list[str]:
        """Names the file has that no field describes, or whose field has no description."""
        out = []
        for n in names:
            f = self.lookup(n)
            if f is None or not f.description.strip():
                out.append(n)
        return out

    def names(self) -> list[str]:
        return [f.name for f in self.fields]


# --- helpers ---------------------------------------------------------------------------------------


def _during(name: str, unit: str, what: str, dtype: str = "int64", when: str = "") -> Field:
    """A count of events during the month."""
    return Field(name, unit, dtype, f"{what}, during the month", when)


def _end(name: str, unit: str, what: str, dtype: str = "int64", when: str = "") -> Field:
    """A state at the end of the month."""
    return Field(name, unit, dtype, f"{what}, at the end of the month", when)


def _roles(template: str, unit: str, what: str, kind=_during, dtype: str = "int64") -> list[Field]:
    """One field per staff role (``template`` holds ``{role}``; ``what`` may hold ``{staff}``)."""
    staff = {"coach": "career coaches", "financial": "financial coaches",
             "coordinator": "rent-assistance coordinators"}  # fmt: skip
    return [
        kind(template.format(role=r), unit, what.format(staff=staff.get(r, r), role=r), dtype)
        for r in ROLES
    ]


def _pop(column: str, suffix: str = "") -> str:
    """The description of a family array (``population.COLUMNS``), with the family table's "none"."""
    text = COLUMNS[column][2].replace("(NEVER: ", "(-1: ").replace("NEVER", "-1")
    text = re.sub(r", USD(/month)?$", "", text)  # the unit has its own column
    return f"{text}{suffix}"


def _dtype(column: str) -> str:
    """The dtype of a family array as the family table holds it."""
    return np.dtype(COLUMNS[column][0]).name


# What each housing state means (the codes of sysmodel.params.HOUSING_STATES).
STATE_MEANING = {
    "stable": "housed, rent paid up",
    "behind": "housed, owing rent arrears",
    "filed": "housed, with an eviction case filed",
    "doubled_up": "lost housing, staying with others (not homeless under HUD's category 1)",
    "shelter": "in emergency shelter (literally homeless, HUD category 1)",
    "rehoused": "housed with a time-limited (rapid re-housing) subsidy",
    "subsidized": "housed with a long-term subsidy (voucher)",
    "unsheltered": "literally homeless and not in shelter: turned away by a full shelter, waiting for "
    "a unit (HUD category 1, unsheltered in the point-in-time count)",
}
_STATES = ", ".join(HOUSING_STATES)

# --- sysmodel run: monthly.parquet ------------------------------------------------------------------

MONTHLY: tuple[Field, ...] = (
    Field("month", "month", "int64", "recorded month: 0 is the first month after burn-in"),
    Field("families", "families", "int64",
          "household slots in the area (constant: a family that leaves is replaced by a newcomer)"),
    *(_end(f"n_{s}", "families", f"families in state {s} ({STATE_MEANING[s]})") for s in HOUSING_STATES),
    # Events of the status-quo processes.
    _during("filings", "filings", "eviction cases filed"),
    _during("evictions", "evictions", "evictions executed (filed -> doubled up)"),
    _during("informal_moves", "families",
            "families behind on rent who left their unit without a court eviction (-> doubled up)"),
    _during("cases_dismissed", "cases", "eviction cases dismissed after the arrears were paid"),
    _during("shelter_entries_first_time", "entries",
            "shelter entries of families never in shelter before (burn-in included)"),
    _during("shelter_entries_return", "entries",
            "shelter entries of families that had been in shelter before"),
    _during("shelter_exits", "exits",
            "exits from shelter to any destination (own lease, doubling up, RRH, voucher, hub)"),
    _during("exits_to_rrh", "exits", "shelter exits to status-quo rapid re-housing"),
    _during("exits_to_voucher", "exits",
            "status-quo long-term vouchers leased up: shelter exits, and (with a voucher stock) "
            "families reached on the voucher waiting list while doubled up or unsheltered"),
    _during("front_door_contacts", "families", "families that asked for help at the front door"),
    _during("jobs_found", "families", "unemployed main earners who found a job"),
    _during("ui_claims", "families", "main earners who lost a job and claimed unemployment insurance"),
    _during("benefit_claims_started", "families", "families that started claiming benefits"),
    _during("jobs_lost", "families", "main earners who lost their job"),
    _during("raises_declined", "families",
            "job offers or promotions turned down because earnings + benefits would fall (benefit cliff)"),
    _during("trainings_started", "families", "training courses started"),
    _during("trainings_completed", "families", "training courses completed"),
    _during("training_dropouts", "families", "training courses dropped out of"),
    _during("moves_out", "families", "families that left the area (each replaced by a newcomer)"),
    _during("exits_to_housing", "exits",
            "exits from shelter to housing (own lease, RRH, voucher or a hub award; not doubling up)"),
    *(_during(f"returns_within_{w}", "entries",
              f"shelter entries within {w} months of the family's latest exit to housing")
      for w in (6, 12, 24)),
    _during("shelter_entries", "entries",
            "shelter entries (shelter_entries_first_time + shelter_entries_return)"),
    # Placement breakdowns (processes/placements.py).
    _during("placements_at_risk", "families",
            "families exposed to the breakdown hazards: housed, with an assisted lease-up within "
            "housing.placement_breakdown_window_months"),
    _during("placement_breakdowns", "families",
            "assisted placements that broke down (conflict, non-renewal or rent burden)"),
    _during("breakdowns_conflict", "families", "placement breakdowns from conflict with the landlord"),
    _during("breakdowns_nonrenewal", "families",
            "placement breakdowns because the landlord did not renew the lease at its anniversary"),
    _during("breakdowns_rent_burden", "families",
            "placement breakdowns from the rent burden after the subsidy ended"),
    _during("breakdowns_to_shelter", "families",
            "placement breakdowns that went straight to shelter (the rest double up, or are turned "
            "away by a full shelter)"),
    # Capacities and queues (sysmodel/capacity.py; NaN capacity = no limit).
    _during("shelter_turned_away", "families",
            "families that asked for shelter (or broke down straight to it) when it was full: they "
            "joined the shelter's waiting list"),
    _during("turned_away_unsheltered", "families",
            "families turned away by a full shelter who went unsheltered (the rest doubled up)"),
    _during("shelter_admitted_from_queue", "families", "families admitted from the shelter's waiting list"),
    _during("shelter_wait_months_admitted", "months",
            "months the families admitted from the waiting list had waited, summed"),
    _during("unsheltered_to_doubled_up", "families",
            "unsheltered families that found someone to double up with"),
    _during("voucher_turned_away", "families",
            "shelter families matched to a status-quo voucher when none was free (joined its waiting list)"),
    _during("vouchers_issued_from_queue", "families",
            "status-quo vouchers issued to families on the voucher waiting list"),
    _during("landlord_turned_away", "families",
            "assisted searches (status-quo RRH or voucher, hub re-housing or voucher awards) that "
            "would have leased a unit this month but found none, because more assisted households "
            "searched than landlords offered units"),
    *(f for q, who in (("shelter", "families on the shelter's waiting list (doubled up or unsheltered)"),
                       ("landlord", "assisted households searching for a unit (status-quo RRH or "
                                    "voucher matches, hub re-housing and hub voucher awards)"),
                       ("voucher", "families on the status-quo voucher waiting list"))
      for f in (_end(f"{q}_queue", "families", f"queue length: {who}"),
                _during(f"{q}_queue_joined", "families",
                        f"joined the queue and were still in it at the month end: {who}"),
                _during(f"{q}_queue_left", "families",
                        "left the queue (served, housed some other way, or moved away)"),
                _during(f"{q}_queue_wait_months", "months",
                        "months waited by the families that left the queue, summed (Little's law: "
                        "mean queue = joins per month x mean wait)"))),
    _end("shelter_capacity", "units", "family shelter units (NaN: no limit)", "float64"),
    _end("shelter_utilisation", "share", "families in shelter / shelter units (NaN: no limit)", "float64"),
    _end("landlord_units", "units/month",
         "units landlords offer to assisted searchers each month (NaN: no limit)", "float64"),
    _end("landlord_acceptance", "share",
         "this month's chance factor of an assisted search: min(1, units / searchers) (1: no limit)",
         "float64"),
    _end("voucher_stock", "vouchers", "status-quo long-term vouchers (NaN: no limit)", "float64"),
    _end("vouchers_in_use", "vouchers",
         "status-quo vouchers held or issued (subsidised families without a hub voucher, and voucher "
         "holders still searching)"),
    # Events of the service system (0 when the schedule runs no service process).
    _during("referrals_made", "referrals", "referrals between agencies made"),
    _during("referrals_completed", "referrals",
            "referrals that reached the receiving agency (a warm hand-off that worked)"),
    _during("walk_ins", "families", "families that walked in to an employment provider unreferred"),
    _during("intakes", "intakes", "intakes at a service (each one an assessment, unless reused)"),
    _during("assessments_reused", "intakes", "intakes that reused a shared assessment"),
    *_roles("assigned_{role}", "families", "families assigned one of the {staff}"),
    *_roles("declined_{role}", "families",
            "families offered one of the {staff} who did not take it up"),
    *_roles("gave_up_waiting_{role}", "families",
            "families that left the waitlist for {staff} after waiting too long"),
    _during("prevention_applicants", "families", "families applying for hub prevention money"),
    _during("prevention_awards", "families", "prevention awards paid"),
    _during("filings_diverted", "cases",
            "filed eviction cases cleared by a prevention award (arrears paid in full)"),
    _during("rehousing_applicants", "families", "families applying for a hub re-housing award"),
    _during("rehousing_awards", "awards", "hub re-housing awards made"),
    _during("rehousing_leased", "awards", "hub re-housing awards used to lease a unit"),
    _during("rehousing_awards_lapsed", "awards", "hub re-housing awards not used in time"),
    _during("rehousing_awards_withdrawn", "awards",
            "hub re-housing awards withdrawn because the family was housed some other way"),
    _during("voucher_applicants", "families", "families on the hub's long-term voucher waiting list"),
    _during("voucher_awards", "awards", "hub long-term vouchers awarded (a slot was free)"),
    _during("vouchers_leased", "awards", "hub vouchers used to lease a unit"),
    _during("voucher_awards_lapsed", "awards", "hub voucher awards not used in time (slot freed)"),
    _during("voucher_awards_withdrawn", "awards",
            "hub voucher awards withdrawn because the family was housed some other way"),
    _during("subsidies_bridging_training", "awards",
            "hub subsidies at lease-up timed to cover the family's training (aligned services)"),
    _during("subsidies_refunded", "subsidies",
            "hub subsidies ended early (unit lost or family left), unused months back to the pot"),
    _during("coaching_ended", "spells", "career-coaching spells that ended (any reason)"),
    _during("coaching_lost_in_crisis", "spells",
            "career-coaching spells lost when the family's housing broke down (siloed services)"),
    _during("coaching_disengaged", "spells",
            "career-coaching spells ended because a family out of work stopped coming"),
    *_roles("caseload_{role}", "families", "families assigned to {staff}", kind=_end),
    *_roles("burned_out_{role}", "staff", "{staff} burned out (caseload over capacity too long)",
            kind=_end),
    _end("shared_customers", "families",
         "families with both a career coach and a rent-assistance coordinator"),
    _during("screened", "families", "families screened by upstream screening"),
    _during("flagged", "families", "screened families flagged as at risk (score over the cut-off)"),
    _during("braided_applicants", "families",
            "child-welfare-involved families applying to the braided child-welfare pot"),
    _during("braided_awards", "awards", "awards paid from the braided child-welfare pot"),
    _during("school_moves", "families", "families whose children changed school because they moved"),
    _during("cw_cases_opened", "cases", "child-welfare cases opened"),
    _end("cw_open_cases", "cases", "open child-welfare cases"),
    _during("cw_referrals_to_hub", "referrals",
            "child-welfare-involved families referred to the housing hub (partnership)"),
    *_roles("staff_{role}", "staff", "{staff} employed", kind=_end),
    *_roles("waiting_{role}", "families", "families on the waitlist for {staff}", kind=_end),
    _end("searching_with_award", "families",
         "families holding a hub re-housing award and still looking for a unit"),
    _end("waiting_voucher", "families", "families on the hub's long-term voucher waiting list"),
    _end("hub_vouchers_in_use", "families", "families housed with a hub long-term voucher"),
    _end("funds_prevention_usd", USD, "money left in the hub's prevention pot", "float64"),
    _end("funds_rehousing_usd", USD, "money left in the hub's re-housing pot", "float64"),
    _end("funds_vouchers_usd", USD,
         "money in the hub's voucher pot (the line's monthly money less the holders' subsidies paid; "
         "vouchers are awarded while it keeps assistance.voucher_reserve_months of the commitments)",
         "float64"),
    # Employment, income and money: means over the families in the area.
    _end("employment_rate", "share of families", "share of families whose main earner works",
         "float64"),
    _end("family_wage_rate", "share of families", "share of families with a family-wage job",
         "float64"),
    _end("in_training", "families", "families in a training course"),
    _end("mean_income_usd", f"USD/family-month ({DOLLAR_YEAR})", "mean income (earnings + benefits)", "float64"),
    _end("mean_earnings_usd", f"USD/family-month ({DOLLAR_YEAR})", "mean earnings", "float64"),
    _end("mean_benefits_usd", f"USD/family-month ({DOLLAR_YEAR})", "mean benefits received", "float64"),
    _end("benefit_take_up", "share of families", "share of families claiming benefits", "float64"),
    _end("mean_savings_usd", f"USD/family ({DOLLAR_YEAR})", "mean savings", "float64"),
    _end("median_savings_usd", f"USD/family ({DOLLAR_YEAR})", "median savings", "float64"),
    _end("mean_arrears_usd", f"USD/family ({DOLLAR_YEAR})", "mean rent arrears owed", "float64"),
    _end("mean_debt_usd", f"USD/family ({DOLLAR_YEAR})", "mean other debt (arrears left behind)", "float64"),
    _end("mean_engagement", "index 0-1", "mean engagement with services", "float64"),
    # Public cost of the month, by line.
    Field("cost_shelter_usd", USD, "float64",
          "cost of shelter: families in shelter at the end of the month x costs.shelter_usd"),
    Field("cost_rapid_rehousing_usd", USD, "float64",
          "cost of status-quo rapid re-housing: families on it at the end of the month x "
          "costs.rapid_rehousing_usd"),
    Field("cost_long_term_subsidy_usd", USD, "float64",
          "cost of vouchers: subsidised families at the end of the month x "
          "costs.long_term_subsidy_usd"),
    _during("cost_prevention_usd", USD, "hub prevention money paid", "float64"),
    _during("cost_hub_rehousing_usd", USD,
            "hub re-housing money committed at lease-up, less refunds", "float64"),
    _during("cost_hub_vouchers_usd", USD,
            "hub long-term voucher subsidies paid (rent minus the tenant's 30% of income)", "float64"),
    _during("cost_staff_usd", USD, "cost of service staff", "float64"),
    _during("cost_braided_usd", USD, "money paid from the braided child-welfare pot", "float64"),
    _during("cost_child_welfare_usd", USD, "cost of open child-welfare cases", "float64"),
    _end("mean_child_wellbeing", "index 0-100",
         "mean children's well-being over families with children (0 if there are none)", "float64"),
    Field("cost_total_usd", USD, "float64", "total public cost of the month: the sum of the cost_ columns"),
)  # fmt: skip

# --- sysmodel run: families.parquet -----------------------------------------------------------------

_END = ", at the end of the run (or when the family left)"
_START = ", when recording started (or on arrival)"


def _fam(name: str, column: str, unit: str, suffix: str = "", dtype: str = "") -> Field:
    """A family-table column copied from the family array ``column`` (its description reused)."""
    return Field(name, unit, dtype or _dtype(column), _pop(column, suffix))


_CATEGORY = "category"

FAMILIES: tuple[Field, ...] = (
    Field("family_id", "", "int64", "family id (each newcomer gets a new one; as in spells and housing)"),
    Field("group", "", _CATEGORY, "equity group (the names of population.groups)"),
    _fam("adults", "adults", "adults"),
    _fam("children", "children", "children"),
    _fam("high_barrier", "high_barrier", ""),
    Field("entered_month", "month", "int32",
          "month the family entered the area (0: present when recording started)"),
    Field("left_month", "month", "int32", "month the family left the area (-1: still there at the end)"),
    Field("income_start_usd", USD_MONTH, "float64", "income (earnings + benefits)" + _START),
    Field("income_end_usd", USD_MONTH, "float64", "income (earnings + benefits)" + _END),
    Field("employment_start", "", _CATEGORY,
          f"employment state of the main earner ({', '.join(EMPLOYMENT_STATES)})" + _START),
    Field("employment_end", "", _CATEGORY, "employment state of the main earner" + _END),
    Field("savings_start_usd", USD, "float64", "savings" + _START),
    Field("savings_end_usd", USD, "float64", "savings" + _END),
    _fam("arrears_end_usd", "arrears", USD, _END),
    _fam("debt_end_usd", "debt", USD, _END),
    Field("housing_end", "", _CATEGORY, f"housing state ({_STATES})" + _END),
    _fam("months_homeless", "months_homeless", "months"),
    _fam("episodes", "episodes", "episodes"),
    _fam("evictions", "evictions", "evictions"),
    _fam("filings", "filings", "filings"),
    Field("months_to_first_shelter", "months", "float64",
          "months from entering the area (or month 0) to the first shelter entry while recording "
          "(NaN: none)"),
    _fam("front_door_contacts", "front_door_contacts", "contacts", " since recording started"),
    _fam("intakes", "intakes", "intakes", " since recording started"),
    _fam("trainings_started", "trainings_started", "courses", " since recording started"),
    _fam("trainings_completed", "trainings_completed", "courses", " since recording started"),
    _fam("claims_benefits_end", "claims_benefits", "", _END),
    _fam("housing_exits", "housing_exits", "exits"),
    *(_fam(f"returns_{w}", f"returns_{w}", "returns") for w in (6, 12, 24)),
    # The service system (0, -1 or False when no service process runs).
    Field("known_to", "bitmask", _dtype("known"),
          "agency kinds the family is known to, summed bits: "
          + ", ".join(f"{bit} {kind}" for kind, bit in AGENCY_BITS.items())),
    _fam("shared_customer", "shared_customer", ""),
    _fam("program_entry_month", "program_entry_month", "month"),
    _fam("program_exit_month", "program_exit_month", "month"),
    _fam("income_at_entry_usd", "income_at_entry", USD_MONTH),
    _fam("income_at_exit_usd", "income_at_exit", USD_MONTH),
    _fam("exit_employed", "exit_employed", ""),
    _fam("applied_prevention_month", "applied_prevention_month", "month"),
    _fam("served_prevention_month", "served_prevention_month", "month"),
    _fam("prevention_usd", "prevention_usd", USD, " since recording started"),
    _fam("applied_rehousing_month", "applied_rehousing_month", "month"),
    _fam("served_rehousing_month", "served_rehousing_month", "month"),
    _fam("rehousing_usd", "rehousing_usd", USD, " since recording started, less refunds"),
    _fam("last_housing_exit_month", "last_housing_exit_month", "month"),
    _fam("flagged_month", "flagged_month", "month"),
    _fam("child_wellbeing_end", "child_wellbeing", "index 0-100", _END),
    _fam("school_moves", "school_moves", "moves"),
    _fam("cw_cases", "cw_cases", "cases"),
    _fam("risk_score", "risk_score", "standard units"),
    _fam("screened_month", "screened_month", "month"),
    _fam("lost_housing_month", "lost_housing_month", "month"),
    _fam("sheltered_month", "sheltered_month", "month"),
    _fam("risk_signal", "risk_signal", "index"),
    # From the spell table (sysmodel.spells.family_spell_summary).
    Field("n_coaches", "staff", "int64", "distinct career coaches who served the family (spells)"),
    *(Field(column, "", "int64",
            f"staff_id of the family's latest {service.replace('_', ' ')} staff member (-1 none)")
      for service, column in LAST_STAFF_COLUMNS.items()),
)  # fmt: skip

# --- sysmodel run: spells.parquet -------------------------------------------------------------------

SPELLS: tuple[Field, ...] = (
    Field("family_id", "", "int64", "the family (as in families.parquet)"),
    Field("service", "", _CATEGORY, f"the service: {', '.join(SERVICES)}"),
    Field(
        "staff_id",
        "",
        "int64",
        "Mesa unique_id of the career coach, financial coach or coordinator; for awards the "
        "coordinator who handled the case (-1: none known)",
    ),
    Field(
        "agency",
        "",
        _CATEGORY,
        "label of the staff member's agency (e.g. 'Employment provider 2'; the hub for awards)",
    ),
    Field(
        "start_month",
        "month",
        "Int64",
        "month of the assignment or award; negative if it began in burn-in (<NA>: start not seen)",
    ),
    Field(
        "end_month",
        "month",
        "Int64",
        "month the spell ended, inclusive (<NA>: still open at the end of the run)",
    ),
    Field(
        "end_reason",
        "",
        _CATEGORY,
        f"why it ended: {', '.join(END_REASONS)} (docs/ODD.md, Observation, explains each)",
    ),
    Field(
        "amount_usd",
        USD,
        "float64",
        "awards only (NaN for staff spells): prevention paid; a re-housing award's final cost "
        "(0 if withdrawn, lapsed or moved out; the commitment if still open; negative: a refund); "
        "a hub voucher's subsidy paid while recording (so far, if still open)",
    ),
)
assert tuple(f.name for f in SPELLS) == SPELL_COLUMNS, "SPELLS must follow spells.SPELL_COLUMNS"

# --- sysmodel run: housing.parquet ------------------------------------------------------------------

HOUSING: tuple[Field, ...] = (
    Field("family_id", "", "int64", "the family (as in families.parquet)"),
    Field("state", "", _CATEGORY, f"the housing state: {_STATES}"),
    Field("start_month", "month", "int64",
          "month the family moved into the state; negative if the spell began in burn-in"),
    Field("end_month", "month", "Int64",
          "last month the family was in the state at a month's end, inclusive (<NA>: still open; "
          "start_month - 1: entered and left within one month)"),
    Field("route_in", "", _CATEGORY,
          "how the spell began (routes: docs/ODD.md, Observation; sysmodel.history.declared_routes)"),
    Field("route_out", "", _CATEGORY,
          "how it ended: the next spell's route_in, moved_away or end_of_run"),
)  # fmt: skip

# --- sysmodel run: summary.json ---------------------------------------------------------------------

_SUMMARY_DESCRIPTIONS = {
    "months": "recorded months",
    "families_ever": "families that lived in the area while recording (leavers included)",
    "filing_rate_per_100_renters_per_year":
        "eviction filings per year per 100 households holding a lease (Eviction Lab's denominator)",
    "eviction_rate_per_100_renters_per_year":
        "executed evictions per year per 100 households holding a lease",
    "shelter_entries_per_year": "shelter entries per year",
    "first_time_share_of_entries": "share of shelter entries that were first-time entries",
    "mean_families_in_shelter": "families in shelter at a month's end, mean over recorded months",
    "mean_families_doubled_up": "families doubled up at a month's end, mean over recorded months",
    "mean_families_unsheltered":
        "families unsheltered (turned away by a full shelter) at a month's end, mean over recorded months",
    "mean_shelter_queue": "families on the shelter's waiting list at a month's end, mean over recorded months",
    "mean_shelter_wait_months":
        "mean months waited by the families that left the shelter's waiting list",
    "shelter_utilisation_mean":
        "families in shelter / shelter units, mean over recorded months",
    "landlord_acceptance_mean":
        "mean over recorded months of min(1, landlords' units / assisted searchers) (1: no limit)",
    "share_families_ever_in_shelter": "share of families with a shelter episode while recording",
    "mean_months_homeless_if_any":
        "mean months literally homeless (in shelter or unsheltered) of the families that had an episode",
    "employment_rate_end": "employment rate at the end of the last recorded month",
    "family_wage_rate_end": "family-wage job rate at the end of the last recorded month",
    "mean_income_start_usd": "mean income of all families when recording started (or on arrival)",
    "mean_income_end_usd": "mean income of all families at the end (or when they left)",
    "mean_savings_end_usd": "mean savings at the end of the last recorded month",
    "benefit_take_up_mean": "share of families claiming benefits, mean over recorded months",
    "cost_total_usd": "total public cost over the recorded months (undiscounted)",
    "returns_within_12_per_exit":
        "shelter returns within 12 months per exit to housing (HUD SPM 2 style; a lower bound, as "
        "late exits are followed less than 12 months)",
    "returns_within_24_per_exit": "as returns_within_12_per_exit, within 24 months",
    "screening_auc_target":
        "targeting.target_auc, the screening score's intended AUC for shelter entry within "
        f"{SCREENING_FOLLOW_UP_MONTHS} months",
    "screening_auc_realised":
        f"AUC of the latest screening score for a shelter entry within {SCREENING_FOLLOW_UP_MONTHS} "
        "months, over screened families followed that long",
    "screening_auc_best_achievable":
        "AUC of the same families' true risk at screening: what a noise-free score would realise",
}  # fmt: skip


# Summary keys that can be null besides the screening AUCs.
_NULLABLE_SUMMARY = ("mean_shelter_wait_months", "shelter_utilisation_mean")


def _summary_null(key: str) -> str:
    """When a summary key is null (written as JSON null), in the words ``sysmodel run`` prints."""
    if key in _NULLABLE_SUMMARY:
        return f" (null: {summary_na_reason(key, {})})"
    if not key.startswith("screening_auc"):
        return ""
    nan = {k: math.nan for k in SUMMARY_UNITS}
    if key == "screening_auc_target":
        return f" (null: {summary_na_reason(key, nan)})"
    ok = {**nan, "screening_auc_target": 0.7}
    return f" (null: {summary_na_reason(key, nan)}; or {summary_na_reason(key, ok)})"


SUMMARY: tuple[Field, ...] = tuple(
    Field(
        key,
        unit,
        "number or null" if key.startswith("screening_auc") or key in _NULLABLE_SUMMARY else "number",
        (_SUMMARY_DESCRIPTIONS[key] + _summary_null(key)) if key in _SUMMARY_DESCRIPTIONS else "",
    )
    for key, unit in SUMMARY_UNITS.items()
)

# --- sysmodel run: manifest.json --------------------------------------------------------------------

MANIFEST: tuple[Field, ...] = (
    Field("scenario", "", "object", "the scenario: name, description, file (null: none), overrides"),
    Field("seed", "", "integer", "the run's seed (same scenario and seed: identical tables)"),
    Field("parameters", "", "object", "every parameter as resolved for the run, by section"),
    Field("process_order", "", "array", "the month's processes, in the order they ran"),
    Field("months_recorded", "months", "integer", "recorded months (time.months)"),
    Field("burn_in_months", "months", "integer", "months simulated before recording (time.burn_in_months)"),
    Field("families", "families", "integer", "household slots (population.n_families)"),
    Field("versions", "", "object", "Python and package versions"),
    Field("code_revision", "", "string", "git commit of the code, or version + source hash if installed"),
    Field("code_version", "", "string", "sysmodel's version"),
    Field("source_sha256", "", "string", "hash of the package's source files"),
    Field("started", "", "string", "when the run started (ISO 8601, UTC)"),
    Field("finished", "", "string", "when the run finished (ISO 8601, UTC)"),
    Field("elapsed_seconds", "seconds", "number", "run time"),
    Field("files", "", "array", "the other files of the run folder (the manifest is written last)"),
)  # fmt: skip


# --- sysmodel compare ------------------------------------------------------------------------------


def _compare_fields() -> dict[str, tuple[Field, ...]]:
    """The comparison's tables, by name (``Comparison.TABLES``)."""
    arm = Field(
        "scenario",
        "",
        _CATEGORY,
        "the arm (scenario name, made unique); the first is the reference",
    )
    arm_text = replace(arm, dtype="str")
    ref = Field("reference", "", "str", "the reference arm")
    rep = Field("rep", "", "int64", "paired replication (0, 1, ...)")
    seed = Field("seed", "", "int64", "the rep's seed (base_seed + rep; the same in every arm)")
    interval = "95% t-interval over reps"
    outcome = Field(
        "outcome", "", "str", "the outcome (outcomes.parquet column; comparison.json: outcomes)"
    )
    label = Field("label", "", "str", "the outcome in words")
    unit = Field("unit", "", "str", "the outcome's unit")
    better = Field("higher_is_better", "", "bool", "True if a higher value is better")

    def agg(o) -> str:
        over = {"sum": "total over recorded months", "mean": "mean over recorded months",
                "last": "value in the last recorded month"}[o.agg]  # fmt: skip
        if o.table == "families":
            over = "mean over the families that lived in the area while recording"
        return f"{o.label}: {over} of `{o.expr}` ({o.table} table)"

    outcomes = (
        arm, rep, seed,
        Field("scenario_name", "", "str", "the scenario's own name"),
        Field("scenario_file", "", "str", "the scenario file ('' if none)"),
        Field("run_id", "", "str", "the run's id in the result store (runs/)"),
        Field("<parameter>", "", "", "a parameter that differs between the arms (and time.months, "
              "population.n_families), with this arm's value (NaN: a capacity with no limit)", pattern=r"[a-z_]+\.[a-z0-9_.]+"),
        *(Field(o.name, o.unit, "float64", agg(o)) for o in OUTCOMES),
    )  # fmt: skip
    differences = (
        arm_text, ref, outcome, label, unit, better,
        Field("reference_mean", "outcome's unit", "float64", "the reference's mean over reps"),
        Field("scenario_mean", "outcome's unit", "float64", "the arm's mean over reps"),
        Field("n", "reps", "int64", "paired reps"),
        Field("mean", "outcome's unit", "float64", "mean paired difference, arm minus reference"),
        Field("sd", "outcome's unit", "float64", "sd of the paired differences (NaN: one rep)"),
        Field("se", "outcome's unit", "float64", "standard error of the mean difference"),
        Field("ci_low", "outcome's unit", "float64", f"lower end of the {interval} (NaN: one rep)"),
        Field("ci_high", "outcome's unit", "float64", f"upper end of the {interval} (NaN: one rep)"),
        Field("relative", "share", "float64", "mean difference / |reference mean| (NaN: reference 0)"),
        Field("practical_threshold", "outcome's unit", "float64",
              "smallest difference that is not 'negligible' (a share of |reference mean|)"),
        Field("verdict", "", "str", f"one of: {', '.join(VERDICTS)}"),
    )  # fmt: skip
    quadrants = ", ".join(f"'{q}'" for q in QUADRANT_KEYS)
    ce = (
        arm_text, ref,
        Field("n", "reps", "int64", "paired reps"),
        Field("extra_cost_usd", USD, "float64", "mean extra total public cost, arm minus reference"),
        Field("extra_cost_ci_low", USD, "float64", f"lower end of its {interval}"),
        Field("extra_cost_ci_high", USD, "float64", f"upper end of its {interval}"),
        Field("spells_averted", "spells", "float64", "mean shelter entries averted (reference minus arm)"),
        Field("spells_averted_ci_low", "spells", "float64", f"lower end of its {interval}"),
        Field("spells_averted_ci_high", "spells", "float64", f"upper end of its {interval}"),
        Field("cost_clear", "", "bool", "True if the extra-cost interval excludes 0"),
        Field("spells_clear", "", "bool", "True if the spells-averted interval excludes 0"),
        Field("quadrant", "", "str", f"quadrant of the means: {quadrants} or no difference"),
        *(Field(f"p_{key}", "share of draws", "float64", f"share of bootstrap draws in '{q}'")
          for q, key in QUADRANT_KEYS.items()),
        Field("cost_per_spell_averted_usd", f"{USD}/spell", "float64",
              "extra cost / spells averted (ratio of means; NaN: none averted)"),
        Field("ratio_ci_low", f"{USD}/spell", "float64",
              "lower end of the ratio's 95% bootstrap interval (NaN unless a clear trade-off)"),
        Field("ratio_ci_high", f"{USD}/spell", "float64", "upper end of that interval"),
        Field("verdict", "", "str", "the reading in words, or why there is none"),
    )  # fmt: skip
    bootstrap = (
        arm_text,
        Field("draw", "", "int64", f"bootstrap draw (0 to {BOOTSTRAP_RESAMPLES - 1})"),
        Field("extra_cost_usd", USD, "float64", "mean extra cost over the resampled reps"),
        Field("spells_averted", "spells", "float64", "mean spells averted over the resampled reps"),
    )
    counts = (
        Field("families_reference", "families", "int64", "families in the reference run"),
        Field("families_scenario", "families", "int64", "families in the arm's run"),
        Field("ids_in_both", "families", "int64", "family ids in both runs"),
        Field("matched", "families", "int64",
              "ids in both with the same entry month, group, adults and children"),
        Field("matched_at_start", "families", "int64", "matched families present at month 0"),
        Field("matched_newcomers", "families", "int64", "matched families that arrived later"),
        Field("homeless_both", "families", "int64", f"matched families homeless (`{HOMELESS}`) in both"),
        Field("homeless_reference_only", "families", "int64", "homeless only under the reference"),
        Field("homeless_scenario_only", "families", "int64", "homeless only under the arm"),
        Field("homeless_neither", "families", "int64", "homeless in neither"),
    )  # fmt: skip
    counterfactual = (arm_text, ref, rep, seed, *counts)
    pooled = (
        arm_text, ref,
        Field("reps", "reps", "int64", "reps pooled"),
        *(replace(f, description=f"{f.description}, summed over reps") for f in counts),
        Field("share_of_reference_homeless_averted", "share", "float64",
              "homeless_reference_only / (homeless_both + homeless_reference_only)"),
    )  # fmt: skip
    equity_runs = (
        arm, rep, seed,
        Field("group", "", "str", "equity group"),
        outcome,
        Field("value", "outcome's unit", "float64", "the group's mean in this run"),
        Field("families", "families", "int64", "families of the group in this run"),
    )  # fmt: skip
    equity = (
        arm,
        Field("group", "", "str", "equity group"),
        Field("reference_group", "", "str", "the first group, the disparity ratio's denominator"),
        outcome, label, unit, better,
        Field("mean", "outcome's unit", "float64", "the group's mean over reps"),
        Field("ci_low", "outcome's unit", "float64", f"lower end of its {interval}"),
        Field("ci_high", "outcome's unit", "float64", f"upper end of its {interval}"),
        Field("families_per_rep", "families", "float64", "families of the group, mean over reps"),
        Field("disparity_ratio", "ratio", "float64",
              "the group's mean / the reference group's mean (NaN: reference 0)"),
        Field("difference_vs_reference", "outcome's unit", "float64",
              "mean paired difference to the same group under the reference arm"),
        Field("difference_ci_low", "outcome's unit", "float64", f"lower end of its {interval}"),
        Field("difference_ci_high", "outcome's unit", "float64", f"upper end of its {interval}"),
    )  # fmt: skip
    monthly = (arm, rep, seed, *MONTHLY)
    return {
        "outcomes": outcomes,
        "differences": differences,
        "cost_effectiveness": ce,
        "ce_bootstrap": bootstrap,
        "counterfactual": counterfactual,
        "counterfactual_pooled": pooled,
        "equity": equity,
        "equity_runs": equity_runs,
        "monthly": monthly,
    }


_COMPARE_ROWS = {
    "outcomes": "one row per arm x rep",
    "differences": "one row per arm (not the reference) x outcome",
    "cost_effectiveness": "one row per arm (not the reference)",
    "ce_bootstrap": "one row per arm (not the reference) x bootstrap draw",
    "counterfactual": "one row per arm (not the reference) x rep",
    "counterfactual_pooled": "one row per arm (not the reference)",
    "equity": "one row per arm x equity group x family outcome",
    "equity_runs": "one row per arm x rep x equity group x family outcome",
    "monthly": "one row per arm x rep x recorded month",
}

COMPARISON_JSON: tuple[Field, ...] = (
    Field("kind", "", "string", "always 'sysmodel.compare'"),
    Field("dollar_year", "year", "integer", "the year of every dollar amount"),
    Field("reference", "", "string", "the reference arm"),
    Field("scenarios", "", "array", "per arm: arm, name, description, file, overrides, n_families, burn_in_months"),
    Field("reps", "reps", "integer", "paired reps"),
    Field("base_seed", "", "integer", "rep r runs on seed base_seed + r"),
    Field("seeds", "", "array", "the seeds"),
    Field("months_recorded", "months", "integer", "recorded months of every run"),
    Field("families", "families", "integer or null", "household slots (null: allowed to differ by arm)"),
    Field("allowed_differences", "", "array", "pairing keys allowed to differ (--allow-differing)"),
    Field("warnings", "", "array", "warnings about the comparison (one rep, identical arms)"),
    Field("runs", "", "array", "per run: arm, rep, seed, run_id"),
    Field("runs_reused_from_store", "runs", "integer", "runs read back from runs/ instead of rerun"),
    Field("outcomes", "", "array", "the outcome definitions (name, label, table, expr, agg, unit, direction)"),
    Field("methods", "", "object", "the statistical methods, in words"),
    Field("versions", "", "object", "Python and package versions"),
    Field("code_revision", "", "string", "git commit of the code, or version + source hash"),
    Field("code_version", "", "string", "sysmodel's version"),
    Field("source_sha256", "", "string", "hash of the package's source files"),
    Field("created", "", "string", "when the comparison was made (ISO 8601, UTC)"),
    Field("elapsed_seconds", "seconds", "number", "time taken"),
    Field("tables", "", "array", "the Parquet tables written"),
    Field("figures", "", "array", "the figures written (empty with --no-figures)"),
)  # fmt: skip

# --- sysmodel spm ----------------------------------------------------------------------------------

SPM_CSV: tuple[Field, ...] = (
    Field("measure", "", "str", "the measure: 1a, 1b, 2, 3.1, 3.2, 5.1, 5.2 (docs/spm.md)"),
    Field("statistic", "", "str", "the figure within the measure (docs/spm.md, The measures)"),
    Field("year", "", "Int64", "reporting year (0: months 0-11); empty for SPM 2, pooled over the run"),
    Field("first_month", "month", "int64", "first month covered (SPM 2: first exit counted)"),
    Field("last_month", "month", "int64", "last month covered (SPM 2: last exit counted)"),
    Field("route", "", "str", "SPM 2: the route of the exit to housing, or 'all'; else 'all'"),
    Field("value", "the row's unit", "float64", "the figure (empty/NaN: not defined, docs/spm.md)"),
    Field("unit", "", "str", "families, months, days, exits or share"),
)  # fmt: skip
assert tuple(f.name for f in SPM_CSV) == SPM_COLUMNS, "SPM_CSV must follow spm.SPM_COLUMNS"

SPM_JSON: tuple[Field, ...] = (
    Field("run", "", "string", "the run folder read"),
    Field("months_recorded", "months", "integer", "the run's recorded months"),
    Field("pit_month_of_year", "", "integer", "the month of each year (0-11) of the point-in-time count"),
    Field("columns", "", "array", "the column names of rows (as spm.csv)"),
    Field("rows", "", "array", "the figures, one object per spm.csv row (null: not defined)"),
)  # fmt: skip

# --- sysmodel allocate ----------------------------------------------------------------------------

ALLOCATIONS: tuple[Field, ...] = (
    Field("household", "", "", "the household's id (the input table's row index)"),
    Field("row", "", "int64", "the household's row in the input table (0, 1, ...)"),
    Field("rule", "", _CATEGORY, "the rule (observed first, the optimum last)"),
    Field("intervention", "", _CATEGORY, "the intervention the rule gives the household"),
    Field("p_adverse", "probability", "float64", "predicted probability of the adverse outcome with it"),
    Field("p_adverse_observed", "probability", "float64",
          "predicted probability with the intervention the household actually got"),
    Field("worse_off", "", "bool", "p_adverse higher than under the observed assignment"),
    Field("better_off", "", "bool", "p_adverse lower than under the observed assignment"),
    Field("<group>", "", "", "each 0/1 group flag of the input table (--group), copied", pattern=".+"),
)  # fmt: skip

ALLOCATE_SUMMARY: tuple[Field, ...] = (
    Field("rule", "", "str", "the rule (observed, the rules, optimum)"),
    Field("kind", "", "str", "reference (observed), rule, or bound (optimum)"),
    Field("group", "", "str", "'all', or the group flag the row is about"),
    Field("group_value", "", "Int64", "0 or 1: the flag's value (empty for 'all')"),
    Field("households", "households", "int64", "households in the row's group"),
    Field("expected_adverse", "households", "float64", "expected adverse outcomes: sum of p_adverse"),
    Field("expected_adverse_rate", "share", "float64", "expected adverse outcomes per household"),
    Field("difference_from_observed", "households", "float64",
          "expected adverse outcomes minus those under the observed assignment"),
    Field("share_worse_off", "share", "float64", "share of households worse off than observed"),
    Field("share_better_off", "share", "float64", "share of households better off than observed"),
    Field("n_<intervention>", "households", "int64", "households given that intervention",
          pattern="n_.+"),
)  # fmt: skip

ALLOCATE_MANIFEST: tuple[Field, ...] = (
    Field("command", "", "string", "always 'allocate'"),
    Field("table", "", "object", "the input: file, sha256 (null for a DataFrame), households"),
    Field("layout", "", "object", "which columns held what (interventions least to most intensive, ...)"),
    Field("baseline", "", "string", "the baseline intervention"),
    Field("capacities", "places", "object", "places of each intervention shared out"),
    Field("capacities_given", "places", "object", "capacities given with --capacity"),
    Field("observed_counts", "households", "object", "households that got each intervention"),
    Field("rules", "", "object", "each rule and its one-line description"),
    Field("rule_settings", "", "object", "settings of the rules that have any"),
    Field("seed", "", "integer", "seed of the random rules"),
    Field("expected_adverse", "households", "object", "expected adverse outcomes per rule"),
    Field("optimum", "", "object", "the bound: expected_adverse, solver, max_distance_from_integral"),
    Field("code_revision", "", "string", "git commit of the code, or version + source hash"),
    Field("code_version", "", "string", "sysmodel's version"),
    Field("created", "", "string", "when (ISO 8601, UTC)"),
    Field("observed_outcome", "", "object",
          "column, adverse (observed count) and predicted_for_observed_assignment",
          when="only if the table has an outcome column"),
    Field("files", "", "array", "the other files written"),
)  # fmt: skip


# --- the files --------------------------------------------------------------------------------------

_MONTH_NOTE = (
    "Months are numbered from 0, the first recorded month; negative months are burn-in. Every "
    "column is written in every run; service-system columns are 0 when the schedule runs no "
    "service process."
)


def _files() -> tuple[OutputFile, ...]:
    run, cmp_, spm, alloc = "sysmodel run", "sysmodel compare", "sysmodel spm", "sysmodel allocate"

    def f(command, name, rows, listed_in, fields, source, notes=""):
        return OutputFile(command, name, rows, fields, source, notes, listed_in)

    out = [
        f(
            run,
            "monthly.parquet",
            "one row per recorded month",
            "MONTHLY",
            MONTHLY,
            "sysmodel.outputs.MonthlyRecorder.collect",
            _MONTH_NOTE,
        ),
        f(
            run,
            "families.parquet",
            "one row per family that lived in the area while recording (leavers included)",
            "FAMILIES",
            FAMILIES,
            "sysmodel.outputs.family_table",
            "Counts are since recording started (or the family's arrival). Month columns use -1 for "
            "'none'. Service-system columns are 0, -1 or False when no service process runs.",
        ),
        f(
            run,
            "spells.parquet",
            "one row per spell of service a family received (staff spells and awards)",
            "SPELLS",
            SPELLS,
            "sysmodel.spells.SpellRecorder.table",
            "Spells that ended in burn-in are not kept; one still open at month 0 keeps its true "
            "(negative) start.",
        ),
        f(
            run,
            "housing.parquet",
            "one row per spell a family spent in a housing state",
            "HOUSING",
            HOUSING,
            "sysmodel.history.HousingHistory.table",
            "A family's spells chain: each starts the month after the previous end_month.",
        ),
        f(
            run,
            "summary.json",
            "headline outcomes over the recorded months",
            "_SUMMARY_DESCRIPTIONS (units: sysmodel.outputs.SUMMARY_UNITS)",
            SUMMARY,
            "sysmodel.outputs.summarize",
            "A unit starting with 'share' is a fraction here and a percentage on screen. Undefined "
            "values are written as null.",
        ),
        f(
            run,
            "manifest.json",
            "what was run, with which code; written last",
            "MANIFEST",
            MANIFEST,
            "sysmodel.runner.run_scenario",
        ),
    ]
    tables = _compare_fields()
    for name, fields in tables.items():
        note = (
            "The run's monthly columns with scenario, rep and seed in front."
            if name == "monthly"
            else ""
        )
        where = "MONTHLY" if name == "monthly" else f"_compare_fields() ({name!r})"
        out.append(
            f(
                cmp_,
                f"{name}.parquet",
                _COMPARE_ROWS[name],
                where,
                fields,
                "sysmodel.experiments.compare.compare",
                note,
            )
        )
    out += [
        f(
            cmp_,
            "differences.csv",
            _COMPARE_ROWS["differences"],
            "_compare_fields() ('differences')",
            tables["differences"],
            "sysmodel.experiments.compare.Comparison.save",
            "differences.parquet as CSV.",
        ),
        f(
            cmp_,
            "comparison.json",
            "what was compared, on which seeds; written last",
            "COMPARISON_JSON",
            COMPARISON_JSON,
            "sysmodel.experiments.compare.Comparison.manifest",
        ),
        f(
            spm,
            "spm.csv",
            "one row per figure",
            "SPM_CSV",
            SPM_CSV,
            "sysmodel.spm.spm_measures",
            "Definitions and limits: docs/spm.md.",
        ),
        f(
            spm,
            "spm.json",
            "the figures with what they were computed from",
            "SPM_JSON",
            SPM_JSON,
            "sysmodel.spm.write_spm_files",
        ),
        f(
            alloc,
            "allocations.parquet",
            "one row per household x rule (and the optimum)",
            "ALLOCATIONS",
            ALLOCATIONS,
            "sysmodel.allocate.result._allocations",
            "See docs/allocate.md.",
        ),
        f(
            alloc,
            "summary.csv",
            "one row per rule (and the optimum) x group ('all', each flag = 0, = 1)",
            "ALLOCATE_SUMMARY",
            ALLOCATE_SUMMARY,
            "sysmodel.allocate.result._summary",
        ),
        f(
            alloc,
            "manifest.json",
            "what was done, with which inputs; written last",
            "ALLOCATE_MANIFEST",
            ALLOCATE_MANIFEST,
            "sysmodel.allocate.result._manifest",
        ),
    ]
    return tuple(out)  # fmt: skip


FILES: tuple[OutputFile, ...] = _files()

# Figures the commands also write (PNG; not data, so not described column by column).
FIGURES = {
    "sysmodel compare": "figures/forest.png, trajectories.png, equity.png, counterfactual.png, "
    "ce_plane.png",
    "sysmodel allocate": "allocation.png",
}


def output_file(command: str, name: str) -> OutputFile:
    """The dictionary entry of file ``name`` written by ``command`` (e.g. "sysmodel run")."""
    for f in FILES:
        if f.command == command and f.name == name:
            return f
    raise KeyError(f"no file {name!r} of {command!r} in the data dictionary")


# --- the document -----------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown() -> str:
    """``docs/data_dictionary.md``: a table per file, grouped by command."""
    lines = [
        "# Data dictionary",
        "",
        "<!-- Generated from src/sysmodel/dictionary.py by `python scripts/data_dictionary.py`; "
        "do not edit by hand. -->",
        "",
        "Every file `sysmodel run`, `sysmodel compare`, `sysmodel spm` and `sysmodel allocate` write, "
        "and every column (tables) or top-level key (JSON) in it. `tests/test_data_dictionary.py` "
        "checks this list against the files real runs write.",
        "",
        f"- **Money** is in {DOLLAR_YEAR} US dollars (unit `{USD}`): every amount in the model is.",
        "- **Months** are numbered from 0, the first recorded month; negative months are burn-in. "
        "*During the month* counts events in that month; *at the end of the month* is a state at "
        "the month's end.",
        "- **type** is the pandas dtype when a Parquet file is read back (`Int64`: integers with "
        "`<NA>`; `str`: text), or the JSON type; empty where it depends on the inputs.",
        "- A name in `<...>` stands for names made at run time.",
        "",
    ]
    command = None
    shown: dict[
        tuple[Field, ...], str
    ] = {}  # fields already tabled -> the file they were shown for
    for f in FILES:
        if f.command != command:
            command = f.command
            lines += [f"## `{command}`", ""]
            if command in FIGURES:
                lines += [f"Also writes figures (PNG): {FIGURES[command]}.", ""]
        lines += [
            f"### `{f.name}`",
            "",
            f"{f.rows[0].upper()}{f.rows[1:]}. Written by `{f.source}`.",
        ]
        if f.notes:
            lines[-1] += f" {f.notes}"
        lines.append("")
        if f.fields in shown:
            lines += [f"Columns: as `{shown[f.fields]}` above.", ""]
            continue
        shown[f.fields] = f.name
        fields, rest = f.fields, ""
        if f.command != "sysmodel run" and f.fields[-len(MONTHLY) :] == MONTHLY:
            fields, rest = (
                f.fields[: -len(MONTHLY)],
                "every column of `monthly.parquet` (`sysmodel run`)",
            )
        lines += [f"| {'column' if f.kind == 'table' else 'key'} | unit | type | description |",
                  "|---|---|---|---|"]  # fmt: skip
        for c in fields:
            desc = c.description + (f" *Only {c.when.removeprefix('only ')}.*" if c.when else "")
            type_ = f"`{c.dtype}`" if c.dtype else ""
            lines.append(f"| `{_cell(c.name)}` | {_cell(c.unit)} | {type_} | {_cell(desc)} |")
        if rest:
            lines.append(f"| ... |  |  | then {rest} |")
        lines.append("")
    return "\n".join(lines)
