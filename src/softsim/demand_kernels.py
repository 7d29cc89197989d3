"""Compiled kernel of :mod:`softsim.demand`: the residents and types of a week's needs."""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.threads import parallel

__all__ = ["place_needs"]


@nb.njit(cache=True, nogil=True)
def _place(j, end, n_bands, band_start, band_size, by_band, u, residents, types):
    block = np.searchsorted(end, j, side="right")
    b = block % n_bands
    pick = band_start[b] + np.int64(u[j] * band_size[b])
    residents[j] = by_band[min(pick, len(by_band) - 1)]
    types[j] = block // n_bands


@nb.njit(cache=True, nogil=True)
def _serial(end, n_bands, band_start, band_size, by_band, u):
    residents = np.empty(len(u), by_band.dtype)
    types = np.empty(len(u), np.int8)
    for j in range(len(u)):
        _place(j, end, n_bands, band_start, band_size, by_band, u, residents, types)
    return residents, types


@nb.njit(cache=True, nogil=True, parallel=True)
def _parallel(end, n_bands, band_start, band_size, by_band, u):
    residents = np.empty(len(u), by_band.dtype)
    types = np.empty(len(u), np.int8)
    for j in nb.prange(len(u)):
        _place(j, end, n_bands, band_start, band_size, by_band, u, residents, types)
    return residents, types


def place_needs(counts: np.ndarray, band_start: np.ndarray, band_size: np.ndarray,
                by_band: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Type and resident of each need, from the Poisson counts and one uniform draw per need.

    The needs are laid out block by block — type-major, then age band — as ``counts`` (types ×
    bands) says; need ``j`` of band ``b`` falls on the resident at position
    ``band_start[b] + ⌊u[j] × band_size[b]⌋`` of ``by_band`` (the residents sorted by band).

    Returns:
        ``(residents, types)``: int32 (``by_band``'s type) and int8 arrays.
    """
    end = np.cumsum(counts.ravel())
    kernel = _parallel if parallel(len(u)) else _serial
    return kernel(end, counts.shape[1], band_start, band_size, by_band, u)
