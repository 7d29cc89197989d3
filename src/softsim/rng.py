"""The seed tree: every random draw in softsim comes from here.

One :class:`numpy.random.SeedSequence` root per run; each consumer asks for a *named* child
stream. A name maps to a fixed spawn key (a stable hash of the name), so a stream depends only on
``(seed, name)`` — not on the order in which streams are requested, nor on which process asks.
That is what gives common random numbers across scenarios: replicate ``r`` of every scenario
draws its territory, residents and needs from the same streams.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np

__all__ = ["SeedTree"]


def _name_key(name: str) -> int:
    """Stable 32-bit key of a stream name (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2s(name.encode(), digest_size=4).digest(), "little")


class SeedTree:
    """Named, independent random streams derived from one integer seed.

    Args:
        seed: Non-negative integer root seed of the run.
    """

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        self.seed = seed

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence of the stream called ``name``."""
        return np.random.SeedSequence(self.seed, spawn_key=(_name_key(name),))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh numpy Generator for the stream called ``name``."""
        return np.random.Generator(np.random.PCG64(self.sequence(name)))

    def python_random(self, name: str) -> random.Random:
        """A :class:`random.Random` for APIs that want one (Mesa's spaces), seeded from the tree."""
        return random.Random(int(self.sequence(name).generate_state(1, np.uint64)[0]))

    def child(self, name: str) -> SeedTree:
        """A sub-tree, e.g. one per replicate, itself deterministic in ``(seed, name)``."""
        return SeedTree(int(self.sequence(name).generate_state(1, np.uint64)[0] >> 1))
