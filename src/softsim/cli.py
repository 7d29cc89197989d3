"""The ``softsim`` command line: run, compare, sweep, analyze, territory show, scenarios, demo.

User errors (bad scenario, bad field, bad territory, an output path that cannot be written)
print one line and exit with code 2, without a traceback and without writing anything; they are
checked before any simulation. Ctrl-C (SIGINT), SIGTERM and SIGHUP end a command within seconds
with exit code 128 + the signal's number (130, 143, 129), one line, and nothing written; further
signals while it stops are ignored, so that the cleanup cannot be cut short.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from softsim.errors import SoftsimError

__all__ = ["Terminated", "main"]

EXIT_USAGE = 2
EXIT_FAILURE = 1
ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that end a command cleanly (exit code 128 + the signal's number)."""


class Terminated(BaseException):
    """The process received SIGTERM or SIGHUP: stop like on Ctrl-C, writing nothing.

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` lets it pass.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _Ending:
    """Handler of the ending signals: the first one interrupts, later ones are ignored."""

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum: int, frame) -> None:
        if self.signum is not None:
            return  # already stopping: a second Ctrl-C must not cut the cleanup short
        self.signum = signum
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)


TERRITORY_HELP = (
    "synthetic (default), grid, dep:<code>, epci:<siren>, reg:<code> (INSEE région), "
    "a list (dep:23,dep:87,dep:19) or a CSV path"
)

def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
    return value


class _Version(argparse.Action):
    """``--version``: looks the version up only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from softsim import __version__

        print(f"softsim {__version__}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="softsim",
        description="Simulate a soft territory: who gets served, who does not, at what cost.",
    )
    p.add_argument("--version", action=_Version)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run one scenario and write its results folder")
    r.add_argument("scenario", help="a bundled scenario name (see `softsim scenarios`) or a .toml")
    r.add_argument(
        "--territory", help=TERRITORY_HELP
    )
    r.add_argument("--seed", type=_non_negative_int, help="root seed (default: config's, else 1)")
    r.add_argument("--years", type=int, help="horizon in years (default 6)")
    r.add_argument("--future", help="a future of configs/futures (trend, shock) or a .toml")
    r.add_argument(
        "--scale", type=float, help="fraction of inhabitants simulated, in (0, 1] (default 1)"
    )
    r.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value (repeatable)",
    )
    r.add_argument("--out", type=Path, help="results folder (default results/<scenario>-<time>)")
    r.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    r.add_argument(
        "--plan",
        action="store_true",
        help="print the weekly schedule and the resolved run, then stop",
    )
    r.add_argument("--quiet", action="store_true", help="no progress bar, no table")

    c = sub.add_parser(
        "compare", help="run scenarios side by side with replicates; write a report (the main job)"
    )
    c.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="scenario names or .toml files (default: the seven bundled scenarios, hard first)",
    )
    c.add_argument(
        "--replicates",
        type=_positive_int,
        help="seeded replicates per scenario (default 10)",
    )
    c.add_argument(
        "--territory", help=TERRITORY_HELP
    )
    c.add_argument("--years", type=int, help="horizon in years (default 6)")
    c.add_argument("--future", help="a future of configs/futures (trend, shock) or a .toml")
    c.add_argument("--scale", type=float, help="fraction of inhabitants simulated")
    c.add_argument("--seed", type=_non_negative_int, default=1, help="root seed (default 1)")
    c.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a value in every scenario",
    )
    c.add_argument(
        "--workers",
        type=_positive_int,
        default=os.cpu_count() or 1,
        help="local processes (default: number of cores)",
    )
    c.add_argument("--out", type=Path, help="report folder (default results/compare-<time>)")
    c.add_argument("--quiet", action="store_true", help="no progress bar, no table")

    _sweep_parser(sub)
    from softsim.analysis_cli import add_parser as _analyze_parser

    _analyze_parser(sub)

    from softsim import normative_cli

    normative_cli.add_parser(sub)

    t = sub.add_parser("territory", help="inspect a territory")
    tsub = t.add_subparsers(dest="territory_command", required=True, metavar="ACTION")
    show = tsub.add_parser("show", help="print a territory's figures and draw its map")
    show.add_argument("spec", help=TERRITORY_HELP)
    show.add_argument("--seed", type=_non_negative_int, default=1)
    show.add_argument("--out", type=Path, help="write the map to this .png")
    show.add_argument("--force", action="store_true", help="overwrite the --out file if it exists")

    sub.add_parser("scenarios", help="list the bundled scenarios")

    d = sub.add_parser("demo", help="serve the workshop page (offline, in a browser)")
    d.add_argument(
        "--territory", default="synthetic",
        help=TERRITORY_HELP,
    )
    d.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")
    d.add_argument("--port", type=_port, default=8765, help="port (default 8765)")
    d.add_argument("--lang", choices=("fr", "en"), default="fr",
                   help="language of the page (default fr)")
    d.add_argument("--seed", type=_non_negative_int, default=1, help="root seed (default 1)")
    d.add_argument("--scale", type=float,
                   help="fraction of inhabitants simulated, in (0, 1] (default 1)")

    e = sub.add_parser("explain", help="explain a scenario, a mechanism or a metric")
    e.add_argument("name", nargs="?", help="what to explain; without it, list what can be")
    e.add_argument("--lang", choices=("fr", "en"), default="fr", help="language (default fr)")
    return p


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port between 1 and 65535, got {text!r}")
    return value


