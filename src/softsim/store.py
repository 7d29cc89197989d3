"""Results on disk. The only module of softsim that writes files.

A results folder is written into a hidden temporary sibling,
``.NAME.<host>-<pid>.<random>.partial``, and renamed into place at the end, so an interrupted or
failed write leaves nothing half-written under the final name. Whatever a killed process
(SIGKILL, power cut) left behind is removed by the next write into the same parent folder, once
its process is gone.

A sweep's folder (:class:`RunStore`) is the exception: it must be readable and resumable
while the sweep runs, so it is created at once and filled file by file, each file written
under a hidden temporary name and renamed into place.

Before any work starts, :func:`check_target` (folders) and :func:`check_file_target` (single
files) say whether a path can be written: the parent exists or can be created, is really
writable (tried, not guessed from permission bits), and nothing would be overwritten. A
symbolic link given as the target is refused: writing through it would put the results
somewhere else than the path the user sees. Folders and files honour the process umask (0755
and 0644 with the usual 022), as if created by ``mkdir`` and ``open``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import tomli_w

from softsim.config import config_to_dict
from softsim.errors import SoftsimError
from softsim.experiment import signals_deferred

if TYPE_CHECKING:
    from softsim.comparison import Comparison
    from softsim.outcomes import Outcomes

__all__ = [
    "OutputDir",
    "RunStore",
    "atomic_dir",
    "check_free",
    "check_target",
    "check_file_target",
    "remove_leftovers",
    "write_run",
    "write_comparison",
    "write_analysis",
    "write_normative",
    "write_figure",
    "write_figures",
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

_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
"""This machine, in the names of temporary folders: a shared folder may be written from several
machines, and a pid is only meaningful on the machine that owns it."""

_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<host>[0-9a-f]{6})-(?P<pid>\d+)\.[a-z0-9_]{8}"
                      r"\.partial(\.png)?$")


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


def _umask() -> int:
    # os.umask can only be read by setting it; nothing else in softsim creates files meanwhile.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _dir_mode() -> int:
    return 0o777 & ~_umask()


def _file_mode() -> int:
    return 0o666 & ~_umask()


def _tmp_prefix(name: str) -> str:
    return f".{name}.{_HOST}-{os.getpid()}."


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove what interrupted writes of softsim left in ``folder``.

    Only hidden ``.NAME.<host>-<pid>.<random>.partial`` folders (and ``.partial.png`` files)
    written on this machine by a process that no longer exists are removed.

    Returns:
        The paths removed.
    """
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _PARTIAL.match(entry.name)
        if m is None or m["host"] != _HOST or _alive(int(m["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _writable_ancestor(path: Path) -> Path:
    """The nearest existing folder above ``path``, after checking it can really be written."""
    folder = Path(os.path.abspath(path)).parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise SoftsimError(f"{path}: cannot be created, {folder} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".softsim-write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise SoftsimError(
            f"{path}: cannot write in {folder} ({exc.strerror or exc})"
        ) from None
    return folder


def check_target(target: Path, *, unique: bool = False) -> Path:
    """Check, before any work, that a results folder can be written at ``target``.

    Args:
        target: The folder to create.
        unique: ``target`` is a default name that will be suffixed if taken (see
            :func:`atomic_dir`): only its parent is checked.

    Raises:
        SoftsimError: ``target`` is a symbolic link, a file or a folder that is not empty, or
            its parent cannot be created or written.

    Returns:
        ``target`` as a :class:`~pathlib.Path`.
    """
    target = Path(target)
    if unique:
        _writable_ancestor(target)
        return target
    if target.is_symlink():
        raise SoftsimError(f"{target}: is a symbolic link; give the folder it points to")
    check_free(target)
    _writable_ancestor(target)
    return target


def check_file_target(path: Path, *, force: bool = False, suffix: str = ".png") -> Path:
    """Check, before any work, that a single file can be written at ``path``.

    Args:
        path: The file to write.
        force: Whether an existing file may be overwritten.
        suffix: The file name's expected extension.

    Raises:
        SoftsimError: Wrong extension, an existing folder, an existing file without
            ``force``, or a parent that cannot be created or written.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise SoftsimError(f"{path}: expected a {suffix} file name")
    if path.is_dir():
        raise SoftsimError(f"{path}: is a folder, expected a {suffix} file name")
    if (path.exists() or path.is_symlink()) and not force:
        raise SoftsimError(f"{path}: already exists (use --force to overwrite it)")
    _writable_ancestor(path)
    return path


def check_free(target: Path) -> None:
    """Raise :class:`SoftsimError` unless ``target`` is absent or an empty folder."""
    target = Path(target)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SoftsimError(f"{target}: already exists and is not empty (choose another --out)")


@dataclass
class OutputDir:
    """A folder being written: fill ``tmp``; ``path`` is where it ended up, once done."""

    tmp: Path
    path: Path


@contextmanager
def atomic_dir(target: Path, *, unique: bool = False) -> Iterator[OutputDir]:
    """Yield a temporary folder that becomes ``target`` only if the block succeeds.

    Args:
        target: The folder to create.
        unique: ``target`` is a default name: if it is taken (another run started in the same
            second), use ``target-2``, ``target-3``…, reserved atomically with ``mkdir``.

    Raises:
        SoftsimError: ``target`` cannot be written (see :func:`check_target`); results are
            never overwritten.
    """
    target = Path(target)
    check_target(target, unique=unique)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent)
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target.name), suffix=".partial",
                                dir=target.parent))
    out = OutputDir(tmp=tmp, path=target)
    published = None
    try:
        os.chmod(tmp, _dir_mode())  # mkdtemp creates 0700
        yield out
        # all or nothing: a signal during the rename is delivered once `published` is known,
        # and then the folder goes too, so that "interrupted; nothing was written" stays true
        with signals_deferred():
            published = out.path = _publish(tmp, target, unique)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if published is not None:
            shutil.rmtree(published, ignore_errors=True)
        raise


def _publish(tmp: Path, target: Path, unique: bool) -> Path:
    """Rename the finished ``tmp`` folder to its final name and return that name."""
    if unique:
        for n in itertools.count(1):
            name = target if n == 1 else target.with_name(f"{target.name}-{n}")
            try:
                os.mkdir(name)  # fails if taken: the reservation is atomic
            except FileExistsError:
                continue
            os.replace(tmp, name)  # over the empty folder just reserved
            return name
    if target.is_dir() and not target.is_symlink():
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))  # keep an existing folder's mode
    try:
        os.replace(tmp, target)
    except OSError as exc:
        raise SoftsimError(
            f"{target}: could not be written ({exc.strerror or exc}); was it created meanwhile?"
        ) from None
    return target


def _json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_figure(fig, path: Path) -> Path:
    """Save a matplotlib figure as PNG, atomically (no timestamp in the metadata).

    An existing file is replaced: callers check first (see :func:`check_file_target`).
    """
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise SoftsimError(f"{path}: expected a .png file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path.name), suffix=".partial.png",
                               dir=path.parent)
    os.close(fd)
    try:
        _save_png(fig, tmp)
        os.chmod(tmp, _file_mode())  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


FIGURE_DPI = 110
"""Resolution of the saved figures (dots per inch)."""

FIGURE_PAD_INCHES = 0.1
"""Blank margin kept around what a saved figure draws (matplotlib's ``pad_inches``)."""

_OVERFLOW_INCHES = 0.5
"""How far outside its canvas :func:`_save_png` looks for what a figure draws."""


def _save_png(fig, path) -> None:
    """Save ``fig`` as PNG, cropped to what it draws plus :data:`FIGURE_PAD_INCHES`.

    What ``bbox_inches="tight"`` gives, in one drawing instead of two: matplotlib's "tight"
    lays the whole figure out once to measure it, then again to draw it; here the figure is
    drawn once onto its canvas widened by :data:`_OVERFLOW_INCHES` on every side (so that a
    label past the canvas edge is kept, as "tight" keeps it), and the image is cropped to its
    drawn pixels. A figure that draws across the edge of that widened canvas, or has no opaque
    background to crop, is saved with "tight" (benchmarks/README.md, "bench_startup.py"). Only
    an artist drawn wholly more than :data:`_OVERFLOW_INCHES` outside the canvas would be lost
    (none of softsim's figures draws so far out: legends and notes sit just under the axes).
    """
    import io

    import numpy as np
    from matplotlib.colors import to_rgba
    from matplotlib.image import imsave
    from matplotlib.transforms import Bbox

    metadata = {"Software": None}  # no version, so that the bytes do not depend on it
    width, height = fig.get_size_inches()
    m = _OVERFLOW_INCHES
    canvas = Bbox([[-m, -m], [width + m, height + m]])
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=FIGURE_DPI, bbox_inches=canvas)
    raw = np.frombuffer(buf.getbuffer(), np.uint8)
    sizes = [(r, c) for r in _near(canvas.height * FIGURE_DPI)  # Agg rounds either way
             for c in _near(canvas.width * FIGURE_DPI) if r * c * 4 == raw.size]
    rgba = raw.reshape(*sizes[0], 4) if len(sizes) == 1 else raw[:0].reshape(0, 0, 4)
    background = np.round(np.multiply(to_rgba(fig.get_facecolor()), 255)).astype(np.uint8)
    drawn = np.any(rgba != background, axis=2)
    if background[3] != 255 or not drawn.any() or (
            drawn[0].any() or drawn[-1].any() or drawn[:, 0].any() or drawn[:, -1].any()):
        fig.savefig(path, dpi=FIGURE_DPI, bbox_inches="tight", pad_inches=FIGURE_PAD_INCHES,
                    metadata=metadata)
        return
    pad = round(FIGURE_PAD_INCHES * FIGURE_DPI)
    ys, xs = np.flatnonzero(drawn.any(axis=1)), np.flatnonzero(drawn.any(axis=0))
    crop = rgba[max(ys[0] - pad, 0):ys[-1] + 1 + pad, max(xs[0] - pad, 0):xs[-1] + 1 + pad]
    imsave(path, crop, format="png", dpi=FIGURE_DPI, metadata=metadata)


def _near(x: float) -> set[int]:
    return {math.floor(x), math.ceil(x)}


def write_run(
    outcomes: Outcomes,
    target: Path,
    figures: dict | None = None,
    command: list[str] | None = None,
    *,
    unique: bool = False,
    workers: int = 1,
) -> Path:
    """Write a run folder: summary, tables, resolved config, manifest and figures.

    Args:
        outcomes: What the run produced.
        target: The run folder to create (must not exist, or be empty).
        figures: Optional ``{name: matplotlib Figure}`` saved as ``figures/<name>.png`` (a
            value may also be a function that builds the figure, see :func:`write_figures`).
        command: The command line, recorded in the manifest.
        unique: ``target`` is a default name, to be suffixed if taken (see :func:`atomic_dir`).
        workers: Processes that build and save the figures (see :func:`write_figures`).

    Returns:
        The folder written.
    """
    figures = figures or {}
    with atomic_dir(target, unique=unique) as out:
        tmp = out.tmp
        if figures:
            (tmp / "figures").mkdir()
        # the figures' children start first: they draw while this process writes the tables
        with _figure_children(figures, tmp / "figures", workers) as mine:
            _write_run_files(outcomes, tmp, figures, command)
            for name in mine:
                _save_figure(figures[name], tmp / "figures" / f"{name}.png")
    return out.path


def _write_run_files(outcomes: Outcomes, tmp: Path, figures: dict, command) -> None:
    """The run folder's files other than the figures (see :func:`write_run`)."""
    from softsim import __version__

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
        "files": list(RUN_FILES) + [f"figures/{n}.png" for n in figures],
    }
    _json(tmp / "manifest.json", manifest)


def write_figures(figures: dict, folder: Path, *, workers: int = 1) -> list[Path]:
    """Save ``{name: figure}`` as ``folder/<name>.png``, in up to ``workers`` processes.

    A value may be a matplotlib Figure or a function of no argument that builds one (see
    :func:`softsim.report.run_figure_builders`), so that building and drawing both happen in
    the process that saves it. With ``workers`` > 1 (``os.fork`` available, and no other
    Python thread running), forked children take every ``workers``-th figure and this
    process the first share; each file is written by :func:`write_figure`, so the files are
    the same bytes as when written one by one. A child that fails makes this call fail; an
    interrupted call stops its children before it returns.
    """
    with _figure_children(figures, folder, workers) as mine:
        for name in mine:
            _save_figure(figures[name], folder / f"{name}.png")
    return [folder / f"{name}.png" for name in figures]


@contextmanager
def _figure_children(figures: dict, folder: Path, workers: int) -> Iterator[list[str]]:
    """Fork the children of :func:`write_figures`; yield the names left to this process.

    On leaving, wait for the children and raise if one failed; if the block was interrupted,
    kill them first, so that nothing is written into ``folder`` after this returns.
    """
    names = list(figures)
    # fork only a single-threaded interpreter: a lock held by another thread would stay held
    forkable = hasattr(os, "fork") and threading.active_count() == 1
    workers = max(1, min(workers, len(names))) if forkable else 1
    children: list[int] = []
    try:
        for k in range(1, workers):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - a child (coverage does not follow it)
                _figures_child(figures, names[k::workers], folder)
            children.append(pid)
        yield names[0::workers]
        failed = [pid for pid in children if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])]
        children = []
        if failed:
            raise RuntimeError(f"{len(failed)} figure process(es) failed; see the error above")
    finally:
        for pid in children:  # interrupted: stop them before the folder is removed
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _save_figure(fig, path: Path) -> None:
    write_figure(fig() if callable(fig) else fig, path)


def _figures_child(figures: dict, names: list[str], folder: Path) -> None:
    """A forked child of :func:`write_figures`: save its figures, then exit without cleanup."""
    code = 1
    try:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_DFL)  # the parent reports the interruption
        for name in names:
            _save_figure(figures[name], folder / f"{name}.png")
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def write_comparison(
    target: Path,
    comparison: Comparison,
    figures: dict | None = None,
    command: list[str] | None = None,
    *,
    unique: bool = False,
) -> Path:
    """Write a comparison folder: runs, comparison table (CSV, Markdown), report and figures.

    Args:
        target: Folder to create (must not exist, or be empty).
        comparison: What :func:`softsim.compare` returned.
        figures: ``{name: matplotlib Figure}`` saved under ``figures/`` and shown in the report
            (for example ``comparison.figures()``); none if omitted.
        command: The command line, recorded in the manifest.
        unique: ``target`` is a default name, to be suffixed if taken (see :func:`atomic_dir`).

    Returns:
        The folder written.
    """
    from softsim import __version__
    from softsim.comparison import markdown_table

    figures = figures or {}
    with atomic_dir(target, unique=unique) as out:
        tmp = out.tmp
        comparison.runs.to_parquet(tmp / "runs.parquet", index=False)
        comparison.runs.to_csv(tmp / "runs.csv", index=False)
        comparison.table.to_csv(tmp / "comparison.csv", index=False)
        (tmp / "comparison.md").write_text(markdown_table(comparison.table) + "\n",
                                           encoding="utf-8")
        (tmp / "report.md").write_text(comparison.report(list(figures)), encoding="utf-8")
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
                "command": command,
                "settings": comparison.settings,
                "seeds": sorted({r.seed for r in comparison.results}),
                "data_attribution": comparison.results[0].attribution or None,
                "python": sys.version.split()[0],
                "platform": platform.platform(),
                "files": files,
            },
        )
    return out.path


