"""The ``softsim normative`` subcommand: its options, and what it does.

It calls :mod:`softsim.normative` and writes through :mod:`softsim.store`.

Every option is checked, and both outputs (the results folder and the scenario file), before
the first run; a bad option is one line naming it, exit code 2.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from softsim.errors import SoftsimError

__all__ = ["DEFAULT_OUT", "add_parser", "command", "spec_from_args"]

DEFAULT_OUT = Path("configs") / "scenarios" / "normative-searched.toml"
"""Where the searched scenario goes by default (relative to the working folder)."""


def add_parser(sub) -> None:
    """Register ``softsim normative`` on the command line's subparsers."""
    from softsim.normative import LEVERS, SearchSpec

    d = SearchSpec()
    n = sub.add_parser(
        "normative",
        help="search the levers for strategies not dominated on coverage, inequality and cost",
        description="Search a base scenario's levers (at its budget) over futures and "
        "replicates with NSGA-II; write the Pareto front and the compromise as a scenario "
        "file (docs/normative.md).",
    )
    n.add_argument("--base", default=d.base, help=f"base scenario (default {d.base})")
    n.add_argument("--futures", default=",".join(d.futures),
                   help=f"comma-separated futures (default {','.join(d.futures)}; "
                   "'none' keeps the base's own)")
    n.add_argument("--levers", default=",".join(d.levers),
                   help=f"comma-separated levers among {', '.join(lv.name for lv in LEVERS)} "
                   "(default: all)")
    n.add_argument("--budget", default="same",
                   help="'same' (the base's budget, default) or EUR per 1,000 residents a "
                   "week; the same for every candidate")
    n.add_argument("--evaluations", default=str(d.evaluations),
                   help=f"candidate evaluations of the search (default {d.evaluations})")
    n.add_argument("--population", default=str(d.population),
                   help=f"population of NSGA-II (default {d.population})")
    n.add_argument("--replicates", default=str(d.replicates),
                   help=f"seeded replicates per candidate and future (default {d.replicates})")
    n.add_argument("--seed", default=str(d.seed), help=f"root seed (default {d.seed})")
    n.add_argument("--scale", help="fraction of the population simulated (run setting)")
    n.add_argument("--years", help="years simulated (run setting)")
    n.add_argument("--territory", help="territory spec of every run (run setting)")
    n.add_argument("--set", dest="overrides", action="append", default=[],
                   metavar="SECTION.KEY=VALUE",
                   help="a value of every candidate, also written into the scenario file")
    n.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"the scenario file of the compromise (default {DEFAULT_OUT})")
    n.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    n.add_argument("--front", type=Path, metavar="DIR",
                   help="results folder of the front (default results/normative-<time>)")
    n.add_argument("--workers", default=str(os.cpu_count() or 1),
                   help="local processes (default: number of cores)")
    dask = n.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", metavar="ADDRESS",
                      help="run on a Dask cluster (tcp://host:8786); needs softsim[distributed]")
    dask.add_argument("--dask-local", metavar="N",
                      help="start a local Dask cluster of N worker processes")
    n.add_argument("--quiet", action="store_true", help="no progress lines")


def _int(name: str, text: str | None, low: int) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise SoftsimError(f"--{name}: expected an integer of at least {low}, got {text!r}")
    return value


def _list(name: str, text: str) -> tuple[str, ...]:
    items = tuple(x.strip() for x in text.split(","))
    if not text.strip() or any(not x for x in items):
        raise SoftsimError(f"--{name}: expected a comma-separated list, got {text!r}")
    if len(set(items)) != len(items):
        raise SoftsimError(f"--{name}: each name may appear once, got {text!r}")
    return items


