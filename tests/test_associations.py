"""Associations: volunteers, dissolution and emergence.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import math

import numpy as np

from mechanism_helpers import Tiny
from softsim.config import (
    AssociationsConfig,
)
from softsim.services import AssociationSector


def sector(n, adults, seed=0, **kw):
    cfg = AssociationsConfig(enabled=True, **kw)
    m = Tiny(n)
    return m, AssociationSector(m, cfg, np.asarray(adults, float), [0, 1], 0b110,
                                np.random.default_rng(seed), 52)


def test_volunteers_never_negative_and_active_associations_keep_the_minimum():
    m, s = sector(60, np.full(60, 800.0), seed=3, initial_share=1.0, dynamism_sd=1.0,
                  quit_per_year=40.0, overload_quit_per_week=0.5, recruit_per_year=5.0,
                  emergence_per_year=10.0)
    assert len(s.by_commune) > 0
    for week in range(30):
        for a in s.associations:
            a.used = s.capacity(a) if week % 2 else 0  # overloaded every other week
        s.update(engagement=1.0, cofunding=0.0, incentives=0.0)
        assert all(a.volunteers >= s.cfg.min_volunteers for a in s.by_commune.values())
        assert s.volunteers_total() >= 0
        assert s.created - s.dissolved == len(s.by_commune)
        live = {a.unique_id for a in s.by_commune.values()}
        in_model = {a.unique_id for a in m.agents}
        assert live == in_model  # dissolved associations left the model
    assert s.dissolved > 0


def test_an_association_below_min_volunteers_dissolves():
    # no recruitment, no quits, no emergence: only the minimum decides
    m, s = sector(3, [1000, 1000, 1000], initial_share=1.0, dynamism_sd=0.0,
                  recruit_per_year=0.0, quit_per_year=0.0, overload_quit_per_week=0.0,
                  emergence_per_year=0.0, min_volunteers=3)
    assert sorted(s.by_commune) == [0, 1, 2]
    s.by_commune[0].volunteers = 2  # below the minimum
    s.by_commune[1].volunteers = 3  # at the minimum
    gone = s.by_commune[0]
    s.update(engagement=1.0, cofunding=0.0, incentives=0.0)
    assert sorted(s.by_commune) == [1, 2]
    assert s.dissolved == 1 and gone not in list(m.agents)
    assert s.by_commune[1].volunteers == 3


def test_emergence_rises_with_incentives():
    # d_c = 1 everywhere (dynamism_sd 0), no initial association: the weekly emergence
    # probability is 5.2 / 52 x (1 + incentives) = 0.1 or 0.2. Over 3,000 communes the counts
    # are Binomial(3000, 0.1) (mean 300, SD 16.4) and Binomial(3000, 0.2) (mean 600, SD 21.9);
    # 5 SD either way. Same seed: same uniforms, so incentives can only add communes.
    n = 3000
    counts, sets = [], []
    for incentives in (0.0, 1.0):
        _, s = sector(n, np.full(n, 500.0), seed=11, initial_share=0.0, dynamism_sd=0.0,
                      emergence_per_year=5.2)
        assert not s.by_commune
        s.update(engagement=1.0, cofunding=0.0, incentives=incentives)
        counts.append(len(s.by_commune))
        sets.append(set(s.by_commune))
        assert all(a.volunteers == s.cfg.min_volunteers + 1 for a in s.by_commune.values())
    for count, p in zip(counts, (0.1, 0.2), strict=True):
        assert abs(count - n * p) <= 5 * math.sqrt(n * p * (1 - p))
    assert counts[1] > counts[0] and sets[0] <= sets[1]
