"""Scenario files: loading, validation and clear errors.

A scenario is a YAML file with a ``name``, a ``description`` and ``parameters``: a nested mapping of
overrides of the defaults in :mod:`sysmodel.params`, e.g.::

    name: baseline
    description: Status quo, siloed services.
    parameters:
      economy:
        p_job_find_per_month: 0.25

Values are taken as written: ``true`` is not the number 1, ``'0.3'`` is not 0.3, a key given twice
is an error rather than the last one winning, and ``1e6`` is a number (YAML 1.2). A file that is
empty, or whose aliases expand past :data:`MAX_YAML_VALUES` values, is refused before it is built.

Every problem becomes a :class:`ScenarioError` whose message is one paragraph naming the file, the key,
the value given and what is allowed; the command line prints it instead of a traceback.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from .params import (
    NAMED_CHOICES,
    SERVICE_SCHEDULE,
    Params,
    field_info,
    param_specs,
    registered_names,
    set_dotted,
)

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_set_option"]

_TOP_KEYS = ("name", "description", "parameters")

# The most values a scenario document may expand to. The largest shipped scenario holds a few hundred;
# a YAML "alias bomb" of a few hundred bytes expands to billions, and building or quoting it would
# take gigabytes, so such a document is refused before anything is built from it.
MAX_YAML_VALUES = 100_000
# An error message lists at most this many problems (a list of thousands of bad items would
# otherwise give a message of thousands of sentences).
MAX_PROBLEMS = 10


class ScenarioError(ValueError):
    """A scenario file or override that cannot be used; the message says why and what is allowed."""


@dataclass
class Scenario:
    """A named set of parameter overrides, resolved against the defaults."""

    name: str
    description: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)  # nested, as written in the file
    path: str | None = None
    params: Params = field(default_factory=Params)

    def with_overrides(self, dotted: dict[str, Any], origin: str = "--set") -> Scenario:
        """A copy with extra dotted-key overrides (from ``--set``) applied and validated."""
        nested = _deep_copy(self.overrides)
        for key, value in dotted.items():
            set_dotted(nested, key, _plain(value))
        return Scenario(
            name=self.name,
            description=self.description,
            overrides=nested,
            path=self.path,
            params=resolve(
                nested, origin=origin if not self.path else f"{self.path} with {origin}"
            ),
        )


class _Refused(Exception):
    """A YAML document that is not built at all; the caller puts the file (or --set) in front."""


class _ScenarioLoader(yaml.SafeLoader):
    """PyYAML's safe loader, minus two YAML 1.1 habits that silently change what a planner wrote.

    A key given twice in one mapping is an error (YAML 1.1 keeps the last one without a word), and
    numbers with an exponent but no dot, such as ``1e6``, are floats as in YAML 1.2 (PyYAML reads
    them as text, which strict validation would then refuse).
    """

    def compose_mapping_node(self, anchor: str | None) -> yaml.MappingNode:
        # Checked on the composed node, before merge keys ('<<: *x') are flattened into it: the
        # keys a merge brings in may legitimately be repeated explicitly.
        node = super().compose_mapping_node(anchor)
        lines: dict[tuple[str, str], int] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue
            line = key.start_mark.line + 1
            if (key.tag, key.value) in lines:
                first = lines[key.tag, key.value]
                where = f"lines {first} and {line}" if first != line else f"line {line}, twice"
                raise _Refused(
                    f"duplicate key {_short(key.value)} on {where}; YAML would silently keep only "
                    "the last one, so give each key once."
                )
            lines[key.tag, key.value] = line
        return node


_ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_: set[int]) -> int:
    """How many values ``node`` becomes once every alias is expanded (memoised by node identity)."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_:
        raise _Refused(
            "an alias ('*name') refers to a value that contains itself, so it would never end; "
            "write the values out instead."
        )
    open_.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    else:
        children = []
    size = 1 + sum(_expanded_size(child, sizes, open_) for child in children)
    open_.discard(id(node))
    sizes[id(node)] = size
    return size


