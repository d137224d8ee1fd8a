"""The one parameter schema: every default of sysmodel with its unit, bounds, description and source.

A scenario file overrides some of these defaults; nothing else sets parameters. The command line
(``--set``), the sensitivity-analysis problem and the dashboard controls are all generated from this
schema through :func:`param_specs`, so a default is written exactly once, here.

Units are part of each name where they can be (``_usd``, ``_per_month``, ``_months``) so that a rate
can never silently be yearly instead of monthly. Dollar amounts are monthly, unless the name or unit
says otherwise, and all in :data:`DOLLAR_YEAR` (2024) US dollars: a public cost published in another
year is converted with :func:`to_dollar_year` (the CPI-U), and its source says so.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Params",
    "ParamSpec",
    "param_specs",
    "HOUSING_STATES",
    "EMPLOYMENT_STATES",
    "DOLLAR_YEAR",
    "CPI_U",
    "to_dollar_year",
]

# Housing states, in the order used by the family arrays (``Population.housing``).
HOUSING_STATES = (
    "stable",  # housed, rent paid up
    "behind",  # housed, owes rent arrears
    "filed",  # housed, an eviction case is filed
    "doubled_up",  # lost housing, staying with others (not literally homeless under HUD's definition)
    "shelter",  # literally homeless, in emergency shelter (HUD category 1): "homeless" in outputs
    "rehoused",  # housed with a time-limited (rapid re-housing) subsidy
    "subsidized",  # housed with a long-term subsidy (voucher): pays 30% of income
    "unsheltered",  # literally homeless, not in shelter (turned away by a full shelter; HUD category 1)
)
EMPLOYMENT_STATES = ("unemployed", "low_wage", "family_wage")

_SRC_EVICTION_LAB = (
    "Eviction Lab; Gromis et al. 2022, PNAS 119(21): 6-8% filed, 2.3-3.1% evicted a year"
)
_SRC_CULHANE = "Culhane et al. 2007, Housing Policy Debate 18(1): family shelter-use clusters"
_SRC_FOS = "HUD Family Options Study (Gubits et al. 2015), monthly cost per family"

# Every dollar amount of the model, and so every cost total and cost per spell averted, is in these dollars.
DOLLAR_YEAR = 2024
# Annual averages of the CPI-U, used to bring figures published in other years to DOLLAR_YEAR. A cost
# source from a year not listed here needs its index added (same series), never a guess.
CPI_U: dict[int, float] = {2013: 232.957, 2020: 258.811, 2023: 304.702, 2024: 313.689}
CPI_U_SOURCE = "BLS CPI-U, U.S. city average, all items, annual averages (series CUUR0000SA0)"


def to_dollar_year(amount: float, year: int) -> float:
    """``amount`` in ``year`` dollars, in :data:`DOLLAR_YEAR` dollars (CPI-U ratio), to the whole dollar.

    Whole dollars because the published unit costs are themselves approximate; cents would be false
    precision in ``sysmodel params``.
    """
    if year not in CPI_U:
        raise KeyError(f"no CPI-U annual average for {year}; add it to CPI_U ({CPI_U_SOURCE})")
    return float(round(amount * CPI_U[DOLLAR_YEAR] / CPI_U[year]))


def _converted(source: str, amount: float, year: int) -> str:
    """The source of a converted default: the published figure, its year and the conversion."""
    return (
        f"{source}: ${amount:,.0f} in {year} USD x CPI-U {CPI_U[DOLLAR_YEAR]}/{CPI_U[year]} "
        f"= ${to_dollar_year(amount, year):,.0f} in {DOLLAR_YEAR} USD ({CPI_U_SOURCE})"
    )

_SRC_CALIBRATED = "calibrated: docs/calibration.md"
_SRC_ASSUMPTION = "modelling assumption (no public figure); see docs/ODD.md"


def P(
    default: Any,
    *,
    unit: str,
    desc: str,
    source: str,
    lo: float | None = None,
    hi: float | None = None,
) -> Any:
    """Declare one parameter: default, unit, inclusive bounds, a one-line description and a source."""
    return Field(
        default,
        ge=lo,
        le=hi,
        description=desc,
        json_schema_extra={"unit": unit, "source": source},
    )


class Section(BaseModel):
    """Base of every parameter section: unknown keys are errors and assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class EquityGroup(Section):
    """A population group with structural-barrier multipliers (1.0 = no barrier)."""

    name: str = P(
        "reference", unit="label", desc="group label used in outputs", source=_SRC_ASSUMPTION
    )
    share: float = P(
        0.6,
        unit="share of families",
        lo=0,
        hi=1,
        desc="share of families in this group",
        source="ACS 2022: share of low-income renter families by race/ethnicity (rounded)",
    )
    hiring_multiplier: float = P(
        1.0,
        unit="x job-finding hazard",
        lo=0,
        hi=2,
        desc="multiplier on job-finding hazards (hiring discrimination < 1)",
        source="Bertrand & Mullainathan 2004; Quillian et al. 2017 meta-analysis",
    )
    wage_multiplier: float = P(
        1.0,
        unit="x wage",
        lo=0,
        hi=2,
        desc="multiplier on wages offered",
        source="BLS Current Population Survey 2023 median weekly earnings by race",
    )
    landlord_multiplier: float = P(
        1.0,
        unit="x landlord acceptance",
        lo=0,
        hi=2,
        desc="multiplier on landlord acceptance when seeking a new lease",
        source="HUD Housing Discrimination Study 2012 (paired testing)",
    )


def _default_groups() -> list[EquityGroup]:
    return [
        EquityGroup(),
        EquityGroup(
            name="barriers",
            share=0.4,
            hiring_multiplier=0.8,
            wage_multiplier=0.88,
            landlord_multiplier=0.8,
        ),
    ]


class TimeParams(Section):
    """Horizon of a run."""

    months: int = P(
        120,
        unit="months",
        lo=1,
        hi=600,
        desc="months simulated and recorded after burn-in",
        source="docs/design.md §2 (ten-year planning horizon)",
    )
    burn_in_months: int = P(
        24,
        unit="months",
        lo=0,
        hi=240,
        desc="months simulated before recording starts, so shelter and arrears reach their usual levels",
        source=_SRC_ASSUMPTION,
    )


