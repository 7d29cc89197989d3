"""Services across the border (territory.border_km)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from softsim import run
from softsim.border import border_providers
from softsim.config import TerritoryConfig, TravelConfig, load_config
from softsim.model import SoftTerritory
from softsim.rng import SeedTree
from softsim.territory import build_territory
from softsim.territory.real import _projector, bundled_selection, communes_table

SMALL = ["territory.spec=dep:23", "population.scale=0.05", "simulation.years=1"]


def test_off_by_default():
    assert TerritoryConfig().border_km == 0.0
    t = build_territory(TerritoryConfig(spec="dep:23"), TravelConfig(), SeedTree(1))
    assert t.border is None and t.graph.n == t.n


def test_the_ring_is_every_outside_commune_within_border_km():
    t = build_territory(TerritoryConfig(spec="dep:23", border_km=12), TravelConfig(), SeedTree(1))
    ring = t.border
    _, sel = bundled_selection("dep:23")
    table = communes_table()
    project = _projector(sel["lon"].to_numpy(float), sel["lat"].to_numpy(float))
    inside = np.column_stack(project(sel["lon"].to_numpy(float), sel["lat"].to_numpy(float)))
    out = table[table["dep"] != "23"]
    ox, oy = project(out["lon"].to_numpy(float), out["lat"].to_numpy(float))
    near = cdist(np.column_stack([ox, oy]), inside).min(axis=1) <= 12
    assert sorted(ring.code.tolist()) == sorted(out["code"][near].tolist())
    assert ring.m > 50 and "23" not in set(ring.dep)
    assert t.n == len(sel) and t.graph.n == t.n + ring.m
    assert (t.edges < t.n).all()  # the map's roads stay inside


def test_a_csv_territory_has_no_ring(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,name,population,lon,lat\na,A,100,2.0,46.0\nb,B,200,2.1,46.1\n"
                    "c,C,300,2.2,46.0\n")
    t = build_territory(TerritoryConfig(spec=str(path), border_km=20), TravelConfig(),
                        SeedTree(1))
    assert t.border is None


def test_border_sites_are_ring_communes_with_a_share_of_their_capacity():
    cfg = load_config("hard", [*SMALL, "territory.border_km=20"])
    model = SoftTerritory(cfg, 1)
    t, sites = model.territory, model.border
    assert sites, "Creuse has poles and bourgs of its neighbours within 20 km"
    assert all(t.n <= p.commune < t.n + t.border.m and p.kind == "border" for p in sites)
    # no site gets more than its département's rule gives a site of its group
    pop = communes_table().groupby("dep")["population"].sum()
    most = max(g.capacity_per_1000 for g in cfg.sites.values()) * pop.max() * 0.05 / 1000
    assert all(0 < p.capacity <= most for p in sites)
    # the residents are those of the territory only
    assert model.residents.n == SoftTerritory(load_config("hard", SMALL), 1).residents.n
    assert border_providers(load_config("hard", SMALL), model.territory, 45.0, model.types)


@pytest.mark.parametrize("scenario", ["hard", "soft"])
def test_needs_are_served_across_the_border_only_with_a_ring(scenario):
    off = run(load_config(scenario, SMALL), 5).summary
    on = run(load_config(scenario, [*SMALL, "territory.border_km=20"]), 5).summary
    assert off["metrics"]["served_border"] == 0
    assert on["metrics"]["served_border"] > 0
    assert on["metrics"]["served_border"] <= on["counts"]["served"]
