"""Awareness: stationarity, the exact two-state transition, orientation.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np

from softsim.config import (
    InformationConfig,
)
from softsim.information import Awareness


def residents(home, bits):
    home = np.asarray(home, np.int32)
    n = len(home)
    return SimpleNamespace(n=n, home=home, awareness=np.asarray(bits, np.uint16),
                           latent=np.zeros(n, np.uint16), not_taken_up=np.zeros(n, np.uint16))


def refresh(aw, resident, week, spending):
    """Bring ``resident`` (each with a need of type 0) up to ``week`` through the model's call."""
    aw.express(resident, np.zeros(len(resident), np.int8), week, spending)


def recount(res, n_communes, n_types):
    k = np.arange(n_types, dtype=np.uint16)
    bits = (res.awareness[:, None] >> k) & 1
    return np.stack([np.bincount(res.home, weights=bits[:, i], minlength=n_communes)
                     for i in range(n_types)], axis=1).astype(np.int64)


def test_awareness_is_stationary_at_the_configured_level_without_spending():
    # 20 communes x 1,000 residents, three types; each week a random 20 % have a need and are
    # brought up to date. Forgetting at 5.2 a year (0.1 a week) mixes the chain in ~10 weeks,
    # so 200 weeks are many mixing times: a learning rate 10 % off drifts beyond the tolerance.
    # Tolerance: 6 SD of the share of 20,000 Bernoulli(a) states, the variance inflated by 1/a
    # for word of mouth (linearised, a commune's share relaxes at rate mu a/(1-a) instead of
    # mu/(1-a) for independent residents: variance x 1/a), plus the finite-commune bias of
    # word of mouth: the drift mu s (a - s)/(1 - a) is concave in s, so noise of variance v in a
    # commune's share pulls its mean to ~ a - v/a, v ~ (1 - a)/per: 0.0023 at a = 0.3.
    rng = np.random.default_rng(7)
    a = np.array([0.3, 0.66, 0.9])
    n_communes, per = 20, 1000
    home = np.repeat(np.arange(n_communes), per)
    n = len(home)
    bits = sum(((rng.random(n) < a[k]).astype(np.uint16) << k) for k in range(3))
    res = residents(home, bits)
    cfg = InformationConfig(spending_per_1000_per_week=0.0, orientation=0.0,
                            forget_per_year=5.2)
    aw = Awareness(cfg, res, a.tolist(), n_communes, np.random.default_rng(8), 52)
    for week in range(1, 201):
        who = np.flatnonzero(rng.random(n) < 0.2).astype(np.int32)
        refresh(aw, who, week, 0.0)
        aw.orient(who)  # orientation 0: a no-op
    assert np.array_equal(aw.aware_count, recount(res, n_communes, 3))
    share = aw.share_aware()
    tol = 6 * np.sqrt(a * (1 - a) / n / a) + (1 - a) / (a * per)
    assert np.all(np.abs(share - a) <= tol), (share, tol)


def test_awareness_refresh_is_the_exact_two_state_transition():
    # Resident 0 shares commune 0 with 9 others that are never refreshed. Type 0: resident
    # unaware, 5 others aware (s = 0.5); type 1: resident aware, 2 others (s = 0.3).
    # P(aware after dt) = pi + (s0 - pi) exp(-(lambda + mu) dt) with pi = lambda/(lambda + mu),
    # lambda = lambda0 s / a + learn_per_euro x S, lambda0 = mu a / (1 - a) (information.py).
    a = np.array([0.6, 0.8])
    mu, learn, spending, dt = 2.6 / 52, 0.002, 10.0, 7
    others0 = [1] * 5 + [0] * 4
    others1 = [1] * 2 + [0] * 7
    bits = [0b10] + [b0 | (b1 << 1) for b0, b1 in zip(others0, others1, strict=True)]
    expected = []
    for k, (s, s0) in enumerate(((0.5, 0), (0.3, 1))):
        lam = mu * a[k] / (1 - a[k]) * s / a[k] + learn * spending
        pi = lam / (lam + mu)
        expected.append(pi + (s0 - pi) * math.exp(-(lam + mu) * dt))
    cfg = InformationConfig(learn_per_euro=learn, orientation=0.0, forget_per_year=mu * 52)
    n_seeds = 4000
    aware = np.zeros(2)
    for seed in range(n_seeds):
        res = residents([0] * 10, bits)
        aw = Awareness(cfg, res, a.tolist(), 1, np.random.default_rng(seed), 52)
        refresh(aw, np.array([0], np.int32), dt, spending)
        aware += [(res.awareness[0] >> k) & 1 for k in range(2)]
        assert aw.updated[0] == dt
        assert np.array_equal(aw.aware_count, recount(res, 1, 2))
        assert np.array_equal(res.awareness[1:], np.asarray(bits[1:], np.uint16))
    # binomial over 4,000 seeds: 4.5 SD (a one-step Euler lambda*dt or dt = 1 are > 10 SD off)
    freq = aware / n_seeds
    for k in range(2):
        sd = math.sqrt(expected[k] * (1 - expected[k]) / n_seeds)
        assert abs(freq[k] - expected[k]) <= 4.5 * sd, (k, freq[k], expected[k])


def test_no_refresh_twice_in_a_week():
    res = residents([0] * 10, [0] * 10)
    cfg = InformationConfig(learn_per_euro=1.0, forget_per_year=52.0)
    aw = Awareness(cfg, res, [0.5], 1, np.random.default_rng(0), 52)
    refresh(aw, np.array([0], np.int32), 3, 100.0)
    state = res.awareness.copy()
    for _ in range(20):  # a second need the same week does not advance the chain again
        refresh(aw, np.array([0], np.int32), 3, 100.0)
        assert np.array_equal(res.awareness, state)


def test_orientation_only_adds_awareness():
    # orientation 0.5 on 4,000 served residents x 4 types: every bit set stays set; of the
    # unset bits about half get set (binomial, 5 SD on ~8,000 bits: +- 0.028).
    rng = np.random.default_rng(3)
    n, n_communes = 4000, 20
    home = rng.integers(0, n_communes, n)
    before = rng.integers(0, 16, n).astype(np.uint16)
    res = residents(home, before.copy())
    aw = Awareness(InformationConfig(orientation=0.5), res, [0.5] * 4, n_communes,
                   np.random.default_rng(4), 52)
    served = np.arange(n, dtype=np.int32)
    aw.orient(served)
    after = res.awareness
    assert np.all(after & before == before)
    assert np.array_equal(aw.aware_count, recount(res, n_communes, 4))
    k = np.arange(4, dtype=np.uint16)
    was0 = ((before[:, None] >> k) & 1) == 0
    now1 = ((after[:, None] >> k) & 1) == 1
    frac = now1[was0].mean()
    assert abs(frac - 0.5) <= 5 * math.sqrt(0.25 / was0.sum())
    # orientation 1: every served resident knows every service; 0: nothing changes
    res1 = residents(home, before.copy())
    Awareness(InformationConfig(orientation=1.0), res1, [0.5] * 4, n_communes,
              np.random.default_rng(0), 52).orient(served[:100])
    assert np.all(res1.awareness[:100] == 0b1111)
    assert np.array_equal(res1.awareness[100:], before[100:])
    res0 = residents(home, before.copy())
    Awareness(InformationConfig(orientation=0.0), res0, [0.5] * 4, n_communes,
              np.random.default_rng(0), 52).orient(served)
    assert np.array_equal(res0.awareness, before)
