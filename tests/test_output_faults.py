"""Faults that must never hurt: nothing already written is lost or corrupted, results appear only when
complete, interrupted work resumes, no worker outlives its parent, and output permissions follow the
umask. Full disks and read-only file systems are simulated (tests run as root, so permission bits do not
stop writes); interrupts and kills are real signals sent to real ``sysmodel`` processes."""

from __future__ import annotations

import errno
import importlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from helpers import OUTPUT_FILES
from sysmodel import cli, files, runner
from sysmodel.params import Params, param_specs

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SILOED = ROOT / "scenarios" / "baseline_siloed.yaml"
ALIGNED = ROOT / "scenarios" / "aligned_housing_hub.yaml"
ENTRY_POINT = Path(sys.executable).with_name("sysmodel")
SMALL = ["--families", "300", "--months", "6"]
SMALL_COMPARE = ["--families", "300", "--months", "12", "--set", "time.burn_in_months=3"]
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
compare_module = importlib.import_module("sysmodel.experiments.compare")
on_linux = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


@pytest.fixture
def invoke(monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=400, color_system=None))
    monkeypatch.setattr(cli, "err_console", Console(width=400, color_system=None, stderr=True))

    def _invoke(*args: str | Path):
        result = CliRunner().invoke(cli.app, [str(a) for a in args])
        result.text = _ANSI.sub("", result.stderr)  # errors only: the run's header goes to stdout
        return result

    return _invoke


