"""Helpers shared by the reproducibility, common-random-numbers, scenario and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sysmodel.params import Params, ParamSpec, param_specs
from sysmodel.streams import Streams

if TYPE_CHECKING:
    from sysmodel.model import SystemModel

SPECS: dict[str, ParamSpec] = {s.path: s for s in param_specs()}


def spec(path: str) -> ParamSpec:
    """The schema entry of a dotted parameter path."""
    return SPECS[path]


def allowed_range(path: str) -> str:
    """The words a validation message uses for a parameter's bounds (read from the schema, not hard-coded)."""
    s = spec(path)
    return f"allowed range {s.lo} to {s.hi}"


def default(path: str) -> Any:
    """A parameter's current default, read from ``Params()`` (calibration may move defaults)."""
    return Params().flat()[path]


def shifted(path: str) -> float:
    """A valid value far from the default: near the top of the range if the default is low, else near the bottom."""
    s = spec(path)
    assert s.lo is not None and s.hi is not None
    lo, hi, d = float(s.lo), float(s.hi), float(default(path))
    value = lo + 0.9 * (hi - lo) if d < lo + 0.5 * (hi - lo) else lo + 0.1 * (hi - lo)
    return round(value, 6)


class RecordingStreams(Streams):
    """Named streams that remember every array they hand out, in order.

    ``records`` holds ``((kind, process, month, draw), array)`` for each ``uniform``/``normal`` call;
    ``keys`` holds every ``generator`` key, including the direct calls the population synthesis makes.
    """

    def __init__(self, seed: int, n_rows: int):
        super().__init__(seed, n_rows)
        self.records: list[tuple[tuple[str, str, int, str], np.ndarray]] = []
        self.keys: list[tuple[str, int, str]] = []

    @classmethod
    def install(cls, model: SystemModel) -> RecordingStreams:
        """Replace ``model.streams`` by an equivalent recording instance and return it."""
        rec = cls(model.streams.seed, model.streams.n_rows)
        model.streams = rec
        return rec

    def generator(self, process: str, month: int, draw: str) -> np.random.Generator:
        self.keys.append((process, month, draw))
        return super().generator(process, month, draw)

    def uniform(self, process: str, month: int, draw: str) -> np.ndarray:
        out = super().uniform(process, month, draw)
        self.records.append((("uniform", process, month, draw), out.copy()))
        return out

    def normal(self, process: str, month: int, draw: str) -> np.ndarray:
        out = super().normal(process, month, draw)
        self.records.append((("normal", process, month, draw), out.copy()))
        return out

    def drawn_by(self, process: str) -> list[tuple[tuple[str, str, int, str], np.ndarray]]:
        """Every (key, array) drawn from ``process``'s stream, in call order."""
        return [(key, arr) for key, arr in self.records if key[1] == process]


def assert_same_draws(a: RecordingStreams, b: RecordingStreams, process: str) -> int:
    """Assert every draw ``process`` made under the same key in both runs is identical; return how many.

    A process may skip a draw nobody needs (e.g. the benefit-cliff decision when no gain would lower
    net resources), so the sets of keys may differ where the data differ; the claim of common random
    numbers is that a key's values never depend on anything but the key. Nearly all keys must be
    shared, so the comparison is not empty.
    """
    da, db = dict(a.drawn_by(process)), dict(b.drawn_by(process))
    shared = sorted(set(da) & set(db), key=str)
    assert len(shared) >= 0.9 * max(len(da), len(db)), f"{process} made mostly different draws"
    for key in shared:
        assert np.array_equal(da[key], db[key]), f"{process} draw {key} differs"
    return len(shared)


@dataclass(frozen=True)
class BadScenario:
    """A scenario file that must be refused, and words its error message must contain."""

    id: str
    text: str
    expect: tuple[str, ...]


_FIND = "economy.p_job_find_per_month"
_FIND_HI = spec(_FIND).hi
_TOO_HIGH = f"{float(_FIND_HI) + 0.5}"