def _sweep_parser(sub) -> None:
    w = sub.add_parser(
        "sweep",
        help="run an experiment design from a sweep file into a resumable run store",
        description="Run the runs of a sweep file (configs/sweeps/*.toml) into a results "
        "folder that survives crashes; --resume finishes an interrupted sweep.",
    )
    w.add_argument("file", nargs="?", metavar="FILE",
                   help="a sweep .toml file or a bundled sweep's name")
    w.add_argument("--plan", action="store_true",
                   help="print the design's size and first runs, then stop")
    w.add_argument("--rows", type=_positive_int, default=10,
                   help="runs printed by --plan (default 10)")
    w.add_argument("--out", type=Path, help="results folder (default results/sweep-<name>-<time>)")
    w.add_argument("--resume", action="store_true",
                   help="finish the sweep in --out: make only the runs it does not hold")
    w.add_argument("--status", type=Path, metavar="DIR",
                   help="print where the sweep in DIR stands, run nothing")
    w.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1,
                   help="local processes (default: number of cores)")
    w.add_argument("--keep", choices=["series"], action="append", default=[],
                   help="also store each run's weekly series (--keep series)")
    dask = w.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", metavar="ADDRESS",
                      help="run on a Dask cluster (tcp://host:8786); needs softsim[distributed]")
    dask.add_argument("--dask-local", type=_positive_int, metavar="N",
                      help="start a local Dask cluster of N worker processes")
    w.add_argument("--quiet", action="store_true", help="no progress bar")


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer of at least 1, got {text!r}")
    return value


def _run_overrides(args) -> list[str]:
    over = []
    if args.territory is not None:
        over.append(f"territory.spec={_toml_string(args.territory)}")
    if args.years is not None:
        over.append(f"simulation.years={args.years}")
    if args.scale is not None:
        over.append(f"population.scale={args.scale}")
    return over + list(args.overrides)


def _future_section(name: str | None) -> dict:
    if name is None:
        return {}
    from softsim.futures import load_future

    return {"futures": load_future(name)}


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fmt(v) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _summary_tables(summary: dict, console: Console) -> None:
    mt = Table(
        title=f"{summary['scenario']} on {summary['territory']} — "
        f"{summary['residents']:,} residents, {summary['weeks']} weeks, "
        f"seed {summary['seed']}"
    )
    mt.add_column("metric")
    mt.add_column("value", justify="right")
    for k, v in summary["counts"].items():
        mt.add_row(f"needs {k}", _fmt(v))
    from softsim import metric_registry as reg

    for k, v in summary["metrics"].items():
        x = reg.get(k)
        mt.add_row(x.label, _fmt(v) if v is None else reg.format_value(x, v))
    console.print(mt)
    gt = Table(title="by group of residents")
    cols = [
        "residents",
        "coverage_latent",
        "non_take_up",
        "abandonment",
        "mean_travel_min",
        "gap_vs_rest",
    ]
    gt.add_column("group")
    for c in cols:
        gt.add_column(c, justify="right")
    for g, row in summary["groups"].items():
        gt.add_row(g, *(_fmt(row[c]) for c in cols))
    console.print(gt)
    if summary.get("objectives"):
        ot = Table(title="objectives")
        for c in ("objective", "metric", "target", "value", "met"):
            ot.add_column(c, justify="left" if c in ("objective", "metric") else "right")
        sign = {"at_least": "≥ ", "at_most": "≤ "}
        for name, o in summary["objectives"].items():
            ot.add_row(name, o["metric"], sign[o["direction"]] + _fmt(o["target"]),
                       _fmt(o["value"]), "yes" if o["met"] else "no")
        console.print(ot)