def assert_one_paragraph_error(result, *expect: str, code: int = 2) -> str:
    text = result.text.strip()
    assert result.exit_code == code, (result.exit_code, text, result.exception)
    assert "Traceback" not in text and text.startswith("error:"), text
    assert "\n" not in text, f"not one paragraph: {text}"
    for words in expect:
        assert words in text, f"{words!r} missing from: {text}"
    return text


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary files or folders left behind by an atomic writer."""
    return [p.name for p in folder.rglob(".*")]


def fail_on_nth_call(monkeypatch, owner, name: str, n: int, err: int = errno.ENOSPC) -> None:
    """Make ``owner.name`` raise OSError(err) on its n-th call (a disk that fills up mid-write)."""
    real, calls = getattr(owner, name), []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise OSError(err, os.strerror(err), str(args[-1]))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, flaky)


# --- run --out: never overwrite what is there (item 9) ---------------------------------------------


def fake_comparison(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True)
    (folder / "monthly.parquet").write_bytes(b"the comparison's monthly table")
    (folder / "comparison.json").write_text('{"reference": "x"}')
    (folder / "runs").mkdir()
    return snapshot(folder)


def test_run_refuses_a_folder_holding_something_other_than_a_run_and_names_it(invoke, tmp_path):
    out = tmp_path / "cmp"
    before = fake_comparison(out)
    result = invoke("run", BASELINE, *SMALL, "--out", out)
    assert_one_paragraph_error(result, str(out), "comparison.json", "monthly.parquet", "--force")
    assert snapshot(out) == before


def test_run_refuses_a_folder_whose_manifest_is_not_a_run(invoke, tmp_path):
    out = tmp_path / "other"
    out.mkdir()
    (out / "manifest.json").write_text('{"something": "else"}')
    assert_one_paragraph_error(invoke("run", BASELINE, *SMALL, "--out", out), "manifest.json")
    assert (out / "manifest.json").read_text() == '{"something": "else"}'


def test_run_force_replaces_another_folder_as_a_whole(invoke, tmp_path):
    out = tmp_path / "cmp"
    fake_comparison(out)
    result = invoke("run", BASELINE, *SMALL, "-q", "--out", out, "--force")
    assert result.exit_code == 0, result.text
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert leftovers(tmp_path) == []


def test_run_force_that_fails_leaves_the_old_run_intact(invoke, tmp_path, monkeypatch):
    out = tmp_path / "run"
    assert invoke("run", BASELINE, *SMALL, "-q", "--out", out).exit_code == 0
    before = snapshot(out)
    fail_on_nth_call(monkeypatch, runner, "write_parquet_atomic", 2)
    result = invoke("run", BASELINE, *SMALL, "-q", "--seed", "9", "--out", out, "--force")
    assert_one_paragraph_error(result, str(out), "No space left on device")
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


# --- OS errors on --out: one paragraph, nothing half-written (item 12) ----------------------------


def test_run_into_a_path_under_a_regular_file_is_a_clear_error(invoke, tmp_path):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file")
    for out in (blocker / "run", blocker / "deeper" / "run"):
        result = invoke("run", BASELINE, *SMALL, "--out", out)
        assert_one_paragraph_error(result, str(out), f"{blocker} is a file, not a folder")
    assert blocker.read_text() == "a file"


def test_run_on_a_read_only_file_system_fails_before_simulating(invoke, tmp_path, monkeypatch):
    real_mkdir = os.mkdir

    def read_only(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only)
    monkeypatch.setattr(runner.SystemModel, "run", lambda *a, **k: pytest.fail("simulated anyway"))
    result = invoke("run", BASELINE, *SMALL, "--out", tmp_path / "ro" / "run")
    assert_one_paragraph_error(result, str(tmp_path / "ro" / "run"), "Read-only file system")


def test_run_on_a_full_disk_leaves_nothing_half_written(invoke, tmp_path, monkeypatch):
    fail_on_nth_call(monkeypatch, runner, "write_parquet_atomic", 3)
    out = tmp_path / "new" / "run"
    result = invoke("run", BASELINE, *SMALL, "-q", "--out", out)
    text = assert_one_paragraph_error(result, str(out), "No space left on device", "free")
    assert "nothing was written" in text.lower()
    assert list(tmp_path.iterdir()) == [], "no half-written run and no empty parent folder"


def compare_args(out: Path, reps: int = 2) -> list[str]:
    return ["compare", str(SILOED), str(ALIGNED), "--reps", str(reps), *SMALL_COMPARE,
            "--workers", "1", "--out", str(out)]  # fmt: skip


def test_compare_on_a_full_disk_keeps_finished_runs_and_resumes(invoke, tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    # The third run's families table (4 tables a run) does not fit: two runs are finished and kept.
    fail_on_nth_call(monkeypatch, runner, "write_parquet_atomic", 10)
    result = invoke(*compare_args(out))
    assert_one_paragraph_error(
        result,
        str(out),
        "No space left on device",
        "2 of 4 runs are finished and kept",
        "runs/",
        f"--out {out}",
    )
    finished = [p for p in (out / "runs").iterdir() if (p / "manifest.json").exists()]
    assert len(finished) == 2 and leftovers(out) == []
    monkeypatch.undo()
    resumed = CliRunner().invoke(cli.app, compare_args(out))
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((out / "comparison.json").read_text())["runs_reused_from_store"] == 2


def test_compare_failing_while_writing_tables_leaves_a_resumable_folder(
    invoke, tmp_path, monkeypatch
):
    out = tmp_path / "cmp"
    fail_on_nth_call(monkeypatch, compare_module, "write_json_atomic", 1)  # comparison.json
    result = invoke(*compare_args(out))
    assert_one_paragraph_error(
        result, str(out), "No space left on device", "4 of 4 runs are finished"
    )
    assert sorted(p.name for p in out.iterdir()) == ["runs"], "no half-written tables"
    monkeypatch.undo()
    resumed = CliRunner().invoke(cli.app, compare_args(out))
    assert resumed.exit_code == 0, resumed.output
    assert (out / "comparison.json").is_file()


# --- permissions follow the umask (item 16) ---------------------------------------------------------


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    files.umask.cache_clear()
    yield
    os.umask(old)
    files.umask.cache_clear()


def modes(folder: Path) -> dict[str, int]:
    return {
        str(p.relative_to(folder)): p.stat().st_mode & 0o777 for p in [folder, *folder.rglob("*")]
    }


def test_run_outputs_follow_the_umask(invoke, tmp_path, umask_027):
    out = tmp_path / "run"
    assert invoke("run", BASELINE, *SMALL, "-q", "--out", out).exit_code == 0
    got = modes(out)
    assert got.pop(".") == 0o750
    assert set(got.values()) == {0o640}, got


def test_compare_outputs_follow_the_umask(invoke, tmp_path, umask_027):
    out = tmp_path / "cmp"
    assert invoke(*compare_args(out, reps=1)).exit_code == 0
    got = modes(out)
    folders = {k for k in got if (out / k).is_dir()}
    assert {"runs", "figures"} <= folders and len(folders) == 5  # ., runs, figures, two run folders
    assert {got[k] for k in folders} == {0o750}, got
    assert {v for k, v in got.items() if k not in folders} == {0o640}, got
    assert "differences.csv" in got and "figures/forest.png" in got


# --- memory: refuse what cannot fit, before simulating (item 15) ----------------------------------


def test_memory_estimate_grows_with_families_and_turnover():
    from sysmodel import memory

    small = Params().with_overrides({"population.n_families": 100_000, "time.months": 12})
    longer = small.with_overrides({"time.months": 120})
    bigger = small.with_overrides({"population.n_families": 1_000_000})
    assert memory.estimated_peak_bytes(small) < memory.estimated_peak_bytes(longer)
    assert memory.estimated_peak_bytes(bigger) > 4 * memory.estimated_peak_bytes(small)


def test_run_too_big_for_the_memory_is_refused_with_the_estimate(invoke, tmp_path, monkeypatch):
    from sysmodel import memory

    monkeypatch.setattr(memory, "available_bytes", lambda: 2 * 2**30)
    monkeypatch.setattr(runner.SystemModel, "run", lambda *a, **k: pytest.fail("simulated anyway"))
    out = tmp_path / "big"
    result = invoke("run", BASELINE, "--families", "2000000", "--out", out)
    assert_one_paragraph_error(
        result, "2,000,000 families", "GiB", "2.0 GiB available", "--families"
    )
    assert not out.exists()


def test_compare_counts_every_worker_in_the_memory_estimate(invoke, tmp_path, monkeypatch):
    from sysmodel import memory

    one = memory.estimated_peak_bytes(Params().with_overrides({"population.n_families": 200_000}))
    monkeypatch.setattr(memory, "available_bytes", lambda: int(1.5 * one))
    args = ["compare", str(SILOED), str(ALIGNED), "--families", "200000", "--out", tmp_path / "c"]
    assert_one_paragraph_error(invoke(*args, "--workers", "2"), "2 workers", "--workers 1")
    assert not (tmp_path / "c").exists()


def test_family_bound_is_what_fits_on_the_documented_machine():
    from sysmodel import memory

    hi = next(s.hi for s in param_specs() if s.path == "population.n_families")
    months = next(s.hi for s in param_specs() if s.path == "time.months")
    at_bound = Params().with_overrides({"population.n_families": hi, "time.months": months})
    assert memory.estimated_peak_bytes(at_bound) < 20 * 2**30  # 24 GiB less the system's share
    assert memory.estimated_peak_bytes(at_bound.with_overrides({"time.months": 120})) < 8 * 2**30


# --- signals: Ctrl-C says what was kept, SIGKILL leaves no worker behind (items 10, 11) ------------


def sysmodel(*args: str | Path, cwd: Path) -> subprocess.Popen:
    """Start the installed command in its own session (its own process group, like a terminal job)."""
    return subprocess.Popen(
        [str(ENTRY_POINT), *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def session_members(sid: int) -> list[int]:
    """Live (non-zombie) processes of session ``sid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


