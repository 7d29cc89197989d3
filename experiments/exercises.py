"""Worked answers of docs/exercises.md, computed by the model at class scale.

Each exercise is one function returning the lines of its worked answer; docs/exercises.md
quotes these lines verbatim and tests/test_exercises.py re-runs this script and checks that it
does. Every answer is a comparison with common random numbers (replicate r of every scenario
shares its seeds) at the tutorial's class scale: one inhabitant in ten, one year, three
replicates, seed 1 (:data:`SETTINGS`). Nothing is tuned: the numbers are what the bundled
scenarios give.

    python experiments/exercises.py                 # every exercise
    python experiments/exercises.py --exercise 4    # one of them
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from functools import cache

import numpy as np
from scipy import stats

from softsim import compare
from softsim.comparison import Comparison
from softsim.config import load_config
from softsim.rng import SeedTree
from softsim.territory import build_territory

SEED = 1
REPLICATES = 3
WORKERS = 2
CLASS = ["population.scale=0.1", "simulation.years=1"]
SETTINGS = f"scale 0.1, 1 year, {REPLICATES} replicates, seed {SEED}"
SCENARIOS = ("hard", "soft", "digital", "network", "information", "local", "normative")


def _variant(scenario: str, name: str, overrides: list[str]):
    """A bundled scenario with class-scale settings and overrides, under its own name."""
    return load_config(scenario, CLASS + overrides).model_copy(update={"name": name})


@cache
def _base() -> Comparison:
    """The seven scenarios, compared with `hard` (shared by several exercises)."""
    return compare(list(SCENARIOS), replicates=REPLICATES, seed=SEED, overrides=CLASS,
                   workers=WORKERS)


def _values(cmp: Comparison, scenario: str, read: Callable[[dict], float]) -> np.ndarray:
    """A value of each replicate's summary, in replicate order."""
    rows = sorted((r for r in cmp.results if r.scenario == scenario), key=lambda r: r.replicate)
    return np.array([read(r.summary) for r in rows], dtype=float)


def _metric(key: str) -> Callable[[dict], float]:
    return lambda s: s["metrics"][key]


def _group(group: str, field: str) -> Callable[[dict], float]:
    return lambda s: s["groups"][group][field]