def _cmd_run(args, console: Console) -> int:
    from softsim.config import check_runnable, load_config, resolve_seed

    cfg = load_config(args.scenario, _run_overrides(args), **_future_section(args.future))
    check_runnable(cfg)
    cfg, args.seed = resolve_seed(cfg, args.seed)  # config.toml records the seed of the run
    if args.plan:
        from softsim.model import plan

        console.print(f"scenario {cfg.name}: {cfg.description}", highlight=False)
        console.print(
            f"territory {cfg.territory.spec}, {cfg.weeks} weekly steps, "
            f"seed {args.seed}, scale {cfg.population.scale}, "
            f"future {cfg.futures.name}",
            highlight=False,
        )
        console.print("each week, in order:\n" + plan(), highlight=False)
        return 0
    from softsim.store import write_run

    out, unique = _output_folder(args.out, cfg.name)  # fail before simulating, not after
    outcomes = _simulate(cfg, args.seed, quiet=args.quiet, console=console)

    figures = None
    if not args.no_figures:
        from softsim.report import run_figure_builders

        figures = run_figure_builders(outcomes)  # built and saved in parallel by write_run
    out = write_run(outcomes, out, figures, command=["softsim", *sys.argv[1:]], unique=unique,
                    workers=_figure_workers())
    if not args.quiet:
        _summary_tables(outcomes.summary, console)
    console.print(f"results written to {out}/", highlight=False)
    return 0