def _load_yaml(text: str) -> Any:
    """One YAML document, or None if it is empty; raises ``_Refused`` or ``yaml.YAMLError``.

    The document is composed (aliases share nodes, so this is cheap even for an alias bomb), its
    expanded size is counted, and only then is it built into Python objects.
    """
    loader = _ScenarioLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {}, set())
        if size > MAX_YAML_VALUES:
            raise _Refused(
                f"the YAML expands to {size:,} values, more than the {MAX_YAML_VALUES:,} a scenario "
                "may hold (each alias '*name' counts everything its anchor '&name' holds). A scenario "
                "needs a few hundred values at most: write them out, or use fewer aliases."
            )
        return loader.construct_document(node)
    except RecursionError:
        raise _Refused(
            "values are nested too deeply; a scenario needs only a few levels."
        ) from None
    finally:
        loader.dispose()


_REPR = reprlib.Repr(maxlevel=3, maxlist=6, maxtuple=6, maxdict=4, maxstring=60, maxother=60)


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to about ``limit`` characters without ever building the whole repr."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(value: Any) -> Any:
    """Python's own types for numpy scalars and tuples, so strict validation accepts what code passes."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _deep_copy(d: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in d.items()}


def _all_paths() -> list[str]:
    return [s.path for s in param_specs()]


def _describe_allowed(path: str) -> str:
    info = field_info(path)
    if info is None:
        return ""
    extra = info.json_schema_extra or {}
    lo = hi = None
    for m in info.metadata:
        lo = getattr(m, "ge", lo)
        hi = getattr(m, "le", hi)
    unit = extra.get("unit", "")
    parts = []
    if lo is not None or hi is not None:
        parts.append(
            f"allowed range {lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"
        )
    if unit:
        parts.append(f"unit: {unit}")
    if info.description:
        parts.append(f"({info.description})")
    return "; ".join(parts)


# Parameters that have moved: old dotted path -> (new path, why), so an old scenario file is told where.
MOVED_KEYS: dict[str, tuple[str, str]] = {
    "screening.target_auc": (
        "targeting.target_auc",
        "one predicted-risk score serves screening and rationing; its AUC is now for shelter entry "
        "within 12 months",
    ),
}


def _format_validation_error(err: ValidationError, origin: str) -> str:
    """Turn pydantic's error list into sentences a planner can act on."""
    lines = []
    problems = err.errors()
    for e in problems[:MAX_PROBLEMS]:
        loc = [str(p) for p in e["loc"]]
        path = ".".join(loc)
        given = e.get("input")
        kind = e["type"]
        if kind == "extra_forbidden" and path in MOVED_KEYS:
            new_path, why = MOVED_KEYS[path]
            lines.append(f"parameter '{path}' has moved to '{new_path}' ({why}).")
        elif kind == "extra_forbidden":
            parent = ".".join(loc[:-1])
            candidates = (
                [p for p in _all_paths() if p.startswith(parent + ".")]
                if parent
                else [p.split(".")[0] for p in _all_paths()]
            )
            candidates = sorted(set(candidates))
            names = [c.split(".")[-1] if parent else c for c in candidates]
            near = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.5)
            hint = f" Did you mean '{(parent + '.') if parent else ''}{near[0]}'?" if near else ""
            if not near:
                hint = f" Valid keys here: {', '.join(names)}."
            lines.append(f"unknown parameter '{path}'.{hint}")
        elif kind == "value_error" and not loc:
            lines.append(e["msg"].removeprefix("Value error, "))
        else:
            allowed = _describe_allowed(path)
            msg = e["msg"].removeprefix("Value error, ")
            if isinstance(given, bool) and kind != "bool_type":
                # YAML 1.1 turns yes/no/on/off into booleans: say so, or 'yes' = True puzzles.
                msg += " (YAML reads true/false, yes/no and on/off as true or false)"
            lines.append(
                f"parameter '{path}' = {_short(given)} is not valid: {msg[:1].lower() + msg[1:]}"
                + (f"; {allowed}" if allowed else "")
                + "."
            )
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"(And {len(problems) - MAX_PROBLEMS:,} more problems like these.)")
    return f"{origin}: " + " ".join(lines)


