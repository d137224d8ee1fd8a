"""Same scenario and seed give identical results; nothing global (earlier runs, global RNGs, the
Python process) changes a run's results."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from sysmodel import Params, SystemModel, run_scenario


def tables(model: SystemModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    return model.monthly_table(), model.family_table()


def assert_same_tables(a: tuple[pd.DataFrame, pd.DataFrame], b: tuple[pd.DataFrame, pd.DataFrame]):
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)


def test_same_seed_gives_identical_tables_via_run_scenario(small_params):
    a = run_scenario(small_params, seed=7)
    b = run_scenario(small_params, seed=7)
    assert_same_tables((a.monthly, a.families), (b.monthly, b.families))
    assert a.summary() == b.summary()


def test_same_seed_gives_identical_tables_via_system_model(small_params):
    a = tables(SystemModel(small_params, rng=7).run())
    b = tables(SystemModel(small_params, rng=7).run())
    assert_same_tables(a, b)


def test_run_scenario_equals_system_model_on_same_params_and_seed(small_params):
    r = run_scenario(small_params, seed=7)
    assert_same_tables((r.monthly, r.families), tables(SystemModel(small_params, rng=7).run()))


def test_same_seed_gives_identical_saved_files(tmp_path, small_params):
    a = run_scenario(small_params, seed=7).save(tmp_path / "a")
    b = run_scenario(small_params, seed=7).save(tmp_path / "b")
    for name in ("monthly.parquet", "families.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(a / name), pd.read_parquet(b / name), check_exact=True
        )
    assert (a / "summary.json").read_bytes() == (b / "summary.json").read_bytes()


def test_different_seeds_give_different_outputs(small_params):
    a = tables(SystemModel(small_params, rng=7).run())
    b = tables(SystemModel(small_params, rng=8).run())
    assert not a[0].equals(b[0]), "monthly tables identical across seeds"
    assert not a[1].equals(b[1]), "family tables identical across seeds"


def test_results_do_not_depend_on_earlier_runs(small_params):
    other = small_params.with_overrides({"economy.p_job_find_per_month": 0.9})
    first_a = tables(SystemModel(small_params, rng=7).run())
    tables(SystemModel(other, rng=99).run())
    second_a = tables(SystemModel(small_params, rng=7).run())
    assert_same_tables(first_a, second_a)


def test_results_do_not_depend_on_global_random_state(small_params):
    random.seed(1)
    np.random.seed(1)  # noqa: NPY002 -- deliberately disturbing the legacy global generator
    a = tables(SystemModel(small_params, rng=7).run())
    random.seed(2)
    np.random.seed(2)  # noqa: NPY002
    random.random()
    np.random.random(10)  # noqa: NPY002
    b = tables(SystemModel(small_params, rng=7).run())
    assert_same_tables(a, b)


def test_processes_draw_only_from_named_streams(small_params):
    """No process touches the global generators or Mesa's model RNGs (they would break common random numbers)."""
    model = SystemModel(small_params, rng=7)
    before = (
        random.getstate(),
        np.random.get_state()[1].copy(),  # noqa: NPY002
        model.random.getstate(),
        model.rng.bit_generator.state,
    )
    for _ in range(small_params.time.burn_in_months + 3):
        model.step()
    assert random.getstate() == before[0], "the global random module was used"
    assert np.array_equal(np.random.get_state()[1], before[1]), "np.random.* was used"  # noqa: NPY002
    assert model.random.getstate() == before[2], "model.random was used"
    assert model.rng.bit_generator.state == before[3], "model.rng was used"


def test_stepping_month_by_month_equals_run(small_params):
    stepped = SystemModel(small_params, rng=7)
    for _ in range(stepped.total_months):
        stepped.step()
    for process in stepped.processes:
        process.finish()
    assert_same_tables(tables(stepped), tables(SystemModel(small_params, rng=7).run()))


def test_unseeded_model_keeps_its_seed_and_can_be_replayed(small_params):
    first = SystemModel(small_params)
    assert isinstance(first.seed, int) and first.seed >= 0
    replay = SystemModel(small_params, rng=first.seed)
    assert_same_tables(tables(first.run()), tables(replay.run()))


@pytest.mark.parametrize("seed", [-1, 1.5, "7"])
def test_invalid_seed_is_refused(small_params, seed):
    with pytest.raises(ValueError):
        SystemModel(small_params, rng=seed)


def test_same_seed_identical_in_a_fresh_python_process(tmp_path, small_params):
    """A run in another interpreter (different hash salt) gives the same tables: nothing depends on
    ``hash()``, import order or anything else of this process."""
    script = textwrap.dedent(
        """
        import sys
        from sysmodel import Params, run_scenario
        params = Params.model_validate_json(open(sys.argv[1]).read())
        r = run_scenario(params, seed=7)
        r.monthly.to_parquet(sys.argv[2])
        r.families.to_parquet(sys.argv[3])
        """
    )
    (tmp_path / "params.json").write_text(small_params.model_dump_json())
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, "params.json", "m.parquet", "f.parquet"],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=120,
    )
    here = run_scenario(Params.model_validate_json(small_params.model_dump_json()), seed=7)
    here.monthly.to_parquet(tmp_path / "m_here.parquet")
    here.families.to_parquet(tmp_path / "f_here.parquet")
    for there, local in (("m.parquet", "m_here.parquet"), ("f.parquet", "f_here.parquet")):
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / there), pd.read_parquet(tmp_path / local), check_exact=True
        )
