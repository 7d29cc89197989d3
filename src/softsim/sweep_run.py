"""Running a sweep: local processes or a Dask cluster, a crash-safe run store, progress.

Runs go to *workers* that live for the whole sweep: a spawned local process pool
(:mod:`softsim.experiment`'s, with its clean stop on any signal), this process when
``workers == 1``, or the workers of a Dask ``distributed`` cluster. A worker keeps the
territories it built (a few, least recently used dropped first), so a territory is built once
per worker and territory, and numba's kernels are loaded once per worker. At most two runs per
worker are in flight: memory stays flat in the number of runs, whose rows go to the store in
small batches (:class:`softsim.store.RunStore`).

A run that raises is stored with ``status = "failed"`` and its error, and the sweep goes on. A
local worker that dies (killed, out of memory) is replaced and the runs it held are retried, at
most :data:`RETRIES` times each; on Dask, the scheduler does the same (``allowed-failures``).
Each run's seed comes from :class:`softsim.sweep.SweepPlan`, so results do not depend on the
executor, the number of workers or the order in which runs finish.
"""

from __future__ import annotations

import calendar
import concurrent.futures as cf
import multiprocessing
import os
import signal
import socket
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from softsim import metric_registry as reg
from softsim.errors import SoftsimError
from softsim.experiment import signals_ignored, stop_pool, worker_init, workers_starting
from softsim.sweep import NO_FUTURE, Run, SweepPlan

__all__ = [
    "RETRIES",
    "SweepProgress",
    "SweepResult",
    "connect_dask",
    "make_executor",
    "run_one",
    "run_sweep",
    "runs_schema",
    "sweep_status",
]

RETRIES = 2
"""How many times a run whose local worker died is tried again before it is stored as failed."""

IN_FLIGHT_PER_WORKER = 2
"""Runs handed to each worker ahead: one running, one waiting (no idle gap between runs)."""

DASK_CONNECT_TIMEOUT_S = 10
"""How long to wait for a Dask scheduler to answer."""

TERRITORIES_KEPT = 4
"""Territories a worker keeps built (a sweep over territories builds each once per worker)."""

METRIC_KEYS = tuple(x.key for x in reg.METRICS)
"""The metric columns of the run store: every metric of the registry."""

_TERRITORIES: OrderedDict = OrderedDict()


def runs_schema(plan: SweepPlan):
    """The :class:`pyarrow.Schema` of a sweep's runs table."""
    import pyarrow as pa

    types = {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(),
             "string": pa.string()}
    fields = [
        ("run_id", pa.int64()), ("point", pa.int64()), ("scenario", pa.string()),
        ("future", pa.string()), ("replicate", pa.int64()), ("seed", pa.int64()),
        *((k, types[t]) for k, t in plan.param_dtypes().items()),
        *((k, pa.float64()) for k in METRIC_KEYS),
        ("status", pa.string()), ("error", pa.string()), ("wall_s", pa.float64()),
        ("worker", pa.string()), ("finished_at", pa.float64()),
    ]
    return pa.schema(fields)


def _territory(cfg, root_seed: int):
    from softsim.config import check_territory
    from softsim.rng import SeedTree
    from softsim.territory import build_territory

    key = (root_seed, cfg.territory.model_dump_json(), cfg.travel.model_dump_json())
    if key in _TERRITORIES:
        _TERRITORIES.move_to_end(key)
        territory = _TERRITORIES[key]
    else:
        territory = build_territory(cfg.territory, cfg.travel, SeedTree(root_seed))
        _TERRITORIES[key] = territory
        while len(_TERRITORIES) > TERRITORIES_KEPT:
            _TERRITORIES.popitem(last=False)
    check_territory(cfg, territory)
    return territory


def _base_row(run: Run) -> dict:
    return {"run_id": run.run_id, "point": run.point, "scenario": run.scenario,
            "future": run.future, "replicate": run.replicate, "seed": run.seed,
            **dict(run.params)}


def _failed_row(run: Run, error: str, wall_s: float = 0.0) -> dict:
    return {**_base_row(run), **dict.fromkeys(METRIC_KEYS), "status": "failed",
            "error": " ".join(error.split())[:1000], "wall_s": wall_s,
            "worker": f"{socket.gethostname()}:{os.getpid()}", "finished_at": time.time()}


