"""The scenario files ship inside the package: listed, copied and run by name after a pip install.

The top-level ``scenarios/`` folder is the one source; pyproject maps it to ``sysmodel.scenarios``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from sysmodel import cli
from sysmodel.scenario import ScenarioError, load_scenario
from sysmodel.shipped import copy_shipped, shipped_scenarios

ROOT = Path(__file__).resolve().parents[1]
FOLDER = sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml"))
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def invoke(monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    monkeypatch.setattr(cli, "err_console", Console(width=400, color_system=None, stderr=True))

    def _invoke(*args: str | Path):
        result = CliRunner().invoke(cli.app, [str(a) for a in args])
        result.text = _ANSI.sub("", result.output)
        return result

    return _invoke


def test_every_file_in_the_scenarios_folder_is_shipped():
    shipped = shipped_scenarios()
    assert sorted(s.file for s in shipped) == FOLDER
    for s in shipped:
        doc = yaml.safe_load((ROOT / "scenarios" / s.file).read_text(encoding="utf-8"))
        assert s.name == Path(s.file).stem
        assert s.description == " ".join(doc["description"].split())


def test_scenarios_lists_name_file_and_description(invoke):
    result = invoke("scenarios")
    assert result.exit_code == 0, result.text
    text = " ".join(result.text.split())
    for s in shipped_scenarios():
        assert s.name in text and s.file in text
        assert s.description[:40] in text


def test_scenarios_copy_writes_every_file_and_the_readme(invoke, tmp_path):
    dest = tmp_path / "my-scenarios"
    result = invoke("scenarios", "--copy", dest)
    assert result.exit_code == 0, result.text
    assert sorted(p.name for p in dest.glob("*.yaml")) == FOLDER
    assert (dest / "README.md").exists()
    for name in FOLDER:
        assert (dest / name).read_bytes() == (ROOT / "scenarios" / name).read_bytes()


def test_scenarios_copy_refuses_to_overwrite_without_force(invoke, tmp_path):
    (tmp_path / "baseline.yaml").write_text("name: mine\n", encoding="utf-8")
    result = invoke("scenarios", "--copy", tmp_path)
    assert result.exit_code == 2, result.text
    assert "baseline.yaml" in result.text and "--force" in result.text
    assert (tmp_path / "baseline.yaml").read_text(encoding="utf-8") == "name: mine\n"
    assert not (tmp_path / "subsidy_deep.yaml").exists()  # nothing is half-copied
    result = invoke("scenarios", "--copy", tmp_path, "--force")
    assert result.exit_code == 0, result.text
    assert (tmp_path / "baseline.yaml").read_bytes() == (
        ROOT / "scenarios/baseline.yaml"
    ).read_bytes()


def test_copy_shipped_returns_the_written_paths(tmp_path):
    written = copy_shipped(tmp_path)
    assert sorted(p.name for p in written) == sorted([*FOLDER, "README.md"])


@pytest.mark.parametrize("given", ["baseline", "baseline.yaml", "scenarios/baseline.yaml"])
def test_a_shipped_scenario_loads_by_name_when_no_such_file_exists(tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(given)
    assert sc.name == "baseline"
    assert Path(sc.path).name == "baseline.yaml" and Path(sc.path).exists()


def test_other_folders_are_not_taken_for_shipped_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario("elsewhere/baseline.yaml")


def test_a_file_wins_over_a_shipped_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").write_text("name: local\n", encoding="utf-8")
    assert load_scenario("baseline").name == "local"


def test_missing_scenario_hint_lists_the_shipped_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as err:
        load_scenario("baselin")
    message = str(err.value)
    assert "no such scenario file" in message
    assert "Did you mean 'baseline'?" in message
    assert "aligned_housing_hub" in message and "sysmodel scenarios" in message
    assert "Scenario files live in scenarios/" not in message


def test_run_and_validate_accept_a_shipped_name(invoke, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("validate", "aligned_housing_hub").exit_code == 0
    out = tmp_path / "out"
    result = invoke("run", "baseline", "--families", "200", "--months", "2", "-q", "--out", out)
    assert result.exit_code == 0, result.text
    assert (out / "manifest.json").exists()


def test_pyproject_lists_every_package_under_src():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    found = {
        ".".join(p.parent.relative_to(ROOT / "src").parts)
        for p in (ROOT / "src").rglob("__init__.py")
    }
    assert set(conf["packages"]) == found | {"sysmodel.scenarios"}
    assert conf["package-dir"]["sysmodel.scenarios"] == "scenarios"


@pytest.mark.slow
def test_the_wheel_holds_the_scenario_files(tmp_path):
    # About 10-20 s: pip builds the wheel in an isolated environment.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT), "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("sysmodel-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [*FOLDER, "README.md"]:
        assert f"sysmodel/scenarios/{name}" in names
    assert not any(n.startswith("scenarios/") for n in names)
