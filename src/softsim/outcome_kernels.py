"""Compiled passes of the week's outcomes: book what was served, then close the pool.

:func:`book_week` does in one pass over the pending needs what the outcomes phase books:
the residents' served counts and sums, the travel-time histogram, the km of each contact (read
from the run's CSR neighbour lists), which failed online attempts were mediated, and the
arrays the later steps draw on (the served residents, the low-skill mediated ones).
:func:`close_week` then builds the unmet-demand map the orchestrator reads, abandons the needs
that ran out of patience and compacts the pool, again in one pass.

The numbers are those of the numpy passes they replace, bit for bit: every scatter-add runs in
need order (the order of :func:`softsim.scatter.add_at`), values are cast to the target's
dtype before they are added, and the float sums of the week's counters stay numpy sums over
arrays in the same order (``tests/test_outcome_kernels.py`` checks each pass against a numpy
reference; ``tests/test_golden.py`` the whole runs). No random draw is made here: the draws
stay where they were, on the arrays these passes return. The passes are sequential: the pool
of a week is a few tens of thousands of needs at 1M residents, one pass over it costs well
under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

__all__ = ["Booked", "book_week", "close_week"]

HIST_MAX = 300
"""Last whole minute of the travel-time histogram (longer trips count there)."""


@nb.njit(cache=True, nogil=True)
def _book(
    choice, oriented, visited, arrival, resident, travel, anchor, mode, need_type,
    digital_failed, week, offers, site_commune, ptr, idx, km_values, home, car, low_skill,
    served_count, wait_sum, in_person, travel_sum, hist,
):
    n = len(choice)
    served = np.zeros(n, np.bool_)
    at_site = np.zeros(n, np.bool_)
    r_served = np.empty(n, np.int32)
    wait = np.empty(n, np.float32)
    travel_site = np.empty(n, np.float32)
    contact = np.empty(n, np.int64)
    km = np.empty(n, np.float32)
    c_mode = np.empty(n, np.int8)
    c_home = np.empty(n, np.int32)
    c_car = np.empty(n, np.bool_)
    r_low = np.empty(n, np.int32)
    n_served = n_site = n_contact = n_low = 0
    n_online = n_visited = n_mediated = n_missing = 0
    for i in range(n):
        s = choice[i]
        r = resident[i]
        site = s >= 0 and not oriented[i]
        online = s == -2
        if online:
            n_online += 1
        if visited[i]:
            n_visited += 1
        if site or online or visited[i]:
            served[i] = True
            w = np.float32(week - arrival[i])
            r_served[n_served] = r
            wait[n_served] = w
            n_served += 1
            served_count[r] += 1
            wait_sum[r] += w
        if site:
            at_site[i] = True
            t = travel[i]
            travel_site[n_site] = t
            n_site += 1
            in_person[r] += 1
            travel_sum[r] += t
            hist[np.int64(min(t, np.float32(300)))] += 1
            if digital_failed[i] and not offers[s, need_type[i]]:
                n_mediated += 1
                if low_skill[r]:
                    r_low[n_low] = r
                    n_low += 1
        if s >= 0:  # a contact travelled, oriented or not: its km by the stored pairs
            a = anchor[i]
            j = site_commune[s]
            lo = ptr[a]
            hi = ptr[a + 1]
            end = hi
            while lo < hi:
                mid = (lo + hi) >> 1
                if idx[mid] < j:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < end and idx[lo] == j:
                km[n_contact] = km_values[lo]
            else:
                km[n_contact] = np.nan
                n_missing += 1
            contact[n_contact] = i
            c_mode[n_contact] = mode[i]
            c_home[n_contact] = home[r]
            c_car[n_contact] = car[r]
            n_contact += 1
    counts = np.array([n_online, n_visited, n_mediated, n_missing], np.int64)
    return (
        served, at_site, r_served[:n_served], wait[:n_served], travel_site[:n_site],
        contact[:n_contact], km[:n_contact], c_mode[:n_contact], c_home[:n_contact],
        c_car[:n_contact], r_low[:n_low], counts,
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
    ptr, idx, km_values = travel.csr("km")
    res = residents
    (served, at_site, r_served, wait, travel_site, contact, km, mode, home, car, r_low,
     counts) = _book(
        now.choice, oriented, now.visits.visited, pool.arrival, pool.resident, now.travel,
        now.anchor, now.mode, pool.type, now.digital_failed, week, offers, now.sites.commune,
        ptr, idx, km_values, res.home, res.car, res.low_skill, res.served, res.wait_weeks_sum,
        res.served_in_person, res.travel_min_sum, hist,
    )
    if counts[3]:  # a pair beyond the stored ones: its exact value
        miss = np.flatnonzero(np.isnan(km))
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
    n_keep = n_abandoned = 0
    for i in range(n):
        if served[i]:
            continue
        r = resident[i]
        k = need_type[i]
        if not oriented[i] and arrival[i] == week:  # expressed now and not served
            w = type_weight[k] * resident_weight[r]
            if weighted:
                w = w * access_weight[i]
            cell = (np.int64(home[r]) * n_types + k) * 2 + (1 if employed[r] else 0)
            unmet[cell] += np.float32(w)
        if week - arrival[i] + 1 >= patience[k]:
            abandoned[r] += 1
            n_abandoned += 1
        else:
            keep[n_keep] = i
            n_keep += 1
    keep = keep[:n_keep]
    return (
        keep, resident[keep], need_type[keep], arrival[keep], digitisable[keep], level[keep],
        ready[keep], n_abandoned,
    )


def close_week(pool, served, oriented, week, type_weight, resident_weight, access_weight,
               residents, n_communes, patience) -> tuple[np.ndarray, int]:
    """The unmet-demand map, then drop the served and abandon the expired needs.

    The map counts the needs expressed this week and neither served nor oriented, by home
    commune × type × slot class (workers: off-work hours), each with its priority weight
    (type × public × accessibility when on), as :func:`softsim.orchestrator.unmet_map`. A need
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
    (_, pool.resident, pool.type, pool.arrival, pool.digitisable, pool.level, pool.ready,
     n_abandoned) = _close(
        served, oriented, week, pool.resident, pool.type, pool.arrival, pool.digitisable,
        pool.level, pool.ready, np.asarray(type_weight, np.float64),
        np.asarray(resident_weight, np.float64), np.asarray(aw, np.float64), weighted,
        res.home, res.employed, n_types, unmet.reshape(-1), patience, res.abandoned,
    )
    return unmet, int(n_abandoned)