class PopulationParams(Section):
    """The synthetic population of low-income renter families in the service area."""

    n_families: int = P(
        10_000,
        unit="families",
        lo=1,
        hi=2_000_000,
        desc="number of family rows (households) in the service area; at most what fits in 24 GiB of "
        "memory over the longest horizon (about 3 GiB per million families over 120 months; a run "
        "too big for the memory available now is refused before it starts)",
        source="order of magnitude of a mid-size county's low-income renter families",
    )
    share_single_adult: float = P(
        0.55,
        unit="share",
        lo=0,
        hi=1,
        desc="share of families with one adult",
        source="ACS 2022: share of low-income renter families with children headed by one parent",
    )
    p_children: list[float] = P(
        [0.25, 0.27, 0.27, 0.13, 0.08],
        unit="probabilities for 0..4 children",
        desc="distribution of the number of children (0 to 4)",
        source="ACS 2022 household size among low-income renters (rounded)",
    )
    groups: list[EquityGroup] = Field(
        default_factory=_default_groups,
        description="equity groups with structural-barrier multipliers",
        json_schema_extra={"unit": "list", "source": "see each group"},
    )
    share_unemployed_start: float = P(
        0.15,
        unit="share",
        lo=0,
        hi=1,
        desc="share of families whose main earner is out of work at the start",
        source="BLS CPS 2023: unemployment and non-work among low-income renter heads (approx.)",
    )
    share_family_wage_start: float = P(
        0.3,
        unit="share of employed",
        lo=0,
        hi=1,
        desc="chance an employed main earner starts in a family-wage job, at skill 0.5 (scaled by 0.5 + skill)",
        source="set near the model's long-run family-wage share so runs start close to equilibrium; MIT Living Wage Calculator vs. BLS OEWS (approx.)",
    )
    skill_beta_a: float = P(
        2.0,
        unit="Beta shape a",
        lo=0.1,
        hi=20,
        desc="skill distribution Beta(a, b), a",
        source=_SRC_ASSUMPTION,
    )
    skill_beta_b: float = P(
        3.0,
        unit="Beta shape b",
        lo=0.1,
        hi=20,
        desc="skill distribution Beta(a, b), b",
        source=_SRC_ASSUMPTION,
    )
    rent_median_usd: float = P(
        1_350.0,
        unit="USD/month",
        lo=100,
        hi=10_000,
        desc="median monthly contract rent of the families' units",
        source="HUD Fair Market Rents FY2024, 2-bedroom national median ~ $1,400",
    )
    rent_log_sd: float = P(
        0.25,
        unit="log-USD",
        lo=0,
        hi=2,
        desc="spread (log standard deviation) of rents",
        source="ACS 2022 gross rent distribution for 2-bedroom units (approx.)",
    )
    rent_income_elasticity: float = P(
        0.4,
        unit="elasticity",
        lo=0,
        hi=1.5,
        desc="how rent at lease-up scales with the family's income: rent ~ (income / reference income)^elasticity",
        source="income elasticity of housing demand ~ 0.3-0.7 (Mayo 1981; Zabel 2004)",
    )
    rent_reference_income_usd: float = P(
        3_200.0,
        unit="USD/month",
        lo=100,
        hi=50_000,
        desc="income at which a family's expected rent equals rent_median_usd",
        source="about the mean income (earnings + benefits) of the synthetic population",
    )
    savings_mean_usd: float = P(
        700.0,
        unit="USD",
        lo=0,
        hi=100_000,
        desc="mean starting savings among families with savings",
        source="Federal Reserve SHED 2023: 37% could not cover a $400 emergency",
    )
    share_no_savings: float = P(
        0.45,
        unit="share",
        lo=0,
        hi=1,
        desc="share of families starting with no savings",
        source="Federal Reserve SHED 2023; FDIC 2021 (low-income renters)",
    )
    share_behind_start: float = P(
        0.06,
        unit="share",
        lo=0,
        hi=1,
        desc="share of families behind on rent at the start (one month of arrears)",
        source="Census Household Pulse Survey 2023: ~8% of renter households behind",
    )
    share_high_barrier: float = P(
        0.201,
        unit="share",
        lo=0,
        hi=1,
        desc="share of families with high barriers to leaving shelter (long stayers)",
        source=f"{_SRC_CULHANE}: 10-20% long-stay cluster; {_SRC_CALIBRATED}",
    )


class EconomyParams(Section):
    """Job loss and finding, wages, training, expense shocks and rent increases."""

    p_job_loss_low_wage_per_month: float = P(
        0.03,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly hazard that a low-wage job ends",
        source="BLS JOLTS 2023: layoffs and discharges plus quits without a new job, low-wage industries (approx.)",
    )
    p_job_loss_family_wage_per_month: float = P(
        0.01,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly hazard that a family-wage job ends",
        source="BLS JOLTS 2023: total layoffs ~1%/month",
    )
    p_job_find_per_month: float = P(
        0.22,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly job-finding hazard of an unemployed main earner of average skill",
        source="BLS CPS labor-force flows 2023: unemployed-to-employed ~ 20-25%/month",
    )
    skill_job_find_effect: float = P(
        1.0,
        unit="x per unit skill",
        lo=0,
        hi=5,
        desc="job-finding hazard is multiplied by (0.5 + effect * skill)",
        source=_SRC_ASSUMPTION,
    )
    p_family_wage_offer_max: float = P(
        0.35,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a found job pays a family wage, at full skill (scales with skill squared)",
        source=_SRC_ASSUMPTION,
    )
    p_promotion_per_month: float = P(
        0.008,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly hazard of moving from a low-wage to a family-wage job, at full skill",
        source="Urban Institute 2019 low-wage mobility: ~1 in 10 a year move up (approx.)",
    )
    low_wage_earnings_usd: float = P(
        2_300.0,
        unit="USD/month",
        lo=0,
        hi=20_000,
        desc="median monthly household earnings in a low-wage job",
        source="BLS OEWS 2023: ~$14/hour x 165 hours",
    )
    family_wage_earnings_usd: float = P(
        4_600.0,
        unit="USD/month",
        lo=0,
        hi=40_000,
        desc="median monthly household earnings in a family-wage job",
        source="MIT Living Wage Calculator 2024: 1 adult, 2 children ~ $28/hour",
    )
    earnings_log_sd: float = P(
        0.2,
        unit="log-USD",
        lo=0,
        hi=2,
        desc="spread of earnings within a job type",
        source="BLS OEWS 2023 within-occupation wage dispersion (approx.)",
    )
    wage_growth_per_year: float = P(
        0.03,
        unit="share/year",
        lo=-0.5,
        hi=0.5,
        desc="yearly nominal wage growth while employed, applied monthly",
        source="Atlanta Fed Wage Growth Tracker, lowest quartile 2023-24 (approx.)",
    )
    p_training_start_per_month: float = P(
        0.004,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance that a main earner not in family-wage work starts occupational training on their own",
        source=_SRC_ASSUMPTION,
    )
    training_months: int = P(
        6,
        unit="months",
        lo=1,
        hi=48,
        desc="duration of an occupational training course",
        source="Project QUEST and Year Up programme lengths (6-12 months)",
    )
    p_training_dropout_per_month: float = P(
        0.04,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly drop-out hazard from training while stably housed",
        source="Project QUEST RCT completion rates (Roder & Elliott 2019), approx.",
    )
    training_dropout_instability_multiplier: float = P(
        3.0,
        unit="x hazard",
        lo=1,
        hi=20,
        desc="drop-out hazard multiplier while behind on rent, facing eviction or homeless",
        source="Worksystems pilot: rent assistance raised completion 38% (docs/sources.md: Portland Aligned Partners Network)",
    )
    training_skill_gain: float = P(
        0.25,
        unit="skill units",
        lo=0,
        hi=1,
        desc="skill gained on completing training (skill is capped at 1)",
        source="sectoral training raised earnings 15-40% after 2-3 years (QUEST, Year Up)",
    )
    p_expense_shock_per_month: float = P(
        0.08,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance of an unexpected expense (car, medical, ...)",
        source="Federal Reserve SHED 2023: ~1 in 3 had a major unexpected expense a year",
    )
    expense_shock_mean_usd: float = P(
        700.0,
        unit="USD",
        lo=0,
        hi=100_000,
        desc="mean size of an expense shock (exponentially distributed)",
        source="JPMorgan Chase Institute 2016: median large unexpected expense ~ $600-$2,000",
    )
    rent_increase_per_year: float = P(
        0.05,
        unit="share/year",
        lo=-0.5,
        hi=1,
        desc="mean yearly rent increase at the lease anniversary",
        source="BLS CPI rent of primary residence 2023-24: ~5-6%/year",
    )
    rent_increase_sd: float = P(
        0.03,
        unit="share",
        lo=0,
        hi=1,
        desc="spread of yearly rent increases between leases",
        source="Apartment List / Zillow lease-renewal data (approx.)",
    )


