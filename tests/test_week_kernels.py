"""The compiled kernels of the needs and options phases against plain numpy references.

Each reference below is the numpy (or plain Python) formulation the kernel replaced, written
here; every kernel is checked in its serial and in its parallel compilation.
"""

from __future__ import annotations

import numpy as np
import pytest

import softsim.threads
from softsim.awareness_kernels import express
from softsim.demand_kernels import place_needs
from softsim.information import _orient
from softsim.services.digital_kernels import attempts
from softsim.transport_kernels import own_modes, share_rides


@pytest.fixture(params=["serial", "parallel"])
def compilation(request, monkeypatch):
    """Run the kernels in their serial, then in their parallel compilation."""
    if request.param == "parallel":
        monkeypatch.setattr(softsim.threads, "PARALLEL_MIN", 0)
        monkeypatch.setattr(softsim.threads, "ONLY_SPARE_CORES", False)
    else:
        monkeypatch.setattr(softsim.threads, "PARALLEL_MIN", 10**12)
    return request.param


def _reference_express(resident, type_, active, week, awareness, updated, home, aware_count,
                       per_commune, ambient, configured, learn, mu, u, latent, not_taken_up):
    """The two-state chain evaluated in full, need after need (as before the kernels)."""
    for j in range(len(resident)):
        r = resident[j]
        dt = week - updated[r]
        if not active or dt <= 0:
            continue
        updated[r] = week
        c = home[r]
        new = 0
        for k in range(len(ambient)):
            s0 = int((awareness[r] >> k) & 1)
            share = aware_count[c, k] / max(per_commune[c], 1.0)
            lam = ambient[k] * share / configured[k] + learn
            total = lam + mu
            p = float(s0)
            if total > 0:
                pi = lam / total
                p = pi + (s0 - pi) * np.exp(-total * dt)
            b = 1 if u[j, k] < p else 0
            aware_count[c, k] += b - s0
            new |= b << k
        awareness[r] = new
    aware = ((awareness[resident] >> type_.astype(np.uint16)) & 1).astype(bool)
    np.add.at(latent, resident, 1)
    np.add.at(not_taken_up, resident[~aware], 1)
    return aware


def _population(rng, n=600, n_communes=9, n_types=6):
    home = rng.integers(0, n_communes, n).astype(np.int32)
    home[:3] = n_communes - 1
    awareness = rng.integers(0, 2**n_types, n).astype(np.uint16)
    per_commune = np.bincount(home, minlength=n_communes + 1).astype(np.float64)  # one empty
    bits = (awareness[:, None] >> np.arange(n_types, dtype=np.uint16)) & 1
    aware_count = np.stack([np.bincount(home, weights=bits[:, k], minlength=n_communes + 1)
                            for k in range(n_types)], axis=1).astype(np.int64)
    return home, awareness, per_commune, aware_count


@pytest.mark.parametrize("active", [True, False])
def test_express_as_reference(compilation, active):
    rng = np.random.default_rng(11)
    home, awareness, per_commune, aware_count = _population(rng)
    n, n_types = len(home), aware_count.shape[1]
    configured = rng.uniform(0.2, 0.95, n_types)
    ambient = 0.004 * configured / (1 - configured)
    ambient[0] = 0.0  # a type nobody learns of by word of mouth
    mine = [awareness.copy(), np.zeros(n, np.int32), aware_count.copy(),
            np.zeros(n, np.uint16), np.zeros(n, np.uint16)]
    ref = [a.copy() for a in mine]
    for week, learn, mu in [(1, 0.0, 0.004), (2, 0.01, 0.004), (9, 0.0, 0.0), (40, 0.002, 0.3)]:
        resident = rng.integers(0, n, 700).astype(np.int32)  # with repeats within the week
        type_ = rng.integers(0, n_types, len(resident)).astype(np.int8)
        u = rng.random((len(resident), n_types))
        a_mine = express(resident, type_, active, week, mine[0], mine[1], home, mine[2],
                         per_commune, ambient, configured, learn, mu, u, mine[3], mine[4])
        a_ref = _reference_express(resident, type_, active, week, ref[0], ref[1], home, ref[2],
                                   per_commune, ambient, configured, learn, mu, u, ref[3],
                                   ref[4])
        np.testing.assert_array_equal(a_mine, a_ref)
        for got, want in zip(mine, ref, strict=True):
            np.testing.assert_array_equal(got, want)
    assert mine[4].sum() > 0 and mine[3].sum() > mine[4].sum()


