"""Compiled scatter-add: ``target[idx] += value`` with repeated indices counted every time.

Same result as :func:`numpy.add.at`, which is an order of magnitude slower on the per-week
tallies of the model (measured: it was the largest phase cost before this module).
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["add_at"]


@nb.njit(cache=True)
def _add_scalar(target, idx, value):
    for i in idx:
        target[i] += value


@nb.njit(cache=True)
def _add_array(target, idx, values):
    for j in range(len(idx)):
        target[idx[j]] += values[j]


def add_at(target: np.ndarray, idx: np.ndarray, value) -> None:
    """``target[idx] += value`` for every occurrence of each index (``value`` scalar or array)."""
    if np.ndim(value) == 0:
        _add_scalar(target, idx, target.dtype.type(value))
    else:
        _add_array(target, idx, np.asarray(value, dtype=target.dtype))

