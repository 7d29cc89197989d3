"""Gravity draws: the compiled kernels give the numbers of the plain numpy version, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from softsim.config import TerritoryConfig, TravelConfig
from softsim.gravity import _draw_rows, _row_values, gravity_draws
from softsim.rng import SeedTree
from softsim.territory import build_territory


def _numpy_draws(territory, draws, rng):
    """The plain numpy version: exact rows, weights, np.cumsum, np.searchsorted per origin."""
    n = territory.n
    us = [rng.random(len(origin)) for origin, *_ in draws]
    outs = [np.empty(len(origin), dtype=np.int32) for origin, *_ in draws]
    for lo in range(0, n, 100):
        src = np.arange(lo, min(n, lo + 100))
        rows = territory.graph.rows(src)
        for (origin, kind, mass, decay_min), u, out in zip(draws, us, outs, strict=True):
            weights = mass[None, :] * np.exp(-rows[kind][:, :n] / decay_min)
            cum = np.cumsum(weights, axis=1)
            cum /= cum[:, -1:]
            for r, i in enumerate(src.tolist()):
                sel = np.flatnonzero(origin == i)
                out[sel] = np.minimum(np.searchsorted(cum[r], u[sel], side="right"), n - 1)
    return outs


@pytest.fixture(scope="module", params=["dep:23", "dep:48"])
def territory(request):
    return build_territory(TerritoryConfig(spec=request.param), TravelConfig(), SeedTree(1))


def test_draws_equal_the_numpy_version(territory):
    t = territory
    rng = np.random.default_rng(5)
    mass = t.population.astype(np.float64) + 1.0
    origins = [rng.integers(0, t.n, size) for size in (3000, 2000, 500)]
    origins[2][:] = origins[2][0]  # every resident of one draw in one commune
    draws = [(origins[0], 0, mass, 20.0), (origins[1], 0, mass**1.5, 12.0),
             (origins[2], 1, mass**1.5, 12.0)]
    got = gravity_draws(t, draws, np.random.default_rng(9))
    expected = _numpy_draws(t, draws, np.random.default_rng(9))
    for g, e in zip(got, expected, strict=True):
        assert np.array_equal(g, e)
    assert len(np.unique(got[0])) > 10  # the draws spread over many communes


def test_row_values_are_those_of_the_road_graph(territory):
    g, n = territory.graph, territory.n
    src = np.arange(0, n, 7)
    car_path, km_path = g.paths(src)
    car, nocar = _row_values(g.access_km, src, car_path, km_path, n, float(g.intra_speed_kmh),
                             float(g.nocar_speed_kmh), float(g.nocar_wait_min))
    expected = g.values(src, car_path, km_path)
    assert np.array_equal(car, expected[0][:, :n])
    assert np.array_equal(nocar, expected[1][:, :n])


def test_kernel_on_random_weights_with_ties_and_zeros():
    rng = np.random.default_rng(3)
    rows, n, residents = 7, 50, 400
    decayed = rng.random((rows, n)).astype(np.float32)
    decayed[:, 10:20] = 0.0  # zero weights: ties in the cumulative sums
    mass = rng.random(n) * 100
    origin = rng.integers(0, rows, residents) + 3  # origins 3 … 9, rows start at commune 3
    u = rng.random(residents)
    u[:5] = 0.0
    u[5:10] = np.nextafter(1.0, 0.0)
    order = np.argsort(origin, kind="stable")
    bounds = np.searchsorted(origin[order], np.arange(rows + 3 + 1))
    out = np.full(residents, -1, np.int32)
    _draw_rows(decayed, mass, 3, bounds, order, u, out)
    cum = np.cumsum(mass[None, :] * decayed, axis=1)
    cum /= cum[:, -1:]
    expected = np.array([min(np.searchsorted(cum[o - 3], x, side="right"), n - 1)
                         for o, x in zip(origin, u, strict=True)])
    assert np.array_equal(out, expected)
    assert not np.isin(out, np.arange(10, 20)).any()  # a zero weight is never drawn
