"""The compiled Dijkstra of ``softsim.territory.travel`` against ``scipy.sparse.csgraph.dijkstra``.

On a territory's road graph (default Nouvelle-Aquitaine, ``reg:75``: 4,293 communes), both
compute the shortest paths, by car minutes and by km, that a run asks for:

* **all pairs**: every commune as a source, no limit (the residents' commute and shopping
  gravity reads every destination);
* **with a limit**: every source, the limits :meth:`Travel.build` uses for the bundled
  scenarios' 45-minute cutoff (the sparse neighbour lists);
* **few sources**: 32 sources, no limit (tours of the week, columns of the sites).

Each case is timed ``--repeat`` times per implementation, alternating (the machine may be
shared: read the ratio of the medians), in wall and CPU seconds (all threads of the process).
The results are checked to be equal bit for bit (``numpy.array_equal``, every row) before a
time is printed. scipy runs in one thread (it holds the interpreter lock); the compiled version
runs its sources in parallel over ``NUMBA_NUM_THREADS`` threads, so it is also run with one
thread (``--threads 1`` in a child process) to compare like with like.

Usage::

    .venv/bin/python benchmarks/bench_dijkstra.py [--territory reg:75] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def _cases(graph, cutoff_min: float, slow_kmh: float) -> list[tuple[str, str, np.ndarray, float]]:
    """``(label, kind, sources, limit)`` of each case (the limits are those of Travel.build)."""
    n = graph.n
    reach_km = cutoff_min * slow_kmh / 60.0
    limit_min = max(cutoff_min, reach_km / graph.min_speed_kmh * 60.0) * (1 + 1e-9) + 1e-6
    limit_km = max(reach_km, cutoff_min * graph.max_speed_kmh / 60.0) * (1 + 1e-9) + 1e-6
    every = np.arange(n, dtype=np.int64)
    few = np.linspace(0, n - 1, 32).astype(np.int64)
    return [
        ("all pairs, car minutes", "min", every, np.inf),
        ("all pairs, km", "km", every, np.inf),
        (f"limit {limit_min:.0f} min, car minutes", "min", every, limit_min),
        (f"limit {limit_km:.0f} km, km", "km", every, limit_km),
        ("32 sources, car minutes", "min", few, np.inf),
    ]


def _by_chunks(fn, sources: np.ndarray, chunk: int = 256) -> np.ndarray:
    """Rows of ``fn(chunk_of_sources)`` (both sides hold at most ``chunk`` rows at once)."""
    checksum = np.zeros(2)
    for lo in range(0, len(sources), chunk):
        rows = fn(sources[lo : lo + chunk])
        finite = np.isfinite(rows)
        checksum += (rows[finite].sum(), finite.sum())
    return checksum


def main(argv: list[str] | None = None) -> int:
    """Time both implementations on each case and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territory", default="reg:75")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0,
                        help="NUMBA_NUM_THREADS of a child run (0: this process, then 1 thread)")
    args = parser.parse_args(argv)
    if args.threads:
        os.environ["NUMBA_NUM_THREADS"] = str(args.threads)

    import numba
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    from softsim.config import TerritoryConfig, TravelConfig
    from softsim.rng import SeedTree
    from softsim.territory import build_territory
    from softsim.territory.travel import _dijkstra_many

    t = build_territory(TerritoryConfig(spec=args.territory), TravelConfig(), SeedTree(1))
    g = t.graph
    print(f"{args.territory}: {g.n:,} communes, {len(g.a):,} road segments; numba threads "
          f"{numba.get_num_threads()}; load average {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs")
    print(f"{'':<32} {'wall seconds':^22}   {'CPU seconds':^22}")
    print(f"{'case':<32} {'numba':>7} {'scipy':>7} {'ratio':>6}   {'numba':>7} {'scipy':>7} "
          f"{'ratio':>6}  equal")
    for label, kind, sources, limit in _cases(g, 45.0, 45.0):
        ptr, idx, w = g._graph(kind)
        csr = csr_matrix((w, idx, ptr), shape=(g.n, g.n))

        def ours(s, ptr=ptr, idx=idx, w=w, limit=limit):
            return _dijkstra_many(ptr, idx, w, s, limit)

        def theirs(s, csr=csr, limit=limit):
            return dijkstra(csr, directed=True, indices=s, limit=limit)

        equal = all(np.array_equal(ours(sources[lo : lo + 256]), theirs(sources[lo : lo + 256]))
                    for lo in range(0, len(sources), 256))
        if not equal:
            print(f"{label:<32} results differ")
            return 1
        wall = {"ours": [], "theirs": []}
        cpu = {"ours": [], "theirs": []}
        for _ in range(args.repeat):
            for name, fn in (("ours", ours), ("theirs", theirs)):
                start, start_cpu = time.perf_counter(), time.process_time()
                _by_chunks(fn, sources)
                wall[name].append(time.perf_counter() - start)
                cpu[name].append(time.process_time() - start_cpu)
        a, b = statistics.median(wall["ours"]), statistics.median(wall["theirs"])
        ca, cb = statistics.median(cpu["ours"]), statistics.median(cpu["theirs"])
        print(f"{label:<32} {a:7.2f} {b:7.2f} {a / b:6.2f}   {ca:7.2f} {cb:7.2f} {ca / cb:6.2f}  "
              f"{equal}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    if not args.threads and numba.get_num_threads() > 1:
        print("\nthe same with one numba thread:")
        sys.stdout.flush()
        subprocess.run([sys.executable, __file__, "--territory", args.territory,
                        "--repeat", str(args.repeat), "--threads", "1"], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
