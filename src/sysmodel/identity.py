"""Which code produced a result: the package version, the git revision and a hash of the source.

Run ids and manifests name the code so that a results store never reuses a run made by other code.
Git can say which commit a checkout is at, but an installed wheel has no git history, so there the
package version plus a SHA-256 of the installed source stands in. Light on purpose (no numpy, pandas
or mesa): ``sysmodel --version`` prints it.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path

from . import __version__

__all__ = ["__version__", "code_revision", "git_revision", "source_sha256"]

PACKAGE_DIR = Path(__file__).resolve().parent


@functools.cache
def source_sha256() -> str:
    """SHA-256 over the package's ``.py`` files, in sorted order of their relative paths.

    Each file contributes its relative path and its bytes, so renaming a module changes the hash as
    well. Computed once per process (the source does not change under a running model).
    """
    digest = hashlib.sha256()
    for rel in sorted(p.relative_to(PACKAGE_DIR).as_posix() for p in PACKAGE_DIR.rglob("*.py")):
        digest.update(rel.encode() + b"\0" + (PACKAGE_DIR / rel).read_bytes() + b"\0")
    return digest.hexdigest()


def _git(*args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=PACKAGE_DIR, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done if done.returncode == 0 else None


def git_revision() -> str | None:
    """The git commit of the package source, with ``+dirty`` if it has uncommitted changes.

    None unless the package's own files are tracked by git: an installed copy that happens to sit
    inside some repository (a virtual environment in a checkout) must not borrow that repository's
    commit.
    """
    tracked = _git("ls-files", "--error-unmatch", "__init__.py")
    rev = _git("rev-parse", "HEAD") if tracked else None
    if rev is None:
        return None
    status = _git("status", "--porcelain", "--", ".")
    dirty = status is None or bool(status.stdout.strip())
    return rev.stdout.strip() + ("+dirty" if dirty else "")


def code_revision() -> str:
    """What made a result, as one string.

    In a git checkout: the commit (``<sha>``), or ``<sha>+dirty.sha256:<12 hex>`` with uncommitted
    changes, so that two different uncommitted states are told apart. Without git (an installed wheel):
    ``<version>+sha256:<12 hex>`` of :func:`source_sha256`.
    """
    short = source_sha256()[:12]
    rev = git_revision()
    if rev is None:
        return f"{__version__}+sha256:{short}"
    return f"{rev}.sha256:{short}" if rev.endswith("+dirty") else rev
