"""Statistical properties with fixed seeds, and metamorphic relations between scenarios.

Tolerances: a check on a count or share allows 4 standard deviations of its sampling
distribution, computed in the test from the config (never from the value observed). For a normal
approximation a 4-sd band is missed with probability 6e-5, so a failure means the mechanism is
wrong, not bad luck; the seeds are fixed, so the outcome is reproducible either way.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import softsim
from conftest import FUNDED, small_config
from softsim.config import AGE_BANDS, Config, DigitalConfig
from softsim.model import SoftTerritory
from softsim.services import digital_attempts, has_broadband

Z = 4.0
STATIC_AWARENESS = ["information.forget_per_year=0", "information.orientation=0"]
"""Awareness dynamics off: each resident keeps the awareness drawn at the start."""
SITE_GROUPS = ("social_offices", "employment_agencies", "health_insurance", "town_services")


def binomial_band(p: float, n: int) -> float:
    """Z standard deviations of a binomial share with probability p over n trials."""
    return Z * math.sqrt(p * (1.0 - p) / n)


def services_with(**fields) -> dict:
    """The default service types, with some fields set (or mapped by a function) for all."""
    out = {}
    for name, service in Config().services.items():
        raw = service.model_dump()
        for key, value in fields.items():
            raw[key] = value(raw[key]) if callable(value) else value
        out[name] = raw
    return out


@pytest.fixture(scope="module")
def big_model():
    """A model of 20,000 residents (no week run): enough for tight shares per age band."""
    return SoftTerritory(small_config("territory.population=20000"), 2024)


# ----------------------------------------------------------------- residents


def test_age_shares_match_config(big_model):
    res, cfg = big_model.residents, big_model.cfg
    n = res.n
    counts = np.bincount(res.age, minlength=len(AGE_BANDS))
    for band, p in enumerate(cfg.population.age_shares):
        assert abs(counts[band] / n - p) <= binomial_band(p, n), AGE_BANDS[band]
    share_75 = float(np.mean(res.age == AGE_BANDS.index("75+")))
    assert abs(share_75 - 0.096) <= binomial_band(0.096, n)


@pytest.mark.parametrize("trait", ["low_digital_skill", "dependency"])
def test_trait_shares_by_age_band(big_model, trait):
    res, cfg = big_model.residents, big_model.cfg
    values = {"low_digital_skill": res.low_skill, "dependency": res.dependent}[trait]
    for band, p in enumerate(getattr(cfg.population, trait)):
        sel = res.age == band
        share = float(values[sel].mean())
        if p == 0.0:
            assert share == 0.0, AGE_BANDS[band]
        else:
            assert abs(share - p) <= binomial_band(p, int(sel.sum())), AGE_BANDS[band]


def test_employment_by_age_band(big_model):
    # A resident is employed with the band's rate, unless dependent: P = rate × (1 - dependency).
    res, pc = big_model.residents, big_model.cfg.population
    assert not np.any(res.employed & res.dependent)
    for band, (rate, dep) in enumerate(zip(pc.employment_rate, pc.dependency, strict=True)):
        sel = res.age == band
        p = rate * (1.0 - dep)
        share = float(res.employed[sel].mean())
        if p == 0.0:
            assert share == 0.0
        else:
            assert abs(share - p) <= binomial_band(p, int(sel.sum())), AGE_BANDS[band]
    # non-workers work where they live
    assert np.array_equal(res.work[~res.employed], res.home[~res.employed])


def test_awareness_bits_match_config(big_model):
    res, cfg = big_model.residents, big_model.cfg
    for k, service in enumerate(cfg.services.values()):
        aware = ((res.awareness >> k) & 1).astype(bool)
        p = service.awareness
        assert abs(aware.mean() - p) <= binomial_band(p, res.n), k
    assert np.all(res.awareness >> len(cfg.services) == 0)


def test_no_car_share_by_class(big_model):
    res, t, pc = big_model.residents, big_model.territory, big_model.cfg.population
    cls = t.cls[res.home]
    old = res.age == AGE_BANDS.index("75+")
    for c, base in enumerate((pc.no_car.pole, pc.no_car.bourg, pc.no_car.village)):
        for is_old, p in ((False, base), (True, min(1.0, base * pc.no_car_factor_75plus))):
            sel = (cls == c) & (old == is_old)
            if sel.sum() < 100:
                continue
            share = float((~res.car[sel]).mean())
            assert abs(share - p) <= binomial_band(p, int(sel.sum())), (c, is_old)


# ----------------------------------------------------------------- needs


def _capture_needs(cfg, seed):
    """Run a model, keeping each week's latent needs (resident ids, type ids)."""
    model = SoftTerritory(cfg, seed)
    draws = []
    original = model.arrivals.draw

    def draw(*args, **kwargs):
        out = original(*args, **kwargs)
        draws.append(out)
        return out

    model.arrivals.draw = draw
    for _ in range(cfg.weeks):
        model.step()
    r = np.concatenate([d[0] for d in draws])
    k = np.concatenate([d[1] for d in draws]).astype(np.int64)
    return model, r, k


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_latent_needs_match_the_poisson_expectation(seed):
    cfg = small_config()
    model, r, k = _capture_needs(cfg, seed)
    res = model.residents
    band_n = np.bincount(res.age, minlength=len(AGE_BANDS))
    total_mean = 0.0
    for t, service in enumerate(cfg.services.values()):
        # Poisson with mean rate × residents in band / weeks_per_year, every week.
        mean = sum(rate * band_n[b] for b, rate in enumerate(service.rate_per_year))
        mean *= cfg.weeks / cfg.simulation.weeks_per_year
        total_mean += mean
        observed = int(np.sum(k == t))
        assert abs(observed - mean) <= Z * math.sqrt(mean), (t, observed, mean)
    latent = int(res.latent.sum())
    assert latent == len(r)
    assert abs(latent - total_mean) <= Z * math.sqrt(total_mean)
    # needs fall on residents of bands with a positive rate only
    rates = np.array([s.rate_per_year for s in cfg.services.values()])
    assert np.all(rates[k, res.age[r]] > 0)