def resolve(overrides: dict[str, Any], origin: str = "scenario") -> Params:
    """Validate nested overrides against the schema; raise :class:`ScenarioError` on any problem."""
    if not isinstance(overrides, dict):
        raise ScenarioError(
            f"{origin}: 'parameters' must be a mapping of section names to overrides, got {type(overrides).__name__}."
        )
    _check_sections(overrides, origin)
    try:
        # Strict: a scenario's true is not 1 and its '0.3' is not 0.3 (ints still count as floats).
        # Python code keeps passing numpy numbers: _plain turns them into Python's own.
        params = Params.model_validate(
            _merge(Params().model_dump(), _plain(overrides)), strict=True
        )
    except ValidationError as err:
        raise ScenarioError(_format_validation_error(err, origin)) from None
    _check_registered_names(params, origin)
    return params


# The names the built-in registries hold. A scenario that uses only these is validated without
# importing the registries, which would import the model (numpy, scipy, mesa) and make `sysmodel
# validate` slow; any other name is looked up in the registries themselves, so names that an extension
# registered still validate. tests/test_startup.py checks that this list matches the registries.
BUILTIN_NAMES: dict[str, tuple[str, ...]] = {
    "benefits.schedule": ("cliff", "flexible"),
    "services.model": ("siloed", "aligned"),
    "assistance.rationing": (
        "first_come_first_served",
        "lottery",
        "most_vulnerable_first",
        "highest_risk_first",
        "cost_effectiveness",
        "equity_weighted",
        "largest_predicted_benefit",
        "eviction_filed_first",
    ),
    "schedule.processes": tuple(SERVICE_SCHEDULE),
}


def _registered(path: str) -> list[str]:
    """Every name registered for ``path`` (imports the registry)."""
    if path == "schedule.processes":
        from .processes import PROCESSES  # imported here: registering processes imports the model

        return PROCESSES.names()
    return registered_names(path)


def _is_registered(path: str, name: object) -> bool:
    # Registries only grow (a name cannot be registered twice), so a built-in name is always valid.
    return name in BUILTIN_NAMES[path] or name in _registered(path)


def _check_registered_names(params: Params, origin: str) -> None:
    """Names that select registered classes (benefit schedule, processes) must be registered."""
    flat = params.flat()
    for path in NAMED_CHOICES:
        value = flat[path]
        if not _is_registered(path, value):
            names = _registered(path)
            near = difflib.get_close_matches(str(value), names, n=1, cutoff=0.5)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            raise ScenarioError(
                f"{origin}: parameter '{path}' = {_short(value)} is not a registered name.{hint} "
                f"Registered: {', '.join(names)}."
            )
    for i, name in enumerate(params.schedule.processes):
        if not _is_registered("schedule.processes", name):
            names = _registered("schedule.processes")
            near = difflib.get_close_matches(str(name), names, n=1, cutoff=0.5)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            raise ScenarioError(
                f"{origin}: parameter 'schedule.processes' item {i} = {_short(name)} is not a registered "
                f"process.{hint} Registered: {', '.join(names)}."
            )


