"""Home-visit tours of mobile agents, with tours worked out by hand.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from softsim.services import plan_tours

# Three communes: base 0, and 1, 2. Car minutes / road km (diagonal 0):
#        0    1    2              0    1    2
#   0 [  0,  10,  30]        0 [  0,   8,  25]
#   1 [ 10,   0,  15]        1 [  8,   0,  12]
#   2 [ 30,  15,   0]        2 [ 25,  12,   0]
CAR = np.array([[0, 10, 30], [10, 0, 15], [30, 15, 0]], np.float32)
KM = np.array([[0, 8, 25], [8, 0, 12], [25, 12, 0]], np.float32)
REQUESTS = [2, 1, 2]  # communes of requests 0, 1, 2, in priority order


def test_tour_by_hand_with_time_to_spare():
    # 200 min, 45 min a visit. From 0 the nearest request is #1 (10 min; 10+45+10 <= 200):
    # left 145 at commune 1. Then #0 and #2 are both 15 min away; #0 comes first in priority
    # (15+45+30 = 90 <= 145): left 85 at commune 2. Then #2 is 0 min away (0+45+30 = 75 <= 85):
    # left 40. Nothing left: drive back (30 min), 10 min unused. Legs 0-1, 1-2, 2-2, 2-0.
    served_by, km, used, legs_from, legs_to, legs_agent = plan_tours(
        REQUESTS, [0], [200.0], 45.0, CAR, KM)
    assert served_by.tolist() == [0, 0, 0]
    assert list(zip(legs_from.tolist(), legs_to.tolist(), strict=True)) == [
        (0, 1), (1, 2), (2, 2), (2, 0)]
    assert legs_agent.tolist() == [0, 0, 0, 0]
    assert km.tolist() == [8 + 12 + 0 + 25]
    assert used.tolist() == [190.0]


def test_tour_by_hand_cut_by_the_time_budget():
    # 150 min: #1 (left 95), #0 (15+45+30 = 90 <= 95: left 35), #2 needs 0+45+30 = 75 > 35.
    # Back to base: left 5. Legs 0-1, 1-2, 2-0.
    served_by, km, used, legs_from, legs_to, _ = plan_tours(
        REQUESTS, [0], [150.0], 45.0, CAR, KM)
    assert served_by.tolist() == [0, 0, -1]
    assert list(zip(legs_from.tolist(), legs_to.tolist(), strict=True)) == [
        (0, 1), (1, 2), (2, 0)]
    assert km.tolist() == [8 + 12 + 25]
    assert used.tolist() == [145.0]


def test_tours_of_two_agents_by_hand():
    # Agent 0 (base 0, 60 min) cannot fit any visit: 10+45+10 = 65 > 60, 30+45+30 > 60; no
    # legs. Agent 1 (base 2, 200 min): #0 at its base (0+45+0: left 155), #2 likewise (left
    # 110), then #1 at commune 1 (15+45+15 = 75 <= 110: left 50), back to 2 (left 35).
    served_by, km, used, legs_from, legs_to, legs_agent = plan_tours(
        REQUESTS, [0, 2], [60.0, 200.0], 45.0, CAR, KM)
    assert served_by.tolist() == [1, 1, 1]
    assert km.tolist() == [0.0, 0 + 0 + 12 + 12]
    assert used.tolist() == [0.0, 165.0]
    assert list(zip(legs_from.tolist(), legs_to.tolist(), strict=True)) == [
        (2, 2), (2, 2), (2, 1), (1, 2)]
    assert legs_agent.tolist() == [1, 1, 1, 1]


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(1, 8),
    n_req=st.integers(0, 25),
    n_agents=st.integers(1, 3),
    visit=st.sampled_from([10.0, 30.0, 45.0]),
)
def test_tours_add_up(data, n, n_req, n_agents, visit):
    # asymmetric matrices with positive diagonals, as on a real territory (in-commune access)
    car = np.array(data.draw(st.lists(st.integers(1, 90), min_size=n * n, max_size=n * n)),
                   np.float32).reshape(n, n)
    km = np.array(data.draw(st.lists(st.integers(1, 120), min_size=n * n, max_size=n * n)),
                  np.float32).reshape(n, n)
    req = data.draw(st.lists(st.integers(0, n - 1), min_size=n_req, max_size=n_req))
    base = data.draw(st.lists(st.integers(0, n - 1), min_size=n_agents, max_size=n_agents))
    minutes = data.draw(st.lists(st.floats(0.0, 600.0), min_size=n_agents, max_size=n_agents))
    served_by, km_a, used, lf, lt, la = plan_tours(req, base, minutes, visit, car, km)
    for a in range(n_agents):
        legs = [(f, t) for f, t, g in zip(lf.tolist(), lt.tolist(), la.tolist(), strict=True)
                if g == a]
        visits = int((served_by == a).sum())
        assert km_a[a] == pytest.approx(sum(float(km[f, t]) for f, t in legs), rel=1e-9)
        drive = sum(float(car[f, t]) for f, t in legs)
        assert used[a] == pytest.approx(drive + visits * visit, rel=1e-9, abs=1e-9)
        assert used[a] <= minutes[a] + 1e-9  # no agent works beyond its minutes
        if visits == 0:
            assert legs == []
            continue
        # a closed tour from the base: one leg per visit plus the way back (if not at base)
        assert legs[0][0] == base[a] and legs[-1][1] == base[a]
        assert all(legs[i][1] == legs[i + 1][0] for i in range(len(legs) - 1))
        assert len(legs) in (visits, visits + 1)
        visited = sorted(t for f, t in legs[:visits])
        assert visited == sorted(req[i] for i in np.flatnonzero(served_by == a))
