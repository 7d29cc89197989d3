"""Compiled kernel of :mod:`softsim.services.digital`: the week's online attempts in one pass."""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.threads import parallel

__all__ = ["attempts"]


@nb.njit(cache=True, nogil=True)
def _attempt(j, digitisable, rank, coverage_home, low, p_skilled, p_low_skill, u, success,
             failed):
    """Need ``j``, its resident's rank, home coverage and skill already gathered."""
    tried = digitisable[j] & (rank[j] < coverage_home[j])
    p = p_low_skill if low[j] else p_skilled
    ok = tried & (u[j] < p)
    success[j] = ok
    failed[j] = tried ^ ok  # a success was tried


@nb.njit(cache=True, nogil=True)
def _serial(resident, digitisable, home, broadband_rank, coverage, low_skill, p_skilled,
            p_low_skill, u):
    n = len(resident)
    # one tight loop per resident array: its random reads overlap (1.3 to 1.5 times faster
    # than reading the three in one loop, benchmarks/README.md)
    rank = np.empty(n, broadband_rank.dtype)
    for j in range(n):
        rank[j] = broadband_rank[resident[j]]
    coverage_home = np.empty(n, coverage.dtype)
    for j in range(n):
        coverage_home[j] = coverage[home[resident[j]]]
    low = np.empty(n, np.bool_)
    for j in range(n):
        low[j] = low_skill[resident[j]]
    success = np.empty(n, np.bool_)
    failed = np.empty(n, np.bool_)
    for j in range(n):
        _attempt(j, digitisable, rank, coverage_home, low, p_skilled, p_low_skill, u,
                 success, failed)
    return success, failed


@nb.njit(cache=True, nogil=True, parallel=True)
def _parallel(resident, digitisable, home, broadband_rank, coverage, low_skill, p_skilled,
              p_low_skill, u):
    n = len(resident)
    rank = np.empty(n, broadband_rank.dtype)
    for j in nb.prange(n):
        rank[j] = broadband_rank[resident[j]]
    coverage_home = np.empty(n, coverage.dtype)
    for j in nb.prange(n):
        coverage_home[j] = coverage[home[resident[j]]]
    low = np.empty(n, np.bool_)
    for j in nb.prange(n):
        low[j] = low_skill[resident[j]]
    success = np.empty(n, np.bool_)
    failed = np.empty(n, np.bool_)
    for j in nb.prange(n):
        _attempt(j, digitisable, rank, coverage_home, low, p_skilled, p_low_skill, u,
                 success, failed)
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
