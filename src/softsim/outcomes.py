"""What a run produced: the summary, the weekly series, per-commune and per-group tables.

:func:`collect` reads a finished :class:`~softsim.model.SoftTerritory` and applies the formulas of
:mod:`softsim.metrics`; it computes, it never writes files (that is :mod:`softsim.store`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from softsim import metrics as m
from softsim.config import CLASSES, Config, config_sha256
from softsim.futures import resilience
from softsim.population import AGE_75PLUS, Residents
from softsim.services import SiteArrays
from softsim.territory import Territory
from softsim.territory.core import POLE, VILLAGE

__all__ = ["Outcomes", "collect", "GROUPS", "SUMMARY_METRICS", "COUNT_KEYS"]

CO2_KG_PER_KM = 0.2
"""kg CO2e per vehicle-km: order of magnitude of an average car in France (ADEME Base Carbone
gives about 0.2 kg/km for a petrol car, all emissions included); a documented assumption."""

COUNT_KEYS = ("latent", "expressed", "not_taken_up", "served", "abandoned", "pending")
SUMMARY_METRICS = (
    "coverage_expressed",
    "coverage_latent",
    "non_take_up",
    "abandonment",
    "gini",
    "theil",
    "theil_between_communes",
    "atkinson_1",
    "palma",
    "p90_p10",
    "mean_travel_min",
    "p95_travel_min",
    "access_30min",
    "cost_total",
    "cost_per_served",
    "vehicle_km",
)
"""The metric keys every summary.json has (more may follow them)."""


def _groups(res: Residents, t: Territory) -> dict[str, np.ndarray]:
    home_cls = t.cls[res.home]
    return {
        "all": np.ones(res.n, bool),
        "age_75plus": res.age == AGE_75PLUS,
        "no_car": ~res.car,
        "low_digital_skill": res.low_skill,
        "workers": res.employed,
        "dependent": res.dependent,
        "rural": home_cls == VILLAGE,
        "urban": home_cls == POLE,
    }


GROUPS = (
    "all",
    "age_75plus",
    "no_car",
    "low_digital_skill",
    "workers",
    "dependent",
    "rural",
    "urban",
)
"""Groups of residents whose outcomes are reported side by side."""


@dataclass(eq=False)
class Outcomes:
    """Everything one run produced (in memory; :mod:`softsim.store` writes it).

    Attributes:
        summary: The summary.json content (scenario, seed, counts, metrics, groups, …).
        timeseries: One row per week.
        communes: One row per commune.
        groups: One row per group of residents.
        fulfilment: Per-resident fulfilment (for Lorenz curves).
        config: The resolved config.
        territory: The territory the run took place on.
    """

    summary: dict
    timeseries: pd.DataFrame
    communes: pd.DataFrame
    groups: pd.DataFrame
    fulfilment: np.ndarray
    config: Config
    territory: Territory


def _group_row(res: Residents, sel: np.ndarray, fulfil_all: np.ndarray) -> dict:
    latent = int(res.latent[sel].sum())
    ntu = int(res.not_taken_up[sel].sum())
    served = int(res.served[sel].sum())
    abandoned = int(res.abandoned[sel].sum())
    rest = ~sel
    cov = m.ratio(served, latent)
    cov_rest = m.ratio(res.served[rest].sum(), res.latent[rest].sum())
    has = sel & (res.latent > 0)
    return {
        "residents": int(sel.sum()),
        "latent": latent,
        "served": served,
        "coverage_latent": cov,
        "coverage_expressed": m.ratio(served, latent - ntu),
        "non_take_up": m.ratio(ntu, latent),
        "abandonment": m.ratio(abandoned, latent - ntu),
        "mean_travel_min": m.ratio(res.travel_min_sum[sel].sum(), res.served_in_person[sel].sum()),
        "mean_fulfilment": float(fulfil_all[has].mean()) if has.any() else float("nan"),
        "gap_vs_rest": cov - cov_rest if rest.any() else float("nan"),
    }


def standing_sites(model) -> SiteArrays:
    """The providers that make up the offer at the end of the run, for access metrics.

    The last week's providers less the transient ones: bus stops (a stop is there one half-day
    every few weeks) and modules closed in transit.
    """
    standing = [p for p in model.providers if p.kind != "bus" and p.capacity > 0]
    return SiteArrays.of(standing, len(model.type_id))


def _nearest_site_minutes(model, sa: SiteArrays, k: int) -> np.ndarray:
    """Per resident: minutes from home (own mode) to the nearest site offering type ``k``.

    Sites count only within their ``reach`` (associations help their neighbours only).
    """
    t, res = model.territory, model.residents
    sites = sa.type_sites[sa.type_ptr[k] : sa.type_ptr[k + 1]]
    if len(sites) == 0:
        return np.full(res.n, np.inf)
    reach = sa.reach[sites][None, :]
    car = np.where(
        t.car_min[:, sa.commune[sites]] <= reach, t.car_min[:, sa.commune[sites]], np.inf
    ).min(axis=1)
    nocar = np.where(
        t.nocar_min[:, sa.commune[sites]] <= reach, t.nocar_min[:, sa.commune[sites]], np.inf
    ).min(axis=1)
    return np.where(res.car, car[res.home], nocar[res.home])


def _percentile_from_hist(hist: np.ndarray, q: float) -> float:
    total = hist.sum()
    if total == 0:
        return float("nan")
    return float(np.searchsorted(np.cumsum(hist), q * total))


def collect(model) -> Outcomes:
    """Compute the outcomes of a finished (or partly run) model."""
    cfg, res, t = model.config, model.residents, model.territory
    sa = standing_sites(model)
    weeks = model.week
    series = {k: v[:weeks] for k, v in model.series.items()}
    counts = {
        "latent": int(res.latent.sum()),
        "not_taken_up": int(res.not_taken_up.sum()),
        "served": int(res.served.sum()),
        "abandoned": int(res.abandoned.sum()),
        "pending": len(model.pool),
    }
    counts["expressed"] = counts["latent"] - counts["not_taken_up"]
    counts = {k: counts[k] for k in COUNT_KEYS}

    has = res.latent > 0
    fulfil_all = np.zeros(res.n)
    fulfil_all[has] = m.fulfilment(res.served, res.latent)
    f = fulfil_all[has]
    if len(f):
        theil_c = m.theil_decomposition(f, res.home[has])
        theil_age = m.theil_decomposition(f, res.age[has])
        ineq = {
            "gini": m.gini(f),
            "theil": theil_c[0],
            "theil_between_communes": theil_c[1],
            "theil_between_share_communes": m.ratio(theil_c[1], theil_c[0]),
            "theil_between_age_bands": theil_age[1],
            "atkinson_0_5": m.atkinson(f, 0.5),
            "atkinson_1": m.atkinson(f, 1.0),
            "atkinson_2": m.atkinson(f, 2.0),
            "palma": m.palma(f),
            "p90_p10": m.p90_p10(f),
        }
    else:
        ineq = dict.fromkeys(
            [
                "gini",
                "theil",
                "theil_between_communes",
                "theil_between_share_communes",
                "theil_between_age_bands",
                "atkinson_0_5",
                "atkinson_1",
                "atkinson_2",
                "palma",
                "p90_p10",
            ],
            float("nan"),
        )

    access = {}
    for k, name in enumerate(cfg.service_names):
        nearest = _nearest_site_minutes(model, sa, k)
        access[name] = {f"{x}min": m.share_within(nearest, float(x)) for x in (20, 30)}
    served_site = series["served_site"].sum()
    cost_total = float(series["cost"].sum())
    metrics = {
        "coverage_expressed": m.ratio(counts["served"], counts["expressed"]),
        "coverage_latent": m.ratio(counts["served"], counts["latent"]),
        "non_take_up": m.ratio(counts["not_taken_up"], counts["latent"]),
        "abandonment": m.ratio(counts["abandoned"], counts["expressed"]),
        "gini": ineq["gini"],
        "theil": ineq["theil"],
        "theil_between_communes": ineq["theil_between_communes"],
        "atkinson_1": ineq["atkinson_1"],
        "palma": ineq["palma"],
        "p90_p10": ineq["p90_p10"],
        "mean_travel_min": m.ratio(series["travel_min_sum"].sum(), served_site),
        "p95_travel_min": _percentile_from_hist(model.travel_hist, 0.95),
        "access_30min": float(np.mean([a["30min"] for a in access.values()])),
        "cost_total": cost_total,
        "cost_per_served": m.ratio(cost_total, counts["served"]),
        "vehicle_km": float(series["vehicle_km"].sum()),
        # further metrics, beyond the fixed contract
        "access_20min": float(np.mean([a["20min"] for a in access.values()])),
        "mean_wait_weeks": m.ratio(series["wait_weeks_sum"].sum(), counts["served"]),
        "digital_share": m.ratio(series["served_digital"].sum(), counts["served"]),
        "digital_failures": int(series["digital_failures"].sum()),
        "capacity_utilisation": m.ratio(series["capacity_used"].sum(), series["capacity"].sum()),
        "served_home_visit": int(series["served_home_visit"].sum()),
        "served_mediated": int(series["served_mediated"].sum()),
        "volunteer_hours": float(series["volunteer_hours"].sum()),
        "modules_moved": int(series["modules_moved"].sum()),
        "reconfiguration_cost": float(series["reconfiguration_cost"].sum()),
        "mobile_km": float(series["mobile_km"].sum()),
        "service_km": float(series["service_km"].sum()),
        "co2_tonnes": float(series["vehicle_km"].sum()) * CO2_KG_PER_KM / 1000.0,
        "budget_total": float(np.nansum(series["budget"])) if model.budget.capped else None,
        "budget_spent_share": (
            m.ratio(series["cost_budgeted"].sum(), np.nansum(series["budget"]))
            if model.budget.capped
            else None
        ),
        "tad_trips": int(series["tad_trips"].sum()),
        "carpool_lifts": int(series["carpool_lifts"].sum()),
        **{
            k: v
            for k, v in ineq.items()
            if k
            not in ("gini", "theil", "theil_between_communes", "atkinson_1", "palma", "p90_p10")
        },
    }

    group_masks = _groups(res, t)
    group_rows = {g: _group_row(res, group_masks[g], fulfil_all) for g in GROUPS}
    groups_df = pd.DataFrame([{"group": g, **row} for g, row in group_rows.items()])

    ts = pd.DataFrame({"week": np.arange(weeks, dtype=np.int32), **series})
    ts["coverage_expressed_week"] = ts["served"] / (ts["served"] + ts["abandoned"]).where(
        lambda s: s > 0
    )

    n_c = t.n

    def per_commune(values):
        return np.bincount(res.home, weights=values, minlength=n_c)

    latent_c = per_commune(res.latent)
    served_c = per_commune(res.served)
    ntu_c = per_commune(res.not_taken_up)
    residents_c = np.bincount(res.home, minlength=n_c)
    communes = pd.DataFrame(
        {
            "code": t.code.astype(str),
            "name": t.name.astype(str),
            "class": np.array(CLASSES)[t.cls],
            "population": t.population,
            "x_km": t.x_km,
            "y_km": t.y_km,
            "residents": residents_c,
            "latent": latent_c.astype(np.int64),
            "served": served_c.astype(np.int64),
            "abandoned": per_commune(res.abandoned).astype(np.int64),
            "coverage_latent": np.divide(
                served_c, latent_c, out=np.full(n_c, np.nan), where=latent_c > 0
            ),
            "non_take_up": np.divide(ntu_c, latent_c, out=np.full(n_c, np.nan), where=latent_c > 0),
            "mean_travel_min": np.divide(
                per_commune(res.travel_min_sum),
                per_commune(res.served_in_person),
                out=np.full(n_c, np.nan),
                where=per_commune(res.served_in_person) > 0,
            ),
            "car_min_to_nearest_site": t.car_min[:, sa.commune].min(axis=1)
            if len(sa.commune)
            else np.full(n_c, np.inf),
            "e2sfca": m.e2sfca(residents_c, sa.commune, sa.capacity, t.car_min),
        }
    )

    starts = sorted({s.week for s in cfg.futures.shocks})
    shocks = [
        {
            "kind": s.kind,
            "week": s.week,
            **resilience(
                ts["coverage_expressed_week"].to_numpy(),
                s.week,
                until=next((w for w in starts if w > s.week), None),
            ),
        }
        for s in cfg.futures.shocks
    ]
    summary = {
        "scenario": cfg.name,
        "future": cfg.futures.name,
        "seed": model.seed_root,
        "softsim_version": _version(),
        "config_sha256": config_sha256(cfg),
        "territory": t.label,
        "weeks": weeks,
        "residents": int(res.n),
        "counts": counts,
        "metrics": {k: _clean(v) for k, v in metrics.items()},
        "groups": {g: {k: _clean(v) for k, v in row.items()} for g, row in group_rows.items()},
        "access": {k: {kk: _clean(vv) for kk, vv in v.items()} for k, v in access.items()},
        "resilience": [
            {k: _clean(v) if isinstance(v, float) else v for k, v in s.items()} for s in shocks
        ],
    }
    return Outcomes(summary, ts, communes, groups_df, f, cfg, t)


def _clean(v):
    """JSON-safe scalar: floats rounded to 10 significant digits, NaN as None."""
    if v is None:
        return None
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if not np.isfinite(v):
        return None
    return float(f"{v:.10g}")


def _version() -> str:
    from softsim import __version__

    return __version__
