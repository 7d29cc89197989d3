"""The golden run: a small seeded `hard` run whose summary is kept in tests/golden/.

Update it on purpose only, after a change that is meant to alter results:

    .venv/bin/python tests/golden_run.py --update

and say in the commit message why the results changed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden" / "hard_small.json"
OVERRIDES = ["territory.population=5000", "territory.n_communes=40", "simulation.years=2"]
SEED = 20261123
COMPARED = ("counts", "metrics", "groups", "access", "residents", "weeks", "territory")


def golden_summary() -> dict:
    """Run the golden configuration and keep the compared parts of its summary."""
    from softsim import run
    from softsim.config import load_config

    summary = run(load_config("hard", OVERRIDES), SEED).summary
    return {k: summary[k] for k in COMPARED}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden file")
    if parser.parse_args().update:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(golden_summary(), indent=2) + "\n")
        print(f"wrote {GOLDEN}")
    else:
        print(json.dumps(golden_summary(), indent=2))
