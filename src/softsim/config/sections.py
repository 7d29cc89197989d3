"""Every section of a config, and the :class:`Config` that gathers them.

The defaults are the rigid territory: the soft mechanisms (modules, orchestrator, mobile
agents, bus, associations, on-demand transport, information spending, delegation, budget cap,
futures) are off. ``docs/parameters.md`` gives each default, its range and its source. Every
number is finite and bounded; types are strict (no bool for a number, no string for a number);
an int given for a float is accepted.
"""

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from softsim.channels import CHANNELS
from softsim.config.network import check_network
from softsim.config.types import (
    AGE_BANDS,
    MAX_NEEDS_PER_YEAR,
    Count,
    Name,
    PerBand,
    PriorityGroup,
    Real,
    Share,
    SharePerBand,
    SlotName,
    TypeList,
    Weeks,
)

__all__ = [
    "Section",
    "EDIT_ACTIONS",
    "Edit",
    "PerClass",
    "TerritoryConfig",
    "TravelConfig",
    "PopulationConfig",
    "ServiceType",
    "SiteGroup",
    "DigitalConfig",
    "ResidentsConfig",
    "SimulationConfig",
    "ModulesConfig",
    "OrchestratorConfig",
    "MobileConfig",
    "BusConfig",
    "AssociationsConfig",
    "InformationConfig",
    "TransportConfig",
    "ChannelMix",
    "BudgetConfig",
    "PrioritiesConfig",
    "LocationConfig",
    "Shock",
    "FuturesConfig",
    "ReceptionConfig",
    "SiteQualityConfig",
    "BackOfficeConfig",
    "Objective",
    "Config",
]

Where = Literal["poles", "bourgs", "poles_and_bourgs", "all"]
Slots = list[SlotName]

# Bounds shared by several sections (docs/parameters.md, "Ranges").
SPEED_KMH = 130.0  # the French speed limit on motorways
WALK_KMH = 3.0  # walking: the slowest way to go anywhere
TRIP_MIN = 300.0  # the last bin of the travel histogram
COST = 1e6  # € for one item (a site-week, a move, a bus-week …)
UNIT_COST = 1e4  # € per unit of capacity, use, trip, hour or km
PER_1000 = 1e6  # € or contacts per 1,000 residents per week
RATE_PER_YEAR = 52.0  # a yearly rate of at most one event a week


class Section(BaseModel):
    """A config section: unknown keys refused, strict types, finite numbers, checked assignment."""

    model_config = ConfigDict(
        extra="forbid", strict=True, allow_inf_nan=False, validate_assignment=True
    )


class PerClass(Section):
    """A value for each commune class."""

    pole: Share
    bourg: Share
    village: Share


class TerritoryConfig(Section):
    """Where the run takes place.

    ``spec`` is ``synthetic`` (default), ``grid``, ``dep:<code>``, ``epci:<siren>`` or the path
    of a CSV with columns ``code,name,population,lon,lat``; a relative CSV path is made absolute
    when the config is loaded.
    """

    spec: str = Field("synthetic", min_length=1, max_length=4096)
    n_communes: Count(4, 3000) = 250
    population: Count(100, 20_000_000) = 120_000
    side_km: Real(1.0, 1000.0) = 75.0
    n_bourgs: Count(0, 200) = 8
    zipf_exponent: Real(gt=0.0, le=3.0) = 1.1
    grid_size: Count(2, 54) = 12
    grid_spacing_km: Real(0.1, 100.0) = 5.0
    pole_min_population: Count(1, 1_000_000) = 10_000
    bourg_min_population: Count(1, 1_000_000) = 1_500
    border_km: Real(0.0, 100.0) = 0.0
    """Ring of neighbouring communes (bundled territories) whose fixed services residents may
    use; 0 = the territory is an island (default, see docs/odd.md)."""

    @model_validator(mode="after")
    def _thresholds(self) -> Self:
        if self.bourg_min_population > self.pole_min_population:
            raise ValueError(
                "territory.bourg_min_population: expected at most territory.pole_min_population"
            )
        return self


