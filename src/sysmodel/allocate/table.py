"""The household table: one row per household, read, checked and turned into arrays once.

A table holds, for every household, the intervention it actually got, its predicted probability of an
adverse outcome under each intervention, eligibility flags and 0/1 group flags. :class:`TableLayout`
names the columns; :data:`KUBE_LAYOUT` is the layout of the public counterfactual table released with
Kube, Das & Fowler (2023, JAMIA). Every problem becomes an :class:`AllocationError` naming the file, the
column, the value and what is allowed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "AllocationError",
    "TableLayout",
    "KUBE_LAYOUT",
    "HouseholdTable",
    "read_table",
    "MAX_INTERVENTIONS",
]

# The feasibility check of the rules (rules.py) walks every subset of interventions: 2**12 is plenty.
MAX_INTERVENTIONS = 12
# A table may list at most this many problems of one kind in an error message.
_SHOWN = 3


class AllocationError(ValueError):
    """A household table, layout or capacity that cannot be used; the message says why and what is allowed."""


@dataclass(frozen=True)
class TableLayout:
    """Which columns of a household table hold what.

    Attributes:
        interventions: intervention name -> column of its predicted probability of the adverse outcome,
            **ordered from least to most intensive** (``highest_risk_first`` hands out the most intensive
            first). An empty cell means the intervention was not an option for that household.
        original: column of the intervention each household actually got.
        codes: code in ``original`` -> intervention name; empty when ``original`` holds the names.
        eligible: intervention name -> 0/1 column; the intervention is an option only where it is 1
            (and its probability is not empty).
        groups: 0/1 columns to report outcomes by (both values of each).
        outcome: optional 0/1 column of the observed outcome (reported beside the prediction).
        baseline: the default option whose predicted risk ranks households (``highest_risk_first``)
            and from which benefits are measured; ``None``: the least intensive intervention that
            every household can get.
    """

    interventions: dict[str, str]
    original: str = "Original"
    codes: dict[int, str] = field(default_factory=dict)
    eligible: dict[str, str] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    outcome: str | None = None
    baseline: str | None = None

    def describe(self) -> dict:
        """The layout as plain JSON-ready values (for the manifest)."""
        return {
            "interventions_least_to_most_intensive": dict(self.interventions),
            "original": self.original,
            "codes": {str(k): v for k, v in self.codes.items()},
            "eligible": dict(self.eligible),
            "groups": list(self.groups),
            "outcome": self.outcome,
            "baseline": self.baseline,
        }


# The public counterfactual table of Kube, Das & Fowler (2023): Original coded 1 emergency shelter,
# 3 transitional housing, 4 rapid re-housing, 5 prevention; Outcome 1 if the household needed homeless
# services again within two years. Intensity order: prevention (a one-off payment to stay housed), then
# emergency shelter, rapid re-housing (a time-limited subsidy) and transitional housing (up to two years
# of housing with services), the usual ordering in homeless services.
KUBE_LAYOUT = TableLayout(
    interventions={"Prev": "Prev", "ES": "ES", "RRH": "RRH", "TH": "TH"},
    original="Original",
    codes={1: "ES", 3: "TH", 4: "RRH", 5: "Prev"},
    eligible={"Prev": "PrevEligible"},
    groups=("Family", "Comorbidity"),
    outcome="Outcome",
)

# Which option maps each part of the layout (named in errors, so a user knows what to type).
_OPTION = {
    "interventions": "--intervention NAME=COLUMN",
    "original": "--original-col COLUMN",
    "eligible": "--eligible NAME=COLUMN",
    "groups": "--group COLUMN",
    "outcome": "--outcome-col COLUMN",
}


@dataclass(frozen=True)
class HouseholdTable:
    """A checked household table as arrays; interventions are indices into ``names``.

    Attributes:
        source: the file name (or ``"table"``), for messages.
        names: intervention names, least to most intensive.
        household: each household's id (the table's row index).
        probability: (households, interventions) predicted probabilities; NaN where not an option.
        eligible: (households, interventions) True where the intervention is an option.
        original: the index of the intervention each household got.
        groups: the 0/1 group flags, one column each.
        outcome: the observed 0/1 outcome, or None.
        baseline: the index of the baseline intervention.
        layout: the layout the table was read with.
    """

    source: str
    names: tuple[str, ...]
    household: pd.Index
    probability: np.ndarray
    eligible: np.ndarray
    original: np.ndarray
    groups: pd.DataFrame
    outcome: np.ndarray | None
    baseline: int
    layout: TableLayout

    @property
    def n(self) -> int:
        """Number of households."""
        return len(self.original)

    def observed_counts(self) -> dict[str, int]:
        """How many households got each intervention."""
        counts = np.bincount(self.original, minlength=len(self.names))
        return {name: int(c) for name, c in zip(self.names, counts, strict=True)}

    def risk(self) -> np.ndarray:
        """Each household's predicted probability under the baseline intervention."""
        return self.probability[:, self.baseline]


