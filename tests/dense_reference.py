"""Reference summaries of real départements computed with dense travel matrices.

They were written by the code before travel times became sparse (commit f2812cf, where the
territory held three dense n × n matrices) with:

    PYTHONPATH=<checkout of f2812cf>/src python tests/dense_reference.py --update

``tests/test_sparse.py`` checks that the sparse travel times give exactly the same summaries.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from golden_run import compared_summary

REFERENCE_DIR = Path(__file__).parent / "golden" / "dense"
SEED = 20261201
RUNS = {
    ("hard", "dep:23"): ["population.scale=0.05", "simulation.years=1"],
    ("soft", "dep:23"): ["population.scale=0.05", "simulation.years=1"],
    ("hard", "dep:87"): ["population.scale=0.03", "simulation.years=1"],
    ("soft", "dep:48"): ["population.scale=0.1", "simulation.years=1"],
}
"""(scenario, territory) → overrides of the reference runs."""


def file_name(scenario: str, territory: str) -> str:
    """The reference file of a run."""
    return f"{scenario}_{territory.replace(':', '')}.json"


def summary(scenario: str, territory: str) -> dict:
    """Run one reference configuration and keep the compared parts of its summary."""
    return compared_summary(scenario, [f"territory.spec={territory}", *RUNS[(scenario, territory)]],
                            SEED)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the reference files")
    update = parser.parse_args().update
    for scenario, territory in RUNS:
        text = json.dumps(summary(scenario, territory), indent=2) + "\n"
        if update:
            REFERENCE_DIR.mkdir(parents=True, exist_ok=True)
            (REFERENCE_DIR / file_name(scenario, territory)).write_text(text)
            print(f"wrote {REFERENCE_DIR / file_name(scenario, territory)}")
        else:
            print(text)
