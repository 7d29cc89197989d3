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
