"""Stable grouping of indices by an integer key: the counting sort the kernels share.

The weekly kernels and the travel tables group items by commune or by site (needs by their
resident's home, sites by their commune, option entries by their site) and walk each group in
the items' own order. :func:`group_by` gives that grouping in two passes over the keys.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["group_by"]


@nb.njit(cache=True, nogil=True)
def group_by(keys, n_groups):
    """Indices of ``keys`` grouped by key, in increasing index within each group.

    Args:
        keys: Integer keys in ``[0, n_groups)``.
        n_groups: Number of groups.

    Returns:
        ``(order, ptr)``: the indices with key ``g`` are ``order[ptr[g]:ptr[g + 1]]``.
    """
    ptr = np.zeros(n_groups + 1, np.int64)
    for i in range(len(keys)):
        ptr[keys[i] + 1] += 1
    for g in range(n_groups):
        ptr[g + 1] += ptr[g]
    fill = ptr[:-1].copy()
    order = np.empty(len(keys), np.int64)
    for i in range(len(keys)):
        order[fill[keys[i]]] = i
        fill[keys[i]] += 1
    return order, ptr