def test_place_needs_as_numpy():
    rng = np.random.default_rng(5)
    n_res, n_bands, n_types = 3_000, 4, 5
    age = rng.integers(0, n_bands, n_res)
    age[age == 2] = 1  # an empty band
    by_band = np.argsort(age, kind="stable").astype(np.int32)
    band_size = np.bincount(age, minlength=n_bands).astype(np.int64)
    band_start = np.concatenate([[0], np.cumsum(band_size)[:-1]])
    type_digitisable = np.array([0.5, 0.0, 1.0, 0.7, 0.3])
    counts = rng.poisson(40.0, (n_types, n_bands))
    counts[:, 2] = 0
    total = int(counts.sum())
    u, v = rng.random(total), rng.random(total)
    u[0] = np.nextafter(1.0, 0.0)  # rounding up to the band's end: its last resident
    types = np.repeat(np.repeat(np.arange(n_types, dtype=np.int8), n_bands), counts.ravel())
    bands = np.repeat(np.tile(np.arange(n_bands), n_types), counts.ravel())
    pick = band_start[bands] + (u * band_size[bands]).astype(np.int64)
    residents = by_band[np.minimum(pick, n_res - 1)]
    r, k, dig = place_needs(counts, band_start, band_size, by_band, type_digitisable, u, v)
    np.testing.assert_array_equal(r, residents)
    np.testing.assert_array_equal(k, types)
    np.testing.assert_array_equal(dig, v < type_digitisable[types])
    assert (r.dtype, k.dtype, dig.dtype) == (np.int32, np.int8, np.bool_)
    assert dig.any() and not dig.all()
    assert (age[r] == bands).all()


def test_orient_as_reference():
    rng = np.random.default_rng(13)
    home, awareness, per_commune, aware_count = _population(rng, n=1_500)
    served = rng.integers(0, len(home), 2_000).astype(np.int32)  # with repeats
    u = rng.random((len(served), aware_count.shape[1]))
    before = aware_count.copy()
    want_aw, want_count = awareness.copy(), aware_count.copy()
    for j, r in enumerate(served):  # the sequential loop, type by type
        for k in range(aware_count.shape[1]):
            if u[j, k] < 0.3 and not (want_aw[r] >> k) & 1:
                want_aw[r] |= np.uint16(1 << k)
                want_count[home[r], k] += 1
    _orient(served, awareness, home, aware_count, u, 0.3)
    np.testing.assert_array_equal(awareness, want_aw)
    np.testing.assert_array_equal(aware_count, want_count)
    assert (want_count > before).any()


def test_attempts_as_numpy(compilation):
    rng = np.random.default_rng(7)
    n_res, n_communes = 2_000, 13
    home = rng.integers(0, n_communes, n_res).astype(np.int32)
    rank = rng.random(n_res).astype(np.float32)
    coverage = rng.random(n_communes).astype(np.float32)
    low = rng.random(n_res) < 0.3
    resident = rng.integers(0, n_res, 5_000).astype(np.int32)
    digitisable = rng.random(len(resident)) < 0.6
    u = rng.random(len(resident))
    tried = digitisable & (rank[resident] < coverage[home[resident]])
    success = tried & (u < np.where(low[resident], 0.55, 0.9))
    ok, failed = attempts(resident, digitisable, home, rank, coverage, low, 0.9, 0.55, u)
    np.testing.assert_array_equal(ok, success)
    np.testing.assert_array_equal(failed, tried & ~success)
    assert ok.any() and failed.any()


def test_modes_as_lexsort(compilation):
    rng = np.random.default_rng(9)
    n_res, n_communes = 3_000, 11
    home = rng.integers(0, n_communes, n_res).astype(np.int32)
    car = rng.random(n_res) < 0.6
    lifts = rng.integers(0, 4, n_communes).astype(np.int64)
    trips = rng.integers(0, 30, n_communes).astype(np.int64)
    lifts[0], trips[0] = 0, 0  # nothing for the no-car needs
    lifts[1], trips[1] = 10**6, 0  # lifts for all
    lifts[2], trips[2] = 0, 10**6  # booked rides for all
    resident = rng.integers(0, n_res, 4_000).astype(np.int32)
    expected = np.where(car[resident], 0, 1).astype(np.int8)
    nocar = np.flatnonzero(expected == 1)
    u = rng.integers(0, 40, len(nocar)) / 40.0  # many ties: they keep the needs' order
    h = home[resident[nocar]]
    order = np.lexsort((u, h))
    nocar_s, h_s = nocar[order], h[order]
    rank = np.arange(len(h_s)) - np.searchsorted(h_s, h_s, side="left")
    by_lift = rank < lifts[h_s]
    by_tad = ~by_lift & (rank < lifts[h_s] + trips[h_s])
    expected[nocar_s[by_lift]] = 0
    expected[nocar_s[by_tad]] = 2
    mode = own_modes(resident, car)
    np.testing.assert_array_equal(mode, np.where(car[resident], 0, 1))
    got = share_rides(mode, resident, home, u, lifts, trips)
    np.testing.assert_array_equal(got, expected)
    assert set(np.unique(got)) == {0, 1, 2}
