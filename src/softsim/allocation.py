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

How the kernel finds a need's best option does not change the rule: it first gathers the needs'
data in priority order (the residents' arrays are large and read at random), then either scans
every site of the need's type or, when types have many sites, walks per-commune lists of the
sites sorted by travel time and stops at the first feasible one (:func:`_option_lists`). The
week's table of minutes to the sites and these lists are kept while the sites stay put; the
communes nearest first from each commune, which the lists are built from, for the whole run.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from softsim.grouping import group_by
from softsim.slots import SLOT_OFF_WORK
from softsim.territory.travel import Travel, site_columns

__all__ = ["DIGITAL", "NONE", "WeekTables", "allocate"]

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
def _allocate_scan(
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
    """The sequential greedy over the needs' rows, in priority order, scanning every site.

    Faster than :func:`_allocate_lists` when types have few sites.

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


@nb.njit(cache=True, nogil=True)
def _nearest_first(ptr, idx, values, bound):
    """Each origin's communes within ``bound`` minutes, nearest first, by mode: CSR lists.

    One list per ``(mode, origin)``, id ``mode * communes + origin``, of the stored pairs
    ``(ptr, idx, values)`` at most ``bound`` minutes away, by increasing ``(minutes, commune)``.
    They depend on the travel lists only, not on the week's sites: a run builds them once.

    Returns ``(ptr, commune, minutes)``.
    """
    n_modes = values.shape[0]
    n = len(ptr) - 1
    near_ptr = np.zeros(n_modes * n + 1, np.int64)
    for m in range(n_modes):
        for i in range(n):
            cnt = 0
            for p in range(ptr[i], ptr[i + 1]):
                if values[m, p] <= bound:
                    cnt += 1
            near_ptr[m * n + i + 1] = near_ptr[m * n + i] + cnt
    near_commune = np.empty(near_ptr[-1], np.int64)
    near_minutes = np.empty(near_ptr[-1], np.float32)
    for m in range(n_modes):
        for i in range(n):
            at = near_ptr[m * n + i]
            cnt = 0
            for p in range(ptr[i], ptr[i + 1]):
                if values[m, p] <= bound:
                    near_commune[at + cnt] = idx[p]
                    near_minutes[at + cnt] = values[m, p]
                    cnt += 1
            c = near_commune[at : at + cnt]
            t = near_minutes[at : at + cnt]
            by_commune = np.argsort(c, kind="mergesort")
            rank = by_commune[np.argsort(t[by_commune], kind="mergesort")]  # stable: ties by c
            near_commune[at : at + cnt] = c[rank]
            near_minutes[at : at + cnt] = t[rank]
    return near_ptr, near_commune, near_minutes


@nb.njit(cache=True, nogil=True)
def _option_lists(near_ptr, near_commune, near_minutes, n_communes, site_commune, type_ptr,
                  option_site, site_off_work):
    """This week's options from each commune, nearest first: sorted CSR lists.

    One list per ``(mode, origin commune, type list kk, class)``, id
    ``((mode * communes + origin) * lists + kk) * 2 + class``; class 0 holds the sites open
    off work hours, class 1 those open on weekday daytime only. A list holds the entries ``p``
    of ``type_sites[type_ptr[kk]:type_ptr[kk + 1]]`` whose site is at most ``bound`` minutes
    away (no tolerance reaches farther), by increasing time, equal times by increasing ``p``.
    The communes within ``bound`` come nearest first from :func:`_nearest_first`; the sites of
    communes at equal minutes are taken by increasing site (hence entry).

    Returns ``(ptr, entry, minutes)``: CSR offsets, the entries and their travel minutes.
    """
    n_modes = (len(near_ptr) - 1) // n_communes
    n_sites = len(site_commune)
    n_lists = len(type_ptr) - 1
    n_ids = n_modes * n_communes * n_lists * 2
    entry_list = np.empty(len(option_site), np.int64)
    for kk in range(n_lists):
        for p in range(type_ptr[kk], type_ptr[kk + 1]):
            entry_list[p] = kk
    site_entries, site_ptr = group_by(option_site, n_sites)  # each site's entries, by p
    at_commune, start = group_by(site_commune, n_communes)  # each commune's sites, by s
    # each commune's entries by increasing (site, p): their list within a block, and p
    ce_ptr = np.zeros(n_communes + 1, np.int64)
    for s in range(n_sites):
        ce_ptr[site_commune[s] + 1] += site_ptr[s + 1] - site_ptr[s]
    for c in range(n_communes):
        ce_ptr[c + 1] += ce_ptr[c]
    ce_list = np.empty(len(option_site), np.int64)
    ce_p = np.empty(len(option_site), np.int64)
    x = 0
    for c in range(n_communes):
        for y in range(start[c], start[c + 1]):
            s = at_commune[y]
            cls = 0 if site_off_work[s] else 1
            for e in range(site_ptr[s], site_ptr[s + 1]):
                p = site_entries[e]
                ce_list[x] = entry_list[p] * 2 + cls
                ce_p[x] = p
                x += 1
    block = n_lists * 2  # the lists of one (mode, origin) follow each other
    ptr = np.zeros(n_ids + 1, np.int64)
    for mc in range(n_modes * n_communes):
        for q in range(near_ptr[mc], near_ptr[mc + 1]):
            d = near_commune[q]
            for x in range(ce_ptr[d], ce_ptr[d + 1]):
                ptr[mc * block + ce_list[x] + 1] += 1
    for j in range(n_ids):
        ptr[j + 1] += ptr[j]
    entry = np.empty(ptr[-1], np.int32)
    minutes = np.empty(ptr[-1], np.float32)
    at = ptr[:-1].copy()
    tied = np.empty(len(option_site), np.int64)
    for mc in range(n_modes * n_communes):
        q = near_ptr[mc]
        end = near_ptr[mc + 1]
        while q < end:
            t = near_minutes[q]
            cnt = 0  # the entries of the communes at minutes t, by increasing p (site)
            while q < end and near_minutes[q] == t:
                d = near_commune[q]
                for x in range(ce_ptr[d], ce_ptr[d + 1]):
                    y = cnt
                    while y > 0 and ce_p[tied[y - 1]] > ce_p[x]:
                        tied[y] = tied[y - 1]
                        y -= 1
                    tied[y] = x
                    cnt += 1
                q += 1
            for y in range(cnt):
                x = tied[y]
                j = mc * block + ce_list[x]
                entry[at[j]] = ce_p[x]
                minutes[at[j]] = t
                at[j] += 1
    return ptr, entry, minutes


@nb.njit(cache=True, nogil=True)
def _allocate_lists(
    rows,
    n_communes,
    list_ptr,
    list_entry,
    list_minutes,
    remaining,
    type_ptr,
    option_site,
    option_reach,
    tolerance,
    dependent_factor,
    digital_effort,
    work_break_min,
):
    """The sequential greedy over the needs' rows, in priority order, from sorted lists.

    Each need's best option is the least of ``(minutes, pass, entry, anchor)`` over the
    feasible ones (pass 0: its type's sites, 1: the alternative type's) below ``inf``, digital
    winning ties: exactly what scanning the passes, entries and anchors in order with a
    strict ``<`` keeps.
    The lists of :func:`_option_lists` give each ``(pass, anchor, class)`` its options by
    increasing ``(minutes, entry)``, so the first feasible one is that group's best and a walk
    stops as soon as no later option can win. Capacities only go down during the week: each
    list keeps a cursor past its leading sites with no capacity left, and a walk that meets a
    full site further on jumps past the run of full sites it starts (path compression).

    ``option_site``, ``option_reach``: per entry of ``type_sites``, the site and its reach.
    """
    n = rows.shape[0]
    n_lists = len(type_ptr) - 1
    choice = np.full(n, NONE, np.int32)
    anchor = np.full(n, -1, np.int32)
    travel = np.zeros(n, np.float32)
    cursor = list_ptr[:-1].copy()
    after = np.arange(1, len(list_entry) + 1, dtype=np.int64)  # where a walk goes on
    for oi in range(n):
        k = rows[oi, TYPE]
        flags = rows[oi, FLAGS]
        best = np.inf
        best_site = NONE
        best_anchor = -1
        best_key = (2, 0, 0)  # (pass, entry, anchor) of the best site
        if flags & DIGITAL_OK:
            best = digital_effort
            best_site = DIGITAL
        tol = tolerance[k]
        if flags & DEPENDENT:
            tol = tol * dependent_factor
        employed = (flags & EMPLOYED) != 0
        mode = rows[oi, MODE]
        home = rows[oi, HOME]
        for pass_ in range(2):
            kk = k if pass_ == 0 else rows[oi, ALT]
            if kk < 0:
                continue
            for a in range(3):
                origin = rows[oi, HOME + a]
                # an anchor in the commune of an earlier one, under the same rules, finds the
                # same options later in the order: nothing better
                if a == 1 and not employed and origin == home:
                    continue
                if a == 2 and (origin == home or (not employed and origin == rows[oi, WORK])):
                    continue
                for cls in range(2):
                    capped = cls == 1 and employed  # weekday daytime: from work, on a break
                    if capped and a != 1:
                        continue
                    cap = min(tol, work_break_min) if capped else tol
                    j = (((mode * n_communes + origin) * n_lists + kk) * 2) + cls
                    q = cursor[j]
                    end = list_ptr[j + 1]
                    while q < end and remaining[option_site[list_entry[q]]] <= 0:
                        q += 1
                    cursor[j] = q
                    while q < end:
                        t = list_minutes[q]
                        if t > cap or t > best:
                            break
                        p = list_entry[q]
                        if t == best and (best_site < 0 or (pass_, p, a) >= best_key):
                            break
                        s = option_site[p]
                        if remaining[s] <= 0:
                            # full for the rest of the week: jump past the run of full sites
                            # it starts and remember the jump (a full site never decides a
                            # walk: the next open one stops it the same way or later)
                            r = after[q]
                            while r < end and remaining[option_site[list_entry[r]]] <= 0:
                                r = after[r]
                            while q < r:
                                x = after[q]
                                after[q] = r
                                q = x
                            continue
                        q += 1
                        if t <= min(cap, option_reach[p]):
                            best = t
                            best_site = s
                            best_anchor = origin
                            best_key = (pass_, p, a)
                            break
        if best_site != NONE:
            i = rows[oi, NEED]
            choice[i] = best_site
            if best_site >= 0:
                remaining[best_site] -= 1
                travel[i] = best
                anchor[i] = best_anchor
    return choice, anchor, travel


class WeekTables:
    """A run's last week's table of minutes to the sites and its option lists.

    One per model (never shared: a process may step several models, e.g. the page's sessions
    in threads). They are kept while the sites, their types and the tolerances stay. Built
    from the travel lists when first asked for: the table by
    :func:`~softsim.territory.travel.site_columns`, the lists by :func:`_option_lists` from
    each commune's communes nearest first (:func:`_nearest_first`, kept while the travel lists
    and the bound stay: sites come and go every week, the roads do not). A run's travel lists
    are never changed in place, so the same lists, sites and tolerances give the same tables.
    Stacked dense matrices (tests) are converted every call.
    """

    def __init__(self) -> None:
        self.key: tuple = ()
        self.table = None
        self.lists: tuple = ()
        self.travel: tuple = ()  # the travel lists (ptr, idx, values) of the key
        self.near_key: tuple = ()
        self.near: tuple = ()

    def _update(self, minutes, arrays: tuple, bound: float) -> None:
        if isinstance(minutes, np.ndarray) or not (
            self.key
            and self.key[0] is minutes
            and self.key[1] == bound
            and all(np.array_equal(x, y) for x, y in zip(self.key[2], arrays, strict=True))
        ):
            self.travel = Travel.dense(minutes) if isinstance(minutes, np.ndarray) else minutes
            self.table = None
            self.lists = ()
            self.key = (minutes, bound, tuple(np.array(x) for x in arrays))

    def get(self, minutes, site_commune, site_off_work, type_ptr, option_site, bound,
            lists: bool):
        """The ``(modes, communes, sites)`` table, or ``(ptr, entry, minutes)`` lists."""
        self._update(minutes, (site_commune, site_off_work, type_ptr, option_site), bound)
        if not lists:
            if self.table is None:
                self.table = site_columns(*self.travel, site_commune)
            return self.table
        if not self.lists:
            if isinstance(minutes, np.ndarray) or not (
                self.near_key and self.near_key[0] is minutes and self.near_key[1] == bound
            ):
                self.near = _nearest_first(*self.travel, bound)
                self.near_key = (minutes, bound)
            self.lists = _option_lists(*self.near, self.n_communes, site_commune, type_ptr,
                                       option_site, site_off_work)
        return self.lists

    @property
    def n_communes(self) -> int:
        """Communes of the travel lists (origins of the table and the lists)."""
        return len(self.travel[0]) - 1


SCAN_MAX_SITES = 8
"""Up to this many entries per type list on average, the kernel scans every site: sorted
lists pay off only when types have many sites (both give the same result)."""


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
    lists: bool | None = None,
    tables: WeekTables | None = None,
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
        lists: Read each commune's options from sorted lists (``True``) or scan every site
            of the type (``False``); ``None``: lists when types have more than
            :data:`SCAN_MAX_SITES` sites on average. The result is the same.
        tables: The run's :class:`WeekTables`, kept from week to week; ``None``: built for
            this call only.

    Returns:
        ``(choice, anchor, travel)`` per need: site index, ``DIGITAL`` or ``NONE``; the commune
        of the anchor travelled from (-1 if none); one-way travel minutes (0 if not at a site).
    """
    option_site = np.asarray(type_sites, np.int64)
    tolerance = np.asarray(tolerance)
    dependent_factor = np.float32(dependent_factor)
    # no need reaches farther than its tolerance (times the dependent factor)
    bound = float(max(tolerance.max(initial=0), (tolerance * dependent_factor).max(initial=0)))
    n_lists = len(type_ptr) - 1
    use_lists = len(option_site) > SCAN_MAX_SITES * max(n_lists, 1) if lists is None else lists
    site_off_work = (np.asarray(site_slots) & SLOT_OFF_WORK) != 0
    kept = WeekTables() if tables is None else tables
    tables = kept.get(
        minutes,
        np.asarray(site_commune, np.int64),
        site_off_work,
        np.asarray(type_ptr, np.int64),
        option_site,
        bound,
        use_lists,
    )
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
    option_reach = np.asarray(site_reach)[option_site]
    factors = (dependent_factor, np.float32(digital_effort), np.float32(work_break_min))
    if use_lists:
        return _allocate_lists(
            rows, kept.n_communes, *tables, remaining, type_ptr, option_site,
            option_reach, tolerance, *factors,
        )
    return _allocate_scan(
        rows, tables, remaining, type_ptr, option_site, site_off_work[option_site],
        option_reach, tolerance, *factors,
    )
