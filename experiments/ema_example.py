"""softsim in EMA Workbench: experiments over futures × budget mixes, then PRIM, at small scale.

    .venv/bin/python experiments/ema_example.py [--scenarios 20] [--policies 4]

``softsim.ema.model("soft")`` is an ordinary EMA Workbench model: ``perform_experiments``
samples futures (the trends of docs/analysis.md) and strategies (the channel shares of the
budget, the orchestrator's review period and its data quality), and EMA's
own PRIM finds the futures and strategies where coverage of latent needs falls below its
median. Runs at 2 % of the population over one year (about a second a run); prints the
experiments' outcomes and the first PRIM box. Writes nothing.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

SMALL = ["population.scale=0.02", "simulation.years=1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=20, help="futures sampled (LHS)")
    parser.add_argument("--policies", type=int, default=4, help="strategies sampled (LHS)")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import perform_experiments
        from ema_workbench.analysis import prim

    from softsim.ema import model

    m = model("soft", fixed=SMALL, shocks=False)  # the shock future's dates lie past one year
    experiments, outcomes = perform_experiments(m, scenarios=args.scenarios,
                                                policies=args.policies)
    for key, v in outcomes.items():
        print(f"{key:>24}: mean {np.mean(v):.4f}, min {np.min(v):.4f}, max {np.max(v):.4f}")
    cov = outcomes["coverage_latent"]
    y = cov < np.median(cov)
    x = experiments.drop(columns=["policy", "model", "scenario"])
    box = prim.Prim(x, y.astype(int)).find_box()
    print(f"\nPRIM, coverage below its median ({np.median(cov):.4f}):")
    print(box.peeling_trajectory.tail(3).to_string())
    print(box.box_lims[-1].T.to_string())


if __name__ == "__main__":
    main()
