"""Scenario files and ``--set`` overrides: every bad input is one clear ScenarioError.

A message must name the file (or ``--set``), the key, the value given and what is allowed, in one
paragraph, so a planner can fix the file without reading code.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from helpers import BAD_SCENARIOS, BadScenario, allowed_range, default, shifted, spec
from sysmodel.params import Params
from sysmodel.scenario import Scenario, ScenarioError, load_scenario, parse_set_option

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


# --- shipped scenarios -------------------------------------------------------------------------


def test_repository_ships_at_least_one_scenario():
    assert SHIPPED, "scenarios/*.yaml is empty"


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenario_validates(path):
    sc = load_scenario(path)
    assert sc.name.strip()
    assert sc.path == str(path)
    assert isinstance(sc.params, Params)


# --- valid edge cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["name: x\n", "name: x\nparameters:\n", "name: x\nparameters: {}\n", "parameters: {}\n"],
    ids=["name_only", "null_parameters", "empty_parameters", "no_name"],
)
def test_file_without_overrides_gives_the_defaults(tmp_path, text):
    sc = load_scenario(write(tmp_path, text, "nothing.yaml"))
    assert sc.params == Params()
    assert sc.name in ("nothing", "x")  # the file's stem when the file gives no name


def test_overrides_in_a_file_are_applied_and_the_rest_keep_defaults(tmp_path):
    value = shifted("economy.p_job_find_per_month")
    path = write(
        tmp_path,
        f"name: t\ndescription: d\nparameters:\n  economy:\n    p_job_find_per_month: {value}\n",
    )
    sc = load_scenario(path)
    assert sc.params.economy.p_job_find_per_month == value
    assert sc.params.housing == Params().housing
    assert sc.overrides == {"economy": {"p_job_find_per_month": value}}


# --- each bad file gives one clear error ------------------------------------------------------


@pytest.mark.parametrize("case", BAD_SCENARIOS, ids=[c.id for c in BAD_SCENARIOS])
def test_bad_scenario_file_gives_clear_error(tmp_path, case: BadScenario):
    path = write(tmp_path, case.text, "bad.yaml")
    message = error_of(path)
    assert message.startswith(f"{path}:"), message
    for words in case.expect:
        assert words in message, f"{words!r} missing from: {message}"
    assert "\n" not in message.strip(), "the message should be one paragraph"
    assert "Traceback" not in message and "pydantic" not in message.lower()


def test_malformed_yaml_message_gives_line_and_column(tmp_path):
    path = write(tmp_path, "name: t\nparameters:\n  economy: {p_job_find_per_month: 0.3\n")
    assert re.search(r"line \d+, column \d+", error_of(path))


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "no_such.yaml"
    message = error_of(path)
    assert str(path) in message and "no such scenario file" in message


def test_folder_instead_of_file_is_named(tmp_path):
    message = error_of(tmp_path)
    assert str(tmp_path) in message and "folder" in message


def test_unreadable_bytes_give_scenario_error(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x01")
    assert str(path) in error_of(path)


def test_every_problem_in_a_section_is_reported_at_once(tmp_path):
    path = write(
        tmp_path,
        "parameters:\n  economy:\n    p_job_find_per_mnth: 0.3\n    p_promotion_per_month: -1\n",
    )
    message = error_of(path)
    assert "economy.p_job_find_per_mnth" in message
    assert "economy.p_promotion_per_month" in message and "-1" in message


def test_out_of_bounds_message_states_the_unit_and_description(tmp_path):
    path = write(tmp_path, "parameters:\n  housing:\n    p_case_decided_per_month: 7\n")
    message = error_of(path)
    s = spec("housing.p_case_decided_per_month")
    assert allowed_range(s.path) in message
    assert s.unit in message and s.description in message


def test_out_of_bounds_group_field_names_range_and_unit(tmp_path):
    path = write(
        tmp_path,
        "parameters:\n  population:\n    groups:\n"
        "      - {name: a, share: 1.0, hiring_multiplier: 3}\n",
    )
    message = error_of(path)
    assert "population.groups.0.hiring_multiplier" in message and "3" in message
    assert "allowed range 0 to 2" in message and "x job-finding hazard" in message


def test_unknown_benefit_schedule_is_refused_when_loading(tmp_path):
    path = write(tmp_path, "parameters:\n  benefits:\n    schedule: clif\n")
    message = error_of(path)
    assert "benefits.schedule" in message and "'clif'" in message and "cliff" in message


# --- hostile and silently coerced input ---------------------------------------------------------


def alias_bomb(levels: int = 9) -> str:
    """A "billion laughs" file of a few hundred bytes: each anchor repeats the previous one nine times."""
    anchors = ["&l0 [x, x, x, x, x, x, x, x, x]"]
    anchors += [f"&l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return f"name: bomb\nparameters:\n  population:\n    p_children: [{', '.join(anchors)}]\n"


def test_alias_bomb_is_refused_quickly_with_a_short_message(tmp_path):
    path = write(tmp_path, alias_bomb())
    assert path.stat().st_size < 500
    message = error_of(path)
    assert message.startswith(f"{path}:"), message
    assert "100,000" in message and "alias" in message
    assert len(message) < 400, len(message)


def test_alias_bomb_in_a_set_value_is_refused_with_a_short_message():
    anchors = alias_bomb().split("p_children: ", 1)[1].strip()
    with pytest.raises(ScenarioError) as info:
        parse_set_option(f"population.p_children={anchors}")
    message = str(info.value)
    assert message.startswith("--set") and "100,000" in message
    assert len(message) < 400, len(message)


def test_alias_referring_to_itself_is_refused(tmp_path):
    path = write(tmp_path, "name: t\nparameters:\n  population:\n    p_children: &a [*a]\n")
    message = error_of(path)
    assert message.startswith(f"{path}:") and "contains itself" in message


def test_deeply_nested_value_is_refused_without_a_traceback(tmp_path):
    path = write(tmp_path, "name: t\nparameters: " + "[" * 5000 + "]" * 5000 + "\n")
    message = error_of(path)
    assert message.startswith(f"{path}:") and "nested too deeply" in message


def test_long_value_is_quoted_short_in_the_error(tmp_path):
    path = write(tmp_path, f"parameters:\n  economy:\n    p_job_find_per_month: {'x' * 5000}\n")
    message = error_of(path)
    assert "economy.p_job_find_per_month" in message and "'xxxx" in message
    assert len(message) < 500, len(message)


def test_thousands_of_bad_items_give_a_bounded_message(tmp_path):
    path = write(
        tmp_path, f"parameters:\n  population:\n    p_children: [{', '.join(['x'] * 3000)}]\n"
    )
    message = error_of(path)
    assert "population.p_children.0" in message and "2,990 more" in message
    assert len(message) < 2000, len(message)


def test_empty_file_is_an_error_saying_what_a_scenario_needs(tmp_path):
    for text in ("", "# only a comment\n"):
        path = write(tmp_path, text, "empty.yaml")
        message = error_of(path)
        assert message.startswith(f"{path}:") and "empty" in message
        assert "'name'" in message and "'parameters'" in message and "parameters: {}" in message


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            "time:\n    months: true\n",
            ("time.months", "True", "integer", allowed_range("time.months")),
        ),
        (
            "economy:\n    p_job_find_per_month: yes\n",
            ("economy.p_job_find_per_month", "True", "valid number", "yes/no"),
        ),
        (
            "economy:\n    p_job_find_per_month: '0.3'\n",
            ("economy.p_job_find_per_month", "'0.3'", "valid number"),
        ),
        ("time:\n    months: 12.5\n", ("time.months", "12.5", "integer")),
    ],
    ids=["bool_for_int", "yes_for_float", "quoted_number", "fraction_for_int"],
)
def test_values_are_not_silently_coerced(tmp_path, text, expect):
    path = write(tmp_path, "name: t\nparameters:\n  " + text)
    message = error_of(path)
    assert message.startswith(f"{path}:"), message
    for words in expect:
        assert words in message, f"{words!r} missing from: {message}"


def test_set_bool_for_an_integer_is_refused():
    key, value = parse_set_option("time.months=true")
    with pytest.raises(ScenarioError) as info:
        Scenario(name="base").with_overrides({key: value})
    assert "--set" in str(info.value) and "time.months" in str(info.value)


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        (
            "name: t\nparameters:\n  time:\n    months: 12\n    months: 24\n",
            ("duplicate key 'months'", "lines 4 and 5"),
        ),
        (
            "name: t\nparameters: {}\nname: u\n",
            ("duplicate key 'name'", "lines 1 and 3"),
        ),
    ],
    ids=["parameter", "top_level"],
)
def test_duplicate_keys_are_an_error_naming_key_and_lines(tmp_path, text, expect):
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:"), message
    for words in expect:
        assert words in message, f"{words!r} missing from: {message}"


def test_merge_keys_may_repeat_keys_they_merge(tmp_path):
    path = write(
        tmp_path,
        "name: t\nparameters:\n  population:\n    groups:\n"
        "      - &g {name: a, share: 0.5}\n      - {<<: *g, name: b}\n",
    )
    assert [g.name for g in load_scenario(path).params.population.groups] == ["a", "b"]


def test_a_process_listed_twice_is_an_error(tmp_path):
    order = list(Params().schedule.processes)
    path = write(
        tmp_path, f"parameters:\n  schedule:\n    processes: [{', '.join(order + [order[0]])}]\n"
    )
    message = error_of(path)
    assert "schedule.processes" in message and f"'{order[0]}'" in message and "twice" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1e6", 1e6), ("2.5E-3", 2.5e-3), ("1.5e+6", 1.5e6), ("-3e2", -300.0), ("12", 12)],
)
def test_exponent_numbers_are_read_as_numbers(tmp_path, raw, expected):
    path = write(tmp_path, f"parameters:\n  assistance:\n    annual_budget_usd: {raw}\n")
    if expected < 0:
        assert "annual_budget_usd" in error_of(path)
    else:
        assert load_scenario(path).params.assistance.annual_budget_usd == expected
    key, value = parse_set_option(f"assistance.annual_budget_usd={raw}")
    assert value == expected and type(value) is type(expected)


def test_numpy_numbers_from_python_code_are_still_accepted():
    sc = Scenario(name="base").with_overrides(
        {"time.months": np.int64(7), "economy.p_job_find_per_month": np.float32(0.25)}
    )
    assert sc.params.time.months == 7 and type(sc.params.time.months) is int
    assert sc.params.economy.p_job_find_per_month == pytest.approx(0.25)


# --- --set overrides ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.3", 0.3), ("3", 3), ("true", True), ("[0.2, 0.8]", [0.2, 0.8]), ("flexible", "flexible")],
)
def test_set_option_values_are_read_as_yaml(raw, expected):
    key, value = parse_set_option(f"economy.p_job_find_per_month={raw}")
    assert key == "economy.p_job_find_per_month"
    assert value == expected and type(value) is type(expected)


def test_set_option_unknown_key_names_the_nearest_key():
    with pytest.raises(ScenarioError) as info:
        parse_set_option("economy.p_job_find_per_mnth=0.3")
    message = str(info.value)
    assert "economy.p_job_find_per_mnth" in message
    assert "Did you mean 'economy.p_job_find_per_month'?" in message


def test_set_option_unknown_key_without_near_match_points_to_params_command():
    with pytest.raises(ScenarioError, match="sysmodel params"):
        parse_set_option("qqqq.zzzz=1")


def test_set_option_without_equals_shows_the_form():
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        parse_set_option("economy.p_job_find_per_month")


def test_with_overrides_applies_dotted_keys_and_keeps_the_original():
    base = Scenario(name="base")
    value = shifted("housing.p_case_decided_per_month")
    changed = base.with_overrides({"housing.p_case_decided_per_month": value})
    assert changed.params.housing.p_case_decided_per_month == value
    assert base.params.housing.p_case_decided_per_month == default(
        "housing.p_case_decided_per_month"
    )
    assert base.overrides == {}


def test_with_overrides_on_a_file_keeps_the_file_overrides(tmp_path):
    sc = load_scenario(write(tmp_path, "parameters:\n  time:\n    months: 7\n"))
    changed = sc.with_overrides({"population.n_families": 123})
    assert changed.params.time.months == 7
    assert changed.params.population.n_families == 123
    assert sc.overrides == {"time": {"months": 7}}


@pytest.mark.parametrize(
    ("key", "value", "expect"),
    [
        (
            "economy.p_job_find_per_month",
            2,
            ("economy.p_job_find_per_month", "= 2", allowed_range("economy.p_job_find_per_month")),
        ),
        ("economy.p_job_find_per_month", "abc", ("'abc'", "valid number")),
        ("economy.p_job_find_per_mnth", 0.3, ("Did you mean 'economy.p_job_find_per_month'?",)),
        ("econmy.p_job_find_per_month", 0.3, ("Did you mean 'economy'?",)),
    ],
    ids=["above_bound", "string", "unknown_key", "unknown_section"],
)
def test_with_overrides_bad_value_says_set_key_value_and_allowed(key, value, expect):
    with pytest.raises(ScenarioError) as info:
        Scenario(name="base").with_overrides({key: value})
    message = str(info.value)
    assert message.startswith("--set:"), message
    for words in expect:
        assert words in message, f"{words!r} missing from: {message}"


def test_with_overrides_error_on_a_file_names_file_and_set(tmp_path):
    path = write(tmp_path, "name: t\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path).with_overrides({"time.months": 0})
    message = str(info.value)
    assert str(path) in message and "--set" in message and "time.months" in message


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_runs(path):
    """Each shipped scenario builds and runs (small and short), recording every month."""
    from sysmodel import run_scenario

    result = run_scenario(
        path, seed=1, families=300, months=6, overrides={"time.burn_in_months": 2}
    )
    assert len(result.monthly) == 6
    assert result.monthly["families"].eq(300).all()


def test_run_scenario_errors_name_its_arguments_not_set():
    from sysmodel import run_scenario

    with pytest.raises(ScenarioError) as err:
        run_scenario(ROOT / "scenarios" / "baseline.yaml", months=601)
    assert "--set" not in str(err.value)
    assert "run_scenario(" in str(err.value) and "601" in str(err.value)
