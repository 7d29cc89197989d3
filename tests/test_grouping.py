"""The shared stable grouping of the kernels against numpy's stable sort."""

from __future__ import annotations

import numpy as np
import pytest

from softsim.grouping import group_by


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("n_groups", [1, 7, 200])
def test_group_by_is_the_stable_argsort_by_key(dtype, n_groups):
    keys = np.random.default_rng(n_groups).integers(0, n_groups, 1_000).astype(dtype)
    order, ptr = group_by(keys, n_groups)
    np.testing.assert_array_equal(order, np.argsort(keys, kind="stable"))
    np.testing.assert_array_equal(ptr, np.concatenate([[0], np.cumsum(np.bincount(
        keys, minlength=n_groups))]))


def test_group_by_leaves_empty_groups_empty():
    order, ptr = group_by(np.array([3, 0, 3], np.int64), 5)
    assert order.tolist() == [1, 0, 2]
    assert ptr.tolist() == [0, 1, 1, 1, 3, 3]
