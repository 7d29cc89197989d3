"""Results on disk. The only module of softsim that writes files.

A run folder is written into a hidden temporary sibling first and renamed into place at the end,
so an interrupted or failed write leaves nothing half-written under the final name.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tomli_w

from softsim.config import config_to_dict
from softsim.errors import SoftsimError
from softsim.outcomes import Outcomes

__all__ = [
    "atomic_dir",
    "check_free",
    "write_run",
    "write_comparison",
    "write_figure",
    "git_sha",
    "RUN_FILES",
]

RUN_FILES = (
    "summary.json",
    "timeseries.parquet",
    "communes.parquet",
    "groups.parquet",
    "config.toml",
    "manifest.json",
)
"""Files every run folder holds (plus ``figures/*.png`` unless figures are turned off)."""


def git_sha() -> str | None:
    """Commit of the source tree softsim runs from, if it is a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def check_free(target: Path) -> None:
    """Raise :class:`SoftsimError` unless ``target`` is absent or an empty folder."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SoftsimError(f"{target}: already exists and is not empty (choose another --out)")


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``target`` only if the block succeeds.

    Raises:
        SoftsimError: ``target`` exists and is not empty (results are never overwritten).
    """
    target = Path(target)
    check_free(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_figure(fig, path: Path) -> Path:
    """Save a matplotlib figure as PNG, atomically (no timestamp in the metadata)."""
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise SoftsimError(f"{path}: expected a .png file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial.png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", metadata={"Software": None})
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_run(
    outcomes: Outcomes, target: Path, figures: dict | None = None, command: list[str] | None = None
) -> Path:
    """Write a run folder: summary, tables, resolved config, manifest and figures.

    Args:
        outcomes: What the run produced.
        target: The run folder to create (must not exist, or be empty).
        figures: Optional ``{name: matplotlib Figure}`` saved as ``figures/<name>.png``.
        command: The command line, recorded in the manifest.

    Returns:
        The folder written.
    """
    from softsim import __version__

    with atomic_dir(target) as tmp:
        _json(tmp / "summary.json", outcomes.summary)
        outcomes.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        outcomes.communes.to_parquet(tmp / "communes.parquet", index=False)
        outcomes.groups.to_parquet(tmp / "groups.parquet", index=False)
        (tmp / "config.toml").write_text(tomli_w.dumps(config_to_dict(outcomes.config)))
        manifest = {
            "softsim_version": __version__,
            "git_sha": git_sha(),
            "scenario": outcomes.summary["scenario"],
            "seed": outcomes.summary["seed"],
            "config_sha256": outcomes.summary["config_sha256"],
            "territory": outcomes.territory.label,
            "data_attribution": outcomes.territory.attribution or None,
            "command": command,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "files": list(RUN_FILES) + [f"figures/{n}.png" for n in (figures or {})],
        }
        _json(tmp / "manifest.json", manifest)
        if figures:
            (tmp / "figures").mkdir()
            for name, fig in figures.items():
                write_figure(fig, tmp / "figures" / f"{name}.png")
    return Path(target)


def write_comparison(
    target: Path, runs, table, report_md: str, figures: dict, manifest: dict
) -> Path:
    """Write a comparison folder: runs, comparison table (CSV, Markdown), report and figures.

    Args:
        target: Folder to create (must not exist, or be empty).
        runs: One row per run (DataFrame).
        table: The comparison table (DataFrame).
        report_md: Text of report.md.
        figures: ``{name: matplotlib Figure}`` saved under ``figures/``.
        manifest: Provenance, completed with the version, git commit and file list.
    """
    from softsim import __version__
    from softsim.comparison import markdown_table

    with atomic_dir(target) as tmp:
        runs.to_parquet(tmp / "runs.parquet", index=False)
        runs.to_csv(tmp / "runs.csv", index=False)
        table.to_csv(tmp / "comparison.csv", index=False)
        (tmp / "comparison.md").write_text(markdown_table(table) + "\n", encoding="utf-8")
        (tmp / "report.md").write_text(report_md, encoding="utf-8")
        (tmp / "figures").mkdir()
        for name, fig in figures.items():
            write_figure(fig, tmp / "figures" / f"{name}.png")
        files = [
            "runs.parquet",
            "runs.csv",
            "comparison.csv",
            "comparison.md",
            "report.md",
            "manifest.json",
            *[f"figures/{n}.png" for n in figures],
        ]
        _json(
            tmp / "manifest.json",
            {
                "softsim_version": __version__,
                "git_sha": git_sha(),
                **manifest,
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "files": files,
            },
        )
    return Path(target)
