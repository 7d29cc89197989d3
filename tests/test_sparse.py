"""Sparse travel times: the same numbers as the dense matrices, and the same runs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra, shortest_path

from dense_reference import REFERENCE_DIR, RUNS, file_name, summary
from golden_run import COMPARED
from softsim.config import TerritoryConfig, TravelConfig, load_config
from softsim.rng import SeedTree
from softsim.territory import build_territory
from softsim.territory.travel import _dijkstra_many, travel_cutoff


def _dense_reference(t):
    """The three matrices as the dense code computed them (all pairs with scipy)."""
    g, n = t.graph, t.n
    car = shortest_path(coo_matrix((g.edge_min, (g.a, g.b)), shape=(n, n)).tocsr(),
                        method="D", directed=False)
    km = shortest_path(coo_matrix((g.edge_km, (g.a, g.b)), shape=(n, n)).tocsr(),
                       method="D", directed=False)
    travel = TravelConfig()
    access = g.access_km
    road_km = access[:, None] + km
    car_min = access[:, None] / travel.intra_commune_speed_kmh * 60.0 + car
    wait = np.full((n, n), travel.nocar_wait_min)
    np.fill_diagonal(wait, 0.0)
    nocar = wait + road_km / travel.nocar_speed_kmh * 60.0
    return [m.astype(np.float32) for m in (car_min, nocar, road_km)]


@pytest.fixture(scope="module", params=["dep:23", "dep:48", "synthetic"])
def territory(request):
    return build_territory(TerritoryConfig(spec=request.param), TravelConfig(), SeedTree(1))


def test_stored_pairs_are_the_dense_values(territory):
    t = territory
    dense = _dense_reference(t)
    travel = t.travel(45.0, 40.0)
    rows = np.repeat(np.arange(t.n), np.diff(travel.ptr))
    stored = np.zeros((t.n, t.n), bool)
    stored[rows, travel.idx] = True
    for k, matrix in enumerate(dense):
        assert np.array_equal(matrix[rows, travel.idx], travel.values[k])
    # every pair within the cutoff by car, or within 30 km (40 km/h × 45 min) of road, is kept
    assert not ((dense[0] <= 45.0) & ~stored).any()
    assert not ((dense[2] <= 30.0) & ~stored).any()
    assert stored.sum() < t.n * t.n  # and not every pair: it is sparse
    for k, name in enumerate(("car_min", "nocar_min", "road_km")):
        assert np.array_equal(getattr(t, name), dense[k])


def test_rows_columns_and_pairs_are_exact_beyond_the_cutoff(territory):
    t = territory
    dense = _dense_reference(t)
    travel = t.travel(20.0, 18.0)  # a short cutoff: most pairs are not stored
    far = np.argsort(dense[0][0])[-5:]
    for k, kind in enumerate(("car", "nocar", "km")):
        assert np.array_equal(travel.rows(kind, [0, 3]), dense[k][[0, 3]])
        assert np.array_equal(travel.columns(kind, far), dense[k][:, far])
        i = np.arange(t.n)
        assert np.array_equal(travel.pairs(kind, i, i[::-1]), dense[k][i, i[::-1]])


def test_compiled_dijkstra_matches_scipy(territory):
    g, n = territory.graph, territory.n
    src = np.arange(0, n, 3)
    for w, name in ((g.edge_min, "min"), (g.edge_km, "km")):
        graph = coo_matrix((w, (g.a, g.b)), shape=(n, n)).tocsr()
        for limit in (np.inf, 25.0):
            expected = dijkstra(graph, directed=False, indices=src, limit=limit)
            assert np.array_equal(_dijkstra_many(*g._graph(name), src, limit), expected)


def test_cutoff_covers_every_tolerance_and_reach():
    cfg = load_config("hard")
    assert travel_cutoff(cfg) == max(s.tolerance_min for s in cfg.services.values())
    wide = load_config("hard", ["services.health.tolerance_min=95"])
    assert travel_cutoff(wide) == 95.0
    reach = load_config("soft", ["orchestrator.reach_min=120"])
    assert travel_cutoff(reach) == 120.0


@pytest.mark.parametrize("scenario,spec", sorted(RUNS))
def test_runs_equal_the_dense_code(scenario, spec):
    """Summaries equal those written by the code with dense matrices (tests/dense_reference.py).

    Keys added since (``served_border``, 0 without a border) are not in the reference files.
    """
    expected = json.loads((REFERENCE_DIR / file_name(scenario, spec)).read_text())
    got = json.loads(json.dumps(summary(scenario, spec)))
    assert set(COMPARED) == set(expected)
    for part in COMPARED:
        if isinstance(got[part], dict):
            got[part] = {k: v for k, v in got[part].items() if k in expected[part]}
        assert got[part] == expected[part], part


@pytest.mark.slow
def test_a_region_beyond_the_old_cap_builds_with_sparse_memory():
    t = build_territory(TerritoryConfig(spec="reg:75"), TravelConfig(), SeedTree(1))
    assert t.n == 4293 > 3000
    travel = t.travel(45.0, 40.0)
    per_commune = len(travel.idx) / t.n
    assert per_commune < 0.2 * t.n  # neighbours, not communes
    assert travel.nbytes < 0.1 * 3 * 4 * t.n * t.n  # under a tenth of three dense matrices
