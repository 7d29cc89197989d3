"""Replicates and executors: many runs, seeded from one root, in parallel or not.

The territory is drawn once, from the root seed: it is the setting of the experiment, the same
for every scenario and replicate (so commune tables and maps can be averaged). Replicate ``r``
of every scenario gets the same seed (``SeedTree(seed).child("replicate-r")``), so scenarios
share their residents and need streams: *common random numbers*, which make differences between
scenarios far less noisy than independent runs would. Results come
back ordered by (scenario, replicate) whatever the number of workers, so the output does not
depend on it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from softsim import metrics as m
from softsim.config import Config
from softsim.rng import SeedTree

__all__ = [
    "ENDING_SIGNALS",
    "RunResult",
    "WorkerLost",
    "replicate_seeds",
    "run_replicates",
    "signals_deferred",
    "signals_ignored",
    "stop_pool",
    "worker_init",
    "workers_starting",
]

PARENT_POLL_S = 0.5
"""How often a worker checks that the process that started it is still alive."""

STOP_GRACE_S = 3.0
"""How long stopped workers get to exit after SIGTERM before they are killed."""


class WorkerLost(RuntimeError):
    """A worker process ended abruptly (killed, or out of memory): the runs are lost."""


@dataclass(frozen=True)
class RunResult:
    """What a comparison keeps of one run (small: it crosses process boundaries)."""

    scenario: str
    replicate: int
    seed: int
    summary: dict
    coverage_week: np.ndarray
    commune_coverage: np.ndarray
    lorenz: np.ndarray
    territory_xy: np.ndarray
    territory_population: np.ndarray
    territory_label: str
    attribution: str
    weeks_per_year: int


def replicate_seeds(seed: int, replicates: int) -> list[int]:
    """The seeds of replicates ``0 … replicates-1`` (shared by every scenario)."""
    root = SeedTree(seed)
    return [root.child(f"replicate-{r}").seed for r in range(replicates)]


def _run_task(task: tuple[Config, int, int, int]) -> RunResult:
    from softsim.engine import run
    from softsim.territory import build_territory

    cfg, replicate, seed, root = task
    territory = build_territory(cfg.territory, cfg.travel, SeedTree(root))
    o = run(cfg, seed, territory=territory)
    t = o.territory
    return RunResult(
        scenario=cfg.name,
        replicate=replicate,
        seed=seed,
        summary=o.summary,
        coverage_week=o.timeseries["coverage_expressed_week"].to_numpy(np.float64),
        commune_coverage=o.communes["coverage_latent"].to_numpy(np.float64),
        lorenz=m.lorenz(o.fulfilment)[1] if len(o.fulfilment) else np.linspace(0, 1, 101),
        territory_xy=np.column_stack([t.x_km, t.y_km]),
        territory_population=t.population,
        territory_label=t.label,
        attribution=t.attribution,
        weeks_per_year=cfg.simulation.weeks_per_year,
    )


def run_replicates(
    configs: Sequence[Config],
    seed: int,
    replicates: int,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[RunResult]:
    """Run every config ``replicates`` times with common random numbers.

    With ``workers > 1`` the runs go to a pool of spawned processes. If this call is
    interrupted (``KeyboardInterrupt``, or any exception raised by a signal handler), or a run
    fails, the workers are stopped before the exception propagates: no process outlives it.
    Workers ignore SIGINT (the parent decides) and exit by themselves if the parent dies.

    Args:
        configs: Resolved scenarios (their ``name`` labels the results).
        seed: Root seed of the experiment.
        replicates: Replicates per scenario (≥ 1).
        workers: Local processes (1 runs in this process).
        progress: Called as ``progress(done, total)`` after each run.

    Returns:
        One result per (scenario, replicate), ordered by scenario then replicate.

    Raises:
        WorkerLost: A worker process ended abruptly (it was killed).
    """
    if replicates < 1:
        raise ValueError("replicates: expected at least 1")
    seeds = replicate_seeds(seed, replicates)
    tasks = [(cfg, r, s, seed) for cfg in configs for r, s in enumerate(seeds)]
    results: dict[tuple[int, int], RunResult] = {}

    def done(i: int, result: RunResult) -> None:
        results[(i // replicates, tasks[i][1])] = result
        if progress:
            progress(len(results), len(tasks))

    if workers <= 1:
        for i, task in enumerate(tasks):
            done(i, _run_task(task))
    else:
        _run_in_pool(tasks, min(workers, len(tasks)), done)
    return [results[key] for key in sorted(results)]


def _run_in_pool(tasks: list, workers: int, done: Callable[[int, RunResult], None]) -> None:
    # spawn, not fork: the parent holds threads (numba, BLAS) that fork would not copy
    spawn = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=spawn,
        initializer=worker_init,
        initargs=(os.getpid(),),
    )
    try:
        # The pool starts its workers inside submit(). The signal mask survives fork and exec:
        # a worker started with SIGINT blocked never receives the Ctrl-C a terminal sends to
        # the whole process group, even while it is still importing (no traceback from it).
        # Blocked, not ignored, in this process: a Ctrl-C pressed meanwhile is delivered here
        # when the block ends, not lost.
        with workers_starting():
            futures = {pool.submit(_run_task, task): i for i, task in enumerate(tasks)}
        for fut in as_completed(futures):
            try:
                result = fut.result()
            except BrokenProcessPool:
                raise WorkerLost(
                    "a worker process ended abruptly (killed, or out of memory?)"
                ) from None
            done(futures[fut], result)
    except BaseException:
        with signals_ignored(signal.SIGINT, signal.SIGTERM):
            stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop a process pool now: cancel what is queued, end the workers, join them.

    ``ProcessPoolExecutor.shutdown`` waits for the running tasks to finish (minutes here) and
    Python before 3.14 has no public way to end the workers (``terminate_workers`` is new in
    3.14), so this reaches the pool's process table and manager thread. An exit that would
    otherwise join a manager thread still waiting on busy workers hangs forever.
    """
    terminate = getattr(pool, "terminate_workers", None)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    if terminate is not None:
        terminate()
    else:
        pool.shutdown(wait=False, cancel_futures=True)
        for p in processes:
            p.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for p in processes:
        p.join(max(0.0, deadline - time.monotonic()))
    for p in processes:
        if p.is_alive():
            p.kill()
            p.join(1.0)
    if manager is not None:
        manager.join(STOP_GRACE_S)


