"""Named random streams for common random numbers.

Every stochastic draw is keyed by (run seed, process name, month, draw name) and returns one value per
family row. A row's draw therefore depends only on that key and the row's index: changing one process's
parameters, or adding a draw to it, never moves another process's draws, so two scenarios run on the same
seed differ only where their policies differ (common random numbers, as in starsim).

Processes draw *every* row's value each month, whether or not a row uses it, and turn uniforms into
events by comparing with probabilities (``u < p``). That keeps the coupling monotone: raising a hazard only
adds events, it never reshuffles who else gets one.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams", "stable_hash"]


def stable_hash(name: str) -> int:
    """A hash of a name that is the same in every Python process (``hash()`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of per-(process, month, draw) random arrays for one run seed."""

    def __init__(self, seed: int, n_rows: int):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        self.seed = int(seed)
        self.n_rows = int(n_rows)

    def generator(self, process: str, month: int, draw: str) -> np.random.Generator:
        """A numpy Generator seeded from (seed, process, month, draw); month may be negative (burn-in)."""
        key = [self.seed, stable_hash(process), month + 1_000_000, stable_hash(draw)]
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))

    def uniform(self, process: str, month: int, draw: str) -> np.ndarray:
        """One uniform [0, 1) draw per family row."""
        return self.generator(process, month, draw).random(self.n_rows)

    def normal(self, process: str, month: int, draw: str) -> np.ndarray:
        """One standard-normal draw per family row."""
        return self.generator(process, month, draw).standard_normal(self.n_rows)
