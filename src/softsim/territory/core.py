"""The territory: communes as nodes of a road graph, with travel times by mode.

Every generator (synthetic, grid, real communes) produces positions and populations; this module
turns them into one :class:`Territory` through one code path: classes by population thresholds,
roads (a Delaunay triangulation unless the generator gives its own edges, as the grid does), and
shortest-path travel times with :mod:`scipy.sparse.csgraph`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, shortest_path
from scipy.spatial import Delaunay

from softsim.config import CLASSES, TerritoryConfig, TravelConfig
from softsim.errors import TerritoryError

__all__ = ["Territory", "assemble", "MAX_COMMUNES"]

MAX_COMMUNES = 3000
"""Travel matrices are dense (3 × n² float32): beyond this, select a smaller area."""

POLE, BOURG, VILLAGE = (CLASSES.index(c) for c in ("pole", "bourg", "village"))


@dataclass(frozen=True, eq=False)
class Territory:
    """Communes, roads and travel times (minutes, one way; kilometres by road).

    Attributes:
        label: The spec it was built from (``synthetic``, ``dep:23`` …).
        code, name: INSEE-like code and name of each commune.
        population: Inhabitants of each commune.
        x_km, y_km: Planar position (km).
        area_km2: Area of each commune.
        cls: Class of each commune (0 pole, 1 bourg, 2 village; see ``CLASSES``).
        edges: Road segments as pairs of commune indices.
        car_min, nocar_min: Travel minutes between communes by car / without a car, including
            the access from within the origin commune to its centre.
        road_km: Road kilometres between commune centres (plus in-commune access).
        attribution: Data source line to keep wherever the data is shown.
    """

    label: str
    code: np.ndarray
    name: np.ndarray
    population: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    area_km2: np.ndarray
    cls: np.ndarray
    edges: np.ndarray
    car_min: np.ndarray
    nocar_min: np.ndarray
    road_km: np.ndarray
    attribution: str = ""

    @property
    def n(self) -> int:
        """Number of communes."""
        return len(self.population)

    def stats(self) -> dict:
        """Headline figures of the territory (for ``softsim territory show``)."""
        counts = np.bincount(self.cls, minlength=3)
        return {
            "territory": self.label,
            "communes": int(self.n),
            "population": int(self.population.sum()),
            **{f"{c}s": int(k) for c, k in zip(CLASSES, counts, strict=True)},
            "area_km2": round(float(self.area_km2.sum()), 1),
            "roads": int(len(self.edges)),
            "median_car_min_to_largest": round(
                float(np.median(self.car_min[:, int(np.argmax(self.population))])), 1
            ),
        }


def classify(population: np.ndarray, cfg: TerritoryConfig) -> np.ndarray:
    """Pole / bourg / village by population thresholds; the largest commune is always a pole."""
    cls = np.full(len(population), VILLAGE, dtype=np.int8)
    cls[population >= cfg.bourg_min_population] = BOURG
    cls[population >= cfg.pole_min_population] = POLE
    cls[int(np.argmax(population))] = POLE
    return cls


def delaunay_edges(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Road segments from the Delaunay triangulation of the commune centres."""
    n = len(x)
    if n < 3:
        return np.array([[0, 1]], dtype=np.int32) if n == 2 else np.zeros((0, 2), np.int32)
    pts = np.column_stack([x, y])
    try:
        tri = Delaunay(pts)
    except Exception:  # collinear or duplicate points: chain them by x order
        order = np.argsort(x + 1e-9 * y)
        return np.column_stack([order[:-1], order[1:]]).astype(np.int32)
    s = tri.simplices
    e = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    if len(tri.coplanar):  # communes sharing a position: link each to its nearest vertex
        e = np.concatenate([e, tri.coplanar[:, [0, 2]]])
    e.sort(axis=1)
    return np.unique(e, axis=0).astype(np.int32)


def _all_pairs(n: int, i: np.ndarray, j: np.ndarray, w: np.ndarray) -> np.ndarray:
    g = coo_matrix((w, (i, j)), shape=(n, n)).tocsr()
    return shortest_path(g, method="D", directed=False)


def assemble(
    *,
    label: str,
    code: np.ndarray,
    name: np.ndarray,
    population: np.ndarray,
    x_km: np.ndarray,
    y_km: np.ndarray,
    area_km2: np.ndarray,
    cfg: TerritoryConfig,
    travel: TravelConfig,
    edges: np.ndarray | None = None,
    attribution: str = "",
) -> Territory:
    """Build a :class:`Territory` from commune positions and populations."""
    n = len(population)
    if n < 2:
        raise TerritoryError(f"territory {label}: expected at least 2 communes, got {n}")
    if n > MAX_COMMUNES:
        raise TerritoryError(
            f"territory {label}: {n} communes, expected at most {MAX_COMMUNES} "
            "(travel matrices are dense: choose a smaller area)"
        )
    population = np.asarray(population, dtype=np.int64)
    cls = classify(population, cfg)
    if edges is None:
        edges = delaunay_edges(x_km, y_km)
    a, b = edges[:, 0], edges[:, 1]
    km = np.hypot(x_km[a] - x_km[b], y_km[a] - y_km[b]) * travel.detour_factor
    km = np.maximum(km, 0.1)
    main_road = (cls[a] != VILLAGE) | (cls[b] != VILLAGE)
    speed = np.where(main_road, travel.road_speed_kmh, travel.local_road_speed_kmh)
    car_path = _all_pairs(n, a, b, km / speed * 60.0)
    km_path = _all_pairs(n, a, b, km)
    if connected_components(coo_matrix((km, (a, b)), shape=(n, n)), directed=False)[0] > 1:
        raise TerritoryError(f"territory {label}: the road graph is not connected")
    # Residents live spread over their commune: mean distance to the centre of a disc of the
    # commune's area is 2R/3.
    access_km = (2.0 / 3.0) * np.sqrt(np.maximum(area_km2, 0.01) / np.pi)
    road_km = access_km[:, None] + km_path
    car_min = access_km[:, None] / travel.intra_commune_speed_kmh * 60.0 + car_path
    wait = np.full((n, n), travel.nocar_wait_min)
    np.fill_diagonal(wait, 0.0)
    nocar_min = wait + road_km / travel.nocar_speed_kmh * 60.0
    return Territory(
        label=label,
        code=np.asarray(code, dtype=object),
        name=np.asarray(name, dtype=object),
        population=population,
        x_km=np.asarray(x_km, dtype=np.float64),
        y_km=np.asarray(y_km, dtype=np.float64),
        area_km2=np.asarray(area_km2, dtype=np.float64),
        cls=cls,
        edges=edges,
        car_min=car_min.astype(np.float32),
        nocar_min=nocar_min.astype(np.float32),
        road_km=road_km.astype(np.float32),
        attribution=attribution,
    )
