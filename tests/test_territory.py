"""Territories: generators, the bundled communes file, user CSVs, travel matrices."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softsim.config import TravelConfig, load_config
from softsim.errors import TerritoryError
from softsim.rng import SeedTree
from softsim.territory import build_territory
from softsim.territory.core import BOURG, POLE, VILLAGE
from softsim.territory.generators import grid, synthetic
from softsim.territory.real import communes_table


def _cfg(*overrides: str):
    return load_config("hard", list(overrides))


def _build(*overrides: str, seed: int = 1):
    cfg = _cfg(*overrides)
    return build_territory(cfg.territory, cfg.travel, SeedTree(seed))


def is_connected(n: int, edges: np.ndarray) -> bool:
    """Breadth-first search over the road segments."""
    neighbours = [[] for _ in range(n)]
    for a, b in edges.tolist():
        neighbours[a].append(b)
        neighbours[b].append(a)
    seen = {0}
    queue = deque([0])
    while queue:
        for j in neighbours[queue.popleft()]:
            if j not in seen:
                seen.add(j)
                queue.append(j)
    return len(seen) == n


def expected_classes(population, pole_min, bourg_min):
    cls = []
    for p in population.tolist():
        cls.append(POLE if p >= pole_min else BOURG if p >= bourg_min else VILLAGE)
    cls[int(np.argmax(population))] = POLE  # the largest commune is always a pole
    return cls


def check_territory(t, tcfg):
    assert len(t.code) == len(t.name) == len(t.x_km) == len(t.cls) == t.n
    assert len(set(t.code.tolist())) == t.n
    assert is_connected(t.n, t.edges)
    assert t.cls.tolist() == expected_classes(
        t.population, tcfg.pole_min_population, tcfg.bourg_min_population
    )
    for name in ("car_min", "nocar_min", "road_km"):
        matrix = getattr(t, name)
        assert matrix.shape == (t.n, t.n)
        assert np.all(np.isfinite(matrix)) and np.all(matrix >= 0)


# ----------------------------------------------------------------- generators


@settings(max_examples=25)
@given(
    n=st.integers(4, 80),
    population=st.integers(100, 200_000),
    n_bourgs=st.integers(0, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_synthetic_population_classes_connected(n, population, n_bourgs, seed):
    cfg = _cfg(f"territory.n_communes={n}", f"territory.population={population}",
               f"territory.n_bourgs={n_bourgs}")
    t = synthetic(cfg.territory, cfg.travel, np.random.default_rng(seed))
    assert t.n == n
    assert int(t.population.sum()) == population
    assert np.all(t.population >= 0)
    assert np.all((t.x_km >= 0) & (t.x_km <= cfg.territory.side_km))
    check_territory(t, cfg.territory)


@settings(max_examples=15)
@given(k=st.integers(2, 12), population=st.integers(100, 100_000), seed=st.integers(0, 1000))
def test_grid_population_roads_classes(k, population, seed):
    cfg = _cfg(f"territory.grid_size={k}", f"territory.population={population}")
    t = grid(cfg.territory, cfg.travel, np.random.default_rng(seed))
    assert t.n == k * k
    assert int(t.population.sum()) == population
    assert len(t.edges) == 2 * k * (k - 1)
    h = cfg.territory.grid_spacing_km
    for a, b in t.edges.tolist():  # every road joins lattice neighbours
        assert math.hypot(t.x_km[a] - t.x_km[b], t.y_km[a] - t.y_km[b]) == pytest.approx(h)
    check_territory(t, cfg.territory)


def test_synthetic_is_seeded():
    a, b, c = (_build("territory.n_communes=30", seed=s) for s in (5, 5, 6))
    assert np.array_equal(a.x_km, b.x_km) and np.array_equal(a.population, b.population)
    assert not np.array_equal(a.x_km, c.x_km)


def test_default_synthetic_classes_do_not_depend_on_the_seed():
    # docs/parameters.md: sizes come from a deterministic Zipf split, so the default synthetic
    # territory always has 2 poles, 10 bourgs and 238 villages; only positions change.
    a, b = _build(seed=1), _build(seed=2)
    for t in (a, b):
        assert np.bincount(t.cls, minlength=3).tolist() == [2, 10, 238]
        assert t.n == 250 and int(t.population.sum()) == 120_000
    assert sorted(a.population.tolist()) == sorted(b.population.tolist())
    assert not np.array_equal(a.x_km, b.x_km)


# ----------------------------------------------------------------- real territories


def test_creuse_has_255_communes():
    t = _build('territory.spec="dep:23"')
    assert t.n == 255
    assert t.label == "dep:23"
    assert all(code.startswith("23") for code in t.code.tolist())
    table = communes_table()
    assert int(t.population.sum()) == int(table.loc[table["dep"] == "23", "population"].sum())
    assert t.attribution
    check_territory(t, _cfg().territory)


def test_department_code_normalisation():
    assert _build('territory.spec="dep:1"').label == "dep:01"
    assert _build('territory.spec="dep:2a"').label == "dep:2A"


@pytest.mark.parametrize("spec", ["dep:99", "dep:ZZ", "epci:000000000"])
def test_unknown_area_is_a_one_line_territory_error(spec):
    with pytest.raises(TerritoryError) as info:
        _build(f'territory.spec="{spec}"')
    msg = str(info.value)
    assert "\n" not in msg
    assert spec.split(":")[1] in msg


def test_unknown_spec_is_a_territory_error():
    with pytest.raises(TerritoryError, match="nowhere"):
        _build('territory.spec="nowhere"')


# ----------------------------------------------------------------- user CSVs

GOOD_ROWS = [
    "001,Alpha,1000,2.00,46.00",
    "002,Beta,500,2.10,46.05",
    "003,Gamma,200,2.05,46.10",
    "004,Delta,50,2.20,46.00",
]
HEADER = "code,name,population,lon,lat"


def _csv(tmp_path, lines, name="communes.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _from_csv(path):
    return _build(f'territory.spec="{path.as_posix()}"')


def _csv_error(tmp_path, lines) -> str:
    with pytest.raises(TerritoryError) as info:
        _from_csv(_csv(tmp_path, lines))
    msg = str(info.value)
    assert "\n" not in msg
    return msg


def test_valid_csv(tmp_path):
    t = _from_csv(_csv(tmp_path, [HEADER, *GOOD_ROWS]))
    assert t.code.tolist() == ["001", "002", "003", "004"]  # leading zeros kept
    assert t.population.tolist() == [1000, 500, 200, 50]
    assert t.name.tolist() == ["Alpha", "Beta", "Gamma", "Delta"]
    check_territory(t, _cfg().territory)


def test_csv_missing_column(tmp_path):
    lines = ["code,name,population,lon"] + [r.rsplit(",", 1)[0] for r in GOOD_ROWS]
    msg = _csv_error(tmp_path, lines)
    assert "missing column" in msg and "lat" in msg


def test_csv_duplicate_code(tmp_path):
    rows = list(GOOD_ROWS)
    rows[2] = "002,Gamma,200,2.05,46.10"  # the third data row = line 4 of the file
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "row 4" in msg and "code" in msg and "002" in msg


@pytest.mark.parametrize("value", ["", "NaN", "abc"])
def test_csv_unusable_population(tmp_path, value):
    rows = list(GOOD_ROWS)
    rows[1] = f"002,Beta,{value},2.10,46.05"  # line 3
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "row 3" in msg and "population" in msg


def test_csv_negative_population(tmp_path):
    rows = list(GOOD_ROWS)
    rows[3] = "004,Delta,-5,2.20,46.00"  # line 5
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "row 5" in msg and "population" in msg and "-5" in msg


def test_csv_error_shows_the_value_as_written(tmp_path):
    rows = list(GOOD_ROWS)
    rows[3] = "004,Delta,-5,2.20,46.00"
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "np." not in msg


def test_csv_bad_coordinate(tmp_path):
    rows = list(GOOD_ROWS)
    rows[0] = "001,Alpha,1000,2.00,"  # line 2, no latitude
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "row 2" in msg and "lat" in msg


def test_csv_empty_and_missing_file(tmp_path):
    assert "no commune" in _csv_error(tmp_path, [HEADER])
    with pytest.raises(TerritoryError, match="not found"):
        _from_csv(tmp_path / "absent.csv")


# ----------------------------------------------------------------- travel matrices


@pytest.fixture(scope="module")
def small_territory():
    return _build("territory.n_communes=40", "territory.population=20000", seed=3)


def _access_km(t):
    """Mean distance to the centre of a disc of the commune's area: 2R/3."""
    return (2.0 / 3.0) * np.sqrt(np.maximum(t.area_km2, 0.01) / np.pi)


