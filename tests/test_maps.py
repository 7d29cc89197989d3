"""Maps: commune outlines in the territory's km, and the figures that draw them."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from softsim.config import load_config
from softsim.experiment import RunResult
from softsim.model import SoftTerritory
from softsim.outcomes import collect, standing_sites
from softsim.report import (
    GENERATED_LINE,
    commune_map,
    maps_figure,
    run_figures,
    site_communes,
    territory_map,
)
from softsim.rng import SeedTree
from softsim.territory import build_territory, outlines
from softsim.territory.real import communes_table

SOURCE = "Source: INSEE, IGN, DILA — Licence Ouverte"


def _territory(spec: str, *extra: str):
    cfg = load_config("hard", [f'territory.spec="{spec}"', *extra])
    return build_territory(cfg.territory, cfg.travel, SeedTree(1))


@pytest.fixture(scope="module")
def creuse():
    return _territory("dep:23")


@pytest.fixture(scope="module")
def creuse_run():
    cfg = load_config("hard", ['territory.spec="dep:23"', "population.scale=0.02",
                               "simulation.years=1"])
    model = SoftTerritory(cfg, 1)
    for _ in range(cfg.weeks):
        model.step()
    return model, collect(model)


def _ring_area(ring: np.ndarray) -> float:
    """Signed shoelace area (positive when counter-clockwise)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def _texts(fig) -> str:
    return "\n".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))


def _commune_collections(fig):
    return [c for ax in fig.axes for c in ax.collections if isinstance(c, PathCollection)
            and len(c.get_paths()) > 3]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


# ----------------------------------------------------------------- outlines


def test_one_outline_per_commune_of_creuse_in_km(creuse):
    rings = outlines(creuse)
    assert len(rings) == creuse.n == 255
    table = communes_table().set_index("code")
    areas = []
    for i, commune in enumerate(rings):
        assert commune, creuse.code[i]
        pts = np.concatenate(commune)
        assert pts.shape[1] == 2
        for ring in commune:
            assert np.array_equal(ring[0], ring[-1])  # closed
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        assert lo[0] <= creuse.x_km[i] <= hi[0] and lo[1] <= creuse.y_km[i] <= hi[1]
        areas.append(sum(_ring_area(r) for r in commune))
    # exteriors counter-clockwise, holes clockwise: the signed sum is the commune's area,
    # which the table gives independently (km², within ~1 %; outlines simplified to ~200 m)
    ratio = np.array(areas) / table.loc[list(creuse.code), "area_km2"].to_numpy()
    assert np.median(ratio) == pytest.approx(1.0, abs=0.02)
    assert np.all((ratio > 0.8) & (ratio < 1.2))
    # Creuse spans about 100 × 80 km
    pts = np.concatenate([np.concatenate(c) for c in rings])
    assert 90 < np.ptp(pts[:, 0]) < 115 and 70 < np.ptp(pts[:, 1]) < 95


def test_outlines_by_label_match_the_territory(creuse):
    by_label = outlines("dep:23")
    by_territory = outlines(creuse)
    assert len(by_label) == len(by_territory)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(by_label, by_territory, strict=True))


def test_a_commune_without_polygon_has_no_outline():
    t = _territory("dep:12")
    rings = outlines(t)
    missing = [t.code[i] for i, r in enumerate(rings) if r is None]
    assert missing == ["12218"]  # Conques-en-Rouergue: no polygon in the source


@pytest.mark.parametrize("spec", ["synthetic", "grid"])
def test_generated_territories_have_no_outlines(spec):
    assert outlines(_territory(spec)) is None
    assert outlines(spec) is None


def test_user_csv_has_no_outlines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("code,name,population,lon,lat\n23096,A,100,1.87,46.17\n"
                    "23176,B,50,1.9,46.2\n23001,C,80,1.95,46.1\n", encoding="utf-8")
    assert outlines(_territory(path.as_posix())) is None


# ----------------------------------------------------------------- figures


