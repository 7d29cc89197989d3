"""Every reported metric, declared once: its key, how it is computed, label, unit and direction.

``summary.json``, ``runs.csv``, the comparison tables, the report's words and the CLI's tables
all read :data:`METRICS`. Adding a metric is one line here. Directions follow EMA Workbench's
outcome kinds: ``higher`` (maximise), ``lower`` (minimise) or ``neither`` (information only).
The formulas themselves are in :mod:`softsim.metrics` and ``docs/metrics.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from softsim import metrics as m
from softsim.groups import GROUP_LABELS

__all__ = [
    "GROUP_FIELDS",
    "HEADLINE",
    "INEQUALITY_KEYS",
    "METRICS",
    "Metric",
    "RunTotals",
    "compared",
    "contract_keys",
    "format_value",
    "get",
    "objective_metric",
]

INEQUALITY_KEYS = (
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
)
"""Inequality indices of fulfilment (computed together, NaN when no resident had a need)."""


@dataclass(frozen=True)
class RunTotals:
    """What a run's summary metrics are computed from.

    Attributes:
        counts: Needs latent, expressed, not taken up, served, abandoned, pending.
        series: The weekly series (see :data:`softsim.week.SERIES`), over the weeks run.
        inequality: The indices of :data:`INEQUALITY_KEYS`.
        access: Per service type, the share of residents within 20 and 30 minutes.
        travel_hist: Needs served in person by whole minute of travel (0-300).
        budget_capped: Whether the run had a budget.
        reception_max_min: Car minutes from the farthest inhabited commune to its nearest
            fixed or delegated site (NaN when there is none).
    """

    counts: dict[str, int]
    series: dict[str, np.ndarray]
    inequality: dict[str, float]
    access: dict[str, dict[str, float]]
    travel_hist: np.ndarray
    budget_capped: bool
    reception_max_min: float = float("nan")

    def total(self, name: str) -> float:
        """Sum of a weekly series over the run."""
        return float(self.series[name].sum())

    def mean_access(self, within: str) -> float:
        """Share of residents within ``within`` ("20min", "30min"), averaged over types."""
        return float(np.mean([a[within] for a in self.access.values()]))

    def travel_percentile(self, q: float) -> float:
        """Travel minutes below which a share ``q`` of in-person services fall."""
        total = self.travel_hist.sum()
        if total == 0:
            return float("nan")
        return float(np.searchsorted(np.cumsum(self.travel_hist), q * total))


CO2_KG_PER_KM = 0.2
"""kg CO2e per vehicle-km: order of magnitude of an average car in France (ADEME Base Carbone
gives about 0.2 kg/km for a petrol car, all emissions included); a documented assumption."""

Direction = Literal["higher", "lower", "neither"]
Unit = Literal["share", "EUR", "min", "weeks", "km", "t", "h", "count", "index"]


@dataclass(frozen=True)
class Metric:
    """One reported metric.

    Attributes:
        key: Its name in summary.json (``metrics``) and the comparison's columns.
        label: How tables name it.
        unit: Its unit; ``share`` values are reported in points (×100) in words.
        direction: Whether more is better (``higher``), worse (``lower``) or neither.
        compute: Its value from a run's :class:`RunTotals` (None for group columns).
        group: For a comparison column read from a group of residents: the group.
        field: ... and the group's field (``coverage_latent``, ``gap_vs_rest``).
        contract: Always present in summary.json (documented output contract).
        compared: A column of the comparison (runs.csv, comparison.csv, report).
        phrase: How the report's sentences name it; empty: not in the sentences.
        short: Column header in the terminal's table (defaults to the label).
    """

    key: str
    label: str
    unit: Unit
    direction: Direction
    compute: Callable[[RunTotals], float] | None = None
    group: str | None = None
    field: str | None = None
    contract: bool = False
    compared: bool = False
    phrase: str = ""
    short: str = ""

    def read(self, summary: dict) -> float:
        """Its value in a run's summary (None becomes NaN)."""
        v = (
            summary["groups"][self.group][self.field]
            if self.group is not None
            else summary["metrics"][self.key]
        )
        return float("nan") if v is None else float(v)


def _group_columns() -> tuple[Metric, ...]:
    cover = {"age_75plus": "residents aged 75+", "dependent": "dependent residents",
             "workers": "workers"}
    gaps = {"age_75plus": "residents aged 75+", "no_car": "residents without a car",
            "low_digital_skill": "residents with low digital skill", "workers": "workers",
            "rural": "rural residents", "disability": "residents with a disability",
            "precarity": "residents in great precarity"}
    out = [
        Metric(f"gap_{g}", f"coverage gap, {GROUP_LABELS[g]}", "share", "higher", group=g,
               field="gap_vs_rest", compared=True, short=f"gap {GROUP_LABELS[g]}",
               phrase=f"coverage of {who} relative to the rest"
               if g in ("age_75plus", "workers", "no_car") else "")
        for g, who in gaps.items()
    ]
    out += [
        Metric(f"coverage_{g}", f"coverage of {who}", "share", "higher", group=g,
               field="coverage_latent", compared=True, short=f"cov. {GROUP_LABELS[g]}",
               phrase=f"coverage of {who}" if g in ("dependent", "workers") else "")
        for g, who in cover.items()
    ]
    return tuple(out)


