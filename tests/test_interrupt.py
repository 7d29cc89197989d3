"""Interrupting `softsim compare` ends it within seconds, writes nothing and leaves no process.

Each test starts a real `softsim compare` with two spawned workers in its own session, sends it
signals the way a terminal (the whole process group), `kill` or `timeout` would, and checks the
exit code, the one line on stderr, the output folder and that every process of the session is
gone. Each takes 5 to 12 s (starting the spawned workers dominates): the variants of one path
are marked slow.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc"),
    pytest.mark.slow,  # starts fresh interpreters and their workers
]

SOFTSIM = Path(sys.executable).with_name("softsim")
# about 25 s of work on two workers: always still running when the signals arrive
COMPARE = ["compare", "hard", "soft", "--territory", "grid", "--years", "1", "--scale", "0.1",
           "--replicates", "6", "--workers", "2"]
ENDS_WITHIN_S = 20.0


def _session(sid: int) -> dict[int, int]:
    """Running processes of session ``sid`` (zombies excluded): {pid: parent pid}.

    The test starts softsim as the leader of a new session: every process it starts, directly
    or not, stays in that session even when orphaned.
    """
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, ...
        if int(fields[3]) == sid and fields[0] != "Z":
            out[int(entry)] = int(fields[1])
    return out


class Compare:
    """A `softsim compare` subprocess leading its own session."""

    def __init__(self, out: Path, prefix: tuple[str, ...] = ()):
        self.proc = subprocess.Popen(
            [*prefix, str(SOFTSIM), *COMPARE, "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def wait_for_workers(self, count: int = 3, timeout: float = 60.0) -> None:
        """Wait until softsim has ``count`` children (two workers and the resource tracker)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            processes = _session(self.proc.pid)
            parents = [ppid for ppid in processes.values() if ppid in processes]
            if max((parents.count(p) for p in set(parents)), default=0) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"workers did not start: {self.stop()}")

    def end(self) -> tuple[int, str]:
        """Exit code and stderr (the process is killed if it has not ended within the bound)."""
        try:
            _, err = self.proc.communicate(timeout=ENDS_WITHIN_S)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"did not end within {ENDS_WITHIN_S} s") from None
        return self.proc.returncode, err

    def stop(self) -> str:
        """Kill the whole session (after a failed assertion)."""
        for pid in _session(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.proc.communicate()[1]

    def left_behind(self, timeout: float = 10.0) -> dict[int, int]:
        """Processes of the session still running after ``timeout`` seconds (none expected)."""
        deadline = time.monotonic() + timeout
        while (alive := _session(self.proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return alive


@pytest.fixture
def compare_run(tmp_path):
    started = []

    def start(prefix: tuple[str, ...] = ()) -> Compare:
        started.append(Compare(tmp_path / "out", prefix))
        return started[-1]

    yield start
    for c in started:
        if c.proc.poll() is None or _session(c.proc.pid):
            c.stop()


def _check_clean_end(c: Compare, tmp_path: Path, code: int, needle: str) -> None:
    returncode, err = c.end()
    assert returncode == code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # neither the folder nor a hidden partial one
    assert c.left_behind() == {}


@pytest.mark.parametrize(
    ("presses", "gap_s"),
    [(1, 0.0), (2, 0.05), (10, 0.02)],
)
def test_ctrl_c_once_twice_or_ten_times_ends_it(compare_run, tmp_path, presses, gap_s):
    c = compare_run()
    c.wait_for_workers()
    time.sleep(1.0)  # the workers are simulating
    for _ in range(presses):
        os.killpg(c.proc.pid, signal.SIGINT)  # what a terminal does: the whole group
        time.sleep(gap_s)
    _check_clean_end(c, tmp_path, 130, "interrupted; nothing was written")


def test_ctrl_c_while_the_workers_start_prints_no_worker_traceback(compare_run, tmp_path):
    c = compare_run()
    c.wait_for_workers(count=1)  # the pool is starting: its workers are not ready yet
    os.killpg(c.proc.pid, signal.SIGINT)
    _check_clean_end(c, tmp_path, 130, "interrupted; nothing was written")


def test_sigterm_to_the_main_process_ends_it_and_its_workers(compare_run, tmp_path):
    c = compare_run()
    c.wait_for_workers()
    time.sleep(1.0)
    os.kill(c.proc.pid, signal.SIGTERM)
    _check_clean_end(c, tmp_path, 143, "SIGTERM; nothing was written")


@pytest.mark.skipif(shutil.which("timeout") is None, reason="needs coreutils timeout")
def test_timeout_with_sigint_ends_it(compare_run, tmp_path):
    # `timeout` sends SIGINT to softsim, then to its whole process group
    c = compare_run(prefix=("timeout", "--preserve-status", "-s", "INT", "7"))
    _check_clean_end(c, tmp_path, 130, "interrupted; nothing was written")


def test_workers_exit_when_the_main_process_is_killed(compare_run, tmp_path):
    c = compare_run()
    c.wait_for_workers()
    time.sleep(1.0)
    os.kill(c.proc.pid, signal.SIGKILL)
    returncode, _ = c.end()
    assert returncode == -signal.SIGKILL
    assert c.left_behind() == {}
    assert not (tmp_path / "out").exists()


def test_a_killed_worker_ends_the_comparison_in_one_line(compare_run, tmp_path):
    c = compare_run()
    c.wait_for_workers()
    time.sleep(1.0)
    processes = _session(c.proc.pid)
    workers = [pid for pid, ppid in processes.items()
               if ppid == c.proc.pid and "resource_tracker" not in
               Path(f"/proc/{pid}/cmdline").read_text()]
    os.kill(workers[0], signal.SIGKILL)
    _check_clean_end(c, tmp_path, 1, "a worker process ended abruptly")
