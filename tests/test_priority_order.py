"""The allocation's priority order against numpy's stable sort of the negated keys."""

from __future__ import annotations

import numpy as np
import pytest

from softsim.priority_order import descending


def _stable(key: np.ndarray) -> np.ndarray:
    return np.argsort(-key, kind="stable")


@pytest.mark.parametrize("seed", range(20))
def test_random_keys_with_many_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3000))
    key = rng.integers(-int(rng.integers(1, 50)), 1, n).astype(np.float64)  # few values: ties
    key[rng.random(n) < 0.05] = -np.inf
    key[rng.random(n) < 0.05] = -0.0  # equal to 0.0
    np.testing.assert_array_equal(descending(key), _stable(key))


@pytest.mark.parametrize("seed", range(5))
def test_the_model_keys(seed):
    """Efraimidis-Spirakis keys as the model draws them, weights of a few values."""
    rng = np.random.default_rng(seed)
    n = 50_000
    key = np.log(rng.random(n)) / rng.choice([0.5, 1.0, 2.0, 3.0], n)
    key[rng.integers(0, n, 200)] = key[rng.integers(0, n, 200)]  # plant equal keys
    expected = _stable(key)
    got = descending(key)
    np.testing.assert_array_equal(got, expected)


def test_nan_keys_go_last_in_index_order():
    key = np.array([np.nan, -1.0, np.nan, -0.5, -1.0, np.nan])
    np.testing.assert_array_equal(descending(key), [3, 1, 4, 0, 2, 5])
    np.testing.assert_array_equal(descending(key), _stable(key))


def test_float32_keys_and_short_inputs():
    for key in (np.zeros(0), np.array([-2.0]), np.array([-1.0, -1.0]),
                np.array([-3.0, -1.0, -2.0], np.float32)):
        np.testing.assert_array_equal(descending(key), _stable(key))


def test_keys_that_differ_only_in_their_lowest_bits():
    """Keys one ulp apart share the bits the sort keeps: they are ordered by their full value."""
    rng = np.random.default_rng(7)
    base = np.log(rng.random(40))
    key = np.concatenate([base, np.nextafter(base, 0.0), np.nextafter(base, -1.0), base,
                          np.log(rng.random(5000))])
    key = key[rng.permutation(len(key))]
    np.testing.assert_array_equal(descending(key), _stable(key))


def test_keys_of_many_repeated_values():
    rng = np.random.default_rng(8)
    key = -rng.integers(0, 2000, 10_000) / 7.0
    np.testing.assert_array_equal(descending(key), _stable(key))


def test_infinite_and_positive_keys():
    key = np.array([-np.inf, 1.0, -2.0, np.inf, -0.0, 0.0, -np.inf, 3.5, np.inf])
    np.testing.assert_array_equal(descending(key), [3, 8, 7, 1, 4, 5, 2, 0, 6])


def test_a_run_of_ties_at_both_ends():
    key = np.array([-5.0, 0.0, -5.0, -1.0, 0.0, -5.0, -1.0, 0.0])
    np.testing.assert_array_equal(descending(key), [1, 4, 7, 3, 6, 0, 2, 5])