class BenefitParams(Section):
    """The benefit schedule (with cliffs, or the smooth Flexible Benefit Set) and families' response to it."""

    schedule: str = P(
        "cliff",
        unit="name (registry)",
        desc="benefit schedule: 'cliff' (status quo) or 'flexible' (the Flexible Benefit Set of Pathways to Prosperity)",
        source="docs/sources.md: Pathways to Prosperity (Dakota/Olmsted)",
    )
    fpl_first_person_usd: float = P(
        1_255.0,
        unit="USD/month",
        lo=0,
        hi=10_000,
        desc="federal poverty line for one person",
        source="HHS Poverty Guidelines 2024: $15,060/year",
    )
    fpl_per_extra_person_usd: float = P(
        448.0,
        unit="USD/month",
        lo=0,
        hi=5_000,
        desc="federal poverty line increment for each additional person",
        source="HHS Poverty Guidelines 2024: $5,380/year",
    )
    max_benefit_per_person_usd: float = P(
        230.0,
        unit="USD/month/person",
        lo=0,
        hi=5_000,
        desc="tapered benefits (SNAP-like) at zero earnings, per household member",
        source="USDA SNAP FY2024 maximum allotment $975 for 4",
    )
    benefit_taper: float = P(
        0.3,
        unit="USD lost per USD earned",
        lo=0,
        hi=1,
        desc="phase-out rate of tapered benefits as earnings rise",
        source="USDA SNAP: benefits fall by 30% of net income",
    )
    cliff_benefit_per_child_usd: float = P(
        450.0,
        unit="USD/month/child",
        lo=0,
        hi=5_000,
        desc="value of the cliff benefit (childcare subsidy, Medicaid-like) per child",
        source="Child Care Aware 2023: average childcare price ~ $900/month; half covered (approx.)",
    )
    cliff_threshold_fpl: float = P(
        2.0,
        unit="x poverty line",
        lo=0,
        hi=10,
        desc="earnings above this multiple of the poverty line lose the whole cliff benefit",
        source="state CCDF eligibility limits ~ 200% FPL (approx.)",
    )
    flexible_phaseout_band_fpl: float = P(
        1.5,
        unit="x poverty line",
        lo=0.01,
        hi=10,
        desc="Flexible Benefit Set: the cliff benefit phases out linearly over this band above the threshold",
        source="docs/sources.md: Pathways to Prosperity (Dakota/Olmsted) (Flexible Benefit Set); Atlanta Fed CLIFF tool design",
    )
    p_decline_raise_if_net_loss: float = P(
        0.5,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a family turns down a raise or better job that would lower its net resources",
        source="Atlanta Fed 2019 'benefit cliffs' survey evidence (approx.)",
    )
    take_up_start: float = P(
        0.75,
        unit="share of families",
        lo=0,
        hi=1,
        desc="share of families (at start-up and among newcomers) who claim the schedule's benefits they are eligible for",
        source="USDA FNS 2022-23: SNAP reaches ~ 78-82% of eligible people, ~ 70% of the working poor; childcare subsidies far fewer (approx.)",
    )
    p_start_claiming_per_month: float = P(
        0.01,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family not claiming benefits starts to (without help)",
        source="assumption: with p_stop_claiming_per_month, keeps take-up near take_up_start",
    )
    p_stop_claiming_per_month: float = P(
        0.0033,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a claiming family stops (churn at recertification, burden)",
        source="assumption: steady take-up = start / (start + stop) ~ 0.75",
    )
    p_ui_takeup: float = P(
        0.3,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a main earner who loses a job receives unemployment insurance (UI)",
        source="US DOL 2023: UI recipiency ~ 27-30% of the unemployed, lower for low-wage workers",
    )
    ui_replacement_rate: float = P(
        0.45,
        unit="share of prior earnings",
        lo=0,
        hi=1,
        desc="UI benefit as a share of the earnings just lost",
        source="US DOL 2023: average UI replacement rate ~ 40-45% of prior weekly wages",
    )
    ui_max_usd: float = P(
        2_000.0,
        unit="USD/month",
        lo=0,
        hi=20_000,
        desc="maximum monthly UI benefit",
        source="US DOL 2024: state maximum weekly benefits, median ~ $450-500/week",
    )
    ui_max_months: int = P(
        6,
        unit="months",
        lo=0,
        hi=36,
        desc="months of UI at most after a job loss",
        source="US DOL: 26 weeks in most states",
    )


class BudgetParams(Section):
    """How income, rent and essentials move savings and arrears."""

    essentials_base_usd: float = P(
        350.0,
        unit="USD/month",
        lo=0,
        hi=20_000,
        desc="essential non-rent spending of a household (food, transport, utilities)",
        source="MIT Living Wage Calculator 2024 / United Way ALICE budgets (approx.)",
    )
    essentials_per_person_usd: float = P(
        220.0,
        unit="USD/month/person",
        lo=0,
        hi=5_000,
        desc="essential spending for each household member",
        source="MIT Living Wage Calculator 2024 / United Way ALICE budgets (approx.)",
    )
    essentials_min_share: float = P(
        0.7,
        unit="share of essentials",
        lo=0,
        hi=1,
        desc="in a shortfall, families cut essential spending down to this share before using savings or falling behind on rent",
        source="Census Household Pulse 2023 (food insufficiency, utility cut-backs); BLS Consumer Expenditure Survey (approx.)",
    )
    share_surplus_saved: float = P(
        0.25,
        unit="share",
        lo=0,
        hi=1,
        desc="share of a month's surplus that goes to savings (the rest is consumed)",
        source=_SRC_ASSUMPTION,
    )
    share_surplus_to_debt: float = P(
        0.25,
        unit="share",
        lo=0,
        hi=1,
        desc="share of a month's surplus (after arrears) that repays other debt",
        source=_SRC_ASSUMPTION,
    )
    savings_spend_rate_per_month: float = P(
        0.04,
        unit="share of savings/month",
        lo=0,
        hi=1,
        desc="share of savings spent each month on irregular needs (keeps savings at low-income levels)",
        source="Federal Reserve SCF 2022 / SHED 2023: median liquid savings of low-income renters ~ $1,000-2,000 (approx.)",
    )
    doubled_up_contribution_usd: float = P(
        250.0,
        unit="USD/month",
        lo=0,
        hi=10_000,
        desc="what a doubled-up family contributes to its host household",
        source=_SRC_ASSUMPTION,
    )
    subsidized_rent_share_of_income: float = P(
        0.3,
        unit="share of income",
        lo=0,
        hi=1,
        desc="tenant rent share with a long-term subsidy (voucher)",
        source="HUD Housing Choice Voucher rule: 30% of adjusted income",
    )