def _figure_workers() -> int:
    """Processes for a run's figures: two where a second core is usable and idle.

    Idle: the 1-minute load average is below the cores minus one. On a busy machine a second
    process only competes with the others (measured in benchmarks/README.md).
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no sched_getaffinity (macOS)
        cores = os.cpu_count() or 1
    try:
        idle = os.getloadavg()[0] < cores - 1
    except (AttributeError, OSError):  # no load average (Windows)
        idle = False
    return 2 if cores >= 2 and idle else 1


def _output_folder(out: Path | None, name: str) -> tuple[Path, bool]:
    """The results folder and whether it is a default name (made unique when written).

    Checked now, before any work: see :func:`softsim.store.check_target`.
    """
    from softsim.store import check_target

    if out is not None:
        return check_target(out), False
    default = Path("results") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    return check_target(default, unique=True), True


def _with_progress(work, label: str, unit: str, total: int, quiet: bool):
    """Call ``work(progress)`` under a progress bar on stderr (none if quiet or not a terminal)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    stderr = Console(stderr=True)
    if quiet or not stderr.is_terminal:
        return work(None)
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        TextColumn(f"{unit} {{task.completed:.0f}}/{{task.total:.0f}}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        return work(lambda done, _total: bar.update(task, completed=done))


def _simulate(cfg, seed: int, *, quiet: bool, console: Console):
    from softsim.engine import run

    return _with_progress(lambda progress: run(cfg, seed, progress=progress), cfg.name, "week",
                          cfg.weeks, quiet)


def _cmd_compare(args, console: Console) -> int:
    import matplotlib.pyplot as plt

    from softsim.comparison import (
        DEFAULT_REPLICATES,
        DEFAULT_SCENARIOS,
        compare,
        resolve_scenarios,
    )
    from softsim.store import write_comparison

    out, unique = _output_folder(args.out, "compare")
    replicates = args.replicates or DEFAULT_REPLICATES
    # resolved (and any error reported) before the progress bar appears
    configs = resolve_scenarios(args.scenarios or DEFAULT_SCENARIOS, _run_overrides(args),
                                args.future)
    result = _with_progress(
        lambda progress: compare(configs, replicates=replicates, seed=args.seed,
                                 workers=args.workers, progress=progress),
        "compare", "run", len(configs) * replicates, args.quiet)
    figures = result.figures()
    try:
        out = write_comparison(out, result, figures, command=["softsim", *sys.argv[1:]],
                               unique=unique)
    finally:
        plt.close("all")
    if not args.quiet:
        _comparison_table(result.table, console)
        _objectives_table(result.objectives, console)
    console.print(f"report written to {out}/report.md", highlight=False)
    return 0


def _comparison_table(table, console: Console) -> None:
    from softsim import metric_registry as reg

    metrics = [reg.get(k) for k in reg.HEADLINE]
    t = Table(title="scenarios (mean ± 95 % CI)")
    t.add_column("scenario")
    for x in metrics:
        t.add_column(x.short or x.label, justify="right")
    for _, row in table.iterrows():
        cells = []
        for x in metrics:
            mean, ci = row[f"{x.key}_mean"], row[f"{x.key}_ci95"]
            ci_text = f" ±{reg.format_value(x, ci)}" if ci == ci else ""
            cells.append(reg.format_value(x, mean) + ci_text)
        t.add_row(row["scenario"], *cells)
    console.print(t)


def _objectives_table(table, console: Console) -> None:
    if table is None or table.empty:
        return
    scenarios = list(dict.fromkeys(table["scenario"]))
    t = Table(title="objectives (replicates meeting the target)")
    t.add_column("objective")
    for s in scenarios:
        t.add_column(s, justify="right")
    for label, sub in table.groupby("objective", sort=False):
        cells = {r.scenario: f"{r.met} of {r.replicates}" for r in sub.itertuples()}
        t.add_row(label, *(cells[s] for s in scenarios))
    console.print(t)


def _cmd_sweep(args, console: Console) -> int:
    if args.status is not None:
        if args.file is not None:
            raise SoftsimError("sweep --status DIR: give no sweep file with it")
        return _sweep_status(args.status, console)
    if args.file is None:
        raise SoftsimError("sweep: expected a sweep FILE (or --status DIR)")
    from softsim.sweep import load_sweep

    plan = load_sweep(args.file)
    if args.plan:
        return _sweep_plan(plan, args.rows, console)
    if args.resume and args.out is None:
        raise SoftsimError("sweep --resume: give the folder to finish with --out DIR")
    from softsim.sweep_run import run_sweep

    if args.out is not None:
        out, unique = args.out, False
    else:
        out, unique = Path("results") / f"sweep-{plan.name}-{time.strftime('%Y%m%d-%H%M%S')}", True
    stderr = Console(stderr=True)
    bar = not args.quiet and stderr.is_terminal
    last = [0.0]

    def report(progress) -> None:
        if bar:
            live.update(task, completed=progress.done + progress.failed,
                        info=progress.line())
        elif not args.quiet and time.monotonic() - last[0] > 10:
            last[0] = time.monotonic()
            print(progress.line(), file=sys.stderr, flush=True)

    from rich.progress import BarColumn, Progress, TextColumn

    live = Progress(TextColumn(f"[bold]sweep {plan.name}"), BarColumn(),
                    TextColumn("{task.fields[info]}"), console=stderr, transient=True,
                    disable=not bar)
    task = live.add_task("sweep", total=plan.n_runs, info="starting workers")
    try:
        with live:
            result = run_sweep(
                plan, out, workers=args.workers, resume=args.resume,
                keep_series="series" in args.keep, scheduler=args.scheduler,
                dask_local=args.dask_local, unique=unique, report=report,
                command=["softsim", *sys.argv[1:]],
            )
    except (KeyboardInterrupt, Terminated) as exc:
        signum = signal.SIGINT if isinstance(exc, KeyboardInterrupt) else exc.signum
        name = signal.Signals(signum).name
        if (Path(out) / "manifest.json").exists():
            print(f"softsim: stopped by {name}; finished runs are kept, finish with: "
                  f"softsim sweep {args.file} --out {out} --resume", file=sys.stderr)
        else:
            print(f"softsim: stopped by {name}; nothing was written", file=sys.stderr)
        return 128 + signum
    console.print(result.progress.line(), highlight=False)
    console.print(f"sweep stored in {result.path}/ (report: {result.report})", highlight=False)
    return 0 if result.progress.failed == 0 else EXIT_FAILURE


def _sweep_plan(plan, rows: int, console: Console) -> int:
    d = plan.describe()
    console.print(
        f"sweep {plan.name}: design {d['kind']}, {d['points']} points × "
        f"{len(d['scenarios'])} scenarios × {len(d['futures'])} futures × "
        f"{d['replicates']} replicates = {d['runs']} runs; seed {d['seed']}",
        highlight=False,
    )
    table = plan.table(rows)
    t = Table(title=f"first {len(table)} runs of {plan.n_runs}")
    for c in table.columns:
        t.add_column(str(c), justify="right" if c not in ("scenario", "future") else "left")
    for _, row in table.iterrows():
        t.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row))
    console.print(t)
    return 0