def write_analysis(
    target: Path,
    markdown: str,
    tables: dict,
    figures: dict,
    command: list[str] | None = None,
    *,
    unique: bool = False,
) -> Path:
    """Write an analysis folder (``softsim analyze``): ``analysis.md``, CSV tables, figures.

    Args:
        target: Folder to create (must not exist, or be empty).
        markdown: The text of ``analysis.md``.
        tables: ``{stem: DataFrame}`` written as ``<stem>.csv``.
        figures: ``{name: matplotlib Figure}`` written as ``figures/<name>.png``.
        command: The command line, recorded in the manifest.
        unique: ``target`` is a default name, to be suffixed if taken (see :func:`atomic_dir`).

    Returns:
        The folder written.
    """
    from softsim import __version__

    with atomic_dir(target, unique=unique) as out:
        files = _document(out.tmp, "analysis.md", markdown + "\n", tables, figures)
        _json(out.tmp / "manifest.json", {"softsim_version": __version__, "git_sha": git_sha(),
                                          "command": command, "files": files})
    return out.path


def _document(tmp: Path, name: str, markdown: str, tables: dict, figures: dict) -> list[str]:
    """Write a markdown text, its CSV tables and its figures into ``tmp``.

    Returns the files of the folder, the manifest (written by the caller) included.
    """
    (tmp / name).write_text(markdown, encoding="utf-8")
    for stem, table in tables.items():
        table.to_csv(tmp / f"{stem}.csv", index=False)
    for stem, fig in figures.items():
        write_figure(fig, tmp / "figures" / f"{stem}.png")
    return [name, "manifest.json", *[f"{s}.csv" for s in tables],
            *[f"figures/{n}.png" for n in figures]]


