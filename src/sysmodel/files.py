"""Writing results safely: permissions that follow the umask, and folders that appear only when complete."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["umask", "make_shareable", "atomic_path", "staged_folder", "describe_folder"]

_UMASK_LOCK = threading.Lock()


@functools.cache
def umask() -> int:
    """The process's umask, read once.

    ``tempfile.mkstemp`` and ``mkdtemp`` create 0600 files and 0700 folders whatever the umask, so a
    shared workshop folder could not read the results; writers chmod their output to what the umask
    allows. Linux shows the umask in /proc without changing it; elsewhere it can only be read by
    setting it, which a lock keeps from racing with other threads of this module.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    with _UMASK_LOCK:
        current = os.umask(0o022)
        os.umask(current)
    return current


def make_shareable(path: str | os.PathLike, folder: bool = False) -> None:
    """Give a file made by ``mkstemp`` (or a folder made by ``mkdtemp``) the mode the umask allows."""
    os.chmod(path, (0o777 if folder else 0o666) & ~umask())


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary file name beside ``path`` to write to; it replaces ``path`` when the block ends.

    If the block raises, the temporary file is removed and ``path`` is untouched, so readers only
    ever see a complete file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        make_shareable(tmp)
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def staged_folder(final: str | os.PathLike, replace: bool = False) -> Iterator[Path]:
    """A new, empty temporary sibling of ``final`` to write into; it becomes ``final`` when the block ends.

    The temporary folder is made on entry, so an ``--out`` that cannot be written (a read-only file
    system, a path under a regular file) fails before any work is done. If the block raises (a full
    disk, Ctrl-C), the temporary folder and any parent folders made for it are removed and ``final`` is
    untouched, so a failed write leaves nothing half-written. With ``replace``, an existing ``final`` is
    swapped out only after the new folder is complete, then deleted; without it, an existing ``final``
    raises FileExistsError.
    """
    final = Path(final)
    made = [p for p in reversed(final.parents) if not p.exists()]
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    except BaseException:
        _remove_empty(made)
        raise
    try:
        make_shareable(tmp, folder=True)
        yield tmp
        _swap_into_place(tmp, final, replace)
    except BaseException:
        _remove(tmp)
        _remove_empty(made)
        raise


def _swap_into_place(tmp: Path, final: Path, replace: bool) -> None:
    if not final.exists() and not final.is_symlink():
        os.rename(tmp, final)
        return
    if not replace:
        raise FileExistsError(f"{final} appeared while the new results were written")
    # rename() cannot replace a non-empty folder: move the old one aside first and put it back if the
    # new one cannot take its place, so at every moment one complete version is at or beside ``final``.
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".old", dir=final.parent))
    os.rename(final, old / final.name)
    try:
        os.rename(tmp, final)
    except BaseException:
        os.rename(old / final.name, final)
        _remove(old)
        raise
    _remove(old)


def _remove_empty(folders: list[Path]) -> None:
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            return


def describe_folder(path: Path, limit: int = 5) -> str:
    """``a, b, c and 4 more``: the names in a folder, for messages that say what is there."""
    names = sorted(p.name for p in path.iterdir())
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