class HousingParams(Section):
    """Housing transitions: arrears -> filing -> eviction -> doubled up -> shelter, exits and returns."""

    p_filing_per_month_behind: float = P(
        0.012,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly hazard a landlord files for eviction per month of rent owed (capped at filing_arrears_cap_months)",
        source=f"{_SRC_EVICTION_LAB}; {_SRC_CALIBRATED}",
    )
    filing_arrears_cap_months: float = P(
        6.0,
        unit="months of rent",
        lo=0.1,
        hi=24,
        desc="arrears beyond this many months of rent do not raise the filing hazard further",
        source=f"landlords keep filing as arrears grow; {_SRC_CALIBRATED}",
    )
    p_informal_move_per_month_behind: float = P(
        0.0371,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family behind on rent leaves informally (doubles up) before any filing",
        source="Desmond 2016 'Evicted': informal evictions outnumber formal ones; "
        + _SRC_CALIBRATED,
    )
    p_case_decided_per_month: float = P(
        0.809,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance an eviction case that is still unpaid reaches judgment",
        source="Eviction Lab case timelines: most cases resolve within 1-2 months; "
        + _SRC_CALIBRATED,
    )
    p_eviction_given_judgment: float = P(
        0.401,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a decided, unpaid case ends in an executed eviction (else a payment agreement)",
        source=f"{_SRC_EVICTION_LAB}: evictions/filings ~0.3-0.5; {_SRC_CALIBRATED}",
    )
    p_doubled_up_exit_per_month: float = P(
        0.199,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a doubled-up family finds its own rental (times employment and landlord multipliers)",
        source=f"{_SRC_CULHANE}: 5-10% episodic; {_SRC_CALIBRATED}",
    )
    p_shelter_exit_per_month: float = P(
        0.384,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family with ordinary barriers leaves shelter on its own",
        source=f"{_SRC_CULHANE}: temporary cluster stays ~ 1-2 months; {_SRC_CALIBRATED}",
    )
    high_barrier_exit_multiplier: float = P(
        0.0619,
        unit="x hazard",
        lo=0,
        hi=1,
        desc="multiplier on shelter exits for high-barrier families (long stayers)",
        source=f"{_SRC_CULHANE}: long stayers use about half the shelter days; {_SRC_CALIBRATED}",
    )
    share_shelter_exits_to_doubled_up: float = P(
        0.32,
        unit="share",
        lo=0,
        hi=1,
        desc="share of self-resolved shelter exits that go to doubling up rather than an own lease",
        source="HUD AHAR 2020: exits to family/friends ~ 25-35% (approx.); " + _SRC_CALIBRATED,
    )
    p_rapid_rehousing_per_month: float = P(
        0.06,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a sheltered family is placed by the status-quo rapid re-housing programme",
        source="HUD AHAR/SPM: ~ 15-25% of family shelter exits to RRH (approx.)",
    )
    p_voucher_per_month: float = P(
        0.01,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a sheltered family receives a long-term subsidy (voucher)",
        source="HUD Family Options Study: vouchers scarce; ~1 in 4 eligible families served nationally",
    )
    rrh_subsidy_months: int = P(
        6,
        unit="months",
        lo=1,
        hi=60,
        desc="duration of a status-quo rapid re-housing subsidy",
        source="HUD Family Options Study: median RRH duration ~ 7 months",
    )
    rrh_subsidy_share: float = P(
        0.7,
        unit="share of rent",
        lo=0,
        hi=1,
        desc="share of rent covered by a status-quo rapid re-housing subsidy",
        source="HUD Family Options Study (approx.)",
    )
    p_voucher_exit_per_month: float = P(
        0.005,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family leaves its long-term subsidy (to unsubsidised housing)",
        source="HUD Picture of Subsidized Households: median voucher tenure ~ 8-10 years",
    )
    placement_breakdown_window_months: int = P(
        24,
        unit="months",
        lo=0,
        hi=120,
        desc="months after an assisted lease-up (status-quo RRH or voucher, hub re-housing or hub voucher) during which the placement-breakdown hazards apply",
        source="HUD System Performance Measure 2: returns counted within 24 months of an exit to housing",
    )
    p_placement_conflict_per_month: float = P(
        0.00515,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance an assisted placement breaks down (conflict with the landlord or household, a move the family cannot manage) within the breakdown window; 0 = off. Calibrated to HUD SPM 2 returns within 24 months (docs/calibration.md, block 3, box 0-0.02); the suggested starting value was 0.005 (~6% a year)",
        source="HUD RRH for Homeless Families Demonstration evaluation (Finkel, Henry, Matthews, "
        "Spellman, Abt Associates 2016): 10% of families returned to homelessness within 12 months "
        "of the end of RRH assistance; (calibrated; see docs/calibration.md)",
    )
    p_nonrenewal_at_lease_end: float = P(
        0.211,
        unit="probability (per lease anniversary)",
        lo=0,
        hi=1,
        desc="chance the landlord does not renew an assisted placement's lease at its anniversary (lease_month) within the breakdown window; 0 = off. Calibrated to HUD SPM 2 returns within 24 months (docs/calibration.md, block 3, box 0-0.3); the suggested starting value was 0.10",
        source="HUD RRHD evaluation (Abt Associates 2016): 76% of families moved at least once in the "
        "12 months after RRH ended (not all moves involuntary); (calibrated; see docs/calibration.md)",
    )
    p_breakdown_per_unit_rent_burden_per_month: float = P(
        0.0608,
        unit="probability/month per unit of rent/income above the threshold",
        lo=0,
        hi=1,
        desc="monthly breakdown hazard of an assisted placement whose subsidy has ended, per unit of rent burden (full rent / income) above `rent_burden_threshold` (the excess capped at 1); 0 = off. Calibrated to HUD SPM 2 returns within 24 months (docs/calibration.md, block 3, box 0-0.2); the suggested starting value was 0.05",
        source="modelling assumption: severely cost-burdened tenants (>50% of income on rent, HUD "
        "definition) face shocks they cannot absorb; (calibrated; see docs/calibration.md)",
    )
    rent_burden_threshold: float = P(
        0.5,
        unit="rent / income",
        lo=0,
        hi=5,
        desc="rent burden above which the shock/burden breakdown hazard starts to rise",
        source="HUD: severe rent burden = rent above 50% of income (CHAS definitions)",
    )
    share_breakdowns_to_shelter: float = P(
        0.225,
        unit="share",
        lo=0,
        hi=1,
        desc="share of placement breakdowns that go straight to shelter (the rest double up). Calibrated to HUD SPM 2 returns within 24 months (docs/calibration.md, block 3, box 0.1-0.6); it was 0.3 before",
        source="HUD AHAR 2020: ~ 25-35% of families entering shelter come from their own rental "
        "(approx.); (calibrated; see docs/calibration.md)",
    )
    rent_market_multiplier: float = P(
        1.05,
        unit="x median rent",
        lo=0.1,
        hi=5,
        desc="rent of a new lease relative to the population's median rent (new leases cost more)",
        source="Apartment List 2024: new-lease vs renewal gap (approx.)",
    )


class HelpSeekingParams(Section):
    """Help seeking at the shelter / coordinated-entry front door."""

    p_seek_help_behind_per_month: float = P(
        0.05,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family behind on rent asks for help at the front door",
        source=_SRC_ASSUMPTION,
    )
    p_seek_help_filed_per_month: float = P(
        0.25,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family facing an eviction filing asks for help",
        source=_SRC_ASSUMPTION,
    )
    p_seek_help_doubled_up_per_month: float = P(
        0.0769,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a doubled-up family asks for shelter at the front door",
        source=f"{_SRC_CULHANE}: 5-10% episodic; {_SRC_CALIBRATED}",
    )
    p_shelter_admission: float = P(
        0.9,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a doubled-up family asking for shelter is admitted (else diverted back)",
        source=_SRC_ASSUMPTION,
    )
    engagement_loss_per_intake: float = P(
        0.1,
        unit="share",
        lo=0,
        hi=1,
        desc="engagement lost with each intake (administrative burden: telling one's story again)",
        source="docs/sources.md: Pathways to Prosperity (Dakota/Olmsted) (administrative burden); Herd & Moynihan 2018",
    )
    engagement_recovery_per_month: float = P(
        0.02,
        unit="per month",
        lo=0,
        hi=1,
        desc="engagement regained each month toward 1 without a new intake",
        source=_SRC_ASSUMPTION,
    )


