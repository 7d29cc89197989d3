#!/usr/bin/env python
"""What each channel offers per 1,000 residents at several population scales.

``--scale`` simulates a fraction of the inhabitants and scales the discrete actors with it
(``config.scale_actors``), so every channel should offer about the same capacity per resident
at any scale. This script checks it: it steps ``hard`` and ``soft`` on chosen départements for
a year at each scale and prints, per channel (fixed sites, modules, bus stops, associations),
the mean weekly capacity per 1,000 simulated residents, and for the fixed sites their funded
capacity against ``capacity × site factor`` before it is made a whole number. A channel whose
capacity per resident moves with the scale carries an artefact of the scale.

    .venv/bin/python experiments/scale_rounding.py
    .venv/bin/python experiments/scale_rounding.py --deps 48,23 --scales 0.02,0.1,0.5

Nothing is written: the table goes to standard output.
"""

from __future__ import annotations

import argparse

import numpy as np

from softsim.config import load_config
from softsim.model import SoftTerritory

CHANNELS = ("fixed", "module", "bus", "association")


def row(dep: str, scale: float, scenario: str, weeks: int, seed: int) -> dict:
    """One scenario on one département at one scale: capacity per 1,000 residents by channel."""
    cfg = load_config(scenario, [f'territory.spec="dep:{dep}"', f"population.scale={scale}",
                                 "simulation.years=1"])
    model = SoftTerritory(cfg, seed=seed)
    offered = {k: 0.0 for k in CHANNELS}
    funded = exact = 0.0
    for _ in range(weeks):
        model.step()
        for p in model.now.providers:
            if p.kind in offered:
                offered[p.kind] += p.capacity
        site_factor = model.now.site_factor
        funded += sum(int(s.capacity * site_factor) for s in model.sites)
        exact += sum(s.capacity * site_factor for s in model.sites)
    per_1000 = 1000.0 / (model.residents.n * weeks)
    caps = np.array([s.capacity for s in model.sites])
    return {
        "dep": dep, "scale": scale, "scenario": scenario, "residents": model.residents.n,
        "sites": len(caps), "site_capacity": f"{caps.min()}–{caps.max()}" if len(caps) else "–",
        "funded_share": funded / exact if exact else float("nan"),
        **{k: v * per_1000 for k, v in offered.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deps", default="48,23,93", help="département codes")
    parser.add_argument("--scales", default="0.02,0.1,0.5")
    parser.add_argument("--scenarios", default="hard,soft")
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"{args.weeks} weeks, seed {args.seed}; capacity offered per 1,000 residents a week\n")
    print("| département | scale | scenario | residents | fixed sites (full capacity) | "
          "funded / capacity × factor | fixed | modules | bus stops | associations |")
    print("|---|---:|---|---:|---|---:|---:|---:|---:|---:|")
    for dep in args.deps.split(","):
        for scale in (float(s) for s in args.scales.split(",")):
            for scenario in args.scenarios.split(","):
                r = row(dep, scale, scenario, args.weeks, args.seed)
                print(f"| dep:{r['dep']} | {r['scale']:g} | {r['scenario']} | "
                      f"{r['residents']:,} | {r['sites']} ({r['site_capacity']}) | "
                      f"{r['funded_share']:.2f} | {r['fixed']:.1f} | {r['module']:.1f} | "
                      f"{r['bus']:.1f} | {r['association']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
