"""Typed, validated parameters of a run, and how scenario TOML files become them.

A scenario file is a partial config: it may ``extends = "<name>"`` another scenario and only
states what differs. Defaults below are the base; ``docs/parameters.md`` gives their sources.
Unknown keys, wrong types and out-of-range values raise :class:`ConfigError` with one line that
names the field.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from softsim.errors import ConfigError
from softsim.sections import (
    AssociationsConfig,
    BudgetConfig,
    BusConfig,
    FuturesConfig,
    InformationConfig,
    LocationConfig,
    MobileConfig,
    ModulesConfig,
    OrchestratorConfig,
    PrioritiesConfig,
    TransportConfig,
)

__all__ = [
    "AGE_BANDS",
    "SLOTS",
    "Config",
    "ConfigError",
    "config_sha256",
    "load_config",
    "scenario_dir",
    "list_scenarios",
]

AGE_BANDS: tuple[str, ...] = ("0-14", "15-29", "30-44", "45-59", "60-74", "75+")
"""Age bands of residents; every per-band list in the config follows this order."""

SLOTS: tuple[str, ...] = ("weekday", "evening", "saturday")
"""Time slots of the week (bit i of a slot mask is ``SLOTS[i]``)."""

CLASSES: tuple[str, ...] = ("pole", "bourg", "village")
"""Commune classes, from the population thresholds of :class:`TerritoryConfig`."""

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
PerBand = Annotated[list[NonNegative], Field(min_length=6, max_length=6)]
SharePerBand = Annotated[list[Share], Field(min_length=6, max_length=6)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PerClass(_Section):
    """A value for each commune class."""

    pole: Share
    bourg: Share
    village: Share


class TerritoryConfig(_Section):
    """Where the run takes place.

    ``spec`` is ``synthetic`` (default), ``grid``, ``dep:<code>``, ``epci:<siren>`` or the path
    of a CSV with columns ``code,name,population,lon,lat``.
    """

    spec: str = "synthetic"
    n_communes: Annotated[int, Field(ge=4, le=3000)] = 250
    population: Annotated[int, Field(ge=100, le=20_000_000)] = 120_000
    side_km: Positive = 75.0
    n_bourgs: Annotated[int, Field(ge=0, le=200)] = 8
    zipf_exponent: Annotated[float, Field(gt=0.0, le=3.0)] = 1.1
    grid_size: Annotated[int, Field(ge=2, le=54)] = 12
    grid_spacing_km: Positive = 5.0
    pole_min_population: Annotated[int, Field(ge=1)] = 10_000
    bourg_min_population: Annotated[int, Field(ge=1)] = 1_500

    @model_validator(mode="after")
    def _thresholds(self) -> TerritoryConfig:
        if self.bourg_min_population > self.pole_min_population:
            raise ValueError(
                "territory.bourg_min_population: expected at most territory.pole_min_population"
            )
        return self


class TravelConfig(_Section):
    """Road speeds and the slower, less flexible travel of residents without a car."""

    road_speed_kmh: Positive = 80.0
    local_road_speed_kmh: Positive = 60.0
    detour_factor: Annotated[float, Field(ge=1.0, le=3.0)] = 1.15
    intra_commune_speed_kmh: Positive = 25.0
    nocar_speed_kmh: Positive = 18.0
    nocar_wait_min: NonNegative = 20.0


class PopulationConfig(_Section):
    """Who the residents are (per age band lists follow :data:`AGE_BANDS`)."""

    scale: Annotated[float, Field(gt=0.0, le=1.0)] = 1.0
    age_shares: SharePerBand = [0.175, 0.174, 0.186, 0.199, 0.170, 0.096]
    employment_rate: SharePerBand = [0.0, 0.50, 0.82, 0.80, 0.18, 0.0]
    low_digital_skill: SharePerBand = [0.0, 0.03, 0.06, 0.08, 0.20, 0.62]
    dependency: SharePerBand = [0.0, 0.0, 0.0, 0.004, 0.016, 0.17]
    no_car: PerClass = PerClass(pole=0.20, bourg=0.12, village=0.07)
    no_car_factor_75plus: Annotated[float, Field(ge=1.0, le=10.0)] = 2.0
    broadband: PerClass = PerClass(pole=0.97, bourg=0.90, village=0.78)
    commute_decay_min: Positive = 20.0
    shop_decay_min: Positive = 12.0

    @field_validator("age_shares")
    @classmethod
    def _sum_to_one(cls, v: list[float]) -> list[float]:
        if abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"expected shares summing to 1, got {sum(v):.4f}")
        return v


class ServiceType(_Section):
    """One type of need and of service (social, employment, ...)."""

    rate_per_year: PerBand
    digitisable: Share = 0.5
    home_visit: bool = False
    patience_weeks: Annotated[int, Field(ge=1, le=104)] = 4
    awareness: Share = 0.8
    tolerance_min: Positive = 45.0


class SiteGroup(_Section):
    """A family of fixed sites placed by one rule (e.g. the social-services offices)."""

    types: Annotated[list[str], Field(min_length=1)]
    where: Literal["poles", "bourgs", "poles_and_bourgs", "all"] = "poles_and_bourgs"
    count: Annotated[int, Field(ge=0, le=5000)] = 1
    capacity_per_1000: NonNegative = 2.0
    slots: Annotated[list[Literal["weekday", "evening", "saturday"]], Field(min_length=1)] = [
        "weekday"
    ]
    fixed_cost_per_week: NonNegative = 600.0
    cost_per_capacity: NonNegative = 18.0


class DigitalConfig(_Section):
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
    effort_min: NonNegative = 10.0
    cost_per_use: NonNegative = 2.0
    mediation_type: str | None = "digital_help"
    skill_gain: Share = 0.1
    rollout_per_1000_per_week: NonNegative = 0.0
    connection_cost: Positive = 150.0


class ResidentsConfig(_Section):
    """How residents choose and how far they go."""

    dependent_tolerance_factor: Share = 0.5
    # "not free on weekday daytime except near their workplace" (DESIGN §2): counters close
    # over lunch, so a weekday visit is an absence from work that only a site next to it allows
    work_break_min: NonNegative = 5.0
    priority: Literal["random", "oldest_first"] = "random"


class SimulationConfig(_Section):
    """Horizon of the run."""

    years: Annotated[int, Field(ge=1, le=30)] = 6
    weeks_per_year: Annotated[int, Field(ge=1, le=53)] = 52


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


class Config(_Section):
    """All parameters of one run (a scenario, resolved)."""

    name: str = "custom"
    description: str = ""
    extends: str | None = None
    territory: TerritoryConfig = TerritoryConfig()
    travel: TravelConfig = TravelConfig()
    population: PopulationConfig = PopulationConfig()
    services: dict[str, ServiceType] = Field(default_factory=_default_services)
    sites: dict[str, SiteGroup] = Field(default_factory=_default_sites)
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

    @model_validator(mode="after")
    def _cross_checks(self) -> Config:
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
        return self

    @property
    def service_names(self) -> list[str]:
        """Service type names in config order (their index is the type id)."""
        return list(self.services)

    @property
    def weeks(self) -> int:
        """Number of weekly steps of the run."""
        return self.simulation.years * self.simulation.weeks_per_year


# ---------------------------------------------------------------- loading


def scenario_dir() -> Path:
    """Folder of the bundled scenario files."""
    return Path(__file__).parent / "configs" / "scenarios"


def list_scenarios() -> dict[str, str]:
    """Bundled scenarios: name -> one-line description."""
    out = {}
    for path in sorted(scenario_dir().glob("*.toml")):
        desc = str(_read_toml(path).get("description", "")).strip()
        out[path.stem] = desc.splitlines()[0] if desc else ""
    return out


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc})") from None


def _resolve_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        return path
    candidate = scenario_dir() / f"{name_or_path}.toml"
    if not candidate.exists():
        known = ", ".join(sorted(p.stem for p in scenario_dir().glob("*.toml")))
        raise ConfigError(f"unknown scenario {name_or_path!r} (expected one of: {known})")
    return candidate


def _deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _raw_scenario(
    name_or_path: str, seen: tuple[Path, ...] = (), base_dir: Path | None = None
) -> dict:
    """A scenario file merged over its ``extends`` chain (parents first); its name is its own."""
    target = Path(name_or_path)
    if base_dir is not None and target.suffix == ".toml" and not target.is_absolute():
        target = base_dir / target
    path = _resolve_path(str(target))
    key = path.resolve()
    if key in seen:
        raise ConfigError(f"{path}: extends: cycle back to {path.name}")
    raw = _read_toml(path)
    own_name = raw.get("name", path.stem)
    parent = raw.get("extends")
    if parent is not None:
        if not isinstance(parent, str):
            raise ConfigError(f"{path}: extends: expected a scenario name or .toml path")
        raw = _deep_merge(_raw_scenario(parent, (*seen, key), path.parent), raw)
    raw["name"] = own_name
    return raw


def parse_override(text: str) -> tuple[list[str], object]:
    """Parse one ``section.key=value`` override; the value is read as TOML, else as a string."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r}: expected section.key=value")
    key, value = text.split("=", 1)
    path = [p for p in key.strip().split(".") if p]
    if not path:
        raise ConfigError(f"--set {text!r}: expected section.key=value")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return path, parsed


