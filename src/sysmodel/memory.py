"""How much memory a run needs, estimated before it starts, so a run too big for the machine is refused
at once instead of failing with a MemoryError after minutes of simulating."""

from __future__ import annotations

import os
from collections.abc import Sequence

from .params import Params
from .scenario import Scenario

__all__ = ["estimated_peak_bytes", "available_bytes", "too_big"]

_MB = 2**20
_GIB = 2**30

# Peak resident set size of `sysmodel run scenarios/baseline.yaml --families N --months M` (default
# parameters: 24 burn-in months, turnover 0.01 a month), measured with /usr/bin/time -v on the 2-CPU,
# 24 GiB benchmark machine (benchmarks/README.md, "Memory"), in MiB: 100k families over 12, 60, 120
# and 360 months 360, 420, 556, 761; 250k x 120 870; 500k x 12 and 60 1,051 and 1,197; 1M x 6 1,715;
# 1M x 120 2,879; 2M x 6 3,229. Least squares: 233 MiB + 1.47 KiB per family + 1.03 KiB per newcomer
# row (a family that moved in while recording: its record is kept beside the live table, and the
# output stage copies both). The coefficients below estimate 4-29% above every measurement.
_FIXED_BYTES = 300 * _MB
_PER_FAMILY_BYTES = 1_600
_PER_NEWCOMER_BYTES = 1_100
# The comparing process keeps each run's outcomes and a slim per-family table (family id, entry
# month, group, adults, children, a flag) for the counterfactual, and receives whole results.
_COMPARE_PER_ROW_BYTES = 48


def newcomer_rows(params: Params) -> float:
    """Families expected to move in while recording (burn-in newcomers are not kept)."""
    return params.population.n_families * params.turnover.p_move_out_per_month * params.time.months


def estimated_peak_bytes(params: Params) -> int:
    """Peak memory of one run with ``params`` (fitted to the measurements above; about +10%)."""
    n = params.population.n_families
    return int(_FIXED_BYTES + _PER_FAMILY_BYTES * n + _PER_NEWCOMER_BYTES * newcomer_rows(params))


def available_bytes() -> int | None:
    """Memory available to new work now: MemAvailable on Linux, else free physical pages, else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _gib(n: float) -> str:
    return f"{n / _GIB:.1f} GiB"


def too_big(scenarios: Sequence[Scenario], workers: int = 1, reps: int = 0) -> str | None:
    """Why running ``scenarios`` would not fit in the memory available now, as one paragraph with the
    estimate and what to do; None if it fits (or the available memory is unknown).

    Args:
        scenarios: the scenarios to run; the biggest decides.
        workers: runs held in memory at once (worker processes of a comparison, 1 in-process).
        reps: replications of a comparison, whose process keeps a slim table per run (0: one run).
    """
    available = available_bytes()
    if available is None:
        return None
    biggest = max(scenarios, key=lambda sc: estimated_peak_bytes(sc.params))
    one = estimated_peak_bytes(biggest.params)
    rows = biggest.params.population.n_families + newcomer_rows(biggest.params)
    need = one * workers + reps * len(scenarios) * rows * _COMPARE_PER_ROW_BYTES
    if workers > 1:
        need += one  # the main process unpickles whole results as workers send them
    if need <= available:
        return None
    n = biggest.params.population.n_families
    months = biggest.params.time.months
    who = f"{workers} workers at about {_gib(one)} each" if workers > 1 else f"about {_gib(one)}"
    fit = int(n * max(available - _FIXED_BYTES, 0) / max(need - _FIXED_BYTES, 1))
    advice = (
        f"run with --workers 1 (about {_gib(one)}), or fewer --families"
        if workers > 1 and one <= available
        else f"use --families {max(fit // 1000 * 1000, 1000):,} or fewer, or fewer --months"
    )
    return (
        f"{n:,} families over {months} months need an estimated {_gib(need)} of memory ({who}), but "
        f"this machine has {_gib(available)} available now; {advice}."
    )
