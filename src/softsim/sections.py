"""Config sections of the soft mechanisms (all off by default: the defaults are the rigid one).

Kept apart from :mod:`softsim.config`, which holds the engine's sections and the loader.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ModulesConfig",
    "OrchestratorConfig",
    "MobileConfig",
    "BusConfig",
    "AssociationsConfig",
    "InformationConfig",
    "TransportConfig",
    "BudgetConfig",
    "PrioritiesConfig",
    "Shock",
    "FuturesConfig",
    "LocationConfig",
]

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Weeks = Annotated[int, Field(ge=0, le=1560)]
SlotName = Literal["weekday", "evening", "saturday"]


class Section(BaseModel):
    """A config section: unknown keys are refused, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class ModulesConfig(Section):
    """Pop-up modules: modular capacity that can be moved, re-typed and re-timed."""

    count: Annotated[int, Field(ge=0, le=1000)] = 0
    capacity: Annotated[int, Field(ge=1, le=10_000)] = 40
    types: list[str] = ["social", "employment", "admin"]
    slots: Annotated[list[SlotName], Field(min_length=1)] = ["weekday"]
    types_per_module: Annotated[int, Field(ge=1, le=16)] = 2
    move_weeks: Weeks = 1
    retype_weeks: Weeks = 1
    move_cost: NonNegative = 1500.0
    retype_cost: NonNegative = 400.0
    fixed_cost_per_week: NonNegative = 300.0
    cost_per_capacity: NonNegative = 18.0


class OrchestratorConfig(Section):
    """The soft territory's capacity manager (none in the rigid baseline)."""

    enabled: bool = False
    review_weeks: Annotated[int, Field(ge=1, le=52)] = 4
    lag_weeks: Annotated[int, Field(ge=0, le=52)] = 2
    data_quality: Share = 0.5
    citizen_feedback: Share = 0.0
    noise_sd: NonNegative = 1.0
    reach_min: Positive = 25.0
    retime: bool = True
    reconfiguration_share: Share = 0.05


class MobileConfig(Section):
    """Mobile agents making home visits to residents who cannot travel."""

    agents: Annotated[int, Field(ge=0, le=500)] = 0
    hours_per_week: Annotated[float, Field(gt=0.0, le=80.0)] = 35.0
    visit_min: Positive = 45.0
    eligible: Literal["dependent", "dependent_or_no_car_75plus"] = "dependent"
    cost_per_hour: NonNegative = 35.0
    cost_per_km: NonNegative = 0.5


class BusConfig(Section):
    """Itinerant permanences (France Services bus: ~5 users a half-day, a village ~5-weekly)."""

    count: Annotated[int, Field(ge=0, le=100)] = 0
    stops_per_week: Annotated[int, Field(ge=1, le=14)] = 8
    users_per_stop: Annotated[int, Field(ge=1, le=100)] = 5
    revisit_weeks: Annotated[int, Field(ge=1, le=52)] = 5
    types: list[str] = ["social", "employment", "admin", "health"]
    cost_per_week: NonNegative = 2500.0
    cost_per_km: NonNegative = 0.8


class AssociationsConfig(Section):
    """Volunteer associations: emerge, recruit, burn out, dissolve; help and car-pool."""

    enabled: bool = False
    initial_share: Share = 0.15
    emergence_per_year: NonNegative = 0.03
    dynamism_sd: NonNegative = 1.0
    volunteer_share: Share = 0.23
    focus_share: Share = 0.01
    recruit_per_year: NonNegative = 0.5
    quit_per_year: NonNegative = 0.15
    overload_quit_per_week: NonNegative = 0.05
    min_volunteers: Annotated[int, Field(ge=1, le=100)] = 3
    hours_per_volunteer: Positive = 2.0
    minutes_per_contact: Positive = 60.0
    types: list[str] = ["social", "digital_help"]
    slots: Annotated[list[SlotName], Field(min_length=1)] = ["evening", "saturday"]
    carpool_lifts_per_volunteer: NonNegative = 1.0
    reach_min: Positive = 10.0


class InformationConfig(Section):
    """Awareness dynamics: word of mouth, information spending, orientation at service points."""

    spending_per_1000_per_week: NonNegative = 0.0
    learn_per_euro: NonNegative = 0.001
    orientation: Share = 0.02
    forget_per_year: NonNegative = 0.2


class TransportConfig(Section):
    """Demand-responsive transport for residents without a car."""

    tad: Literal["none", "villages", "all"] = "none"
    tad_speed_kmh: Positive = 45.0
    tad_wait_min: NonNegative = 15.0
    trips_per_1000_per_week: NonNegative = 2.0
    cost_per_trip: NonNegative = 25.0


class BudgetConfig(Section):
    """Governance postures as shares of a budget that is never exceeded.

    Without ``per_1000_per_week`` nothing is capped: costs are only reported.
    """

    per_1000_per_week: NonNegative | None = None
    faire: Share = 1.0
    faire_faire: Share = 0.0
    faire_avec: Share = 0.0
    inciter: Share = 0.0
    laisser_faire: Share = 0.0
    delegation_efficiency: Annotated[float, Field(gt=0.0, le=2.0)] = 0.85
    delegated_types: list[str] = ["social", "employment", "admin"]
    delegated_where: Literal["poles", "bourgs", "poles_and_bourgs", "all"] = "poles_and_bourgs"
    delegated_count: Annotated[int, Field(ge=1, le=1000)] = 4
    delegated_cost_per_capacity: Positive = 18.0
    cofunding_effect: NonNegative = 1.0
    incentive_effect: NonNegative = 1.0

    @model_validator(mode="after")
    def _shares(self) -> BudgetConfig:
        total = self.faire + self.faire_faire + self.faire_avec + self.inciter + self.laisser_faire
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"budget: posture shares (faire, faire_faire, faire_avec, inciter, "
                f"laisser_faire) must sum to 1, got {total:.4f}"
            )
        return self


class PrioritiesConfig(Section):
    """Weights in the allocation order (a weight of 2 goes first twice as often)."""

    types: dict[str, Positive] = {}
    publics: dict[
        Literal["age_75plus", "no_car", "low_digital_skill", "workers", "dependent", "rural"],
        Positive,
    ] = {}


class LocationConfig(Section):
    """Where the fixed sites go (``as_configured`` keeps each site group's own rule)."""

    strategy: Literal[
        "as_configured", "single_pole", "multi_bourg", "specialised_poles", "itinerance"
    ] = "as_configured"


class Shock(Section):
    """A dated exogenous event."""

    kind: Literal["plant_closure", "epidemic", "budget_cut"]
    week: Annotated[int, Field(ge=0)]
    magnitude: Annotated[float, Field(ge=0.0, le=10.0)] = 0.5
    duration_weeks: Annotated[int, Field(ge=1, le=1560)] = 26
    radius_km: Positive = 15.0


class FuturesConfig(Section):
    """Exogenous trends and shocks (a "future" of ``configs/futures/``)."""

    name: str = "none"
    description: str = ""
    need_growth_per_year: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.0
    budget_trend_per_year: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.0
    volunteer_trend_per_year: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.0
    broadband_rollout_per_year: Share = 0.0
    shocks: list[Shock] = []