def _apply_override(raw: dict, path: list[str], value: object) -> None:
    node = raw
    for part in path[:-1]:
        nxt = node.setdefault(part, {})
        if not isinstance(nxt, dict):
            raise ConfigError(f"--set {'.'.join(path)}: {part!r} is not a section")
        node = nxt
    node[path[-1]] = value


def _format_validation_error(exc: ValidationError, source: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    if loc and not msg.startswith(loc):
        msg = f"{loc}: {msg}"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{source}: {msg}{more}"


def load_config(
    scenario: str = "hard",
    overrides: list[str] | None = None,
    **sections: dict,
) -> Config:
    """Resolve a scenario (bundled name or TOML path), apply overrides, validate.

    Args:
        scenario: Name of a bundled scenario or path of a TOML file.
        overrides: ``section.key=value`` strings (the CLI's ``--set``), applied last.
        **sections: Extra partial sections merged after the file, e.g. ``territory={...}``.

    Returns:
        The validated config.

    Raises:
        ConfigError: One line naming the offending file or field.
    """
    defaults = Config().model_dump(mode="json", exclude_none=True)
    for key in ("name", "description", "extends"):
        defaults.pop(key, None)
    # merged over the full defaults, so that a file or an override that sets one key of a
    # section keeps the section's other defaults
    raw = _deep_merge(_deep_merge(defaults, _raw_scenario(scenario)), sections)
    for text in overrides or []:
        path, value = parse_override(text)
        _apply_override(raw, path, value)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc, f"config {scenario!r}")) from None


