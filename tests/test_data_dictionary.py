"""The data dictionary (src/sysmodel/dictionary.py, docs/data_dictionary.md) is true of the files written.

Small runs of several scenarios, a small comparison, `sysmodel spm` and `sysmodel allocate` write their
files; every column or key of every file must be described, every described column must be written
(always, or in some run if it says when), fixed dtypes must match, and the generated document must be
what the generator writes now.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from helpers import OUTPUT_FILES
from sysmodel import cli
from sysmodel.allocate import allocate
from sysmodel.dictionary import FILES, SOURCE, OutputFile, markdown, output_file
from sysmodel.experiments.compare import compare
from sysmodel.runner import run_scenario
from sysmodel.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SMALL = {"population.n_families": 300, "time.months": 12, "time.burn_in_months": 3}
# Runs whose files are checked. A column written only in some runs (``when`` in the dictionary) needs
# one run here that writes it: add the scenario (or overrides) that does.
RUNS = {
    "baseline": ("baseline.yaml", {}),
    "aligned_housing_hub": ("aligned_housing_hub.yaml", {}),
    "upstream_prevention": ("upstream_prevention.yaml", {}),
    "child_welfare_housing_partnership": ("child_welfare_housing_partnership.yaml", {}),
}
REGENERATE = "python scripts/data_dictionary.py"
# The public counterfactual table's layout (docs/allocate.md's example), with an outcome column.
HOUSEHOLDS = """\
,Original,Outcome,ES,TH,RRH,Prev,PrevEligible,Family,Comorbidity
0,1,1,0.62,0.41,0.45,,0,1,1
1,4,0,0.35,0.30,0.22,,0,1,0
2,5,0,0.20,0.18,0.15,0.08,1,0,0
3,1,0,0.15,0.16,0.14,0.12,1,0,0
4,3,1,0.48,0.30,0.38,,0,0,1
5,1,0,0.40,0.33,0.26,0.31,1,1,0
"""


# --- writing the files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_folders(tmp_path_factory) -> dict[str, Path]:
    """One small run folder per entry of RUNS."""
    base = tmp_path_factory.mktemp("runs")
    out = {}
    for name, (file, overrides) in RUNS.items():
        result = run_scenario(SCENARIOS / file, seed=1, overrides={**SMALL, **overrides})
        out[name] = result.save(base / name)
    return out


@pytest.fixture(scope="module")
def compare_folder(tmp_path_factory) -> Path:
    arms = [
        load_scenario(SCENARIOS / f).with_overrides(SMALL)
        for f in ("baseline_siloed.yaml", "aligned_housing_hub.yaml")
    ]
    comparison = compare(arms, reps=2, workers=1)
    return comparison.save(tmp_path_factory.mktemp("compare") / "out", figures=False)


@pytest.fixture(scope="module")
def spm_folder(run_folders, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("spm")
    result = CliRunner().invoke(cli.app, ["spm", str(run_folders["baseline"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def allocate_folders(tmp_path_factory) -> list[Path]:
    """Allocations of a table with an outcome column and of one without."""
    base = tmp_path_factory.mktemp("allocate")
    with_outcome = base / "households.csv"
    with_outcome.write_text(HOUSEHOLDS)
    without = base / "no_outcome.csv"
    pd.read_csv(with_outcome, index_col=0).drop(columns="Outcome").to_csv(without)
    folders = []
    for i, table in enumerate((with_outcome, without)):
        result = allocate(table, capacities={"RRH": 2, "ES": 2})
        folders.append(base / f"out{i}")
        result.save(folders[-1])
    return folders


# --- reading them back ----------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[str], dict[str, str]]:
    """Column or key names of a written file, and each one's type (pandas dtype or JSON value)."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        return list(df.columns), {c: str(t) for c, t in df.dtypes.items()}
    if path.suffix == ".csv":
        return list(pd.read_csv(path, nrows=0).columns), {}
    obj = json.loads(path.read_text(encoding="utf-8"))
    return list(obj), {k: _json_type(v) for k, v in obj.items()}


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def _json_type_ok(declared: str, actual: str) -> bool:
    allowed = {t.strip() for t in declared.split(" or ")}
    if "number" in allowed:
        allowed.add("integer")  # JSON numbers include whole numbers
    return actual in allowed


def check_files(entries_and_paths: list[tuple[OutputFile, list[Path]]]) -> list[str]:
    """Problems with the dictionary entries of files, each written by one or more runs."""
    problems = []
    for entry, paths in entries_and_paths:
        where = f"{entry.listed_in} in {SOURCE}"
        seen: set[str] = set()
        undescribed: dict[str, None] = {}
        for path in paths:
            names, types = _read(path)
            undescribed.update(dict.fromkeys(entry.undescribed(names)))
            for name in names:
                field = entry.lookup(name)
                if field is None or not field.dtype or name not in types:
                    continue
                ok = (
                    _json_type_ok(field.dtype, types[name])
                    if entry.kind == "json"
                    else field.dtype == types[name]
                )
                if not ok:
                    problems.append(
                        f"{entry.command}: {entry.name}: {name} is {types[name]}, the data "
                        f"dictionary says {field.dtype}: correct it in {where}."
                    )
            always = [f.name for f in entry.fields if not f.when and not f.pattern]
            absent = [n for n in always if n not in names]
            if absent:
                problems.append(
                    f"{entry.command}: {path.name} ({path.parent.name}) has no column(s) "
                    f"{', '.join(absent)} that the data dictionary lists as always written: remove "
                    f"them from {where}, or say when they are written (when=...)."
                )
            seen.update(names)
        if undescribed:
            example = next(iter(undescribed))
            hint = (
                f' (e.g. _during("{example}", "<unit>", "<what it counts>") or '
                f'_end("{example}", "<unit>", "<what it holds>"))'
                if entry.listed_in == "MONTHLY"
                else ""
            )
            problems.append(
                f"{entry.command}: {entry.name} has column(s) with no description in the data "
                f"dictionary: {', '.join(undescribed)}. Add one line for each to {where}{hint}, "
                f"then run `{REGENERATE}`."
            )
        for f in entry.fields:
            if f.when and not any(f.matches(n) for n in seen):
                problems.append(
                    f"{entry.command}: {entry.name}: no checked run writes {f.name} ({f.when}): add "
                    "a run that does to tests/test_data_dictionary.py (RUNS), or remove it from "
                    f"{where}."
                )
    return problems


