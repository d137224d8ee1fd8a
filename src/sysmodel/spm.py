"""HUD System Performance Measure-style figures computed from a run's housing history alone.

:func:`spm_measures` reads the housing-history table (``housing.parquet``, :mod:`sysmodel.history`) and
the number of recorded months, and returns one tidy row per figure: length of time homeless (SPM 1),
returns to homelessness after exits to permanent housing (SPM 2), point-in-time and annual counts
(SPM 3) and first-time homelessness (SPM 5). ``docs/spm.md`` gives each definition, how it maps to
HUD's measures and its limits. Figures are per *family* (the model's unit), not per person.

Reporting years are consecutive blocks of 12 recorded months from month 0 (year 0 = months 0-11); a
last, shorter block is reported with its own ``first_month``/``last_month``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "SHELTERED",
    "UNSHELTERED",
    "HOMELESS",
    "PERMANENT",
    "ASSISTED",
    "RETURN_WINDOWS",
    "FIRST_TIME_LOOKBACK_MONTHS",
    "DAYS_PER_MONTH",
    "SPM_COLUMNS",
    "spm_measures",
    "write_spm_files",
]

# HUD's category 1 (literally homeless): in shelter, or unsheltered (turned away by a full shelter, only
# with a shelter capacity: docs/ODD.md 7.6a). Doubled up is not homeless here, as in HUD's category 1 (it
# is category 2/4 at most).
SHELTERED = ("shelter",)
UNSHELTERED = ("unsheltered",)
HOMELESS = (*SHELTERED, *UNSHELTERED)
# Permanent-housing destinations of an exit from homelessness (a lease of one's own, with or without a
# subsidy). Doubling up counts as a temporary destination.
PERMANENT = ("stable", "behind", "filed", "rehoused", "subsidized")
# Assisted permanent housing (HUD's PH projects: rapid re-housing, vouchers), for SPM 5.2's lookback.
ASSISTED = ("rehoused", "subsidized")
RETURN_WINDOWS = (6, 12, 24)
FIRST_TIME_LOOKBACK_MONTHS = 24
DAYS_PER_MONTH = 365.25 / 12
YEAR_MONTHS = 12

SPM_COLUMNS = (
    "measure",
    "statistic",
    "year",
    "first_month",
    "last_month",
    "route",
    "value",
    "unit",
)
_OPEN = np.iinfo(np.int64).max // 4  # end month of a spell still open (far after any month)


class _History:
    """The history as sorted numpy arrays, with the helpers every measure needs."""

    def __init__(self, housing: pd.DataFrame):
        missing = [
            c
            for c in ("family_id", "state", "start_month", "end_month", "route_out")
            if c not in housing
        ]
        if missing:
            raise ValueError(f"the housing table has no column(s) {', '.join(missing)}")
        fid = housing["family_id"].to_numpy(np.int64)
        start = housing["start_month"].to_numpy(np.int64)
        end = housing["end_month"].astype("Float64").fillna(_OPEN).to_numpy().astype(np.int64)
        # A family's spells in time order: a stay entered and left within one month (end = start - 1)
        # comes before the spell that starts the same month; ties keep the table's order.
        order = np.lexsort((np.arange(fid.size), end, start, fid))
        self.fid, self.start, self.end = fid[order], start[order], end[order]
        self.state = housing["state"].astype(str).to_numpy()[order]
        self.route_out = housing["route_out"].astype(str).to_numpy()[order]
        n = self.fid.size
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = self.fid[1:] == self.fid[:-1]
        self.same_next = same_next  # the next row is the same family's next spell
        self.same_prev = np.r_[False, same_next[:-1]]

    def is_in(self, states: tuple[str, ...]) -> np.ndarray:
        return np.isin(self.state, states)

    def next_state(self) -> np.ndarray:
        out = np.full(self.fid.size, "", dtype=object)
        out[:-1] = self.state[1:]
        out[~self.same_next] = ""
        return out

    def prev_in(self, states: tuple[str, ...]) -> np.ndarray:
        mask = self.is_in(states)
        out = np.zeros(self.fid.size, dtype=bool)
        out[1:] = mask[:-1]
        return out & self.same_prev


def _years(months: int) -> list[tuple[int, int, int]]:
    """(year, first month, last month) of each reporting year of ``months`` recorded months."""
    return [
        (y, a, min(a + YEAR_MONTHS, months) - 1)
        for y, a in enumerate(range(0, months, YEAR_MONTHS))
    ]


def _row(measure, statistic, year, first, last, value, unit, route="all") -> dict:
    return {
        "measure": measure,
        "statistic": statistic,
        "year": year,
        "first_month": first,
        "last_month": last,
        "route": route,
        "value": float(value) if value is not None else math.nan,
        "unit": unit,
    }


def _length_of_time(h: _History, months: int, states: tuple[str, ...], measure: str) -> list[dict]:
    """SPM 1: families with a month-end in ``states`` in the year, and their months in those states:
    every stay with a month-end in the year, counted from its start (before the year too) to its end or
    the year's end."""
    rows = []
    here = h.is_in(states)
    for year, a, b in _years(months):
        # At least one month-end in the year (a stay within one month has none).
        active = here & (np.maximum(h.start, a) <= np.minimum(h.end, b))
        counted = np.minimum(h.end[active], b) - h.start[active] + 1
        per_family = pd.Series(counted).groupby(h.fid[active]).sum().to_numpy()
        n = per_family.size
        mean = per_family.mean() if n else math.nan
        median = float(np.median(per_family)) if n else math.nan
        days = "days (months x 30.44)"
        rows += [
            _row(measure, "families", year, a, b, n, "families"),
            _row(measure, "mean_months", year, a, b, mean, "months"),
            _row(measure, "median_months", year, a, b, median, "months"),
            _row(measure, "mean_days", year, a, b, mean * DAYS_PER_MONTH, days),
            _row(measure, "median_days", year, a, b, median * DAYS_PER_MONTH, days),
        ]
    return rows