def _check_sections(overrides: dict[str, Any], origin: str) -> None:
    sections = list(Params.model_fields)
    for key, value in overrides.items():
        if key not in sections:
            near = difflib.get_close_matches(str(key), sections, n=1, cutoff=0.5)
            hint = (
                f" Did you mean '{near[0]}'?" if near else f" Sections are: {', '.join(sections)}."
            )
            raise ScenarioError(f"{origin}: unknown parameter section '{key}'.{hint}")
        if not isinstance(value, dict):
            raise ScenarioError(
                f"{origin}: section '{key}' must be a mapping of parameter names to values, got {_short(value)}."
            )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Raises :class:`ScenarioError` with a clear message."""
    p = Path(path)
    if not p.exists():
        p = _shipped_or_fail(p)
    if p.is_dir():
        raise ScenarioError(f"{p}: is a folder, not a scenario file (give a .yaml file).")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{p}: cannot be read ({exc}).") from None
    try:
        doc = _load_yaml(text)
    except _Refused as exc:
        raise ScenarioError(f"{p}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{p}: malformed YAML{where}: {problem}.") from None
    if doc is None:
        raise ScenarioError(
            f"{p}: the file is empty. A scenario is a mapping with a 'name' and 'parameters' (the "
            "overrides of the defaults), e.g. 'name: my_plan' with 'parameters: {economy: "
            "{p_job_find_per_month: 0.3}}'. To run the defaults on purpose, write a name and "
            "'parameters: {}'."
        )
    if not isinstance(doc, dict):
        raise ScenarioError(
            f"{p}: a scenario must be a mapping with keys {', '.join(_TOP_KEYS)}; got a {type(doc).__name__}."
        )
    for key in doc:
        if key not in _TOP_KEYS:
            near = difflib.get_close_matches(str(key), _TOP_KEYS, n=1, cutoff=0.5)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            raise ScenarioError(
                f"{p}: unknown top-level key '{key}'.{hint} A scenario has only {', '.join(_TOP_KEYS)}; "
                "parameter overrides go under 'parameters:'."
            )
    name = doc.get("name", p.stem)
    if not isinstance(name, str) or not name.strip():
        raise ScenarioError(f"{p}: 'name' must be a non-empty string, got {_short(name)}.")
    description = doc.get("description", "") or ""
    if not isinstance(description, str):
        raise ScenarioError(f"{p}: 'description' must be text, got {_short(description)}.")
    overrides = doc.get("parameters") or {}
    params = resolve(overrides, origin=str(p))
    return Scenario(
        name=name, description=description.strip(), overrides=overrides, path=str(p), params=params
    )


def _shipped_or_fail(p: Path) -> Path:
    """The shipped scenario named ``p`` (``baseline`` or ``baseline.yaml``), when no such file exists."""
    from .shipped import shipped_names, shipped_scenario_path

    found = shipped_scenario_path(str(p))
    if found is not None:
        return found
    names = shipped_names()
    near = difflib.get_close_matches(p.name.removesuffix(".yaml"), names, n=1, cutoff=0.6)
    hint = f" Did you mean '{near[0]}'?" if near else ""
    raise ScenarioError(
        f"{p}: no such scenario file, and no shipped scenario of that name.{hint} Shipped scenarios "
        f"(usable by name, e.g. `sysmodel run baseline`): {', '.join(names)}. `sysmodel scenarios` "
        "lists them and `sysmodel scenarios --copy DEST` copies them to edit."
    )


def parse_set_option(item: str) -> tuple[str, Any]:
    """Parse one ``--set key=value`` (value read as YAML, so ``0.3``, ``true`` and ``[1, 2]`` work)."""
    if "=" not in item:
        raise ScenarioError(
            f"--set {_short(item)}: expected KEY=VALUE, e.g. --set economy.p_job_find_per_month=0.3."
        )
    key, raw = item.split("=", 1)
    key = key.strip()
    if field_info(key) is None:
        near = difflib.get_close_matches(key, _all_paths(), n=1, cutoff=0.6)
        hint = f" Did you mean '{near[0]}'?" if near else " See `sysmodel params` for every key."
        raise ScenarioError(f"--set {_short(item)}: unknown parameter '{key}'.{hint}")
    try:
        value = _load_yaml(raw)
    except _Refused as exc:
        raise ScenarioError(f"--set {key}: {exc}") from None
    except yaml.YAMLError:
        value = raw
    return key, value
