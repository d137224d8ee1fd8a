"""The scenario files that ship with sysmodel: list them, find one by name, copy them.

The files live in the repository's top-level ``scenarios/`` folder (the one copy), which pyproject.toml
installs as the data-only package ``sysmodel.scenarios``, so a pip-installed user has them too
(``sysmodel scenarios`` lists them, ``sysmodel scenarios --copy DEST`` copies them to edit). An editable
install or a checkout has no ``sysmodel/scenarios`` folder (setuptools' editable finder cannot map a
package without ``__init__.py``), so there the files are read from the checkout's ``scenarios/``.
"""

from __future__ import annotations

import importlib.resources
import shutil
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

__all__ = ["ShippedScenario", "shipped_scenarios", "shipped_scenario_path", "copy_shipped"]

# Where an installed wheel puts the files, and where a checkout (or editable install) has them.
_INSTALLED = ("sysmodel", "scenarios")
_CHECKOUT = Path(__file__).resolve().parents[2] / "scenarios"


@dataclass(frozen=True)
class ShippedScenario:
    """One shipped scenario file: its name (the file's stem), file name and one-line description."""

    name: str
    file: str
    description: str


def _folder() -> Traversable:
    installed = importlib.resources.files(_INSTALLED[0]) / _INSTALLED[1]
    return installed if installed.is_dir() else _CHECKOUT


def _files() -> list[Traversable]:
    """The shipped scenario files and their README, sorted by name."""
    return sorted(
        (f for f in _folder().iterdir() if f.is_file() and f.name.endswith((".yaml", ".md"))),
        key=lambda f: f.name,
    )


def shipped_scenarios() -> list[ShippedScenario]:
    """Every shipped scenario, sorted by file name."""
    out = []
    for f in _files():
        if not f.name.endswith(".yaml"):
            continue
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        description = " ".join(str(doc.get("description") or "").split())
        out.append(
            ShippedScenario(name=f.name.removesuffix(".yaml"), file=f.name, description=description)
        )
    return out


def shipped_names() -> list[str]:
    """The names a command accepts in place of a scenario file (``baseline``, ...)."""
    return [s.name for s in shipped_scenarios()]


def shipped_scenario_path(name: str) -> Path | None:
    """The installed file of the shipped scenario ``name``, or None.

    ``name`` may be ``baseline``, ``baseline.yaml`` or ``scenarios/baseline.yaml``: the last is how the
    README and the help write it, which should also work where pip installed sysmodel without a checkout.
    """
    given = Path(name)
    if given.parent not in (Path("."), Path("scenarios")):
        return None  # a path to some other folder, not a shipped name
    stem = given.name.removesuffix(".yaml")
    if not stem:
        return None
    f = _folder() / f"{stem}.yaml"
    # Installed packages are plain folders (pip does not install zipped packages), so this is a path.
    return Path(str(f)) if f.is_file() else None


def copy_shipped(dest: str | Path, force: bool = False) -> list[Path]:
    """Copy the shipped scenario files (and their README) into ``dest``; return the files written.

    Raises FileExistsError naming the files that already exist unless ``force``; then nothing is copied.
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise NotADirectoryError(f"{dest}: exists and is not a folder")
    files = _files()
    clashes = [f.name for f in files if (dest / f.name).exists()]
    if clashes and not force:
        raise FileExistsError(", ".join(clashes))
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for f in files:
        with f.open("rb") as src, (dest / f.name).open("wb") as out:
            shutil.copyfileobj(src, out)
        written.append(dest / f.name)
    return written
