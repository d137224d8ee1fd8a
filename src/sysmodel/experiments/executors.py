"""Executors: run a list of specs in-process, on a local process pool, or on any concurrent.futures executor."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed

from ..runner import RunResult
from .spec import RunSpec
from .store import ResultStore

__all__ = ["run_specs", "execute_spec"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _worker_context() -> multiprocessing.context.BaseContext:
    """Start workers from a fork server (safe when the caller has threads, unlike plain fork), which
    imports sysmodel once so each worker starts quickly."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sysmodel.experiments.spec"])
    return ctx


def _parent_alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
    except OSError:
        pass
    try:  # no /proc (macOS): signal 0 only checks that the pid exists
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _watch_parent(pid: int) -> None:
    while _parent_alive(pid):
        time.sleep(1.0)
    os._exit(1)


def _init_worker(parent_pid: int) -> None:
    """Make a pool worker end with the process that started the pool, however that one ends.

    A worker waits on a queue whose write end it holds itself, and a fork-server worker's parent is
    the fork server, which itself lives until every worker has closed its pipe: when the main process
    is killed (SIGKILL, out of memory) nothing tells them, and they stayed for good with hundreds of
    MB each. A daemon thread checks the main process once a second and exits the worker when it is
    gone; on Linux the kernel also kills the worker if the fork server dies. Ctrl-C goes to the whole
    process group: workers ignore it, and the main process stops them (see :func:`_stop_workers`).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop a pool's workers now, without waiting for the runs they are doing (Ctrl-C, an error)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):  # already gone
            process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


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
        max_workers=min(n_workers, len(todo)),
        mp_context=_worker_context(),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    try:
        futures = {pool.submit(execute_spec, spec): spec for spec in todo}
        for future in as_completed(futures):
            yield finish(futures[future], future.result())
    except BaseException:
        # Ctrl-C, a failed save or the caller closing the generator early: do not wait for runs
        # in progress (minutes at large sizes); finished runs are already in the store.
        if own:
            _stop_workers(pool)
        raise
    if own:
        pool.shutdown(wait=True)
