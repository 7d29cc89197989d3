#!/usr/bin/env python
"""Reproduce the scenario comparison shown in the README.

Runs the README's main job — the seven scenarios on the default territory with the default
replicates and seed — and writes its report folder to ``docs/examples/compare/`` (table,
figures, report.md), where the README takes its table and its figure from.

    .venv/bin/python experiments/compare_scenarios.py            # default territory
    .venv/bin/python experiments/compare_scenarios.py dep:23     # the same on Creuse

The output folder must not exist yet (results are never overwritten): remove it first to
refresh it. Every number in it comes from the model; nothing is edited by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from softsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


if __name__ == "__main__":
    territory = sys.argv[1] if len(sys.argv) > 1 else None
    name = "compare" if territory is None else f"compare-{territory.replace(':', '')}"
    argv = ["compare", "--out", str(ROOT / "docs" / "examples" / name)]
    if territory is not None:
        argv += ["--territory", territory]
    sys.exit(main(argv))
