"""Destinations drawn by gravity over exact travel times (the residents' work and shopping).

For residents of origin commune ``i``, P(j | i) ∝ mass_j · exp(−t_ij / decay), ``t`` by car or
without a car. Every destination counts, however far, so each origin's exact travel row is
needed: rows are computed by chunks of origin communes (never the whole communes² at once), and
a compiled kernel turns each row into cumulative weights and draws every resident of the origin
from it in one pass (a binary search of the resident's uniform). The numbers are those of the
plain numpy version (``np.cumsum`` of the weights, divided by the total, ``np.searchsorted``
with ``side="right"``), bit for bit: the same operations in the same order
(``tests/test_gravity.py``).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.territory import Territory
from softsim.territory.travel import _pair_values

__all__ = ["gravity_draws", "GRAVITY_CHUNK"]

GRAVITY_CHUNK = 256
"""Origin communes whose exact travel rows are held at once."""


@nb.njit(cache=True, nogil=True)
def _row_values(access_km, origins, car_path, km_path, n, intra_kmh, nocar_kmh, wait_min):
    """Car and no-car minutes (float32) to the first ``n`` communes, as ``RoadGraph.values``."""
    rows = len(origins)
    car = np.empty((rows, n), np.float32)
    nocar = np.empty((rows, n), np.float32)
    for r in range(rows):
        i = origins[r]
        for j in range(n):
            car[r, j], nocar[r, j], _ = _pair_values(access_km[i], j == i, car_path[r, j],
                                                     km_path[r, j], intra_kmh, nocar_kmh,
                                                     wait_min)
    return car, nocar


@nb.njit(cache=True, nogil=True, parallel=True)
def _draw_rows(decayed, mass, first, bounds, order, u, out):
    """Draw each resident of origins ``first …`` from its row's cumulative weights.

    ``decayed[r, j] = exp(−t / decay)`` (float32) for origin ``first + r``; the weight is
    ``mass[j] · decayed[r, j]`` in float64. Residents ``order[bounds[i]:bounds[i + 1]]`` live in
    origin ``i``; ``out`` gets the first ``j`` whose normalised cumulative weight exceeds their
    uniform ``u`` (the last commune if none). Each row is independent: the same numbers whatever
    the thread count.
    """
    n = decayed.shape[1]
    for r in nb.prange(decayed.shape[0]):
        i = first + r
        lo = bounds[i]
        hi = bounds[i + 1]
        if lo == hi:
            continue
        cum = np.empty(n)
        acc = 0.0
        for j in range(n):
            acc += mass[j] * np.float64(decayed[r, j])
            cum[j] = acc
        total = cum[n - 1]
        for j in range(n):
            cum[j] = cum[j] / total
        for p in range(lo, hi):
            s = order[p]
            x = u[s]
            a = 0
            b = n
            while a < b:
                m = (a + b) >> 1
                if cum[m] <= x:
                    a = m + 1
                else:
                    b = m
            out[s] = min(a, n - 1)


def gravity_draws(territory: Territory, draws: list, rng: np.random.Generator) -> list:
    """Per resident of each draw, a destination commune drawn by gravity.

    Each draw is ``(origin, kind, mass, decay_min)``: P(j | i) ∝ mass_j · exp(−t_ij / decay),
    ``t`` by car (kind 0) or without a car (kind 1), to the territory's communes. Uniforms are
    drawn first, one array per draw in list order.
    """
    n, g = territory.n, territory.graph
    us = [rng.random(len(origin)) for origin, *_ in draws]
    outs = [np.empty(len(origin), dtype=np.int32) for origin, *_ in draws]
    groups = []
    for origin, *_ in draws:
        order = np.argsort(origin, kind="stable")
        groups.append((order, np.searchsorted(origin[order], np.arange(n + 1))))
    for lo in range(0, n, GRAVITY_CHUNK):
        src = np.arange(lo, min(n, lo + GRAVITY_CHUNK))
        if all(bounds[src[-1] + 1] == bounds[lo] for _, bounds in groups):
            continue
        rows = _row_values(g.access_km, src, *g.paths(src), n, float(g.intra_speed_kmh),
                           float(g.nocar_speed_kmh), float(g.nocar_wait_min))
        for (_, kind, mass, decay_min), (order, bounds), u, out in zip(
            draws, groups, us, outs, strict=True
        ):
            if bounds[src[-1] + 1] == bounds[lo]:
                continue
            decayed = np.exp(-rows[kind] / decay_min)
            _draw_rows(decayed, np.asarray(mass, np.float64), lo, bounds, order, u, out)
    return outs
