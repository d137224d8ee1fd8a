"""The ``sysmodel`` command line: runs, validation, listings, help, and one-paragraph errors (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import typer.main
from rich.console import Console
from typer.testing import CliRunner

from helpers import BAD_SCENARIOS, OUTPUT_FILES, BadScenario, allowed_range, default, shifted, spec
from sysmodel import cli
from sysmodel.outputs import EVENTS
from sysmodel.params import HOUSING_STATES, Params, param_specs

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
ENTRY_POINT = Path(sys.executable).with_name("sysmodel")
SMALL = ["--families", "300", "--months", "6"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

# What README.md promises about the two tables.
MONTHLY_COLUMNS = (
    "month",
    "families",
    *(f"n_{state}" for state in HOUSING_STATES),
    *EVENTS,
    "shelter_entries",
    "employment_rate",
    "family_wage_rate",
    "mean_income_usd",
    "mean_savings_usd",
    "cost_shelter_usd",
    "cost_rapid_rehousing_usd",
    "cost_long_term_subsidy_usd",
    "cost_total_usd",
)
FAMILY_COLUMNS = (
    "family_id",
    "group",
    "adults",
    "children",
    "income_start_usd",
    "income_end_usd",
    "employment_start",
    "employment_end",
    "savings_start_usd",
    "savings_end_usd",
    "months_homeless",
    "episodes",
    "evictions",
    "filings",
    "months_to_first_shelter",
    "intakes",
)
MANIFEST_KEYS = (
    "scenario",
    "parameters",
    "seed",
    "versions",
    "code_revision",
    "started",
    "finished",
)


def plain(text: str) -> str:
    return _ANSI.sub("", text)


@pytest.fixture
def invoke(monkeypatch):
    """Run the CLI in-process with wide, colourless consoles, so tables are not folded."""
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    monkeypatch.setattr(cli, "err_console", Console(width=400, color_system=None, stderr=True))
    runner = CliRunner()

    def _invoke(*args: str | Path):
        result = runner.invoke(cli.app, [str(a) for a in args])
        result.text = plain(result.output)
        return result

    return _invoke


def assert_user_error(result, *expect: str) -> str:
    """Exit 2, one paragraph starting with 'error:', no traceback, naming everything in ``expect``."""
    text = result.text.strip()
    assert result.exit_code == 2, (result.exit_code, text, result.exception)
    assert "Traceback" not in text
    assert text.startswith("error:"), text
    assert "\n" not in text, f"not one paragraph: {text}"
    for words in expect:
        assert words in text, f"{words!r} missing from: {text}"
    return text


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


# --- run -----------------------------------------------------------------------------------------


def test_run_writes_the_promised_files_and_prints_the_summary(invoke, tmp_path):
    out = tmp_path / "run"
    result = invoke("run", BASELINE, *SMALL, "--seed", "3", "--out", out)
    assert result.exit_code == 0, result.text
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name

    monthly = pd.read_parquet(out / "monthly.parquet")
    assert set(MONTHLY_COLUMNS) <= set(monthly.columns), set(MONTHLY_COLUMNS) - set(monthly.columns)
    assert list(monthly["month"]) == list(range(6)), "one row per recorded month"
    assert (monthly["families"] == 300).all()

    families = pd.read_parquet(out / "families.parquet")
    assert set(FAMILY_COLUMNS) <= set(families.columns), set(FAMILY_COLUMNS) - set(families.columns)
    assert families["family_id"].is_unique
    # Everyone present at the end plus everyone who moved out while recording.
    assert len(families) == 300 + monthly["moves_out"].sum()
    assert (families["left_month"] >= 0).sum() == monthly["moves_out"].sum()

    manifest = json.loads((out / "manifest.json").read_text())
    assert set(MANIFEST_KEYS) <= set(manifest), set(MANIFEST_KEYS) - set(manifest)
    assert manifest["seed"] == 3
    assert manifest["scenario"]["name"] == "baseline"
    assert manifest["parameters"]["population"]["n_families"] == 300
    assert manifest["parameters"]["time"]["months"] == 6
    assert Params.model_validate(manifest["parameters"]), "the manifest's parameters must reload"
    assert {"python", "sysmodel", "mesa", "numpy"} <= set(manifest["versions"])
    assert manifest["code_revision"]
    started = dt.datetime.fromisoformat(manifest["started"])
    assert started <= dt.datetime.fromisoformat(manifest["finished"])

    summary = json.loads((out / "summary.json").read_text())
    assert "Summary over the recorded months" in result.text
    for key in summary:
        assert key.replace("_", " ") in result.text, f"summary row {key!r} not printed"


def test_run_summary_prints_whole_numbers_percentages_units_and_says_why_a_row_is_na(
    invoke, tmp_path
):
    result = invoke("run", BASELINE, *SMALL, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.text
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in result.text.splitlines()
        if line.count("│") >= 4
    }
    assert rows["months"] == ["6", "months"]
    assert rows["families ever"][0].replace(",", "").isdigit()
    value, unit = rows["share families ever in shelter"]
    assert value.endswith("%") and "%" in unit
    assert rows["cost total usd"][1] == "USD (2024)"
    # The baseline screens no one: its screening rows are n/a, and the table says why.
    assert rows["screening auc realised"][0] == "n/a"
    assert "n/a: no family was screened" in result.text
    assert not re.search(r"\bnan\b", result.text, re.IGNORECASE)


def test_every_summary_key_has_a_unit():
    from sysmodel import run_scenario
    from sysmodel.outputs import SUMMARY_UNITS

    summary = run_scenario(BASELINE, seed=0, families=100, months=2).summary()
    assert set(summary) == set(SUMMARY_UNITS)


def test_run_applies_set_overrides(invoke, tmp_path):
    find, decided = "economy.p_job_find_per_month", "housing.p_case_decided_per_month"
    v1, v2 = shifted(find), shifted(decided)
    out = tmp_path / "run"
    result = invoke(
        "run",
        BASELINE,
        *SMALL,
        "-q",
        "--out",
        out,
        "--set",
        f"{find}={v1}",
        "--set",
        f"{decided}={v2}",
    )
    assert result.exit_code == 0, result.text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["economy"]["p_job_find_per_month"] == v1
    assert manifest["parameters"]["housing"]["p_case_decided_per_month"] == v2
    untouched = manifest["parameters"]["economy"]["p_job_loss_low_wage_per_month"]
    assert untouched == default("economy.p_job_loss_low_wage_per_month")


def test_run_quiet_prints_nothing_on_success(invoke, tmp_path):
    result = invoke("run", BASELINE, *SMALL, "-q", "--out", tmp_path / "run")
    assert result.exit_code == 0 and result.text.strip() == ""


def test_run_same_seed_writes_identical_tables(invoke, tmp_path):
    for name in ("a", "b"):
        assert invoke("run", BASELINE, *SMALL, "-q", "--out", tmp_path / name).exit_code == 0
    for table in ("monthly.parquet", "families.parquet", "spells.parquet", "housing.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "a" / table), pd.read_parquet(tmp_path / "b" / table)
        )


def test_run_default_output_goes_under_results_of_the_working_directory(
    invoke, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert invoke("run", BASELINE, *SMALL, "-q").exit_code == 0
    runs = sorted((tmp_path / "results").iterdir())
    assert len(runs) == 2, "a second run must not overwrite the first"
    for run in runs:
        assert run.name.startswith("baseline_seed0_")
        assert all((run / name).is_file() for name in OUTPUT_FILES)


def test_run_refuses_a_folder_holding_a_finished_run(invoke, tmp_path):
    out = tmp_path / "run"
    assert invoke("run", BASELINE, *SMALL, "-q", "--out", out).exit_code == 0
    before = snapshot(out)
    result = invoke("run", BASELINE, *SMALL, "--seed", "9", "--out", out)
    assert_user_error(result, str(out), "manifest.json", "--force")
    assert snapshot(out) == before, "existing files must be left unchanged"


def test_run_force_replaces_a_finished_run(invoke, tmp_path):
    out = tmp_path / "run"
    assert invoke("run", BASELINE, *SMALL, "-q", "--out", out).exit_code == 0
    result = invoke("run", BASELINE, *SMALL, "-q", "--seed", "9", "--out", out, "--force")
    assert result.exit_code == 0, result.text
    assert json.loads((out / "manifest.json").read_text())["seed"] == 9


def test_run_refuses_an_out_path_that_is_a_file(invoke, tmp_path):
    out = write(tmp_path, "not a folder", "taken")
    assert_user_error(invoke("run", BASELINE, *SMALL, "--out", out), str(out), "not a folder")
    assert out.read_text() == "not a folder"


def test_run_unknown_set_key_names_the_nearest_key(invoke, tmp_path):
    result = invoke(
        "run", BASELINE, *SMALL, "--out", tmp_path / "r", "--set", "economy.p_job_find_per_mnth=0.3"
    )
    assert_user_error(
        result, "economy.p_job_find_per_mnth", "Did you mean 'economy.p_job_find_per_month'?"
    )
    assert not (tmp_path / "r").exists()


def test_run_refuses_a_target_auc_above_the_best_achievable_without_a_traceback(invoke, tmp_path):
    result = invoke(
        "run",
        "upstream_prevention",
        *SMALL,
        "--out",
        tmp_path / "r",
        "--set",
        "targeting.target_auc=0.97",
        "--quiet",  # the error alone (without it the run's header line comes first)
    )
    assert_user_error(result, "targeting.target_auc = 0.97", "above the best achievable AUC")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("item", "expect"),
    [
        ("economy.p_job_find_per_month=7", ("economy.p_job_find_per_month", "7", "allowed range")),
        ("economy.p_job_find_per_month=lots", ("'lots'", "valid number")),
        ("economy.p_job_find_per_month", ("KEY=VALUE",)),
        ("population.p_children=[1, 1, 0, 0, 0]", ("population.p_children", "sum to 1")),
    ],
    ids=["out_of_bounds", "string_for_number", "no_equals", "p_children_sum"],
)
def test_run_bad_set_value_is_a_user_error(invoke, tmp_path, item, expect):
    result = invoke("run", BASELINE, *SMALL, "--out", tmp_path / "r", "--set", item)
    text = assert_user_error(result, *expect)
    assert "--set" in text


def test_run_unknown_benefit_schedule_from_set_names_set_and_key(invoke, tmp_path):
    result = invoke(
        "run", BASELINE, *SMALL, "--out", tmp_path / "r", "--set", "benefits.schedule=clif"
    )
    assert_user_error(result, "--set", "benefits.schedule", "'clif'", "cliff")


@pytest.mark.parametrize("case", BAD_SCENARIOS[:6], ids=[c.id for c in BAD_SCENARIOS[:6]])
def test_run_bad_scenario_file_is_a_user_error(invoke, tmp_path, case: BadScenario):
    path = write(tmp_path, case.text, "bad.yaml")
    assert_user_error(invoke("run", path, *SMALL, "--out", tmp_path / "r"), str(path), *case.expect)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize(
    ("option", "key"), [("--months", "time.months"), ("--families", "population.n_families")]
)
def test_out_of_range_months_or_families_names_the_option_not_set(
    invoke, tmp_path, command, option, key
):
    too_many = str(int(spec(key).hi) + 1)
    files = [BASELINE] if command == "run" else [BASELINE, BASELINE]
    result = invoke(command, *files, option, too_many, "--out", tmp_path / "r")
    text = assert_user_error(result, f"{option} {too_many}", key, allowed_range(key))
    assert "--set" not in text
    assert not (tmp_path / "r").exists()


# --- validate ------------------------------------------------------------------------------------


def test_validate_accepts_good_files(invoke, tmp_path):
    good = write(
        tmp_path,
        "name: good\nparameters:\n  economy:\n    p_job_find_per_month: 0.3\n"
        "  benefits:\n    schedule: flexible\n",
        "good.yaml",
    )
    result = invoke("validate", BASELINE, good)
    assert result.exit_code == 0, result.text
    assert f"ok {BASELINE}" in result.text
    assert f"ok {good}: 'good', 2 override(s)" in result.text


@pytest.mark.parametrize("case", BAD_SCENARIOS, ids=[c.id for c in BAD_SCENARIOS])
def test_validate_bad_file_is_a_user_error(invoke, tmp_path, case: BadScenario):
    path = write(tmp_path, case.text, "bad.yaml")
    assert_user_error(invoke("validate", path), str(path), *case.expect)


@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (lambda tmp: tmp / "missing.yaml", ("no such scenario file",)),
        (lambda tmp: tmp, ("is a folder",)),
        (lambda tmp: write(tmp, "", "empty.yaml"), ("empty", "'name'", "'parameters'")),
        (lambda tmp: write(tmp, "name: x\nparameters: {}\n", "defaults.yaml"), None),
    ],
    ids=["missing_file", "folder", "empty_file", "defaults_on_purpose"],
)
def test_validate_paths(invoke, tmp_path, make, expect):
    path = make(tmp_path)
    result = invoke("validate", path)
    if expect is None:
        assert result.exit_code == 0 and f"ok {path}" in result.text
    else:
        assert_user_error(result, str(path), *expect)


def test_validate_unregistered_benefit_schedule_is_a_user_error(invoke, tmp_path):
    path = write(tmp_path, "parameters:\n  benefits:\n    schedule: clif\n")
    assert_user_error(invoke("validate", path), str(path), "'clif'", "Did you mean 'cliff'?")


def test_validate_unregistered_process_is_a_user_error(invoke, tmp_path):
    path = write(tmp_path, "parameters:\n  schedule:\n    processes: [economy, housng]\n")
    assert_user_error(invoke("validate", path), str(path), "'housng'", "Did you mean 'housing'?")


def test_error_messages_print_square_brackets_as_written(invoke, tmp_path):
    path = write(tmp_path, 'parameters:\n  economy:\n    p_job_find_per_month: "[red]x[/red]"\n')
    assert_user_error(invoke("validate", path), "'[red]x[/red]'")


def test_validate_checks_every_file_and_exits_2_if_any_failed(invoke, tmp_path):
    first = write(tmp_path, "name: a\nparameters: {}\n", "a.yaml")
    bad = write(tmp_path, "name: b\nparameters:\n  econmy: {}\n", "b.yaml")
    empty = write(tmp_path, "", "c.yaml")
    last = write(tmp_path, "name: d\nparameters:\n  time: {months: 7}\n", "d.yaml")
    result = invoke("validate", first, bad, empty, last)
    assert result.exit_code == 2, result.text
    lines = result.text.strip().splitlines()
    assert any(line.startswith(f"ok {first}: 'a'") for line in lines), lines
    assert any(line.startswith(f"error: {bad}: ") and "econmy" in line for line in lines), lines
    assert any(line.startswith(f"error: {empty}: ") for line in lines), lines
    assert any(line.startswith(f"ok {last}: 'd'") for line in lines), lines
    assert "2 of 4 files failed" in lines[-1]


def test_validate_prints_each_overridden_key_with_its_value(invoke, tmp_path):
    path = write(
        tmp_path,
        "name: good\nparameters:\n  economy:\n    p_job_find_per_month: 0.3\n"
        "  benefits:\n    schedule: flexible\n  population:\n    p_children: [0.2, 0.2, 0.2, 0.2, 0.2]\n",
    )
    result = invoke("validate", path, BASELINE)
    assert result.exit_code == 0, result.text
    assert "economy.p_job_find_per_month=0.3" in result.text
    assert "benefits.schedule=flexible" in result.text
    assert "population.p_children=[0.2, 0.2, 0.2, 0.2, 0.2]" in result.text
    assert f"ok {BASELINE}: 'baseline', no overrides" in result.text


# --- processes and params -----------------------------------------------------------------------


def table_rows(text: str) -> list[list[str]]:
    """Cells of a rich table's body rows."""
    return [
        [cell.strip() for cell in line.strip().strip("│").split("│")]
        for line in text.splitlines()
        if line.strip().startswith("│")
    ]


