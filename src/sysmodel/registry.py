"""Registries from names (as scenario files write them) to classes.

Registration is explicit: a class is added with ``@PROCESSES.register("name")`` at import time of its
module, and an extension package registers its own the same way before building a model.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Registry", "RegistryError"]

T = TypeVar("T")


class RegistryError(KeyError):
    """An unknown name was looked up; the message lists the registered names."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0])


class Registry[T]:
    """A name -> class mapping for one kind of extension (processes, benefit schedules, ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, type[T]] = {}

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Class decorator: register ``cls`` under ``name`` (names are unique)."""

        def decorate(cls: type[T]) -> type[T]:
            if name in self._items and self._items[name] is not cls:
                raise ValueError(
                    f"{self.kind} name {name!r} is already registered to {self._items[name]!r}"
                )
            self._items[name] = cls
            cls.name = name  # type: ignore[attr-defined]
            return cls

        return decorate

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``; a clear error naming the nearest registered name otherwise."""
        try:
            return self._items[name]
        except KeyError:
            near = difflib.get_close_matches(name, list(self._items), n=1, cutoff=0.5)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise RegistryError(
                f"unknown {self.kind} {name!r}.{hint} Registered: {', '.join(sorted(self._items))}."
            ) from None

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