class TravelConfig(Section):
    """Road speeds and the slower, less flexible travel of residents without a car."""

    road_speed_kmh: Real(10.0, SPEED_KMH) = 80.0
    local_road_speed_kmh: Real(10.0, SPEED_KMH) = 60.0
    detour_factor: Real(1.0, 3.0) = 1.15
    intra_commune_speed_kmh: Real(WALK_KMH, SPEED_KMH) = 25.0
    nocar_speed_kmh: Real(WALK_KMH, SPEED_KMH) = 18.0
    nocar_wait_min: Real(0.0, 240.0) = 20.0


class PopulationConfig(Section):
    """Who the residents are (per age band lists follow :data:`AGE_BANDS`)."""

    scale: Real(gt=0.0, le=1.0) = 1.0
    age_shares: SharePerBand = [0.175, 0.174, 0.186, 0.199, 0.170, 0.096]
    employment_rate: SharePerBand = [0.0, 0.50, 0.82, 0.80, 0.18, 0.0]
    low_digital_skill: SharePerBand = [0.0, 0.03, 0.06, 0.08, 0.20, 0.62]
    dependency: SharePerBand = [0.0, 0.0, 0.0, 0.004, 0.016, 0.17]
    no_car: PerClass = PerClass(pole=0.20, bourg=0.12, village=0.07)
    no_car_factor_75plus: Real(1.0, 10.0) = 2.0
    broadband: PerClass = PerClass(pole=0.97, bourg=0.90, village=0.78)
    commute_decay_min: Real(5.0, TRIP_MIN) = 20.0
    shop_decay_min: Real(5.0, TRIP_MIN) = 12.0
    # digital exclusion beyond age (drawn from the ``exclusion`` stream; see population.py)
    disability: SharePerBand = [0.04, 0.06, 0.08, 0.12, 0.18, 0.36]
    precarity: SharePerBand = [0.042, 0.028, 0.026, 0.022, 0.012, 0.008]

    @field_validator("age_shares")
    @classmethod
    def _sum_to_one(cls, v: list[float]) -> list[float]:
        if abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"expected shares summing to 1, got {sum(v):.4f}")
        return v


class ServiceType(Section):
    """One type of need and of service (social, employment, ...)."""

    rate_per_year: PerBand
    digitisable: Share = 0.5
    home_visit: bool = False
    patience_weeks: Count(1, 104) = 4
    awareness: Share = 0.8
    tolerance_min: Real(1.0, TRIP_MIN) = 45.0


class SiteGroup(Section):
    """A family of fixed sites placed by one rule (e.g. the social-services offices)."""

    types: Annotated[TypeList, Field(min_length=1)]
    where: Where = "poles_and_bourgs"
    count: Count(0, 5000) = 1
    capacity_per_1000: Real(0.0, 1000.0) = 2.0
    slots: Slots = Field(["weekday"], min_length=1, max_length=3)
    fixed_cost_per_week: Real(0.0, COST) = 600.0
    cost_per_capacity: Real(0.0, UNIT_COST) = 18.0


class DigitalConfig(Section):
    """The e-services channel: always open, never full, success depends on skill.

    A failed attempt can be caught by *mediation* at any site or association offering the
    ``mediation_type`` service; a mediated success makes a low-skill resident skilled with
    probability ``skill_gain``. ``rollout_per_1000_per_week`` (€) funds broadband connections at
    ``connection_cost`` € per resident connected, spread over communes in proportion to their
    residents still without broadband (public provision: it counts in the *faire* envelope).
    """

    enabled: bool = True
    success_skilled: Share = 0.9
    success_low_skill: Share = 0.2
    effort_min: Real(0.0, TRIP_MIN) = 10.0
    cost_per_use: Real(0.0, UNIT_COST) = 2.0
    mediation_type: Name | None = "digital_help"
    skill_gain: Share = 0.1
    rollout_per_1000_per_week: Real(0.0, PER_1000) = 0.0
    connection_cost: Real(1.0, UNIT_COST) = 150.0
    # exclusion beyond age: neutral by default (see services/digital.py)
    disability_success_factor: Share = 1.0
    precarity_success_factor: Share = 1.0
    disability_in_person_share: Share = 0.0
    precarity_in_person_share: Share = 0.0


