"""The territory: communes as nodes of a road graph, with travel times by mode.

Every generator (synthetic, grid, real communes) produces positions and populations; this module
turns them into one :class:`Territory` through one code path: classes by population thresholds,
roads (a Delaunay triangulation unless the generator gives its own edges, as the grid does), and
shortest-path travel times with :mod:`scipy.sparse.csgraph`, kept as sparse neighbour lists within
a run's cutoff (:mod:`softsim.territory.travel`), so there is no cap on the number of communes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay

from softsim.config import CLASSES, TerritoryConfig, TravelConfig
from softsim.errors import TerritoryError
from softsim.territory.travel import RoadGraph, Travel

__all__ = ["Border", "Territory", "assemble"]

POLE, BOURG, VILLAGE = (CLASSES.index(c) for c in ("pole", "bourg", "village"))


@dataclass(frozen=True, eq=False)
class Border:
    """Communes outside the territory, within ``territory.border_km`` of it.

    They are nodes ``n … n + m - 1`` of the road graph (after the territory's own communes);
    their inhabitants are not simulated. Attributes as in :class:`Territory`, plus ``dep``.
    """

    code: np.ndarray
    name: np.ndarray
    dep: np.ndarray
    population: np.ndarray
    x_km: np.ndarray
    y_km: np.ndarray
    cls: np.ndarray

    @property
    def m(self) -> int:
        """Number of border communes."""
        return len(self.population)


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
        graph: The road graph with segment minutes and km, and in-commune access (travel
            times are computed from it: :meth:`travel` for a run, the dense ``car_min``,
            ``nocar_min`` and ``road_km`` for inspection of small territories).
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
    graph: RoadGraph
    attribution: str = ""
    border: Border | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of communes."""
        return len(self.population)

    def travel(self, cutoff_min: float, slow_kmh: float) -> Travel:
        """The sparse travel times of every pair a run can use (built once per cutoff).

        Args:
            cutoff_min: One-way minutes beyond which the run's rules look at no pair
                (:func:`~softsim.territory.travel.travel_cutoff`).
            slow_kmh: The fastest speed of a mode without a car (no-car, booked ride): pairs
                within the km it covers in ``cutoff_min`` are kept too.
        """
        key = ("travel", float(cutoff_min), float(slow_kmh))
        if key not in self._cache:
            self._cache[key] = Travel.build(self.graph, cutoff_min, slow_kmh, inside=self.n)
        return self._cache[key]

    def _dense(self, k: int) -> np.ndarray:
        if "dense" not in self._cache:
            self._cache["dense"] = self.graph.rows(np.arange(self.n))[:, :, : self.n]
        return self._cache["dense"][k]

    @property
    def car_min(self) -> np.ndarray:
        """Dense car minutes between communes, access included (n × n: small territories)."""
        return self._dense(0)

    @property
    def nocar_min(self) -> np.ndarray:
        """Dense minutes without a car (n × n: small territories)."""
        return self._dense(1)

    @property
    def road_km(self) -> np.ndarray:
        """Dense road km between communes, access included (n × n: small territories)."""
        return self._dense(2)

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
            "median_car_min_to_largest": round(float(np.median(self._to_largest())), 1),
        }


    def _to_largest(self) -> np.ndarray:
        g = self.graph
        car_path, _ = g.paths(np.array([int(np.argmax(self.population))]))
        minutes = g.access_km / g.intra_speed_kmh * 60.0 + car_path[0]
        return minutes[: self.n].astype(np.float32)


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
    border: dict | None = None,
) -> Territory:
    """Build a :class:`Territory` from commune positions and populations.

    ``border`` (columns of :class:`Border` plus ``area_km2``) adds communes outside the
    territory to the road graph, after the territory's own.
    """
    n = len(population)
    if n < 2:
        raise TerritoryError(f"territory {label}: expected at least 2 communes, got {n}")
    population = np.asarray(population, dtype=np.int64)
    cls = classify(population, cfg)
    ring = None
    gx, gy, g_cls, g_area = x_km, y_km, cls, area_km2
    if border is not None and len(border["population"]):
        ring_pop = np.asarray(border["population"], dtype=np.int64)
        ring_cls = np.full(len(ring_pop), VILLAGE, dtype=np.int8)  # thresholds only
        ring_cls[ring_pop >= cfg.bourg_min_population] = BOURG
        ring_cls[ring_pop >= cfg.pole_min_population] = POLE
        ring = Border(
            code=np.asarray(border["code"], dtype=object),
            name=np.asarray(border["name"], dtype=object),
            dep=np.asarray(border["dep"], dtype=object),
            population=ring_pop,
            x_km=np.asarray(border["x_km"], np.float64),
            y_km=np.asarray(border["y_km"], np.float64),
            cls=ring_cls,
        )
        gx, gy = np.concatenate([x_km, ring.x_km]), np.concatenate([y_km, ring.y_km])
        g_cls = np.concatenate([cls, ring_cls])
        g_area = np.concatenate([area_km2, np.asarray(border["area_km2"], np.float64)])
    g_edges = edges
    if edges is None:
        g_edges = delaunay_edges(gx, gy)
        edges = g_edges[(g_edges < n).all(axis=1)] if ring is not None else g_edges
    a, b = g_edges[:, 0], g_edges[:, 1]
    km = np.hypot(gx[a] - gx[b], gy[a] - gy[b]) * travel.detour_factor
    km = np.maximum(km, 0.1)
    main_road = (g_cls[a] != VILLAGE) | (g_cls[b] != VILLAGE)
    speed = np.where(main_road, travel.road_speed_kmh, travel.local_road_speed_kmh)
    n_g = len(gx)
    if connected_components(coo_matrix((km, (a, b)), shape=(n_g, n_g)), directed=False)[0] > 1:
        raise TerritoryError(f"territory {label}: the road graph is not connected")
    # Residents live spread over their commune: mean distance to the centre of a disc of the
    # commune's area is 2R/3.
    access_km = (2.0 / 3.0) * np.sqrt(np.maximum(g_area, 0.01) / np.pi)
    graph = RoadGraph(
        a=a,
        b=b,
        edge_min=km / speed * 60.0,
        edge_km=km,
        access_km=np.asarray(access_km, np.float64),
        intra_speed_kmh=travel.intra_commune_speed_kmh,
        nocar_speed_kmh=travel.nocar_speed_kmh,
        nocar_wait_min=travel.nocar_wait_min,
        min_speed_kmh=min(travel.road_speed_kmh, travel.local_road_speed_kmh),
        max_speed_kmh=max(travel.road_speed_kmh, travel.local_road_speed_kmh),
    )
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
        graph=graph,
        attribution=attribution,
        border=ring,
    )