def _ineq(key: str) -> Callable[[RunTotals], float]:
    return lambda t: t.inequality[key]


def _budget(f: Callable[[RunTotals], float]) -> Callable[[RunTotals], float | None]:
    return lambda t: f(t) if t.budget_capped else None


METRICS: tuple[Metric, ...] = (
    Metric("coverage_expressed", "coverage of expressed needs", "share", "higher",
           lambda t: m.ratio(t.counts["served"], t.counts["expressed"]), contract=True),
    Metric("coverage_latent", "coverage of latent needs", "share", "higher",
           lambda t: m.ratio(t.counts["served"], t.counts["latent"]), contract=True,
           compared=True, phrase="coverage of latent needs", short="coverage"),
    Metric("non_take_up", "non-take-up", "share", "lower",
           lambda t: m.ratio(t.counts["not_taken_up"], t.counts["latent"]), contract=True,
           compared=True, phrase="non-take-up"),
    Metric("abandonment", "abandonment", "share", "lower",
           lambda t: m.ratio(t.counts["abandoned"], t.counts["expressed"]), contract=True),
    Metric("gini", "Gini of fulfilment", "index", "lower", _ineq("gini"), contract=True,
           compared=True, phrase="the Gini of fulfilment", short="Gini"),
    Metric("theil", "Theil T", "index", "lower", _ineq("theil"), contract=True, compared=True),
    Metric("theil_between_communes", "Theil T between communes", "index", "lower",
           _ineq("theil_between_communes"), contract=True),
    Metric("atkinson_1", "Atkinson (ε = 1)", "index", "lower", _ineq("atkinson_1"),
           contract=True),
    Metric("palma", "Palma ratio", "index", "lower", _ineq("palma"), contract=True,
           compared=True),
    Metric("p90_p10", "P90/P10 of fulfilment", "index", "lower", _ineq("p90_p10"),
           contract=True),
    Metric("mean_travel_min", "mean travel (min)", "min", "lower",
           lambda t: m.ratio(t.total("travel_min_sum"), t.total("served_site")), contract=True,
           compared=True),
    Metric("p95_travel_min", "95th percentile of travel (min)", "min", "lower",
           lambda t: t.travel_percentile(0.95), contract=True),
    Metric("access_30min", "residents within 30 min of a site", "share", "higher",
           lambda t: t.mean_access("30min"), contract=True),
    Metric("cost_total", "total cost (EUR)", "EUR", "neither", lambda t: t.total("cost"),
           contract=True, compared=True, short="cost EUR"),
    Metric("cost_per_served", "cost per served need (EUR)", "EUR", "lower",
           lambda t: m.ratio(t.total("cost"), t.counts["served"]), contract=True, compared=True,
           phrase="the cost per served need", short="EUR/served"),
    Metric("vehicle_km", "vehicle-km", "km", "lower", lambda t: t.total("vehicle_km"),
           contract=True, compared=True),
    Metric("access_20min", "residents within 20 min of a site", "share", "higher",
           lambda t: t.mean_access("20min")),
    Metric("mean_wait_weeks", "mean wait (weeks)", "weeks", "lower",
           lambda t: m.ratio(t.total("wait_weeks_sum"), t.counts["served"])),
    Metric("digital_share", "share served online", "share", "neither",
           lambda t: m.ratio(t.total("served_digital"), t.counts["served"])),
    Metric("digital_failures", "failed online attempts", "count", "lower",
           lambda t: t.total("digital_failures")),
    Metric("capacity_utilisation", "capacity used", "share", "neither",
           lambda t: m.ratio(t.total("capacity_used"), t.total("capacity"))),
    Metric("capacity_offered", "capacity offered (contacts)", "count", "neither",
           lambda t: t.total("capacity"), compared=True, short="capacity"),
    Metric("served_home_visit", "needs served at home", "count", "neither",
           lambda t: t.total("served_home_visit")),
    Metric("served_mediated", "needs served by mediation", "count", "neither",
           lambda t: t.total("served_mediated")),
    Metric("served_border", "needs served across the border", "count", "neither",
           lambda t: t.total("served_border")),
    Metric("volunteer_hours", "volunteer hours", "h", "neither",
           lambda t: t.total("volunteer_hours")),
    Metric("modules_moved", "module moves", "count", "neither",
           lambda t: t.total("modules_moved")),
    Metric("reconfiguration_cost", "reconfiguration cost (EUR)", "EUR", "neither",
           lambda t: t.total("reconfiguration_cost")),
    Metric("mobile_km", "mobile agents' km", "km", "neither", lambda t: t.total("mobile_km")),
    Metric("service_km", "service vehicles' km", "km", "neither",
           lambda t: t.total("service_km")),
    Metric("co2_tonnes", "CO2 (t)", "t", "lower",
           lambda t: t.total("vehicle_km") * CO2_KG_PER_KM / 1000.0),
    Metric("budget_total", "budget (EUR)", "EUR", "neither",
           _budget(lambda t: float(np.nansum(t.series["budget"]))), compared=True,
           short="budget EUR"),
    Metric("budget_spent_share", "share of budget spent", "share", "neither",
           _budget(lambda t: m.ratio(t.total("cost_budgeted"), np.nansum(t.series["budget"]))),
           compared=True, short="spent"),
    Metric("site_factor", "mean site factor", "index", "neither",
           lambda t: float(np.mean(t.series["site_factor"])) if len(t.series["site_factor"])
           else float("nan")),
    Metric("funding_factor", "mean funding factor", "index", "neither",
           lambda t: float(np.mean(t.series["funding_factor"])) if len(
               t.series["funding_factor"]) else float("nan")),
    Metric("tad_trips", "booked rides", "count", "neither", lambda t: t.total("tad_trips")),
    Metric("carpool_lifts", "car-pool lifts", "count", "neither",
           lambda t: t.total("carpool_lifts")),
    Metric("theil_between_share_communes", "Theil between-commune share", "share", "lower",
           _ineq("theil_between_share_communes"), compared=True,
           phrase="the between-commune share of inequality", short="Theil betw."),
    Metric("reception_max_min", "farthest commune from a reception point (min)", "min",
           "lower", lambda t: t.reception_max_min),
    Metric("theil_between_age_bands", "Theil T between age bands", "index", "lower",
           _ineq("theil_between_age_bands")),
    Metric("atkinson_0_5", "Atkinson (ε = 0.5)", "index", "lower", _ineq("atkinson_0_5")),
    Metric("atkinson_2", "Atkinson (ε = 2)", "index", "lower", _ineq("atkinson_2")),
    Metric("oriented", "needs oriented to a second level", "count", "neither",
           lambda t: t.total("oriented")),
    Metric("resolved_first_level", "needs resolved at first-level reception", "count",
           "neither", lambda t: t.total("resolved_first_level")),
    *_group_columns(),
)
"""Every metric: first those of summary.json's ``metrics``, then columns read from groups."""

