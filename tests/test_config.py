"""Config loading: validation errors in one line naming the field, overrides, inheritance."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import SMALL
from softsim.config import (
    Config,
    ConfigError,
    config_sha256,
    list_scenarios,
    load_config,
    parse_override,
)
from softsim.config import loading as loading_module


def _error(*overrides: str, scenario: str = "hard", **sections) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(scenario, list(overrides), **sections)
    msg = str(info.value)
    assert "\n" not in msg, msg
    return msg


# ----------------------------------------------------------------- errors


def test_unknown_key():
    msg = _error("territory.colour=1")
    assert "territory.colour" in msg and "unknown key" in msg


def test_unknown_top_level_section():
    assert "weather" in _error("weather.rain=1")


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ('territory.n_communes="many"', "territory.n_communes"),
        ("territory.n_communes=30.5", "territory.n_communes"),
        ("travel.road_speed_kmh=[80, 90]", "travel.road_speed_kmh"),
        ('digital.enabled="maybe"', "digital.enabled"),
        ('residents.priority="youngest_first"', "residents.priority"),
        ("population.employment_rate=0.5", "population.employment_rate"),
        ("territory=3", "territory"),
    ],
)
def test_wrong_type(override, field):
    msg = _error(override)
    assert f"{field}:" in msg


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("territory.n_communes=2", "territory.n_communes"),
        ("population.scale=1.5", "population.scale"),
        ("population.scale=0", "population.scale"),
        ("residents.dependent_tolerance_factor=-0.1", "residents.dependent_tolerance_factor"),
        ("simulation.years=0", "simulation.years"),
        ("travel.detour_factor=0.5", "travel.detour_factor"),
        ("population.low_digital_skill=[0, 0, 0, 0, 0, 1.5]", "population.low_digital_skill"),
        ("population.dependency=[0, 0, 0]", "population.dependency"),
        ("sites.social_offices.count=-1", "sites.social_offices.count"),
    ],
)
def test_out_of_range(override, field):
    assert field in _error(override)


def test_bourg_threshold_above_pole_threshold():
    msg = _error("territory.bourg_min_population=20000", "territory.pole_min_population=5000")
    assert "territory.bourg_min_population" in msg


def test_unknown_scenario_lists_the_known_ones():
    msg = _error(scenario="no_such_scenario")
    assert "no_such_scenario" in msg and "hard" in msg


def test_site_group_with_unknown_service_type():
    msg = _error(sites={"kiosks": {"types": ["admin", "teleportation"]}})
    assert "sites.kiosks.types" in msg and "teleportation" in msg


def test_age_shares_must_sum_to_one():
    msg = _error("population.age_shares=[0.2, 0.2, 0.2, 0.2, 0.2, 0.2]")
    assert "population.age_shares" in msg and "1.2" in msg


def test_errors_in_a_file_name_the_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "hard"\n[territory]\nn_communes = "lots"\n')
    msg = _error(scenario=str(path))
    assert "mine" in msg and "territory.n_communes" in msg


def test_invalid_toml_is_one_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[territory\nn_communes = 3\n")
    assert "broken.toml" in _error(scenario=str(path))


def test_missing_file(tmp_path):
    assert "not found" in _error(scenario=str(tmp_path / "absent.toml"))


def test_extends_cycle_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(loading_module, "scenario_dir", lambda: tmp_path)
    (tmp_path / "a.toml").write_text('extends = "b"\n')
    (tmp_path / "b.toml").write_text('extends = "a"\n')
    msg = _error(scenario="a")
    assert "cycle" in msg and "extends" in msg


def test_extends_cycle_through_paths(tmp_path):
    (tmp_path / "a.toml").write_text(f'extends = "{(tmp_path / "b.toml").as_posix()}"\n')
    (tmp_path / "b.toml").write_text(f'extends = "{(tmp_path / "a.toml").as_posix()}"\n')
    assert "cycle" in _error(scenario=str(tmp_path / "a.toml"))


# ----------------------------------------------------------------- --set overrides


@pytest.mark.parametrize(
    ("text", "path", "value"),
    [
        ("territory.n_communes=30", ["territory", "n_communes"], 30),
        ("population.scale = 0.25", ["population", "scale"], 0.25),
        ("digital.enabled=false", ["digital", "enabled"], False),
        ("population.age_shares=[0.5, 0.5]", ["population", "age_shares"], [0.5, 0.5]),
        ('territory.spec="dep:23"', ["territory", "spec"], "dep:23"),
        ("territory.spec=dep:23", ["territory", "spec"], "dep:23"),  # bare string fallback
        ('name="a=b"', ["name"], "a=b"),
        ("sites.x.types=['admin']", ["sites", "x", "types"], ["admin"]),
    ],
)
def test_parse_override(text, path, value):
    got_path, got_value = parse_override(text)
    assert got_path == path
    assert got_value == value
    assert type(got_value) is type(value)


@pytest.mark.parametrize("text", ["territory.n_communes", "=3", " . =3"])
def test_parse_override_rejects_malformed(text):
    with pytest.raises(ConfigError) as info:
        parse_override(text)
    assert "section.key=value" in str(info.value)


def test_overrides_are_applied():
    cfg = load_config("hard", [*SMALL, "digital.enabled=false", "sites.town_services.count=7"])
    assert cfg.territory.population == 3000
    assert cfg.territory.n_communes == 30
    assert cfg.simulation.years == 1
    assert cfg.weeks == 52
    assert cfg.digital.enabled is False
    assert cfg.sites["town_services"].count == 7
    assert cfg.sites["town_services"].types == ["admin", "digital_help"]  # rest of group kept


def test_last_override_wins():
    cfg = load_config("hard", ["simulation.years=2", "simulation.years=3"])
    assert cfg.simulation.years == 3


@pytest.mark.parametrize(
    "override", ["population.no_car.pole=0.3", "services.social.awareness=0.9"]
)
def test_override_of_one_nested_key_keeps_the_other_defaults(override):
    cfg = load_config("hard", [override])
    base = load_config("hard")
    if override.startswith("population"):
        assert cfg.population.no_car.pole == 0.3
        assert cfg.population.no_car.village == base.population.no_car.village
    else:
        assert cfg.services["social"].awareness == 0.9
        assert cfg.services["social"].rate_per_year == base.services["social"].rate_per_year
        assert list(cfg.services) == list(base.services)


# ----------------------------------------------------------------- scenarios and inheritance


def test_hard_sites_are_the_default_sites():
    # docs/parameters.md: hard.toml restates the default site groups; a partial table merges
    # into the defaults, so their capacity_per_1000 (not restated) is kept.
    hard, default = load_config("hard"), Config()
    assert hard.sites == default.sites


def test_hard_services_are_the_defaults():
    hard, default = load_config("hard"), Config()
    assert hard.services == default.services
    assert list(hard.sites) == list(default.sites)
    for name, group in hard.sites.items():
        assert group.types == default.sites[name].types
        assert group.count == default.sites[name].count


def test_extends_inherits_and_overrides(tmp_path):
    path = tmp_path / "bigger.toml"
    path.write_text(
        'extends = "hard"\n'
        "[territory]\nn_communes = 40\n"
        "[sites.town_services]\ncount = 9\n"
    )
    child, parent = load_config(str(path)), load_config("hard")
    assert "extends" not in child.model_dump()
    assert child.territory.n_communes == 40
    assert child.territory.population == parent.territory.population
    assert child.sites["town_services"].count == 9
    assert child.sites["town_services"].types == parent.sites["town_services"].types
    assert child.sites["social_offices"] == parent.sites["social_offices"]
    assert child.services == parent.services


def test_two_level_extends(tmp_path):
    (tmp_path / "mid.toml").write_text('extends = "hard"\n[simulation]\nyears = 2\n')
    (tmp_path / "leaf.toml").write_text(
        f'extends = "{(tmp_path / "mid.toml").as_posix()}"\n[territory]\nn_communes = 50\n'
    )
    cfg = load_config(str(tmp_path / "leaf.toml"))
    assert (cfg.simulation.years, cfg.territory.n_communes) == (2, 50)
    assert cfg.sites == load_config("hard").sites


def test_extending_scenario_is_named_after_its_file(tmp_path):
    path = tmp_path / "bigger.toml"
    path.write_text('extends = "hard"\n[territory]\nn_communes = 40\n')
    assert load_config(str(path)).name == "bigger"


def test_explicit_name_in_an_extending_file(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('extends = "hard"\nname = "mine"\n')
    assert load_config(str(path)).name == "mine"


# ----------------------------------------------------------------- hash


def test_config_sha256_stable_and_sensitive():
    a = config_sha256(load_config("hard", SMALL))
    b = config_sha256(load_config("hard", SMALL))
    assert a == b
    assert len(a) == 64 and int(a, 16) >= 0
    assert config_sha256(load_config("hard", [*SMALL, "territory.n_communes=31"])) != a
    assert config_sha256(load_config("hard", [*SMALL, "digital.effort_min=10.5"])) != a
    assert config_sha256(load_config("hard", list(reversed(SMALL)))) == a


@pytest.mark.slow  # starts fresh interpreters
def test_config_sha256_stable_across_processes():
    code = (
        "from softsim.config import load_config, config_sha256;"
        f"print(config_sha256(load_config('hard', {SMALL!r})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert out.stdout.strip() == config_sha256(load_config("hard", SMALL))


def test_every_bundled_scenario_loads():
    scenarios = list_scenarios()
    assert "hard" in scenarios
    for name, description in scenarios.items():
        cfg = load_config(name)
        assert cfg.name == name
        assert description and "\n" not in description


# ----------------------------------------------------------------- strict types and bounds


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("simulation.years=true", "simulation.years"),
        ('simulation.years="2"', "simulation.years"),
        ("simulation.years=2.0", "simulation.years"),
        ("population.scale=true", "population.scale"),
        ('population.scale="0.5"', "population.scale"),
        ("digital.enabled=1", "digital.enabled"),
        ("territory.spec=3", "territory.spec"),
        ("services.social.rate_per_year=[0, 0.2, 0.2, true, 0.2, 0.2]",
         "services.social.rate_per_year.3"),
        ('sites.town_services.count="4"', "sites.town_services.count"),
        ("budget.per_1000_per_week=false", "budget.per_1000_per_week"),
    ],
)
def test_strict_types(override, field):
    assert f"{field}:" in _error(override)


def test_an_int_for_a_float_is_accepted():
    cfg = load_config("hard", ["travel.road_speed_kmh=70", "budget.per_1000_per_week=300"])
    assert cfg.travel.road_speed_kmh == 70.0 and isinstance(cfg.travel.road_speed_kmh, float)
    assert cfg.budget.per_1000_per_week == 300.0


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "+nan", "1e308", "-1e308"])
@pytest.mark.parametrize(
    "field",
    [
        "sites.town_services.capacity_per_1000",
        "travel.road_speed_kmh",
        "budget.per_1000_per_week",
        "information.spending_per_1000_per_week",
        "futures.need_growth_per_year",
        "territory.population",
        "modules.count",
    ],
)
def test_non_finite_or_huge_numbers_name_the_field(field, value):
    msg = _error(f"{field}={value}")
    assert f"{field}:" in msg


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "1e5", "53"])
def test_need_rate_in_a_band_is_bounded(value):
    msg = _error(f"services.social.rate_per_year=[0, {value}, 0.2, 0.2, 0.2, 0.2]")
    assert "services.social.rate_per_year.1:" in msg


def test_need_rates_summed_over_types_are_bounded():
    rates = "[0, 20, 0.2, 0.2, 0.2, 0.2]"
    msg = _error(f"services.social.rate_per_year={rates}",
                 f"services.health.rate_per_year={rates}",
                 f"services.admin.rate_per_year={rates}")
    assert "rate_per_year" in msg and "15-29" in msg and "52" in msg


def test_need_growth_over_the_horizon_is_bounded():
    # 1.45 needs a year at 75+, doubled every year for 30 years
    msg = _error("simulation.years=30", futures={"need_growth_per_year": 1.0})
    assert "need_growth_per_year" in msg and "rate_per_year" in msg
    assert load_config("hard", ["simulation.years=30"], futures={"need_growth_per_year": 0.02})


def _numeric_fields(tp, path="", meta=()):
    """Every number of a config type, as (path, type, constraints), through sub-models,
    dicts (``*``), lists, unions and ``Annotated``."""
    import types
    import typing

    from pydantic import BaseModel

    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(tp)
        return _numeric_fields(inner, path, (*meta, *extra))
    if origin in (typing.Union, types.UnionType):
        return [f for a in typing.get_args(tp) if a is not type(None)
                for f in _numeric_fields(a, path, meta)]
    if origin is dict:
        return _numeric_fields(typing.get_args(tp)[1], f"{path}.*")
    if origin is list:
        return _numeric_fields(typing.get_args(tp)[0], path)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [f for name, info in tp.model_fields.items()
                for f in _numeric_fields(info.annotation, f"{path}.{name}".lstrip("."),
                                         tuple(info.metadata))]
    if tp in (int, float):
        return [(path, tp, meta)]
    return []


def _bounds(meta):
    from pydantic.fields import FieldInfo

    meta = [c for m in meta for c in (m.metadata if isinstance(m, FieldInfo) else [m])]
    lower = [getattr(m, a) for m in meta for a in ("ge", "gt") if getattr(m, a, None) is not None]
    upper = [getattr(m, a) for m in meta for a in ("le", "lt") if getattr(m, a, None) is not None]
    return (lower[0] if lower else None), (upper[0] if upper else None)


def test_every_number_has_both_bounds():
    from softsim.config import Config

    numeric = _numeric_fields(Config)
    paths = {path for path, _, _ in numeric}
    assert {"services.*.rate_per_year", "budget.per_1000_per_week", "simulation.seed",
            "priorities.types.*", "futures.shocks.week", "population.age_shares"} <= paths
    assert len(numeric) > 100
    unbounded = [path for path, _, meta in numeric if None in _bounds(meta)]
    assert unbounded == []


def test_every_range_is_documented():
    import re
    from pathlib import Path

    from pydantic.fields import FieldInfo

    from softsim.config import Config

    doc = (Path(__file__).parent.parent / "docs" / "parameters.md").read_text()
    assert "\n## Ranges\n" in doc
    ranges = doc.split("\n## Ranges\n", 1)[1].split("\n## ", 1)[0]
    for path, _, meta in _numeric_fields(Config):
        rows = [line for line in ranges.splitlines() if line.startswith(f"| `{path}` |")]
        assert len(rows) == 1, path
        cell = rows[0].split("|")[2]
        found = re.findall(r"-?\d[\d,]*(?:\.\d+)?", cell.split("(")[0])
        numbers = [float(n) if "." in n else int(n) for n in (f.replace(",", "") for f in found)]
        assert numbers == list(_bounds(meta)), (path, cell)
        strict_lower = any(
            getattr(c, "gt", None) is not None
            for m in meta for c in (m.metadata if isinstance(m, FieldInfo) else [m])
        )
        assert ("< x" in cell) == strict_lower, (path, cell)


# ----------------------------------------------------------------- files


def test_latin1_scenario_is_one_line(tmp_path):
    path = tmp_path / "accents.toml"
    path.write_bytes('extends = "hard"\ndescription = "Créteil"\n'.encode("latin-1"))
    msg = _error(scenario=str(path))
    assert "accents.toml" in msg and "UTF-8" in msg


def test_folder_as_scenario_is_one_line(tmp_path):
    folder = tmp_path / "scenarios.toml"
    folder.mkdir()
    assert "folder" in _error(scenario=str(folder))
    assert "folder" in _error(scenario=str(tmp_path))


def test_unreadable_parent_is_one_line(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('extends = "missing_parent.toml"\n')
    msg = _error(scenario=str(path))
    assert "missing_parent.toml" in msg and "not found" in msg


# ----------------------------------------------------------------- extends resolved away


def test_set_extends_is_refused():
    msg = _error("extends=network")
    assert msg.startswith("--set extends") and "refused" in msg


def test_extends_as_a_section_is_refused():
    assert "extends" in _error(extends="network")


def test_resolved_config_has_no_extends():
    from softsim.config import config_to_dict

    for name in list_scenarios():
        assert "extends" not in config_to_dict(load_config(name))


def test_hash_does_not_depend_on_the_parents_name(tmp_path):
    from softsim.config import scenario_dir

    (tmp_path / "baseline_copy.toml").write_text((scenario_dir() / "hard.toml").read_text())
    soft = (scenario_dir() / "soft.toml").read_text()
    assert 'extends = "hard"' in soft
    (tmp_path / "soft.toml").write_text(soft.replace('"hard"', '"baseline_copy.toml"'))
    copy = load_config(str(tmp_path / "soft.toml"))
    assert copy == load_config("soft")
    assert config_sha256(copy) == config_sha256(load_config("soft"))


def test_relative_extends_resolves_from_the_file_not_the_cwd(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "base.toml").write_text('extends = "hard"\n[simulation]\nyears = 2\n')
    (tmp_path / "a" / "b").mkdir()
    (tmp_path / "a" / "b" / "leaf.toml").write_text('extends = "../base.toml"\n')
    monkeypatch.chdir(tmp_path)
    assert load_config("a/b/leaf.toml").simulation.years == 2


def test_relative_csv_spec_is_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "communes.csv").write_text("code,name,population,lon,lat\n")
    (tmp_path / "here" / "mine.toml").write_text(
        'extends = "hard"\n[territory]\nspec = "communes.csv"\n'
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    from_file = load_config(str(tmp_path / "here" / "mine.toml"))
    assert from_file.territory.spec == str(tmp_path / "here" / "communes.csv")
    from_set = load_config("hard", ['territory.spec="data/x.csv"'])
    assert from_set.territory.spec == str(tmp_path / "elsewhere" / "data" / "x.csv")
    assert load_config("hard", ['territory.spec="dep:23"']).territory.spec == "dep:23"


# ----------------------------------------------------------------- the seed


def test_seed_is_recorded_but_not_hashed():
    from softsim.config import config_to_dict, with_seed

    cfg = load_config("hard", SMALL)
    seeded = with_seed(cfg, 12)
    assert cfg.simulation.seed is None and "seed" not in config_to_dict(cfg)["simulation"]
    assert config_to_dict(seeded)["simulation"]["seed"] == 12
    assert config_sha256(seeded) == config_sha256(cfg)


def test_explicit_seed_wins_over_the_config_which_wins_over_the_default():
    from softsim.config import resolve_seed

    cfg = load_config("hard", [*SMALL, "simulation.seed=5"])
    assert resolve_seed(cfg, None)[1] == 5
    assert resolve_seed(cfg, 9)[1] == 9 and resolve_seed(cfg, 9)[0].simulation.seed == 9
    assert resolve_seed(load_config("hard", SMALL), None)[1] == 1


@pytest.mark.parametrize("value", ["-1", "true", '"3"', "1.5", "1e30"])
def test_bad_seed_in_the_config(value):
    assert "simulation.seed:" in _error(f"simulation.seed={value}")


# ----------------------------------------------------------------- runs with nothing to simulate


def test_default_configs_are_runnable():
    from softsim.config import check_runnable

    for name in list_scenarios():
        check_runnable(load_config(name))
    check_runnable(load_config("hard", ["population.scale=0.001"]))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (["population.scale=1e-6"], "population.scale"),
        (["territory.population=100", "population.scale=0.005"], "population.scale"),
        (["population.age_shares=[1, 0, 0, 0, 0, 0]"], "rate_per_year"),
        (["population.age_shares=[0, 0, 0, 0, 0, 1]",
          *(f"services.{s}.rate_per_year=[1, 1, 1, 1, 1, 0]"
            for s in ("social", "employment", "health", "admin", "childhood", "digital_help"))],
         "rate_per_year"),
    ],
)
def test_runs_with_nothing_to_simulate_are_refused(overrides, field):
    from softsim.config import check_runnable

    cfg = load_config("hard", overrides)
    with pytest.raises(ConfigError) as info:
        check_runnable(cfg)
    msg = str(info.value)
    assert "\n" not in msg and field in msg


def test_territory_with_no_resident_is_refused():
    from types import SimpleNamespace

    import numpy as np

    from softsim.config import check_territory

    cfg = load_config("hard", ["population.scale=0.01"])
    tiny = SimpleNamespace(population=np.array([20, 30, 49]), label="mine.csv")
    with pytest.raises(ConfigError) as info:
        check_territory(cfg, tiny)
    assert "population.scale" in str(info.value) and "mine.csv" in str(info.value)
    check_territory(cfg, SimpleNamespace(population=np.array([20, 30, 51]), label="x"))
