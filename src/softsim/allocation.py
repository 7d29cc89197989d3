"""Exact capacity-constrained allocation: random serial dictatorship, in a compiled kernel.

Needs are taken one by one in priority order; each takes its *best feasible option with remaining
capacity* and that capacity is consumed at once, so capacity is never exceeded and the result is
exactly the sequential greedy rule. (Round-based "everyone proposes, sites accept" looks similar
but is a different rule that shifts coverage between communes; it is deliberately not used.)

An option is feasible for a need when:

* **digital**: the need is digitisable and this week's digital attempt succeeds (drawn before the
  allocation); effort = ``digital_effort`` minutes, capacity unlimited;
* **a site** offering the need's type (or, for a failed online attempt, the mediation type), open
  in a slot the resident is free in, reachable from one anchor of the resident's bassin de vie
  (home, work, shop) within the type's tolerance (× ``dependent_factor`` for dependent
  residents, and within the site's own reach) by the need's travel mode, with capacity left.
  Non-workers are free in every slot. Workers are free on evenings and Saturday from any
  anchor; on weekday daytime only from work and only as far as a break allows
  (``work_break_min``).

The best option is the one with the least effort (travel minutes for a site); ties go to
digital, then to sites of the need's own type before mediation sites, then to the lowest site
index. The pure-Python reference in ``tests/reference_greedy.py`` must give identical
assignments; a hypothesis test checks it.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.slots import SLOT_OFF_WORK
from softsim.territory.travel import Travel, site_columns

__all__ = ["DIGITAL", "NONE", "allocate"]

NONE = -1
DIGITAL = -2


# Columns of a need's row in priority order (see :func:`_gather`) and the bits of its flags.
NEED, TYPE, ALT, MODE, HOME, WORK, SHOP, FLAGS = range(8)
EMPLOYED, DEPENDENT, DIGITAL_OK = 1, 2, 4


@nb.njit(cache=True, nogil=True)
def _gather(
    order, need_resident, need_type, need_alt_type, need_mode, digital_ok,
    home, work, shop, employed, dependent,
):
    """Each need's data in priority order, one ``int32`` row per need.

    A row is ``(need, type, alt type, mode, home, work, shop, flags)``, ``flags`` the
    ``EMPLOYED | DEPENDENT | DIGITAL_OK`` bits.
    The residents' arrays are large and read at random: each loop below does independent loads
    only (no branch on what it reads), so many cache misses are in flight at once, while the
    greedy pass that follows reads its rows in sequence.
    """
    n = len(order)
    rows = np.empty((n, 8), np.int32)
    for oi in range(n):
        i = order[oi]
        rows[oi, NEED] = i
        rows[oi, TYPE] = need_type[i]
        rows[oi, ALT] = need_alt_type[i]
        rows[oi, MODE] = need_mode[i]
        rows[oi, SHOP] = need_resident[i]  # overwritten by the shop below
        rows[oi, FLAGS] = DIGITAL_OK * np.int32(digital_ok[i])
    for oi in range(n):
        r = rows[oi, SHOP]
        rows[oi, FLAGS] += EMPLOYED * np.int32(employed[r]) + DEPENDENT * np.int32(dependent[r])
    for oi in range(n):
        rows[oi, HOME] = home[rows[oi, SHOP]]
    for oi in range(n):
        rows[oi, WORK] = work[rows[oi, SHOP]]
    for oi in range(n):
        rows[oi, SHOP] = shop[rows[oi, SHOP]]
    return rows


@nb.njit(cache=True, nogil=True)
def _allocate(
    rows,
    minutes,
    remaining,
    type_ptr,
    option_site,
    option_off_work,
    option_reach,
    tolerance,
    dependent_factor,
    digital_effort,
    work_break_min,
):
    """The sequential greedy over the needs' rows, in priority order.

    ``option_site``, ``option_off_work``, ``option_reach``: per entry of ``type_sites``, the
    site, whether it opens off work hours, and its reach.
    """
    n = rows.shape[0]
    choice = np.full(n, NONE, np.int32)
    anchor = np.full(n, -1, np.int32)
    travel = np.zeros(n, np.float32)
    for oi in range(n):
        k = rows[oi, TYPE]
        flags = rows[oi, FLAGS]
        best = np.inf
        best_site = NONE
        best_anchor = -1
        if flags & DIGITAL_OK:
            best = digital_effort
            best_site = DIGITAL
        tol = tolerance[k]
        if flags & DEPENDENT:
            tol = tol * dependent_factor
        employed = (flags & EMPLOYED) != 0
        mode = rows[oi, MODE]
        for pass_ in range(2):
            kk = k if pass_ == 0 else rows[oi, ALT]
            if kk < 0:
                continue
            for p in range(type_ptr[kk], type_ptr[kk + 1]):
                s = option_site[p]
                if remaining[s] <= 0:
                    continue
                site_tol = min(tol, option_reach[p])
                if employed and not option_off_work[p]:
                    # weekday daytime: from work only, and only as far as a break allows
                    origin = rows[oi, WORK]
                    t = minutes[mode, origin, s]
                    if t <= min(site_tol, work_break_min) and t < best:
                        best = t
                        best_site = s
                        best_anchor = origin
                else:  # from home, work, then shop: the first of equal times wins
                    for a in range(HOME, SHOP + 1):
                        origin = rows[oi, a]
                        t = minutes[mode, origin, s]
                        if t <= site_tol and t < best:
                            best = t
                            best_site = s
                            best_anchor = origin
        if best_site != NONE:
            i = rows[oi, NEED]
            choice[i] = best_site
            if best_site >= 0:
                remaining[best_site] -= 1
                travel[i] = best
                anchor[i] = best_anchor
    return choice, anchor, travel


class _SiteTable:
    """The last week's ``(modes, communes, sites)`` table, kept while the sites stay put.

    Built from the travel lists by :func:`~softsim.territory.travel.site_columns`; a run's lists
    are never changed in place, so the same lists and the same sites' communes give the same
    table. Stacked dense matrices (tests) are converted every call.
    """

    def __init__(self) -> None:
        self.minutes = None
        self.site_commune = None
        self.table = None

    def get(self, minutes, site_commune: np.ndarray) -> np.ndarray:
        if isinstance(minutes, np.ndarray):
            return site_columns(*Travel.dense(minutes), site_commune)
        if self.minutes is not minutes or not np.array_equal(self.site_commune, site_commune):
            self.table = site_columns(*minutes, site_commune)
            self.minutes, self.site_commune = minutes, np.array(site_commune)
        return self.table


_site_table = _SiteTable()


def allocate(
    *,
    order: np.ndarray,
    need_resident: np.ndarray,
    need_type: np.ndarray,
    need_alt_type: np.ndarray,
    need_mode: np.ndarray,
    digital_ok: np.ndarray,
    residents,
    minutes: np.ndarray,
    site_commune: np.ndarray,
    site_slots: np.ndarray,
    site_reach: np.ndarray,
    remaining: np.ndarray,
    type_ptr: np.ndarray,
    type_sites: np.ndarray,
    tolerance: np.ndarray,
    dependent_factor: float,
    digital_effort: float,
    work_break_min: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Allocate needs to options in the given priority order.

    Args:
        order: Permutation of need indices (the priority order).
        need_resident: Per need: the resident's id.
        need_type: Per need: the service type id.
        need_alt_type: Per need: a second type whose sites may also serve it (digital
            mediation of a failed online attempt), or -1.
        need_mode: Per need: index of its travel-time matrix in ``minutes``.
        digital_ok: Per need: whether the digital option is available this week.
        residents: The :class:`~softsim.population.Residents` (anchors and traits are read).
        minutes: Travel minutes by mode: CSR neighbour lists ``(ptr, idx, values)`` with
            ``values`` of shape ``(modes, pairs)`` (a pair not listed is out of reach), or
            stacked dense matrices ``(modes, communes, communes)``. The kernel reads a table
            ``(modes, communes, sites)`` of this week's sites, filled from the lists.
        site_commune: Per site: its commune index.
        site_slots: Per site: its opening slot mask.
        site_reach: Per site: the farthest (one-way minutes) it serves from, e.g. an
            association helps its neighbours only (``inf``: no limit beyond the tolerance).
        remaining: Per site capacity left this week; **decremented in place**.
        type_ptr: CSR offsets of the sites offering each type.
        type_sites: Site ids by type (``type_sites[type_ptr[k]:type_ptr[k+1]]``, increasing).
        tolerance: Maximum one-way travel minutes per type.
        dependent_factor: Tolerance multiplier for dependent residents.
        digital_effort: Effort (minutes) of the digital option.
        work_break_min: How far (one-way minutes) a worker can go from work to a site open
            only on weekday daytime (a break); sites open off work hours are reachable from
            work within the full tolerance.

    Returns:
        ``(choice, anchor, travel)`` per need: site index, ``DIGITAL`` or ``NONE``; the commune
        of the anchor travelled from (-1 if none); one-way travel minutes (0 if not at a site).
    """
    to_sites = _site_table.get(minutes, site_commune)
    rows = _gather(
        order.astype(np.int64, copy=False),
        need_resident,
        need_type,
        need_alt_type,
        need_mode,
        digital_ok,
        residents.home,
        residents.work,
        residents.shop,
        residents.employed,
        residents.dependent,
    )
    option_site = np.asarray(type_sites, np.int64)
    return _allocate(
        rows,
        to_sites,
        remaining,
        type_ptr,
        option_site,
        (site_slots[option_site] & SLOT_OFF_WORK) != 0,
        np.asarray(site_reach)[option_site],
        tolerance,
        np.float32(dependent_factor),
        np.float32(digital_effort),
        np.float32(work_break_min),
    )
