"""Compiled pass of :mod:`softsim.demand`: a week's drawn counts and uniforms become needs."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["place_needs"]


@nb.njit(cache=True, nogil=True)
def place_needs(counts, band_start, band_size, by_band, type_digitisable, u, v):
    """The needs of a week's Poisson ``counts`` (types × age bands), in one pass.

    Needs come type by type, band by band within a type (the order of ``counts`` read row by
    row). Need ``i`` of band ``b`` falls on ``by_band[band_start[b] + ⌊u[i] × band_size[b]⌋]``
    (the last resident when rounding reaches the end); it is digitisable when ``v[i]`` is below
    its type's ``type_digitisable`` share.

    Returns:
        ``(residents, types, digitisable)``: int32, int8 and boolean arrays over the needs.
    """
    n = len(u)
    pick = np.empty(n, np.int64)
    types = np.empty(n, np.int8)
    digitisable = np.empty(n, np.bool_)
    last = len(by_band) - 1
    i = 0
    for t in range(counts.shape[0]):
        share = type_digitisable[t]
        for b in range(counts.shape[1]):
            start, size = band_start[b], band_size[b]
            for _ in range(counts[t, b]):
                pick[i] = min(start + np.int64(u[i] * size), last)
                types[i] = t
                digitisable[i] = v[i] < share
                i += 1
    residents = np.empty(n, np.int32)
    for i in range(n):  # a loop of its own: its random reads overlap (2.5 times faster)
        residents[i] = by_band[pick[i]]
    return residents, types, digitisable
