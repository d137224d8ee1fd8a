"""One dollar year: public costs published in other years are converted to DOLLAR_YEAR with the CPI-U, so
totals and cost per spell averted never add dollars of different years."""

from __future__ import annotations

import re

import pytest

from sysmodel.params import CPI_U, DOLLAR_YEAR, Params, param_specs, to_dollar_year

COSTS_FROM_OTHER_YEARS = {
    # parameter: (published figure, its dollar year)
    "costs.shelter_usd": (4_800.0, 2013),
    "costs.rapid_rehousing_usd": (880.0, 2013),
    "costs.long_term_subsidy_usd": (1_160.0, 2013),
    "costs.staff_usd": (6_000.0, 2023),
    "children.cw_case_usd": (1_500.0, 2020),
}


def test_dollar_year_is_2024_and_the_cpi_table_holds_bls_annual_averages():
    assert DOLLAR_YEAR == 2024
    assert CPI_U == {2013: 232.957, 2020: 258.811, 2023: 304.702, 2024: 313.689}


def test_to_dollar_year_scales_by_the_cpi_ratio_to_the_whole_dollar():
    assert to_dollar_year(4_800, 2013) == round(4_800 * 313.689 / 232.957)  # 6,463
    assert to_dollar_year(1_000, 2024) == 1_000
    with pytest.raises(KeyError, match="2015"):
        to_dollar_year(100, 2015)


@pytest.mark.parametrize("path", sorted(COSTS_FROM_OTHER_YEARS))
def test_public_costs_from_other_years_default_to_their_converted_figure(path):
    amount, year = COSTS_FROM_OTHER_YEARS[path]
    spec = next(s for s in param_specs() if s.path == path)
    assert spec.default == to_dollar_year(amount, year)
    assert spec.default > amount, "prices rose since the figure was published"
    assert f"({DOLLAR_YEAR})" in spec.unit
    # The source names the published figure, its year and the conversion.
    assert f"${amount:,.0f}" in spec.source and str(year) in spec.source
    assert "CPI-U" in spec.source and "CUUR0000SA0" in spec.source


def test_no_dollar_parameter_is_in_another_dollar_year():
    for s in param_specs():
        years = re.findall(r"\((\d{4})\)", s.unit)
        assert years in ([], [str(DOLLAR_YEAR)]), (s.path, s.unit)


def test_costs_section_defaults_add_up_in_one_dollar_year():
    c = Params().costs
    assert (c.shelter_usd, c.rapid_rehousing_usd, c.long_term_subsidy_usd) == (6_463, 1_185, 1_562)
    assert (c.staff_usd, Params().children.cw_case_usd) == (6_177, 1_818)


def test_comparison_states_its_dollar_year_in_units_and_manifest():
    from sysmodel.experiments.compare import OUTCOMES

    money = [o for o in OUTCOMES if "USD" in o.unit]
    assert {o.name for o in money} >= {"cost_total", "cost_shelter", "income", "savings_end"}
    for o in money:
        assert f"({DOLLAR_YEAR}" in o.unit, (o.name, o.unit)
