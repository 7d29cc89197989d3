"""The compiled outcome passes (softsim.outcome_kernels) against plain numpy on random weeks."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from softsim.demand import NeedPool
from softsim.outcome_kernels import book_week, close_week
from softsim.services.mobile import HomeVisits
from softsim.territory.travel import Travel

N_RES, N_COMMUNES, N_TYPES, N_SITES = 500, 12, 4, 7


def _residents(rng):
    return SimpleNamespace(
        home=np.sort(rng.integers(0, N_COMMUNES, N_RES)).astype(np.int32),
        car=rng.random(N_RES) < 0.7,
        employed=rng.random(N_RES) < 0.5,
        low_skill=rng.random(N_RES) < 0.4,
        served=rng.integers(0, 5, N_RES).astype(np.uint16),
        served_in_person=rng.integers(0, 5, N_RES).astype(np.uint16),
        abandoned=rng.integers(0, 5, N_RES).astype(np.uint16),
        wait_weeks_sum=(rng.random(N_RES) * 7).astype(np.float32),
        travel_min_sum=(rng.random(N_RES) * 50).astype(np.float32),
    )


def _copy(res):
    return SimpleNamespace(**{k: v.copy() for k, v in vars(res).items()})


def _travel(rng):
    """Sparse km pairs: each commune's neighbours, some pairs left out (read exactly)."""
    km = (rng.random((N_COMMUNES, N_COMMUNES)) * 40).astype(np.float32)
    stored = rng.random((N_COMMUNES, N_COMMUNES)) < 0.8
    np.fill_diagonal(stored, True)
    ptr = np.concatenate([[0], np.cumsum(stored.sum(axis=1))]).astype(np.int64)
    idx = np.nonzero(stored)[1].astype(np.int32)
    values = np.stack([km[stored]] * 3)

    class Exact:  # Travel's reads of a pair not stored come from the exact rows
        def pairs(self, kind, i, j):
            return km[i, j]

        csr = Travel.csr

    t = Exact()
    t.ptr, t.idx, t.values = ptr, idx, values
    return t, km


def _week(rng, n):
    pool = NeedPool(
        resident=rng.integers(0, N_RES, n).astype(np.int32),
        type=rng.integers(0, N_TYPES, n).astype(np.int8),
        arrival=rng.integers(0, 10, n).astype(np.int32),
        digitisable=rng.random(n) < 0.5,
        level=(rng.random(n) < 0.1).astype(np.int8),
        ready=rng.integers(0, 12, n).astype(np.int32),
    )
    choice = rng.integers(-2, N_SITES, n).astype(np.int32)  # -2 online, -1 none
    at = choice >= 0
    now = SimpleNamespace(
        choice=choice,
        anchor=np.where(at, rng.integers(0, N_COMMUNES, n), -1).astype(np.int32),
        travel=np.where(at, rng.random(n) * 400, 0).astype(np.float32),  # some above 300
        mode=rng.integers(0, 3, n).astype(np.int8),
        digital_failed=rng.random(n) < 0.3,
        visits=HomeVisits((choice == -1) & (rng.random(n) < 0.3), 0.0, np.zeros(0, np.int32),
                          np.zeros(0, np.int32)),
        sites=SimpleNamespace(commune=rng.integers(0, N_COMMUNES, N_SITES).astype(np.int32)),
    )
    offers = rng.random((N_SITES, N_TYPES)) < 0.6
    oriented = at & (rng.random(n) < 0.2)
    return pool, now, offers, oriented


def _add_at(target, idx, value):
    np.add.at(target, idx, np.asarray(value, target.dtype))


