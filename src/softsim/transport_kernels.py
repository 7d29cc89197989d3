"""Compiled kernels of :mod:`softsim.transport`: the travel mode of each pending need."""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.grouping import group_by
from softsim.threads import parallel

__all__ = ["own_modes", "share_rides"]

_CAR, _NOCAR, _TAD = 0, 1, 2  # softsim.transport.MODE_CAR, MODE_NOCAR, MODE_TAD


@nb.njit(cache=True, nogil=True)
def _own_serial(resident, car):
    mode = np.empty(len(resident), np.int8)
    for j in range(len(resident)):
        mode[j] = _CAR if car[resident[j]] else _NOCAR
    return mode


@nb.njit(cache=True, nogil=True, parallel=True)
def _own_parallel(resident, car):
    mode = np.empty(len(resident), np.int8)
    for j in nb.prange(len(resident)):
        mode[j] = _CAR if car[resident[j]] else _NOCAR
    return mode


def own_modes(resident: np.ndarray, car: np.ndarray) -> np.ndarray:
    """Each need's own mode: car when its resident has one, no car otherwise."""
    return (_own_parallel if parallel(len(resident)) else _own_serial)(resident, car)


@nb.njit(cache=True, nogil=True)
def _by_commune(mode, resident, home, n_communes):
    """The no-car needs (``nocar``) and their positions in it, commune by commune, in order."""
    nocar = np.flatnonzero(mode == _NOCAR)
    group, ptr = group_by(home[resident[nocar]], n_communes)
    return nocar, ptr, group


@nb.njit(cache=True, nogil=True)
def _share_commune(c, mode, nocar, ptr, group, u, lifts, trips):
    lo, hi = ptr[c], ptr[c + 1]
    m = hi - lo
    lift, ride = lifts[c], lifts[c] + trips[c]
    if m == 0 or (lift <= 0 and ride <= 0):
        return
    members = group[lo:hi]
    if lift >= m or (lift <= 0 and ride >= m):  # every one the same: no ranking needed
        ranked = members
    else:
        ranked = members[np.argsort(u[members], kind="mergesort")]
    for rank in range(m):
        if rank < lift:
            mode[nocar[ranked[rank]]] = _CAR
        elif rank < ride:
            mode[nocar[ranked[rank]]] = _TAD


@nb.njit(cache=True, nogil=True)
def _share_serial(mode, nocar, ptr, group, u, lifts, trips):
    for c in range(len(lifts)):
        _share_commune(c, mode, nocar, ptr, group, u, lifts, trips)


@nb.njit(cache=True, nogil=True, parallel=True)
def _share_parallel(mode, nocar, ptr, group, u, lifts, trips):
    for c in nb.prange(len(lifts)):
        _share_commune(c, mode, nocar, ptr, group, u, lifts, trips)


def share_rides(mode: np.ndarray, resident: np.ndarray, home: np.ndarray, u: np.ndarray,
                lifts: np.ndarray, trips: np.ndarray) -> np.ndarray:
    """Give the no-car needs of each commune its lifts, then its booked rides (``mode`` in place).

    The no-car needs of a commune are ranked by ``u`` (one draw per no-car need, in the needs'
    order; ties keep that order); ranks below ``lifts`` go by car, the next ``trips`` by booked
    ride. Communes are independent of each other.
    """
    nocar, ptr, group = _by_commune(mode, resident, home, len(lifts))
    kernel = _share_parallel if parallel(len(resident)) else _share_serial
    kernel(mode, nocar, ptr, group, u, lifts, trips)
    return mode