def spec_from_args(args):
    """The :class:`~softsim.normative.SearchSpec` of the options (one-line errors)."""
    from softsim.normative import SearchSpec

    budget = None
    if args.budget != "same":
        try:
            budget = float(args.budget)
        except ValueError:
            budget = -1.0
        if not 0 < budget < 1e6:
            raise SoftsimError(f"--budget: expected 'same' or a positive amount in EUR per "
                               f"1,000 residents a week, got {args.budget!r}")
    overrides = []
    if args.territory is not None:
        overrides.append("territory.spec=" + '"' + args.territory.replace("\\", "\\\\")
                         .replace('"', '\\"') + '"')
    if args.years is not None:
        overrides.append(f"simulation.years={_int('years', args.years, 1)}")
    if args.scale is not None:
        try:
            scale = float(args.scale)
        except ValueError:
            raise SoftsimError(f"--scale: expected a number, got {args.scale!r}") from None
        overrides.append(f"population.scale={scale!r}")
    return SearchSpec(
        base=args.base, futures=_list("futures", args.futures),
        levers=_list("levers", args.levers), budget=budget,
        evaluations=_int("evaluations", args.evaluations, 1),
        population=_int("population", args.population, 2),
        replicates=_int("replicates", args.replicates, 1), seed=_int("seed", args.seed, 0),
        overrides=tuple(overrides), sets=tuple(args.overrides))


def command(args, console) -> int:
    """Run ``softsim normative``: check everything, search, write the front and the scenario."""
    import matplotlib.pyplot as plt

    from softsim.normative import check_search, search
    from softsim.normative_report import front_figure, front_markdown, scenario_text
    from softsim.store import check_file_target, check_target, write_normative
    from softsim.sweep_run import make_executor

    spec = spec_from_args(args)
    workers = _int("workers", args.workers, 1)
    dask_local = _int("dask-local", args.dask_local, 1)
    check_file_target(args.out, force=args.force, suffix=".toml")
    if args.front is not None:
        front_dir, unique = check_target(args.front), False
    else:
        front_dir = Path("results") / f"normative-{time.strftime('%Y%m%d-%H%M%S')}"
        front_dir, unique = check_target(front_dir, unique=True), True
    check_search(spec)  # every candidate can be configured, before the first run
    report = None if args.quiet else (lambda line: console.print(line, highlight=False))
    executor = make_executor(workers, args.scheduler, dask_local)
    try:
        result = search(spec, executor, report)
    finally:
        executor.close()
    cmd = ["softsim", *sys.argv[1:]] if Path(sys.argv[0]).name == "softsim" else None
    figure = front_figure(result)
    try:
        from softsim import __version__

        manifest = {"softsim_version": __version__, "command": cmd,
                    "spec": {k: v for k, v in vars(spec).items()},
                    "evaluations": result.evaluations, "runs": result.runs,
                    "candidates": len(result.candidates), "front": len(result.front),
                    "chosen": result.chosen, "wall_s": round(result.wall_s, 1),
                    "executor": executor.name, "workers": executor.workers}
        out = write_normative(front_dir, {"front": result.front,
                                          "candidates": result.candidates},
                              front_markdown(result), {"front": figure}, manifest, args.out,
                              scenario_text(result, ["softsim", "normative", *_argv(args)]),
                              unique=unique)
    finally:
        plt.close("all")
    console.print(f"front: {len(result.front)} of {len(result.candidates)} candidates "
                  f"({result.runs} runs, {result.wall_s:.0f} s); compromise: candidate "
                  f"{result.chosen}", highlight=False)
    console.print(f"front written to {out}/front.md; scenario written to {args.out}",
                  highlight=False)
    return 0


def _argv(args) -> list[str]:
    """The options that make the search, as typed (for the scenario file's header).

    Not --out, --front or the executor, which do not change the result.
    """
    parts = ["--base", args.base, "--futures", args.futures, "--levers", args.levers,
             "--budget", args.budget, "--evaluations", args.evaluations, "--population",
             args.population, "--replicates", args.replicates, "--seed", args.seed]
    for name in ("scale", "years", "territory"):
        if getattr(args, name) is not None:
            parts += [f"--{name}", getattr(args, name)]
    for text in args.overrides:
        parts += ["--set", text]
    return parts