def finished_runs(out: Path) -> int:
    runs = out / "runs"
    return sum((p / "manifest.json").exists() for p in runs.iterdir()) if runs.exists() else 0


@on_linux
def test_sigkill_of_compare_leaves_no_worker_or_fork_server_behind(tmp_path):
    out = tmp_path / "cmp"
    proc = sysmodel(*compare_args(out, reps=40)[:-4], "--workers", "2", "--out", out, cwd=tmp_path)
    try:
        # the main process, the fork server, the resource tracker and two workers
        wait_until(lambda: len(session_members(proc.pid)) >= 5, 60, "two workers to start")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        wait_until(lambda: session_members(proc.pid) == [], 15, "every worker to exit")
    finally:
        for pid in session_members(proc.pid):
            os.kill(pid, signal.SIGKILL)
        proc.communicate()


@on_linux
def test_ctrl_c_in_compare_says_what_was_kept_and_how_to_resume(tmp_path):
    out = tmp_path / "cmp"
    proc = sysmodel(*compare_args(out, reps=40)[:-4], "--workers", "2", "--out", out, cwd=tmp_path)
    try:
        wait_until(lambda: finished_runs(out) >= 1, 120, "a first finished run")
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, stderr = proc.communicate(timeout=20)
        wait_until(lambda: session_members(proc.pid) == [], 10, "every worker to exit")
    finally:
        for pid in session_members(proc.pid):
            os.kill(pid, signal.SIGKILL)
    text = " ".join(_ANSI.sub("", stderr).split())
    assert proc.returncode == 130, text
    assert "Traceback" not in text, text
    kept = finished_runs(out)
    assert f"{kept} of 80 runs are finished and kept under {out}/runs/" in text, text
    assert f"--out {out}" in text and "sysmodel compare" in text, text
    assert leftovers(out / "runs") == []


@on_linux
def test_ctrl_c_in_run_says_nothing_was_written(tmp_path):
    out = tmp_path / "run"
    proc = sysmodel("run", BASELINE, "--families", "100000", "--months", "120", "--out", out,
                    cwd=tmp_path)  # fmt: skip
    try:
        assert "families" in proc.stdout.readline()  # the scenario is loaded and running
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = " ".join(_ANSI.sub("", stderr).split())
    assert proc.returncode == 130, text
    assert "nothing was written" in text and str(out) in text, text
    assert list(tmp_path.iterdir()) == []


def test_saving_a_run_into_a_new_folder_from_python_is_all_or_nothing(tmp_path, monkeypatch):
    result = runner.run_scenario(BASELINE, families=300, months=6)
    fail_on_nth_call(monkeypatch, runner, "write_parquet_atomic", 2)
    with pytest.raises(OSError, match="No space left"):
        result.save(tmp_path / "new")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert (result.save(tmp_path / "new") / "manifest.json").is_file()
    assert leftovers(tmp_path) == []
