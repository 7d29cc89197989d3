#!/usr/bin/env python
"""Reproduce the scenario comparison shown in the README.

Runs the README's main job — the seven scenarios on the default territory with the default
replicates and seed — through :func:`softsim.compare`, and writes its report folder to
``docs/examples/compare/`` (table, figures, report.md), where the README takes its table and
its figure from.

    .venv/bin/python experiments/compare_scenarios.py            # default territory
    .venv/bin/python experiments/compare_scenarios.py dep:23     # the same on Creuse

The output folder must not exist yet (results are never overwritten): remove it first to
refresh it. Every number in it comes from the model; nothing is edited by hand.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from softsim import compare
from softsim.errors import SoftsimError
from softsim.store import check_target, write_comparison

ROOT = Path(__file__).resolve().parents[1]


def main(territory: str | None) -> Path:
    name = "compare" if territory is None else f"compare-{territory.replace(':', '')}"
    out = check_target(ROOT / "docs" / "examples" / name)
    overrides = [] if territory is None else [f'territory.spec="{territory}"']
    result = compare(overrides=overrides, workers=os.cpu_count() or 1)
    written = write_comparison(out, result, result.figures(),
                               command=["experiments/compare_scenarios.py", *sys.argv[1:]])
    print(result.headline())
    return written


if __name__ == "__main__":
    try:
        written = main(sys.argv[1] if len(sys.argv) > 1 else None)
    except SoftsimError as exc:
        sys.exit(f"compare_scenarios: error: {exc}")
    print(f"report written to {written}/report.md")