def test_diagonal_is_access_only(small_territory):
    t = small_territory
    travel = TravelConfig()
    access_min = _access_km(t) / travel.intra_commune_speed_kmh * 60.0
    assert np.diag(t.car_min) == pytest.approx(access_min, rel=1e-5)
    assert np.diag(t.road_km) == pytest.approx(_access_km(t), rel=1e-5)
    assert np.diag(t.nocar_min) == pytest.approx(_access_km(t) / travel.nocar_speed_kmh * 60,
                                                 rel=1e-5)


def test_road_part_is_symmetric_and_a_metric(small_territory):
    t = small_territory
    for matrix in (t.car_min, t.road_km):
        road = matrix.astype(np.float64) - np.diag(matrix)[:, None]
        assert road == pytest.approx(road.T, abs=1e-3)
        assert np.diag(road) == pytest.approx(0.0, abs=1e-6)
        off = road[~np.eye(t.n, dtype=bool)]
        assert np.all(off > 0)
        # shortest paths: no detour through a third commune is shorter
        via = (road[:, :, None] + road[None, :, :]).min(axis=1)
        assert np.all(road <= via + 1e-3)


def test_car_time_is_at_least_the_straight_line_at_top_speed(small_territory):
    t = small_territory
    travel = TravelConfig()
    road = t.car_min.astype(np.float64) - np.diag(t.car_min)[:, None]
    straight = np.hypot(t.x_km[:, None] - t.x_km[None, :], t.y_km[:, None] - t.y_km[None, :])
    top = max(travel.road_speed_kmh, travel.local_road_speed_kmh)
    assert np.all(road >= straight * travel.detour_factor / top * 60.0 - 1e-3)


