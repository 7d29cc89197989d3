"""What one week computes: created at the start of :meth:`SoftTerritory.step`, read by its phases.

The model holds what lasts between weeks (residents, actors, the pending pool, series); a
:class:`WeekState` holds what one week computes and then forgets. Before the first step the
model holds an *opening* state (full funding, nothing pending, nothing decided), so a model
that has not stepped is complete and can be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from softsim.providers import Provider, SiteArrays
from softsim.services.mobile import HomeVisits

__all__ = ["SERIES", "WeekState"]

SERIES: tuple[str, ...] = (
    "latent",
    "expressed",
    "not_taken_up",
    "served",
    "served_digital",
    "served_site",
    "served_home_visit",
    "served_mediated",
    "served_border",
    "abandoned",
    "pending",
    "digital_failures",
    "travel_min_sum",
    "wait_weeks_sum",
    "vehicle_km",
    "resident_km",
    "service_km",
    "cost",
    "cost_budgeted",
    "budget",
    "funding_factor",
    "site_factor",
    "capacity",
    "capacity_used",
    "volunteers",
    "volunteer_hours",
    "associations",
    "modules_moved",
    "modules_retyped",
    "reconfiguration_cost",
    "tad_trips",
    "carpool_lifts",
    "mobile_km",
    "rollout_cost",
    "broadband_share",
    "aware_share",
    "oriented",
    "resolved_first_level",
    "mission_volunteers",
    "transfer_kits",
    "associations_dissolved_by_cut",
)
"""Per-week counters, recorded into the model's series at the end of every week."""


def _none(dtype) -> np.ndarray:
    return np.zeros(0, dtype)


@dataclass(eq=False)
class WeekState:
    """One week's working state (arrays over the pending needs unless said otherwise).

    Attributes:
        factor: Funding factor of public provision this week.
        site_factor: Fixed sites' factor (the funding factor unless money left over buys
            their capacity).
        providers: This week's providers; ``sites`` is their array view.
        digital_ok, digital_failed: The week's online attempts that succeeded / failed.
        alt_type: Mediation type a failed attempt may also be served by (-1: none).
        mode: Travel mode of each need (see :mod:`softsim.transport`).
        remaining: Capacity left at each provider after the allocation.
        choice, anchor, travel: The allocation's result (see :func:`softsim.allocation.allocate`).
        visits: Home visits of the mobile agents.
        access_weight: Each need's priority weight by accessibility (None when off).
        unmet: Needs that arrived this week and were not served, by commune × type × slot
            class, weighted by priority (what the orchestrator observes).
        counters: This week's values of :data:`SERIES`.
    """

    factor: float
    providers: list[Provider]
    sites: SiteArrays
    unmet: np.ndarray
    site_factor: float | None = None
    digital_ok: np.ndarray = field(default_factory=lambda: _none(bool))
    digital_failed: np.ndarray = field(default_factory=lambda: _none(bool))
    alt_type: np.ndarray = field(default_factory=lambda: _none(np.int8))
    mode: np.ndarray = field(default_factory=lambda: _none(np.int8))
    remaining: np.ndarray = field(default_factory=lambda: _none(np.int64))
    choice: np.ndarray = field(default_factory=lambda: _none(np.int32))
    anchor: np.ndarray = field(default_factory=lambda: _none(np.int32))
    travel: np.ndarray = field(default_factory=lambda: _none(np.float32))
    visits: HomeVisits = field(default_factory=lambda: HomeVisits.none(0))
    access_weight: np.ndarray | None = None
    counters: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SERIES, 0.0))

    @classmethod
    def start(
        cls, factor: float, providers: list[Provider], n_types: int, n_communes: int
    ) -> WeekState:
        """A week that starts with these providers at this funding factor."""
        return cls(
            factor=factor,
            providers=providers,
            sites=SiteArrays.of(providers, n_types),
            unmet=np.zeros((n_communes, n_types, 2), np.float32),
        )
