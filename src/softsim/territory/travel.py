"""Travel times between communes: sparse neighbour lists within a cutoff, exact rows on demand.

The road graph (:class:`RoadGraph`) gives travel times by shortest paths (Dijkstra, compiled and
parallel over sources; the same values as :func:`scipy.sparse.csgraph.dijkstra`). A run keeps
only the pairs that its rules can use (:class:`Travel`): every pair within ``cutoff_min`` minutes
by car or within the km a slower mode covers in ``cutoff_min`` (:func:`travel_cutoff` derives it
from the config), as CSR neighbour lists with car minutes, no-car minutes and road km. Memory
grows with communes × neighbours, not communes².

Values are those of the dense all-pairs computation, bit for bit: Dijkstra with a ``limit``
settles the same nodes in the same order up to the limit, and the access terms are added in the
same order (``tests/test_sparse.py``). Readers that need pairs beyond the cutoff (the farthest
commune from a base, commute and shopping gravity, tours of the week, the nearest site of a far
commune) ask for exact rows (:meth:`Travel.rows`) or columns (:meth:`Travel.columns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba as nb
import numpy as np
from scipy.sparse import coo_matrix

from softsim.grouping import group_by

__all__ = ["KINDS", "PairView", "RoadGraph", "Travel", "site_columns", "travel_cutoff"]

KINDS = ("car", "nocar", "km")
"""Stored values of a pair: car minutes, no-car minutes, road km (rows of ``Travel.values``)."""
CHUNK = 256
"""Sources per Dijkstra call (bounds the float64 working arrays to CHUNK × communes)."""
ROW_CACHE = 512
"""Exact full rows kept after a request (tours and pairs beyond the cutoff reuse them)."""
COLUMN_CACHE_BYTES = 256 * 2**20
"""Memory of the columns kept after a request (the sites' columns, read at every summary)."""


def travel_cutoff(cfg) -> float:
    """The one-way minutes a run's rules can look at (the cutoff of its :class:`Travel`).

    The largest of: every service's ``tolerance_min`` (the dependent factor is a share, so never
    larger), ``residents.work_break_min``, ``associations.reach_min``, ``orchestrator.reach_min``,
    the widest E2SFCA band and the access thresholds (20, 30 minutes) of the summary.
    """
    from softsim.metrics import E2SFCA_BANDS

    return float(
        max(
            max((s.tolerance_min for s in cfg.services.values()), default=0.0),
            cfg.residents.work_break_min,
            cfg.associations.reach_min,
            cfg.orchestrator.reach_min,
            max(upper for upper, _ in E2SFCA_BANDS),
            30.0,
        )
    )


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """Road segments with their car minutes and km, and how residents reach their centre.

    Attributes:
        a, b: Commune indices of each road segment.
        edge_min, edge_km: Car minutes and km of each segment.
        access_km: Mean km from a resident to the centre of their commune.
        intra_speed_kmh, nocar_speed_kmh, nocar_wait_min: From ``travel``.
        min_speed_kmh, max_speed_kmh: Slowest and fastest road speed (bounds for the limits).
    """

    a: np.ndarray
    b: np.ndarray
    edge_min: np.ndarray
    edge_km: np.ndarray
    access_km: np.ndarray
    intra_speed_kmh: float
    nocar_speed_kmh: float
    nocar_wait_min: float
    min_speed_kmh: float
    max_speed_kmh: float
    _graphs: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of communes."""
        return len(self.access_km)

    def _graph(self, which: str):
        """Both directions of every segment as CSR ``(indptr, indices, weights)``."""
        if which not in self._graphs:
            w = self.edge_min if which == "min" else self.edge_km
            g = coo_matrix(
                (np.concatenate([w, w]), (np.concatenate([self.a, self.b]),
                                          np.concatenate([self.b, self.a]))),
                shape=(self.n, self.n),
            ).tocsr()
            g.sort_indices()
            self._graphs[which] = (g.indptr.astype(np.int64), g.indices.astype(np.int32),
                                   g.data.astype(np.float64))
        return self._graphs[which]

    def paths(self, sources, limit_min=np.inf, limit_km=np.inf, kinds=("min", "km")):
        """Shortest car-minute and km paths from ``sources`` (float64, ``inf`` beyond a limit).

        ``kinds`` says which: ``min`` (car minutes), ``km``; one array per kind, in that order.

        Same values as :func:`scipy.sparse.csgraph.dijkstra` (each distance is the minimum of
        ``dist[u] + w`` over settled neighbours, whatever the order), computed in parallel
        over sources (each row on its own: the same numbers whatever the thread count).
        """
        src = np.atleast_1d(np.asarray(sources, np.int64))
        limits = {"min": float(limit_min), "km": float(limit_km)}
        return tuple(_dijkstra_many(*self._graph(w), src, limits[w]) for w in kinds)

    def values(self, origins: np.ndarray, car_path: np.ndarray, km_path: np.ndarray):
        """Car minutes, no-car minutes and road km (float32) from ``origins`` given the paths.

        ``origins[r]`` is the origin commune of row ``r`` of the paths (the access term is the
        origin's); rows are ``(len(origins), communes)``.
        """
        access = self.access_km[origins][:, None]
        road_km = access + km_path
        car = access / self.intra_speed_kmh * 60.0 + car_path
        wait = np.full(road_km.shape, self.nocar_wait_min)
        same = np.arange(self.n)[None, :] == np.asarray(origins)[:, None]
        wait[same] = 0.0
        nocar = wait + road_km / self.nocar_speed_kmh * 60.0
        return car.astype(np.float32), nocar.astype(np.float32), road_km.astype(np.float32)

    def rows(self, sources: np.ndarray) -> np.ndarray:
        """Exact full rows ``(3, len(sources), communes)`` float32 (see :data:`KINDS`)."""
        sources = np.asarray(sources, np.int64)
        out = np.empty((3, len(sources), self.n), np.float32)
        for lo in range(0, len(sources), CHUNK):
            s = sources[lo : lo + CHUNK]
            out[:, lo : lo + len(s)] = self.values(s, *self.paths(s))
        return out


@nb.njit(cache=True, nogil=True)
def _dijkstra_one(ptr, idx, w, source, limit, dist, done, heap_d, heap_v):
    # a 4-ary heap of (distance, node) with lazy deletion: a node is settled at its first pop
    for v in range(len(dist)):
        dist[v] = np.inf
        done[v] = False
    dist[source] = 0.0
    heap_d[0] = 0.0
    heap_v[0] = source
    size = 1
    while size > 0:
        d = heap_d[0]
        u = heap_v[0]
        size -= 1
        if size > 0:  # move the last entry to the root and sift it down
            ld = heap_d[size]
            lv = heap_v[size]
            k = 0
            while True:
                c = 4 * k + 1
                if c >= size:
                    break
                best = c
                bd = heap_d[c]
                for q in range(c + 1, min(c + 4, size)):
                    if heap_d[q] < bd:
                        bd = heap_d[q]
                        best = q
                if bd < ld:
                    heap_d[k] = bd
                    heap_v[k] = heap_v[best]
                    k = best
                else:
                    break
            heap_d[k] = ld
            heap_v[k] = lv
        if done[u]:
            continue
        done[u] = True
        for p in range(ptr[u], ptr[u + 1]):
            v = idx[p]
            if done[v]:
                continue
            nd = d + w[p]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                k = size  # push and sift up
                size += 1
                while k > 0:
                    parent = (k - 1) >> 2
                    if heap_d[parent] > nd:
                        heap_d[k] = heap_d[parent]
                        heap_v[k] = heap_v[parent]
                        k = parent
                    else:
                        break
                heap_d[k] = nd
                heap_v[k] = v


@nb.njit(cache=True, nogil=True, parallel=True)
def _dijkstra_parallel(ptr, idx, w, sources, limit):
    n = len(ptr) - 1
    out = np.empty((len(sources), n))
    for r in nb.prange(len(sources)):
        done = np.zeros(n, np.bool_)
        heap_d = np.empty(len(idx) + 1)
        heap_v = np.empty(len(idx) + 1, np.int32)
        _dijkstra_one(ptr, idx, w, sources[r], limit, out[r], done, heap_d, heap_v)
    return out


@nb.njit(cache=True, nogil=True)
def _dijkstra_serial(ptr, idx, w, sources, limit):
    n = len(ptr) - 1
    out = np.empty((len(sources), n))
    done = np.zeros(n, np.bool_)
    heap_d = np.empty(len(idx) + 1)
    heap_v = np.empty(len(idx) + 1, np.int32)
    for r in range(len(sources)):
        _dijkstra_one(ptr, idx, w, sources[r], limit, out[r], done, heap_d, heap_v)
    return out


PARALLEL_FROM = 64
"""Sources from which Dijkstra runs on every core (below, starting threads costs more)."""


def _dijkstra_many(ptr, idx, w, sources, limit):
    """Shortest paths from each source (rows), ``inf`` beyond ``limit``."""
    many = _dijkstra_parallel if len(sources) >= PARALLEL_FROM else _dijkstra_serial
    return many(ptr, idx, w, sources, limit)


@nb.njit(cache=True, nogil=True)
def _pair_values(access, j_is_origin, car_path, km_path, intra_kmh, nocar_kmh, wait_min):
    road_km = access + km_path
    car = access / intra_kmh * 60.0 + car_path
    wait = 0.0 if j_is_origin else wait_min
    nocar = wait + road_km / nocar_kmh * 60.0
    return np.float32(car), np.float32(nocar), np.float32(road_km)


@nb.njit(cache=True, nogil=True)
def _kept_pairs(access_km, origins, car_path, km_path, intra_kmh, nocar_kmh, wait_min,
                cutoff, reach):
    """The pairs :meth:`Travel.build` keeps from the rows of ``origins``, in row order.

    The values of :meth:`RoadGraph.values` (same operations, same order), computed only for
    the kept pairs: within ``cutoff`` car minutes or ``reach`` km (float32 comparisons, as
    numpy makes them), and each origin itself. Returns the count per row, the neighbours and
    the ``(3, kept)`` values.
    """
    rows, n = car_path.shape
    counts = np.zeros(rows, np.int64)
    for r in range(rows):
        i = origins[r]
        for j in range(n):
            car, _, km = _pair_values(access_km[i], j == i, car_path[r, j], km_path[r, j],
                                      intra_kmh, nocar_kmh, wait_min)
            if car <= cutoff or km <= reach or j == i:
                counts[r] += 1
    idx = np.empty(counts.sum(), np.int32)
    values = np.empty((3, counts.sum()), np.float32)
    p = 0
    for r in range(rows):
        i = origins[r]
        for j in range(n):
            car, nocar, km = _pair_values(access_km[i], j == i, car_path[r, j], km_path[r, j],
                                          intra_kmh, nocar_kmh, wait_min)
            if car <= cutoff or km <= reach or j == i:
                idx[p] = j
                values[0, p] = car
                values[1, p] = nocar
                values[2, p] = km
                p += 1
    return counts, idx, values


@nb.njit(cache=True, nogil=True)
def _site_columns(ptr, idx, values, site_commune):
    n = len(ptr) - 1
    n_sites = len(site_commune)
    out = np.full((values.shape[0], n, n_sites), np.inf, np.float32)
    order, start = group_by(site_commune, n)  # sites grouped by commune
    for i in range(n):
        for p in range(ptr[i], ptr[i + 1]):
            c = idx[p]
            for q in range(start[c], start[c + 1]):
                for k in range(values.shape[0]):
                    out[k, i, order[q]] = values[k, p]
    return out


def site_columns(ptr, idx, values, site_commune) -> np.ndarray:
    """Stored values from every commune to each site, ``(modes, communes, sites)`` float32.

    ``inf`` where the pair is not stored (beyond the cutoff): the allocation kernel reads this
    week's sites from one table, as fast as from dense matrices.
    """
    return _site_columns(ptr, idx, np.ascontiguousarray(values),
                         np.asarray(site_commune, np.int64))


@nb.njit(cache=True, nogil=True)
def _positions(ptr, idx, rows, cols):
    out = np.full(len(rows), -1, np.int64)
    for p in range(len(rows)):
        i = rows[p]
        j = cols[p]
        lo = ptr[i]
        hi = ptr[i + 1]
        end = hi
        while lo < hi:
            mid = (lo + hi) >> 1
            if idx[mid] < j:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and idx[lo] == j:
            out[p] = lo
    return out


@dataclass(frozen=True, eq=False)
class Travel:
    """Travel times of every pair within the cutoff, as CSR neighbour lists.

    Attributes:
        graph: The road graph (exact rows beyond the cutoff).
        cutoff_min: Pairs within this many car minutes, or within the km a no-car or booked
            ride covers in this many minutes, are stored.
        ptr, idx: CSR offsets (``n + 1``) and neighbour communes (increasing within a row).
        values: ``(3, nnz)`` float32: car minutes, no-car minutes, road km (:data:`KINDS`).
        inside: Communes of the territory (the first ones; the others are its border ring,
            whose residents are not simulated). ``-1``: all of them.
    """

    graph: RoadGraph
    cutoff_min: float
    ptr: np.ndarray
    idx: np.ndarray
    values: np.ndarray
    inside: int = -1
    _rows: dict = field(default_factory=dict, repr=False)
    _columns: dict = field(default_factory=dict, repr=False)
    _block: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls, graph: RoadGraph, cutoff_min: float, slow_kmh: float, inside: int = -1
    ) -> Travel:
        """Neighbour lists of the pairs within ``cutoff_min`` by car or within reach of a slow mode.

        ``slow_kmh`` is the fastest of the modes without a car: pairs within the road km it
        covers in ``cutoff_min`` are kept too.
        """
        n = graph.n
        reach_km = cutoff_min * slow_kmh / 60.0
        # limits large enough that every kept pair has both its car and its km path
        limit_min = max(cutoff_min, reach_km / graph.min_speed_kmh * 60.0) * (1 + 1e-9) + 1e-6
        limit_km = max(reach_km, cutoff_min * graph.max_speed_kmh / 60.0) * (1 + 1e-9) + 1e-6
        ptr = np.zeros(n + 1, np.int64)
        idx_parts, val_parts = [], []
        for lo in range(0, n, CHUNK):
            s = np.arange(lo, min(n, lo + CHUNK))
            counts, idx, vals = _kept_pairs(
                graph.access_km, s, *graph.paths(s, limit_min, limit_km),
                float(graph.intra_speed_kmh), float(graph.nocar_speed_kmh),
                float(graph.nocar_wait_min), np.float32(cutoff_min), np.float32(reach_km),
            )
            ptr[lo + 1 : lo + len(s) + 1] = counts
            idx_parts.append(idx)
            val_parts.append(vals)
        np.cumsum(ptr, out=ptr)
        values = np.concatenate(val_parts, axis=1) if val_parts else np.zeros((3, 0), np.float32)
        if not np.isfinite(values).all():  # the limits above guarantee it
            raise AssertionError("a kept pair lacks a path")
        return cls(graph, float(cutoff_min), ptr, np.concatenate(idx_parts), values,
                   inside if inside >= 0 else n)

    @classmethod
    def dense(cls, minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR ``(ptr, idx, values)`` of every pair of stacked ``(k, n, n)`` matrices."""
        m = np.asarray(minutes, np.float32)
        n = m.shape[1]
        ptr = np.arange(0, n * n + 1, n, dtype=np.int64)
        idx = np.tile(np.arange(n, dtype=np.int32), n)
        return ptr, idx, m.reshape(m.shape[0], n * n)

    @property
    def n(self) -> int:
        """Number of communes."""
        return len(self.ptr) - 1

    @property
    def n_inside(self) -> int:
        """Communes of the territory itself (the first ``n_inside`` of the graph)."""
        return self.inside if self.inside >= 0 else self.n

    @property
    def nbytes(self) -> int:
        """Memory of the neighbour lists."""
        return int(self.ptr.nbytes + self.idx.nbytes + self.values.nbytes)

    def view(self, kind: str) -> PairView:
        """Pairs of one kind indexed like a matrix: ``travel.view("km")[i, j]``."""
        return PairView(self, kind)

    def csr(self, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(ptr, idx, values)`` of one kind (CSR neighbour lists)."""
        return self.ptr, self.idx, self.values[KINDS.index(kind)]

    def rows(self, kind: str, sources) -> np.ndarray:
        """Exact ``(len(sources), communes)`` values from each source (beyond the cutoff too)."""
        k = KINDS.index(kind)
        sources = np.atleast_1d(np.asarray(sources, np.int64))
        missing = np.array([s for s in dict.fromkeys(sources.tolist()) if s not in self._rows],
                           np.int64)
        if len(missing):
            fresh = self.graph.rows(missing)
            if len(self._rows) + len(missing) > ROW_CACHE:
                self._rows.clear()
            for r, s in enumerate(missing.tolist()):
                self._rows[s] = fresh[:, r]
            if len(missing) > ROW_CACHE:  # too many to keep: answer from the fresh rows
                where = {s: r for r, s in enumerate(missing.tolist())}
                return fresh[k][[where[s] for s in sources.tolist()]]
        return np.stack([self._rows[s][k] for s in sources.tolist()])

    def block(self, kinds, places) -> tuple[np.ndarray, ...]:
        """Exact ``(len(places), len(places))`` values among ``places``, one array per kind.

        The same values as ``rows(kind, places)[:, places]``; the rows asked for are kept in
        one array (up to :data:`ROW_CACHE`), so a request made every week (the tours among
        the requests' communes and the bases) costs a few array reads.
        """
        places = np.asarray(places, np.int64)
        c = self._block
        if not c:
            c["slot"] = np.full(self.n, -1, np.int64)
            c["rows"], c["used"] = np.empty((3, 16, self.n), np.float32), 0
        missing = np.unique(places[c["slot"][places] < 0])
        if len(missing):
            if c["used"] + len(missing) > ROW_CACHE:  # start the cache afresh
                c["slot"][:] = -1
                c["used"] = 0
                missing = np.unique(places)
            fresh = self.graph.rows(missing)
            if len(missing) > ROW_CACHE:  # too many to keep: answer from the fresh rows
                at = np.searchsorted(missing, places)
                return tuple(fresh[KINDS.index(k)][at][:, places] for k in kinds)
            need = c["used"] + len(missing)
            if need > c["rows"].shape[1]:  # grow by doubling
                grown = np.empty((3, min(ROW_CACHE, max(need, 2 * need)), self.n), np.float32)
                grown[:, : c["used"]] = c["rows"][:, : c["used"]]
                c["rows"] = grown
            c["rows"][:, c["used"] : need] = fresh
            c["slot"][missing] = np.arange(c["used"], need)
            c["used"] = need
        at = c["slot"][places]
        return tuple(c["rows"][KINDS.index(k)][at][:, places] for k in kinds)

    def pairs(self, kind: str, i, j) -> np.ndarray:
        """Exact values of pairs ``(i[p], j[p])`` (stored ones read, others from exact rows)."""
        i = np.atleast_1d(np.asarray(i, np.int64))
        j = np.atleast_1d(np.asarray(j, np.int64))
        pos = _positions(self.ptr, self.idx, i, j)
        out = np.where(pos >= 0, self.values[KINDS.index(kind)][np.maximum(pos, 0)], np.inf)
        out = out.astype(np.float32)
        miss = np.flatnonzero(pos < 0)
        if len(miss):
            src, inv = np.unique(i[miss], return_inverse=True)
            out[miss] = self.rows(kind, src)[inv, j[miss]]
        return out

    def columns(self, kind: str, targets) -> np.ndarray:
        """Values ``(communes, len(targets))`` from every commune of the territory to each target.

        Stored pairs are read; a pair beyond the cutoff takes the path found from the target
        (the same length, summed from the other end: equal to within 1e-12 minutes), plus the
        origin's access. Each target's column is kept (sites rarely move), up to
        :data:`COLUMN_CACHE_BYTES`.
        """
        targets = np.asarray(targets, np.int64)
        k = KINDS.index(kind)
        missing = np.array(
            [c for c in dict.fromkeys(targets.tolist()) if (k, c) not in self._columns], np.int64
        )
        if len(missing):
            fresh = self._columns_now(k, missing)
            if (len(self._columns) + len(missing)) * self.n_inside * 4 > COLUMN_CACHE_BYTES:
                self._columns.clear()
            if len(missing) * self.n_inside * 4 > COLUMN_CACHE_BYTES:
                where = {c: r for r, c in enumerate(missing.tolist())}
                return fresh[:, [where[c] for c in targets.tolist()]]
            for r, c in enumerate(missing.tolist()):
                self._columns[(k, c)] = fresh[:, r]
        if len(targets) == 0:
            return np.zeros((self.n_inside, 0), np.float32)
        return np.stack([self._columns[(k, c)] for c in targets.tolist()], axis=1)

    def _columns_now(self, k: int, targets: np.ndarray) -> np.ndarray:
        n, g = self.n_inside, self.graph
        access = g.access_km[:n]
        out = np.empty((n, len(targets)), np.float32)
        for lo in range(0, len(targets), CHUNK):
            t = targets[lo : lo + CHUNK]
            path = g.paths(t, kinds=("min",) if k == 0 else ("km",))[0]  # target → every i
            for c, target in enumerate(t.tolist()):
                if k == 0:
                    col = access / g.intra_speed_kmh * 60.0 + path[c, :n]
                else:
                    col = access + path[c, :n]
                    if k == 1:
                        wait = np.full(n, g.nocar_wait_min)
                        if target < n:
                            wait[target] = 0.0
                        col = wait + col / g.nocar_speed_kmh * 60.0
                out[:, lo + c] = col.astype(np.float32)
        rows = np.repeat(np.arange(n), len(targets))
        cols = np.tile(targets, n)
        pos = _positions(self.ptr, self.idx, rows, cols).reshape(n, len(targets))
        stored = pos >= 0
        out[stored] = self.values[k][pos[stored]]
        return out

class PairView:
    """Travel values of one kind indexed like a matrix.

    ``view[i, j]``: exact values for pairs (a scalar for scalar indices); ``view[:, targets]``:
    from every commune of the territory to each target (columns).
    """

    def __init__(self, travel: Travel, kind: str) -> None:
        self.travel, self.kind = travel, kind

    @property
    def shape(self) -> tuple[int, int]:
        """(communes of the territory, communes of the graph), as a matrix would have."""
        return self.travel.n_inside, self.travel.n

    def __getitem__(self, key):
        i, j = key
        if isinstance(i, slice) and i == slice(None):
            return self.travel.columns(self.kind, j)
        out = self.travel.pairs(self.kind, i, j)
        return out[0] if np.ndim(i) == 0 and np.ndim(j) == 0 else out
