"""What a week costs: one formula for the money planned before the week and booked after it.

A week's public cost is ``running × funding factor + variable``:

* *running* — the weekly running costs of fixed sites, pop-up modules, mobile agents' hours,
  buses and information spending, at full funding; the funding factor scales them all. The
  fixed sites' part includes a pooled back office where one is shared
  (:mod:`softsim.back_office`);
* *variable* — what the week's activity costs: mobile and bus km, booked rides, broadband
  connections.

When money left over buys fixed sites' capacity (``budget.mix``), the sites' running costs run
at their own *site factor*: ``sites × site factor + other running × factor + variable``.

The same formula is evaluated three ways. *Worst case*: at factor 1 with the activity at its
upper bound (every mobile hour driven, every bus stop at the farthest commune, every ride
credit used, the whole rollout money spent); the budget never lets it exceed the money
available, so the booked cost cannot either. *Expected*: at factor 1 with the worst-case
activity times the ratio of activity booked to worst case so far in the run (1 before any
week): what the week is planned to cost, so that the envelope is spent rather than held back
for a worst case that does not happen. *Booked*: at the week's factors with the activity that
happened, plus the money transferred to other postures (delegation, co-funding, calls for
projects). E-service uses are reported on top and are not paid from the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from softsim.back_office import back_office_difference
from softsim.config import Config

__all__ = ["Activity", "CostModel"]


@dataclass(frozen=True)
class Activity:
    """The variable part of a week's public provision."""

    mobile_km: float = 0.0
    bus_km: float = 0.0
    tad_trips: float = 0.0
    rollout: float = 0.0
    """Money spent connecting homes to broadband."""

    def scaled(self, x: float) -> Activity:
        """This activity times ``x`` (every component)."""
        return Activity(self.mobile_km * x, self.bus_km * x, self.tad_trips * x, self.rollout * x)


class CostModel:
    """Prices of the config, and the one cost formula of a week.

    Args:
        cfg: The resolved (scaled) config.
        residents: Number of simulated residents.
    """

    def __init__(self, cfg: Config, residents: int) -> None:
        self.cfg = cfg
        self.per_1000 = residents / 1000.0
        self._fixed = {name: g.fixed_cost_per_week for name, g in cfg.sites.items()}

    def site_running(self, sites: Sequence) -> float:
        """Weekly running cost of the fixed sites at full funding (part of :meth:`running`).

        Their own costs, plus what a shared back office costs over the standalone back
        offices it replaces (:func:`softsim.back_office.back_office_difference`).
        """
        return sum(s.weekly_cost for s in sites) + back_office_difference(
            sites, self._fixed, self.cfg.back_office
        )

    def running(self, sites: Sequence, modules: Sequence, n_mobile: int, n_buses: int) -> float:
        """Weekly running cost at full funding."""
        c = self.cfg
        return (
            self.site_running(sites)
            + sum(m.weekly_cost for m in modules)
            + n_mobile * c.mobile.hours_per_week * c.mobile.cost_per_hour
            + n_buses * c.bus.cost_per_week
            + c.information.spending_per_1000_per_week * self.per_1000
        )

    def variable(self, activity: Activity) -> float:
        """What the week's activity costs."""
        c = self.cfg
        return (
            activity.mobile_km * c.mobile.cost_per_km
            + activity.bus_km * c.bus.cost_per_km
            + activity.tad_trips * c.transport.cost_per_trip
            + activity.rollout
        )

    def worst_case(
        self, n_mobile: int, n_buses: int, bus_base_max_km: float, tad_trips: float
    ) -> Activity:
        """The most activity a fully funded week can have.

        Args:
            n_mobile: Mobile agents (each drives at most its hours at road speed).
            n_buses: Buses (a stop adds at most a return trip to the farthest commune).
            bus_base_max_km: Road km from the buses' base to the farthest commune.
            tad_trips: Booked-ride credit accrued in a week at full funding.
        """
        c = self.cfg
        return Activity(
            mobile_km=n_mobile * c.mobile.hours_per_week * c.travel.road_speed_kmh,
            bus_km=n_buses * c.bus.stops_per_week * 2.0 * bus_base_max_km,
            tad_trips=tad_trips,
            rollout=c.digital.rollout_per_1000_per_week * self.per_1000,
        )

    def public(
        self,
        running: float,
        factor: float,
        activity: Activity,
        site_running: float = 0.0,
        site_factor: float | None = None,
    ) -> float:
        """The cost of public provision: running costs at ``factor`` plus the activity's.

        Args:
            running: Running costs at full funding (:meth:`running`).
            factor: The funding factor.
            activity: The week's variable activity.
            site_running: The fixed sites' part of ``running``.
            site_factor: The sites' factor (``factor`` if None).
        """
        sf = factor if site_factor is None else site_factor
        return (running - site_running) * factor + site_running * sf + self.variable(activity)

    def expected(self, running: float, worst: Activity, ratio: float) -> float:
        """Planned public provision at full funding.

        The worst-case activity times ``ratio``, the share of the worst case booked so far.
        """
        return self.public(running, 1.0, worst.scaled(ratio))

    def digital(self, uses: int) -> float:
        """Cost of the week's e-service uses (reported, not paid from the budget)."""
        return uses * self.cfg.digital.cost_per_use
