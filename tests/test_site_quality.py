"""Site quality by local dynamism: a spread of pooled sites' capacity and resolution."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from softsim import run
from softsim.config import ConfigError, load_config
from softsim.config.sections import SiteQualityConfig
from softsim.model import SoftTerritory
from softsim.rng import SeedTree
from softsim.site_quality import apply_site_quality, dynamism_index

SMALL = ["territory.population=60000", "population.scale=0.1", "territory.n_communes=40",
         "simulation.years=1"]


def _sites(groups, capacity=100):
    return [SimpleNamespace(group=g, capacity=capacity, quality=1.0) for g in groups]


def test_the_index_has_mean_one_and_the_configured_spread():
    q = dynamism_index(20_000, 0.5, np.random.default_rng(0))
    assert q.mean() == pytest.approx(1.0)
    assert np.log(q).std() == pytest.approx(0.5, rel=0.03)
    assert np.all(dynamism_index(5, 0.0, np.random.default_rng(0)) == 1.0)


def test_only_the_named_groups_change_and_their_total_capacity_is_kept():
    sites = _sites(["pooled"] * 12 + ["other"] * 3)
    cfg = SiteQualityConfig(groups=["pooled"], dynamism_sd=0.5)
    apply_site_quality(sites, cfg, np.random.default_rng(1))
    pooled = [s.capacity for s in sites[:12]]
    assert len(set(pooled)) > 1
    assert abs(sum(pooled) - 1200) <= 12  # rounding only
    assert all(s.capacity == 100 and s.quality == 1.0 for s in sites[12:])
    assert np.mean([s.quality for s in sites[:12]]) == pytest.approx(1.0)


def test_resolution_only_leaves_the_capacity():
    sites = _sites(["pooled"] * 6)
    cfg = SiteQualityConfig(groups=["pooled"], dynamism_sd=0.5, affects="resolution")
    apply_site_quality(sites, cfg, np.random.default_rng(1))
    assert all(s.capacity == 100 for s in sites)
    assert len({s.quality for s in sites}) == 6


def test_the_draw_comes_from_its_own_stream():
    cfg = load_config("network", SMALL)
    model = SoftTerritory(cfg, 7)
    pooled = [s for s in model.sites if s.group == "france_services"]
    expected = dynamism_index(len(pooled), cfg.site_quality.dynamism_sd,
                              SeedTree(7).generator("site_quality"))
    assert [s.quality for s in pooled] == pytest.approx(list(expected))


def test_the_spread_raises_the_between_commune_share_of_inequality():
    # capacity moved between places by dynamism, at the same total: residents near a weak
    # site are served less, so more of the inequality lies between communes (paired seeds)
    diffs = []
    for seed in range(8):
        flat = run(load_config("network", [*SMALL, "site_quality.dynamism_sd=0"]), seed)
        spread = run(load_config("network", [*SMALL, "site_quality.dynamism_sd=1.5"]), seed)
        key = "theil_between_share_communes"
        diffs.append(spread.summary["metrics"][key] - flat.summary["metrics"][key])
    d = np.array(diffs)
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > stats.t.ppf(0.975, len(d) - 1) * se, diffs


@pytest.mark.parametrize(("override", "field"), [
    ("site_quality.groups=['nowhere']", "site_quality.groups"),
    ("site_quality.dynamism_sd=-1", "site_quality.dynamism_sd"),
    ("site_quality.affects='both_ways'", "site_quality.affects"),
])
def test_bad_site_quality_is_one_line_naming_the_field(override, field):
    with pytest.raises(ConfigError) as info:
        load_config("network", [*SMALL, override])
    assert field in str(info.value) and "\n" not in str(info.value)
