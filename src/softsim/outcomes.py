"""What a run produced: the summary, the weekly series, per-commune and per-group tables.

:func:`collect` reads a finished :class:`~softsim.model.SoftTerritory` and applies the formulas of
:mod:`softsim.metrics`; it computes, it never writes files (that is :mod:`softsim.store`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
import pandas as pd

from softsim import metric_registry as reg
from softsim import metrics as m
from softsim.config import CLASSES, Config, config_sha256
from softsim.futures import resilience
from softsim.groups import GROUPS, group_masks
from softsim.population import Residents
from softsim.providers import SiteArrays
from softsim.territory import Territory

__all__ = ["Outcomes", "collect", "GROUPS", "SUMMARY_METRICS", "COUNT_KEYS"]

COUNT_KEYS = ("latent", "expressed", "not_taken_up", "served", "abandoned", "pending")
SUMMARY_METRICS = tuple(reg.contract_keys())
"""The metric keys every summary.json has (more may follow them)."""


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


@nb.njit(cache=True, nogil=True)
def _counts_in(sel, latent, not_taken_up, served, abandoned, served_in_person):
    """Residents and integer counts of the selected residents, in one pass."""
    out = np.zeros(6, np.int64)
    for i in range(len(sel)):
        if sel[i]:
            out[0] += 1
            out[1] += latent[i]
            out[2] += not_taken_up[i]
            out[3] += served[i]
            out[4] += abandoned[i]
            out[5] += served_in_person[i]
    return out


def _group_row(res: Residents, sel: np.ndarray, fulfil_all: np.ndarray, totals) -> dict:
    # integer counts in one pass; the rest's are the totals less the group's (exact)
    n_sel, latent, ntu, served, abandoned, in_person = (
        int(v) for v in _counts_in(sel, res.latent, res.not_taken_up, res.served,
                                   res.abandoned, res.served_in_person)
    )
    cov = m.ratio(served, latent)
    cov_rest = m.ratio(totals["served"] - served, totals["latent"] - latent)
    has = sel & (res.latent > 0)
    return {
        "residents": n_sel,
        "latent": latent,
        "served": served,
        "coverage_latent": cov,
        "coverage_expressed": m.ratio(served, latent - ntu),
        "non_take_up": m.ratio(ntu, latent),
        "abandonment": m.ratio(abandoned, latent - ntu),
        "mean_travel_min": m.ratio(res.travel_min_sum[sel].sum(), in_person),
        "mean_fulfilment": float(fulfil_all[has].mean()) if has.any() else float("nan"),
        "gap_vs_rest": cov - cov_rest if n_sel < res.n else float("nan"),
    }


def standing_sites(model) -> SiteArrays:
    """The providers that make up the offer at the end of the run, for access metrics.

    The last week's providers less the transient ones: bus stops (a stop is there one half-day
    every few weeks) and modules closed in transit.
    """
    standing = [p for p in model.now.providers if p.kind != "bus" and p.capacity > 0]
    return SiteArrays.of(standing, len(model.types))


def _nearest_site_minutes(model, sa: SiteArrays, k: int) -> np.ndarray:
    """Per resident: minutes from home (own mode) to the nearest site offering type ``k``.

    Sites count only within their ``reach`` (associations help their neighbours only).
    """
    travel, res = model.travel, model.residents
    sites = sa.type_sites[sa.type_ptr[k] : sa.type_ptr[k + 1]]
    if len(sites) == 0:
        return np.full(res.n, np.inf)
    reach = sa.reach[sites][None, :]
    to_car = travel.columns("car", sa.commune[sites])
    to_nocar = travel.columns("nocar", sa.commune[sites])
    car = np.where(to_car <= reach, to_car, np.inf).min(axis=1)
    nocar = np.where(to_nocar <= reach, to_nocar, np.inf).min(axis=1)
    return np.where(res.car, car[res.home], nocar[res.home])


def reception_max_min(model) -> float:
    """Car minutes from the farthest inhabited commune to its nearest fixed or delegated site.

    The standard "no commune more than 30 minutes from a reception point" reads this value;
    NaN when the run has no fixed or delegated site.
    """
    points = [s.commune for s in model.sites] + [int(c) for c in model.delegated]
    if not points:
        return float("nan")
    nearest = model.travel.columns("car", np.unique(points)).min(axis=1)
    inhabited = np.bincount(model.residents.home, minlength=len(nearest)) > 0
    return float(nearest[inhabited].max())


def _inequality(f: np.ndarray, home: np.ndarray, age: np.ndarray) -> dict[str, float]:
    """The indices of :data:`~softsim.metric_registry.INEQUALITY_KEYS` of fulfilment ``f``."""
    if len(f) == 0:
        return dict.fromkeys(reg.INEQUALITY_KEYS, float("nan"))
    theil_c = m.theil_decomposition(f, home)
    return {
        "gini": m.gini(f),
        "theil": theil_c[0],
        "theil_between_communes": theil_c[1],
        "theil_between_share_communes": m.ratio(theil_c[1], theil_c[0]),
        "theil_between_age_bands": m.theil_decomposition(f, age)[1],
        "atkinson_0_5": m.atkinson(f, 0.5),
        "atkinson_1": m.atkinson(f, 1.0),
        "atkinson_2": m.atkinson(f, 2.0),
        "palma": m.palma(f),
        "p90_p10": m.p90_p10(f),
    }


def collect(model) -> Outcomes:
    """Compute the outcomes of a model, after any number of weeks (none included).

    Before the first week every count is 0, rates and indices are undefined (None in the
    summary, NaN in the tables), and access metrics describe the opening offer.
    """
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
    access = {}
    for k, name in enumerate(cfg.service_names):
        nearest = _nearest_site_minutes(model, sa, k)
        access[name] = {f"{x}min": m.share_within(nearest, float(x)) for x in (20, 30)}
    totals = reg.RunTotals(
        counts=counts,
        series=series,
        inequality=_inequality(f, res.home[has], res.age[has]),
        access=access,
        travel_hist=model.travel_hist,
        budget_capped=model.budget.capped,
        reception_max_min=reception_max_min(model),
    )
    metrics = {
        x.key: _count(x.compute(totals)) if x.unit == "count" else x.compute(totals)
        for x in reg.METRICS
        if x.compute is not None
    }

    masks = group_masks(res, t)
    group_rows = {g: _group_row(res, masks[g], fulfil_all, counts) for g in GROUPS}
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
    in_person_c = per_commune(res.served_in_person)
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
                in_person_c,
                out=np.full(n_c, np.nan),
                where=in_person_c > 0,
            ),
            "sites": np.bincount(sa.commune[sa.commune < n_c], minlength=n_c).astype(np.int64),
            "mobile_bases": np.bincount(
                np.array([int(a.base.coordinate) for a in model.mobile_agents], np.int64),
                minlength=n_c,
            ),
            "car_min_to_nearest_site": model.travel.columns("car", sa.commune).min(axis=1)
            if len(sa.commune)
            else np.full(n_c, np.inf),
            "e2sfca": m.e2sfca(
                residents_c,
                np.arange(len(sa.commune)),
                sa.capacity,
                model.travel.columns("car", sa.commune),
            ),
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
    if model.editor.edits:  # what each edit did and what had to give for it
        summary["edits"] = model.editor.report()
    if cfg.objectives:  # absent without objectives: summaries of other runs are unchanged
        from softsim.objectives import evaluate

        summary["objectives"] = evaluate(cfg.objectives, summary)
    return Outcomes(summary, ts, communes, groups_df, f, cfg, t)


def _count(v: float) -> int:
    return int(round(v))


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
