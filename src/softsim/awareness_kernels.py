"""Compiled kernels of :mod:`softsim.information`: the awareness chain, need by need.

:func:`advance` is the exact two-state transition of one resident over the weeks since the last
update. :func:`express` applies it to the week's needs and tallies their latent and
not-taken-up counts. Residents of different
home communes never touch the same counts (a resident's awareness and the aware counts of the
home commune), so :func:`express` takes the needs commune by commune — each commune's needs in
their original order — in parallel on large weeks (:mod:`softsim.threads`); its result is that
of the sequential loop, bit for bit, whatever the number of threads.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.threads import parallel

__all__ = ["advance", "express", "group_by_commune", "rate"]


@nb.njit(cache=True, nogil=True, inline="always")
def rate(c, k, aware_count, per_commune, ambient, configured, learn, mu, total_ck, pi_ck):
    """``total = λ + μ`` and ``π`` of type ``k`` in commune ``c``, from its aware count."""
    share = aware_count[c, k] / max(per_commune[c], 1.0)
    lam = ambient[k] * share / configured[k] + learn
    total = lam + mu
    total_ck[c, k] = total
    pi_ck[c, k] = lam / total if total > 0 else 0.0


@nb.njit(cache=True, nogil=True, inline="always")
def rates_of(c, aware_count, per_commune, ambient, configured, learn, mu, total_ck, pi_ck):
    """:func:`rate` of every type in commune ``c``."""
    for k in range(aware_count.shape[1]):
        rate(c, k, aware_count, per_commune, ambient, configured, learn, mu, total_ck, pi_ck)


@nb.njit(cache=True, nogil=True, inline="always")
def advance(j, r, week, awareness, updated, home, aware_count, per_commune, ambient,
            configured, learn, mu, u, total_ck, pi_ck):
    """Advance resident ``r`` (need ``j``, uniform draws ``u[j]``) to ``week``, if behind.

    ``total = λ + μ`` and ``π`` depend on the commune's aware count only: they are kept per
    (commune, type) and computed again when that count changes. The exponential is computed
    only when the draw can fall on either side of ``p``: ``p`` lies between ``π`` and the
    current state, and floating-point rounding keeps it there, so a draw on the far side of
    ``π`` decides alone — and leaves the state as it was. Same numbers as the formula
    evaluated in full, bit for bit.

    Inlined where it is called (as is :func:`rate`): a call per need, with its many array
    arguments, would cost a reference count taken and released per array.
    """
    dt = week - updated[r]
    if dt <= 0:
        return
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
            b = 1 if x < pi else 0  # s0 on this side of π: p is too, the draw decides alone
            if b != s0:
                p = pi + (s0 - pi) * np.exp(-total * dt)
                b = 1 if x < p else 0
        else:
            b = 1 if x < float(s0) else 0
        if b != s0:
            aware_count[c, k] += b - s0
            rate(c, k, aware_count, per_commune, ambient, configured, learn, mu, total_ck,
                 pi_ck)
        new |= b << k
    awareness[r] = new


@nb.njit(cache=True, nogil=True)
def group_by_commune(resident, home, n_communes):
    """The needs grouped by their resident's home commune, in order within each commune.

    Returns:
        ``(order, ptr)``: the needs of commune ``c`` are ``order[ptr[c]:ptr[c + 1]]``.
    """
    n = len(resident)
    commune = np.empty(n, np.int64)
    ptr = np.zeros(n_communes + 1, np.int64)
    for j in range(n):
        c = home[resident[j]]
        commune[j] = c
        ptr[c + 1] += 1
    for c in range(n_communes):
        ptr[c + 1] += ptr[c]
    fill = ptr[:-1].copy()
    order = np.empty(n, np.int64)
    for j in range(n):
        c = commune[j]
        order[fill[c]] = j
        fill[c] += 1
    return order, ptr


_BLOCK = 512
"""Needs whose residents' rows are loaded together before they are worked on."""


@nb.njit(cache=True, nogil=True)
def _express_span(lo, hi, order, resident, type_, active, week, awareness, updated, home,
                  aware_count, per_commune, ambient, configured, learn, mu, u, latent,
                  not_taken_up, total_ck, pi_ck, aware):
    """Needs ``order[lo:hi]`` in turn, block by block; returns a sum nobody reads.

    The residents' rows are scattered over arrays of millions: a first, branch-free pass over
    a block loads them all at once (the cache misses overlap), so the second pass — long
    dependent arithmetic and branches — finds them in cache instead of waiting on each.
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
            if active:
                advance(j, r, week, awareness, updated, home, aware_count, per_commune,
                        ambient, configured, learn, mu, u, total_ck, pi_ck)
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
