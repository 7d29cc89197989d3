"""Travel.block (exact values among a few places, rows kept) and the buses' km read through it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from softsim.config import TerritoryConfig, TravelConfig
from softsim.rng import SeedTree
from softsim.services.mobile import Bus, buses_week_km
from softsim.territory import build_territory
from softsim.territory import travel as travel_module


@pytest.fixture(scope="module")
def territory():
    cfg = TerritoryConfig(population=2000, n_communes=60)
    return build_territory(cfg, TravelConfig(), SeedTree(3))


def test_block_is_the_exact_rows_among_the_places(territory, monkeypatch):
    travel = territory.travel(20.0, 40.0)  # a short cutoff: many pairs are not stored
    exact = territory.graph.rows(np.arange(territory.n))  # (kinds, n, n), plain Dijkstra
    stored = np.zeros((territory.n, territory.n), bool)
    stored[np.repeat(np.arange(travel.n), np.diff(travel.ptr)), travel.idx] = True
    rng = np.random.default_rng(0)
    monkeypatch.setattr(travel_module, "ROW_CACHE", 16)  # the cache starts afresh, or is skipped
    seen_beyond = False
    for size in (3, 10, 3, 12, 20, 5, 1):
        places = rng.choice(territory.n, size=size, replace=size > 10)
        car, km = travel.block(("car", "km"), places)
        assert car.dtype == np.float32 and car.shape == (size, size)
        assert np.array_equal(car, exact[0][np.ix_(places, places)])
        assert np.array_equal(km, exact[2][np.ix_(places, places)])
        seen_beyond |= not stored[np.ix_(places, places)].all()
    assert seen_beyond  # some pairs were beyond the cutoff
    assert travel._block["used"] <= 16


def test_buses_week_km_is_each_bus_tour_summed_day_by_day(territory):
    travel = territory.travel(20.0, 40.0)
    km = territory.graph.rows(np.arange(territory.n))[2]
    buses = [
        SimpleNamespace(base=SimpleNamespace(coordinate=0), stops=[5, 17, 33, 41, 52]),
        SimpleNamespace(base=SimpleNamespace(coordinate=9), stops=[]),
        SimpleNamespace(base=SimpleNamespace(coordinate=30), stops=[2, 59]),
    ]
    expected = []
    for bus in buses:  # two stops a day: base -> first -> second -> base
        total, base = 0.0, bus.base.coordinate
        for i in range(0, len(bus.stops), 2):
            path = [base, *bus.stops[i : i + 2], base]
            total += sum(float(km[a, b]) for a, b in zip(path[:-1], path[1:], strict=True))
        expected.append(total)
    assert buses_week_km(buses, travel.view("km")) == expected
    assert buses_week_km(buses, km) == expected  # a dense matrix gives the same
    assert [Bus.week_km(b, travel.view("km")) for b in buses] == expected
