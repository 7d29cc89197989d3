"""The weekly step, as data: its phases in order and what each does.

:class:`~softsim.model.SoftTerritory` runs the phase ``phase_<name>`` of each entry of
:data:`SCHEDULE` in order; ``softsim run --plan`` prints it; docs/odd.md describes it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SCHEDULE", "Phase", "plan"]


@dataclass(frozen=True)
class Phase:
    """One phase of the weekly step: its name (the method ``phase_<name>``) and what it does."""

    name: str
    does: str


SCHEDULE: tuple[Phase, ...] = (
    Phase(
        "edits",
        "the scenario's edits due this week: fixed sites opened or closed (their group's "
        "money re-divided), pop-up modules put at a commune, home-visit agents' bases",
    ),
    Phase(
        "futures",
        "trends and shocks; budget and funding factor; broadband rollout; the "
        "week's capacity (sites, modules, bus stops, associations)",
    ),
    Phase(
        "needs",
        "latent needs arise (Poisson per type x age band, shocks); awareness is "
        "brought up to date; unaware residents do not express them (non-take-up)",
    ),
    Phase(
        "options",
        "digital attempts (skill, broadband), mediation of failures, car-pool "
        "lifts and demand-responsive transport for residents without a car",
    ),
    Phase(
        "allocate",
        "random serial dictatorship: needs in (weighted) random order take their "
        "best feasible option with capacity left (compiled kernel)",
    ),
    Phase("mobile", "mobile agents tour pending home-visit requests (nearest neighbour)"),
    Phase(
        "outcomes",
        "served needs leave the pool (travel, wait, km, cost, orientation, skills); "
        "first-level contacts resolve or orient to a second level; "
        "needs past their patience are abandoned",
    ),
    Phase(
        "adapt",
        "associations recruit, burn out, dissolve, emerge; the orchestrator reads "
        "lagged, noisy unmet demand and reconfigures modules every review_weeks",
    ),
    Phase("record", "this week's counts go into the preallocated series"),
)
"""The weekly step, in order. ``softsim run --plan`` prints it."""


def plan() -> str:
    """The schedule as printable text."""
    return "\n".join(f"{i}. {p.name:<9} {p.does}" for i, p in enumerate(SCHEDULE, 1))