def assert_no_problems(problems: list[str]) -> None:
    assert not problems, "\n".join(problems)


def _entries(command: str) -> list[OutputFile]:
    return [f for f in FILES if f.command == command]


def _data_files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.suffix in (".parquet", ".csv", ".json")}


# --- the tests ------------------------------------------------------------------------------------


def test_every_file_of_a_run_is_in_the_dictionary(run_folders):
    listed = {f.name for f in _entries("sysmodel run")}
    for folder in run_folders.values():
        assert _data_files(folder) == set(OUTPUT_FILES)
    assert listed == set(OUTPUT_FILES), (
        f"the data dictionary's files of `sysmodel run` ({sorted(listed)}) are not the files a run "
        f"writes ({sorted(OUTPUT_FILES)}): add or remove the file in _files() in {SOURCE}."
    )


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_run_files_match_the_dictionary(run_folders, name):
    entry = output_file("sysmodel run", name)
    assert_no_problems(check_files([(entry, [folder / name for folder in run_folders.values()])]))


def test_summary_keys_have_units_and_descriptions(run_folders):
    """summary.json's keys are described, and each has a unit in outputs.SUMMARY_UNITS."""
    from sysmodel.outputs import SUMMARY_UNITS

    keys = json.loads((run_folders["baseline"] / "summary.json").read_text())
    no_unit = [k for k in keys if k not in SUMMARY_UNITS]
    assert not no_unit, f"summary keys without a unit in sysmodel.outputs.SUMMARY_UNITS: {no_unit}"
    entry = output_file("sysmodel run", "summary.json")
    assert all(f.unit for f in entry.fields)


def test_compare_files_match_the_dictionary(compare_folder):
    entries = _entries("sysmodel compare")
    written = _data_files(compare_folder)
    assert written == {f.name for f in entries}, (
        f"`sysmodel compare` writes {sorted(written)}; the data dictionary lists "
        f"{sorted(f.name for f in entries)}: add or remove the file in _files() in {SOURCE}."
    )
    assert_no_problems(check_files([(e, [compare_folder / e.name]) for e in entries]))


def test_spm_files_match_the_dictionary(spm_folder):
    entries = _entries("sysmodel spm")
    assert _data_files(spm_folder) == {f.name for f in entries}
    assert_no_problems(check_files([(e, [spm_folder / e.name]) for e in entries]))


def test_allocate_files_match_the_dictionary(allocate_folders):
    entries = _entries("sysmodel allocate")
    for folder in allocate_folders:
        assert _data_files(folder) == {f.name for f in entries}
    assert_no_problems(
        check_files([(e, [folder / e.name for folder in allocate_folders]) for e in entries])
    )


def test_every_field_has_a_unit_column_and_a_description():
    problems = [
        f"{f.command}: {f.name}: {c.name} has no description: add it in {f.listed_in} in {SOURCE}."
        for f in FILES
        for c in f.fields
        if not c.description.strip()
    ]
    assert_no_problems(problems)
    for f in FILES:
        names = f.names()
        repeated = sorted({n for n in names if names.count(n) > 1})
        assert not repeated, f"{f.command}: {f.name} lists {repeated} more than once"


def test_the_document_is_generated_from_the_dictionary():
    doc = ROOT / "docs" / "data_dictionary.md"
    assert doc.exists(), f"docs/data_dictionary.md is missing: run `{REGENERATE}`."
    assert doc.read_text(encoding="utf-8") == markdown(), (
        f"docs/data_dictionary.md is out of date with {SOURCE}: run `{REGENERATE}` and commit it."
    )


def test_the_generator_script_writes_what_the_test_expects(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import data_dictionary
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    monkeypatch.setattr(data_dictionary, "DOC", tmp_path / "data_dictionary.md")
    monkeypatch.setattr(data_dictionary, "ROOT", tmp_path)
    assert data_dictionary.main(["--check"]) == 1
    assert data_dictionary.main([]) == 0
    assert (tmp_path / "data_dictionary.md").read_text(encoding="utf-8") == markdown()
    assert data_dictionary.main(["--check"]) == 0


def test_the_failure_message_names_the_column_and_where_to_add_it(tmp_path):
    """A column the dictionary lacks (as a new monthly column would be) is named, with the fix."""
    path = tmp_path / "monthly.parquet"
    pd.DataFrame({"month": [0], "queue_hub": [3]}).to_parquet(path)
    entry = output_file("sysmodel run", "monthly.parquet")
    problems = check_files([(entry, [path])])
    assert any(
        "queue_hub" in p and "MONTHLY in src/sysmodel/dictionary.py" in p and REGENERATE in p
        for p in problems
    ), problems
