"""Compiled kernels of :mod:`softsim.information`: the awareness chain, need by need.

:func:`express` advances the residents of the week's needs by the exact two-state transition
over the weeks since their last update, and tallies the needs' latent and not-taken-up counts.
Residents of different home communes never touch the same counts (a resident's awareness and
the aware counts of the home commune), so :func:`express` takes the needs commune by commune —
each commune's needs in their original order — in parallel on large weeks
(:mod:`softsim.threads`); its result is that of the sequential loop, bit for bit, whatever the
number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.grouping import group_by
from softsim.threads import parallel

__all__ = ["express", "group_by_commune", "rate"]


@nb.njit(cache=True, nogil=True)
def rate(count, residents, ambient, configured, learn, mu):
    """``(λ + μ, π)`` of a type in a commune of ``residents`` of whom ``count`` are aware."""
    share = count / max(residents, 1.0)
    lam = ambient * share / configured + learn
    total = lam + mu
    return total, (lam / total if total > 0 else 0.0)


@nb.njit(cache=True, nogil=True)
def rates_of(c, aware_count, per_commune, ambient, configured, learn, mu, total_ck, pi_ck):
    """:func:`rate` of every type in commune ``c``, into ``total_ck`` and ``pi_ck``."""
    for k in range(aware_count.shape[1]):
        total_ck[c, k], pi_ck[c, k] = rate(aware_count[c, k], per_commune[c], ambient[k],
                                           configured[k], learn, mu)


@nb.njit(cache=True, nogil=True)
def group_by_commune(resident, home, n_communes):
    """The needs grouped by their resident's home commune, in order within each commune.

    Returns:
        ``(order, ptr)``: the needs of commune ``c`` are ``order[ptr[c]:ptr[c + 1]]``.
    """
    return group_by(home[resident], n_communes)


_BLOCK = 128
"""Needs whose residents' rows are loaded together before they are worked on (measured:
128 beats 32, 64, 256 and 512 at a million residents, ``benchmarks/README.md``)."""


@nb.njit(cache=True, nogil=True)
def _express_span(lo, hi, order, resident, type_, active, week, awareness, updated, home,
                  aware_count, per_commune, ambient, configured, learn, mu, u, latent,
                  not_taken_up, total_ck, pi_ck, aware):
    """Needs ``order[lo:hi]`` in turn, block by block; returns a sum nobody reads.

    The residents' rows are scattered over arrays of millions: a first, branch-free pass over
    a block loads them all at once (the cache misses overlap), so the second pass — long
    dependent arithmetic and branches — finds them in cache instead of waiting on each.

    When ``active``, the need's resident is advanced to ``week`` if behind (the exact
    two-state transition over the weeks since the last update, one draw ``u[j, k]`` per type).
    ``total = λ + μ`` and ``π`` depend on the commune's aware count only: they are kept per
    (commune, type) in ``total_ck`` and ``pi_ck`` and computed again when that count changes.
    The exponential is computed only when the draw can fall on either side of ``p``: ``p``
    lies between ``π`` and the current state, and floating-point rounding keeps it there, so
    a draw on the far side of ``π`` decides alone (and leaves the state as it was). Same
    numbers as the formula evaluated in full, bit for bit. The update is written here, not in
    a helper: a call per need, with its many array arguments, costs a reference count taken
    and released per array, more than the update itself.
    """
    touched = 0
    for block in range(lo, hi, _BLOCK):
        end = min(block + _BLOCK, hi)
        for i in range(block, end):
            r = resident[order[i]]
            touched += awareness[r] + updated[r] + home[r] + latent[r] + not_taken_up[r]
        for i in range(block, end):
            j = order[i]
            r = resident[j]
            dt = week - updated[r]
            if active and dt > 0:
                updated[r] = week
                c = home[r]
                bits = awareness[r]
                new = 0
                for k in range(len(ambient)):
                    s0 = (bits >> k) & 1
                    total = total_ck[c, k]
                    x = u[j, k]
                    if total > 0:
                        pi = pi_ck[c, k]
                        b = 1 if x < pi else 0  # the side of π the state is on: no change
                        if b != s0:
                            p = pi + (s0 - pi) * np.exp(-total * dt)
                            b = 1 if x < p else 0
                    else:
                        b = 1 if x < float(s0) else 0
                    if b != s0:
                        aware_count[c, k] += b - s0
                        total_ck[c, k], pi_ck[c, k] = rate(
                            aware_count[c, k], per_commune[c], ambient[k], configured[k],
                            learn, mu,
                        )
                    new |= b << k
                awareness[r] = new
            a = (awareness[r] >> type_[j]) & 1
            aware[j] = a == 1
            latent[r] += 1
            if a == 0:
                not_taken_up[r] += 1
    return touched


@nb.njit(cache=True, nogil=True)
def _express_serial(resident, type_, active, week, awareness, updated, home, aware_count,
                    per_commune, ambient, configured, learn, mu, u, latent, not_taken_up):
    """The needs in their order."""
    aware = np.empty(len(resident), np.bool_)
    total_ck, pi_ck = np.empty(aware_count.shape), np.empty(aware_count.shape)
    if active:
        for c in range(aware_count.shape[0]):
            rates_of(c, aware_count, per_commune, ambient, configured, learn, mu, total_ck,
                     pi_ck)
    order = np.arange(len(resident))
    _express_span(0, len(resident), order, resident, type_, active, week, awareness, updated,
                  home, aware_count, per_commune, ambient, configured, learn, mu, u, latent,
                  not_taken_up, total_ck, pi_ck, aware)
    return aware


@nb.njit(cache=True, nogil=True, parallel=True)
def _express_parallel(resident, type_, active, week, awareness, updated, home, aware_count,
                      per_commune, ambient, configured, learn, mu, u, latent, not_taken_up):
    """The needs commune by commune, communes in parallel."""
    order, ptr = group_by_commune(resident, home, aware_count.shape[0])
    aware = np.empty(len(resident), np.bool_)
    total_ck, pi_ck = np.empty(aware_count.shape), np.empty(aware_count.shape)
    touched = np.zeros(len(ptr) - 1, np.int64)
    for c in nb.prange(len(ptr) - 1):
        if active:
            rates_of(c, aware_count, per_commune, ambient, configured, learn, mu, total_ck,
                     pi_ck)
        touched[c] = _express_span(
            ptr[c], ptr[c + 1], order, resident, type_, active, week, awareness, updated, home,
            aware_count, per_commune, ambient, configured, learn, mu, u, latent, not_taken_up,
            total_ck, pi_ck, aware,
        )
    return aware


def express(resident, type_, active, week, awareness, updated, home, aware_count, per_commune,
            ambient, configured, learn, mu, u, latent, not_taken_up):
    """Advance awareness (when ``active``), then sort each need into expressed or not taken up.

    A need is expressed when its resident is aware of its type after the update; every need
    adds one to its resident's ``latent``, an unexpressed one also to ``not_taken_up``.

    Returns:
        Whether each need is expressed.
    """
    kernel = _express_parallel if parallel(len(resident)) else _express_serial
    return kernel(resident, type_, active, week, awareness, updated, home, aware_count,
                  per_commune, ambient, configured, learn, mu, u, latent, not_taken_up)
