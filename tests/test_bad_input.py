"""Bad input to the soft mechanisms: one line naming the field, exit 2, nothing written.

Expected values are derived by hand; a tolerance is never read off the code under test.
"""

from __future__ import annotations

import pytest

from mechanism_helpers import SMALL
from softsim.cli import main
from softsim.config import ConfigError, load_config

BAD_INPUT = [
    (["modules.move_weeks=-1"], {}, "modules.move_weeks"),
    (["modules.retype_weeks=-2"], {}, "modules.retype_weeks"),
    (['modules.types=["social", "nosuch"]'], {}, "modules.types"),
    (['bus.types=["nosuch"]'], {}, "bus.types"),
    ([], {"futures": {"shocks": [{"kind": "epidemic", "week": 60}]}}, "futures.shocks.0.week"),
    (["budget.faire=0.5"], {}, "budget"),
    (["orchestrator.data_quality=1.5"], {}, "orchestrator.data_quality"),
    (["mobile.agents=-1"], {}, "mobile.agents"),
]


@pytest.mark.parametrize(("overrides", "sections", "field"), BAD_INPUT)
def test_bad_input_is_a_one_line_config_error_naming_the_field(overrides, sections, field):
    with pytest.raises(ConfigError) as info:
        load_config("soft", [*SMALL, *overrides], **sections)
    message = str(info.value)
    assert "\n" not in message
    assert field in message


def test_budget_error_says_the_shares_must_sum_to_one():
    with pytest.raises(ConfigError) as info:
        load_config("soft", ["budget.faire=0.5"])
    assert "budget" in str(info.value) and "sum to 1" in str(info.value)


def test_a_shock_inside_the_horizon_is_accepted():
    cfg = load_config("soft", SMALL, futures={"shocks": [{"kind": "epidemic", "week": 51}]})
    assert cfg.futures.shocks[0].week == 51 == cfg.weeks - 1


@pytest.mark.parametrize(("overrides", "sections", "field"), BAD_INPUT)
def test_bad_input_on_the_command_line_exits_2_and_writes_nothing(
    tmp_path, capsys, overrides, sections, field
):
    out = tmp_path / "results" / "never"
    argv = ["run", "soft", "--years", "1", "--quiet", "--no-figures", "--out", str(out)]
    for text in overrides:
        argv += ["--set", text]
    if sections:
        future = tmp_path / "future.toml"
        future.write_text('[[shocks]]\nkind = "epidemic"\nweek = 60\n')
        argv += ["--future", str(future)]
    code = main(argv)
    stdout, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert field in lines[0] and "Traceback" not in err
    assert not (tmp_path / "results").exists()
