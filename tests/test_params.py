"""The one parameter schema: every parameter documented, bounded, unit-consistent and validated."""

from __future__ import annotations

import pydantic
import pytest

from helpers import SPECS
from sysmodel.params import EquityGroup, Params, field_info, param_specs
from sysmodel.scenario import parse_set_option

NUMERIC = [s for s in SPECS.values() if s.kind in ("float", "int")]


def _group_fields():
    return list(EquityGroup.model_fields.items())


# --- documentation -----------------------------------------------------------------------------


def test_spec_paths_are_unique_and_cover_every_section():
    paths = [s.path for s in param_specs()]
    assert len(paths) == len(set(paths))
    assert {p.split(".")[0] for p in paths} == set(Params.model_fields)


@pytest.mark.parametrize("s", list(SPECS.values()), ids=list(SPECS))
def test_every_parameter_has_unit_description_and_source(s):
    assert s.unit.strip(), f"{s.path}: no unit"
    assert s.description.strip(), f"{s.path}: no description"
    assert s.source.strip(), f"{s.path}: no source"


@pytest.mark.parametrize(("name", "field"), _group_fields(), ids=[n for n, _ in _group_fields()])
def test_every_equity_group_field_has_unit_description_and_source(name, field):
    extra = field.json_schema_extra or {}
    assert str(extra.get("unit", "")).strip(), f"groups[].{name}: no unit"
    assert (field.description or "").strip(), f"groups[].{name}: no description"
    assert str(extra.get("source", "")).strip(), f"groups[].{name}: no source"


# --- bounds ------------------------------------------------------------------------------------


@pytest.mark.parametrize("s", NUMERIC, ids=[s.path for s in NUMERIC])
def test_numeric_parameter_has_bounds_containing_its_default(s):
    assert s.lo is not None and s.hi is not None, f"{s.path}: unbounded"
    assert s.lo < s.hi
    if s.default is None:  # a capacity with no limit
        assert s.nullable, f"{s.path}: default None but not nullable"
        return
    assert s.lo <= s.default <= s.hi, f"{s.path}: default {s.default} outside [{s.lo}, {s.hi}]"


@pytest.mark.parametrize("s", NUMERIC, ids=[s.path for s in NUMERIC])
def test_bounds_are_enforced_inclusively(s):
    step = 1 if s.kind == "int" else 1e-6 * max(1.0, abs(s.hi - s.lo))
    base = Params()
    assert base.with_overrides({s.path: s.lo}).flat()[s.path] == s.lo
    assert base.with_overrides({s.path: s.hi}).flat()[s.path] == s.hi
    for outside in (s.lo - step, s.hi + step):
        with pytest.raises(pydantic.ValidationError):
            base.with_overrides({s.path: outside})


def test_equity_group_numeric_fields_are_bounded_and_defaults_inside():
    groups = Params().population.groups
    for name, field in _group_fields():
        if field.annotation not in (int, float):
            continue
        lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
        hi = next((m.le for m in field.metadata if hasattr(m, "le")), None)
        assert lo is not None and hi is not None, f"groups[].{name}: unbounded"
        for g in groups:
            assert lo <= getattr(g, name) <= hi, f"group {g.name}.{name} outside [{lo}, {hi}]"


@pytest.mark.parametrize("s", list(SPECS.values()), ids=list(SPECS))
def test_spec_kind_matches_its_default(s):
    expected = {
        "float": float,
        "int": int,
        "bool": bool,
        "list": list,
        "choice": str,
        "mapping": dict,
    }
    assert s.kind in expected, f"{s.path}: unknown kind {s.kind!r}"
    if s.default is None and s.nullable:
        return
    assert isinstance(s.default, expected[s.kind]), f"{s.path}: {s.kind} but {s.default!r}"
    if s.kind == "choice":
        assert s.default in s.choices


# --- units in names ----------------------------------------------------------------------------


def _violations(rule) -> list[str]:
    return [f"{s.path} [{s.unit}]" for s in SPECS.values() if rule(s.path.split(".")[-1], s)]


def test_per_month_names_have_monthly_units():
    bad = _violations(lambda n, s: "_per_month" in n and "month" not in s.unit.lower())
    assert not bad, f"'_per_month' in the name but not in the unit: {bad}"


