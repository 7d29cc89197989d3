"""The allocation's priority order: needs by decreasing key, equal keys in pool order.

``np.argsort(-key, kind="stable")`` gives that order but its stable sort of floats is several
times slower than numpy's default (unstable, vectorised) sort. Keys are continuous random
numbers, so equal keys are rare: :func:`descending` sorts with the default kind, then puts
the indices of each run of equal keys back in increasing order, which is exactly the stable
order, ties included.
"""

from __future__ import annotations

import numpy as np

__all__ = ["descending"]


def descending(key: np.ndarray) -> np.ndarray:
    """Indices of ``key`` by decreasing value, equal values by increasing index.

    The same permutation as ``np.argsort(-key, kind="stable")`` (NaNs last), faster.
    """
    neg = -key
    order = np.argsort(neg)
    if len(order) < 2:
        return order
    ranked = neg[order]
    if np.isnan(ranked[-1]):  # NaNs sort last but compare unequal: leave them to numpy
        return np.argsort(neg, kind="stable")
    tied = np.flatnonzero(ranked[1:] == ranked[:-1])
    if len(tied):
        # runs of equal keys: tied[j] starts a new run unless it follows tied[j - 1]
        starts = tied[np.r_[True, np.diff(tied) > 1]]
        ends = tied[np.r_[np.diff(tied) > 1, True]] + 2
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            order[a:b] = np.sort(order[a:b])
    return order
