"""Scenario files and ``--set`` overrides: every bad input is one clear ScenarioError.

A message must name the file (or ``--set``), the key, the value given and what is allowed, in one
paragraph, so a planner can fix the file without reading code.
"""

from __future__ import annotations

import re
from pathlib import Path

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
    ["", "# only a comment\n", "name: x\nparameters:\n", "name: x\nparameters: {}\n"],
    ids=["empty", "comment_only", "null_parameters", "empty_parameters"],
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