class ResidentsConfig(Section):
    """How residents choose and how far they go."""

    dependent_tolerance_factor: Share = 0.5
    # "not free on weekday daytime except near their workplace" (DESIGN §2): counters close
    # over lunch, so a weekday visit is an absence from work that only a site next to it allows
    work_break_min: Real(0.0, TRIP_MIN) = 5.0
    priority: Literal["random", "oldest_first"] = "random"


class SimulationConfig(Section):
    """Horizon of the run, and the root seed it was run with.

    ``seed`` is recorded in a result's ``config.toml`` so that re-running that file reproduces
    the result; it is not part of ``config_sha256`` (the hash names the scenario, not the draw).
    """

    years: Count(1, 30) = 6
    weeks_per_year: Count(1, 53) = 52
    seed: Count(0, 2**63 - 1) | None = None


class ModulesConfig(Section):
    """Pop-up modules: modular capacity that can be moved, re-typed and re-timed."""

    count: Count(0, 250) = 0  # the orchestrator's review grows faster than linearly with it
    capacity: Count(1, 10_000) = 40
    types: TypeList = ["social", "employment", "admin"]
    slots: Slots = Field(["weekday"], min_length=1, max_length=3)
    types_per_module: Count(1, 16) = 2
    move_weeks: Weeks = 1
    retype_weeks: Weeks = 1
    move_cost: Real(0.0, COST) = 1500.0
    retype_cost: Real(0.0, COST) = 400.0
    fixed_cost_per_week: Real(0.0, COST) = 300.0
    cost_per_capacity: Real(0.0, UNIT_COST) = 18.0


class OrchestratorConfig(Section):
    """The soft territory's capacity manager (none in the rigid baseline)."""

    enabled: bool = False
    review_weeks: Count(1, 52) = 4
    lag_weeks: Count(0, 52) = 2
    data_quality: Share = 0.5
    citizen_feedback: Share = 0.0
    noise_sd: Real(0.0, 10.0) = 1.0
    reach_min: Real(gt=0.0, le=TRIP_MIN) = 25.0
    retime: bool = True
    reconfiguration_share: Share = 0.05
    # off (None): no cap; else the most kg CO2e a week that module moves and bus tours may emit
    co2_cap_kg_per_week: Real(0.0, COST) | None = None


class MobileConfig(Section):
    """Mobile agents making home visits to residents who cannot travel."""

    agents: Count(0, 500) = 0
    hours_per_week: Real(gt=0.0, le=80.0) = 35.0
    visit_min: Real(1.0, 480.0) = 45.0
    eligible: Literal["dependent", "dependent_or_no_car_75plus"] = "dependent"
    cost_per_hour: Real(0.0, UNIT_COST) = 35.0
    cost_per_km: Real(0.0, 100.0) = 0.5


class BusConfig(Section):
    """Itinerant permanences (France Services bus: ~5 users a half-day, a village ~5-weekly)."""

    count: Count(0, 100) = 0
    stops_per_week: Count(1, 14) = 8
    users_per_stop: Count(1, 100) = 5
    revisit_weeks: Count(1, 52) = 5
    types: TypeList = ["social", "employment", "admin", "health"]
    cost_per_week: Real(0.0, COST) = 2500.0
    cost_per_km: Real(0.0, 100.0) = 0.8


