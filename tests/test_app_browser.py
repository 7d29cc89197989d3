"""The workshop page in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

``softsim demo`` runs as a subprocess on a free port; the test loads the page, plays with it as a
room would, and checks that no request left 127.0.0.1. Nothing is installed at run time: the
test is skipped, saying why, only where no Chromium is installed (``.ci/run`` installs it).
Screenshots go to the test's output folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

CHROMIUM_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCALE = "0.1"  # 12,000 residents on the default territory: the same page, quicker weeks


def _chromium() -> str | None:
    for path in (os.environ.get("SOFTSIM_CHROMIUM"), *CHROMIUM_PATHS):
        # /usr/bin/chromium is Debian's wrapper script; Playwright needs the binary itself
        if path and os.access(path, os.X_OK) and Path(path).stat().st_size > 1_000_000:
            return path
    return None


CHROMIUM = _chromium()
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium installed (apt-get install chromium; .ci/run installs it)",
    ),
    pytest.mark.slow,  # a real browser against a served page: about a minute
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    softsim = Path(sys.executable).with_name("softsim")
    cmd = [str(softsim)] if softsim.exists() else [sys.executable, "-m", "softsim.cli"]
    return subprocess.Popen([*cmd, "demo", *args], stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)


def _wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 180.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"softsim demo exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"softsim demo did not answer at {url}: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    port = _free_port()
    log = folder / "demo.log"
    proc = _start(["--port", str(port), "--scale", SCALE], log)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, proc, log)
        yield url, folder, log
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _week(page) -> int:
    return int(re.search(r"\d+", page.inner_text(".ss-week")).group())


def _wait_week(page, week: int) -> None:
    page.wait_for_function(
        f"(document.querySelector('.ss-week')?.innerText || '').match(/\\d+/)?.[0] === '{week}'",
        timeout=60_000,
    )


def _inner_html(page, selector: str) -> str:
    return page.eval_on_selector(selector, "el => el.innerHTML")


def _shot(page, path: Path) -> np.ndarray:
    from matplotlib.image import imread

    page.screenshot(path=str(path), full_page=True)
    return imread(str(path))


def _open(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(".ss-week", timeout=120_000)
    page.wait_for_selector(".ss-maps svg .commune", timeout=60_000)
    return page


def _wait_labels(page, present: list[str], absent: list[str] = ()) -> None:
    """Wait until the page shows every label of ``present`` and none of ``absent``.

    The page re-renders its parts one after another, so a label may come a moment after
    another; if one never comes, the assertions say which.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "([yes, no]) => { const t = document.body.textContent;"
            " return yes.every(l => t.includes(l)) && !no.some(l => t.includes(l)); }",
            arg=[list(present), list(absent)], timeout=60_000)
    except PlaywrightTimeout:
        pass
    body = page.eval_on_selector("body", "el => el.textContent")
    for label in present:
        assert label in body, label
    for label in absent:
        assert label not in body, label


def _wait_changed(page, selector: str, before: str) -> None:
    """Wait until the inner HTML of ``selector`` is no longer ``before``."""
    page.wait_for_function("([sel, old]) => document.querySelector(sel).innerHTML !== old",
                           arg=[selector, before], timeout=60_000)


def _wait_idle(page, seconds: float = 0.8) -> None:
    time.sleep(seconds)  # let the server's re-render reach the browser


def _clickable_commune(page) -> tuple[int, float, float]:
    """A commune of the main map whose centre is not under another drawing, and that centre."""
    page.locator(".ss-map-click svg").scroll_into_view_if_needed()
    found = page.eval_on_selector_all(".ss-map-click svg .commune", """els => {
        for (const el of els) {
            const r = el.getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (r.width > 4 && document.elementFromPoint(x, y) === el)
                return [Number(el.getAttribute('data-commune')), x, y];
        }
        return null;
    }""")
    assert found is not None, "no commune of the map can be clicked"
    return found[0], found[1], found[2]


