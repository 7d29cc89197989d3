"""How the weekly compiled kernels use threads.

A kernel written with ``prange`` comes in two compilations, one serial and one parallel. The
parallel one runs only on inputs of at least :data:`PARALLEL_MIN` items (below that, starting
the threads costs more than it saves) and, unless :data:`ONLY_SPARE_CORES` is off, only while
the machine has a core to spare (its load average below its cores minus one): on a machine whose
cores are all busy — other runs of a sweep, other users — waking the threads of each short
parallel loop costs more than the loop (measured: ``benchmarks/README.md``, "A faster week").
Either compilation gives the same numbers, whatever the number of threads
(``NUMBA_NUM_THREADS``): the parallel loops only split independent items (tested in
``tests/test_threads.py``).

Numba's OpenMP threads would otherwise spin between the many short parallel loops of a week
and take the cores from the serial phases: the OpenMP wait policy is set to passive unless the
environment already sets one.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__all__ = ["ONLY_SPARE_CORES", "PARALLEL_MIN", "parallel"]

PARALLEL_MIN = 20_000
"""Smallest input (needs) a weekly kernel runs in parallel on."""

ONLY_SPARE_CORES = True
"""Run the parallel compilation only while a core is spare (load average below cores − 1)."""


def parallel(n: int) -> bool:
    """Whether a weekly kernel over ``n`` items runs its parallel compilation."""
    if n < PARALLEL_MIN:
        return False
    if not ONLY_SPARE_CORES:
        return True
    cores = os.cpu_count() or 1
    if not hasattr(os, "getloadavg"):  # no load average here (Windows): use the cores
        return cores > 1
    return cores > 1 and os.getloadavg()[0] < cores - 1