def run_one(run: Run, keep_series: bool = False):
    """Make one run of a sweep (in a worker); never raises for a failing run.

    Args:
        run: The run.
        keep_series: Also return its weekly series (with a ``run_id`` column).

    Returns:
        ``(row, series)``: the run store's row (status ``ok`` or ``failed`` with its error)
        and the series DataFrame or None.
    """
    from softsim.config import load_config
    from softsim.engine import run as simulate
    from softsim.futures import load_future

    start = time.perf_counter()
    try:
        sections = {} if run.future_ref == NO_FUTURE else {"futures": load_future(run.future_ref)}
        cfg = load_config(run.scenario_ref, list(run.overrides), **sections)
        outcomes = simulate(cfg, run.seed, territory=_territory(cfg, run.root_seed))
    except Exception as exc:  # a failing run is a result of the sweep, not its end
        return _failed_row(run, f"{type(exc).__name__}: {exc}", time.perf_counter() - start), None
    row = {**_base_row(run), **{x.key: x.read(outcomes.summary) for x in reg.METRICS},
           "status": "ok", "error": None, "wall_s": time.perf_counter() - start,
           "worker": f"{socket.gethostname()}:{os.getpid()}", "finished_at": time.time()}
    series = None
    if keep_series:
        series = outcomes.timeseries.copy()
        series.insert(0, "run_id", run.run_id)
    return row, series


