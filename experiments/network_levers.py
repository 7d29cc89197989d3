#!/usr/bin/env python
"""The network scenario's levers, each removed in turn: paired effects, at equal money.

``network`` as bundled (first-level reception, pooled back office, site quality by dynamism)
against ``network`` without one lever, and against ``soft`` (the face-validity contrast on
workers), with common random numbers. Prints a table; writes nothing.

    .venv/bin/python experiments/network_levers.py        # 4 replicates, 2 years, scale 0.5
    .venv/bin/python experiments/network_levers.py --replicates 8 --years 6 --scale 1
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import stats

from softsim.config import load_config
from softsim.experiment import run_replicates

ARMS = {
    "without reception levels": ("reception.first_level=[]",),
    "without site quality": ("site_quality.dynamism_sd=0",),
    "without pooled back office": ("back_office.pooled=[]",),
    "without the three levers": ("reception.first_level=[]", "site_quality.dynamism_sd=0",
                                 "back_office.pooled=[]"),
}
"""Arms compared with ``network`` as bundled (network − arm)."""
KEYS = ("coverage_latent", "group:workers", "group:rural", "theil_between_share_communes",
        "cost_per_served", "site_factor", "budget_spent_share", "oriented",
        "resolved_first_level", "mean_travel_min")


def _value(summary: dict, key: str) -> float:
    v = (summary["groups"][key[6:]]["coverage_latent"] if key.startswith("group:")
         else summary["metrics"][key])
    return float("nan") if v is None else float(v)


def _ci(d: np.ndarray) -> str:
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return f"{d.mean():+.4g} ± {half:.2g}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replicates", type=int, default=4)
    p.add_argument("--years", type=int, default=2)
    p.add_argument("--scale", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    common = [f"simulation.years={a.years}", f"population.scale={a.scale}"]
    configs = [load_config("network", common), load_config("soft", common)]
    configs += [load_config("network", [*common, *o]).model_copy(update={"name": name})
                for name, o in ARMS.items()]
    by: dict[str, dict[int, dict]] = {}
    for r in run_replicates(configs, seed=a.seed, replicates=a.replicates, workers=a.workers):
        by.setdefault(r.scenario, {})[r.replicate] = r.summary
    net = by["network"]
    print(f"network: {a.replicates} replicates, {a.years} years, scale {a.scale}, "
          f"seed {a.seed}; mean paired difference ± 95 % t half-width\n")
    print("| metric | network | " + " | ".join(f"network − {n}" for n in [*ARMS, "soft"]) + " |")
    print("|---|---:|" + "---:|" * (len(ARMS) + 1))
    for k in KEYS:
        base = np.array([_value(net[r], k) for r in sorted(net)])
        cells = [_ci(base - np.array([_value(by[n][r], k) for r in sorted(net)]))
                 for n in [*ARMS, "soft"]]
        print(f"| {k} | {base.mean():.4g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
