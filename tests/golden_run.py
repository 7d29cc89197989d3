"""The golden runs: small seeded runs whose summaries are kept in tests/golden/.

``hard`` pins the fixed-site path; ``soft`` (modules, orchestrator, mobile agents, bus, on-demand
transport, evening hours) pins the soft mechanisms. Update them on purpose only, after a change
that is meant to alter results:

    .venv/bin/python tests/golden_run.py --update

and say in the commit message why the results changed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"
OVERRIDES = ["territory.population=5000", "territory.n_communes=40", "simulation.years=2"]
SEED = 20261123
COMPARED = ("counts", "metrics", "groups", "access", "residents", "weeks", "territory")
GOLDEN_RUNS = {"hard": "hard_small.json", "soft": "soft_small.json"}
"""Scenario → golden file in tests/golden/."""


def compared_summary(scenario: str, overrides: list[str], seed: int) -> dict:
    """Run a scenario with ``overrides`` and keep the compared parts of its summary."""
    from softsim import run
    from softsim.config import load_config

    summary = run(load_config(scenario, overrides), seed).summary
    return {k: summary[k] for k in COMPARED}


def golden_summary(scenario: str = "hard") -> dict:
    """Run a golden configuration and keep the compared parts of its summary."""
    return compared_summary(scenario, OVERRIDES, SEED)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden files")
    update = parser.parse_args().update
    for scenario, name in GOLDEN_RUNS.items():
        text = json.dumps(golden_summary(scenario), indent=2) + "\n"
        if update:
            GOLDEN_DIR.mkdir(exist_ok=True)
            (GOLDEN_DIR / name).write_text(text)
            print(f"wrote {GOLDEN_DIR / name}")
        else:
            print(text)