def test_non_take_up_by_type_matches_awareness():
    cfg = small_config("territory.population=10000", *STATIC_AWARENESS)
    model, r, k = _capture_needs(cfg, 8)
    res = model.residents
    unaware = ((res.awareness[r] >> k) & 1) == 0
    # the model's own count agrees need by need with the awareness bits
    assert np.array_equal(res.not_taken_up, np.bincount(r[unaware], minlength=res.n))
    for t, service in enumerate(cfg.services.values()):
        sel = k == t
        n = int(sel.sum())
        if n == 0:
            continue
        q = 1.0 - service.awareness
        # Awareness is drawn once per resident, so needs of one resident are not independent:
        # given the needs, Var(unaware count) = Σ_r m_r² q (1 - q), m_r = needs of resident r.
        m_r = np.bincount(r[sel])
        sd = math.sqrt(float(np.sum(m_r.astype(np.float64) ** 2)) * q * (1.0 - q)) / n
        assert abs(unaware[sel].mean() - q) <= Z * sd + 1e-12, (t, unaware[sel].mean(), q)


def test_digital_attempt_success_rates():
    rng = np.random.default_rng(99)
    n = 40_000
    coverage = np.array([0.5, 0.9], np.float32)  # broadband share of two communes
    residents = SimpleNamespace(
        home=(rng.random(n) < 0.5).astype(np.int32),
        broadband_rank=rng.random(n).astype(np.float32),
        low_skill=rng.random(n) < 0.3,
        exclusion=np.zeros(n, np.uint8),  # no disability nor great precarity
    )
    ids = np.arange(n)
    broadband = has_broadband(ids, residents, coverage)
    for c, p in enumerate(coverage.tolist()):
        sel = residents.home == c
        assert abs(broadband[sel].mean() - p) <= binomial_band(p, int(sel.sum()))
    digitisable = rng.random(n) < 0.6
    cfg = DigitalConfig(success_skilled=0.9, success_low_skill=0.2)
    success, failed = digital_attempts(ids, digitisable, residents, coverage, cfg, rng)
    tried = digitisable & broadband
    assert not np.any(success & failed)
    assert np.array_equal(success | failed, tried)
    for low, p in ((False, 0.9), (True, 0.2)):
        sel = tried & (residents.low_skill == low)
        assert abs(success[sel].mean() - p) <= binomial_band(p, int(sel.sum()))
    off = digital_attempts(ids, digitisable, residents, coverage, DigitalConfig(enabled=False),
                           rng)
    assert not off[0].any() and not off[1].any()