class AssociationsConfig(Section):
    """Volunteer associations: emerge, recruit, burn out, dissolve; help and car-pool."""

    enabled: bool = False
    initial_share: Share = 0.15
    emergence_per_year: Real(0.0, RATE_PER_YEAR) = 0.03
    dynamism_sd: Real(0.0, 5.0) = 1.0
    volunteer_share: Share = 0.23
    focus_share: Share = 0.01
    recruit_per_year: Real(0.0, RATE_PER_YEAR) = 0.5
    quit_per_year: Real(0.0, RATE_PER_YEAR) = 0.15
    overload_quit_per_week: Share = 0.05
    min_volunteers: Count(1, 100) = 3
    hours_per_volunteer: Real(gt=0.0, le=80.0) = 2.0
    minutes_per_contact: Real(1.0, 480.0) = 60.0
    types: TypeList = ["social", "digital_help"]
    slots: Slots = Field(["evening", "saturday"], min_length=1, max_length=3)
    carpool_lifts_per_volunteer: Real(0.0, 50.0) = 1.0
    reach_min: Real(gt=0.0, le=TRIP_MIN) = 10.0
    # durability: yearly dissolution hazard under a full cut of the co-production money
    cofunding_dependence: Real(0.0, RATE_PER_YEAR) = 0.0
    # transfer kits: a share of the inciter money copies associations that serve well
    transfer_kit_share: Share = 0.0
    transfer_kit_cost: Real(1.0, COST) = 5000.0
    transfer_min_use: Share = 0.5
    # tailored engagement: mission-based volunteers beside the regular ones
    mission_share: Share = 0.0
    mission_potential_factor: Real(1.0, 20.0) = 3.0
    mission_hours_per_volunteer: Real(gt=0.0, le=80.0) = 0.5
    mission_quit_per_year: Real(0.0, RATE_PER_YEAR) = 1.0
    mission_offer_share: Share = 0.0
    mission_offer_retention: Real(1.0, 100.0) = 3.0


class InformationConfig(Section):
    """Awareness dynamics: word of mouth, information spending, orientation at service points."""

    spending_per_1000_per_week: Real(0.0, PER_1000) = 0.0
    learn_per_euro: Real(0.0, 1.0) = 0.001
    orientation: Share = 0.02
    forget_per_year: Real(0.0, RATE_PER_YEAR) = 0.2
    # 0: spending acts at once; else years of full spending before it has its full effect
    years_to_full_effect: Real(0.0, 30.0) = 0.0


class TransportConfig(Section):
    """Demand-responsive transport for residents without a car."""

    tad: Literal["none", "villages", "all"] = "none"
    tad_speed_kmh: Real(10.0, SPEED_KMH) = 45.0
    tad_wait_min: Real(0.0, 240.0) = 15.0
    trips_per_1000_per_week: Real(0.0, 1000.0) = 2.0
    cost_per_trip: Real(0.0, UNIT_COST) = 25.0




class ChannelMix(Section):
    """How public provision (*faire*) spends its money: shares of the envelope by channel.

    With ``enabled``, the counts and amounts of the channels follow from the money and the
    territory (``softsim.placement.buy_capacity``): pop-up modules, mobile-agent hours, buses,
    booked-ride credit, information and rollout money, and the fixed sites' capacity. The
    absolute values of those sections are then ignored (except the nominal sizes and prices);
    without it they are an explicit override.
    """

    enabled: bool = False
    sites: Share = 1.0
    modules: Share = 0.0
    mobile: Share = 0.0
    bus: Share = 0.0
    tad: Share = 0.0
    information: Share = 0.0
    rollout: Share = 0.0

    @model_validator(mode="after")
    def _shares(self) -> Self:
        total = sum(getattr(self, c) for c in CHANNELS)
        if self.enabled and abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"budget.mix: channel shares ({', '.join(CHANNELS)}) must sum to 1, "
                f"got {total:.4f}"
            )
        return self


class BudgetConfig(Section):
    """Governance postures as shares of a budget that is never exceeded.

    Without ``per_1000_per_week`` nothing is capped: costs are only reported. ``mix`` shares
    the *faire* envelope among channels of public provision (used only with a budget).
    """

    per_1000_per_week: Real(0.0, PER_1000) | None = None
    faire: Share = 1.0
    faire_faire: Share = 0.0
    faire_avec: Share = 0.0
    inciter: Share = 0.0
    laisser_faire: Share = 0.0
    delegation_efficiency: Real(gt=0.0, le=2.0) = 0.85
    delegated_types: TypeList = ["social", "employment", "admin"]
    delegated_where: Where = "poles_and_bourgs"
    delegated_count: Count(1, 1000) = 4
    delegated_cost_per_capacity: Real(1.0, UNIT_COST) = 18.0
    delegated_fixed_cost_per_week: Real(0.0, COST) = 600.0
    cofunding_effect: Real(0.0, 100.0) = 1.0
    incentive_effect: Real(0.0, 100.0) = 1.0
    mix: ChannelMix = ChannelMix()

    @model_validator(mode="after")
    def _shares(self) -> Self:
        total = self.faire + self.faire_faire + self.faire_avec + self.inciter + self.laisser_faire
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"budget: posture shares (faire, faire_faire, faire_avec, inciter, "
                f"laisser_faire) must sum to 1, got {total:.4f}"
            )
        return self


