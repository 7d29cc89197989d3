"""Services that travel: mobile agents making home visits, and itinerant buses.

Mobile agents (Mesa ``CellAgent``) start each week at their base with ``hours_per_week`` of time
and visit, at home, the residents who cannot travel (dependent; optionally no-car 75+) and whose
need is still pending after the week's allocation. Tour rule: nearest neighbour — from where it
stands the agent goes to the nearest pending request (ties: the request first in priority order)
that still leaves time for the visit and the drive back to base. Vehicle-km are the sum of the
tour's legs, return included.

An itinerant bus (France Services-like) makes ``stops_per_week`` half-day stops in villages not
visited during the last ``revisit_weeks`` weeks; each stop is, for that week, a small site with
``users_per_stop`` places open on weekday daytime.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np
from mesa.discrete_space import CellAgent

from softsim.territory import Territory
from softsim.territory.core import VILLAGE
from softsim.territory.travel import PairView, Travel

__all__ = [
    "Bus",
    "HomeVisits",
    "MobileAgent",
    "buses_week_km",
    "home_visits",
    "plan_bus_stops",
    "plan_tours",
]


@nb.njit(cache=True)
def _plan_tours(req_commune, base, minutes_left, visit_min, car_min, road_km):
    n_req = len(req_commune)
    served_by = np.full(n_req, -1, np.int32)
    km = np.zeros(len(base))
    used = np.zeros(len(base))
    legs_from = np.empty(n_req + len(base), np.int32)
    legs_to = np.empty(n_req + len(base), np.int32)
    legs_agent = np.empty(n_req + len(base), np.int32)
    n_legs = 0
    for a in range(len(base)):
        cur = base[a]
        left = minutes_left[a]
        while True:
            best = -1
            best_t = np.inf
            for i in range(n_req):
                if served_by[i] >= 0:
                    continue
                c = req_commune[i]
                t = car_min[cur, c]
                if t < best_t and t + visit_min + car_min[c, base[a]] <= left:
                    best = i
                    best_t = t
            if best < 0:
                break
            c = req_commune[best]
            served_by[best] = a
            left -= best_t + visit_min
            km[a] += road_km[cur, c]
            legs_from[n_legs] = cur
            legs_to[n_legs] = c
            legs_agent[n_legs] = a
            n_legs += 1
            cur = c
        if cur != base[a]:
            left -= car_min[cur, base[a]]
            km[a] += road_km[cur, base[a]]
            legs_from[n_legs] = cur
            legs_to[n_legs] = base[a]
            legs_agent[n_legs] = a
            n_legs += 1
        used[a] = minutes_left[a] - left
    return served_by, km, used, legs_from[:n_legs], legs_to[:n_legs], legs_agent[:n_legs]


def plan_tours(req_commune, base, minutes_left, visit_min, car_min, road_km):
    """Nearest-neighbour home-visit tours of several agents (see the module docstring).

    Args:
        req_commune: Commune of each request, in priority order.
        base: Base commune of each agent.
        minutes_left: Working minutes of each agent this week.
        visit_min: Minutes spent at each visit.
        car_min: Car minutes between communes.
        road_km: Road km between communes.

    Returns:
        ``(served_by, km, minutes_used, legs_from, legs_to, legs_agent)``: the agent serving each
        request (-1 if none), km and minutes of each agent, and every leg driven.
    """
    return _plan_tours(
        np.asarray(req_commune, np.int32),
        np.asarray(base, np.int32),
        np.asarray(minutes_left, np.float64),
        float(visit_min),
        car_min,
        road_km,
    )


class MobileAgent(CellAgent):
    """A mobile agent; its cell is its base, where every weekly tour starts and ends.

    It visits the service types flagged ``home_visit`` in the config.
    """

    def __init__(self, model, base_cell, hours_per_week: float) -> None:
        super().__init__(model)
        self.base = base_cell
        self.cell = base_cell
        self.hours_per_week = hours_per_week
        self.km_total = 0.0
        self.visits_total = 0


class Bus(CellAgent):
    """An itinerant bus: a base, and the week's stops in villages."""

    def __init__(self, model, base_cell, types: list[int],
                 last_visit: dict[int, int] | None = None) -> None:
        super().__init__(model)
        self.base = base_cell
        self.cell = base_cell
        self.types = sorted(types)
        # shared by the buses of a territory, so that no bus revisits a village too soon
        self.last_visit = {} if last_visit is None else last_visit
        self.stops: list[int] = []

    def plan_week(
        self,
        week: int,
        candidates: np.ndarray,
        ranking: np.ndarray,
        n_stops: int,
        revisit_weeks: int,
        taken: set[int],
    ) -> list[int]:
        """Choose this week's stops: best-ranked villages not visited recently nor taken."""
        stops = []
        if n_stops <= 0:  # no money for a single stop this week
            self.stops = stops
            return stops
        for c in candidates[np.argsort(-ranking[candidates], kind="stable")]:
            c = int(c)
            if c in taken or week - self.last_visit.get(c, -(10**6)) < revisit_weeks:
                continue
            stops.append(c)
            if len(stops) == n_stops:
                break
        for c in stops:
            self.last_visit[c] = week
            taken.add(c)
        self.stops = stops
        return stops

    def week_km(self, road_km: np.ndarray) -> float:
        """Km driven this week: two stops a day, base → first → second → base.

        ``road_km`` is a matrix or ``Travel.view("km")``.
        """
        return buses_week_km([self], road_km)[0]