class CapacityParams(Section):
    """What the system can hold: shelter beds, landlords' units for assisted placements, vouchers.

    Each capacity is per 1,000 families of the modelled population (so it scales with
    ``population.n_families``: capacity = round(value x n_families / 1000)); ``null`` means no limit,
    and with every capacity ``null`` the model is the uncapped model exactly. Each keeps a queue whose
    length, joins, departures and waits are in the monthly table (docs/ODD.md, "Capacities and queues").
    """

    shelter_units_per_1000_families: float | None = P(
        None,
        unit="family shelter units per 1,000 families",
        lo=0,
        hi=1000,
        desc="emergency-shelter units for families; a family admitted when all are full waits on the shelter's list (doubled up or unsheltered) and is admitted first-come first-served as units free up; null = no limit",
        source="HUD Housing Inventory Count (HIC): year-round family emergency-shelter beds of a "
        "Continuum of Care, divided by the families it serves; calibrated to utilisation near "
        "capacity (docs/calibration.md)",
    )
    share_turned_away_unsheltered: float = P(
        0.3,
        unit="share",
        lo=0,
        hi=1,
        desc="share of families turned away by a full shelter who sleep unsheltered (the rest stay or go doubled up) while they wait",
        source="HUD AHAR 2022 Part 1: ~10% of people in families experiencing homelessness on the "
        "point-in-time night were unsheltered; calibrated to that share (docs/calibration.md)",
    )
    p_unsheltered_to_doubled_up_per_month: float = P(
        0.3,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance an unsheltered family finds someone to double up with (it stays on the shelter's list)",
        source=_SRC_ASSUMPTION,
    )
    landlord_units_per_1000_families_per_month: float | None = P(
        None,
        unit="units offered to assisted households per 1,000 families per month",
        lo=0,
        hi=1000,
        desc="rental units landlords offer each month to households searching with assistance (status-quo RRH and vouchers, hub re-housing and hub vouchers); when more households search than units are offered, each search succeeds less often (acceptance = units / searchers); null = no limit",
        source="HUD/Census Rental Housing Finance Survey and Housing Vacancy Survey (rental vacancy "
        "~6% nationally, lower at the bottom of the market); set per scenario (docs/ODD.md)",
    )
    voucher_stock_per_1000_families: float | None = P(
        None,
        unit="long-term vouchers per 1,000 families",
        lo=0,
        hi=1000,
        desc="status-quo long-term vouchers (public housing authority) in use or issued; shelter families matched to a voucher when none is free join its waiting list, served first-come first-served as holders leave (turnover: housing.p_voucher_exit_per_month); null = no limit",
        source="HUD Picture of Subsidized Households: vouchers in use per locality; set per scenario "
        "(docs/ODD.md)",
    )

    def units(self, per_1000: float | None, n_families: int) -> int | None:
        """A capacity in whole units for a population of ``n_families`` (None: no limit)."""
        if per_1000 is None:
            return None
        return int(round(per_1000 * n_families / 1000.0))


class TurnoverParams(Section):
    """Families moving out of the service area, replaced by newcomers (rate 0 = closed cohort)."""

    p_move_out_per_month: float = P(
        0.01,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family leaves the service area; a newcomer takes its place",
        source="ACS 2022: ~ 12% of low-income renters move county a year (approx.)",
    )


class CostParams(Section):
    """Public unit costs, per family (or staff member) per month, in DOLLAR_YEAR dollars."""

    shelter_usd: float = P(
        to_dollar_year(4_800, 2013),
        unit="USD/family-month (2024)",
        lo=0,
        hi=50_000,
        desc="emergency shelter",
        source=_converted(_SRC_FOS, 4_800, 2013),
    )
    rapid_rehousing_usd: float = P(
        to_dollar_year(880, 2013),
        unit="USD/family-month (2024)",
        lo=0,
        hi=50_000,
        desc="rapid re-housing (subsidy plus services)",
        source=_converted(_SRC_FOS, 880, 2013),
    )
    long_term_subsidy_usd: float = P(
        to_dollar_year(1_160, 2013),
        unit="USD/family-month (2024)",
        lo=0,
        hi=50_000,
        desc="long-term subsidy (voucher)",
        source=_converted(_SRC_FOS, 1_160, 2013),
    )
    staff_usd: float = P(
        to_dollar_year(6_000, 2023),
        unit="USD/staff-month (2024)",
        lo=0,
        hi=50_000,
        desc="loaded monthly cost of one coach or coordinator",
        source=_converted(
            "BLS OEWS 2023: social and human service assistants / counselors ~ $50-60k a year "
            "plus 30% overhead",
            6_000,
            2023,
        ),
    )


class AgencyParams(Section):
    """The agency network and its staff (services act on them in the service-system issue)."""

    n_employment_providers: int = P(
        3,
        unit="agencies",
        lo=1,
        hi=50,
        desc="community employment providers (Aligned Partners Network members)",
        source="docs/sources.md: Portland Aligned Partners Network",
    )
    career_coaches_per_provider: int = P(
        3,
        unit="staff",
        lo=0,
        hi=200,
        desc="career coaches at each employment provider",
        source=_SRC_ASSUMPTION,
    )
    financial_coaches: int = P(
        3,
        unit="staff",
        lo=0,
        hi=200,
        desc="financial coaches at the financial-coaching organisation",
        source=_SRC_ASSUMPTION,
    )
    rent_assistance_coordinators: int = P(
        8,
        unit="staff",
        lo=0,
        hi=200,
        desc="rent-assistance coordinators at the housing hub",
        source="docs/sources.md: Portland Aligned Partners Network (housing hub)",
    )
    caseload_cap: int = P(
        20,
        unit="households per staff",
        lo=1,
        hi=500,
        desc="caseload capacity of each staff member",
        source="OrgCode; intensive case management 1:20 (docs/design.md §7)",
    )
    base_relationship_strength: float = P(
        0.3,
        unit="0-1",
        lo=0,
        hi=1,
        desc="starting strength (trust) of referral relationships between agencies",
        source=_SRC_ASSUMPTION,
    )


class ServiceParams(Section):
    """How families reach services and what staff do: intake, referral, service model, coaching."""

    @field_validator("pair_alignment")
    @classmethod
    def _valid_pairs(cls, pairs: dict[str, float]) -> dict[str, float]:
        return _check_pairs(pairs)

    model: str = P(
        "siloed",
        unit="name (registry)",
        desc="service model: 'siloed' (each agency on its own) or 'aligned' (housing hub / Aligned Partners Network)",
        source="docs/design.md §4; docs/sources.md: Portland Aligned Partners Network; docs/sources.md: Pathways to Prosperity (Dakota/Olmsted)",
    )
    alignment: float = P(
        1.0,
        unit="0-1",
        lo=0,
        hi=1,
        desc="degree of alignment used by the 'aligned' model (0 reproduces 'siloed' exactly)",
        source="docs/design.md §4",
    )
    pair_alignment: dict[str, float] = Field(
        default_factory=dict,
        description="alignment (0-1) of single pairs of agency kinds, e.g. {'housing_hub:employment_provider': 0.8}; pairs not listed use the model's degree (0 if siloed, services.alignment if aligned)",
        json_schema_extra={
            "unit": "0-1 per 'kind:kind' pair",
            "source": "docs/design.md §4 (partial alignment)",
        },
    )
    referral_success_siloed: float = P(
        0.35,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a cold referral between siloed agencies is completed (at full relationship strength)",
        source="service-integration literature: 'referral leakage' of half or more (approx.); docs/sources.md: Pathways to Prosperity (Dakota/Olmsted)",
    )
    referral_success_aligned: float = P(
        0.9,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a warm hand-off between aligned agencies is completed (at full relationship strength)",
        source="docs/sources.md: Portland Aligned Partners Network (shared customers, warm hand-offs) (approx.)",
    )
    referral_delay_siloed_months: int = P(
        2,
        unit="months",
        lo=0,
        hi=24,
        desc="months before a siloed referral reaches the next agency",
        source=_SRC_ASSUMPTION,
    )
    relationship_effect: float = P(
        0.5,
        unit="share",
        lo=0,
        hi=1,
        desc="referral success is multiplied by 1 - effect * (1 - relationship strength)",
        source="docs/sources.md: Pathways to Prosperity (Dakota/Olmsted): 'relationships are often where the work lives or dies' (approx.)",
    )
    coordination_share: float = P(
        0.15,
        unit="share of staff capacity",
        lo=0,
        hi=0.9,
        desc="share of staff capacity spent on coordination at full alignment (shared case conferences)",
        source=_SRC_ASSUMPTION,
    )
    p_seek_coaching_per_month: float = P(
        0.03,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family not in family-wage work approaches an employment provider (times engagement)",
        source=_SRC_ASSUMPTION,
    )
    walk_in_employed_multiplier: float = P(
        0.05,
        unit="x probability",
        lo=0,
        hi=1,
        desc="employed (low-wage) families walk in to an employment provider at this multiple of the unemployed rate",
        source="WIOA participants are mostly unemployed at entry (DOL WIOA performance data) (approx.); calibrated: docs/calibration.md (Portland)",
    )
    p_disengage_unemployed_per_month: float = P(
        0.3,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a coached family out of work stops coming (the spell ends, not employed); times 1 - alignment while it also has a coordinator",
        source="workforce programme attrition (approx.); docs/sources.md: Portland Aligned Partners Network (coaches engage during assistance); calibrated: docs/calibration.md (Portland)",
    )
    p_accept_offer: float = P(
        0.8,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a family offered a staff slot takes it up (times engagement): imperfect take-up",
        source="take-up of voluntary services ~ 60-90% (approx.)",
    )
    max_wait_months: int = P(
        4,
        unit="months",
        lo=1,
        hi=60,
        desc="families waiting longer than this for a staff slot give up (and lose engagement)",
        source=_SRC_ASSUMPTION,
    )
    coaching_months: int = P(
        12,
        unit="months",
        lo=1,
        hi=60,
        desc="length of a career-coaching spell",
        source="docs/sources.md: Portland Aligned Partners Network (coaching before, during and after assistance) (approx.)",
    )
    coach_job_find_multiplier: float = P(
        1.5,
        unit="x hazard",
        lo=1,
        hi=5,
        desc="job-finding hazard multiplier while coached (at full staff effectiveness)",
        source="WIOA / sectoral programme evaluations (approx.); calibrated to docs/sources.md: Portland Aligned Partners Network (issue 3)",
    )
    coach_promotion_multiplier: float = P(
        2.0,
        unit="x hazard",
        lo=1,
        hi=10,
        desc="family-wage placement (promotion) hazard multiplier while coached",
        source="docs/sources.md: Portland Aligned Partners Network: family-wage career focus (approx.)",
    )
    coach_training_start_per_month: float = P(
        0.05,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="extra monthly chance a coached family not in training starts occupational training (scholarships)",
        source="docs/sources.md: Portland Aligned Partners Network: scholarships for occupational training (approx.)",
    )
    coach_training_dropout_multiplier: float = P(
        0.6,
        unit="x hazard",
        lo=0,
        hi=1,
        desc="training drop-out hazard multiplier while coached",
        source="Worksystems pilot: 38% more likely to complete training (docs/sources.md: Portland Aligned Partners Network) (approx.)",
    )
    p_coach_loses_case_per_month_siloed: float = P(
        0.3,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="siloed: monthly chance a coach loses a client whose housing is in crisis (the coach does not see it coming)",
        source="docs/design.md §4 (approx.)",
    )
    financial_coaching_months: int = P(
        6,
        unit="months",
        lo=1,
        hi=60,
        desc="length of a financial-coaching spell",
        source="Living Cities / financial coaching programmes (docs/sources.md: Living Cities financial coaching) (approx.)",
    )
    p_refer_financial: float = P(
        0.3,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a coach or coordinator refers a new client to financial coaching",
        source="docs/sources.md: Living Cities financial coaching (approx.)",
    )
    financial_coach_saving_multiplier: float = P(
        1.8,
        unit="x share saved",
        lo=1,
        hi=4,
        desc="multiplier on the share of surplus saved and on debt repayment while financially coached",
        source="CFPB 2019 financial coaching evaluation: savings and debt improvements (approx.)",
    )
    financial_coach_take_up_per_month: float = P(
        0.15,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="extra monthly chance a financially coached family not claiming benefits starts to (at full effectiveness)",
        source="CFPB 2019 financial coaching evaluation; coaches screen clients for benefits (approx.)",
    )
    coordination_months_after_assistance: int = P(
        3,
        unit="months",
        lo=0,
        hi=24,
        desc="months a coordinator follows a family after assistance before closing the case",
        source=_SRC_ASSUMPTION,
    )
    overload_share: float = P(
        0.0,
        unit="share of capacity",
        lo=0,
        hi=2,
        desc="while families wait, staff are assigned cases beyond their caseload cap by up to this share (months over the cap lead to burnout)",
        source="docs/design.md §5 (lever); 0 = caps are never exceeded",
    )
    burnout_after_months_over: int = P(
        3,
        unit="months",
        lo=1,
        hi=24,
        desc="months over capacity after which a staff member burns out",
        source="caseload and burnout literature (approx.)",
    )
    burnout_effectiveness: float = P(
        0.6,
        unit="share",
        lo=0,
        hi=1,
        desc="effectiveness of a burned-out staff member (recovers when back under capacity)",
        source=_SRC_ASSUMPTION,
    )
    strength_gain_per_shared_case: float = P(
        0.002,
        unit="per shared case-month",
        lo=0,
        hi=0.1,
        desc="growth of an agency pair's relationship strength per shared case each month",
        source="docs/sources.md: Portland Aligned Partners Network (approx.)",
    )
    strength_gain_per_contact_hour: float = P(
        0.002,
        unit="per hour",
        lo=0,
        hi=0.1,
        desc="growth of relationship strength per hour of partnership contact time",
        source=_SRC_ASSUMPTION,
    )
    contact_hours_per_month: float = P(
        1.5,
        unit="hours/month per agency pair",
        lo=0,
        hi=200,
        desc="partnership investment: contact time between partner agencies each month",
        source="docs/design.md §5 (lever)",
    )
    strength_decay_per_month: float = P(
        0.01,
        unit="share/month",
        lo=0,
        hi=1,
        desc="share of relationship strength lost each month",
        source=_SRC_ASSUMPTION,
    )


AGENCY_KINDS = (
    "housing_hub",
    "front_door",
    "benefits_office",
    "child_welfare",
    "financial_coaching",
    "employment_provider",
)


def _check_pairs(pairs: dict[str, float]) -> dict[str, float]:
    for key, value in pairs.items():
        kinds = key.split(":")
        if len(kinds) != 2 or any(k not in AGENCY_KINDS for k in kinds):
            raise ValueError(
                f"services.pair_alignment key {key!r} must be 'kind:kind' with kinds from "
                f"{', '.join(AGENCY_KINDS)}"
            )
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"services.pair_alignment[{key!r}] = {value} must be between 0 and 1")
    return pairs


