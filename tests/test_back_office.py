"""Pooled back office: a cost curve with economies of scale, paid from the same money."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from softsim import run
from softsim.back_office import back_office_difference, break_even_volume, cost_per_contact
from softsim.config import ConfigError, load_config
from softsim.config.sections import BackOfficeConfig
from softsim.model import SoftTerritory

SMALL = ["territory.population=60000", "population.scale=0.1", "territory.n_communes=40",
         "simulation.years=1"]
CFG = BackOfficeConfig(pooled=["fs"], share=0.3, fixed_cost_per_week=1500.0,
                       marginal_saving=0.4)


def test_the_cost_per_contact_falls_with_the_pooled_volume():
    # by hand: standalone 0.3 × 18 = 5.4 per contact; pooled 1500 / V + 0.6 × 5.4 = 1500/V + 3.24
    assert cost_per_contact(100.0, 18.0, CFG, pooled=False) == pytest.approx(5.4)
    assert cost_per_contact(500.0, 18.0, CFG, pooled=True) == pytest.approx(6.24)
    assert cost_per_contact(1000.0, 18.0, CFG, pooled=True) == pytest.approx(4.74)
    volumes = np.array([100.0, 300.0, 1000.0, 3000.0])
    pooled = [cost_per_contact(v, 18.0, CFG, pooled=True) for v in volumes]
    assert np.all(np.diff(pooled) < 0)
    # break-even: 1500 / (0.4 × 0.3 × 18) = 694.4 contacts a week
    v = break_even_volume(18.0, CFG)
    assert v == pytest.approx(1500.0 / 2.16)
    assert cost_per_contact(v, 18.0, CFG, pooled=True) == pytest.approx(5.4)


def test_the_sites_carry_the_difference_of_the_pooled_back_office():
    sites = [SimpleNamespace(group="fs", weekly_cost=450.0 + 18.0 * 400),
             SimpleNamespace(group="fs", weekly_cost=450.0 + 18.0 * 600),
             SimpleNamespace(group="other", weekly_cost=600.0 + 18.0 * 300)]
    fixed = {"fs": 450.0, "other": 600.0}
    # pooled capacity cost 18 × 1000 = 18,000: F − g × share × 18,000 = 1500 − 2160
    assert back_office_difference(sites, fixed, CFG) == pytest.approx(-660.0)
    assert back_office_difference(sites, fixed, BackOfficeConfig()) == 0.0
    assert back_office_difference(sites[2:], fixed, CFG) == 0.0  # no pooled site: no office


def test_the_one_cost_formula_includes_it():
    cfg = load_config("network", SMALL)
    model = SoftTerritory(cfg, 1)
    own = sum(s.weekly_cost for s in model.sites)
    costs = model.costs
    diff = back_office_difference(model.sites, {k: g.fixed_cost_per_week
                                                for k, g in model.cfg.sites.items()},
                                  model.cfg.back_office)
    assert diff != 0.0
    assert costs.site_running(model.sites) == pytest.approx(own + diff)
    rest = costs.running([], model.modules, len(model.mobile_agents), len(model.buses))
    assert costs.running(model.sites, model.modules, len(model.mobile_agents),
                         len(model.buses)) == pytest.approx(own + diff + rest)
    # the back office's fixed cost is scaled with the residents like the sites' own
    assert model.cfg.back_office.fixed_cost_per_week == pytest.approx(150.0)


@pytest.mark.parametrize("fixed", [0.0, 5000.0])
def test_equal_money_with_or_without_a_pooled_back_office(fixed):
    # a saving buys the sites more capacity (site factor above 1), a costly office less:
    # the money spent is the same either way, never more than the budget
    base = [*SMALL, "site_quality.dynamism_sd=0"]
    alone = run(load_config("network", [*base, "back_office.pooled=[]"]), 3).summary["metrics"]
    pooled = run(load_config("network", [*base, f"back_office.fixed_cost_per_week={fixed}"]),
                 3).summary["metrics"]
    assert pooled["budget_spent_share"] <= 1.0 + 1e-9
    assert pooled["budget_spent_share"] == pytest.approx(alone["budget_spent_share"], abs=0.03)
    if fixed == 0.0:  # a pure saving
        assert pooled["site_factor"] > alone["site_factor"]
        assert pooled["capacity_offered"] > alone["capacity_offered"]
    else:  # a pooled office too dear for this volume
        assert pooled["capacity_offered"] < alone["capacity_offered"]


@pytest.mark.parametrize(("override", "field"), [
    ("back_office.pooled=['nowhere']", "back_office.pooled"),
    ("back_office.share=2", "back_office.share"),
    ("back_office.fixed_cost_per_week=-1", "back_office.fixed_cost_per_week"),
])
def test_bad_back_office_is_one_line_naming_the_field(override, field):
    with pytest.raises(ConfigError) as info:
        load_config("network", [*SMALL, override])
    assert field in str(info.value) and "\n" not in str(info.value)


@pytest.mark.slow
def test_network_pools_above_the_break_even_volume_on_the_default_territory():
    # docs/scenarios.md: about 850 contacts a week against a break-even of 694
    model = SoftTerritory(load_config("network", ["simulation.years=1"]), 1)
    g = model.cfg.sites["france_services"]
    pooled = [s for s in model.sites if s.group == "france_services"]
    volume = sum(s.weekly_cost - g.fixed_cost_per_week for s in pooled) / g.cost_per_capacity
    assert volume == pytest.approx(850, rel=0.05)
    assert volume > break_even_volume(g.cost_per_capacity, model.cfg.back_office)
