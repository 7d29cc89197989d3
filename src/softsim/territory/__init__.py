"""Territories: communes, roads and travel times; generators and real-data loaders."""

from __future__ import annotations

from softsim.config import TerritoryConfig, TravelConfig
from softsim.errors import TerritoryError
from softsim.rng import SeedTree
from softsim.territory.core import CLASSES, Territory
from softsim.territory.generators import grid, synthetic
from softsim.territory.outlines import outlines
from softsim.territory.real import from_bundled, from_csv, from_department, from_epci

__all__ = ["CLASSES", "Territory", "TerritoryError", "build_territory", "outlines"]


def build_territory(cfg: TerritoryConfig, travel: TravelConfig, seeds: SeedTree) -> Territory:
    """Build the territory named by ``cfg.spec`` (generators draw from the ``territory`` stream)."""
    spec = cfg.spec.strip()
    if spec == "synthetic":
        return synthetic(cfg, travel, seeds.generator("territory"))
    if spec == "grid":
        return grid(cfg, travel, seeds.generator("territory"))
    if spec.startswith("reg:") or ("," in spec and not spec.endswith((".csv", ".csv.gz"))):
        return from_bundled(spec, cfg, travel)
    if spec.startswith("dep:"):
        return from_department(spec[4:], cfg, travel)
    if spec.startswith("epci:"):
        return from_epci(spec[5:], cfg, travel)
    if spec.endswith(".csv") or spec.endswith(".csv.gz"):
        return from_csv(spec, cfg, travel)
    raise TerritoryError(
        f"territory {spec!r}: expected synthetic, grid, dep:<code>, epci:<siren>, reg:<code>, "
        "a comma-separated list of those, or a .csv path"
    )
