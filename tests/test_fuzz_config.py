"""Fuzzing ``--set``: any override gives a valid config or one line naming the field.

In-process through :func:`softsim.config.load_config` (many examples, fast), and through the
command line for a handful of examples (exit 0 with outputs, or exit 2 with one line and
nothing written).
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import examples
from softsim.cli import main
from softsim.config import Config, ConfigError, config_to_dict, load_config


def _leaf_keys(node, prefix=()):
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaf_keys(value, (*prefix, key))
    else:
        yield ".".join(prefix)


KNOWN_KEYS = sorted(set(_leaf_keys(config_to_dict(load_config("soft")))))
"""Every key of a resolved config, e.g. ``sites.town_services.count``."""

ODD_KEYS = [
    "extends",
    "territory",
    "services.social",
    "services.new_type.rate_per_year",
    "sites.kiosks.count",
    "futures.shocks",
    "simulation.seed",
    "weather.rain",
    "territory.colour",
    "priorities.types.social",
    "priorities.publics.age_75plus",
    "population.no_car.pole.extra",
]


def _toml_float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(_toml_float),
    st.sampled_from(["0", "-0.0", "1e308", "-1e308", "5e-324", "nan", "+inf", "-inf", "52",
                     "53", "1e5", "0.5", "1"]),
)
scalars = st.one_of(
    numbers,
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(max_size=12).map(json.dumps),  # a TOML string (or unparseable: kept as raw text)
    st.text(max_size=12),  # anything at all
)
values = st.one_of(
    scalars,
    st.lists(numbers, min_size=0, max_size=8).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.lists(scalars, min_size=0, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
    st.just("{ a = 1 }"),
    st.just("1979-05-27"),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(ODD_KEYS))


def _check(overrides: list[str]) -> None:
    try:
        cfg = load_config("hard", overrides)
    except ConfigError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, msg
        first = overrides[-1].split("=", 1)[0].strip().split(".")[0]
        assert any(o.split("=", 1)[0].strip().split(".")[0] in msg for o in overrides), (
            first,
            msg,
        )
        return
    assert isinstance(cfg, Config)
    for number in _numbers_of(config_to_dict(cfg)):
        assert math.isfinite(number)


def _numbers_of(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _numbers_of(v)
    elif isinstance(node, list):
        for v in node:
            yield from _numbers_of(v)
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield node


@settings(max_examples=examples(250))
@given(key=keys, value=values)
@example(key="sites.town_services.capacity_per_1000", value="inf")
@example(key="sites.town_services.capacity_per_1000", value="1e308")
@example(key="services.social.rate_per_year", value="[0, 1e308, 0, 0, 0, 0]")
@example(key="simulation.years", value="true")
@example(key="simulation.years", value='"2"')
@example(key="extends", value="network")
def test_one_override_gives_a_config_or_one_line(key, value):
    _check([f"{key}={value}"])


@settings(max_examples=examples(100))
@given(st.lists(st.tuples(keys, values), min_size=2, max_size=4))
def test_several_overrides_give_a_config_or_one_line(pairs):
    _check([f"{k}={v}" for k, v in pairs])


@settings(max_examples=examples(100))
@given(text=st.text(max_size=30))
def test_any_override_text_gives_a_config_or_one_line(text):
    try:
        load_config("hard", [text])
    except ConfigError as exc:
        assert "\n" not in str(exc)


# ----------------------------------------------------------------- the command line, in-process

CLI_SMALL = ["--set", "territory.population=3000", "--set", "territory.n_communes=30",
             "--years", "1", "--no-figures", "--quiet"]


def _cli(tmp_path, capsys, override: str) -> tuple[int, str, object]:
    out = tmp_path / "run"
    code = main(["run", "hard", *CLI_SMALL, "--set", override, "--out", str(out)])
    _, err = capsys.readouterr()
    return code, err, out


@pytest.mark.parametrize(
    "override",
    [
        "sites.town_services.capacity_per_1000=inf",
        "sites.town_services.capacity_per_1000=1e308",
        "services.social.rate_per_year=[0, 1e308, 0, 0, 0, 0]",
        "services.social.rate_per_year=[0, 1e5, 0, 0, 0, 0]",
        "simulation.years=true",
        'simulation.years="2"',
        "population.scale=nan",
        "extends=network",
        "budget.per_1000_per_week=-1",
    ],
)
def test_cli_refuses_bad_overrides_in_one_line(tmp_path, capsys, override):
    code, err, out = _cli(tmp_path, capsys, override)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("softsim: error: ")
    assert override.split("=")[0] in err
    assert not out.exists()


@pytest.mark.parametrize(
    "override",
    ["sites.town_services.capacity_per_1000=7", "travel.road_speed_kmh=70"],
)
def test_cli_runs_good_overrides(tmp_path, capsys, override):
    code, _, out = _cli(tmp_path, capsys, override)
    assert code == 0
    assert (out / "summary.json").is_file() and (out / "config.toml").is_file()


@pytest.mark.parametrize("kind", ["latin-1", "folder", "missing", "folder.toml"])
def test_cli_refuses_unreadable_scenarios_in_one_line(tmp_path, capsys, kind):
    scenario = tmp_path / "mine.toml"
    if kind == "latin-1":
        scenario.write_bytes('extends = "hard"\ndescription = "Créteil"\n'.encode("latin-1"))
    elif kind == "folder":
        scenario = tmp_path
    elif kind == "folder.toml":
        scenario.mkdir()
    out = tmp_path / "run"
    code = main(["run", str(scenario), *CLI_SMALL, "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and str(scenario) in err
    assert not out.exists()


@pytest.mark.parametrize(
    "override", ["population.scale=1e-6", "population.age_shares=[1, 0, 0, 0, 0, 0]"]
)
def test_cli_refuses_a_run_with_nothing_to_simulate(tmp_path, capsys, override):
    code, err, out = _cli(tmp_path, capsys, override)
    assert code == 2 and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.slow
@settings(max_examples=3000)
@given(st.lists(st.tuples(keys, values), min_size=1, max_size=6))
def test_many_overrides_give_a_config_or_one_line(pairs):
    _check([f"{k}={v}" for k, v in pairs])


@pytest.mark.slow
@settings(max_examples=25)
@given(key=keys, value=values)
def test_cli_gives_outputs_or_one_line(tmp_path_factory, key, value):
    out = tmp_path_factory.mktemp("fuzz") / "run"
    code = main(["run", "hard", *CLI_SMALL, "--set", f"{key}={value}", "--out", str(out)])
    assert code in (0, 2)
    assert (out / "summary.json").is_file() if code == 0 else not out.exists()