BAD_SCENARIOS: tuple[BadScenario, ...] = (
    BadScenario(
        "unknown_key_suggests_nearest",
        "name: t\nparameters:\n  economy:\n    p_job_find_per_mnth: 0.3\n",
        ("economy.p_job_find_per_mnth", "Did you mean 'economy.p_job_find_per_month'?"),
    ),
    BadScenario(
        "unknown_key_lists_valid_keys",
        "name: t\nparameters:\n  economy:\n    qqqq: 0.3\n",
        ("economy.qqqq", "Valid keys here:", "p_job_find_per_month"),
    ),
    BadScenario(
        "unknown_section_suggests_nearest",
        "name: t\nparameters:\n  econmy:\n    p_job_find_per_month: 0.3\n",
        ("econmy", "Did you mean 'economy'?"),
    ),
    BadScenario(
        "unknown_section_lists_sections",
        "name: t\nparameters:\n  zzzz:\n    a: 1\n",
        ("zzzz", "Sections are:", "economy", "housing"),
    ),
    BadScenario(
        "string_for_a_number",
        "name: t\nparameters:\n  economy:\n    p_job_find_per_month: lots\n",
        (_FIND, "'lots'", "valid number", allowed_range(_FIND), f"unit: {spec(_FIND).unit}"),
    ),
    BadScenario(
        "value_above_bound",
        f"name: t\nparameters:\n  economy:\n    p_job_find_per_month: {_TOO_HIGH}\n",
        (_FIND, _TOO_HIGH, allowed_range(_FIND), f"unit: {spec(_FIND).unit}"),
    ),
    BadScenario(
        "fraction_for_an_integer",
        "name: t\nparameters:\n  time:\n    months: 2.5\n",
        ("time.months", "2.5", "integer", allowed_range("time.months")),
    ),
    BadScenario(
        "malformed_yaml_tab_indent",
        "name: t\nparameters:\n  economy:\n\tp_job_find_per_month: 0.3\n",
        ("malformed YAML", "line 4, column 1"),
    ),
    BadScenario(
        "malformed_yaml_bad_indent",
        "name: t\nparameters:\n  economy:\n    p_job_find_per_month: 0.3\n   p_x: 1\n",
        ("malformed YAML", "line 5, column 4"),
    ),
    BadScenario(
        "top_level_typo",
        "name: t\nparamters:\n  economy:\n    p_job_find_per_month: 0.3\n",
        ("top-level key 'paramters'", "Did you mean 'parameters'?"),
    ),
    BadScenario(
        "top_level_section_without_parameters",
        "name: t\neconomy:\n  p_job_find_per_month: 0.3\n",
        ("top-level key 'economy'", "parameters:"),
    ),
    BadScenario(
        "document_is_a_list",
        "- name\n- parameters\n",
        ("mapping", "name, description, parameters", "list"),
    ),
    BadScenario(
        "parameters_is_a_list",
        "name: t\nparameters: [1, 2]\n",
        ("'parameters'", "mapping", "list"),
    ),
    BadScenario(
        "section_is_a_number",
        "name: t\nparameters:\n  economy: 3\n",
        ("section 'economy'", "mapping", "3"),
    ),
    BadScenario(
        "name_is_not_text",
        "name: [a, b]\n",
        ("'name'", "non-empty string", "['a', 'b']"),
    ),
    BadScenario(
        "p_children_not_summing_to_1",
        "name: t\nparameters:\n  population:\n    p_children: [0.5, 0.5, 0.5, 0.0, 0.0]\n",
        ("population.p_children", "sum to 1", "1.5"),
    ),
    BadScenario(
        "p_children_wrong_length",
        "name: t\nparameters:\n  population:\n    p_children: [0.5, 0.5]\n",
        ("population.p_children", "5 non-negative probabilities"),
    ),
    BadScenario(
        "group_shares_not_summing_to_1",
        "name: t\nparameters:\n  population:\n    groups:\n"
        "      - {name: a, share: 0.5}\n      - {name: b, share: 0.4}\n",
        ("population.groups", "sum to 1", "0.9"),
    ),
    BadScenario(
        "group_names_not_unique",
        "name: t\nparameters:\n  population:\n    groups:\n"
        "      - {name: a, share: 0.5}\n      - {name: a, share: 0.5}\n",
        ("population.groups", "unique"),
    ),
)


# The files every run folder holds (a run writes these and nothing else).
OUTPUT_FILES = (
    "monthly.parquet",
    "families.parquet",
    "spells.parquet",
    "housing.parquet",
    "summary.json",
    "manifest.json",
)
