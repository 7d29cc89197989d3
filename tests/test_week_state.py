"""A model before its first week, and the state one week leaves behind."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_config
from softsim.model import SoftTerritory
from softsim.outcomes import COUNT_KEYS, collect
from softsim.week import SERIES


@pytest.fixture(scope="module")
def unstepped():
    return SoftTerritory(small_config(), 5)


def test_an_unstepped_model_has_a_complete_week_state(unstepped):
    now = unstepped.now
    assert now.factor == 1.0
    assert len(now.providers) == len(now.sites.commune) > 0
    assert now.unmet.shape == (unstepped.territory.n, len(unstepped.types), 2)
    assert not now.unmet.any()
    assert set(now.counters) == set(SERIES)
    assert len(now.choice) == len(now.visits.visited) == len(unstepped.pool) == 0


def test_collect_works_before_the_first_week(unstepped):
    o = collect(unstepped)
    s = o.summary
    assert s["weeks"] == 0
    assert s["counts"] == dict.fromkeys(COUNT_KEYS, 0)
    # rates over no need are undefined, never 0
    for key in ("coverage_latent", "coverage_expressed", "non_take_up", "gini", "cost_per_served"):
        assert s["metrics"][key] is None, key
    assert s["metrics"]["cost_total"] == 0.0
    # the opening offer is there: residents within 30 min of a site
    assert 0.0 < s["metrics"]["access_30min"] <= 1.0
    assert len(o.timeseries) == 0
    assert len(o.communes) == unstepped.territory.n
    assert o.communes["coverage_latent"].isna().all()
    assert s["groups"]["all"]["residents"] == unstepped.residents.n


def test_a_week_replaces_the_state_and_keeps_its_arrays_aligned():
    model = SoftTerritory(small_config(), 5)
    model.step()
    now = model.now
    n_needs = len(now.choice)
    assert n_needs > 0
    for name in ("digital_ok", "digital_failed", "alt_type", "mode", "anchor", "travel"):
        assert len(getattr(now, name)) == n_needs, name
    assert len(now.visits.visited) == n_needs
    assert np.all(now.remaining >= 0) and np.all(now.remaining <= now.sites.capacity)
    assert now.counters["latent"] == model.series["latent"][0] > 0
