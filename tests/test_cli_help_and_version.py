"""Small things a newcomer meets first: --version, flags shown as flags, `params` with no match,
a parameter description cut short, and README's Python snippet."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import sysmodel
from sysmodel import cli
from sysmodel.identity import code_revision
from sysmodel.params import field_info

ROOT = Path(__file__).resolve().parents[1]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def invoke(monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    monkeypatch.setattr(cli, "err_console", Console(width=400, color_system=None, stderr=True))

    def _invoke(*args: str):
        result = CliRunner().invoke(cli.app, list(args))
        result.text = _ANSI.sub("", result.output)
        return result

    return _invoke


def test_version_prints_the_package_version_and_code_revision(invoke):
    result = invoke("--version")
    assert result.exit_code == 0, result.text
    assert result.text.strip() == f"sysmodel {sysmodel.__version__} (code {code_revision()})"


def test_version_matches_the_installed_distribution():
    from importlib.metadata import version

    assert version("sysmodel") == sysmodel.__version__


@pytest.mark.parametrize("command", [[], ["run"], ["compare"], ["calibrate"], ["params"]])
def test_help_shows_flags_without_a_value_placeholder(invoke, command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.text
    assert "<bool>" not in result.text
    assert "--help" in result.text


def test_run_force_is_a_plain_flag_in_help(invoke):
    text = invoke("run", "--help").text
    line = next(line for line in text.splitlines() if "--force" in line)
    # the flag is followed by its help text, not by a type
    assert re.search(r"--force\s+Allow writing", line), line


def test_params_without_a_match_says_so_and_exits_1(invoke):
    result = invoke("params", "houzing")
    assert result.exit_code == 1, result.text
    assert "no parameter matches 'houzing'" in result.text
    assert "housing." in result.text  # close keys are suggested
    assert "┏" not in result.text  # no empty table


def test_params_without_any_close_key_points_to_the_full_list(invoke):
    result = invoke("params", "qqqqqqqq")
    assert result.exit_code == 1
    assert "sysmodel params" in result.text


def test_pair_alignment_description_says_what_unlisted_pairs_use(invoke):
    desc = field_info("services.pair_alignment").description
    assert "services.alignment" in desc and desc.rstrip().endswith(")"), desc
    assert desc in " ".join(invoke("params", "pair_alignment").text.split())


def test_readme_python_snippet_runs(tmp_path):
    """README's Python snippet, with a small population, runs as written (imports included)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"From Python:\s*```python\n(.*?)```", text, re.S).group(1)
    snippet = snippet.replace('"scenarios/', f'"{ROOT}/scenarios/')
    snippet = snippet.replace("months=60)", "months=2, families=200)")
    snippet = snippet.replace('"results/my-run"', f'"{tmp_path}/my-run"')
    snippet += "\nassert len(model.agents_by_type[Family]) > 0\n"
    done = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr


def quick_start_commands(text: str) -> list[str]:
    """The commands of README's Quick start, one per non-empty line of its bash blocks."""
    section = re.search(r"^## Quick start$(.*?)^## ", text, re.M | re.S).group(1)
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_quick_start_is_two_one_line_commands_on_python_3_12():
    commands = quick_start_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(commands) == 2, commands
    for command in commands:
        assert command.startswith("python3.12 -m venv .venv && "), command
        assert not command.endswith("\\")
