"""Typed, validated parameters of a run, and how scenario TOML files become them.

The package is cut by concept:

* :mod:`softsim.config.types` — vocabularies (age bands, slots, commune classes) and the
  bounded number types;
* :mod:`softsim.config.sections` — every section and the :class:`Config` that gathers them;
* :mod:`softsim.config.loading` — TOML reading, ``extends``, ``--set``, hashing, the seed;
* :mod:`softsim.config.scaling` — the actors scaled like residents at ``population.scale`` < 1;
* :mod:`softsim.config.checks` — refusal of runs with nothing to simulate.

Everything public is importable from ``softsim.config``.
"""

from softsim.config.checks import check_runnable, check_territory
from softsim.config.loading import (
    DEFAULT_SEED,
    config_sha256,
    config_to_dict,
    list_scenarios,
    load_config,
    parse_override,
    read_toml,
    resolve_seed,
    scenario_dir,
    with_seed,
)
from softsim.config.scaling import scale_actors, scale_caveat
from softsim.config.sections import (
    AssociationsConfig,
    BudgetConfig,
    BusConfig,
    ChannelMix,
    Config,
    DigitalConfig,
    FuturesConfig,
    InformationConfig,
    LocationConfig,
    MobileConfig,
    ModulesConfig,
    Objective,
    OrchestratorConfig,
    PerClass,
    PopulationConfig,
    PrioritiesConfig,
    ResidentsConfig,
    Section,
    ServiceType,
    Shock,
    SimulationConfig,
    SiteGroup,
    TerritoryConfig,
    TransportConfig,
    TravelConfig,
)
from softsim.config.types import (
    AGE_BANDS,
    CLASSES,
    MAX_NEEDS_PER_YEAR,
    SLOTS,
    PerBand,
    Share,
    SharePerBand,
    SlotName,
    Weeks,
)
from softsim.errors import ConfigError

__all__ = [
    "AGE_BANDS",
    "SLOTS",
    "CLASSES",
    "MAX_NEEDS_PER_YEAR",
    "DEFAULT_SEED",
    "Config",
    "ConfigError",
    "Section",
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
    "BudgetConfig",
    "ChannelMix",
    "PrioritiesConfig",
    "LocationConfig",
    "Shock",
    "FuturesConfig",
    "Objective",
    "Share",
    "SharePerBand",
    "PerBand",
    "SlotName",
    "Weeks",
    "check_runnable",
    "check_territory",
    "config_sha256",
    "config_to_dict",
    "list_scenarios",
    "load_config",
    "parse_override",
    "read_toml",
    "resolve_seed",
    "scale_actors",
    "scale_caveat",
    "scenario_dir",
    "with_seed",
]
