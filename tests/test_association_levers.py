"""Associations' levers: durability of co-funding, transfer kits, tailored engagement.

Expected values are derived by hand from the parameters; tolerances are binomial bands.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mechanism_helpers import Tiny
from softsim import run
from softsim.config import AssociationsConfig, load_config
from softsim.services import AssociationSector

QUIET = dict(recruit_per_year=0.0, quit_per_year=0.0, overload_quit_per_week=0.0,
             emergence_per_year=0.0, dynamism_sd=0.0)
"""No recruitment, quits, burnout nor emergence: only the lever under test moves anything."""


def sector(n, adults, seed=0, cls=None, population=None, **kw):
    cfg = AssociationsConfig(enabled=True, **kw)
    m = Tiny(n)
    s = AssociationSector(m, cfg, np.asarray(adults, float), [0, 1], 0b110,
                          np.random.default_rng(seed), 52)
    s.use_levers(np.zeros(n, np.int8) if cls is None else np.asarray(cls),
                 np.full(n, 1000) if population is None else np.asarray(population),
                 np.random.default_rng(seed + 100), np.random.default_rng(seed + 200))
    return m, s


# ------------------------------------------------------------------ durability


def test_a_full_cut_dissolves_at_the_documented_hazard():
    # h = 26 per year, a full cut (support 0 after a peak): weekly p = 1 - exp(-26 / 52)
    n = 4000
    _, s = sector(n, np.full(n, 2000.0), initial_share=1.0, cofunding_dependence=26.0, **QUIET)
    s.update(1.0, 0.0, 0.0, support=1000.0)
    assert len(s.by_commune) == n  # at the peak: no cut, no dissolution
    s.update(1.0, 0.0, 0.0, support=0.0)
    p = 1 - math.exp(-0.5)
    gone = n - len(s.by_commune)
    assert abs(gone - n * p) <= 5 * math.sqrt(n * p * (1 - p))
    assert s.dissolved_by_cut == gone


def test_a_partial_cut_scales_the_hazard_and_steady_money_keeps_everyone():
    n = 4000
    _, s = sector(n, np.full(n, 2000.0), initial_share=1.0, cofunding_dependence=52.0, **QUIET)
    for _ in range(10):
        s.update(1.0, 0.0, 0.0, support=500.0)  # steady: never below its peak
    assert len(s.by_commune) == n
    s.update(1.0, 0.0, 0.0, support=250.0)  # a 50 % cut: p = 1 - exp(-52 x 0.5 / 52)
    p = 1 - math.exp(-0.5)
    gone = n - len(s.by_commune)
    assert abs(gone - n * p) <= 5 * math.sqrt(n * p * (1 - p))


def test_without_dependence_a_cut_dissolves_nobody():
    n = 500
    _, s = sector(n, np.full(n, 2000.0), initial_share=1.0, **QUIET)
    s.update(1.0, 0.0, 0.0, support=1000.0)
    s.update(1.0, 0.0, 0.0, support=0.0)
    assert len(s.by_commune) == n and s.dissolved_by_cut == 0


# ------------------------------------------------------------------ transfer kits


def test_similar_commune_is_same_class_nearest_population_without_an_association():
    cls = [0, 0, 1, 0, 0, 1]
    population = [1000, 5000, 1100, 1200, 900, 1000]
    _, s = sector(6, np.zeros(6), cls=cls, population=population, initial_share=0.0, **QUIET)
    s._create(0, 5)
    # class 0 without association: 1 (5000), 3 (1200), 4 (900); log-distance to 1000: 4 is
    # |ln 901 - ln 1001| = 0.105, 3 is |ln 1201 - ln 1001| = 0.182
    assert s.similar_commune(0) == 4
    s._create(4, 5)
    assert s.similar_commune(0) == 3
    s._create(3, 5)
    s._create(1, 5)
    assert s.similar_commune(0) is None  # no commune of class 0 left


def test_kits_copy_the_best_used_association_when_the_fund_pays():
    cls = [0, 0, 0, 1, 1, 1]
    population = [1000, 1000, 3000, 1000, 8000, 1000]
    adults = np.full(6, 5000.0)  # potential = 5000 x 0.23 x 0.01 = 11.5 volunteers
    _, s = sector(6, adults, cls=cls, population=population, initial_share=0.0,
                  transfer_kit_cost=1000.0, transfer_min_use=0.5, **QUIET)
    low, high = s._create(0, 10), s._create(4, 10)
    low.used, high.used = s.capacity(low) // 4, s.capacity(high)  # 25 % and 100 % used
    s.update(1.0, 0.0, 0.0, kit_money=600.0)
    assert s.kits == 0 and s.kit_fund == pytest.approx(600.0)  # not enough yet
    s.update(1.0, 0.0, 0.0, kit_money=1500.0)  # 2,100 EUR: two kits
    assert s.kits == 2 and s.kit_fund == pytest.approx(100.0)
    # the source is the one used at 100 % (class 1, population 8000): its copies go to the
    # class-1 communes by log-population, 3 and 5 (equal: the lower index first)
    assert sorted(s.by_commune) == [0, 3, 4, 5]
    assert s.by_commune[3].volunteers == round(11.5)


def test_no_kit_without_an_association_that_served_well():
    _, s = sector(4, np.full(4, 5000.0), initial_share=0.0, transfer_kit_cost=100.0,
                  transfer_min_use=0.9, **QUIET)
    a = s._create(0, 10)
    a.used = s.capacity(a) // 2
    s.update(1.0, 0.0, 0.0, kit_money=1000.0)
    assert s.kits == 0 and s.kit_fund == pytest.approx(1000.0)


# ------------------------------------------------------------------ tailored engagement


def test_mission_share_moves_with_the_future_and_is_clipped():
    _, s = sector(1, [100.0], mission_share=0.2)
    assert s.mission_share(0.0, 0.1) == pytest.approx(0.2)
    assert s.mission_share(3.0, 0.1) == pytest.approx(0.5)
    assert s.mission_share(10.0, 0.1) == 1.0
    assert s.mission_share(5.0, -0.1) == 0.0


def test_capacity_and_lifts_count_mission_hours():
    _, s = sector(1, [100.0], initial_share=0.0, hours_per_volunteer=2.0,
                  mission_hours_per_volunteer=0.5, minutes_per_contact=30.0,
                  carpool_lifts_per_volunteer=1.0)
    a = s._create(0, 4)
    a.missioners = 8
    # hours = 4 x 2 + 8 x 0.5 = 12 -> 24 contacts of 30 min; lifts = 4 + 8 x 0.5 / 2 = 6
    assert s.capacity(a) == 24
    assert s.lifts(a) == 6
    assert s.volunteers_total() == 12


def test_the_mission_share_splits_the_potential():
    # potential 100 per commune; m = 0.25: regular target 75, mission target 25 x 4 = 100.
    # Recruitment at 52 per year is Poisson(gap) a week and nobody quits: the regular pool,
    # already at 100, recruits nobody; the mission pool fills to its target, overshooting it
    # by at most the first week's Poisson(100) excess (mean about 4, SD under 10).
    n = 200
    adults = np.full(n, 100 / (0.23 * 0.01))
    _, s = sector(n, adults, initial_share=1.0, dynamism_sd=0.0, recruit_per_year=52.0,
                  quit_per_year=0.0, overload_quit_per_week=0.0, emergence_per_year=0.0,
                  mission_quit_per_year=0.0, mission_potential_factor=4.0)
    for _ in range(30):
        s.update(1.0, 0.0, 0.0, mission_share=0.25)
    regular = np.array([a.volunteers for a in s.associations])
    missions = np.array([a.missioners for a in s.associations])
    assert (regular == 100).all()
    assert (missions >= 100 - 3).all()  # Poisson(gap) each week closes the gap
    assert 100 <= missions.mean() <= 100 + 4 + 2


def test_associations_that_offer_missions_keep_more_mission_volunteers():
    # no recruitment after week 0; quits 26 per year: weekly p = 0.5, or 0.5 / 4 with an offer
    n = 2000
    kept = {}
    for offer in (0.0, 1.0):
        _, s = sector(n, np.full(n, 500.0), seed=4, initial_share=1.0, **QUIET,
                      mission_quit_per_year=26.0, mission_offer_share=offer,
                      mission_offer_retention=4.0)
        for a in s.associations:
            a.missioners = 10
        s.update(1.0, 0.0, 0.0, mission_share=0.0)
        kept[offer] = s.missioners_total() / (10 * n)
    for offer, p in ((0.0, 0.5), (1.0, 0.875)):
        assert abs(kept[offer] - p) <= 5 * math.sqrt(p * (1 - p) / (10 * n))


def test_neutral_levers_leave_regular_volunteers_as_before():
    # same seeds: a sector with every lever neutral gives the same volunteers week by week as
    # one that never heard of the levers
    n = 200
    kw = dict(initial_share=0.5, dynamism_sd=1.0, quit_per_year=2.0, recruit_per_year=3.0,
              emergence_per_year=1.0)
    cfg = AssociationsConfig(enabled=True, **kw)
    plain = AssociationSector(Tiny(n), cfg, np.full(n, 3000.0), [0, 1], 0b110,
                              np.random.default_rng(8), 52)
    _, with_levers = sector(n, np.full(n, 3000.0), seed=8, **kw)
    for _ in range(20):
        plain.update(1.0, 0.1, 0.2)
        with_levers.update(1.0, 0.1, 0.2, support=100.0, kit_money=0.0, mission_share=0.0)
        assert {c: a.volunteers for c, a in plain.by_commune.items()} == {
            c: a.volunteers for c, a in with_levers.by_commune.items()}


@pytest.mark.slow
def test_kits_run_from_the_local_scenario_with_set():
    # a larger territory than SMALL: there some associations are used at least half the time
    cfg = load_config("local", ["territory.population=20000", "territory.n_communes=60",
                                "simulation.years=1", "associations.transfer_kit_share=0.5",
                                "associations.transfer_kit_cost=500",
                                "associations.mission_share=0"])
    ts = run(cfg, 3).timeseries
    assert ts["transfer_kits"].iloc[-1] > 0
    assert ts["mission_volunteers"].max() == 0


@pytest.mark.slow
def test_missions_run_from_the_local_scenario_with_set():
    # small communes have a potential under one volunteer: recruit faster to see any
    cfg = load_config("local", ["territory.population=20000", "territory.n_communes=60",
                                "simulation.years=1", "associations.mission_share=0.3",
                                "associations.recruit_per_year=5",
                                "associations.transfer_kit_share=0",
                                "futures.mission_shift_per_year=0.1"])
    ts = run(cfg, 3).timeseries
    assert ts["mission_volunteers"].iloc[-1] > 0
    assert ts["transfer_kits"].max() == 0


def test_the_tailored_engagement_future_shifts_the_mix_towards_missions():
    from softsim.futures import load_future

    f = load_future("tailored_engagement")
    assert f["mission_shift_per_year"] > 0 and f["volunteer_trend_per_year"] < 0
    cfg = load_config("local", futures=f)
    _, s = sector(1, [100.0], mission_share=cfg.associations.mission_share)
    # local's m0 = 0.2 grows by 0.05 a year: 0.5 after 6 years
    assert s.mission_share(6.0, cfg.futures.mission_shift_per_year) == pytest.approx(0.5)


@pytest.mark.slow
def test_a_falling_budget_dissolves_co_funded_associations_in_the_local_scenario():
    # local's cofunding_dependence with a budget falling 30 % a year: the money is below its
    # first week's level from week 1, so some associations dissolve by the cut
    cfg = load_config("local", ["territory.population=20000", "territory.n_communes=60",
                                "simulation.years=2", "futures.budget_trend_per_year=-0.3"])
    assert cfg.associations.cofunding_dependence > 0
    ts = run(cfg, 5).timeseries
    assert ts["associations_dissolved_by_cut"].iloc[-1] > 0
    steady = run(load_config("local", ["territory.population=20000",
                                       "territory.n_communes=60", "simulation.years=2"]), 5)
    assert steady.timeseries["associations_dissolved_by_cut"].max() == 0