def _returns(h: _History, months: int) -> list[dict]:
    """SPM 2: exits from homelessness to permanent housing and the share returning within each window,
    counting only exits followed for the whole window."""
    homeless = h.is_in(HOMELESS)
    nxt = h.next_state()
    exits = np.flatnonzero(homeless & np.isin(nxt, PERMANENT))
    exit_month = h.end[exits] + 1
    exits, exit_month = exits[exit_month >= 0], exit_month[exit_month >= 0]
    # The family's next entry into homelessness after each exit (a homeless spell after a housed one).
    entries = np.flatnonzero(homeless & ~h.prev_in(HOMELESS))
    k = np.searchsorted(entries, exits, side="right")
    has_next = k < entries.size
    nxt_entry = entries[np.minimum(k, entries.size - 1)] if entries.size else np.zeros_like(exits)
    has_next &= (entries.size > 0) & (h.fid[nxt_entry] == h.fid[exits])
    return_month = np.where(has_next, h.start[nxt_entry], _OPEN)
    # The month the family left the area (its last spell ended by moving away), if it did.
    last = np.flatnonzero(~h.same_next)
    last_of = last[np.searchsorted(last, exits)]
    left = np.where(h.route_out[last_of] == "moved_away", h.end[last_of] + 1, _OPEN)
    route = h.route_out[exits]
    rows = []
    groups = ["all", *sorted(set(route))]
    for w in RETURN_WINDOWS:
        returned = return_month - exit_month <= w
        followed = (exit_month + w <= months - 1) & (returned | (left > exit_month + w))
        for g in groups:
            pick = followed & ((route == g) if g != "all" else True)
            n, r = int(pick.sum()), int((pick & returned).sum())
            share = r / n if n else math.nan
            first = int(exit_month[pick].min()) if n else 0
            last_m = int(exit_month[pick].max()) if n else months - 1 - w
            rows += [
                _row("2", f"exits_followed_{w}m", None, first, last_m, n, "exits", g),
                _row("2", f"returned_within_{w}m", None, first, last_m, r, "exits", g),
                _row("2", f"share_returned_within_{w}m", None, first, last_m, share, "share", g),
            ]
    return rows


def _counts(h: _History, months: int, pit_month_of_year: int) -> list[dict]:
    """SPM 3: point-in-time (month-end) counts and annual unduplicated counts of families."""
    rows = []
    for year, a, b in _years(months):
        pit = a + pit_month_of_year
        for label, states in (("sheltered", SHELTERED), ("unsheltered", UNSHELTERED)):
            here = h.is_in(states)
            if pit <= b:
                at_pit = int((here & (h.start <= pit) & (h.end >= pit)).sum())
                rows.append(_row("3.1", f"pit_{label}", year, pit, pit, at_pit, "families"))
            else:
                rows.append(_row("3.1", f"pit_{label}", year, pit, pit, None, "families"))
            # Anyone in the state at any time in the year, stays within one month included.
            during = here & (h.start <= b) & (h.end + 1 >= a)
            annual = np.unique(h.fid[during]).size
            rows.append(_row("3.2", f"annual_{label}", year, a, b, annual, "families"))
        homeless = h.is_in(HOMELESS) & (h.start <= b) & (h.end + 1 >= a)
        total = np.unique(h.fid[homeless]).size
        rows.append(_row("3.2", "annual_homeless", year, a, b, total, "families"))
    return rows