class AssistanceParams(Section):
    """The housing hub's rent-assistance budget, its rationing and the subsidies it buys."""

    annual_budget_usd: float = P(
        600_000.0,
        unit="USD/year",
        lo=0,
        hi=1e9,
        desc="rent-assistance budget of the housing hub (prevention plus re-housing)",
        source="order of magnitude of a county ESG / local rent-assistance allocation (approx.)",
    )
    share_staff: float = P(
        0.0,
        unit="share",
        lo=0,
        hi=1,
        desc="share of the budget that hires staff of `staff_role` (whole staff at costs.staff_usd; any remainder stays cash)",
        source="docs/design.md §5 (lever: a budget split between prevention, re-housing and staff)",
    )
    staff_role: Literal["coordinator", "coach", "financial"] = P(
        "coordinator",
        unit="role",
        desc="who the staff share hires: rent-assistance coordinators (hub), career coaches (spread over the providers) or financial coaches",
        source="docs/design.md §5 (lever)",
    )
    share_prevention: float = P(
        0.4,
        unit="share",
        lo=0,
        hi=1,
        desc="share of the cash part of the budget (after staff) for prevention (arrears, stopping filings); the rest is for re-housing and hub vouchers (split by share_vouchers)",
        source="docs/design.md §5 (lever)",
    )
    share_vouchers: float = P(
        0.0,
        unit="share",
        lo=0,
        hi=1,
        desc="share of the cash left after prevention that pays for hub long-term vouchers (deep and long help); the rest is for re-housing. The money goes into a voucher pot month by month and pays the holders' subsidies; vouchers are awarded while the pot keeps voucher_reserve_months of the committed subsidies",
        source="docs/design.md §5 (lever: deep-long help); issue 8",
    )
    voucher_reserve_months: float = P(
        6.0,
        unit="months of committed subsidies",
        lo=1,
        hi=60,
        desc="the hub awards another long-term voucher only while its voucher pot holds this many months of every committed voucher subsidy (holders' and open awards'); a larger reserve is safer against rising subsidies and leaves more of the line unspent",
        source="modelling assumption; public housing agencies hold voucher reserves (HUD Housing "
        "Choice Voucher program: HAP reserves), docs/ODD.md 7.9",
    )
    rationing: str = P(
        "first_come_first_served",
        unit="name (registry)",
        desc="rule that orders applicants when funds are short",
        source="docs/design.md §5",
    )
    prevention_max_months_rent: float = P(
        3.0,
        unit="months of rent",
        lo=0,
        hi=24,
        desc="most arrears one prevention award pays",
        source="Emergency Rental Assistance programme caps (approx.)",
    )
    rehousing_subsidy_share: float = P(
        0.7,
        unit="share of rent",
        lo=0,
        hi=1,
        desc="depth of a re-housing subsidy",
        source="HUD Family Options Study (approx.)",
    )
    rehousing_months: int = P(
        6,
        unit="months",
        lo=1,
        hi=60,
        desc="duration of a re-housing subsidy",
        source="HUD Family Options Study: median RRH ~ 7 months",
    )
    deposit_months_rent: float = P(
        1.0,
        unit="months of rent",
        lo=0,
        hi=6,
        desc="deposit paid with a re-housing award",
        source=_SRC_ASSUMPTION,
    )
    p_lease_up_per_month: float = P(
        0.35,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a family with a re-housing award finds a landlord who accepts (times landlord multiplier)",
        source="HUD Family Options Study: median RRH lease-up ~ 2-3 months (approx.)",
    )
    coordinator_landlord_boost: float = P(
        0.5,
        unit="share",
        lo=0,
        hi=3,
        desc="coordinators' landlord relationships raise lease-up by this share",
        source="docs/sources.md: Portland Aligned Partners Network (housing market knowledge) (approx.)",
    )
    award_expiry_months: int = P(
        4,
        unit="months",
        lo=1,
        hi=24,
        desc="a re-housing award not leased up within this many months lapses (funds return)",
        source=_SRC_ASSUMPTION,
    )


