#!/usr/bin/env python
"""Every mechanism audited: its paired effect on its own target, at equal spending.

For each mechanism of ``soft``, two arms run with common random numbers (the same replicate
seeds, so the same territory, residents and need draws): ``soft`` as bundled, and ``soft``
without the mechanism, its money given back to the channel mix (a channel's share goes to the
fixed sites; the co-production postures go back to *faire*). The difference *with − without*
of the mechanism's own target is reported with its 95 % t confidence interval over the
replicates, next to the spending of both arms and diagnostics that show where an effect went.

    .venv/bin/python experiments/ablation.py                       # default settings
    .venv/bin/python experiments/ablation.py --replicates 10 --years 6 --scale 1
    .venv/bin/python experiments/ablation.py --only tad,bus --replicates 4   # a subset, printed

It writes ``docs/ablation.md`` up to the line ``<!-- findings -->``; what follows that line
(the reading of the tables) is kept as it is.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from softsim.config import load_config
from softsim.experiment import run_replicates

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "ablation.md"
MARKER = "<!-- findings -->"


@dataclass(frozen=True)
class Mechanism:
    """One mechanism: how to remove it at equal money, and its own target."""

    key: str
    label: str
    overrides: tuple[str, ...]
    sections: tuple[tuple[str, tuple[tuple[str, object], ...]], ...]
    target: str
    """``group:<name>`` (that group's coverage of latent needs) or a metric key."""
    better: str
    """``higher`` or ``lower``: which sign of *with − without* means the mechanism helps."""
    limit: bool = False
    """A scenario's known limit rather than a lever: expected to harm its target (the verdict
    reads "limit shows" when it does)."""
    enable: tuple[str, ...] = ()
    """For a lever off in bundled ``soft``: the overrides that turn it on (the *with* arm is
    then ``soft`` plus these, the *without* arm ``soft`` plus ``overrides``, often none)."""


def _to_sites(share: str, value: float, sites: float = 0.50) -> tuple[str, ...]:
    return (f"budget.mix.{share}=0", f"budget.mix.sites={sites + value}")


_RECEPTION = (
    "sites.town_services.types=['admin', 'digital_help', 'social', 'employment', 'health', "
    "'childhood']",
    "reception.first_level=['town_services']",
    "reception.second_level=['social_offices', 'employment_agencies', 'health_insurance']",
    "reception.types=['social', 'employment', 'health', 'childhood']",
)
"""Soft's town services as a first-level reception for the other counters' types."""


MECHANISMS = (
    Mechanism("mobile", "mobile agents (home visits)", _to_sites("mobile", 0.11), (),
              "group:dependent", "higher"),
    Mechanism("bus", "itinerant bus", _to_sites("bus", 0.14), (), "group:rural", "higher"),
    Mechanism("tad", "on-demand transport", _to_sites("tad", 0.03), (), "group:no_car",
              "higher"),
    Mechanism("carpool", "car-pooling (association lifts)",
              ("associations.carpool_lifts_per_volunteer=0",), (), "group:no_car", "higher"),
    Mechanism("mediation", "digital mediation", (),
              (("digital", (("mediation_type", None),)),), "group:low_digital_skill", "higher"),
    Mechanism("information", "information spending", _to_sites("information", 0.01), (),
              "non_take_up", "lower"),
    Mechanism("orchestrator", "orchestrator (steered vs static modules)",
              ("orchestrator.enabled=false",), (), "abandonment", "lower"),
    Mechanism("data", "orchestrator's data (quality 0.7 + feedback vs none)",
              ("orchestrator.data_quality=0", "orchestrator.citizen_feedback=0"), (),
              "abandonment", "lower"),
    Mechanism("associations", "associations (co-production, calls for projects)",
              ("associations.enabled=false", "budget.faire=0.96", "budget.faire_avec=0",
               "budget.inciter=0"), (), "group:rural", "higher"),
    Mechanism("reception", "reception levels (town services as first level, 70 % resolved)",
              (), (), "group:rural", "higher", enable=_RECEPTION),
    Mechanism("site_quality", "limit: site quality by local dynamism (first-level sites, sd 0.3)",
              _RECEPTION, (), "theil_between_share_communes", "lower", limit=True,
              enable=(*_RECEPTION, "site_quality.groups=['town_services']",
                      "site_quality.dynamism_sd=0.3")),
    Mechanism("back_office", "pooled back office (every fixed site)", (), (),
              "cost_per_served", "lower", enable=(
                  "back_office.pooled=['social_offices', 'employment_agencies', "
                  "'health_insurance', 'town_services']",)),
    Mechanism("accessibility", "priority by accessibility (weight 2 beyond 45 min)", (), (),
              "group:rural", "higher", enable=("priorities.accessibility=1",)),
    Mechanism("info_ramp", "limit: information ramp-up over 8 years", (), (), "non_take_up",
              "lower", limit=True,
              enable=("information.years_to_full_effect=8",)),
    Mechanism("co2_cap", "CO2 cap on module moves and bus tours (50 kg a week)", (), (),
              "co2_tonnes", "lower", enable=("orchestrator.co2_cap_kg_per_week=50",)),
    Mechanism("durability", "limit: associations depend on co-funding (budget -3 %/year)",
              ("futures.budget_trend_per_year=-0.03",), (), "volunteer_hours", "higher",
              limit=True, enable=("futures.budget_trend_per_year=-0.03",
                      "associations.cofunding_dependence=1.0")),
    Mechanism("transfer_kits", "transfer kits (half of the inciter money)", (), (),
              "group:rural", "higher", enable=("associations.transfer_kit_share=0.5",)),
    Mechanism("missions", "tailored engagement (mission volunteers, half offer missions)", (),
              (), "volunteer_hours", "higher",
              enable=("associations.mission_share=0.2", "associations.mission_offer_share=0.5")),
    Mechanism("exclusion", "limit: digital exclusion beyond age (disability, precarity)", (),
              (), "group:disability", "higher", limit=True,
              enable=("digital.disability_success_factor=0.5",
                      "digital.precarity_success_factor=0.5",
                      "digital.disability_in_person_share=0.3",
                      "digital.precarity_in_person_share=0.3")),
)

DIAGNOSTICS = ("coverage_latent", "abandonment", "group:workers", "capacity_offered",
               "capacity_utilisation", "mean_travel_min", "mean_wait_weeks",
               "served_home_visit", "served_mediated", "tad_trips", "carpool_lifts",
               "modules_moved", "reconfiguration_cost", "site_factor")


def _value(summary: dict, key: str) -> float:
    if key.startswith("group:"):
        v = summary["groups"][key[6:]]["coverage_latent"]
    else:
        v = summary["metrics"][key]
    return float("nan") if v is None else float(v)


def _spent(summary: dict, laisser_faire: float) -> float:
    v = summary["metrics"]["budget_spent_share"]
    return float("nan") if v is None else v / (1 - laisser_faire)


def _ci(d: np.ndarray) -> tuple[float, float]:
    d = d[np.isfinite(d)]
    if len(d) < 2:
        return float(np.mean(d)) if len(d) else float("nan"), float("nan")
    return float(d.mean()), float(stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)))


