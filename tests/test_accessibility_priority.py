"""Priority by accessibility: the weight function, the nearest provider, and its use in a run.

Expected values are derived by hand from the ramp's definition (docs/odd.md) and small
hand-made travel matrices.
"""

from __future__ import annotations

import numpy as np
import pytest

from mechanism_helpers import FUNDED, SMALL
from softsim.accessibility import accessibility_weight, nearest_minutes, ramp
from softsim.config import ConfigError, PrioritiesConfig, load_config
from softsim.model import SoftTerritory
from softsim.providers import Provider, SiteArrays
from softsim.schedule import SCHEDULE

SITE_GROUPS = ("social_offices", "employment_agencies", "health_insurance", "town_services")
CFG = PrioritiesConfig(accessibility=1.0, accessibility_from_min=15.0,
                       accessibility_full_min=45.0)


def test_ramp_by_hand():
    m = np.array([0.0, 15.0, 30.0, 45.0, 100.0, np.inf])
    assert ramp(m, CFG).tolist() == [1.0, 1.0, 1.5, 2.0, 2.0, 2.0]
    strong = CFG.model_copy(update={"accessibility": 3.0})
    assert ramp(np.array([25.0]), strong).tolist() == pytest.approx([1.0 + 3.0 / 3.0])


def test_default_is_neutral():
    assert ramp(np.array([0.0, 60.0, np.inf]), PrioritiesConfig()).tolist() == [1.0, 1.0, 1.0]


def test_ramp_bounds_are_checked():
    with pytest.raises(ConfigError, match="priorities.accessibility_full_min"):
        load_config("hard", ["priorities.accessibility_from_min=50",
                             "priorities.accessibility_full_min=40"])


def _line(n: int, step: float) -> np.ndarray:
    x = np.arange(n, dtype=np.float32) * step
    return np.abs(x[:, None] - x[None, :])


def test_nearest_minutes_by_hand():
    car, nocar = _line(4, 10.0), _line(4, 25.0)
    providers = [
        Provider(0, [0], 1, 5, "fixed", None),
        Provider(3, [0, 1], 1, 5, "fixed", None),
        Provider(1, [1], 1, 0, "module", None),  # closed: no capacity this week
        Provider(2, [1], 1, 5, "association", None, 10.0),  # helps within 10 minutes only
    ]
    by_car, no_car = nearest_minutes(SiteArrays.of(providers, 3), car, nocar)
    assert by_car[:, 0].tolist() == [0.0, 10.0, 10.0, 0.0]
    assert by_car[:, 1].tolist() == [30.0, 10.0, 0.0, 0.0]  # association reaches 1 and 3
    assert no_car[:, 1].tolist() == [75.0, 50.0, 0.0, 0.0]  # ... without a car, only its own
    assert np.isinf(by_car[:, 2]).all()  # nobody offers type 2


def test_weight_per_need_uses_own_mode():
    car, nocar = _line(3, 20.0), _line(3, 40.0)
    sa = SiteArrays.of([Provider(0, [0], 1, 5, "fixed", None)], 1)
    views = {"car": car, "nocar": nocar}
    travel = type("T", (), {"view": staticmethod(lambda kind: views[kind])})()
    w = accessibility_weight(CFG, sa, travel, home=np.array([0, 1, 1, 2]),
                             car=np.array([True, True, False, True]),
                             need_type=np.zeros(4, np.int64))
    # minutes 0, 20, 40, 40 → weights 1, 1 + 5/30, 1 + 25/30, 1 + 25/30
    assert w.tolist() == pytest.approx([1.0, 1 + 5 / 30, 1 + 25 / 30, 1 + 25 / 30])


def _scarce(extra: list[str]) -> SoftTerritory:
    # counters funded in full but small, no e-services: far more needs than places
    cfg = load_config("hard", [*SMALL, *FUNDED, "digital.enabled=false", *extra,
                               *(f"sites.{g}.capacity_per_1000=0.5" for g in SITE_GROUPS)])
    return SoftTerritory(cfg, seed=7)


def _phases(model: SoftTerritory, until: str | None = None, after: str | None = None):
    """The model's phases in schedule order, up to and including ``until`` or after ``after``."""
    names = [p.name for p in SCHEDULE]
    cut = names.index(until or after) + 1
    chosen = names[:cut] if until else names[cut:]
    return [getattr(model, f"phase_{n}") for n in chosen]


def _served_minutes(model: SoftTerritory, weeks: int) -> tuple[float, float]:
    """Mean minutes to the nearest provider of the type, over needs served at a site and
    over all needs allocated, summed across ``weeks`` weeks."""
    served, allocated = [], []
    for _ in range(weeks):
        for phase in _phases(model, until="allocate"):
            phase()
        pool, now, res = model.pool, model.now, model.residents
        by_car, no_car = nearest_minutes(now.sites, model.territory.car_min,
                                         model.territory.nocar_min)
        m = np.where(res.car[pool.resident], by_car[res.home[pool.resident], pool.type],
                     no_car[res.home[pool.resident], pool.type])
        ok = np.isfinite(m)
        served.append(m[(now.choice >= 0) & ok])
        allocated.append(m[ok])
        for phase in _phases(model, after="allocate"):
            phase()
        model.week += 1
    return float(np.concatenate(served).mean()), float(np.concatenate(allocated).mean())


def test_priority_serves_farther_residents_under_scarcity():
    """With scarce capacity, the needs served come from farther away when the farthest go
    first; the same seeds draw the same needs in the first week, so the arms are paired."""
    off, _ = _served_minutes(_scarce([]), 8)
    on, _ = _served_minutes(_scarce(["priorities.accessibility=20"]), 8)
    assert on > off


def test_orchestrator_reads_demand_weighted_by_accessibility():
    model = _scarce(["priorities.accessibility=1"])
    for phase in _phases(model, until="mobile"):  # up to the home visits
        phase()
    now, pool = model.now, model.pool
    assert now.access_weight is not None and (now.access_weight >= 1).all()
    assert (now.access_weight <= 2).all() and (now.access_weight > 1).any()
    new = (now.choice < 0) & ~now.visits.visited & (pool.arrival == model.week)
    expected = float(now.access_weight[new].sum())
    model.phase_outcomes()  # builds the unmet map the orchestrator reads
    # every type and public weight is 1 in hard: the map's total is the sum of the weights
    assert now.unmet.sum() == pytest.approx(expected, rel=1e-5)
    assert now.unmet.sum() > new.sum()


def test_off_by_default_keeps_no_weight():
    model = _scarce([])
    for phase in _phases(model, until="allocate"):
        phase()
    assert model.now.access_weight is None
