"""The group counts of ``collect``: one compiled pass equals numpy's masked sums."""

from __future__ import annotations

import numpy as np

from softsim.outcomes import _counts_in


def test_counts_in_equal_masked_sums():
    rng = np.random.default_rng(4)
    n = 5000
    arrays = [rng.integers(0, 60000, n).astype(np.uint16) for _ in range(5)]
    for sel in (rng.random(n) < 0.3, np.zeros(n, bool), np.ones(n, bool)):
        expected = [int(sel.sum())] + [int(a[sel].astype(np.int64).sum()) for a in arrays]
        assert _counts_in(sel, *arrays).tolist() == expected
    assert expected[1] > 2**16  # sums beyond the arrays' own type