Weight = Real(0.001, 1000.0)


class PrioritiesConfig(Section):
    """Weights in the allocation order (a weight of 2 goes first twice as often)."""

    types: dict[Name, Weight] = {}
    publics: dict[
        PriorityGroup,
        Weight,
    ] = {}
    # by accessibility (softsim.accessibility): 0 = off, else the extra weight of the farthest
    accessibility: Real(0.0, 100.0) = 0.0
    accessibility_from_min: Real(0.0, TRIP_MIN) = 15.0
    accessibility_full_min: Real(0.0, TRIP_MIN) = 45.0

    @model_validator(mode="after")
    def _accessibility_ramp(self) -> Self:
        if self.accessibility_full_min <= self.accessibility_from_min:
            raise ValueError(
                "priorities.accessibility_full_min: expected more than "
                "priorities.accessibility_from_min"
            )
        return self


class LocationConfig(Section):
    """Where the fixed sites go (``as_configured`` keeps each site group's own rule)."""

    strategy: Literal[
        "as_configured", "single_pole", "multi_bourg", "specialised_poles", "itinerance"
    ] = "as_configured"


class Shock(Section):
    """A dated exogenous event."""

    kind: Literal["plant_closure", "epidemic", "budget_cut"]
    week: Weeks
    magnitude: Real(0.0, 10.0) = 0.5
    duration_weeks: Count(1, 1560) = 26
    radius_km: Real(gt=0.0, le=1000.0) = 15.0


class FuturesConfig(Section):
    """Exogenous trends and shocks (a "future" of ``configs/futures/``)."""

    name: Name = "none"
    description: str = Field("", max_length=10_000)
    need_growth_per_year: Real(-0.5, 1.0) = 0.0
    budget_trend_per_year: Real(-0.5, 1.0) = 0.0
    volunteer_trend_per_year: Real(-0.5, 1.0) = 0.0
    broadband_rollout_per_year: Share = 0.0
    shocks: list[Shock] = Field([], max_length=100)
    mission_shift_per_year: Real(-1.0, 1.0) = 0.0


class ReceptionConfig(Section):
    """Reception levels: first-level sites resolve a share of requests and orient the rest.

    A need of one of ``types`` served at a site of a ``first_level`` group is resolved there
    with probability ``resolve_share`` (per type, else ``default_resolve_share``; times the
    site's quality when ``site_quality.affects`` includes the resolution); otherwise it is
    *oriented*: it stays pending as a second-level request that only sites of the
    ``second_level`` groups serve, from ``delay_weeks`` later, within ``tolerance_factor`` ×
    the type's tolerance. Off while ``first_level`` is empty.
    """

    first_level: list[Name] = Field([], max_length=100)
    second_level: list[Name] = Field([], max_length=100)
    types: TypeList = []
    resolve_share: dict[Name, Share] = {}
    default_resolve_share: Share = 0.7
    delay_weeks: Count(1, 52) = 1
    tolerance_factor: Real(1.0, 5.0) = 1.0


class SiteQualityConfig(Section):
    """Site quality by local dynamism: pooled sites are not all equally good.

    Each site of the ``groups`` draws once a dynamism index ``q = exp(σ z)`` (``z`` standard
    normal, stream ``site_quality``), normalised to mean 1 over those sites; ``affects`` says
    whether it multiplies their capacity (the group's total kept), their first-level
    resolution share (capped at 1), or both. Neutral while ``dynamism_sd`` is 0.
    """

    groups: list[Name] = Field([], max_length=100)
    dynamism_sd: Real(0.0, 3.0) = 0.0
    affects: Literal["capacity", "resolution", "both"] = "both"


