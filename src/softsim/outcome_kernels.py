"""Compiled passes of the week's outcomes: book what was served, then close the pool.

:func:`book_week` books what the outcomes phase books: the residents' served counts and sums,
the travel-time histogram, the km of each contact (from this week's commune × provider table
of the stored pairs), which failed online attempts were mediated, and the arrays the later
steps draw on (the served residents, the low-skill mediated ones). :func:`close_week` then
builds the unmet-demand map the orchestrator reads, abandons the needs that ran out of
patience and compacts the pool.

Each pass scans the pool once without branches (every row is written, a count says which
stay: the served, contacts and expired needs fall at random in the pool, so branches on them
are mispredicted), then runs one tight loop per resident array (the random reads and writes of
a tight loop overlap in memory). The numbers are those of the numpy passes they replace, bit
for bit: every scatter-add runs in need order (as ``numpy.add.at`` does),
values are cast to the target's dtype before they are added, and the float sums of the week's
counters stay numpy sums over arrays in the same order (``tests/test_outcome_kernels.py``
checks each pass against a numpy reference, ``tests/test_golden.py`` the whole runs). No
random draw is made here: the draws stay where they were, on the arrays these passes return.
The passes are sequential (no thread count can change a result).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from softsim.territory.travel import KINDS, site_columns

__all__ = ["Booked", "book_week", "close_week"]

HIST_MAX = 300
"""Last whole minute of the travel-time histogram (longer trips count there)."""


@nb.njit(cache=True, nogil=True)
def _book(
    choice, oriented, visited, arrival, resident, travel, anchor, mode, need_type,
    digital_failed, week, offers, to_site_km, home, car, low_skill,
    served_count, wait_sum, in_person, travel_sum, hist,
):
    n = len(choice)
    served = np.empty(n, np.bool_)
    at_site = np.empty(n, np.bool_)
    r_served = np.empty(n, np.int32)
    wait = np.empty(n, np.float32)
    r_site = np.empty(n, np.int32)
    travel_site = np.empty(n, np.float32)
    contact = np.empty(n, np.int64)
    r_mediated = np.empty(n, np.int32)
    n_served = n_site = n_contact = n_mediated = 0
    n_online = n_visited = 0
    for i in range(n):  # without branches: each row is written, the counts say which stay
        s = choice[i]
        r = resident[i]
        is_contact = s >= 0  # travelled, oriented or not
        site = is_contact & (not oriented[i])
        online = s == -2
        ok = site | online | visited[i]
        served[i] = ok
        at_site[i] = site
        r_served[n_served] = r
        wait[n_served] = np.float32(week - arrival[i])
        n_served += ok
        r_site[n_site] = r
        travel_site[n_site] = travel[i]
        n_site += site
        contact[n_contact] = i
        n_contact += is_contact
        # mediation: a failed online attempt served at a site that does not offer the type
        mediated = site & digital_failed[i] & (not offers[max(s, 0), need_type[i]])
        r_mediated[n_mediated] = r
        n_mediated += mediated
        n_online += online
        n_visited += visited[i]
    for j in range(n_served):
        served_count[r_served[j]] += 1
    for j in range(n_served):
        wait_sum[r_served[j]] += wait[j]
    for j in range(n_site):
        in_person[r_site[j]] += 1
    for j in range(n_site):
        travel_sum[r_site[j]] += travel_site[j]
    for j in range(n_site):
        hist[np.int64(min(travel_site[j], np.float32(HIST_MAX)))] += 1
    r_low = np.empty(n_mediated, np.int32)
    n_low = 0
    for j in range(n_mediated):
        if low_skill[r_mediated[j]]:
            r_low[n_low] = r_mediated[j]
            n_low += 1
    contact = contact[:n_contact]
    c_resident = np.empty(n_contact, np.int32)
    c_mode = np.empty(n_contact, np.int8)
    for q in range(n_contact):
        c_resident[q] = resident[contact[q]]
        c_mode[q] = mode[contact[q]]
    c_home = np.empty(n_contact, np.int32)
    for q in range(n_contact):
        c_home[q] = home[c_resident[q]]
    c_car = np.empty(n_contact, np.bool_)
    for q in range(n_contact):
        c_car[q] = car[c_resident[q]]
    km = np.empty(n_contact, np.float32)  # each contact's km, from this week's table
    n_missing = 0
    for q in range(n_contact):
        i = contact[q]
        km[q] = to_site_km[anchor[i], choice[i]]
        n_missing += np.isinf(km[q])
    counts = np.array([n_online, n_visited, n_mediated, n_missing], np.int64)
    return (
        served, at_site, r_served[:n_served], wait[:n_served], travel_site[:n_site],
        contact, km, c_mode, c_home, c_car, r_low[:n_low], counts,
    )


@dataclass(frozen=True)
class Booked:
    """What :func:`book_week` booked and returns (arrays in need order).

    Attributes:
        served, at_site: Masks over the pool: served this week (at a site, online or at
            home), served at a site (not oriented further).
        r_served, wait: Resident and weeks waited of each served need.
        travel: One-way minutes of each need served at a site.
        contact: Pool index of each contact at a site (oriented ones included).
        km, mode, home, car: Per contact: one-way road km, travel mode, the resident's home
            commune and car.
        r_low: Residents of the mediated needs whose skill was low (they may learn).
        online, visited, mediated: Needs served online, visited at home, mediated.
    """

    served: np.ndarray
    at_site: np.ndarray
    r_served: np.ndarray
    wait: np.ndarray
    travel: np.ndarray
    contact: np.ndarray
    km: np.ndarray
    mode: np.ndarray
    home: np.ndarray
    car: np.ndarray
    r_low: np.ndarray
    online: int
    visited: int
    mediated: int


def book_week(pool, now, residents, offers, travel, week: int, hist: np.ndarray,
              oriented: np.ndarray) -> Booked:
    """Book the week's served needs on the residents and the histogram; see the module doc.

    Args:
        pool: The pending needs.
        now: The week's state (choice, anchor, travel minutes, modes, visits, failures).
        residents: Their ``served``, ``wait_weeks_sum``, ``served_in_person`` and
            ``travel_min_sum`` are added to.
        offers: ``(providers, types)``: which provider offers which type.
        travel: The run's travel times (contacts' km; a pair not stored is read exactly).
        week: This week.
        hist: Needs served in person by whole minute (added to).
        oriented: Contacts oriented to a second level (they travelled, were not served).
    """
    ptr, idx, _ = travel.csr("km")
    k = KINDS.index("km")
    to_site_km = site_columns(ptr, idx, travel.values[k : k + 1], now.sites.commune)[0]
    res = residents
    (served, at_site, r_served, wait, travel_site, contact, km, mode, home, car, r_low,
     counts) = _book(
        now.choice, oriented, now.visits.visited, pool.arrival, pool.resident, now.travel,
        now.anchor, now.mode, pool.type, now.digital_failed, week, offers, to_site_km,
        res.home, res.car, res.low_skill, res.served, res.wait_weeks_sum,
        res.served_in_person, res.travel_min_sum, hist,
    )
    if counts[3]:  # a pair beyond the stored ones: its exact value
        miss = np.flatnonzero(np.isinf(km))
        need = contact[miss]
        km[miss] = travel.pairs(
            "km", now.anchor[need], now.sites.commune[now.choice[need]]
        )
    return Booked(served, at_site, r_served, wait, travel_site, contact, km, mode, home, car,
                  r_low, int(counts[0]), int(counts[1]), int(counts[2]))


@nb.njit(cache=True, nogil=True)
def _close(
    served, oriented, week, resident, need_type, arrival, digitisable, level, ready,
    type_weight, resident_weight, access_weight, weighted, home, employed, n_types, unmet,
    patience, abandoned,
):
    n = len(served)
    keep = np.empty(n, np.int64)
    new = np.empty(n, np.int64)
    gone = np.empty(n, np.int32)
    n_keep = n_new = n_gone = 0
    for i in range(n):  # without branches, as in _book
        waiting = not served[i]
        new[n_new] = i  # expressed now and not served
        n_new += waiting & (not oriented[i]) & (arrival[i] == week)
        expired = week - arrival[i] + 1 >= patience[need_type[i]]
        gone[n_gone] = resident[i]
        n_gone += waiting & expired
        keep[n_keep] = i
        n_keep += waiting & (not expired)
    r_new = np.empty(n_new, np.int32)
    for q in range(n_new):
        r_new[q] = resident[new[q]]
    cell = np.empty(n_new, np.int64)
    for q in range(n_new):
        cell[q] = np.int64(home[r_new[q]]) * n_types + need_type[new[q]]
    for q in range(n_new):
        cell[q] = cell[q] * 2 + (1 if employed[r_new[q]] else 0)
    w = np.empty(n_new, np.float64)
    for q in range(n_new):
        w[q] = type_weight[need_type[new[q]]] * resident_weight[r_new[q]]
    if weighted:
        for q in range(n_new):
            w[q] = w[q] * access_weight[new[q]]
    for q in range(n_new):
        unmet[cell[q]] += np.float32(w[q])
    for q in range(n_gone):
        abandoned[gone[q]] += 1
    # the pool keeps the others, in order
    kept = keep[:n_keep]
    return (
        resident[kept], need_type[kept], arrival[kept], digitisable[kept], level[kept],
        ready[kept], n_gone,
    )


def close_week(pool, served, oriented, week, type_weight, resident_weight, access_weight,
               residents, n_communes, patience) -> tuple[np.ndarray, int]:
    """The unmet-demand map, then drop the served and abandon the expired needs.

    The map counts the needs expressed this week and neither served nor oriented, by home
    commune × type × slot class (workers: off-work hours), each with its priority weight
    (type × public × accessibility when on), as the orchestrator weighs it. A need
    not served whose wait reaches its type's ``patience`` is abandoned (the resident's
    ``abandoned`` count is added to); the pool keeps the others, in order.

    Returns:
        ``(unmet, abandoned)``: the map ``(communes, types, 2)`` float32 and the number of
        needs abandoned.
    """
    n_types = len(type_weight)
    unmet = np.zeros((n_communes, n_types, 2), np.float32)
    weighted = access_weight is not None
    aw = access_weight if weighted else np.ones(0)
    res = residents
    (pool.resident, pool.type, pool.arrival, pool.digitisable, pool.level, pool.ready,
     n_abandoned) = _close(
        served, oriented, week, pool.resident, pool.type, pool.arrival, pool.digitisable,
        pool.level, pool.ready, np.asarray(type_weight, np.float64),
        np.asarray(resident_weight, np.float64), np.asarray(aw, np.float64), weighted,
        res.home, res.employed, n_types, unmet.reshape(-1), patience, res.abandoned,
    )
    return unmet, int(n_abandoned)