ENDING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""Signals that end a command (the CLI turns them into exit codes 130, 143, 129)."""


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold the ending signals' Python handlers inside the block, then deliver them.

    For steps that must be all or nothing with respect to an interruption (starting a worker,
    publishing a results folder). Outside the main thread it does nothing (only the main
    thread may change handlers, and Python runs them there).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {s: signal.signal(s, lambda signum, _: caught.append(signum))
                for s in ENDING_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])  # now handled as usual (it may raise here)


@contextmanager
def workers_starting() -> Iterator[None]:
    """Start worker processes inside this block: no ending signal can cut a start short.

    SIGINT is blocked in this thread, so the processes it starts inherit the block and a
    Ctrl-C sent to the whole process group while they import never reaches them. The ending
    signals' Python handlers are also held until the block ends, then delivered: Python runs a
    handler in the main thread whichever thread received the signal, and a handler raising
    while the parent writes a new worker's start-up data would leave that worker reading a
    cut pipe (an ``EOFError`` traceback from the worker).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    mask = (
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        if hasattr(signal, "pthread_sigmask")
        else None
    )
    try:
        with signals_deferred():
            yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)


@contextmanager
def signals_ignored(*signums: int) -> Iterator[None]:
    """Ignore these signals inside the block (only the main thread may change handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in signums}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def worker_init(parent: int) -> None:
    """Set up a worker: ignore SIGINT, and exit as soon as the parent process is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    # The pool's queues cannot tell a worker that its parent was SIGKILLed (the worker holds
    # both ends of its pipes), and PR_SET_PDEATHSIG is Linux-only and tied to the thread that
    # forked: polling the parent pid is the portable way.
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
