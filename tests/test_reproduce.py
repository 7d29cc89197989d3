"""A result's config.toml re-runs to a byte-identical summary (bundled and chained scenarios)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tomli_w

from conftest import SMALL
from softsim import run
from softsim.config import config_to_dict, list_scenarios, load_config, with_seed

SEED = 11


def _summary_bytes(outcomes) -> bytes:
    return json.dumps(outcomes.summary, sort_keys=True).encode()


def _rerun_from_written_config(cfg, seed, folder):
    """Run, write config.toml as a result folder does, reload it, run it with its own seed."""
    first = run(with_seed(cfg, seed), seed)
    written = folder / "config.toml"
    written.write_text(tomli_w.dumps(config_to_dict(first.config)))
    reloaded = load_config(str(written))
    assert reloaded.simulation.seed == seed
    second = run(reloaded, reloaded.simulation.seed)
    return first, second, written


@pytest.mark.parametrize("scenario", sorted(list_scenarios()))
def test_bundled_scenario_reproduces_from_its_config_toml(scenario, tmp_path):
    first, second, written = _rerun_from_written_config(
        load_config(scenario, SMALL), SEED, tmp_path
    )
    assert "extends" not in written.read_text()
    assert first.summary["counts"]["latent"] > 0
    assert _summary_bytes(first) == _summary_bytes(second)


def _communes_csv(path):
    """A small user territory: 25 communes on a jittered lattice in the Limousin."""
    rng = np.random.default_rng(3)
    lines = ["code,name,population,lon,lat"]
    for i in range(25):
        lon = 1.6 + 0.08 * (i % 5) + rng.uniform(-0.02, 0.02)
        lat = 45.9 + 0.06 * (i // 5) + rng.uniform(-0.02, 0.02)
        pop = 12_000 if i == 12 else int(rng.integers(80, 1500))
        lines.append(f"{23000 + i},Commune {i},{pop},{lon:.5f},{lat:.5f}")
    path.write_text("\n".join(lines) + "\n")


def test_chained_scenario_with_relative_paths_reproduces(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "variants").mkdir(parents=True)
    _communes_csv(project / "variants" / "communes.csv")
    (project / "base.toml").write_text(
        'extends = "soft"\n'
        'name = "base"\n'
        "[simulation]\nyears = 1\n"
        "[modules]\ncount = 3\n"
    )
    (project / "variants" / "leaf.toml").write_text(
        'extends = "../base.toml"\n'
        "[territory]\n"
        'spec = "communes.csv"\n'
        "[mobile]\nagents = 2\n"
    )
    monkeypatch.chdir(project)
    cfg = load_config("variants/leaf.toml")
    assert (cfg.name, cfg.modules.count, cfg.mobile.agents) == ("leaf", 3, 2)
    assert cfg.orchestrator.enabled  # from soft, two levels up

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the written config must not depend on the working folder
    first, second, written = _rerun_from_written_config(cfg, 4, elsewhere)
    text = written.read_text()
    assert "extends" not in text
    assert str(project / "variants" / "communes.csv") in text
    assert first.summary["residents"] > 0
    assert _summary_bytes(first) == _summary_bytes(second)


def test_cli_run_of_a_written_config_toml_reproduces_and_seed_overrides(tmp_path, capsys):
    from softsim.cli import main

    small = ["--set", "territory.population=3000", "--set", "territory.n_communes=30",
             "--years", "1", "--no-figures", "--quiet"]
    first, again, other = tmp_path / "first", tmp_path / "again", tmp_path / "other"
    assert main(["run", "soft", *small, "--seed", "7", "--out", str(first)]) == 0
    written = first / "config.toml"
    assert "seed = 7" in written.read_text() and "extends" not in written.read_text()
    assert main(["run", str(written), "--no-figures", "--quiet", "--out", str(again)]) == 0
    assert (first / "summary.json").read_bytes() == (again / "summary.json").read_bytes()
    assert main(["run", str(written), "--seed", "8", "--no-figures", "--quiet",
                 "--out", str(other)]) == 0
    assert json.loads((other / "summary.json").read_text())["seed"] == 8
    assert "seed = 8" in (other / "config.toml").read_text()
    capsys.readouterr()