@dataclass
class SweepProgress:
    """Where a sweep stands: runs done (finished well), failed, remaining; rate and ETA."""

    total: int
    done: int = 0
    failed: int = 0
    session_runs: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def remaining(self) -> int:
        """Runs not stored yet."""
        return self.total - self.done - self.failed

    @property
    def per_minute(self) -> float:
        """Runs stored per minute since this session started."""
        elapsed = time.monotonic() - self.started
        return 60.0 * self.session_runs / elapsed if elapsed > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current rate (None before the first run)."""
        rate = self.per_minute
        return 60.0 * self.remaining / rate if rate > 0 else None

    def line(self) -> str:
        """One line: done / failed / remaining, runs per minute, ETA."""
        eta = self.eta_s
        eta_text = "–" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta))
        return (f"{self.done + self.failed}/{self.total} runs: {self.done} done, "
                f"{self.failed} failed, {self.remaining} remaining; "
                f"{self.per_minute:.1f} runs/min, ETA {eta_text}")


class _InProcess:
    workers = 1
    name = "this process"

    def submit(self, run: Run, keep: bool) -> cf.Future:
        fut: cf.Future = cf.Future()
        fut.set_result(run_one(run, keep))
        return fut

    def wait(self, futures, timeout: float) -> set:
        return set(futures)

    def lost(self, exc: BaseException) -> bool:
        return False

    def restart(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class _LocalPool:
    name = "local processes"

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._start()

    def _start(self) -> None:
        # spawn, not fork: the parent holds threads (numba, BLAS) that fork would not copy
        self.pool = ProcessPoolExecutor(max_workers=self.workers,
                                        mp_context=multiprocessing.get_context("spawn"),
                                        initializer=worker_init, initargs=(os.getpid(),))

    def submit(self, run: Run, keep: bool) -> cf.Future:
        # workers start inside submit: with SIGINT blocked they never get the terminal's Ctrl-C
        with workers_starting():
            return self.pool.submit(run_one, run, keep)

    def wait(self, futures, timeout: float) -> set:
        done, _ = cf.wait(list(futures), timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    def lost(self, exc: BaseException) -> bool:
        return isinstance(exc, BrokenProcessPool)

    def restart(self) -> None:
        stop_pool(self.pool)
        self._start()

    def stop(self) -> None:
        with signals_ignored(signal.SIGINT, signal.SIGTERM):
            stop_pool(self.pool)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class _Dask:
    def __init__(self, client, cluster=None) -> None:
        self.client = client
        self.cluster = cluster
        self.closed = False
        self.workers = max(1, sum(client.nthreads().values()))
        self.name = f"Dask scheduler {client.scheduler.address}"

    def submit(self, run: Run, keep: bool):
        return self.client.submit(run_one, run, keep, pure=False)

    def wait(self, futures, timeout: float) -> set:
        from distributed import wait

        try:
            return set(wait(list(futures), timeout=timeout, return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            return set()

    def lost(self, exc: BaseException) -> bool:
        return False  # the scheduler already retried it (KilledWorker): stored as failed

    def restart(self) -> None:
        pass

    def stop(self) -> None:
        with signals_ignored(signal.SIGINT, signal.SIGTERM):
            self.close()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def connect_dask(scheduler: str | None = None, local_workers: int | None = None) -> _Dask:
    """Connect to a Dask scheduler, or start a ``LocalCluster`` of ``local_workers`` processes.

    Raises:
        SoftsimError: ``distributed`` is not installed, or the scheduler does not answer
            within :data:`DASK_CONNECT_TIMEOUT_S` seconds.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise SoftsimError(
            "Dask is not installed: pip install 'softsim[distributed]'"
        ) from None
    if scheduler is not None:
        try:
            with workers_starting():
                client = Client(scheduler, timeout=f"{DASK_CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError) as exc:
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise SoftsimError(
                f"--scheduler {scheduler}: no Dask scheduler answered within "
                f"{DASK_CONNECT_TIMEOUT_S} s ({reason})"
            ) from None
        return _Dask(client)
    with workers_starting():
        cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    return _Dask(client, cluster)


def make_executor(workers: int = 1, scheduler: str | None = None,
                  dask_local: int | None = None):
    """The executor of a sweep's runs: this process, local processes, or Dask.

    It takes runs with ``submit(run, keep_series)`` (each made by :func:`run_one`), and ends
    with ``close()`` (or ``stop()`` on an interruption).

    Args:
        workers: Local processes (1 runs in this process); ignored with Dask.
        scheduler: Address of a Dask scheduler.
        dask_local: Start a Dask ``LocalCluster`` of this many worker processes.
    """
    if scheduler is not None or dask_local is not None:
        return connect_dask(scheduler, dask_local)
    return _LocalPool(workers) if workers > 1 else _InProcess()


def _execute(plan: SweepPlan, store, executor, todo: Iterable[int], keep_series: bool,
             progress: SweepProgress, report: Callable[[SweepProgress], None] | None) -> None:
    pending = iter(todo)
    retry: deque[int] = deque()
    attempts: dict[int, int] = {}
    in_flight: dict = {}
    window = max(1, executor.workers * IN_FLIGHT_PER_WORKER)

    def record(row: dict, series) -> None:
        store.add(row, series)
        progress.session_runs += 1
        if row["status"] == "ok":
            progress.done += 1
        else:
            progress.failed += 1
        if report:
            report(progress)

    try:
        while True:
            while len(in_flight) < window:
                rid = retry.popleft() if retry else next(pending, None)
                if rid is None:
                    break
                in_flight[executor.submit(plan.run(rid), keep_series)] = rid
            if not in_flight:
                break
            lost = []
            for fut in executor.wait(in_flight, timeout=1.0):
                rid = in_flight.pop(fut)
                try:
                    row, series = fut.result()
                except Exception as exc:
                    if executor.lost(exc):
                        lost.append(rid)
                        continue
                    row, series = _failed_row(plan.run(rid), f"{type(exc).__name__}: {exc}"), None
                record(row, series)
            if lost:
                lost += in_flight.values()  # a broken pool fails every run it held
                in_flight.clear()
                executor.restart()
                for rid in sorted(lost):
                    attempts[rid] = attempts.get(rid, 0) + 1
                    if attempts[rid] > RETRIES:
                        record(_failed_row(plan.run(rid), f"WorkerLost: the worker process "
                                           f"died {attempts[rid]} times during this run"), None)
                    else:
                        retry.append(rid)
            store.maybe_flush()
    except BaseException:
        executor.stop()
        store.flush()  # what finished is kept: --resume goes on from there
        raise
    store.flush()


@dataclass
class SweepResult:
    """A finished sweep: where it is stored and how it went."""

    path: Path
    progress: SweepProgress
    report: Path | None


def _manifest(plan: SweepPlan, command: list[str] | None) -> dict:
    from softsim import __version__
    from softsim.store import git_sha

    return {
        "kind": "softsim sweep",
        "softsim_version": __version__,
        "git_sha": git_sha(),
        "sweep": plan.name,
        "sweep_file": str(plan.path.resolve()) if plan.path else None,
        "sweep_sha256": plan.sha256,
        "design": plan.describe(),
        "total_runs": plan.n_runs,
        "command": command,
        "started": _now(),
        "finished": None,
        "sessions": [],
    }


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def check_resume(plan: SweepPlan, out: Path):
    """Open ``out`` to resume ``plan``'s sweep, refusing a folder made by another sweep file.

    Raises:
        SoftsimError: Not a sweep folder, or made by a sweep file with another hash.
    """
    from softsim.store import RunStore

    store = RunStore.open(out)
    made_by = store.manifest.get("sweep_sha256")
    if made_by != plan.sha256:
        raise SoftsimError(
            f"{out}: made by another sweep file (sha256 {str(made_by)[:12]}…), not "
            f"{plan.path} (sha256 {plan.sha256[:12]}…); refused"
        )
    return store


def run_sweep(
    plan: SweepPlan,
    out: Path,
    *,
    workers: int = 1,
    resume: bool = False,
    keep_series: bool = False,
    scheduler: str | None = None,
    dask_local: int | None = None,
    unique: bool = False,
    report: Callable[[SweepProgress], None] | None = None,
    command: list[str] | None = None,
    write_report: bool = True,
) -> SweepResult:
    """Run a sweep into its results folder, or finish one (``resume``).

    The folder, the resume and the scheduler are checked before any run starts; with a bad
    one nothing is written.

    Args:
        plan: The sweep (see :func:`softsim.sweep.load_sweep`).
        out: The results folder: new or empty, or (``resume``) one made by this sweep file.
        workers: Local processes (1 runs in this process); ignored with Dask.
        resume: Make only the runs ``out`` does not hold yet.
        keep_series: Store every run's weekly series too.
        scheduler: Address of a Dask scheduler (``tcp://host:8786``).
        dask_local: Start a Dask ``LocalCluster`` of this many worker processes.
        unique: ``out`` is a default name, suffixed ``-2``… if taken.
        report: Called with the progress after every run.
        command: The command line, recorded in the manifest.
        write_report: Write ``sweep.md`` and its figures at the end.

    Returns:
        Where the sweep is and how many runs finished and failed.
    """
    from softsim.store import RunStore, check_target

    schema = runs_schema(plan)
    if resume:
        store = check_resume(plan, out)
        store.schema = schema
    else:
        check_target(out, unique=unique)
    if scheduler is not None or dask_local is not None:
        executor = connect_dask(scheduler, dask_local)
    elif workers > 1:
        executor = _LocalPool(min(workers, max(1, plan.n_runs)))
    else:
        executor = _InProcess()
    try:
        if resume:
            store.clean()
            manifest = store.manifest
        else:
            manifest = _manifest(plan, command)
            store = RunStore.create(out, manifest, plan.path.read_bytes() if plan.path else b"",
                                    schema, unique=unique)
        stored = store.read_runs(["run_id", "status"])
        done_ids = set(stored["run_id"].astype(int)) if len(stored) else set()
        progress = SweepProgress(plan.n_runs)
        if len(stored):
            progress.failed = int((stored["status"] != "ok").sum())
            progress.done = len(stored) - progress.failed
        manifest["sessions"].append({"started": _now(), "host": socket.gethostname(),
                                     "executor": executor.name, "workers": executor.workers,
                                     "runs_stored_before": len(done_ids)})
        manifest["finished"] = None
        store.write_manifest(manifest)
        todo = (i for i in range(plan.n_runs) if i not in done_ids)
        _execute(plan, store, executor, todo, keep_series, progress, report)
    finally:
        executor.close()
    store.compact()
    manifest["finished"] = _now()
    manifest["sessions"][-1]["finished"] = manifest["finished"]
    manifest["runs_done"], manifest["runs_failed"] = progress.done, progress.failed
    store.write_manifest(manifest)
    md = None
    if write_report:
        from softsim.sweep_report import sweep_report

        text, figures = sweep_report(plan, store.read_runs(), manifest)
        try:
            md = store.write_report(text, figures)
        finally:
            import matplotlib.pyplot as plt

            plt.close("all")
    return SweepResult(store.path, progress, md)


def sweep_status(out: Path) -> tuple[dict, SweepProgress]:
    """Read a sweep folder (nothing runs): its manifest and where it stands.

    The rate is that of the latest session: runs it stored over the time from its start to
    its latest stored run.

    Raises:
        SoftsimError: ``out`` is not a sweep folder.
    """
    from softsim.store import RunStore

    store = RunStore.open(out)
    manifest = store.manifest
    runs = store.read_runs(["run_id", "status", "finished_at"])
    progress = SweepProgress(int(manifest.get("total_runs", 0)))
    if len(runs):
        progress.failed = int((runs["status"] != "ok").sum())
        progress.done = len(runs) - progress.failed
        sessions = manifest.get("sessions") or []
        if sessions:
            start = calendar.timegm(time.strptime(sessions[-1]["started"], "%Y-%m-%dT%H:%M:%SZ"))
            recent = runs[runs["finished_at"] >= start]
            if len(recent):
                elapsed = float(recent["finished_at"].max()) - start
                progress.session_runs = len(recent)
                progress.started = time.monotonic() - max(elapsed, 1e-9)
    return manifest, progress
