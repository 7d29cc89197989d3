"""Reception levels: first-level sites resolve a share of requests and orient the others."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from softsim.config import ConfigError, load_config
from softsim.demand import NeedPool
from softsim.model import SoftTerritory
from softsim.providers import Provider, SiteArrays
from softsim.reception import Reception
from softsim.service_types import ServiceTypes

SMALL = ["territory.population=60000", "population.scale=0.1", "territory.n_communes=40",
         "simulation.years=1"]
"""6,000 simulated residents of a territory whose money keeps both site levels open."""


def _network(*extra: str):
    return load_config("network", [*SMALL, *extra])


def _fake(cfg):
    """Three providers: a first-level site, a specialist, a module (all offering social)."""
    types = ServiceTypes(cfg)
    social = types.id("social")
    providers = [
        Provider(0, [social], 1, 10, "fixed", SimpleNamespace(group="france_services",
                                                              quality=1.0)),
        Provider(1, [social], 1, 10, "fixed", SimpleNamespace(group="specialists",
                                                              quality=1.0)),
        Provider(2, [social], 1, 10, "module", SimpleNamespace()),
    ]
    return types, social, providers


def _pool(n, type_id, level=0, ready=0):
    pool = NeedPool.empty()
    pool.add(np.arange(n), np.full(n, type_id), 0, np.zeros(n, bool))
    pool.level[:] = level
    pool.ready[:] = ready
    return pool


def test_off_by_default_leaves_the_kernel_arrays_as_they_are():
    cfg = load_config("hard", SMALL)
    types, social, providers = _fake(cfg)
    r = Reception(cfg, types)
    sa = SiteArrays.of(providers, len(types))
    pool = _pool(5, social)
    need_type, ptr, flat, tol = r.kernel_types(pool, 0, sa, providers, types.tolerance)
    assert need_type is pool.type and ptr is sa.type_ptr and flat is sa.type_sites
    assert tol is types.tolerance
    oriented, contacts = r.orient(pool, np.zeros(5, np.int32), providers,
                                  np.random.default_rng(0))
    assert not oriented.any() and contacts == 0


def test_second_level_requests_go_to_specialists_only_once_ready():
    cfg = _network("reception.tolerance_factor=2")
    types, social, providers = _fake(cfg)
    r = Reception(cfg, types)
    sa = SiteArrays.of(providers, len(types))
    n = len(types)
    pool = _pool(3, social, level=1, ready=5)
    pool.level[0] = 0
    need_type, ptr, flat, tol = r.kernel_types(pool, 4, sa, providers, types.tolerance)
    assert list(need_type) == [social, 2 * n, 2 * n]  # not ready before week 5
    assert list(flat[ptr[social]:ptr[social + 1]]) == [0, 1, 2]  # a first request: any
    assert list(flat[ptr[social + n]:ptr[social + n + 1]]) == [1]  # second level: specialist
    assert ptr[2 * n] == ptr[2 * n + 1]  # not ready: nobody
    assert tol[social + n] == pytest.approx(2 * types.tolerance[social])
    need_type, *_ = r.kernel_types(pool, 5, sa, providers, types.tolerance)
    assert list(need_type) == [social, social + n, social + n]


@pytest.mark.parametrize(("share", "expected"), [(0.0, 50), (1.0, 0)])
def test_the_resolve_share_decides_the_orientation(share, expected):
    cfg = _network(f"reception.default_resolve_share={share}")
    types, social, providers = _fake(cfg)
    r = Reception(cfg, types)
    pool = _pool(600, social)
    choice = np.repeat(np.array([0, 1, 2], np.int32), 200)  # front desk, specialist, module
    choice[:200:2] = -2  # half the front desk's needs were not served at all (NONE)
    pool.level[100:200] = 1  # ... and level-1 needs are never oriented again
    oriented, contacts = r.orient(pool, choice, providers, np.random.default_rng(1))
    assert contacts == 50
    assert oriented.sum() == expected
    assert not oriented[200:].any()  # only first-level sites orient


def test_the_share_per_type_and_the_site_quality_set_the_chance_of_resolution():
    cfg = _network("reception.resolve_share={social = 0.5}")
    types, social, providers = _fake(cfg)
    r = Reception(cfg, types)
    pool = _pool(20_000, social)
    choice = np.zeros(20_000, np.int32)
    oriented, _ = r.orient(pool, choice, providers, np.random.default_rng(2))
    assert abs(oriented.mean() - 0.5) < 0.02
    providers[0].owner.quality = 2.0  # twice the share, capped at 1
    oriented, _ = r.orient(pool, choice, providers, np.random.default_rng(2))
    assert not oriented.any()
    r_cap = Reception(_network("reception.resolve_share={social = 0.5}",
                               "site_quality.affects='capacity'"), types)
    oriented, _ = r_cap.orient(pool, choice, providers, np.random.default_rng(2))
    assert abs(oriented.mean() - 0.5) < 0.02  # quality on capacity only


def test_in_a_run_oriented_needs_are_served_once_by_a_specialist():
    model = SoftTerritory(_network(), 4)
    assert {s.group for s in model.sites} == {"france_services", "specialists"}
    at_specialist = 0
    for _ in range(12):
        model.phase_futures()
        model.phase_needs()
        model.phase_options()
        model.phase_allocate()
        pool, now = model.pool, model.now
        second = np.flatnonzero((pool.level == 1) & (now.choice >= 0))
        groups = {now.providers[c].owner.group for c in now.choice[second]}
        assert groups <= {"specialists"}
        at_specialist += len(second)
        assert not (now.digital_ok & (pool.level == 1)).any()  # oriented needs stay human
        for name in ("mobile", "outcomes", "adapt", "record"):
            getattr(model, f"phase_{name}")()
        model.week += 1
    s = model.series
    assert s["oriented"].sum() > 0 and s["resolved_first_level"].sum() > 0
    assert at_specialist > 0
    # a need is counted once: served, abandoned or pending (an orientation is none of these)
    latent, taken = s["latent"].sum(), s["not_taken_up"].sum()
    assert latent - taken == s["served"].sum() + s["abandoned"].sum() + len(model.pool)


def test_the_chain_is_in_the_summary():
    from softsim import run

    flat = "site_quality.dynamism_sd=0"  # every site equally good
    share = run(_network("reception.default_resolve_share=1", flat), 5).summary["metrics"]
    none = run(_network("reception.default_resolve_share=0", flat), 5).summary["metrics"]
    assert share["oriented"] == 0 and share["resolved_first_level"] > 0
    assert none["resolved_first_level"] == 0 and none["oriented"] > 0
    # orienting every request costs the front desks' capacity twice over: fewer are served
    assert none["coverage_latent"] < share["coverage_latent"]


@pytest.mark.parametrize(("override", "field"), [
    ("reception.first_level=['nowhere']", "reception.first_level"),
    ("reception.second_level=['france_services']", "reception.second_level"),
    ("reception.second_level=[]", "reception.second_level"),
    ("reception.types=['social', 'admin']", "reception.second_level"),
    ("reception.types=['nothing']", "reception.types"),
    ("reception.resolve_share={nothing = 0.5}", "reception.resolve_share"),
    ("reception.default_resolve_share=1.5", "reception.default_resolve_share"),
    ("reception.delay_weeks=0", "reception.delay_weeks"),
])
def test_bad_reception_is_one_line_naming_the_field(override, field):
    with pytest.raises(ConfigError) as info:
        _network(override)
    msg = str(info.value)
    assert field in msg and "\n" not in msg