def test_processes_prints_the_default_order(invoke):
    result = invoke("processes")
    assert result.exit_code == 0, result.text
    numbered = [row[:2] for row in table_rows(result.text) if row[0].isdigit()]
    order = Params().schedule.processes
    assert numbered == [[str(i), name] for i, name in enumerate(order, 1)]


def test_processes_shows_a_scenarios_order_and_unscheduled_processes(invoke, tmp_path):
    path = write(tmp_path, "parameters:\n  schedule:\n    processes: [housing, economy]\n")
    result = invoke("processes", "--scenario", path)
    assert result.exit_code == 0, result.text
    numbered = [row[:2] for row in table_rows(result.text) if row[0].isdigit()]
    assert numbered == [["1", "housing"], ["2", "economy"]]
    assert "registered but not scheduled:" in result.text and "turnover" in result.text


def test_params_housing_lists_the_housing_parameters_only(invoke):
    result = invoke("params", "housing")
    assert result.exit_code == 0, result.text
    keys = {row[0] for row in table_rows(result.text) if row[0]}
    expected = {
        s.path for s in param_specs() if "housing" in (s.path + " " + s.description).lower()
    }
    assert {s.path for s in param_specs() if s.path.startswith("housing.")} <= expected
    assert keys == expected


def test_params_lists_every_parameter_with_sources(invoke):
    result = invoke("params", "--sources")
    assert result.exit_code == 0, result.text
    keys = [row[0] for row in table_rows(result.text) if row[0]]  # skip wrapped continuation lines
    assert keys == [s.path for s in param_specs()]
    sources = words(" ".join(row[-1] for row in table_rows(result.text)))
    assert all(words(s.source) in sources for s in param_specs())