class BackOfficeConfig(Section):
    """A back office shared by the sites of the ``pooled`` groups (economies of scale).

    A standalone site pays its own back office: ``share`` of its capacity cost. Pooled sites
    pay instead one shared back office, ``fixed_cost_per_week + (1 − marginal_saving) ×
    share × their capacity cost``, so its cost per contact falls with the pooled volume.
    Off while ``pooled`` is empty.
    """

    pooled: list[Name] = Field([], max_length=100)
    share: Share = 0.3
    fixed_cost_per_week: Real(0.0, COST) = 1500.0
    marginal_saving: Share = 0.4


class Objective(Section):
    """A target a scenario must meet on a reported metric (see :mod:`softsim.objectives`).

    ``metric`` is a key of :data:`softsim.metric_registry.METRICS` or ``<group>.<field>`` of a
    group table (e.g. ``age_75plus.coverage_latent``).
    """

    metric: str = Field(min_length=1, max_length=200)
    direction: Literal["at_least", "at_most"]
    target: Real(-1e12, 1e12)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, v: str) -> str:
        from softsim.metric_registry import objective_metric

        objective_metric(v)  # raises ValueError naming what is expected
        return v


def _default_services() -> dict[str, ServiceType]:
    return {
        "social": ServiceType(
            rate_per_year=[0, 0.25, 0.35, 0.30, 0.20, 0.25],
            digitisable=0.5,
            home_visit=True,
            patience_weeks=4,
            awareness=0.66,
        ),
        "employment": ServiceType(
            rate_per_year=[0, 0.60, 0.35, 0.30, 0.05, 0],
            digitisable=0.6,
            patience_weeks=4,
            awareness=0.90,
        ),
        "health": ServiceType(
            rate_per_year=[0, 0.20, 0.25, 0.30, 0.40, 0.60],
            digitisable=0.6,
            home_visit=True,
            patience_weeks=4,
            awareness=0.80,
        ),
        "admin": ServiceType(
            rate_per_year=[0, 0.50, 0.50, 0.45, 0.40, 0.35],
            digitisable=0.7,
            patience_weeks=8,
            awareness=0.95,
        ),
        "childhood": ServiceType(
            rate_per_year=[0, 0.15, 0.40, 0.10, 0.02, 0],
            digitisable=0.5,
            patience_weeks=6,
            awareness=0.85,
        ),
        "digital_help": ServiceType(
            rate_per_year=[0, 0.05, 0.05, 0.08, 0.15, 0.25],
            digitisable=0.0,
            home_visit=True,
            patience_weeks=4,
            awareness=0.60,
        ),
    }


def _default_sites() -> dict[str, SiteGroup]:
    return {
        "social_offices": SiteGroup(types=["social", "childhood"], count=3, capacity_per_1000=2.6),
        "employment_agencies": SiteGroup(types=["employment"], count=2, capacity_per_1000=1.5),
        "health_insurance": SiteGroup(
            types=["health"], where="poles", count=1, capacity_per_1000=1.6
        ),
        "town_services": SiteGroup(types=["admin", "digital_help"], count=4, capacity_per_1000=2.4),
    }


EDIT_ACTIONS = ("add_site", "remove_site", "module", "mobile_base")
"""What a dated edit does at its commune (see :mod:`softsim.edits`)."""


class Edit(Section):
    """One dated edit of the territory: an actor placed at (or removed from) a commune.

    ``commune`` is the commune's code (INSEE code on a real territory, the generator's id
    otherwise); ``group`` names the site group of a site edit (default: the first group
    with sites). Week 0 is the initial placement.
    """

    week: Weeks = 0
    action: Literal[EDIT_ACTIONS]
    commune: str = Field(min_length=1, max_length=20)
    group: Name | None = None


