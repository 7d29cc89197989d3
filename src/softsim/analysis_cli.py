"""The ``softsim analyze`` subcommand: its arguments and what it does.

The work is in :mod:`softsim.analysis`. Part of the command line; the core never imports it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from softsim.errors import SoftsimError

__all__ = ["add_parser", "run_command"]


def _fraction(text: str) -> float:
    import argparse

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], got {text!r}")
    return value


def add_parser(sub) -> None:
    """Add ``analyze`` to the subcommands ``sub``."""
    a = sub.add_parser(
        "analyze",
        help="sensitivity indices, scenario discovery (PRIM) or robustness of a sweep's runs",
        description="Analyse a sweep's results folder (softsim sweep): --sobol or --morris "
        "indices, --prim boxes of the runs meeting a condition, or --robustness of strategies "
        "across futures. Writes DIR/analysis-<kind>/ (analysis.md, CSV tables, figures).",
    )
    a.add_argument("folder", type=Path, metavar="DIR", help="a sweep's results folder")
    kind = a.add_mutually_exclusive_group(required=True)
    kind.add_argument("--sobol", action="store_true", help="Sobol indices (a sobol sweep)")
    kind.add_argument("--morris", action="store_true", help="Morris μ*, σ (a morris sweep)")
    kind.add_argument("--prim", metavar="CONDITION",
                      help='PRIM boxes of the runs where CONDITION holds, e.g. '
                      '"coverage_latent<0.55"')
    kind.add_argument("--robustness", action="store_true",
                      help="regret and satisficing of strategies across futures")
    a.add_argument("--metrics", metavar="A,B",
                   help="metrics analysed (default coverage_latent,gini,cost_per_served)")
    a.add_argument("--satisfice", action="append", default=[], metavar="CONDITION",
                   help='an objective for --robustness, e.g. "coverage_latent>=0.6" '
                   "(repeatable)")
    a.add_argument("--density", type=_fraction, default=0.8,
                   help="density PRIM's chosen box should reach (default 0.8)")
    a.add_argument("--out", type=Path, help="analysis folder (default DIR/analysis-<kind>)")


def run_command(args, console) -> int:
    """Run ``softsim analyze``: check the target, analyse, write, print the summary."""
    from softsim.analysis import analyze
    from softsim.store import check_target, write_analysis

    kind = ("sobol" if args.sobol else "morris" if args.morris else
            "prim" if args.prim is not None else "robustness")
    if args.satisfice and kind != "robustness":
        raise SoftsimError("--satisfice: applies to --robustness only")
    if not (args.folder / "manifest.json").is_file():
        raise SoftsimError(f"{args.folder}: not a sweep results folder (no manifest.json)")
    out, unique = (args.out, False) if args.out else (args.folder / f"analysis-{kind}", True)
    check_target(out, unique=unique)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        result = analyze(args.folder, kind, metrics=args.metrics, prim=args.prim,
                         satisfice=args.satisfice, density=args.density)
        path = write_analysis(out, result.markdown, result.tables, result.figures,
                              ["softsim", *sys.argv[1:]], unique=unique)
    finally:
        plt.close("all")
    for line in result.lines:
        console.print(line, highlight=False)
    console.print(f"analysis written to {path}/analysis.md", highlight=False)
    return 0
