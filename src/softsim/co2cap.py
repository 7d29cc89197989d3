"""A CO₂ cap on the soft territory's own travel choices: module moves and bus tours.

With ``orchestrator.co2_cap_kg_per_week = C``, the service vehicles the territory steers may
emit at most ``C`` kg CO₂e a week, i.e. drive ``C / CO2_KG_PER_KM`` km (the factor of
:data:`softsim.metric_registry.CO2_KG_PER_KM`). The allowance accrues each week into a bank
holding at most one review period's worth (``review_weeks`` weeks: unused allowance cannot be
hoarded beyond that). Each week the buses' planned tours take from the bank first: if they
would drive more, the stops that cost the most are dropped (the last stop of the longest tour,
one at a time) and the dropped villages are not marked as visited. At each review the
orchestrator may move a module only if the move's road km (one vehicle trip, an assumption)
fits in what is left of the bank. Residents' own trips, home visits and booked rides are not
capped: they answer needs rather than the territory's planning. Without a cap (the default)
nothing changes.
"""

from __future__ import annotations

from softsim.metric_registry import CO2_KG_PER_KM

__all__ = ["Co2Cap", "cap_bus_km"]


class Co2Cap:
    """The km allowance of the cap (see the module docstring).

    Args:
        kg_per_week: The cap, kg CO₂e a week.
        bank_weeks: Weeks of allowance the bank may hold (the orchestrator's review period).
    """

    def __init__(self, kg_per_week: float, bank_weeks: int) -> None:
        self.km_per_week = kg_per_week / CO2_KG_PER_KM
        self.bank_max = self.km_per_week * max(bank_weeks, 1)
        self.bank = 0.0

    def accrue(self) -> None:
        """One week's allowance goes into the bank (capped)."""
        self.bank = min(self.bank_max, self.bank + self.km_per_week)

    def spend(self, km: float) -> None:
        """Take ``km`` from the bank."""
        self.bank = max(0.0, self.bank - km)


def cap_bus_km(buses: list, road_km, km_allowed: float, before: dict) -> float:
    """Drop bus stops until this week's tours fit in ``km_allowed``; return their km.

    Args:
        buses: The buses, with this week's stops planned (changed in place).
        road_km: Road km between communes (a matrix or ``Travel.view("km")``).
        km_allowed: Km the tours may drive this week.
        before: The shared ``last_visit`` record as it was before this week's planning
            (a dropped village gets its earlier visit back).
    """
    km = [b.week_km(road_km) for b in buses]
    while sum(km) > km_allowed:
        i = max((j for j, b in enumerate(buses) if b.stops), key=lambda j: km[j])
        bus = buses[i]
        c = bus.stops.pop()
        if c in before:
            bus.last_visit[c] = before[c]
        else:
            bus.last_visit.pop(c, None)
        km[i] = bus.week_km(road_km)
    return float(sum(km))
