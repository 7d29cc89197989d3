"""The bundled communes table: complete, plausible, and matching its sanity figures.

The same checks (``table_problems``) would have failed on the table bundled before the
coordinate revision: ``communes_old_bad_rows.csv`` keeps a few of its rows, verbatim.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from softsim.territory.real import communes_table, far_communes, table_problems

OLD_BAD_ROWS = Path(__file__).parent / "data" / "communes_old_bad_rows.csv"
USED = ["code", "name", "dep", "population", "lon", "lat", "area_km2"]

# Communes whose nearest neighbour in their département is legitimately far (islands), or whose
# position is a town hall with no polygon to check it against (area_km2 = 0).
FAR_EXCEPTIONS = {
    "29083": "Île-de-Sein (island)",
    "29084": "Île-Molène (island)",
    "85113": "Île-d'Yeu (island)",
    "97110": "La Désirade (island)",
    "49126": "Orée d'Anjou (no polygon, area 0)",
}


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return communes_table()


@pytest.fixture(scope="module")
def old_table(table) -> pd.DataFrame:
    """The current table with the fixture's old rows put back in place of the corrected ones."""
    old = pd.read_csv(OLD_BAD_ROWS, dtype={"code": str, "dep": str, "epci": str})
    return pd.concat([table[~table["code"].isin(old["code"])], old], ignore_index=True)


def test_no_missing_or_non_finite_value_in_the_columns_used(table):
    assert table[USED].notna().all().all()
    for col in ("population", "lon", "lat", "area_km2"):
        assert np.isfinite(table[col].to_numpy(float)).all(), col
    assert (table["code"].str.len() == 5).all()
    assert table["code"].is_unique
    assert (table["name"].str.strip() != "").all()


def test_values_within_their_ranges(table):
    assert (table["population"] >= 0).all()
    assert table["population"].max() < 3_000_000  # Paris: 2.1 M
    # metropolitan France and the overseas départements
    metro = ~table["dep"].str.startswith("97")
    assert table.loc[metro, "lon"].between(-5.2, 9.6).all()
    assert table.loc[metro, "lat"].between(41.3, 51.1).all()
    assert (table["area_km2"] >= 0).all()
    assert set(table.loc[table["area_km2"] == 0, "code"]) == {"12218", "49126", "69114"}


def test_sanity_figures(table):
    assert len(table) == 34_852
    assert table["population"].sum() == pytest.approx(66.5e6, rel=0.002)
    counts = table.groupby("dep").size()
    assert counts["23"] == 255  # Creuse
    assert counts["75"] == 1  # Paris
    assert table["townhall_hours_per_week"].median() == pytest.approx(13.0, abs=0.5)


def test_every_commune_is_within_its_departement(table):
    problems = table_problems(table)
    assert set(problems["problem"]) <= {"far from its département"}
    assert dict.fromkeys(problems["code"]).keys() == FAR_EXCEPTIONS.keys()


def test_the_checks_flag_the_old_bad_rows(old_table):
    problems = table_problems(old_table)
    flagged = problems.groupby("code")["problem"].agg(set)
    for code in ("29044", "56034", "57073", "65118"):  # wrong positions
        assert flagged[code] == {"far from its département"}, code
    for code in ("42084", "56098"):  # no coordinates
        assert flagged[code] == {"missing or not finite"}, code
    assert set(problems.loc[problems["code"] == "56098", "column"]) == {"lon", "lat"}


def test_far_communes_on_a_known_layout():
    # a 5 × 5 lattice 3 km apart (area 9 km² each) and one commune 40 km away from it
    gx, gy = np.meshgrid(np.arange(5) * 3.0, np.arange(5) * 3.0)
    x = np.append(gx.ravel(), 52.0)
    y = np.append(gy.ravel(), 6.0)
    area = np.full(26, 9.0)
    far = far_communes(x, y, area)
    assert far.tolist() == [False] * 25 + [True]
    # nearest neighbour at 3 km, bound 3·√9 + 5 = 14 km: 13.9 km is not far, 14.1 km is
    assert not far_communes(np.array([0.0, 13.9]), np.zeros(2), np.full(2, 9.0)).any()
    assert far_communes(np.array([0.0, 14.1]), np.zeros(2), np.full(2, 9.0)).all()
