"""Which code made a result: version, git revision, and a hash of the source when git cannot say.

A wheel installed from PyPI or a folder has no git history; its runs must still record (and their run
ids must still change with) the code that made them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import sysmodel
from sysmodel import identity
from sysmodel.runner import code_revision, run_scenario

PACKAGE = Path(sysmodel.__file__).resolve().parent


def copy_outside_git(tmp_path: Path) -> Path:
    """A copy of the package's source in a folder no git repository contains (like site-packages)."""
    root = tmp_path / "site"
    shutil.copytree(PACKAGE, root / "sysmodel", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def revision_in(root: Path) -> str:
    code = "from sysmodel.runner import code_revision; print(code_revision())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return done.stdout.strip()


def test_code_revision_without_git_is_the_version_and_a_source_hash(tmp_path):
    root = copy_outside_git(tmp_path)
    rev = revision_in(root)
    assert rev != "unknown"
    assert rev.startswith(f"{sysmodel.__version__}+sha256:"), rev
    # A change to the source (not to the version) gives another revision, so run ids change too.
    with (root / "sysmodel" / "streams.py").open("a") as f:
        f.write("\n# a local change\n")
    assert revision_in(root) != rev


def test_source_hash_covers_every_py_file_in_sorted_relative_order():
    h = hashlib.sha256()
    for rel in sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")):
        h.update(rel.encode() + b"\0" + (PACKAGE / rel).read_bytes() + b"\0")
    assert identity.source_sha256() == h.hexdigest()


def test_code_revision_in_a_git_checkout_is_the_commit():
    rev = code_revision()
    git = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PACKAGE, capture_output=True, text=True)
    if git.returncode == 0:  # the tests normally run from a checkout
        assert rev.split("+")[0] == git.stdout.strip()


def test_manifest_records_version_and_source_hash():
    manifest = run_scenario(seed=0, families=200, months=2).manifest
    assert manifest["code_version"] == sysmodel.__version__
    assert manifest["source_sha256"] == identity.source_sha256()
    assert manifest["code_revision"] == code_revision()
