#!/usr/bin/env python
"""Does the atlas's reading hold at other population scales? ``soft`` − ``hard`` by scale.

The national atlas (``softsim sweep atlas``) runs every département at 2 % of its population to
stay fast. At that scale a small département has a few thousand residents, and the whole
numbers of the model (sites, modules, buses, capacity units, the residents of a commune)
round more. This script runs ``hard`` and ``soft`` on chosen départements at several scales,
with common random numbers (the same replicate seeds for both scenarios), and prints, per
département and scale: the simulated residents, each scenario's coverage of latent needs, the
paired difference ``soft`` − ``hard`` in points, and the share of its budget ``soft`` spends net
of what it leaves unspent on purpose (*laisser faire*; ``hard`` spends all of its own).

    .venv/bin/python experiments/atlas_scale.py
    .venv/bin/python experiments/atlas_scale.py --deps 48,23,93 --scales 0.02,0.5 --replicates 2
    .venv/bin/python experiments/atlas_scale.py --deps 48 --without associations,bus

``--without`` adds, for each named mechanism of ``experiments/ablation.py`` that bundled
``soft`` has, an arm ``soft`` without it at equal money (the ablation's removal), compared with
the same ``hard`` runs: if the gap between scales shrinks without a mechanism, that mechanism
carries the scale's artefact.

Nothing is written: the table goes to standard output.
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from ablation import MECHANISMS

from softsim.config import load_config
from softsim.experiment import run_replicates

REMOVABLE = {m.key: m for m in MECHANISMS if not m.enable}
"""The ablation's mechanisms that bundled ``soft`` has, by key."""


def rows(deps: list[str], scales: list[float], years: int, replicates: int, seed: int,
         workers: int, without: tuple[str, ...] = ()) -> list[dict]:
    """One row per (département, scale, arm): coverages, paired difference, the arm's spending.

    The arms are ``soft`` and ``soft`` without each mechanism of ``without``; each is compared
    with the same ``hard`` runs.
    """
    out = []
    for dep in deps:
        for scale in scales:
            over = [f'territory.spec="dep:{dep}"', f"population.scale={scale}",
                    f"simulation.years={years}"]
            arms = [load_config("soft", over)]
            for key in without:
                m = REMOVABLE[key]
                arms.append(load_config("soft", [*over, *m.overrides],
                                        **{k: dict(v) for k, v in m.sections}).model_copy(
                    update={"name": f"soft without {key}"}))
            by: dict[str, dict[int, dict]] = {}
            for r in run_replicates([load_config("hard", over), *arms], seed=seed,
                                    replicates=replicates, workers=workers):
                by.setdefault(r.scenario, {})[r.replicate] = r.summary
            reps = sorted(by["hard"])

            def coverage(name, reps=reps, by=by):
                return np.array([by[name][r]["metrics"]["coverage_latent"] for r in reps])

            for cfg in arms:
                spent = np.array([by[cfg.name][r]["metrics"]["budget_spent_share"]
                                  for r in reps])
                out.append({
                    "dep": dep, "scale": scale, "arm": cfg.name,
                    "residents": int(np.mean([by["hard"][r]["residents"] for r in reps])),
                    "hard": coverage("hard").mean(), "soft": coverage(cfg.name).mean(),
                    "delta": 100 * (coverage(cfg.name) - coverage("hard")).mean(),
                    "soft_spent_net": spent.mean() / (1.0 - cfg.budget.laisser_faire),
                })
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deps", default="48,04,09,23,93", help="département codes")
    parser.add_argument("--scales", default="0.02,0.1,0.5")
    parser.add_argument("--years", type=int, default=6)
    parser.add_argument("--replicates", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--without", default="",
                        help=f"mechanisms removed in extra arms: {', '.join(REMOVABLE)}")
    args = parser.parse_args(argv)
    without = tuple(k for k in args.without.split(",") if k)
    unknown = [k for k in without if k not in REMOVABLE]
    if unknown:
        parser.error(f"--without: {', '.join(unknown)} is not one of {', '.join(REMOVABLE)}")
    table = rows(args.deps.split(","), [float(s) for s in args.scales.split(",")], args.years,
                 args.replicates, args.seed, args.workers, without)
    print(f"{args.years} years, {args.replicates} replicates, seed {args.seed}\n")
    print("| département | scale | residents | arm | hard coverage | arm coverage | "
          "arm − hard (points) | arm spent, net |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for r in table:
        print(f"| dep:{r['dep']} | {r['scale']:g} | {r['residents']:,} | {r['arm']} | "
              f"{r['hard']:.3f} | {r['soft']:.3f} | {r['delta']:+.1f} | "
              f"{r['soft_spent_net']:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