def test_no_car_is_slower_than_car(small_territory):
    t = small_territory
    assert np.all(t.nocar_min > t.car_min)
    off = ~np.eye(t.n, dtype=bool)
    assert np.all(t.nocar_min[off] >= TravelConfig().nocar_wait_min)


def test_largest_commune_is_the_central_pole(small_territory):
    t = small_territory
    big = int(np.argmax(t.population))
    assert t.cls[big] == POLE
    side = _cfg().territory.side_km
    assert big == int(np.argmin(np.hypot(t.x_km - side / 2, t.y_km - side / 2)))
    assert t.stats()["communes"] == 40
    assert t.stats()["population"] == 20000


@pytest.mark.parametrize(
    ("row", "column", "shown"),
    [
        ("002,Beta,500,500,46.05", "lon", "500"),
        ("002,Beta,500,-180.5,46.05", "lon", "-180.5"),
        ("002,Beta,500,2.10,-95", "lat", "-95"),
        ("002,Beta,500,2.10,inf", "lat", "inf"),
        ("002,Beta,1e308,2.10,46.05", "population", "1e308"),
        ("002,Beta,3000001,2.10,46.05", "population", "3000001"),
        ("002,Beta,-inf,2.10,46.05", "population", "-inf"),
    ],
)
def test_csv_out_of_range_values(tmp_path, row, column, shown):
    rows = list(GOOD_ROWS)
    rows[1] = row  # line 3
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "row 3" in msg and f"{column} = '{shown}'" in msg and "communes.csv" in msg
    assert "expected a number in [" in msg


def test_csv_population_bounds_are_inclusive(tmp_path):
    rows = list(GOOD_ROWS)
    rows[0] = "001,Alpha,3000000,180,90"
    rows[1] = "002,Beta,0,-180,-90"
    t = _from_csv(_csv(tmp_path, [HEADER, *rows]))
    assert t.population.tolist() == [3_000_000, 0, 200, 50]


def test_csv_out_of_range_area(tmp_path):
    rows = [HEADER + ",area_km2"] + [r + ",10" for r in GOOD_ROWS]
    rows[4] = "004,Delta,50,2.20,46.00,-1"
    msg = _csv_error(tmp_path, rows)
    assert "row 5" in msg and "area_km2 = '-1'" in msg


def test_csv_empty_code_and_empty_name(tmp_path):
    rows = list(GOOD_ROWS)
    rows[2] = ",Gamma,200,2.05,46.10"
    assert "row 4: code is empty" in _csv_error(tmp_path, [HEADER, *rows])
    rows = list(GOOD_ROWS)
    rows[2] = "003,,200,2.05,46.10"
    t = _from_csv(_csv(tmp_path, [HEADER, *rows], name="noname.csv"))
    assert t.name.tolist() == ["Alpha", "Beta", "003", "Delta"]


def test_csv_with_nobody_is_refused(tmp_path):
    rows = [r.replace(r.split(",")[2], "0", 1) for r in GOOD_ROWS]
    msg = _csv_error(tmp_path, [HEADER, *rows])
    assert "every population is 0" in msg


def test_csv_folder_and_binary_file(tmp_path):
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    with pytest.raises(TerritoryError, match="is a folder"):
        _from_csv(folder)
    binary = tmp_path / "bin.csv.gz"
    binary.write_bytes(b"\x1f\x8b\x08not really gzip")
    with pytest.raises(TerritoryError, match="not a readable CSV"):
        _from_csv(binary)


def test_csv_far_commune_is_a_warning_with_its_row(tmp_path, caplog):
    rows = [*GOOD_ROWS, "005,Faraway,80,6.00,43.00"]  # line 6, ~500 km from the others
    with caplog.at_level("WARNING", logger="softsim"):
        t = _from_csv(_csv(tmp_path, [HEADER, *rows], name="far.csv"))
    assert t.n == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "far.csv: row 6: commune 005 is " in warnings[0]
    assert "km from the nearest other commune" in warnings[0]
    assert "\n" not in warnings[0]


def test_csv_far_commune_found_without_area_column(tmp_path, caplog):
    # 1.9° east of Beta (46.05° N): 1.9 × 111.2 km × cos 46° ≈ 147 km. The bounding box would
    # hide it (its own spread makes every commune look huge); the typical spacing does not
    rows = [*GOOD_ROWS[:3], "009,East,80,4.00,46.05"]
    with caplog.at_level("WARNING", logger="softsim"):
        _from_csv(_csv(tmp_path, [HEADER, *rows], name="east.csv"))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "east.csv: row 5: commune 009 is 147 km" in warnings[0]


def test_csv_without_far_commune_warns_nothing(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="softsim"):
        _from_csv(_csv(tmp_path, [HEADER, *GOOD_ROWS], name="near.csv"))
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