def write_normative(
    target: Path,
    tables: dict,
    markdown: str,
    figures: dict,
    manifest: dict,
    scenario: Path,
    scenario_text: str,
    *,
    unique: bool = False,
) -> Path:
    """Write a normative search: its folder (tables, front, figures) and its scenario file.

    Both or neither: the scenario file is written once the folder is published (it may lie
    inside it), and the folder is removed again if the file cannot be written or a signal
    arrives meanwhile (an existing file, allowed by the caller's check, is replaced).

    Args:
        target: Folder to create (must not exist, or be empty).
        tables: ``{name: DataFrame}`` written as ``name.csv``.
        markdown: ``front.md``.
        figures: ``{name: matplotlib Figure}`` saved under ``figures/``.
        manifest: Recorded as ``manifest.json`` (the list of files is added).
        scenario: The scenario file to write.
        scenario_text: Its content.
        unique: ``target`` is a default name, to be suffixed if taken (see :func:`atomic_dir`).

    Returns:
        The folder written.
    """
    scenario = Path(scenario)
    with atomic_dir(target, unique=unique) as out:
        files = _document(out.tmp, "front.md", markdown, tables, figures)
        _json(out.tmp / "manifest.json", {**manifest, "git_sha": git_sha(),
                                      "scenario_file": str(scenario.resolve()),
                                      "files": files})
    created = written = False
    try:
        with signals_deferred():
            scenario.parent.mkdir(parents=True, exist_ok=True)
            created = not scenario.exists()
            _atomic_bytes(scenario, scenario_text.encode("utf-8"))
            written = True
    except BaseException:
        if written and created:
            scenario.unlink(missing_ok=True)
        shutil.rmtree(out.path, ignore_errors=True)
        raise
    return out.path