def test_params_keys_are_whole_at_80_columns(monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=80, color_system=None))
    text = plain(CliRunner().invoke(cli.app, ["params", "housing"]).output)
    for s in param_specs():
        if s.path.startswith("housing."):
            assert s.path in text, f"{s.path} is broken across lines"


# --- help ----------------------------------------------------------------------------------------

COMMANDS = typer.main.get_command(cli.app).commands


def words(text: str) -> str:
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_app_help_lists_every_command(invoke):
    result = invoke("--help")
    assert result.exit_code == 0
    flat = words(result.text)
    for name, command in COMMANDS.items():
        first_line = (command.help or "").strip().splitlines()[0]
        assert name in flat and words(first_line)[:40] in flat, name


def test_app_without_arguments_shows_usage(invoke):
    result = invoke()
    assert "Usage" in result.text and "run" in result.text


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help_explains_every_option(invoke, name):
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.text
    flat = words(result.text)
    for param in COMMANDS[name].params:
        assert (param.help or "").strip(), f"{name}: {param.name} has no help"
        opts = param.opts if param.param_type_name == "option" else []
        for opt in opts:
            assert opt in flat, f"{name}: {opt} not shown"
        start = " ".join(words(param.help).split()[:4])
        assert start in flat, f"{name}: help of {param.name} not shown ({start!r})"


# --- the installed entry point, in real subprocesses ----------------------------------------------


def test_entry_point_runs_a_scenario(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [str(ENTRY_POINT), "run", str(BASELINE), *SMALL, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Summary over the recorded months" in proc.stdout
    assert all((out / name).is_file() for name in OUTPUT_FILES)


def test_python_m_sysmodel_error_is_one_paragraph_with_exit_2(tmp_path):
    write(tmp_path, "name: t\nparameters:\n  economy:\n\tp: 1\n", "bad.yaml")
    proc = subprocess.run(
        [sys.executable, "-m", "sysmodel", "run", "bad.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    stderr = plain(proc.stderr).strip()
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr + proc.stdout
    assert stderr.startswith("error: bad.yaml: malformed YAML at line 4, column 1"), stderr
    assert "\n" not in stderr
