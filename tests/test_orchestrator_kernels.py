"""The orchestrator's compiled passes against the numpy and scipy code they replace, bit for bit.

Each reference below is the review's former numpy/scipy pass, written out here; inputs are
random, with many ties (small integer scores), zeros of both signs and NaN.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from softsim.orchestrator_kernels import best_place, best_types, remove_covered, rerank


def tied_scores(rng, n, k, nan=False) -> np.ndarray:
    """float32 (n, k, 2) scores: small integers and thirds (ties, rounding), ±0, maybe NaN."""
    s = rng.integers(0, 4, size=(n, k, 2)).astype(np.float32)
    s *= rng.choice(np.array([1.0, 1.0 / 3.0, 7.1], np.float32), size=s.shape)
    s[rng.random(s.shape) < 0.1] = -0.0
    s[rng.random(s.shape) < 0.05] = -1e-7  # a removal may leave a tiny negative score
    if nan:
        s[rng.random(s.shape) < 0.05] = np.nan
    return s


def reference_best(scores, allowed, top):
    ranked = np.where(allowed[None, :, None], scores, -np.inf)
    best = np.argsort(-ranked, axis=1, kind="stable")[:, :top, :]
    return best, np.take_along_axis(scores, best, axis=1).sum(axis=1)


@pytest.mark.parametrize("seed", range(40))
def test_best_types_is_the_stable_argsort(seed):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 30)), int(rng.integers(1, 13))
    allowed = rng.random(k) < 0.7
    if not allowed.any():
        allowed[rng.integers(k)] = True
    top = int(rng.integers(1, allowed.sum() + 1))
    scores = tied_scores(rng, n, k, nan=seed % 4 == 0)
    best, reach = best_types(scores, allowed, top)
    want_best, want_reach = reference_best(scores, allowed, top)
    assert best.dtype == want_best.dtype and reach.dtype == want_reach.dtype == np.float32
    np.testing.assert_array_equal(best, want_best)
    assert reach.tobytes() == want_reach.tobytes()  # same bits, NaN and -0.0 included


def test_rerank_changes_only_the_rows_asked_for():
    rng = np.random.default_rng(7)
    scores = tied_scores(rng, 20, 5)
    allowed = np.array([True, False, True, True, True])
    best, reach = best_types(scores, allowed, 3)
    kept_best, kept_reach = best.copy(), reach.copy()
    rows = rng.random(20) < 0.5
    scores[rows] = tied_scores(rng, int(rows.sum()), 5)
    scores[~rows] = tied_scores(rng, int((~rows).sum()), 5)  # not re-ranked: stays as it was
    rerank(scores, allowed, 3, best, reach, rows)
    want_best, want_reach = reference_best(scores, allowed, 3)
    np.testing.assert_array_equal(best[rows], want_best[rows])
    assert reach[rows].tobytes() == want_reach[rows].tobytes()
    np.testing.assert_array_equal(best[~rows], kept_best[~rows])
    assert reach[~rows].tobytes() == kept_reach[~rows].tobytes()


def test_best_types_breaks_ties_by_the_lower_type_and_skips_disallowed():
    # types 0..4 at commune 0, weekday: 5, 9, 9, 12 (not offerable), 9
    scores = np.zeros((1, 5, 2), np.float32)
    scores[0, :, 0] = [5, 9, 9, 12, 9]
    allowed = np.array([True, True, True, False, True])
    best, reach = best_types(scores, allowed, 3)
    assert best[0, :, 0].tolist() == [1, 2, 4]
    assert reach[0, 0] == 27.0
    assert best[0, :, 1].tolist() == [0, 1, 2] and reach[0, 1] == 0.0


def reference_place(reach, cap, running, move_cost, here, change_here, slot_ok, budget, far):
    n = reach.shape[0]
    value = np.minimum(reach, cap)
    change = np.full((n, 2), move_cost)
    change[here] = change_here
    value = np.where(slot_ok[None, :], value, -1.0)
    affordable = (change <= budget) & ~far[:, None]
    score = np.where(affordable, value / (running + change), -1.0)
    j, s = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(j), int(s), score[j, s]


@pytest.mark.parametrize("seed", range(40))
def test_best_place_is_the_numpy_argmax(seed):
    rng = np.random.default_rng(200 + seed)
    n = int(rng.integers(1, 30))
    reach = tied_scores(rng, n, 1, nan=seed % 5 == 0)[:, 0, :]
    cap = np.float32(rng.choice([1.0, 2.0, 1e9]))  # often binding: many equal scores
    running = float(rng.choice([1e-9, 3.0, 1200.0]))
    move_cost = float(rng.choice([0.0, 5.0, 1500.0]))
    here = int(rng.integers(n))
    change_here = rng.choice([0.0, 400.0], size=2)
    slot_ok = rng.random(2) < 0.8
    budget = float(rng.choice([0.0, 450.0, 1e4, np.inf]))
    far = rng.random(n) < 0.2
    far[here] = False
    args = (reach, cap, running, move_cost, here, change_here, slot_ok, budget, far)
    j, s, score = best_place(*args)
    want_j, want_s, want_score = reference_place(*args)
    assert (j, s) == (want_j, want_s)
    assert np.float64(score).tobytes() == np.float64(want_score).tobytes()


def reference_remove(flat, score_map, reach, j, types, s, share):
    by_j = reach.tocsc()
    rows = np.sort(by_j.indices[by_j.indptr[j] : by_j.indptr[j + 1]])
    cols = np.array(types) * 2 + s
    delta = flat[np.ix_(rows, cols)] * share
    flat[np.ix_(rows, cols)] -= delta
    score_map[:, cols] -= reach[rows].T @ delta


@pytest.mark.parametrize("seed", range(30))
def test_remove_covered_is_the_scipy_product(seed):
    rng = np.random.default_rng(100 + seed)
    n, k = int(rng.integers(1, 40)), int(rng.integers(1, 7))
    near = rng.random((n, n)) < 0.3
    np.fill_diagonal(near, True)
    reach = csr_matrix(near.astype(np.float32))
    flat = (rng.random((n, 2 * k)) * 50).astype(np.float32)
    flat[rng.random(flat.shape) < 0.2] = 0.0
    score_map = reach.T @ flat
    share = np.float32(rng.choice([1.0, 0.37, 1.0 / 3.0]))
    want_flat, want_map = flat.copy(), score_map.copy()
    got_flat, got_map = flat.copy(), score_map.copy()
    allowed = np.ones(k, bool)
    top = int(rng.integers(1, k + 1))
    best, reach_top = best_types(got_map.reshape(n, k, 2), allowed, top)
    for _ in range(4):  # successive modules, each on the map the previous one left
        j = int(rng.integers(n))
        types = sorted(rng.choice(k, size=int(rng.integers(1, k + 1)), replace=False).tolist())
        s = int(rng.integers(2))
        before = want_map.copy()
        reference_remove(want_flat, want_map, reach, j, types, s, share)
        by_j = reach.tocsc()
        touched = remove_covered(got_flat, got_map, by_j.indptr, by_j.indices, reach.indptr,
                                 reach.indices, reach.data, j,
                                 np.array(types, np.int64) * 2 + s, share)
        assert got_flat.tobytes() == want_flat.tobytes()
        assert got_map.tobytes() == want_map.tobytes()
        # the rows it says untouched are unchanged; re-ranking the touched ones ranks all
        assert (before[~touched] == want_map[~touched]).all()
        rerank(got_map.reshape(n, k, 2), allowed, top, best, reach_top, touched)
        want_best, want_reach = reference_best(want_map.reshape(n, k, 2), allowed, top)
        np.testing.assert_array_equal(best, want_best)
        assert reach_top.tobytes() == want_reach.tobytes()