def scale_actors(cfg: Config) -> Config:
    """The config as the model uses it at ``population.scale`` < 1.

    Scaling samples residents; everything counted per 1,000 residents (site capacity, budget,
    transport, information) follows by itself, but the discrete actors do not. So their
    capacity and cost are scaled by the same fraction: site fixed costs, module capacity (at
    least 1) and costs, mobile-agent hours, bus places per stop (at least 1) and bus costs.
    The result is not the user's config (outputs record that one).
    """
    s = cfg.population.scale
    if s == 1.0:
        return cfg
    out = cfg.model_copy(deep=True)
    for group in out.sites.values():
        group.fixed_cost_per_week *= s
    m = out.modules
    m.capacity = max(1, round(m.capacity * s))
    m.fixed_cost_per_week *= s
    m.move_cost *= s
    m.retype_cost *= s
    out.mobile.hours_per_week *= s
    out.bus.users_per_stop = max(1, round(out.bus.users_per_stop * s))
    out.bus.cost_per_week *= s
    out.bus.cost_per_km *= s
    return out


def config_to_dict(cfg: Config) -> dict:
    """Plain dict of a config (TOML/JSON-ready, no None values)."""
    return cfg.model_dump(mode="json", exclude_none=True)


def config_sha256(cfg: Config) -> str:
    """Hash of the resolved config (canonical JSON), stable across runs and machines."""
    blob = json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