def test_territory_map_of_creuse_draws_every_outline(creuse):
    fig = territory_map(creuse)
    (coll,) = _commune_collections(fig)
    assert len(coll.get_paths()) == 255
    density = creuse.population / creuse.area_km2
    assert np.allclose(np.asarray(coll.get_array()), density)
    text = _texts(fig)
    assert SOURCE in text
    assert "Guéret" in text  # the préfecture, the only pole, is named
    assert " km" in text  # scale bar
    assert len(fig.axes) == 2  # the map and its colour bar
    assert _png(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_maps_of_creuse(creuse_run):
    model, o = creuse_run
    figs = run_figures(o)
    assert {"coverage_map", "non_take_up_map", "access_map"} <= set(figs)
    fig = figs["coverage_map"]
    (coll,) = _commune_collections(fig)
    assert len(coll.get_paths()) == 255
    values = np.ma.filled(coll.get_array().astype(float), np.nan)
    expected = o.communes["coverage_latent"].to_numpy(float)
    assert np.allclose(values, expected, equal_nan=True)
    assert SOURCE in _texts(fig)
    access = commune_map(o, "e2sfca")
    (coll,) = _commune_collections(access)
    assert np.allclose(np.ma.filled(coll.get_array().astype(float), np.nan),
                       o.communes["e2sfca"].to_numpy(float), equal_nan=True)
    for f in figs.values():
        assert _png(f)[:4] == b"\x89PNG"


def test_site_markers_are_the_communes_with_a_site(creuse_run):
    model, o = creuse_run
    expected = np.unique(standing_sites(model).commune)
    assert len(expected) > 0
    assert site_communes(o).tolist() == expected.tolist()


def test_synthetic_maps_draw_cells_and_say_so():
    t = _territory("synthetic")
    fig = territory_map(t)
    (coll,) = _commune_collections(fig)
    assert len(coll.get_paths()) == t.n
    for i in range(0, t.n, 25):  # each cell contains its own commune centre
        assert coll.get_paths()[i].contains_point((t.x_km[i], t.y_km[i]))
    text = _texts(fig)
    assert GENERATED_LINE in text and SOURCE not in text
    assert _png(fig)[:4] == b"\x89PNG"


def _results(t, scenarios):
    rng = np.random.default_rng(0)
    return [
        RunResult(scenario=s, replicate=r, seed=r, summary={}, coverage_week=np.zeros(52),
                  commune_coverage=rng.uniform(0.3, 0.9, t.n), lorenz=np.linspace(0, 1, 101),
                  territory_xy=np.column_stack([t.x_km, t.y_km]),
                  territory_population=t.population, territory_label=t.label,
                  attribution=t.attribution, weeks_per_year=52)
        for s in scenarios for r in range(2)
    ]


def test_comparison_small_multiples_of_creuse(creuse):
    results = _results(creuse, ["hard", "soft", "network"])
    fig = maps_figure(results, ["hard", "soft", "network"])
    colls = _commune_collections(fig)
    assert len(colls) == 3 and all(len(c.get_paths()) == 255 for c in colls)
    mean_soft = np.mean([r.commune_coverage for r in results if r.scenario == "soft"], axis=0)
    assert np.allclose(np.asarray(colls[1].get_array()), mean_soft)
    assert SOURCE in _texts(fig)
    assert _png(fig)[:4] == b"\x89PNG"


def test_comparison_small_multiples_of_grid():
    t = _territory("grid")
    fig = maps_figure(_results(t, ["hard", "soft"]), ["hard", "soft"])
    colls = _commune_collections(fig)
    assert len(colls) == 2 and all(len(c.get_paths()) == t.n for c in colls)
    assert GENERATED_LINE in _texts(fig)


def test_mobile_bases_are_marked_where_the_agents_start():
    cfg = load_config("soft", ["territory.population=6000", "territory.n_communes=30",
                               "simulation.years=1", "mobile.agents=2",
                               "budget.mix.enabled=false"])
    model = SoftTerritory(cfg, 1)
    model.step()
    o = collect(model)
    bases = sorted({int(a.base.coordinate) for a in model.mobile_agents})
    assert bases and np.flatnonzero(o.communes["mobile_bases"] > 0).tolist() == bases
    fig = commune_map(o)
    (marker,) = [c for c in fig.axes[0].collections if c.get_label() == "base of mobile agents"]
    t = model.territory
    expected = np.column_stack([t.x_km, t.y_km])[bases]
    assert np.allclose(np.asarray(marker.get_offsets()), expected)