def _mean_ci(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return float(x.mean()), float(half)


def _points(x: np.ndarray) -> str:
    """Mean ± 95 % CI half-width of shares, in points (×100)."""
    mean, half = _mean_ci(100 * x)
    return f"{mean:+.1f} ± {half:.1f} points"


def _share(x: np.ndarray) -> str:
    mean, half = _mean_ci(x)
    return f"{mean:.3f} ± {half:.3f}"


def exercise_1() -> list[str]:
    """Read a run: the path of latent needs in `hard`."""
    c = _base()
    counts = {k: _values(c, "hard", lambda s, k=k: s["counts"][k]) for k in
              ("latent", "not_taken_up", "served", "abandoned", "pending")}
    lat = counts["latent"]
    return [
        f"- latent needs per run: {lat.mean():,.0f}",
        f"- not taken up: {_share(counts['not_taken_up'] / lat)} of latent needs",
        f"- served: {_share(counts['served'] / lat)} of latent needs (coverage_latent)",
        f"- abandoned: {_share(counts['abandoned'] / lat)} of latent needs",
        f"- still pending at the end: {_share(counts['pending'] / lat)} of latent needs",
    ]


def exercise_2() -> list[str]:
    """Who is served worst in `hard`: each group's gap to the rest."""
    c = _base()
    groups = ("age_75plus", "no_car", "low_digital_skill", "workers", "dependent", "rural")
    gaps = {g: _values(c, "hard", _group(g, "gap_vs_rest")) for g in groups}
    ranked = sorted(groups, key=lambda g: gaps[g].mean())
    return [f"- `{g}`: {_points(gaps[g])}" for g in ranked]


def exercise_3() -> list[str]:
    """Information with saturated counters: `information` − `hard`, paired."""
    c = _base()
    out = []
    for key in ("non_take_up", "coverage_latent", "abandonment"):
        d = _values(c, "information", _metric(key)) - _values(c, "hard", _metric(key))
        out.append(f"- {key}: {_points(d)}")
    for name in ("hard", "information"):
        u = _values(c, name, _metric("capacity_utilisation"))
        out.append(f"- capacity used in `{name}`: {_share(u)}")
    return out


DIGITAL_LEVERS = {
    "sites": "budget.mix.sites",
    "information": "budget.mix.information",
    "mobile": "budget.mix.mobile",
}
"""Where exercise 4 moves rollout money in `digital` (sites 0.59, rollout 0.41)."""
MOVED = (0.1, 0.2)


@cache
def _digital() -> Comparison:
    configs = [_variant("digital", "digital", [])]
    for lever, key in DIGITAL_LEVERS.items():
        for s in MOVED:
            extra = [f"budget.mix.rollout={0.41 - s:.2f}"]
            extra += ([f"{key}={0.59 + s:.2f}"] if lever == "sites" else [f"{key}={s}"])
            configs.append(_variant("digital", f"digital+{lever}{s:.1f}", extra))
    return compare(configs, replicates=REPLICATES, seed=SEED, workers=WORKERS)


def exercise_4() -> list[str]:
    """The cheapest lever that halves the 75+ gap in `digital` (rollout money moved)."""
    c = _digital()
    gap = _group("age_75plus", "gap_vs_rest")
    base = _values(c, "digital", gap)
    out = [f"- `digital` as bundled: gap of residents aged 75+ {_points(base)}"]
    for name in c.order[1:]:
        g = _values(c, name, gap)
        cov = _values(c, name, _metric("coverage_latent")) - _values(
            c, "digital", _metric("coverage_latent"))
        out.append(f"- `{name}`: gap {_points(g)}, change {_points(g - base)}; "
                   f"coverage vs `digital` {_points(cov)}")
    return out


def _no_bus() -> list[str]:
    return ["bus.count=0", "budget.mix.sites=0.64", "budget.mix.bus=0.0"]


@cache
def _bus() -> Comparison:
    where = ['territory.spec="dep:23"']
    return compare(
        [_variant("soft", "soft", where), _variant("soft", "soft-no-bus", where + _no_bus())],
        replicates=REPLICATES, seed=SEED, workers=WORKERS,
    )


def exercise_5() -> list[str]:
    """Which communes of Creuse lose most when the bus stops (its money to the counters)."""
    c = _bus()
    rows = {name: np.array([r.commune_coverage for r in sorted(
        (r for r in c.results if r.scenario == name), key=lambda r: r.replicate)])
        for name in c.order}
    cfg = c.configs[0]
    territory = build_territory(cfg.territory, cfg.travel, SeedTree(SEED))
    names = list(territory.name)
    pop = np.asarray(territory.population)
    d = rows["soft-no-bus"] - rows["soft"]
    mean_d = np.nanmean(d, axis=0)
    ok = np.isfinite(mean_d) & (pop >= 200)
    order = [i for i in np.argsort(mean_d) if ok[i]][:5]
    total = _values(c, "soft-no-bus", _metric("coverage_latent")) - _values(
        c, "soft", _metric("coverage_latent"))
    out = [f"- whole département: coverage {_points(total)}"]
    out += [f"- {names[i]} ({pop[i]:,.0f} inhabitants): {100 * mean_d[i]:+.1f} points"
            for i in order]
    return out


def exercise_6() -> list[str]:
    """Who gains from `soft` over `hard`, and what it costs: paired differences."""
    c = _base()
    out = []
    for key, read in (("coverage_latent", _metric("coverage_latent")),
                      ("coverage of dependent residents", _group("dependent", "coverage_latent")),
                      ("coverage of workers", _group("workers", "coverage_latent")),
                      ("gini", _metric("gini"))):
        d = _values(c, "soft", read) - _values(c, "hard", read)
        out.append(f"- {key}: {_points(d) if key != 'gini' else _share(d)}")
    for name in ("hard", "soft"):
        out.append(f"- cost per served need in `{name}`: "
                   f"{_mean_ci(_values(c, name, _metric('cost_per_served')))[0]:.2f} EUR; "
                   f"budget spent {_share(_values(c, name, _metric('budget_spent_share')))}")
    return out


@cache
def _orchestrator() -> Comparison:
    return compare(
        [_variant("soft", f"soft-q{q}", [f"orchestrator.data_quality={q}"]) for q in
         (0.7, 0.3, 1.0)],
        replicates=REPLICATES, seed=SEED, workers=WORKERS,
    )


def exercise_7() -> list[str]:
    """Does a better-informed orchestrator serve more? `soft` at three data qualities."""
    c = _orchestrator()
    ref = _values(c, "soft-q0.7", _metric("coverage_latent"))
    out = [f"- data quality 0.7 (as bundled): coverage {_share(ref)}"]
    for name in c.order[1:]:
        d = _values(c, name, _metric("coverage_latent")) - ref
        moves = _values(c, name, _metric("modules_moved"))
        out.append(f"- data quality {name.removeprefix('soft-q')}: coverage vs 0.7 "
                   f"{_points(d)}; module moves {moves.mean():.1f}")
    return out


def exercise_8() -> list[str]:
    """Defending a normative scenario: `normative` against `hard` and `soft`, paired."""
    c = _base()
    out = []
    for other in ("hard", "soft"):
        for key, read in (("coverage_latent", _metric("coverage_latent")),
                          ("gap of residents aged 75+", _group("age_75plus", "gap_vs_rest")),
                          ("coverage of residents aged 75+",
                           _group("age_75plus", "coverage_latent")),
                          ("gini", _metric("gini"))):
            d = _values(c, "normative", read) - _values(c, other, read)
            shown = _share(d) if key == "gini" else _points(d)
            out.append(f"- vs `{other}`, {key}: {shown}")
    return out


EXERCISES: dict[int, Callable[[], list[str]]] = {
    i: globals()[f"exercise_{i}"] for i in range(1, 9)
}


def answer(n: int) -> str:
    """The worked answer of exercise ``n`` as docs/exercises.md quotes it."""
    return "\n".join(EXERCISES[n]())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exercise", type=int, choices=sorted(EXERCISES),
                   help="one exercise (default: all)")
    args = p.parse_args(argv)
    for n in [args.exercise] if args.exercise else sorted(EXERCISES):
        print(f"## Exercise {n} ({SETTINGS})\n{answer(n)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