def _atomic_bytes(path: Path, data: bytes) -> None:
    """Write a file through a hidden temporary sibling renamed into place (umask honoured)."""
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path.name), suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode())  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_MERGED = "-merged.parquet"
"""Suffix of a run store's file that merges its batches (see :meth:`RunStore.compact`)."""


def _merge_parquet(parts: list[Path], target: Path, replaces: bytes) -> None:
    """Stream Parquet files into one, written atomically, that records the files it replaces."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(parts[0])
    schema = schema.with_metadata({**(schema.metadata or {}), b"softsim_replaces": replaces})
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target.name), suffix=".partial",
                               dir=target.parent)
    os.close(fd)
    try:
        with pq.ParquetWriter(tmp, schema) as writer:
            for part in parts:
                writer.write_table(pq.read_table(part).cast(schema))
        os.chmod(tmp, _file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class RunStore:
    """The results folder of a sweep, written while the sweep runs and safe against crashes.

    Layout::

        DIR/manifest.json         version, git commit, sweep file and hash, design, sessions
        DIR/sweep.toml            a copy of the sweep file
        DIR/runs/part-*.parquet   one row per run, written in small batches (merged into
                                  one file when the sweep is complete)
        DIR/series/part-*.parquet weekly series of each run (``--keep series``), same batches
        DIR/sweep.md, figures/    the report, once every run is done

    Every file is written under a hidden temporary name and renamed into place, so a file
    under its final name is complete. A batch's series are written before its runs, and the
    runs file is the record that the batch is done: series batches without their runs file
    (the process was killed between the two) are removed by :meth:`clean` (on ``--resume``).
    Rows wait in memory at most ``batch_runs`` runs or ``batch_seconds`` seconds.

    Use :meth:`create` for a new sweep and :meth:`open` for ``--resume`` and ``--status``.
    """

    MANIFEST = "manifest.json"

    def __init__(self, path: Path, schema, *, batch_runs: int = 50,
                 batch_seconds: float = 5.0) -> None:
        self.path = Path(path)
        self.schema = schema
        self.batch_runs = batch_runs
        self.batch_seconds = batch_seconds
        self._rows: list[dict] = []
        self._series: list = []
        self._last_flush = time.monotonic()
        self._seq = 0

    @classmethod
    def create(cls, target: Path, manifest: dict, sweep_file: bytes, schema,
               *, unique: bool = False, **kwargs) -> RunStore:
        """Create the folder of a new sweep (checked first with :func:`check_target`).

        Args:
            target: The folder (new, or empty).
            manifest: The manifest's first content.
            sweep_file: The sweep file's bytes, copied as ``sweep.toml``.
            schema: The :class:`pyarrow.Schema` of the runs table.
            unique: ``target`` is a default name: suffix it with ``-2``, ``-3``… if taken.
            **kwargs: ``batch_runs``, ``batch_seconds``.

        Returns:
            The store, its folder created with its manifest.
        """
        target = check_target(Path(target), unique=unique)
        target.parent.mkdir(parents=True, exist_ok=True)
        path = target
        if unique:
            for n in itertools.count(1):
                path = target if n == 1 else target.with_name(f"{target.name}-{n}")
                try:
                    os.mkdir(path)
                    break
                except FileExistsError:
                    continue
        else:
            path.mkdir(exist_ok=True)  # check_target allowed only an empty folder
        for sub in ("runs", "series"):
            (path / sub).mkdir()
        store = cls(path, schema, **kwargs)
        _atomic_bytes(path / "sweep.toml", sweep_file)
        store.write_manifest(manifest)
        return store

    @classmethod
    def open(cls, path: Path, **kwargs) -> RunStore:
        """Open an existing sweep folder (for ``--resume`` or ``--status``).

        Raises:
            SoftsimError: ``path`` is not a sweep folder (no readable manifest).
        """
        path = Path(path)
        try:
            json.loads((path / cls.MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise SoftsimError(
                f"{path}: not a sweep results folder (no readable {cls.MANIFEST})"
            ) from None
        return cls(path, None, **kwargs)

    @property
    def manifest(self) -> dict:
        """The manifest as last written."""
        return json.loads((self.path / self.MANIFEST).read_text(encoding="utf-8"))

    def write_manifest(self, manifest: dict) -> None:
        """Replace the manifest, atomically."""
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        _atomic_bytes(self.path / self.MANIFEST, text.encode())

    def clean(self) -> None:
        """Remove what a killed process left: temporary files, series batches without runs."""
        for sub in ("runs", "series"):
            remove_leftovers(self.path / sub)
        remove_leftovers(self.path)
        for name in self._replaced():
            for sub in ("runs", "series"):
                (self.path / sub / name).unlink(missing_ok=True)
        done = {p.name for p in (self.path / "runs").glob("part-*.parquet")}
        for p in (self.path / "series").glob("part-*.parquet"):
            if p.name not in done:
                p.unlink()

    def _replaced(self) -> set[str]:
        """Batches that a merged file replaces (left only if a merge was cut short)."""
        import pyarrow.parquet as pq

        out: set[str] = set()
        for merged in (self.path / "runs").glob(f"part-*{_MERGED}"):
            metadata = pq.read_schema(merged).metadata or {}
            out.update(json.loads(metadata.get(b"softsim_replaces", b"[]")))
        return out

    def _parts(self) -> list[Path]:
        """The runs files that hold the store's rows, each row once."""
        replaced = self._replaced()
        return sorted(p for p in (self.path / "runs").glob("part-*.parquet")
                      if p.name not in replaced)

    def compact(self) -> None:
        """Merge the batches of a finished sweep into one runs file and one series file.

        Streamed batch by batch (memory stays flat). The merged file names the batches it
        replaces; they are removed once it is in place, or by :meth:`clean` if the process was
        killed in between, so no run is ever lost nor counted twice by the next reader that
        opens the folder through this class.
        """
        self.clean()
        parts = self._parts()
        if len(parts) <= 1:
            return
        name = f"part-{time.time_ns():020d}-{_HOST}-{os.getpid()}{_MERGED}"
        replaces = json.dumps([p.name for p in parts]).encode()
        series = [self.path / "series" / p.name for p in parts]
        series = [p for p in series if p.exists()]
        if series:
            _merge_parquet(series, self.path / "series" / name, replaces)
        _merge_parquet(parts, self.path / "runs" / name, replaces)
        for p in parts + series:
            p.unlink(missing_ok=True)

    def read_runs(self, columns: list[str] | None = None):
        """Every stored run as a DataFrame (empty if none), sorted by ``run_id``."""
        import pandas as pd

        parts = self._parts()
        if not parts:
            return pd.DataFrame(columns=columns or [])
        frames = [pd.read_parquet(p, columns=columns) for p in parts]
        return pd.concat(frames, ignore_index=True).sort_values("run_id", kind="stable",
                                                               ignore_index=True)

    def done_ids(self) -> set[int]:
        """Ids of the runs stored (finished or failed)."""
        runs = self.read_runs(["run_id"])
        return set(runs["run_id"].astype(int)) if len(runs) else set()

    def add(self, row: dict, series=None) -> None:
        """Add one run's row (and its weekly series); flush if the batch is full or old."""
        if not self._rows:
            self._last_flush = time.monotonic()  # the batch's age counts from its first row
        self._rows.append(row)
        if series is not None:
            self._series.append(series)
        self.maybe_flush()

    def maybe_flush(self) -> None:
        """Flush if the batch is full or its oldest row waited ``batch_seconds``."""
        if (len(self._rows) >= self.batch_runs
                or time.monotonic() - self._last_flush >= self.batch_seconds):
            self.flush()

    def flush(self) -> None:
        """Write the runs waiting in memory as one batch."""
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._last_flush = time.monotonic()
        if not self._rows:
            return
        self._seq += 1
        name = f"part-{time.time_ns():020d}-{_HOST}-{os.getpid()}-{self._seq:06d}.parquet"
        if self._series:
            sink = pa.BufferOutputStream()
            pq.write_table(pa.Table.from_pandas(pd.concat(self._series, ignore_index=True),
                                                preserve_index=False), sink)
            _atomic_bytes(self.path / "series" / name, sink.getvalue().to_pybytes())
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pylist(self._rows, schema=self.schema), sink)
        _atomic_bytes(self.path / "runs" / name, sink.getvalue().to_pybytes())
        self._rows, self._series = [], []

    def write_report(self, markdown: str, figures: dict) -> Path:
        """Write ``sweep.md`` and its ``figures/*.png`` (each file atomically).

        Returns:
            The path of ``sweep.md``.
        """
        for name, fig in figures.items():
            write_figure(fig, self.path / "figures" / f"{name}.png")
        _atomic_bytes(self.path / "sweep.md", markdown.encode())
        return self.path / "sweep.md"