class ScreeningParams(Section):
    """Upstream identification: screening families for risk before they reach a crisis."""

    reach_per_month: float = P(
        0.0,
        unit="share of families/month",
        lo=0,
        hi=1,
        desc="share of families screened each month (schools, benefits office); 0 switches screening off",
        source="docs/design.md §5 (lever)",
    )
    flag_share: float = P(
        0.2,
        unit="share of screened",
        lo=0,
        hi=1,
        desc="share of screened families with the highest scores who are flagged and offered help",
        source="docs/design.md §5 (lever)",
    )


class TargetingParams(Section):
    """The hub's one predicted-risk score, used to screen and to rank rent-assistance applicants."""

    target_auc: float = P(
        0.75,
        unit="AUC",
        lo=0.5,
        hi=1.0,
        desc="accuracy of the predicted-risk score that screening and the risk-based rationing rules "
        "use: its AUC for a family's shelter entry within the next 12 months under status-quo dynamics "
        "(0.5 = noise); a run refuses a target above the true risk's own AUC (about 0.86 on the "
        "defaults)",
        source="eviction-risk screening tools report AUCs of ~0.65-0.8 against outcomes (approx.)",
    )
    benefit_noise_correlation: float = P(
        0.0,
        unit="correlation",
        lo=0,
        hi=1,
        desc="largest_predicted_benefit: correlation of the score's errors with and without help (0 = "
        "independent errors, the predicted fall in risk is noisiest; 1 = the same error, which "
        "mostly cancels)",
        source=_SRC_ASSUMPTION,
    )
    calibration_families: int = P(
        50_000,
        unit="families",
        lo=1_000,
        hi=1_000_000,
        desc="families in the status-quo pilot run that calibrates the score's noise to target_auc "
        "(about 1,700 shelter entries on the defaults: the AUC is known to about +-0.006)",
        source=_SRC_ASSUMPTION,
    )


class ChildrenParams(Section):
    """Two-generation outcomes: child well-being, school moves and child-welfare involvement."""

    wellbeing_start_mean: float = P(
        70.0,
        unit="index 0-100",
        lo=0,
        hi=100,
        desc="mean child well-being index at the start",
        source="index scaled like a 0-100 well-being score (assumption); docs/sources.md: Kresge/Ascend two-generation",
    )
    wellbeing_start_sd: float = P(
        10.0,
        unit="index points",
        lo=0,
        hi=50,
        desc="spread of child well-being at the start",
        source=_SRC_ASSUMPTION,
    )
    wellbeing_recovery_per_month: float = P(
        0.05,
        unit="share of gap/month",
        lo=0,
        hi=1,
        desc="share of the gap to the family's start level recovered each month",
        source=_SRC_ASSUMPTION,
    )
    wellbeing_loss_behind: float = P(
        0.5,
        unit="index points/month",
        lo=0,
        hi=20,
        desc="monthly well-being loss while the family is behind on rent or facing a filing (parental stress)",
        source="Desmond & Kimbro 2015: eviction and maternal/child health (approx.)",
    )
    wellbeing_loss_doubled_up: float = P(
        1.5,
        unit="index points/month",
        lo=0,
        hi=20,
        desc="monthly well-being loss while doubled up",
        source="Cutuli et al. 2013 (doubled-up and homeless students) (approx.)",
    )
    wellbeing_loss_shelter: float = P(
        2.5,
        unit="index points/month",
        lo=0,
        hi=20,
        desc="monthly well-being loss while in shelter",
        source="HUD Family Options Study child well-being outcomes (approx.)",
    )
    wellbeing_loss_school_move: float = P(
        4.0,
        unit="index points",
        lo=0,
        hi=50,
        desc="one-off well-being loss at a school move",
        source="Cordes et al. 2019: school mobility and achievement (approx.)",
    )
    wellbeing_gain_income: float = P(
        0.5,
        unit="index points/month",
        lo=0,
        hi=20,
        desc="monthly well-being gain while income is above twice the poverty line",
        source="Duncan et al. 2011: income and child outcomes (approx.)",
    )
    p_school_move_on_move: float = P(
        0.6,
        unit="probability",
        lo=0,
        hi=1,
        desc="chance a family's move (losing housing, entering or leaving shelter) changes the children's school",
        source="US ED McKinney-Vento data: homeless students change schools often (approx.)",
    )
    p_cw_involvement_per_month: float = P(
        0.001,
        unit="probability/month",
        lo=0,
        hi=1,
        desc="monthly chance a stably housed family with children becomes involved with child welfare",
        source="US HHS Child Maltreatment 2022: ~ 1% of children a year subject of a report (approx.)",
    )
    cw_risk_multiplier_unstable: float = P(
        4.0,
        unit="x hazard",
        lo=1,
        hi=50,
        desc="child-welfare involvement hazard multiplier while doubled up or in shelter",
        source="docs/sources.md: USICH child welfare and housing: housing instability and child-welfare involvement (approx.)",
    )
    cw_case_months: int = P(
        12,
        unit="months",
        lo=1,
        hi=120,
        desc="duration of a child-welfare case",
        source="US HHS AFCARS: median time in care ~ 15 months (approx.)",
    )
    cw_case_usd: float = P(
        to_dollar_year(1_500, 2020),
        unit="USD/family-month (2024)",
        lo=0,
        hi=50_000,
        desc="public cost of an open child-welfare case",
        source=_converted(
            "Child Trends 2020 child-welfare spending per child served (approx.)", 1_500, 2020
        ),
    )
    cw_housing_partnership: bool = Field(
        False,
        description="child-welfare and housing partnership: CW families get case-by-case access to the hub",
        json_schema_extra={
            "unit": "switch",
            "source": "docs/sources.md: USICH child welfare and housing",
        },
    )
    cw_braided_budget_usd: float = P(
        0.0,
        unit="USD/year",
        lo=0,
        hi=1e9,
        desc="child-welfare money braided into the hub's rent assistance (partnership only)",
        source="docs/sources.md: USICH child welfare and housing (braided funding)",
    )