class Config(Section):
    """All parameters of one run (a scenario, resolved: no ``extends`` is left)."""

    name: str = Field("custom", min_length=1, max_length=200)
    description: str = Field("", max_length=10_000)
    territory: TerritoryConfig = TerritoryConfig()
    travel: TravelConfig = TravelConfig()
    population: PopulationConfig = PopulationConfig()
    services: dict[Name, ServiceType] = Field(default_factory=_default_services)
    sites: dict[Name, SiteGroup] = Field(default_factory=_default_sites, max_length=100)
    digital: DigitalConfig = DigitalConfig()
    residents: ResidentsConfig = ResidentsConfig()
    simulation: SimulationConfig = SimulationConfig()
    location: LocationConfig = LocationConfig()
    modules: ModulesConfig = ModulesConfig()
    orchestrator: OrchestratorConfig = OrchestratorConfig()
    mobile: MobileConfig = MobileConfig()
    bus: BusConfig = BusConfig()
    associations: AssociationsConfig = AssociationsConfig()
    information: InformationConfig = InformationConfig()
    transport: TransportConfig = TransportConfig()
    budget: BudgetConfig = BudgetConfig()
    priorities: PrioritiesConfig = PrioritiesConfig()
    futures: FuturesConfig = FuturesConfig()
    reception: ReceptionConfig = ReceptionConfig()
    site_quality: SiteQualityConfig = SiteQualityConfig()
    back_office: BackOfficeConfig = BackOfficeConfig()
    edits: list[Edit] = Field(default_factory=list, max_length=1000)
    objectives: dict[Name, Objective] = Field(default_factory=dict, max_length=100)

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        if not 1 <= len(self.services) <= 16:
            raise ValueError("services: expected between 1 and 16 service types")
        typed = [(f"sites.{name}.types", g.types) for name, g in self.sites.items()]
        typed += [
            ("modules.types", self.modules.types),
            ("bus.types", self.bus.types),
            ("associations.types", self.associations.types),
            ("budget.delegated_types", self.budget.delegated_types),
            ("priorities.types", list(self.priorities.types)),
        ]
        if self.digital.mediation_type is not None:
            typed.append(("digital.mediation_type", [self.digital.mediation_type]))
        for field_name, types in typed:
            for t in types:
                if t not in self.services:
                    raise ValueError(
                        f"{field_name}: unknown service type {t!r} "
                        f"(expected one of {', '.join(self.services)})"
                    )
        for i, shock in enumerate(self.futures.shocks):
            if shock.week >= self.weeks:
                raise ValueError(
                    f"futures.shocks.{i}.week: {shock.week} is after the horizon "
                    f"(expected < {self.weeks} weeks)"
                )
        self._check_need_rates()
        self._check_edits()
        return self

    @model_validator(mode="after")
    def _network_checks(self) -> Self:
        check_network(self)
        return self

    def _check_edits(self) -> None:
        for i, e in enumerate(self.edits):
            if e.week >= self.weeks:
                raise ValueError(
                    f"edits.{i}.week: {e.week} is after the horizon (expected < {self.weeks} weeks)"
                )
            if e.group is not None and e.action not in ("add_site", "remove_site"):
                raise ValueError(f"edits.{i}.group: only a site edit names a group")
            if e.group is not None and e.group not in self.sites:
                raise ValueError(
                    f"edits.{i}.group: unknown site group {e.group!r} "
                    f"(expected one of {', '.join(self.sites)})"
                )

    def _check_need_rates(self) -> None:
        growth = max(1.0, (1.0 + self.futures.need_growth_per_year) ** self.simulation.years)
        for band in range(len(self.population.age_shares)):
            total = sum(s.rate_per_year[band] for s in self.services.values()) * growth
            if total > MAX_NEEDS_PER_YEAR:
                raise ValueError(
                    f"services.*.rate_per_year: {total:.4g} needs per resident per year aged "
                    f"{AGE_BANDS[band]} (all types, with futures.need_growth_per_year over the "
                    f"horizon), expected at most {MAX_NEEDS_PER_YEAR:g}"
                )

    @property
    def service_names(self) -> list[str]:
        """Service type names in config order (their index is the type id)."""
        return list(self.services)

    @property
    def weeks(self) -> int:
        """Number of weekly steps of the run."""
        return self.simulation.years * self.simulation.weeks_per_year
