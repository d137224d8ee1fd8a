"""Executors: run a list of specs in-process, on a local process pool, or on any concurrent.futures executor."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from ..runner import RunResult
from .spec import RunSpec
from .store import ResultStore

__all__ = ["run_specs", "execute_spec"]


def _worker_context() -> multiprocessing.context.BaseContext:
    """Start workers from a fork server (safe when the caller has threads, unlike plain fork), which
    imports sysmodel once so each worker starts quickly."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sysmodel.experiments.spec"])
    return ctx


def execute_spec(spec: RunSpec) -> RunResult:
    """Module-level (picklable) worker function."""
    return spec.run()


def run_specs(
    specs: Sequence[RunSpec],
    *,
    workers: int | None = None,
    executor: Executor | None = None,
    store: ResultStore | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[tuple[RunSpec, RunResult | None]]:
    """Run ``specs`` and yield ``(spec, result)`` as each finishes (completion order, not input order).

    Args:
        workers: 1 runs in this process; N > 1 starts a local process pool of N workers; None uses the
            number of CPUs. Ignored when ``executor`` is given.
        executor: any ``concurrent.futures.Executor`` (e.g. Dask's ``client.get_executor()``).
        store: if given, runs already in the store are skipped (yielded with ``None``) and each new result
            is saved there as soon as it arrives, so an interrupted call resumes where it stopped.
        progress: ``progress(done, total)`` after each run.

    Results do not depend on the number of workers: each run is a pure function of its spec.
    """
    total = len(specs)
    done = 0
    todo = []
    for spec in specs:
        if store is not None and store.has(spec.run_id):
            done += 1
            if progress:
                progress(done, total)
            yield spec, None
        else:
            todo.append(spec)

    def finish(spec: RunSpec, result: RunResult) -> tuple[RunSpec, RunResult]:
        nonlocal done
        if store is not None:
            store.save(spec.run_id, result)
        done += 1
        if progress:
            progress(done, total)
        return spec, result

    n_workers = workers if workers is not None else (os.cpu_count() or 1)
    if executor is None and (n_workers <= 1 or len(todo) <= 1):
        for spec in todo:
            yield finish(spec, execute_spec(spec))
        return
    own = executor is None
    pool = executor or ProcessPoolExecutor(
        max_workers=min(n_workers, len(todo)), mp_context=_worker_context()
    )
    try:
        futures = {pool.submit(execute_spec, spec): spec for spec in todo}
        for future in as_completed(futures):
            yield finish(futures[future], future.result())
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
