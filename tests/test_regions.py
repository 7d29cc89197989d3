"""reg:<code> territories and lists of bundled selections."""

from __future__ import annotations

import pytest

from softsim.cli import main
from softsim.config import TerritoryConfig, TravelConfig
from softsim.errors import TerritoryError
from softsim.rng import SeedTree
from softsim.territory import build_territory
from softsim.territory.real import bundled_selection, communes_table
from softsim.territory.regions import REGIONS


def test_the_13_regions_partition_the_metropolitan_departements():
    deps = [d for _, ds in REGIONS.values() for d in ds]
    assert len(REGIONS) == 13
    assert len(deps) == len(set(deps)) == 96
    metropolitan = {d for d in communes_table()["dep"].unique() if len(d) == 2}
    assert set(deps) == metropolitan


def test_nouvelle_aquitaine_is_its_twelve_departements():
    label, df = bundled_selection("reg:75")
    assert label == "reg:75"
    assert len(df) == 4293  # issue #15: 4,293 communes, 6.0 M inhabitants
    assert 5.9e6 < df["population"].sum() < 6.1e6
    assert sorted(df["dep"].unique()) == sorted(REGIONS["75"][1])


def test_a_list_is_the_union_in_table_order():
    label, df = bundled_selection("dep:23, dep:87,dep:19")
    assert label == "dep:23,dep:87,dep:19"
    assert len(df) == sum(len(bundled_selection(f"dep:{d}")[1]) for d in ("23", "87", "19"))
    _, other = bundled_selection("dep:19,dep:87,dep:23,dep:23")
    assert other["code"].tolist() == df["code"].tolist()
    _, mixed = bundled_selection("reg:94,dep:23")
    assert len(mixed) == len(bundled_selection("reg:94")[1]) + 255


def test_a_list_builds_a_territory():
    t = build_territory(TerritoryConfig(spec="dep:23,dep:87"), TravelConfig(), SeedTree(1))
    assert t.label == "dep:23,dep:87"
    assert t.n == 255 + len(bundled_selection("dep:87")[1])


@pytest.mark.parametrize(
    "spec,words",
    [
        ("reg:99", "reg:99: unknown région code"),
        ("reg:", "reg:: unknown région code"),
        ("dep:23,,dep:87", "an empty item in the list"),
        ("dep:23,dep:999", "dep:999: unknown département code"),
        ("dep:23,nowhere", "expected dep:<code>, epci:<siren> or reg:<code>"),
    ],
)
def test_unknown_codes_are_refused_naming_the_spec(spec, words):
    with pytest.raises(TerritoryError, match=words):
        build_territory(TerritoryConfig(spec=spec), TravelConfig(), SeedTree(1))


def test_cli_refuses_an_unknown_region_in_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "hard", "--territory", "reg:99", "--years", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert code != 0
    assert "reg:99" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()