# The month's processes (docs/design.md §3): the family dynamics, then the service system.
FAMILY_SCHEDULE = [
    "turnover",
    "economy",
    "benefits",
    "budget",
    "housing",
    "placements",
    "help_seeking",
]
SERVICE_SCHEDULE = [
    *FAMILY_SCHEDULE,
    "screening",
    "intake",
    "rationing",
    "services",
    "children",
    "accounting",
]


class ScheduleParams(Section):
    """The month's process order (names from the process registry; see ``sysmodel processes``)."""

    processes: list[str] = Field(
        default_factory=lambda: list(SERVICE_SCHEDULE),
        description="process names run each month, in order",
        json_schema_extra={"unit": "list of names", "source": "docs/design.md §3"},
    )

    @field_validator("processes")
    @classmethod
    def _each_process_once(cls, names: list[str]) -> list[str]:
        # A process listed twice would run twice a month and double its hazards: always a slip.
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            if name in first:
                raise ValueError(
                    f"{name!r} is listed twice (items {first[name]} and {i}); each process runs "
                    "once a month, so list it once"
                )
            first[name] = i
        return names


class Params(Section):
    """All parameters of a sysmodel run. A scenario file overrides some of them."""

    time: TimeParams = Field(default_factory=TimeParams)
    population: PopulationParams = Field(default_factory=PopulationParams)
    economy: EconomyParams = Field(default_factory=EconomyParams)
    benefits: BenefitParams = Field(default_factory=BenefitParams)
    budget: BudgetParams = Field(default_factory=BudgetParams)
    housing: HousingParams = Field(default_factory=HousingParams)
    help_seeking: HelpSeekingParams = Field(default_factory=HelpSeekingParams)
    capacity: CapacityParams = Field(default_factory=CapacityParams)
    turnover: TurnoverParams = Field(default_factory=TurnoverParams)
    costs: CostParams = Field(default_factory=CostParams)
    agencies: AgencyParams = Field(default_factory=AgencyParams)
    services: ServiceParams = Field(default_factory=ServiceParams)
    assistance: AssistanceParams = Field(default_factory=AssistanceParams)
    screening: ScreeningParams = Field(default_factory=ScreeningParams)
    targeting: TargetingParams = Field(default_factory=TargetingParams)
    children: ChildrenParams = Field(default_factory=ChildrenParams)
    schedule: ScheduleParams = Field(default_factory=ScheduleParams)

    @model_validator(mode="after")
    def _check_distributions(self) -> Params:
        pop = self.population
        if len(pop.p_children) != 5 or any(p < 0 for p in pop.p_children):
            raise ValueError(
                "population.p_children must be 5 non-negative probabilities (for 0 to 4 children)"
            )
        if abs(sum(pop.p_children) - 1.0) > 1e-6:
            raise ValueError(f"population.p_children must sum to 1, got {sum(pop.p_children):.6g}")
        if not pop.groups:
            raise ValueError("population.groups must list at least one equity group")
        if abs(sum(g.share for g in pop.groups) - 1.0) > 1e-6:
            raise ValueError(
                f"population.groups shares must sum to 1, got {sum(g.share for g in pop.groups):.6g}"
            )
        names = [g.name for g in pop.groups]
        if len(set(names)) != len(names):
            raise ValueError(f"population.groups names must be unique, got {names}")
        return self

    def with_overrides(self, overrides: dict[str, Any]) -> Params:
        """Return a validated copy with dotted-key overrides applied, e.g. ``{"economy.p_job_find_per_month": 0.3}``."""
        data = self.model_dump()
        for key, value in overrides.items():
            set_dotted(data, key, value)
        return Params.model_validate(data)

    def flat(self) -> dict[str, Any]:
        """All scalar parameters as one flat ``{"section.name": value}`` dict (lists kept as lists)."""
        out: dict[str, Any] = {}
        for section, values in self.model_dump().items():
            for key, value in values.items():
                out[f"{section}.{key}"] = value
        return out


def set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``key="a.b"``, creating nested dicts as needed."""
    parts = key.split(".")
    node = data
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"'{key}': '{part}' is a parameter, not a section")
    node[parts[-1]] = value


@dataclass(frozen=True)
class ParamSpec:
    """What the schema says about one parameter: used by the CLI, sensitivity analysis and dashboard."""

    path: str
    default: Any
    unit: str
    lo: float | None
    hi: float | None
    description: str
    source: str
    kind: str  # "float", "int", "choice", "list"
    choices: tuple[str, ...] = ()
    nullable: bool = False  # null allowed (a capacity: null = no limit)


def _bounds(field: Any) -> tuple[float | None, float | None]:
    lo = hi = None
    for m in field.metadata:
        if hasattr(m, "ge"):
            lo = m.ge
        if hasattr(m, "le"):
            hi = m.le
    return lo, hi


def field_info(path: str) -> Any | None:
    """The pydantic FieldInfo of a dotted parameter path, or None if there is no such parameter."""
    parts = path.split(".")
    cls: Any = Params
    field = None
    for part in parts:
        if part.isdigit() and get_origin(cls) is list:
            cls = get_args(cls)[0]  # an item of a list field, e.g. population.groups.0.share
            continue
        fields = getattr(cls, "model_fields", None)
        if fields is None or part not in fields:
            return None
        field = fields[part]
        cls = field.annotation
    return field


# Text parameters whose value must be a registered name: path -> (module, registry attribute).
NAMED_CHOICES: dict[str, tuple[str, str]] = {
    "benefits.schedule": ("sysmodel.policies", "BENEFIT_SCHEDULES"),
    "services.model": ("sysmodel.policies", "SERVICE_MODELS"),
    "assistance.rationing": ("sysmodel.policies", "RATIONING_RULES"),
}


def registered_names(path: str) -> list[str]:
    """The names currently registered for a text parameter listed in ``NAMED_CHOICES``."""
    module, attr = NAMED_CHOICES[path]
    return getattr(importlib.import_module(module), attr).names()


def param_specs() -> list[ParamSpec]:
    """Every parameter of the schema, in declaration order."""
    defaults = Params()
    specs: list[ParamSpec] = []
    for section, sfield in Params.model_fields.items():
        for name, field in sfield.annotation.model_fields.items():
            extra = field.json_schema_extra or {}
            lo, hi = _bounds(field)
            default = getattr(getattr(defaults, section), name)
            ann = field.annotation
            if ann is bool:
                kind = "bool"
            elif ann is int:
                kind = "int"
            elif ann is float or ann == float | None:
                kind = "float"
            elif get_origin(ann) is Literal or ann is str:
                kind = "choice"
            elif get_origin(ann) is dict:
                kind = "mapping"
            else:
                kind = "list"
            choices: tuple[str, ...] = ()
            if f"{section}.{name}" in NAMED_CHOICES:
                choices = tuple(registered_names(f"{section}.{name}"))
            elif get_origin(ann) is Literal:
                choices = tuple(get_args(ann))
            if (
                kind == "list"
                and isinstance(default, list)
                and default
                and isinstance(default[0], BaseModel)
            ):
                default = [g.model_dump() for g in default]
            specs.append(
                ParamSpec(
                    path=f"{section}.{name}",
                    default=default,
                    unit=extra.get("unit", ""),
                    lo=lo,
                    hi=hi,
                    description=field.description or "",
                    source=extra.get("source", ""),
                    kind=kind,
                    choices=choices,
                    nullable=ann == float | None,
                )
            )
    return specs