def _sweep_status(folder: Path, console: Console) -> int:
    from softsim.sweep_run import sweep_status

    manifest, progress = sweep_status(folder)
    state = "finished" if manifest.get("finished") else "not finished"
    console.print(f"sweep {manifest.get('sweep')} in {folder}: {state}; design "
                  f"{manifest.get('design', {}).get('kind')}, started {manifest.get('started')}",
                  highlight=False)
    console.print(progress.line(), highlight=False)
    return 0


def _cmd_analyze(args, console: Console) -> int:
    from softsim.analysis_cli import run_command

    return run_command(args, console)


def _cmd_territory(args, console: Console) -> int:
    from softsim.config import load_config
    from softsim.rng import SeedTree
    from softsim.store import check_file_target
    from softsim.territory import build_territory

    if args.out is not None:
        check_file_target(args.out, force=args.force)  # before building the territory
    cfg = load_config("hard", [f"territory.spec={_toml_string(args.spec)}"])
    t = build_territory(cfg.territory, cfg.travel, SeedTree(args.seed))
    table = Table(title=f"territory {t.label}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in t.stats().items():
        table.add_row(k, _fmt(v))
    console.print(table)
    if t.attribution:
        console.print(t.attribution, highlight=False)
    if args.out:
        from softsim.report import territory_map
        from softsim.store import write_figure

        write_figure(territory_map(t), args.out)
        console.print(f"map written to {args.out}", highlight=False)
    return 0


def _cmd_scenarios(args, console: Console) -> int:
    from softsim.config import list_scenarios

    table = Table(title="bundled scenarios")
    table.add_column("name")
    table.add_column("description")
    for name, desc in list_scenarios().items():
        table.add_row(name, desc)
    console.print(table)
    return 0


def _cmd_demo(args, console: Console) -> int:
    from softsim.app.server import LOCAL_HOSTS, check_address, check_available, prepare, serve

    check_available()
    check_address(args.host, args.port)
    extra = [] if args.scale is None else [f"population.scale={args.scale}"]
    prepare(args.territory, args.lang, args.seed, extra)  # refuses a bad territory now
    url = f"http://{args.host}:{args.port}/"
    if args.host not in LOCAL_HOSTS:
        console.print(
            f"warning: bound to {args.host}, not 127.0.0.1: other machines on the network can "
            "open the page",
            highlight=False,
        )
    console.print(f"workshop page at {url} (Ctrl-C to stop)", highlight=False)
    serve(args.territory, args.host, args.port, args.lang, args.seed, extra)
    return 0


def _cmd_explain(args, console: Console) -> int:
    from softsim.explain import explain, listing

    print(listing(args.lang) if args.name is None else explain(args.name, args.lang))
    return 0


def _cmd_normative(args, console: Console) -> int:
    from softsim.normative_cli import command

    return command(args, console)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``softsim`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 110)
    commands = {
        "run": _cmd_run,
        "compare": _cmd_compare,
        "sweep": _cmd_sweep,
        "analyze": _cmd_analyze,
        "normative": _cmd_normative,
        "territory": _cmd_territory,
        "scenarios": _cmd_scenarios,
        "demo": _cmd_demo,
        "explain": _cmd_explain,
    }
    ending = _Ending()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {s: signal.signal(s, ending) for s in ENDING_SIGNALS}
    try:
        return commands[args.command](args, console)
    except SoftsimError as exc:
        print(f"softsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("softsim: interrupted; nothing was written", file=sys.stderr)
        return 128 + signal.SIGINT
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"softsim: stopped by {name}; nothing was written", file=sys.stderr)
        return 128 + exc.signum
    except Exception as exc:
        experiment = sys.modules.get("softsim.experiment")  # not imported by every command
        if experiment is None or not isinstance(exc, experiment.WorkerLost):
            raise
        print(f"softsim: error: {exc}; nothing was written", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if argv is None and ending.signum is not None:
            # The command line is stopping: ignore further signals up to its very exit. SIG_IGN
            # and not a Python handler, which the interpreter resets to the default action
            # while it finalises (a late Ctrl-C would then kill it with exit status -2).
            for s in previous:
                signal.signal(s, signal.SIG_IGN)
        else:
            for s, handler in previous.items():
                signal.signal(s, handler)


if __name__ == "__main__":
    sys.exit(main())
