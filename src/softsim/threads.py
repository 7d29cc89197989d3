"""How the weekly compiled kernels use threads.

A kernel written with ``prange`` comes in two compilations, one serial and one parallel; the
parallel one runs only on inputs of at least :data:`PARALLEL_MIN` items (below that, starting
the threads costs more than it saves). Either gives the same numbers, whatever the number of
threads (``NUMBA_NUM_THREADS``): the parallel loops only split independent items.

Numba's OpenMP threads would otherwise spin between the many short parallel loops of a week
and take the cores from the serial phases (and from the other runs of a sweep): the OpenMP wait
policy is set to passive unless the environment already sets one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["PARALLEL_MIN", "parallel"]

PARALLEL_MIN = 20_000
"""Smallest input (needs) a weekly kernel runs in parallel on."""


def parallel(n: int) -> bool:
    """Whether a weekly kernel over ``n`` items runs its parallel compilation."""
    return n >= PARALLEL_MIN