def _tour_days(bus) -> list[list[int]]:
    """A bus's tours of the week, one a day: base, its two stops, base."""
    base = int(bus.base.coordinate)
    return [[base, *bus.stops[i : i + 2], base] for i in range(0, len(bus.stops), 2)]


def buses_week_km(buses: list[Bus], road_km) -> list[float]:
    """Each bus's :meth:`Bus.week_km`, every leg of every tour read in one request.

    ``road_km`` is a matrix or ``Travel.view("km")`` (then exact rows among the few places of
    the tours, kept from week to week by :meth:`Travel.block`).
    """
    tours = [_tour_days(bus) for bus in buses]
    legs = [(a, b) for days in tours for p in days for a, b in zip(p[:-1], p[1:], strict=True)]
    if not legs:
        return [0.0] * len(buses)
    legs = np.array(legs)
    if isinstance(road_km, PairView):
        places, at = np.unique(legs, return_inverse=True)
        block = road_km.travel.block((road_km.kind,), places)[0]
        at = at.reshape(legs.shape)
        values = block[at[:, 0], at[:, 1]].tolist()
    else:
        values = np.asarray(road_km[legs[:, 0], legs[:, 1]]).tolist()
    out, at = [], 0
    for days in tours:
        km = 0.0
        for p in days:  # summed day by day, leg by leg, as the tour drives them
            km += sum(values[at : at + len(p) - 1])
            at += len(p) - 1
        out.append(km)
    return out


@dataclass(frozen=True)
class HomeVisits:
    """A week of home visits: which pending needs were visited, km driven, legs of the tours."""

    visited: np.ndarray
    km: float
    legs_from: np.ndarray
    legs_to: np.ndarray

    @classmethod
    def none(cls, n_needs: int) -> HomeVisits:
        """No visit this week."""
        return cls(np.zeros(n_needs, bool), 0.0, np.zeros(0, np.int32), np.zeros(0, np.int32))


def home_visits(
    agents: list[MobileAgent],
    requests: np.ndarray,
    request_commune: np.ndarray,
    n_needs: int,
    minutes_each: float,
    visit_min: float,
    travel: Travel,
) -> HomeVisits:
    """Tour the requests (pending needs, oldest first) with every agent; book their totals.

    Args:
        agents: The mobile agents (their ``km_total`` and ``visits_total`` are updated).
        requests: Indices of the requesting needs in the pending pool, in tour priority.
        request_commune: Home commune of each request.
        n_needs: Size of the pending pool.
        minutes_each: Working minutes of each agent this week.
        visit_min: Minutes at each visit.
        travel: The run's travel times (tours may go beyond its cutoff: exact pairs are read).
    """
    if not agents:
        return HomeVisits.none(n_needs)
    # the tours only go between the requests' communes and the bases: their exact pairs
    bases = np.array([int(a.base.coordinate) for a in agents], np.int64)
    places, local = np.unique(
        np.concatenate([np.asarray(request_commune, np.int64), bases]), return_inverse=True
    )
    served_by, km, _, legs_from, legs_to, _ = plan_tours(
        local[: len(request_commune)],
        local[len(request_commune) :],
        np.full(len(agents), minutes_each),
        visit_min,
        *travel.block(("car", "km"), places),
    )
    legs_from, legs_to = places[legs_from].astype(np.int32), places[legs_to].astype(np.int32)
    visited = np.zeros(n_needs, bool)
    visited[requests[served_by >= 0]] = True
    for a, agent in enumerate(agents):
        agent.km_total += float(km[a])
        agent.visits_total += int((served_by == a).sum())
    return HomeVisits(visited, float(km.sum()), legs_from, legs_to)


def plan_bus_stops(
    buses: list[Bus],
    week: int,
    territory: Territory,
    ranking: np.ndarray,
    stops_each: int,
    revisit_weeks: int,
) -> None:
    """Choose every bus's stops this week among the villages, best ``ranking`` first."""
    villages = np.flatnonzero(territory.cls == VILLAGE)
    taken: set[int] = set()
    for bus in buses:
        bus.plan_week(week, villages, ranking, stops_each, revisit_weeks, taken)
