"""Inequality and accessibility metrics: hand-computed values and invariances."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from softsim import metrics as m

positive = st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False)
outcome = st.one_of(st.just(0.0), positive)
vectors = st.lists(outcome, min_size=1, max_size=40).filter(lambda v: sum(v) > 0)
positive_vectors = st.lists(positive, min_size=1, max_size=40)
scales = st.floats(1e-2, 1e2)

INDICES = {
    "gini": m.gini,
    "theil": m.theil,
    "atkinson_0.5": lambda x: m.atkinson(x, 0.5),
    "atkinson_1": lambda x: m.atkinson(x, 1.0),
    "atkinson_2": lambda x: m.atkinson(x, 2.0),
}


# ----------------------------------------------------------------- independent formulas


def gini_by_pairs(x):
    """Mean absolute difference over twice the mean: Σ_i Σ_j |x_i - x_j| / (2 n² μ)."""
    n = len(x)
    mu = sum(x) / n
    return sum(abs(a - b) for a in x for b in x) / (2 * n * n * mu)


def theil_by_hand(x):
    mu = sum(x) / len(x)
    return sum((v / mu) * math.log(v / mu) for v in x if v > 0) / len(x)


# ----------------------------------------------------------------- equality


@pytest.mark.parametrize("name", INDICES)
@given(value=positive, n=st.integers(1, 30))
def test_equal_outcomes_give_zero(name, value, n):
    assert INDICES[name]([value] * n) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("name", INDICES)
@given(x=positive_vectors, data=st.data())
def test_permutation_invariance(name, x, data):
    perm = data.draw(st.permutations(x))
    assert INDICES[name](perm) == pytest.approx(INDICES[name](x), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ["gini", "theil", "atkinson_0.5"])
@given(x=vectors, c=scales)
def test_scale_invariance_with_zeros(name, x, c):
    scaled = [v * c for v in x]
    assert INDICES[name](scaled) == pytest.approx(INDICES[name](x), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("name", ["atkinson_1", "atkinson_2"])
@given(x=positive_vectors, c=scales)
def test_scale_invariance_positive(name, x, c):
    scaled = [v * c for v in x]
    assert INDICES[name](scaled) == pytest.approx(INDICES[name](x), rel=1e-9, abs=1e-12)


@given(vectors)
def test_gini_matches_pairwise_definition_and_bounds(x):
    g = m.gini(x)
    assert g == pytest.approx(gini_by_pairs(x), rel=1e-9, abs=1e-12)
    n = len(x)
    assert -1e-12 <= g <= (n - 1) / n + 1e-12


@given(vectors)
def test_theil_matches_formula_and_bounds(x):
    t = m.theil(x)
    assert t == pytest.approx(theil_by_hand(x), rel=1e-9, abs=1e-12)
    assert -1e-12 <= t <= math.log(len(x)) + 1e-9  # maximum: everything held by one


@given(positive_vectors, st.sampled_from([0.5, 1.0, 2.0]))
def test_atkinson_in_unit_interval(x, eps):
    assert -1e-12 <= m.atkinson(x, eps) <= 1.0


# ----------------------------------------------------------------- hand-computed values


def test_gini_known_values():
    assert m.gini([0, 0, 0, 1]) == pytest.approx(0.75)
    # [1, 2, 3]: pair differences 1, 2, 1 (each twice) -> 8 / (2 * 9 * 2) = 2/9
    assert m.gini([3, 1, 2]) == pytest.approx(2 / 9)
    assert m.gini([0, 0, 0]) == 0.0


def test_theil_known_value():
    # [1, 1, 1, 5]: mean 2, shares 1/2 (three times) and 5/2.
    expected = (3 * 0.5 * math.log(0.5) + 2.5 * math.log(2.5)) / 4
    assert expected == pytest.approx(0.3127515, abs=1e-7)
    assert m.theil([1, 1, 1, 5]) == pytest.approx(expected, rel=1e-12)
    # Everything held by one of n: Theil = ln n.
    assert m.theil([0, 0, 7, 0]) == pytest.approx(math.log(4), rel=1e-12)


def test_atkinson_known_values():
    # [1, 4]: mean 2.5; geometric mean 2; harmonic mean 1.6; (mean of square roots)² = 2.25.
    assert m.atkinson([1, 4], 1.0) == pytest.approx(1 - 2 / 2.5)
    assert m.atkinson([1, 4], 2.0) == pytest.approx(1 - 1.6 / 2.5)
    assert m.atkinson([1, 4], 0.5) == pytest.approx(1 - 2.25 / 2.5)
    assert m.atkinson([0, 4], 1.0) == 1.0
    assert m.atkinson([0, 4], 2.0) == 1.0


def test_theil_decomposition_known_split():
    x = [1, 1, 2, 4]
    groups = ["a", "a", "b", "b"]
    total, between, within = m.theil_decomposition(x, groups)
    mu = 2.0
    # Group a: mean 1, share 2/8; group b: mean 3, share 6/8.
    exp_between = 0.25 * math.log(1 / mu) + 0.75 * math.log(3 / mu)
    t_b = ((2 / 3) * math.log(2 / 3) + (4 / 3) * math.log(4 / 3)) / 2
    exp_within = 0.25 * 0.0 + 0.75 * t_b
    assert between == pytest.approx(exp_between, rel=1e-12)
    assert within == pytest.approx(exp_within, rel=1e-12)
    assert total == pytest.approx(theil_by_hand(x), rel=1e-12)


@given(x=vectors, data=st.data())
def test_theil_between_plus_within_is_total(x, data):
    groups = data.draw(st.lists(st.integers(0, 3), min_size=len(x), max_size=len(x)))
    total, between, within = m.theil_decomposition(x, groups)
    assert total == pytest.approx(m.theil(x), rel=1e-12, abs=1e-15)
    assert between + within == pytest.approx(total, rel=1e-9, abs=1e-12)
    assert between >= -1e-12 and within >= -1e-12


def test_theil_decomposition_single_group_has_no_between():
    total, between, within = m.theil_decomposition([1, 2, 3, 9], [0, 0, 0, 0])
    assert between == pytest.approx(0.0, abs=1e-15)
    assert within == pytest.approx(total, rel=1e-12)


def test_palma_simple_vectors():
    # 1..10: bottom 40 % holds 1+2+3+4 = 10, top 10 % holds 10: ratio 1.
    assert m.palma(list(range(1, 11))) == pytest.approx(1.0)
    # nine 1s and one 11 (total 20): bottom 40 % holds 4, top 10 % holds 11.
    assert m.palma([1] * 9 + [11]) == pytest.approx(11 / 4)
    assert m.palma([3.0] * 10) == pytest.approx(0.1 / 0.4)


def test_p90_p10_simple_vectors():
    # 1..11 with linear interpolation: P10 at rank 1 -> 2, P90 at rank 9 -> 10.
    assert m.p90_p10(list(range(1, 12))) == pytest.approx(5.0)
    assert m.p90_p10([2.0] * 7) == pytest.approx(1.0)
    assert math.isnan(m.p90_p10([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]))


@given(vectors, st.integers(2, 50))
def test_lorenz_endpoints_and_shape(x, points):
    p, share = m.lorenz(x, points=points)
    assert len(p) == len(share) == points
    assert p[0] == 0.0 and p[-1] == 1.0
    assert share[0] == pytest.approx(0.0, abs=1e-12)
    assert share[-1] == pytest.approx(1.0, rel=1e-12)
    assert np.all(np.diff(share) >= -1e-12)
    assert np.all(share <= p + 1e-12)  # never above the line of equality


def test_lorenz_known_points():
    p, share = m.lorenz([0, 0, 0, 1], points=5)
    assert p.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert share.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("bad", [[], [1.0, -1.0], [1.0, float("nan")], [[1.0, 2.0]]])
def test_invalid_inputs_raise(bad):
    with pytest.raises(ValueError):
        m.gini(bad)


def test_ratio_and_fulfilment():
    assert m.ratio(1, 4) == 0.25
    assert math.isnan(m.ratio(3, 0))
    served = np.array([0, 1, 2, 0])
    latent = np.array([0, 1, 3, 2])
    assert m.fulfilment(served, latent).tolist() == pytest.approx([1.5 / 2, 2.5 / 4, 0.5 / 3])


def test_share_within():
    assert m.share_within(np.array([5.0, 20.0, 31.0, 10.0]), 20.0) == 0.75
    assert math.isnan(m.share_within(np.array([]), 20.0))


# ----------------------------------------------------------------- E2SFCA


def test_e2sfca_two_communes_one_site():
    population = np.array([1000, 500])
    minutes = np.array([[5.0, 40.0], [15.0, 3.0]])  # commune 1 is 15 min from the site
    acc = m.e2sfca(population, np.array([0]), np.array([10.0]), minutes)
    # Weights: 1.0 (5 min), 0.68 (15 min). Demand = 1000 + 0.68 * 500 = 1340; R = 10 / 1340.
    r = 10 / 1340
    assert acc.tolist() == pytest.approx([1000 * r, 1000 * 0.68 * r])


def test_e2sfca_outside_catchment_gets_nothing():
    population = np.array([1000, 500])
    minutes = np.array([[5.0, 40.0], [45.0, 3.0]])  # commune 1 is beyond 30 minutes
    acc = m.e2sfca(population, np.array([0]), np.array([10.0]), minutes)
    assert acc.tolist() == pytest.approx([1000 * 10 / 1000, 0.0])


def test_e2sfca_third_band_and_no_sites():
    population = np.array([200, 200])
    minutes = np.array([[25.0, 0.0], [0.0, 0.0]])
    acc = m.e2sfca(population, np.array([0]), np.array([4.0]), minutes)
    # Commune 0 at 25 min (w 0.22), commune 1 at 0 min (w 1): demand 44 + 200 = 244.
    assert acc.tolist() == pytest.approx([1000 * 0.22 * 4 / 244, 1000 * 4 / 244])
    empty = m.e2sfca(population, np.array([], dtype=np.int64), np.array([]), minutes)
    assert empty.tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("minutes", "weight"),
    [(0.0, 1.0), (9.99, 1.0), (10.0, 0.68), (19.99, 0.68), (20.0, 0.22), (29.99, 0.22),
     (30.0, 0.0), (75.0, 0.0)],
)
def test_e2sfca_band_edges(minutes, weight):
    # Commune 0 holds the site at 0 min; commune 1 is `minutes` away (docs/metrics.md §7:
    # t < 10 -> 1, 10 <= t < 20 -> 0.68, 20 <= t < 30 -> 0.22, t >= 30 -> 0).
    population = np.array([100, 100])
    times = np.array([[0.0, 0.0], [minutes, 0.0]])
    acc = m.e2sfca(population, np.array([0]), np.array([5.0]), times)
    r = 5.0 / (100 * 1.0 + 100 * weight)
    assert acc.tolist() == pytest.approx([1000 * r, 1000 * weight * r])