def _first_time(h: _History, months: int) -> list[dict]:
    """SPM 5: families entering homelessness in the year, and those with no homeless stay (5.1), or
    no homeless or assisted-housing stay (5.2), in the 24 months before their first entry of the year.

    Only years whose first month is at least 24 are reported: earlier entries' lookback reaches into
    months the history does not hold.
    """
    homeless = h.is_in(HOMELESS)
    entry = homeless & ~h.prev_in(HOMELESS)
    rows = []
    for measure, states in (("5.1", HOMELESS), ("5.2", (*HOMELESS, *ASSISTED))):
        prior = np.flatnonzero(h.is_in(states))
        for year, a, b in _years(months):
            if a < FIRST_TIME_LOOKBACK_MONTHS:
                for stat, unit in (
                    ("families_entering", "families"),
                    ("first_time", "families"),
                    ("share_first_time", "share"),
                ):
                    rows.append(_row(measure, stat, year, a, b, None, unit))
                continue
            in_year = np.flatnonzero(entry & (h.start >= a) & (h.start <= b))
            # Each family's first entry of the year.
            _, first = np.unique(h.fid[in_year], return_index=True)
            idx = in_year[first]
            # The family's latest earlier spell in the lookback states (rows are in time order).
            k = np.searchsorted(prior, idx, side="left") - 1
            before = prior[np.maximum(k, 0)] if prior.size else np.zeros_like(idx)
            has_prior = (k >= 0) & (prior.size > 0) & (h.fid[before] == h.fid[idx])
            recent = has_prior & (h.end[before] + 1 >= h.start[idx] - FIRST_TIME_LOOKBACK_MONTHS)
            n, first_time = idx.size, int((~recent).sum())
            rows += [
                _row(measure, "families_entering", year, a, b, n, "families"),
                _row(measure, "first_time", year, a, b, first_time, "families"),
                _row(
                    measure, "share_first_time", year, a, b, first_time / n if n else None, "share"
                ),
            ]
    return rows


def spm_measures(
    housing: pd.DataFrame, months: int, *, pit_month_of_year: int = YEAR_MONTHS - 1
) -> pd.DataFrame:
    """HUD System Performance Measure-style figures from a housing history (``docs/spm.md``).

    Args:
        housing: the housing-history table of one run (``RunResult.housing``, ``housing.parquet``).
        months: the run's recorded months (``manifest.json``: ``months_recorded``).
        pit_month_of_year: the month of each reporting year (0-11) whose month-end is the
            point-in-time count; default 11, the year's last month.

    Returns:
        One row per figure, columns :data:`SPM_COLUMNS`: ``measure`` (``1a``, ``1b``, ``2``, ``3.1``,
        ``3.2``, ``5.1``, ``5.2``), ``statistic``, ``year`` (None for SPM 2, pooled over the run),
        ``first_month``/``last_month`` (the months it covers; for SPM 2 the first and last exit
        counted), ``route`` (SPM 2: the route of the exit, or ``all``), ``value`` (NaN: not defined,
        e.g. no exits followed long enough), ``unit``.
    """
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if not 0 <= pit_month_of_year < YEAR_MONTHS:
        raise ValueError(f"pit_month_of_year must be 0-11, got {pit_month_of_year}")
    h = _History(housing)
    rows = [
        *_length_of_time(h, months, SHELTERED, "1a"),
        *_length_of_time(h, months, HOMELESS, "1b"),
        *_returns(h, months),
        *_counts(h, months, pit_month_of_year),
        *_first_time(h, months),
    ]
    out = pd.DataFrame(rows, columns=list(SPM_COLUMNS))
    out["year"] = out["year"].astype("Int64")
    return out


def write_spm_files(measures: pd.DataFrame, folder: str | Path, about: dict) -> list[Path]:
    """Write ``spm.csv`` (the tidy table) and ``spm.json`` (``about`` plus the rows) into ``folder``,
    each atomically; nothing else in the folder is touched. Returns the two paths."""
    from .files import atomic_path
    from .outputs import write_json_atomic

    folder = Path(folder)
    csv = folder / "spm.csv"
    with atomic_path(csv) as tmp:
        measures.to_csv(tmp, index=False)
    records = measures.astype(object).where(measures.notna(), None).to_dict(orient="records")
    js = write_json_atomic(
        {**about, "columns": list(SPM_COLUMNS), "rows": records}, folder / "spm.json"
    )
    return [js, csv]
