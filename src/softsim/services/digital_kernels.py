"""Compiled kernel of :mod:`softsim.services.digital`: the week's online attempts in one pass."""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.threads import parallel

__all__ = ["attempts"]


@nb.njit(cache=True, nogil=True)
def _attempt(j, resident, digitisable, home, broadband_rank, coverage, low_skill, p_skilled,
             p_low_skill, u, success, failed):
    r = resident[j]  # every load unconditional (no branch): the misses overlap
    tried = digitisable[j] & (broadband_rank[r] < coverage[home[r]])
    p = p_low_skill if low_skill[r] else p_skilled
    ok = tried & (u[j] < p)
    success[j] = ok
    failed[j] = tried ^ ok  # a success was tried


@nb.njit(cache=True, nogil=True)
def _serial(resident, digitisable, home, broadband_rank, coverage, low_skill, p_skilled,
            p_low_skill, u):
    success = np.empty(len(resident), np.bool_)
    failed = np.empty(len(resident), np.bool_)
    for j in range(len(resident)):
        _attempt(j, resident, digitisable, home, broadband_rank, coverage, low_skill,
                 p_skilled, p_low_skill, u, success, failed)
    return success, failed


@nb.njit(cache=True, nogil=True, parallel=True)
def _parallel(resident, digitisable, home, broadband_rank, coverage, low_skill, p_skilled,
              p_low_skill, u):
    success = np.empty(len(resident), np.bool_)
    failed = np.empty(len(resident), np.bool_)
    for j in nb.prange(len(resident)):
        _attempt(j, resident, digitisable, home, broadband_rank, coverage, low_skill,
                 p_skilled, p_low_skill, u, success, failed)
    return success, failed


def attempts(resident, digitisable, home, broadband_rank, coverage, low_skill, p_skilled,
             p_low_skill, u):
    """Online attempts of the needs, each independent of the others.

    Need ``j`` is tried when digitisable and its resident's broadband rank is below the home
    commune's ``coverage``; a try succeeds when ``u[j]`` is below ``p_low_skill`` or
    ``p_skilled`` (the resident's skill).

    Returns:
        ``(success, failed)`` boolean arrays over the needs.
    """
    kernel = _parallel if parallel(len(resident)) else _serial
    return kernel(resident, digitisable, home, broadband_rank, coverage, low_skill,
                  p_skilled, p_low_skill, u)
