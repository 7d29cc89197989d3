"""Seeded generators of territories: ``synthetic`` (default) and ``grid``."""

from __future__ import annotations

import numpy as np

from softsim.config import TerritoryConfig, TravelConfig
from softsim.territory.core import Territory, assemble

__all__ = ["synthetic", "grid"]


def _integer_split(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    base = np.full(len(weights), minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest <= 0:
        return base
    share = weights / weights.sum() * rest
    out = np.floor(share).astype(np.int64)
    remainder = int(rest - out.sum())
    out[np.argsort(-(share - out), kind="stable")[:remainder]] += 1
    return base + out


def _spread(points: np.ndarray, first: int, k: int, exclude: set[int]) -> list[int]:
    """Farthest-point sampling: ``k`` indices spread over the territory, after ``first``."""
    chosen = [first]
    d = np.hypot(*(points - points[first]).T)
    for i in exclude:
        d[i] = -1.0
    for _ in range(k):
        nxt = int(np.argmax(d))
        if d[nxt] <= 0:
            break
        chosen.append(nxt)
        d = np.minimum(d, np.hypot(*(points - points[nxt]).T))
        d[chosen] = -1.0
    return chosen[1:]


def synthetic(cfg: TerritoryConfig, travel: TravelConfig, rng: np.random.Generator) -> Territory:
    """One agglomeration near the centre, spread secondary bourgs, villages, Delaunay roads.

    Commune sizes follow a Zipf law (rank ``r`` gets a weight ``r**-zipf_exponent``): rank 1 goes
    to the agglomeration, the next ``n_bourgs`` ranks to spread-out bourgs, the rest at random to
    villages. Classes then come from the population thresholds, as for real territories.
    """
    n, side = cfg.n_communes, cfg.side_km
    pts = rng.uniform(0.0, side, size=(n, 2))
    centre = int(np.argmin(np.hypot(*(pts - side / 2).T)))
    bourgs = _spread(pts, centre, min(cfg.n_bourgs, n - 1), {centre})
    others = np.setdiff1d(np.arange(n), [centre, *bourgs])
    order = np.concatenate([[centre], bourgs, rng.permutation(others)]).astype(np.int64)
    weights = np.arange(1, n + 1, dtype=np.float64) ** -cfg.zipf_exponent
    sizes = _integer_split(cfg.population, weights, minimum=min(20, cfg.population // n))
    population = np.empty(n, dtype=np.int64)
    population[order] = sizes
    return assemble(
        label="synthetic",
        code=np.array([f"S{i:04d}" for i in range(n)], dtype=object),
        name=np.array([f"Commune {i}" for i in range(n)], dtype=object),
        population=population,
        x_km=pts[:, 0],
        y_km=pts[:, 1],
        area_km2=np.full(n, side * side / n),
        cfg=cfg,
        travel=travel,
    )


def grid(cfg: TerritoryConfig, travel: TravelConfig, rng: np.random.Generator) -> Territory:
    """A square lattice of communes with 4-neighbour roads; population peaks at the centre."""
    k, h = cfg.grid_size, cfg.grid_spacing_km
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    x, y = (jj.ravel() * h).astype(float), (ii.ravel() * h).astype(float)
    idx = (ii * k + jj).ravel()
    right = np.column_stack([idx[jj.ravel() < k - 1], idx[jj.ravel() < k - 1] + 1])
    down = np.column_stack([idx[ii.ravel() < k - 1], idx[ii.ravel() < k - 1] + k])
    edges = np.concatenate([right, down]).astype(np.int32)
    c = (k - 1) * h / 2
    d = np.hypot(x - c, y - c)
    weights = np.exp(-d / max(k * h / 6, 1e-9)) * rng.lognormal(0.0, 0.3, size=k * k)
    n = k * k
    population = _integer_split(cfg.population, weights, minimum=min(20, cfg.population // n))
    return assemble(
        label="grid",
        code=np.array([f"G{i:04d}" for i in range(n)], dtype=object),
        name=np.array([f"Cell {r},{q}" for r, q in zip(ii.ravel(), jj.ravel(), strict=True)]),
        population=population,
        x_km=x,
        y_km=y,
        area_km2=np.full(n, h * h),
        cfg=cfg,
        travel=travel,
        edges=edges,
    )
