"""Scenario files: loading, validation and clear errors.

A scenario is a YAML file with a ``name``, a ``description`` and ``parameters``: a nested mapping of
overrides of the defaults in :mod:`sysmodel.params`, e.g.::

    name: baseline
    description: Status quo, siloed services.
    parameters:
      economy:
        p_job_find_per_month: 0.25

Every problem becomes a :class:`ScenarioError` whose message is one paragraph naming the file, the key,
the value given and what is allowed; the command line prints it instead of a traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
            set_dotted(nested, key, value)
        return Scenario(
            name=self.name,
            description=self.description,
            overrides=nested,
            path=self.path,
            params=resolve(
                nested, origin=origin if not self.path else f"{self.path} with {origin}"
            ),
        )


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


def _format_validation_error(err: ValidationError, origin: str) -> str:
    """Turn pydantic's error list into sentences a planner can act on."""
    lines = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        path = ".".join(loc)
        given = e.get("input")
        kind = e["type"]
        if kind == "extra_forbidden":
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
            lines.append(
                f"parameter '{path}' = {given!r} is not valid: {e['msg'].lower()}"
                + (f"; {allowed}" if allowed else "")
                + "."
            )
    return f"{origin}: " + " ".join(lines)


def resolve(overrides: dict[str, Any], origin: str = "scenario") -> Params:
    """Validate nested overrides against the schema; raise :class:`ScenarioError` on any problem."""
    if not isinstance(overrides, dict):
        raise ScenarioError(
            f"{origin}: 'parameters' must be a mapping of section names to overrides, got {type(overrides).__name__}."
        )
    _check_sections(overrides, origin)
    try:
        params = Params.model_validate(_merge(Params().model_dump(), overrides))
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
                f"{origin}: parameter '{path}' = {value!r} is not a registered name.{hint} "
                f"Registered: {', '.join(names)}."
            )
    for i, name in enumerate(params.schedule.processes):
        if not _is_registered("schedule.processes", name):
            names = _registered("schedule.processes")
            near = difflib.get_close_matches(str(name), names, n=1, cutoff=0.5)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            raise ScenarioError(
                f"{origin}: parameter 'schedule.processes' item {i} = {name!r} is not a registered "
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
                f"{origin}: section '{key}' must be a mapping of parameter names to values, got {value!r}."
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
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{p}: malformed YAML{where}: {problem}.") from None
    if doc is None:
        doc = {}
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
        raise ScenarioError(f"{p}: 'name' must be a non-empty string, got {name!r}.")
    description = doc.get("description", "") or ""
    if not isinstance(description, str):
        raise ScenarioError(f"{p}: 'description' must be text, got {description!r}.")
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
            f"--set {item!r}: expected KEY=VALUE, e.g. --set economy.p_job_find_per_month=0.3."
        )
    key, raw = item.split("=", 1)
    key = key.strip()
    if field_info(key) is None:
        near = difflib.get_close_matches(key, _all_paths(), n=1, cutoff=0.6)
        hint = f" Did you mean '{near[0]}'?" if near else " See `sysmodel params` for every key."
        raise ScenarioError(f"--set {item!r}: unknown parameter '{key}'.{hint}")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return key, value