def test_home_broadband_share_by_class(big_model):
    res, t, pc = big_model.residents, big_model.territory, big_model.cfg.population
    broadband = has_broadband(np.arange(res.n), res, big_model.broadband)
    cls = t.cls[res.home]
    for c, p in enumerate((pc.broadband.pole, pc.broadband.bourg, pc.broadband.village)):
        sel = cls == c
        if sel.sum() >= 100:
            assert abs(broadband[sel].mean() - p) <= binomial_band(p, int(sel.sum())), c


# ----------------------------------------------------------------- metamorphic relations


def _coverage_noise(p: float, n: int) -> float:
    """Z sd of the difference of two independent binomial coverage rates over n needs.

    The paired runs share their territory, residents and latent needs (common random numbers),
    which correlates them positively and narrows the difference: a conservative noise band.
    """
    return Z * math.sqrt(2.0 * p * (1.0 - p) / n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_doubling_capacity_does_not_lower_coverage(seed):
    base = small_config(*FUNDED)
    doubled = small_config(
        *FUNDED,
        *(f"sites.{g}.capacity_per_1000={2 * base.sites[g].capacity_per_1000}"
          for g in SITE_GROUPS),
    )
    a, b = softsim.run(base, seed).summary, softsim.run(doubled, seed).summary
    # common random numbers: the same latent needs
    assert a["counts"]["latent"] == b["counts"]["latent"]
    p, n = a["metrics"]["coverage_latent"], a["counts"]["latent"]
    assert b["metrics"]["coverage_latent"] >= p - _coverage_noise(p, n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_disabling_digital_does_not_raise_coverage(seed):
    on = small_config(*FUNDED)
    off = small_config(*FUNDED, "digital.enabled=false")
    a, b = softsim.run(on, seed).summary, softsim.run(off, seed).summary
    assert a["counts"]["latent"] == b["counts"]["latent"]
    p, n = a["metrics"]["coverage_latent"], a["counts"]["latent"]
    assert b["metrics"]["coverage_latent"] <= p + _coverage_noise(p, n)
    assert b["metrics"]["digital_share"] == 0.0


@pytest.mark.parametrize("seed", [0, 1])
def test_raising_awareness_lowers_non_take_up(seed):
    base = small_config(*STATIC_AWARENESS)
    raised = small_config(*STATIC_AWARENESS,
                          services=services_with(awareness=lambda a: min(1.0, a + 0.1)))
    a, b = softsim.run(base, seed).summary, softsim.run(raised, seed).summary
    # Same residents stream: a resident aware at the lower level is aware at the higher one,
    # and the latent needs are the same, so fewer needs can go untaken, with no noise at all.
    assert a["counts"]["latent"] == b["counts"]["latent"]
    assert b["counts"]["not_taken_up"] < a["counts"]["not_taken_up"]
    assert b["metrics"]["non_take_up"] < a["metrics"]["non_take_up"]


@pytest.mark.parametrize(("awareness", "non_take_up"), [(1.0, 0.0), (0.0, 1.0)])
def test_awareness_extremes(awareness, non_take_up):
    cfg = small_config(*STATIC_AWARENESS, services=services_with(awareness=awareness))
    s = softsim.run(cfg, 4).summary
    assert s["metrics"]["non_take_up"] == non_take_up
    if awareness == 0.0:
        assert s["counts"]["served"] == 0 and s["counts"]["expressed"] == 0