def test_workshop_page_in_chromium(demo, browser, tmp_path):
    url, folder, log = demo
    requests: list[str] = []
    context = browser.new_context(viewport={"width": 1600, "height": 1100},
                                  accept_downloads=True)
    context.on("request", lambda r: requests.append(r.url))
    page = _open(context, url)

    # French by default, a map and charts that are not blank
    assert _week(page) == 0
    _wait_labels(page, ["Lecture", "Une semaine", "Remise à zéro", "Couleur des communes",
                        "Leviers", "Futurs", "Publics", "tous les habitants"])
    page.wait_for_function("document.querySelectorAll('.ss-charts svg polyline').length === 3",
                           timeout=60_000)
    image = _shot(page, tmp_path / "01-fr-week0.png")
    assert image[..., :3].std() > 0.05
    box = page.locator(".ss-maps svg").bounding_box()
    assert min(box["width"], box["height"]) > 300
    assert page.locator(".ss-maps svg .commune").count() == 250

    # pick a scenario
    page.get_by_role("button", name="soft", exact=True).click()
    page.wait_for_function("document.body.textContent.includes('Territoire souple')",
                           timeout=60_000)

    # a typed value out of range is refused with a message; the server stays up
    field = page.locator(".ss-input-modules input")
    field.fill("999")
    field.press("Enter")
    page.wait_for_function("document.body.textContent.includes('hors de l')", timeout=60_000)
    # an accepted value
    field.fill("0.3")
    field.press("Enter")
    page.wait_for_function("!document.body.textContent.includes('hors de l')", timeout=60_000)
    _wait_idle(page)
    # a slider moved to its right end: buses get 0.4 of public provision
    track = page.locator(".ss-lever-buses .v-slider")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "document.querySelector('.ss-input-buses input').value === '0.4'", timeout=60_000)
    _wait_idle(page)

    # three weeks: the counter and a chart change
    map_before, chart_before = _inner_html(page, ".ss-maps"), _inner_html(page, ".ss-charts")
    for week in (1, 2, 3):
        page.locator(".ss-step").click()
        _wait_week(page, week)
    _wait_changed(page, ".ss-maps", map_before)
    _wait_changed(page, ".ss-charts", chart_before)
    _shot(page, tmp_path / "02-fr-week3.png")

    # play runs the weeks by itself; pause stops them
    page.locator(".ss-play").click()
    _wait_week(page, 5)
    page.locator(".ss-play").click()
    page.wait_for_function("document.querySelector('.ss-play').textContent.includes('Lecture')",
                           timeout=60_000)
    _wait_idle(page, 1.0)
    paused = _week(page)
    _wait_idle(page, 2.0)
    assert _week(page) == paused >= 5

    # click a commune to put a module there: from the next week, its cost and what gave shown
    commune, x, y = _clickable_commune(page)
    page.mouse.click(x, y)
    page.wait_for_function("document.querySelector('.ss-edit-selected')?.textContent"
                           ".includes('Commune choisie')", timeout=60_000)
    page.wait_for_selector(f'.ss-maps svg .commune.selected[data-commune="{commune}"]',
                           timeout=60_000)
    page.locator(".ss-edit-module").click()
    page.wait_for_function("document.querySelector('.ss-edits')?.textContent"
                           ".includes('sans argent en plus')", timeout=60_000)
    edited_week = _week(page)
    page.locator(".ss-step").click()
    _wait_week(page, edited_week + 1)
    _wait_idle(page)
    _shot(page, tmp_path / "04-fr-edit.png")

    # save as scenario: the file runs with softsim run and keeps the lever and the edit
    with page.expect_download(timeout=60_000) as info:
        page.get_by_text("Enregistrer le scénario").click()
    saved = tmp_path / "atelier.toml"
    info.value.save_as(saved)
    data = tomllib.loads(saved.read_text(encoding="utf-8"))
    assert data["budget"]["mix"]["modules"] == 0.3 and data["budget"]["mix"]["bus"] == 0.4
    assert data["name"] == "soft-atelier"
    assert [(e["week"], e["action"]) for e in data["edits"]] == [(edited_week, "module")]
    softsim = Path(sys.executable).with_name("softsim")
    done = subprocess.run([str(softsim), "run", str(saved), "--years", "1", "--quiet",
                           "--no-figures", "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert [(e["week"], e["action"], e["commune"]) for e in summary["edits"]] == [
        (edited_week, "module", data["edits"][0]["commune"])]
    # a malformed file is refused with a message; the saved one comes back in
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n", encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(bad))
    page.wait_for_function("document.body.textContent.includes('TOML invalide')",
                           timeout=60_000)
    page.locator("input[type=file]").set_input_files(str(saved))
    page.get_by_role("button", name="soft-atelier", exact=True).wait_for(timeout=60_000)
    _wait_week(page, 0)
    for week in (1, 2, 3):
        page.locator(".ss-step").click()
        _wait_week(page, week)
    _wait_idle(page)
    # results
    with page.expect_download(timeout=60_000) as info:
        page.get_by_text("Résultats : séries").click()
    series = tmp_path / "series.csv"
    info.value.save_as(series)
    lines = series.read_text().splitlines()
    assert lines[0].startswith("scenario,week,") and len(lines) == 1 + 3

    # a second browser session has its own model
    other_context = browser.new_context(viewport={"width": 1600, "height": 1100})
    other_context.on("request", lambda r: requests.append(r.url))
    other = _open(other_context, url)
    assert _week(other) == 0
    other.locator(".ss-step").click()
    _wait_week(other, 1)
    _wait_idle(page)
    assert _week(page) == 3
    page.locator(".ss-step").click()
    _wait_week(page, 4)
    _wait_idle(other)
    assert _week(other) == 1
    other_context.close()

    # English on a switch
    page.locator(".ss-lang").click()
    _wait_labels(page, ["One week", "Colour of the communes", "Play", "Reset", "Levers",
                        "Futures", "Groups", "all residents"],
                 ["Couleur des communes", "Remise à zéro", "tous les habitants"])
    _shot(page, tmp_path / "03-en.png")
    context.close()

    for shot in tmp_path.glob("*.png"):
        shutil.copy(shot, folder / shot.name)
    hosts = {urlsplit(u).hostname for u in requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, sorted(hosts)
    assert "Traceback" not in log.read_text()


def test_demo_says_when_bound_beyond_this_machine(tmp_path):
    port = _free_port()
    log = tmp_path / "demo.log"
    proc = _start(["--host", "0.0.0.0", "--port", str(port), "--scale", "0.05"], log)
    try:
        _wait_http(f"http://127.0.0.1:{port}/", proc, log)
        text = log.read_text()
        assert "0.0.0.0" in text and "other machines" in text
    finally:
        _stop(proc)