def audit(territory: list[str], replicates: int, seed: int, workers: int,
          mechanisms: tuple[Mechanism, ...] = MECHANISMS) -> list[dict]:
    """Paired differences (with − without) for each of ``mechanisms`` on one territory."""
    base = load_config("soft", territory)
    configs = [base]
    arms = []
    for m in mechanisms:
        without_cfg = load_config("soft", [*territory, *m.overrides],
                                  **{k: dict(v) for k, v in m.sections}).model_copy(
            update={"name": f"without-{m.key}"})
        with_cfg = base
        if m.enable:
            with_cfg = load_config("soft", [*territory, *m.enable]).model_copy(
                update={"name": f"with-{m.key}"})
            configs.append(with_cfg)
        configs.append(without_cfg)
        arms.append((m, with_cfg, without_cfg))
    results = run_replicates(configs, seed=seed, replicates=replicates, workers=workers)
    by = {}
    for r in results:
        by.setdefault(r.scenario, {})[r.replicate] = r.summary
    rows = []
    for m, with_cfg, cfg in arms:
        with_, without = by[with_cfg.name], by[cfg.name]
        reps = sorted(set(with_) & set(without))

        def diff(key, with_=with_, without=without, reps=reps):
            return np.array([_value(with_[r], key) - _value(without[r], key) for r in reps])

        row = {
            "mechanism": m,
            "effect": _ci(diff(m.target)),
            "with": float(np.mean([_value(with_[r], m.target) for r in reps])),
            "spent_with": float(np.mean([_spent(with_[r], with_cfg.budget.laisser_faire)
                                         for r in reps])),
            "spent_without": float(np.mean([_spent(without[r], cfg.budget.laisser_faire)
                                            for r in reps])),
            "diagnostics": {k: _ci(diff(k)) for k in DIAGNOSTICS},
        }
        rows.append(row)
    return rows