def read_table(
    table: str | Path | pd.DataFrame, layout: TableLayout = KUBE_LAYOUT
) -> HouseholdTable:
    """Read and check a household table (a CSV path or a DataFrame) laid out as ``layout``.

    A CSV whose first column has no header (pandas' own ``to_csv`` writes one) is taken as the row
    index, which becomes each household's id; otherwise households are numbered from 0.
    """
    if isinstance(table, pd.DataFrame):
        source, df = "table", table
    else:
        source, df = str(table), _read_csv(Path(table))
    _check_layout(layout, source)
    if len(df) == 0:
        raise AllocationError(f"{source}: has no rows; it needs one row per household.")
    _require_columns(df, layout, source)

    names = tuple(layout.interventions)
    probability = np.column_stack(
        [_probabilities(df, layout.interventions[name], source) for name in names]
    )
    eligible = ~np.isnan(probability)
    for name, column in layout.eligible.items():
        flag = _flag(df, column, source, f"whether {name} is an option")
        eligible[:, names.index(name)] &= flag == 1
    original = _original(df, layout, names, source)
    _check_original_is_an_option(df, names, probability, eligible, original, layout, source)
    groups = pd.DataFrame(
        {g: _flag(df, g, source, "a group flag") for g in layout.groups}, index=df.index
    )
    outcome = (
        _flag(df, layout.outcome, source, "the observed outcome")
        if layout.outcome and layout.outcome in df.columns
        else None
    )
    return HouseholdTable(
        source=source,
        names=names,
        household=df.index,
        probability=probability,
        eligible=eligible,
        original=original,
        groups=groups.reset_index(drop=True),
        outcome=outcome,
        baseline=_baseline(layout, names, eligible, source),
        layout=layout,
    )


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise AllocationError(f"{path}: {what}; give the household table as a CSV file.")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AllocationError(
            f"{path}: cannot be read as a CSV table ({reason}); it needs a header row and one row "
            "per household."
        ) from None
    first = str(df.columns[0]) if len(df.columns) else ""
    # The unnamed first column of a table written with its row index (as the public table is).
    if first.startswith("Unnamed: 0"):
        df = df.set_index(df.columns[0])
        df.index.name = "household"
    return df


def _check_layout(layout: TableLayout, source: str) -> None:
    names = list(layout.interventions)
    if len(names) < 2:
        raise AllocationError(
            f"{source}: the layout names {len(names)} intervention(s) ({', '.join(names) or 'none'}); "
            "allocation needs at least two (--intervention NAME=COLUMN, once per intervention)."
        )
    if len(names) > MAX_INTERVENTIONS:
        raise AllocationError(
            f"{source}: the layout names {len(names)} interventions; at most {MAX_INTERVENTIONS} are "
            "allowed."
        )
    for kind, mapping in (("--eligible", layout.eligible), ("--code", layout.codes)):
        targets = mapping.keys() if kind == "--eligible" else mapping.values()
        for name in targets:
            if name not in layout.interventions:
                raise AllocationError(
                    f"{source}: {kind} names the intervention {name!r}, which the layout does not "
                    f"have{_nearest(str(name), names)}; interventions: {', '.join(names)}."
                )
    if layout.baseline is not None and layout.baseline not in layout.interventions:
        raise AllocationError(
            f"{source}: --baseline {layout.baseline!r} is not an intervention of the layout"
            f"{_nearest(layout.baseline, names)}; interventions: {', '.join(names)}."
        )


