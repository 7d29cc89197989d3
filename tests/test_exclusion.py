"""Digital exclusion beyond age: disability and great-precarity traits and their effects.

Expected values are derived by hand from the parameters; tolerances are binomial bands.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from mechanism_helpers import SMALL
from softsim import run
from softsim.config import AGE_BANDS, Config, DigitalConfig, load_config
from softsim.groups import GROUPS, PRIORITY_GROUPS
from softsim.population import DISABILITY, PRECARITY, draw_exclusion
from softsim.services.digital import digital_attempts, exclusion_factor, in_person_share


def _people(n_per_band: int) -> SimpleNamespace:
    age = np.repeat(np.arange(len(AGE_BANDS), dtype=np.int8), n_per_band)
    return SimpleNamespace(age=age, n=len(age), exclusion=np.zeros(len(age), np.uint8))


def test_trait_shares_by_age_band_follow_the_parameters():
    n = 100_000
    res = _people(n)
    cfg = Config()
    draw_exclusion(res, cfg, np.random.default_rng(5))
    for flag, shares in ((DISABILITY, cfg.population.disability),
                         (PRECARITY, cfg.population.precarity)):
        for band, p in enumerate(shares):
            share = float(((res.exclusion[res.age == band] & flag) != 0).mean())
            assert abs(share - p) <= 5 * math.sqrt(p * (1 - p) / n), (flag, AGE_BANDS[band])


def test_default_shares_match_the_published_totals():
    # DREES 2021: 9 % of 15-59 and 25 % of 60+ are disabled; INSEE 2018: 2.4 % of the
    # population in great precarity. Weighted by the default age shares.
    pc = Config().population
    w = np.asarray(pc.age_shares)
    dis = np.asarray(pc.disability)
    assert abs((w[1:4] @ dis[1:4]) / w[1:4].sum() - 0.09) < 0.005
    assert abs((w[4:] @ dis[4:]) / w[4:].sum() - 0.25) < 0.01
    assert abs(w @ np.asarray(pc.precarity) - 0.024) < 0.001


def test_zero_shares_draw_no_trait():
    res = _people(1000)
    cfg = load_config("hard", ["population.disability=[0,0,0,0,0,0]",
                             "population.precarity=[0,0,0,0,0,0]"])
    draw_exclusion(res, cfg, np.random.default_rng(1))
    assert not res.exclusion.any()


def test_success_factor_and_in_person_share_are_products_over_traits():
    cfg = DigitalConfig(disability_success_factor=0.5, precarity_success_factor=0.4,
                        disability_in_person_share=0.3, precarity_in_person_share=0.5)
    flags = np.array([0, DISABILITY, PRECARITY, DISABILITY | PRECARITY], np.uint8)
    assert np.allclose(exclusion_factor(flags, cfg), [1.0, 0.5, 0.4, 0.2])
    assert np.allclose(in_person_share(flags, cfg), [0.0, 0.3, 0.5, 1 - 0.7 * 0.5])


def _residents(flags: np.ndarray) -> SimpleNamespace:
    n = len(flags)
    return SimpleNamespace(exclusion=flags, low_skill=np.zeros(n, bool),
                           broadband_rank=np.zeros(n, np.float32), home=np.zeros(n, np.int32))


def test_attempts_of_excluded_residents_succeed_at_the_lowered_rate():
    n = 40_000
    flags = np.repeat(np.array([0, DISABILITY], np.uint8), n)
    res = _residents(flags)
    cfg = DigitalConfig(success_skilled=0.9, disability_success_factor=0.5)
    ok, failed = digital_attempts(np.arange(2 * n), np.ones(2 * n, bool), res,
                                  np.ones(1, np.float32), cfg, np.random.default_rng(2),
                                  np.random.default_rng(3))
    for sel, p in ((flags == 0, 0.9), (flags == DISABILITY, 0.45)):
        assert abs(ok[sel].mean() - p) <= 5 * math.sqrt(p * (1 - p) / n)
    assert not (ok & failed).any()


def test_in_person_share_sends_needs_to_human_reception_without_an_attempt():
    n = 40_000
    flags = np.repeat(np.array([0, PRECARITY], np.uint8), n)
    res = _residents(flags)
    cfg = DigitalConfig(precarity_in_person_share=0.6)
    ok, failed = digital_attempts(np.arange(2 * n), np.ones(2 * n, bool), res,
                                  np.ones(1, np.float32), cfg, np.random.default_rng(2),
                                  np.random.default_rng(3))
    tried = ok | failed
    assert tried[flags == 0].all()
    assert abs(tried[flags == PRECARITY].mean() - 0.4) <= 5 * math.sqrt(0.24 / n)


def test_neutral_settings_leave_the_attempts_as_without_the_traits():
    n = 5000
    rng = np.random.default_rng(0)
    flags = rng.integers(0, 4, n).astype(np.uint8)
    cfg = DigitalConfig()
    args = (np.arange(n), rng.random(n) < 0.5, _residents(flags), np.ones(1, np.float32), cfg)
    a = digital_attempts(*args, np.random.default_rng(9), np.random.default_rng(1))
    b = digital_attempts(*args[:2], _residents(np.zeros(n, np.uint8)), *args[3:],
                         np.random.default_rng(9))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_groups_disability_and_precarity_are_reported_and_can_be_prioritised():
    assert {"disability", "precarity"} <= set(GROUPS)
    assert {"disability", "precarity"} <= set(PRIORITY_GROUPS)
    cfg = load_config("hard", ["priorities.publics.disability=2.0"])
    assert cfg.priorities.publics == {"disability": 2.0}


@pytest.mark.slow
def test_excluding_disabled_residents_from_online_success_lowers_their_coverage():
    # same seed, same residents and needs; only the success factor of the disabled differs.
    # Their online successes fall to zero, so their coverage can only fall if the counters
    # cannot take all the needs that come back; the rest is not touched directly.
    base = [*SMALL, "simulation.years=1"]
    cov = {}
    for factor in (1.0, 0.0):
        cfg = load_config("digital", [*base, f"digital.disability_success_factor={factor}"])
        out = run(cfg, 7)
        cov[factor] = (out.summary["groups"]["disability"]["coverage_latent"],
                       out.timeseries["served_digital"].sum())
    assert cov[0.0][0] < cov[1.0][0]
    assert cov[0.0][1] < cov[1.0][1]


def test_the_traits_take_one_byte_per_resident():
    from softsim.model import SoftTerritory

    m = SoftTerritory(load_config("hard", SMALL), 1)
    res = m.residents
    assert res.exclusion.dtype == np.uint8 and res.exclusion.nbytes == res.n
    assert ((res.exclusion & ~np.uint8(DISABILITY | PRECARITY)) == 0).all()
    assert res.exclusion.any()  # default shares are not zero