SPLIT = {
    "static modules": ("orchestrator.enabled=false",),
    "orchestrator, re-timing off": ("orchestrator.retime=false",),
    "orchestrator, no move nor re-timing": ("orchestrator.retime=false",
                                            "modules.move_cost=1000000"),
}
"""Arms that split the orchestrator's effect: steering against each (re-typing stays allowed)."""
SPLIT_KEYS = ("abandonment", "group:workers", "coverage_latent", "mean_travel_min",
              "modules_moved")


def orchestrator_split(territory: list[str], replicates: int, seed: int,
                       workers: int) -> dict[str, dict[str, tuple[float, float]]]:
    """Paired differences steered − arm for the arms of :data:`SPLIT`."""
    configs = [load_config("soft", territory)]
    configs += [load_config("soft", [*territory, *o]).model_copy(update={"name": name})
                for name, o in SPLIT.items()]
    by: dict[str, dict[int, dict]] = {}
    for r in run_replicates(configs, seed=seed, replicates=replicates, workers=workers):
        by.setdefault(r.scenario, {})[r.replicate] = r.summary
    out = {}
    for name in SPLIT:
        reps = sorted(set(by["soft"]) & set(by[name]))
        out[name] = {k: _ci(np.array([_value(by["soft"][r], k) - _value(by[name][r], k)
                                      for r in reps])) for k in SPLIT_KEYS}
    return out


def _verdict(row: dict) -> str:
    mean, half = row["effect"]
    sign = 1 if row["mechanism"].better == "higher" else -1
    if not np.isfinite(half):
        return "?"
    limit = row["mechanism"].limit
    if sign * mean - half > 0:
        return "**opposite of the limit**" if limit else "helps"
    if sign * mean + half < 0:
        return "limit shows" if limit else "**wrong sign**"
    return "**null**"


def _fmt(key: str, v: tuple[float, float]) -> str:
    mean, half = v
    if key.startswith("group:") or key in ("coverage_latent", "non_take_up", "abandonment",
                                           "capacity_utilisation"):
        return f"{100 * mean:+.2f} ± {100 * half:.2f} pts"
    if key in ("capacity_offered", "served_home_visit", "served_mediated", "tad_trips",
               "carpool_lifts", "modules_moved", "reconfiguration_cost"):
        return f"{mean:+,.0f} ± {half:,.0f}"
    return f"{mean:+.3f} ± {half:.3f}"