HEADLINE: tuple[str, ...] = (
    "coverage_latent",
    "budget_spent_share",
    "non_take_up",
    "gini",
    "theil_between_share_communes",
    "gap_age_75plus",
    "coverage_workers",
    "coverage_dependent",
    "cost_per_served",
)
"""The short table at the top of a report, in the README and in the terminal: coverage next to
the share of the budget spent (equal money is what makes the comparison honest), inequality,
then cost."""

_BY_KEY = {x.key: x for x in METRICS}

GROUP_FIELDS: tuple[str, ...] = (
    "coverage_latent",
    "coverage_expressed",
    "non_take_up",
    "abandonment",
    "mean_travel_min",
    "mean_fulfilment",
    "gap_vs_rest",
)
"""Fields of a group's row (summary.json ``groups``) an objective may target."""

_GROUP_UNITS = {"mean_travel_min": "min", "mean_fulfilment": "index"}
_GROUP_DIRECTIONS = {"non_take_up": "lower", "abandonment": "lower", "mean_travel_min": "lower"}


def objective_metric(key: str) -> Metric:
    """The metric an objective names: a key of :data:`METRICS` or ``<group>.<field>``.

    Raises:
        ValueError: ``key`` is neither (one line saying what is expected).
    """
    if key in _BY_KEY:
        return _BY_KEY[key]
    group, _, field = key.partition(".")
    if group in GROUP_LABELS and field in GROUP_FIELDS:
        return Metric(key, f"{field.replace('_', ' ')}, {GROUP_LABELS[group]}",
                      _GROUP_UNITS.get(field, "share"), _GROUP_DIRECTIONS.get(field, "higher"),
                      group=group, field=field)
    raise ValueError(
        f"unknown metric {key!r} (expected a metric of docs/metrics.md, or <group>.<field> "
        f"with a group among {', '.join(GROUP_LABELS)} and a field among "
        f"{', '.join(GROUP_FIELDS)})"
    )


def get(key: str) -> Metric:
    """The metric called ``key``."""
    return _BY_KEY[key]


def compared() -> list[Metric]:
    """The comparison's columns, in order."""
    return [x for x in METRICS if x.compared]


def contract_keys() -> list[str]:
    """The keys every summary.json ``metrics`` has."""
    return [x.key for x in METRICS if x.contract]


def format_value(metric: Metric, v: float) -> str:
    """A value as tables print it (by unit)."""
    if v is None or not np.isfinite(v):
        return "–"
    if metric.unit in ("km", "count", "h"):
        return f"{v:,.0f}"
    if metric.unit in ("EUR", "min", "weeks", "t") or metric.key == "palma":
        return f"{v:.2f}"
    return f"{v:.3f}"
