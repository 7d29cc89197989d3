"""Compiled passes of the orchestrator's review: rank the best types, remove covered demand.

A review takes the modules one at a time; for each it ranks, for every (commune, slot class),
the service types by the demand they reach there, and once the module has chosen, removes the
demand it will cover from the observed map. At the sizes of a département (a few hundred
communes, a handful of types) each of these is a few thousand numbers, so the numpy and scipy
calls they replace cost far more in call overhead than in arithmetic; here each is one call.

The numbers are those of the numpy and scipy passes they replace, bit for bit
(``tests/test_orchestrator_kernels.py`` checks each pass against them):

- :func:`best_types` is ``np.argsort(-ranked, axis=1, kind="stable")[:, :top, :]`` with
  ``ranked`` the score map where the type may be offered and −inf elsewhere: the best score
  first, the lower type id first among equal scores, NaN last (numpy's sort order); its sums
  of the ``top`` scores are float32 sums in rank order from +0, as numpy's sum along that axis.
- :func:`best_place` is ``np.argmax`` over the scores
  ``np.where(affordable, np.minimum(reach, cap) / (running + change), -1.0)`` (float32 values
  over float64 costs, the first maximum, or the first NaN, as numpy's argmax).
- :func:`remove_covered` is ``flat[rows, cols] -= delta`` then
  ``score_map[:, cols] -= reach[rows].T @ delta``: scipy's product of a CSC matrix by a dense
  one zeroes a float32 result and adds, for each reached row in ascending order, its values
  into every destination the row reaches; the result is then subtracted.

The passes are sequential (no thread count can change a result) and draw no random number.
"""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["best_place", "best_types", "remove_covered", "rerank"]


@nb.njit(cache=True, nogil=True, inline="always")
def _before(a, b):
    """True if score ``a`` ranks strictly before ``b`` (numpy's ascending order of −a, −b)."""
    na, nb_ = -a, -b
    return na < nb_ or (nb_ != nb_ and na == na)


@nb.njit(cache=True, nogil=True)
def best_types(scores, allowed, top):
    """The ``top`` best offerable types of each (commune, slot class) and their summed scores.

    Args:
        scores: Demand reachable from each commune, float32 (communes, types, 2 slot classes).
        allowed: Bool per type: may a module offer it (the others rank last, as −inf).
        top: How many types to keep (at most the number of offerable types).

    Returns:
        ``best`` int64 (communes, top, 2): type ids best first, the lower id first among
        equal scores; ``reach`` float32 (communes, 2): the sum of their scores in that order.
    """
    n, _, slots = scores.shape
    best = np.empty((n, top, slots), np.int64)
    reach = np.empty((n, slots), np.float32)
    rerank(scores, allowed, top, best, reach, np.ones(n, np.bool_))
    return best, reach


@nb.njit(cache=True, nogil=True)
def rerank(scores, allowed, top, best, reach, rows):
    """:func:`best_types` in place, for the communes where ``rows`` is True only.

    After :func:`remove_covered` only the communes it touched have other scores: the others
    keep their ranking.
    """
    n, k, slots = scores.shape
    key = np.empty(max(top, 1), np.float32)
    ids = np.zeros(max(top, 1), np.int64)
    neg_inf = np.float32(-np.inf)
    for i in range(n):
        if not rows[i]:
            continue
        for s in range(slots):
            filled = 0
            for t in range(k):
                v = scores[i, t, s] if allowed[t] else neg_inf
                # the new type goes after every kept one it does not beat (stable order)
                pos = filled
                while pos > 0 and _before(v, key[pos - 1]):
                    pos -= 1
                if pos >= top:
                    continue
                last = min(filled, top - 1)
                for q in range(last, pos, -1):
                    key[q] = key[q - 1]
                    ids[q] = ids[q - 1]
                key[pos] = v
                ids[pos] = t
                filled = min(filled + 1, top)
            total = np.float32(0.0)  # numpy's sum starts from +0 (a sum of -0s is +0)
            for q in range(top):
                best[i, q, s] = ids[q]
                total += scores[i, ids[q], s]
            reach[i, s] = total


@nb.njit(cache=True, nogil=True)
def best_place(reach, cap, running, move_cost, here, change_here, slot_ok, budget, far):
    """The best-scoring (commune, slot class) for one module, and its score.

    A place's score is the demand it reaches, capped at the module's capacity, over the
    module's running cost plus the change's cost; a place the module may not take scores −1.

    Args:
        reach: Demand of the best types reachable from each place, float32 (communes, 2).
        cap: The module's capacity over the review period, float32.
        running: The module's running cost over the period (> 0).
        move_cost: Cost of moving to another commune.
        here: The module's commune.
        change_here: Cost of each slot class at ``here`` (0 if nothing changes, else a
            retype), float64 (2,).
        slot_ok: Bool per slot class: may the module take it (re-timing allowed or its own).
        budget: Money left for changes: a change costing more is not an option.
        far: Bool per commune: too far for the km allowance left (never ``here``).

    Returns:
        ``(j, s, score)``: the first best place in (commune, slot class) order (the first
        NaN if any, as ``np.argmax``) and its score.
    """
    n, slots = reach.shape
    best = -np.inf
    best_j = best_s = 0
    for j in range(n):
        for s in range(slots):
            r = reach[j, s]
            value = r if (r <= cap or r != r) else cap
            if not slot_ok[s]:
                value = np.float32(-1.0)
            change = change_here[s] if j == here else move_cost
            score = -1.0
            if change <= budget and not far[j]:
                score = np.float64(value) / (running + change)
            if score != score:
                return j, s, score
            if (j == 0 and s == 0) or score > best:
                best = score
                best_j, best_s = j, s
    return best_j, best_s, best


@nb.njit(cache=True, nogil=True)
def remove_covered(flat, score_map, to_ptr, to_idx, from_ptr, from_idx, from_val, j, cols, share):
    """Remove the demand a module at ``j`` covers, in place, from the map and its reach scores.

    Args:
        flat: Observed demand, float32 (communes, types × 2 slot classes).
        score_map: Demand reachable from each commune, float32, same shape.
        to_ptr: The reach by destination (CSC): where each commune's origins start.
        to_idx: The origins that reach each commune (CSC indices).
        from_ptr: The reach by origin (CSR): where each origin's destinations start.
        from_idx: The destinations each origin reaches (CSR indices).
        from_val: The matrix's values there (1.0).
        j: The module's commune.
        cols: Columns of ``flat`` it covers (type × 2 + slot class).
        share: Share of each reached cell it takes, float32 (``1 − keep``).

    Returns:
        Bool per commune: its row of ``score_map`` was touched (the others are unchanged).
    """
    rows = np.sort(to_idx[to_ptr[j] : to_ptr[j + 1]])
    m = len(cols)
    n = score_map.shape[0]
    delta = np.empty((len(rows), m), np.float32)
    for a in range(len(rows)):
        r = rows[a]
        for c in range(m):
            d = flat[r, cols[c]] * share
            delta[a, c] = d
            flat[r, cols[c]] -= d
    gathered = np.zeros((n, m), np.float32)
    touched = np.zeros(n, np.bool_)
    for a in range(len(rows)):  # reached rows in ascending order, as scipy's CSC product
        r = rows[a]
        for p in range(from_ptr[r], from_ptr[r + 1]):
            i = from_idx[p]
            touched[i] = True
            for c in range(m):
                gathered[i, c] += from_val[p] * delta[a, c]
    for i in range(n):  # subtracting an untouched zero changes nothing
        if touched[i]:
            for c in range(m):
                score_map[i, cols[c]] -= gathered[i, c]
    return touched