def test_monthly_probability_units_have_per_month_in_the_name():
    bad = _violations(lambda n, s: "probability/month" in s.unit and "_per_month" not in n)
    assert not bad, f"a monthly probability whose name does not say so: {bad}"


def test_per_year_names_have_yearly_units():
    bad = _violations(lambda n, s: "_per_year" in n and "year" not in s.unit.lower())
    assert not bad, f"'_per_year' in the name but not in the unit: {bad}"


def test_usd_names_have_usd_units_and_usd_units_have_usd_names():
    bad = _violations(lambda n, s: n.endswith("_usd") and "USD" not in s.unit)
    bad += _violations(
        lambda n, s: (s.unit == "USD" or s.unit.startswith("USD/")) and not n.endswith("_usd")
    )
    assert not bad, f"dollar amounts must say '_usd' in the name and 'USD' in the unit: {bad}"


def test_months_names_have_month_units():
    bad = _violations(lambda n, s: n.endswith("months") and "month" not in s.unit)
    assert not bad, bad


def test_probabilities_and_shares_are_bounded_by_0_and_1():
    bad = _violations(
        lambda n, s: (
            (n.startswith("p_") or n.startswith("share_"))
            and s.kind in ("float", "int")
            and not (s.lo is not None and s.hi is not None and s.lo >= 0 and s.hi <= 1)
        )
    )
    assert not bad, bad


def test_probability_names_have_probability_units():
    bad = _violations(lambda n, s: n.startswith("p_") and "probabilit" not in s.unit)
    assert not bad, bad


# --- validation --------------------------------------------------------------------------------


def test_default_params_validate_and_round_trip():
    p = Params()
    assert Params.model_validate(p.model_dump()) == p
    assert Params.model_validate_json(p.model_dump_json()) == p


def test_spec_defaults_match_params():
    flat = Params().flat()
    for s in param_specs():
        assert s.default == flat[s.path], s.path


def test_every_spec_path_is_settable_from_the_command_line():
    for s in param_specs():
        assert field_info(s.path) is not None
        key, _ = parse_set_option(f"{s.path}=1")
        assert key == s.path


def test_with_overrides_returns_a_validated_copy():
    base = Params()
    s = SPECS["economy.p_job_find_per_month"]
    new_value = s.lo if base.economy.p_job_find_per_month != s.lo else s.hi
    changed = base.with_overrides({s.path: new_value})
    assert changed.economy.p_job_find_per_month == new_value
    assert base == Params(), "with_overrides must not change the original"


@pytest.mark.parametrize(
    "overrides",
    [
        {"economy.p_job_find_per_month": 1.5},
        {"economy.p_job_find_per_month": -0.1},
        {"economy.p_job_find_per_month": "lots"},
        {"time.months": 2.5},
        {"time.months": 0},
        {"economy.p_job_find_per_mnth": 0.3},
        {"econmy.p_job_find_per_month": 0.3},
        {"population.p_children": [0.5, 0.5, 0.5, 0.0, 0.0]},
        {"population.p_children": [1.2, -0.2, 0.0, 0.0, 0.0]},
        {"population.p_children": [1.0]},
        {"population.groups": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.4}]},
        {"population.groups": [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]},
        {"population.groups": []},
        {"population.groups": [{"name": "a", "share": 1.0, "hiring_multiplier": 3}]},
    ],
    ids=[
        "above_bound",
        "below_bound",
        "string_for_number",
        "fraction_for_int",
        "int_below_bound",
        "unknown_key",
        "unknown_section",
        "p_children_sum",
        "p_children_negative",
        "p_children_length",
        "group_share_sum",
        "group_names_repeat",
        "no_groups",
        "group_field_out_of_bounds",
    ],
)
def test_with_overrides_rejects_bad_values(overrides):
    with pytest.raises(pydantic.ValidationError):
        Params().with_overrides(overrides)


def test_assignment_is_validated():
    p = Params()
    with pytest.raises(pydantic.ValidationError):
        p.economy.p_job_find_per_month = 2.0
    with pytest.raises(pydantic.ValidationError):
        p.economy.no_such_parameter = 1.0
