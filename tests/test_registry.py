"""The metric registry and the shared vocabularies: each defined once and used as defined."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_config
from softsim import metric_registry as reg
from softsim.config import ConfigError
from softsim.engine import run
from softsim.groups import GROUPS, PRIORITY_GROUPS, group_masks
from softsim.service_types import ServiceTypes
from softsim.slots import SLOT_CLASSES, SLOTS, slot_class, slot_mask


@pytest.fixture(scope="module")
def summary():
    return run(small_config(), 2).summary


def test_every_summary_metric_is_declared_once(summary):
    keys = [x.key for x in reg.METRICS]
    assert len(keys) == len(set(keys))
    computed = [x.key for x in reg.METRICS if x.compute is not None]
    assert list(summary["metrics"]) == computed


def test_labels_units_and_directions_are_valid():
    labels = [x.label for x in reg.METRICS]
    assert len(labels) == len(set(labels))
    for x in reg.METRICS:
        assert x.direction in ("higher", "lower", "neither"), x.key
        assert (x.compute is None) == (x.group is not None), x.key
        assert x.group is None or x.group in GROUPS


def test_directions_of_the_question_asked():
    # coverage is good, inequality and non-take-up are bad: the report's words rely on it
    assert reg.get("coverage_latent").direction == "higher"
    for key in ("non_take_up", "gini", "theil_between_share_communes", "cost_per_served"):
        assert reg.get(key).direction == "lower", key


def test_headline_and_compared_columns_read_a_summary(summary):
    assert set(reg.HEADLINE) <= {x.key for x in reg.compared()}
    for x in reg.compared():
        v = x.read(summary)
        assert isinstance(v, float)
    assert reg.get("gap_age_75plus").read(summary) == pytest.approx(
        summary["groups"]["age_75plus"]["gap_vs_rest"]
    )
    assert reg.get("coverage_latent").read(summary) == summary["metrics"]["coverage_latent"]


def test_counts_are_integers_in_the_summary(summary):
    for x in reg.METRICS:
        if x.unit == "count" and x.compute is not None:
            assert isinstance(summary["metrics"][x.key], int), x.key


def test_format_by_unit():
    assert reg.format_value(reg.get("vehicle_km"), 12345.6) == "12,346"
    assert reg.format_value(reg.get("cost_per_served"), 13.333) == "13.33"
    assert reg.format_value(reg.get("gini"), 0.21649) == "0.216"
    assert reg.format_value(reg.get("gini"), float("nan")) == "–"


def test_slot_vocabulary():
    assert slot_mask(["weekday"]) == 0b001 and slot_mask(["evening", "saturday"]) == 0b110
    assert slot_mask(list(SLOTS)) == 0b111
    assert SLOT_CLASSES == (0b001, 0b110)
    assert slot_class(0b011) == 0b001 and slot_class(0b100) == 0b110


def test_group_masks_cover_the_priority_groups():
    from softsim.model import SoftTerritory

    model = SoftTerritory(small_config(), 1)
    masks = group_masks(model.residents, model.territory)
    assert tuple(masks) == GROUPS
    assert set(PRIORITY_GROUPS) <= set(masks)
    assert masks["all"].all()
    res = model.residents
    assert np.array_equal(masks["no_car"], ~res.car)
    assert not (masks["rural"] & masks["urban"]).any()


def test_an_unknown_service_type_is_an_error_naming_who_needs_it():
    types = ServiceTypes(small_config())
    assert types.id("health") == list(types.names).index("health")
    with pytest.raises(ConfigError, match=r"futures.shocks \(epidemic\): service type 'nosuch'"):
        types.id("nosuch", "futures.shocks (epidemic)")
