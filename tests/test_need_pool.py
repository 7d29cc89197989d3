"""The pool of pending needs: appending arrivals and keeping the needs still pending."""

from __future__ import annotations

import numpy as np
import pytest

from softsim.demand import NeedPool


@pytest.mark.parametrize("seed", range(5))
def test_add_then_keep_matches_masking_each_column(seed):
    rng = np.random.default_rng(seed)
    pool = NeedPool.empty()
    columns = {name: [] for name in ("resident", "type", "arrival", "digitisable")}
    for week in range(6):
        n = int(rng.integers(0, 400))
        resident, type_ = rng.integers(0, 10**6, n), rng.integers(0, 6, n)
        digitisable = rng.random(n) < 0.3
        pool.add(resident, type_, week, digitisable)
        columns["resident"].extend(resident.tolist())
        columns["type"].extend(type_.tolist())
        columns["arrival"].extend([week] * n)
        columns["digitisable"].extend(digitisable.tolist())
        pool.level[rng.random(len(pool)) < 0.1] = 1  # some oriented to a second level
        level, ready = pool.level.copy(), pool.ready.copy()
        keep = rng.random(len(pool)) < 0.7
        pool.keep(keep)
        for name in columns:
            columns[name] = [v for v, k in zip(columns[name], keep, strict=True) if k]
        assert pool.resident.tolist() == columns["resident"]
        assert pool.type.tolist() == columns["type"]
        assert pool.arrival.tolist() == columns["arrival"]
        assert pool.digitisable.tolist() == columns["digitisable"]
        assert pool.level.tolist() == level[keep].tolist()
        assert pool.ready.tolist() == ready[keep].tolist()
        assert (pool.resident.dtype, pool.type.dtype, pool.arrival.dtype) == (
            np.int32, np.int8, np.int32)


def test_keep_refuses_a_mask_of_another_length():
    pool = NeedPool.empty()
    pool.add(np.arange(3), np.zeros(3, np.int8), 0, np.zeros(3, bool))
    with pytest.raises(IndexError):
        pool.keep(np.ones(2, bool))