def markdown(sections: list[tuple[str, list[dict]]], settings: dict,
             split: dict[str, dict[str, tuple[float, float]]] | None = None) -> str:
    """The generated part of docs/ablation.md."""
    lines = [
        "# Ablation: each mechanism's effect on its own target, at equal spending",
        "",
        "Generated by `experiments/ablation.py` (do not edit above the findings marker).",
        "",
        "**Settings.** " + "; ".join(f"{k} = {v}" for k, v in settings.items()) + ".",
        "",
        "Each row compares `soft` as bundled (*with*) to `soft` without one mechanism, its "
        "money given back to the channel mix (*without*), paired by replicate (common random "
        "numbers). *Effect* is the mean paired difference *with − without* of the mechanism's "
        "own target and its 95 % t confidence interval; coverages in points (×100). "
        "*Spent* is `budget_spent_share / (1 − laisser_faire)` of each arm. Rows marked "
        "*limit* are a scenario's known limit, not a lever: expected to harm their target, "
        "their verdict reads *limit shows* when they do. Levers off in bundled `soft` are "
        "compared turned on (*with*) against `soft` (*without*).",
        "",
    ]
    for title, rows in sections:
        lines += [f"## {title}", "",
                  "| mechanism | target | with (mean) | effect (with − without) | verdict | "
                  "spent with / without |",
                  "|---|---|---:|---:|---|---:|"]
        for row in rows:
            m = row["mechanism"]
            target = m.target.replace("group:", "coverage of ")
            lines.append(
                f"| {m.label} | {target} ({m.better} is better) | {row['with']:.4f} | "
                f"{_fmt(m.target, row['effect'])} | {_verdict(row)} | "
                f"{row['spent_with']:.3f} / {row['spent_without']:.3f} |")
        lines += ["", "Where the effect goes (with − without, 95 % CI):", "",
                  "| mechanism | " + " | ".join(k.replace("group:", "coverage ")
                                             for k in DIAGNOSTICS) + " |",
                  "|---|" + "---:|" * len(DIAGNOSTICS)]
        for row in rows:
            lines.append(f"| {row['mechanism'].key} | " + " | ".join(
                _fmt(k, row["diagnostics"][k]) for k in DIAGNOSTICS) + " |")
        lines.append("")
    if split:
        lines += ["## Orchestrator, split (default territory)", "",
                  "Steered modules (`soft`) minus each arm, paired, 95 % CI:", "",
                  "| steered − | " + " | ".join(k.replace("group:", "coverage ")
                                                for k in SPLIT_KEYS) + " |",
                  "|---|" + "---:|" * len(SPLIT_KEYS)]
        for name, row in split.items():
            lines.append(f"| {name} | " + " | ".join(_fmt(k, row[k]) for k in SPLIT_KEYS)
                         + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--replicates", type=int, default=6)
    p.add_argument("--years", type=int, default=2)
    p.add_argument("--scale", type=float, default=0.5)
    p.add_argument("--departement", default="23")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--only", default="",
                   help="comma-separated mechanism keys: audit only these, on the default "
                        "territory, and print the table without writing docs/ablation.md")
    a = p.parse_args()
    common = [f"simulation.years={a.years}", f"population.scale={a.scale}"]
    settings = {"scenario": "soft", "replicates": a.replicates, "years": a.years,
                "population.scale": a.scale, "seed": a.seed,
                "territories": f"default synthetic, dep:{a.departement}"}
    if a.only:
        keys = a.only.split(",")
        unknown = sorted(set(keys) - {m.key for m in MECHANISMS})
        if unknown:
            p.error(f"--only: unknown mechanism {', '.join(unknown)}")
        chosen = tuple(m for m in MECHANISMS if m.key in keys)
        print(markdown([("Default territory", audit(common, a.replicates, a.seed, a.workers,
                                                     chosen))], settings))
        return
    sections = [
        ("Default territory", audit(common, a.replicates, a.seed, a.workers)),
        (f"Département {a.departement}",
         audit([*common, f'territory.spec="dep:{a.departement}"'], a.replicates, a.seed,
               a.workers)),
    ]
    split = orchestrator_split(common, a.replicates, a.seed, a.workers)
    text = markdown(sections, settings, split)
    kept = DOC.read_text().split(MARKER, 1)[1] if DOC.exists() and MARKER in DOC.read_text() \
        else "\n"
    DOC.write_text(text + MARKER + kept)
    print(text)


if __name__ == "__main__":
    main()