def _nearest(name: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(name, [str(c) for c in choices], n=1, cutoff=0.5)
    return f" (did you mean {near[0]!r}?)" if near else ""


def _require_columns(df: pd.DataFrame, layout: TableLayout, source: str) -> None:
    wanted = [
        *(
            (col, f"the predicted probability under {name}", "interventions")
            for name, col in layout.interventions.items()
        ),
        (layout.original, "the intervention each household got", "original"),
        *(
            (col, f"whether {name} is an option", "eligible")
            for name, col in layout.eligible.items()
        ),
        *((col, "a group flag", "groups") for col in layout.groups),
    ]
    columns = [str(c) for c in df.columns]
    for column, meaning, part in wanted:
        if column not in df.columns:
            raise AllocationError(
                f"{source}: has no column {column!r} ({meaning}){_nearest(column, columns)}. "
                f"Columns: {', '.join(columns[:12])}{' ...' if len(columns) > 12 else ''}. Name the "
                f"table's own column with {_OPTION[part]}."
            )


def _rows(df: pd.DataFrame, bad: np.ndarray) -> str:
    """``row 4 (household 'a')`` for the first few bad rows, and how many more."""
    where = np.flatnonzero(bad)
    shown = [f"row {i + 1} (household {df.index[i]!r})" for i in where[:_SHOWN]]
    more = f" and {len(where) - _SHOWN} more" if len(where) > _SHOWN else ""
    return ", ".join(shown) + more


def _values(values: pd.Series, bad: np.ndarray) -> str:
    return ", ".join(repr(v) for v in values[bad].head(_SHOWN).tolist())


def _probabilities(df: pd.DataFrame, column: str, source: str) -> np.ndarray:
    raw = df[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    # Empty cells are allowed (not an option); text, infinities and numbers outside [0, 1] are not.
    text = np.isnan(numbers) & raw.notna().to_numpy()
    with np.errstate(invalid="ignore"):
        outside = (numbers < 0) | (numbers > 1)
    bad = text | outside
    if bad.any():
        raise AllocationError(
            f"{source}: column {column!r} holds {_values(raw, bad)} at {_rows(df, bad)}; allowed: a "
            "predicted probability from 0 to 1, or an empty cell where that intervention was not an "
            "option."
        )
    return numbers


def _flag(df: pd.DataFrame, column: str, source: str, meaning: str) -> np.ndarray:
    raw = df[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(numbers, (0.0, 1.0))
    if bad.any():
        raise AllocationError(
            f"{source}: column {column!r} ({meaning}) holds {_values(raw, bad)} at {_rows(df, bad)}; "
            "allowed: 0 or 1."
        )
    return numbers.astype(np.int8)


def _original(
    df: pd.DataFrame, layout: TableLayout, names: tuple[str, ...], source: str
) -> np.ndarray:
    raw = df[layout.original]
    if layout.codes:
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        lookup = {float(code): names.index(name) for code, name in layout.codes.items()}
        allowed = ", ".join(f"{code} ({name})" for code, name in layout.codes.items())
        how = "map other codes with --code CODE=NAME"
    else:
        numbers = raw.astype(str).to_numpy()
        lookup = {name: i for i, name in enumerate(names)}
        allowed = ", ".join(names)
        how = "or give --code CODE=NAME when the column holds codes"
    index = np.array([lookup.get(v, -1) for v in numbers], dtype=np.int64)
    bad = index < 0
    if bad.any():
        raise AllocationError(
            f"{source}: column {layout.original!r} (the intervention each household got) holds "
            f"{_values(raw, bad)} at {_rows(df, bad)}; allowed: {allowed} ({how})."
        )
    return index


def _check_original_is_an_option(
    df, names, probability, eligible, original, layout, source
) -> None:
    """The observed assignment must be one the rules could make: its probability given, and eligible."""
    rows = np.arange(len(original))
    missing = np.isnan(probability[rows, original])
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        name = names[original[i]]
        raise AllocationError(
            f"{source}: {_rows(df, missing)} got {name} but column {layout.interventions[name]!r} "
            f"is empty there; the predicted probability under the intervention a household got is "
            "needed (it is the reference every rule is compared with)."
        )
    ineligible = ~eligible[rows, original]
    if ineligible.any():
        i = int(np.flatnonzero(ineligible)[0])
        name = names[original[i]]
        raise AllocationError(
            f"{source}: {_rows(df, ineligible)} got {name} but column "
            f"{layout.eligible[name]!r} is 0 there; allowed: 1 wherever a household got {name} "
            "(the observed assignment must be one the rules could make)."
        )


def _baseline(
    layout: TableLayout, names: tuple[str, ...], eligible: np.ndarray, source: str
) -> int:
    everyone = eligible.all(axis=0)
    if layout.baseline is not None:
        j = names.index(layout.baseline)
        if not everyone[j]:
            raise AllocationError(
                f"{source}: --baseline {layout.baseline} is not an option for "
                f"{int((~eligible[:, j]).sum()):,} household(s); the baseline must be open to every "
                f"household (open to all: {', '.join(np.array(names)[everyone]) or 'none'})."
            )
        return j
    if not everyone.any():
        raise AllocationError(
            f"{source}: no intervention is an option for every household, so there is no baseline "
            "to measure risk and benefit from; the baseline needs a probability (and eligibility) "
            "for every household."
        )
    return int(np.flatnonzero(everyone)[0])  # the least intensive one open to all
