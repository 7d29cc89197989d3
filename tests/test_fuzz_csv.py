"""Fuzzing territory CSVs: the loader and the CLI give a territory or one line, never a crash.

Rows are generated with out-of-range and non-finite coordinates, huge, negative and empty
populations, empty cells and duplicate codes. The contract (README, "Bad input"): either a valid
territory (the CLI exits 0 with its outputs), or a :class:`TerritoryError` of one line naming the
file (the CLI exits 2 with that line and writes nothing).
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import examples
from softsim.cli import main
from softsim.config import load_config
from softsim.errors import TerritoryError
from softsim.territory.real import from_csv

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**12), 10**12).map(str),
    st.sampled_from(["", " ", "nan", "NaN", "inf", "-inf", "1e308", "-0", "abc", "1,5", "1e-320"]),
)
LON = st.one_of(st.floats(1.5, 2.5).map(lambda v: f"{v:.4f}"), NUMBER_TEXT)
LAT = st.one_of(st.floats(45.5, 46.5).map(lambda v: f"{v:.4f}"), NUMBER_TEXT)
POP = st.one_of(st.integers(0, 5000).map(str), NUMBER_TEXT)
CODE = st.sampled_from(["", "001", "002", "003", "004", "005", "006", "2A004", " 007 "])
NAME = st.one_of(
    st.sampled_from(["", "Alpha", "Saint-Éloi", "a,b", 'quote"d']), st.text(max_size=8)
)
ROW = st.tuples(CODE, NAME, POP, LON, LAT)


def _write(path: Path, rows, header=("code", "name", "population", "lon", "lat")) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
    return path


def _finite_in_range(value: str, lo: float, hi: float) -> bool:
    try:
        v = float(value)
    except ValueError:
        return False
    return math.isfinite(v) and lo <= v <= hi


CFG = load_config("hard")


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=0, max_size=12))
@example(rows=[("001", "A", "10", "500", "46"), ("002", "B", "10", "2", "46")])
@example(rows=[("001", "A", "10", "2", "-95"), ("002", "B", "10", "2", "46")])
@example(rows=[("001", "A", "1e308", "2", "46"), ("002", "B", "10", "2", "46")])
@example(rows=[("001", "A", "0", "2", "46"), ("002", "B", "0", "2.1", "46")])
@example(rows=[("001", "A", "5", "2", "46"), ("001", "B", "5", "2.1", "46")])
@example(rows=[("001", "A", "5", "2", "46"), ("002", "B", "5", "2", "46")])  # same position
def test_loader_returns_a_valid_territory_or_one_line(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "fuzz.csv", rows)
        try:
            t = from_csv(path, CFG.territory, CFG.travel)
        except TerritoryError as exc:
            msg = str(exc)
            assert "\n" not in msg and str(path) in msg
            return
    # accepted: every value was usable, and the territory is sound
    assert t.n == len(rows) >= 2
    assert len(set(t.code.tolist())) == t.n
    for _, _, pop, lon, lat in rows:
        assert _finite_in_range(pop, 0, 3_000_000)
        assert _finite_in_range(lon, -180, 180)
        assert _finite_in_range(lat, -90, 90)
    assert t.population.sum() > 0 and (t.population >= 0).all()
    for matrix in (t.car_min, t.nocar_min, t.road_km):
        assert np.isfinite(matrix).all() and (matrix >= 0).all()
    assert np.isfinite(t.x_km).all() and np.isfinite(t.y_km).all()


GOOD = [(f"00{i}", f"C{i}", str(300 + 50 * i), f"{2 + 0.05 * i:.3f}", f"{46 + 0.04 * (i % 3):.3f}")
        for i in range(1, 7)]


@pytest.mark.parametrize(
    "rows",
    [
        GOOD,
        [*GOOD[:-1], ("006", "far", "100", "6.0", "43.0")],  # far commune: a warning, exit 0
        [*GOOD[:-1], ("006", "X", "100", "500", "46.0")],
        [*GOOD[:-1], ("006", "X", "100", "2.1", "-95")],
        [*GOOD[:-1], ("006", "X", "1e308", "2.1", "46.0")],
        [*GOOD[:-1], ("006", "X", "nan", "2.1", "46.0")],
        [*GOOD[:-1], ("006", "X", "100", "", "46.0")],
        [*GOOD[:-1], ("001", "X", "100", "2.1", "46.0")],
        [(c, n, "0", lo, la) for c, n, _, lo, la in GOOD],
    ],
    ids=["valid", "far", "lon500", "lat-95", "pop1e308", "popnan", "lonempty", "dupcode",
         "nobody"],
)
def test_cli_gives_outputs_or_one_line_and_nothing(tmp_path, capsys, rows):
    csv_path = _write(tmp_path / "t.csv", rows)
    out = tmp_path / "out"
    code = main(["run", "hard", "--territory", str(csv_path), "--years", "1", "--quiet",
                 "--set", "budget.per_1000_per_week=100000", "--out", str(out)])
    _, err = capsys.readouterr()
    if code == 0:
        assert (out / "summary.json").is_file()
        assert (out / "communes.parquet").is_file()
        assert (out / "figures" / "coverage_map.png").stat().st_size > 1000
    else:
        assert code == 2
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "t.csv" in lines[0]
        assert "Traceback" not in err
        assert not out.exists()
    expected_ok = rows is GOOD or rows[-1][1] == "far"
    assert (code == 0) == expected_ok