@pytest.mark.parametrize("seed", range(6))
def test_book_week_is_the_numpy_booking(seed):
    rng = np.random.default_rng(seed)
    res, (travel, km_dense) = _residents(rng), _travel(rng)
    pool, now, offers, oriented = _week(rng, int(rng.integers(0, 400)))
    week = 10
    # the numpy reference: the outcomes phase as it was written with numpy passes
    ref, ref_hist = _copy(res), np.zeros(301, np.int64)
    choice = now.choice
    contact = choice >= 0
    at_site = contact & ~oriented
    online = choice == -2
    served = at_site | online | now.visits.visited
    wait = (week - pool.arrival[served]).astype(np.float32)
    travel_site = now.travel[at_site]
    _add_at(ref.served, pool.resident[served], 1)
    _add_at(ref.wait_weeks_sum, pool.resident[served], wait)
    _add_at(ref.served_in_person, pool.resident[at_site], 1)
    _add_at(ref.travel_min_sum, pool.resident[at_site], travel_site)
    ref_hist += np.bincount(np.minimum(travel_site, 300).astype(np.int64), minlength=301)
    km = km_dense[now.anchor[contact], now.sites.commune[choice[contact]]]
    mediated = at_site & now.digital_failed & ~offers[np.maximum(choice, 0), pool.type]
    low = mediated & res.low_skill[pool.resident]

    got, hist = _copy(res), np.zeros(301, np.int64)
    b = book_week(pool, now, got, offers, travel, week, hist, oriented)

    for name in ("served", "served_in_person", "wait_weeks_sum", "travel_min_sum"):
        assert np.array_equal(getattr(got, name), getattr(ref, name)), name
    assert np.array_equal(hist, ref_hist)
    assert np.array_equal(b.served, served) and np.array_equal(b.at_site, at_site)
    assert np.array_equal(b.r_served, pool.resident[served])
    assert np.array_equal(b.wait, wait) and np.array_equal(b.travel, travel_site)
    assert np.array_equal(b.contact, np.flatnonzero(contact))
    assert b.km.dtype == np.float32 and np.array_equal(b.km, km)
    assert np.array_equal(b.mode, now.mode[contact])
    assert np.array_equal(b.home, res.home[pool.resident[contact]])
    assert np.array_equal(b.car, res.car[pool.resident[contact]])
    assert np.array_equal(b.r_low, pool.resident[low])
    assert (b.online, b.visited, b.mediated) == (
        int(online.sum()), int(now.visits.visited.sum()), int(mediated.sum())
    )
    assert float(b.travel.sum()) == float(travel_site.sum())  # the counter's sum, same order


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("weighted", [False, True])
def test_close_week_is_the_numpy_map_and_expiry(seed, weighted):
    rng = np.random.default_rng(100 + seed)
    res = _residents(rng)
    pool, _, _, oriented = _week(rng, int(rng.integers(0, 400)))
    n, week = len(pool), 9
    served = rng.random(n) < 0.4
    oriented &= ~served
    type_weight = rng.random(N_TYPES) * 3
    resident_weight = rng.random(N_RES) * 2
    access = 1.0 + rng.random(n) if weighted else None
    patience = rng.integers(1, 8, N_TYPES).astype(np.int32)
    # the numpy reference: unmet_map, then keep(~served), expiry, keep(~expired)
    ref, ref_pool = _copy(res), NeedPool(**{k: v.copy() for k, v in vars(pool).items()})
    new = ~served & ~oriented & (pool.arrival == week)
    r, k = pool.resident[new], pool.type[new]
    weight = type_weight[k] * resident_weight[r]
    if weighted:
        weight = weight * access[new]
    unmet = np.zeros((N_COMMUNES, N_TYPES, 2), np.float32)
    cell = (res.home[r].astype(np.int64) * N_TYPES + k) * 2 + res.employed[r]
    _add_at(unmet.reshape(-1), cell, weight)
    ref_pool.keep(~served)
    expired = week - ref_pool.arrival + 1 >= patience[ref_pool.type]
    _add_at(ref.abandoned, ref_pool.resident[expired], 1)
    ref_pool.keep(~expired)

    got = _copy(res)
    got_unmet, abandoned = close_week(pool, served, oriented, week, type_weight,
                                      resident_weight, access, got, N_COMMUNES, patience)
    assert np.array_equal(got_unmet, unmet)
    assert abandoned == int(expired.sum())
    assert np.array_equal(got.abandoned, ref.abandoned)
    for name in ("resident", "type", "arrival", "digitisable", "level", "ready"):
        a, b = getattr(pool, name), getattr(ref_pool, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
