"""The Solara components of the workshop page; served by ``softsim demo``.

Each browser session (tab or device) gets its own :class:`~softsim.app.state.Session`, created
inside the :func:`Page` component (``solara.use_memo``): no model lives at module level, so two
participants never step each other's model. The components only draw the session and forward
clicks to it; what a click does is in :mod:`softsim.app.state`.

The demo's options reach the page through environment variables set by
:func:`softsim.app.server.serve` (``SOFTSIM_DEMO_*``).
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import time
from collections.abc import Callable

import solara

from softsim.app.figures import charts_svg, map_svg
from softsim.app.state import LAYERS, LEVERS, MAX_UPLOAD_BYTES, Session
from softsim.config.sections import EDIT_ACTIONS
from softsim.texts import LANGS, mechanisms

__all__ = ["Page", "session_options"]

CSS = """
.ss-title { font-size: 1.5rem; font-weight: 600; margin: 0; }
.ss-week { font-size: 1.6rem; font-weight: 700; }
.ss-monitor { font-size: 1.15rem; }
.ss-message { color: #b00020; font-weight: 600; }
.ss-groups td, .ss-groups th { padding: 2px 8px; text-align: right; }
.ss-groups td:first-child, .ss-groups th:first-child { text-align: left; }
"""


def session_options() -> dict:
    """The demo's options for a new session, read from the ``SOFTSIM_DEMO_*`` variables."""
    return {
        "territory": os.environ.get("SOFTSIM_DEMO_TERRITORY", "synthetic"),
        "lang": os.environ.get("SOFTSIM_DEMO_LANG", LANGS[0]),
        "seed": int(os.environ.get("SOFTSIM_DEMO_SEED", "1")),
        "extra": json.loads(os.environ.get("SOFTSIM_DEMO_EXTRA", "[]")),
    }


def _pct(v: float) -> str:
    return "–" if v != v else f"{100 * v:.1f} %"


def _money(v: float) -> str:
    return "–" if v != v else f"{v:,.0f} €".replace(",", "\u202f")


@solara.component
def LeverControl(session: Session, name: str, refresh, tick: int):
    """A lever: a slider (or choices) and a field where a value can be typed."""
    lv = next(x for x in LEVERS if x.name == name)
    label = session.t(f"lever.{name}")
    value = session.values[name]

    def apply(raw):
        session.set_lever(name, raw)
        refresh()

    if lv.kind == "choice":
        shown = {session.t(f"choice.{c}"): c for c in lv.choices}
        solara.Select(label=label, values=list(shown), value=session.t(f"choice.{value}"),
                      on_value=lambda v: apply(shown.get(v, v)))
        return
    hi = session.run.weeks - 1 if name == "shock_week" else lv.hi
    with solara.Column(gap="0px", classes=[f"ss-lever-{name}"], style={"margin-top": "6px"}):
        solara.Text(label, style={"font-size": "0.9rem", "color": "#444"})
        with solara.Row(style={"align-items": "center", "gap": "6px"}):
            with solara.Column(style={"flex": "1 1 0", "min-width": "120px"}):
                if lv.kind == "int":
                    solara.SliderInt("", value=int(value), min=int(lv.lo), max=int(hi),
                                     step=int(lv.step), on_value=apply)
                else:
                    solara.SliderFloat("", value=float(value), min=lv.lo, max=hi,
                                       step=lv.step, on_value=apply)
            solara.InputText("", value=f"{value:g}", on_value=apply, continuous_update=False,
                             style={"max-width": "90px"}, classes=[f"ss-input-{name}"])


@solara.component
def Monitors(session: Session, tick: int):
    """This week's served needs, the pending pool and spending against the budget."""
    for r in session.runs:
        mon = r.monitors()
        spent = _money(mon["spent"])
        budget = session.t("ui.no_budget") if mon["budget"] != mon["budget"] else _money(
            mon["budget"])
        ind = r.indicators()
        prefix = f"{html.escape(r.config.name)} — " if len(session.runs) > 1 else ""
        solara.HTML(
            tag="div",
            classes=["ss-monitor"],
            unsafe_innerHTML=(
                f"<b>{prefix}</b>{session.t('ui.served_week')}: <b>{mon['served_week']:,.0f}</b>"
                f" · {session.t('ui.pending')}: <b>{mon['pending']:,.0f}</b>"
                f" · {session.t('ui.spent')}: <b>{spent}</b> / {budget}"
                f" · {session.t('chart.coverage')}: <b>{_pct(ind['coverage'])}</b>"
            ).replace(",", "\u202f"),
        )


@solara.component
def Groups(session: Session, tick: int):
    """Coverage of each group of residents and its gap to the rest."""
    head = "".join(f"<th>{session.t(k)}</th>" for k in ("ui.group", "ui.coverage", "ui.gap"))
    runs = session.runs
    if len(runs) > 1:
        head = f"<th>{session.t('ui.group')}</th>" + "".join(
            f"<th>{html.escape(r.config.name)}: {session.t('ui.coverage')}</th>"
            f"<th>{session.t('ui.gap')}</th>" for r in runs)
    tables = [r.groups() for r in runs]
    rows = []
    for i, row in enumerate(tables[0]):
        cells = f"<td>{session.t('group.' + row['group'])}</td>"
        for table in tables:
            gap = table[i]["gap"]
            gap_text = "–" if gap != gap else f"{100 * gap:+.1f} pts"
            cells += f"<td>{_pct(table[i]['coverage'])}</td><td>{gap_text}</td>"
        rows.append(f"<tr>{cells}</tr>")
    solara.HTML(tag="table", classes=["ss-groups"],
                unsafe_innerHTML=f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody>")


@solara.component
def ScenarioUpload(label: str, on_file):
    """A file field (it works on tablets too, unlike a drop zone) for a scenario TOML.

    At most :data:`~softsim.app.state.MAX_UPLOAD_BYTES` + 1 bytes are read, so that a huge
    file is refused by size without being loaded.
    """
    from ipyvuetify.extra import FileInput

    info, set_info = solara.use_state(None)
    files, set_files = solara.use_state(None)
    field = FileInput.element(label=label, on_file_info=set_info, multiple=False,
                              accept=".toml", show_progress=False)

    def wire():
        if info:
            widget = solara.get_widget(field)
            widget.version += 1
            widget.reset_stats()
            set_files(widget.get_files())

    solara.use_effect(wire, [info])

    def read(cancel):
        if files:
            f = files[0]
            on_file(f["name"], f["file_obj"].read(MAX_UPLOAD_BYTES + 1))

    solara.use_thread(read, [files], intrusive_cancel=False)
    return field


@solara.component_vue("clickable_map.vue")
def ClickableMap(svg: str, event_commune: Callable[[int], None]):
    """The SVG map; a click on a commune calls ``event_commune`` with its index."""


@solara.component
def EditPanel(session: Session, refresh, tick: int):
    """Participatory editing: what to do at the commune chosen on the map, and the edits."""
    t = session.t
    solara.Text(t("edit.hint"))
    solara.Text(t("edit.rule"), style={"font-size": "0.9rem", "color": "#444"})
    territory = session.run.model.territory
    if session.selected is None:
        chosen = t("edit.none_selected")
    else:
        c = session.selected
        chosen = t("edit.selected", name=territory.name[c], code=territory.code[c])
    solara.HTML(tag="div", classes=["ss-edit-selected"], unsafe_innerHTML=html.escape(chosen))

    def act(action):
        def handler():
            session.edit(action)
            refresh()

        return handler

    with solara.Row(style={"flex-wrap": "wrap", "gap": "6px"}):
        for action in EDIT_ACTIONS:
            solara.Button(t(f"edit.{action}"), on_click=act(action), outlined=True,
                          classes=[f"ss-edit-{action}"],
                          disabled=session.selected is None or session.at_horizon)
    effects = session.edit_effects()
    if effects:
        solara.HTML(tag="h4", unsafe_innerHTML=f"{t('edit.list')} ({len(effects)})")
        index = session.run.model.editor.index
        items = "".join(
            "<li><b>" + html.escape(f"{t('edit.week', week=e.week)} · {t('edit.' + e.action)}"
                                    f" · {territory.name[index[e.commune]]}")
            + f"</b> — {html.escape(session.describe(e))}</li>"
            for e in effects)
        solara.HTML(tag="ul", classes=["ss-edits"], unsafe_innerHTML=items)


@solara.component
def Page():
    """The workshop page: one session per browser session."""
    session = solara.use_memo(lambda: Session(**session_options()), [])
    tick, set_tick = solara.use_state(0)
    playing, set_playing = solara.use_state(False)
    speed, set_speed = solara.use_state(2.0)
    play_flag = solara.use_memo(threading.Event, [])
    live = solara.use_memo(dict, [])  # read by the play thread: the speed as it is now
    live["speed"] = speed

    def refresh():
        set_tick(lambda n: n + 1)

    def play_loop(cancel: threading.Event):
        # a thread per play: steps until paused (flag cleared), the horizon, or the page closes
        while play_flag.is_set() and not cancel.is_set():
            started = time.monotonic()
            if session.step() is not None:
                play_flag.clear()
                set_playing(False)
                refresh()
                break
            refresh()
            pause = 1.0 / max(live["speed"], 0.1) - (time.monotonic() - started)
            cancel.wait(max(0.0, pause))

    # not intrusive: an intrusive cancel raises inside the thread wherever it is, which could
    # stop a model in the middle of a week; the loop checks ``cancel`` between weeks instead
    solara.use_thread(play_loop, dependencies=[playing], intrusive_cancel=False)

    def toggle_play():
        if playing:
            play_flag.clear()
            set_playing(False)
        else:
            play_flag.set()
            set_playing(True)

    def step_once():
        session.step()
        refresh()

    def reset():
        play_flag.clear()
        set_playing(False)
        session.reset()
        refresh()

    def do(action):
        def handler(*args):
            play_flag.clear()
            set_playing(False)
            action(*args)
            refresh()

        return handler

    def choose(commune):
        session.select_commune(commune)
        refresh()

    t = session.t
    with session.lock:
        maps = [map_svg(r, session.layer, t,
                        title=r.config.name if len(session.runs) > 1 else None,
                        selected=session.selected if i == 0 else None)
                for i, r in enumerate(session.runs)]
        chart = charts_svg(session.runs, t)
    week_text = t("ui.week", week=session.week, weeks=session.run.weeks)
    year_text = t("ui.year", year=session.year)

    solara.Style(CSS)
    solara.Title(t("ui.title"))
    with solara.Column(style={"padding": "12px", "gap": "8px"}):
        with solara.Row(style={"align-items": "center", "justify-content": "space-between"}):
            with solara.Column(gap="0px"):
                solara.HTML(tag="h1", classes=["ss-title"], unsafe_innerHTML=t("ui.title"))
                solara.Text(t("ui.subtitle"))
            other = next(x for x in LANGS if x != session.lang)
            solara.Button(t("ui.language"), on_click=do(lambda: session.set_lang(other)),
                          classes=["ss-lang"], outlined=True)
        with solara.Row(style={"align-items": "center", "gap": "10px", "flex-wrap": "wrap"}):
            solara.Text(f"{t('ui.scenario')}:")
            solara.ToggleButtonsSingle(value=session.scenario, values=session.scenarios,
                                       on_value=do(lambda v: v and session.set_scenario(v)),
                                       classes=["ss-scenario"])
            none = t("ui.compare_none")
            solara.Select(label=t("ui.compare_with"), values=[none, *session.scenarios],
                          value=session.compare_to or none,
                          on_value=do(lambda v: session.set_compare(
                              None if v in (none, None) else v)),
                          style={"max-width": "220px"})
        with solara.Row(style={"align-items": "center", "gap": "10px", "flex-wrap": "wrap"}):
            solara.Button(t("ui.pause") if playing else t("ui.play"), on_click=toggle_play,
                          color="primary", classes=["ss-play"], disabled=session.at_horizon)
            solara.Button(t("ui.step"), on_click=step_once, classes=["ss-step"],
                          disabled=playing or session.at_horizon)
            solara.Button(t("ui.reset"), on_click=reset, classes=["ss-reset"])
            with solara.Column(style={"width": "440px"}):
                solara.SliderFloat(t("ui.speed"), value=speed, min=0.5, max=10.0, step=0.5,
                                   on_value=set_speed)
            solara.HTML(tag="span", classes=["ss-week"], unsafe_innerHTML=week_text)
            solara.Text(f"({year_text}, {t('ui.seed', seed=session.seed)})")
        if session.message:
            solara.HTML(tag="div", classes=["ss-message"],
                        unsafe_innerHTML=html.escape(session.message))
        Monitors(session, tick)
        with solara.Columns([3, 2]):
            with solara.Column():
                with solara.Row(style={"align-items": "center", "gap": "8px"}):
                    solara.Text(f"{t('ui.map_layer')}:")
                    solara.ToggleButtonsSingle(
                        value=t(f"layer_button.{session.layer}"),
                        values=[t(f"layer_button.{x}") for x in LAYERS],
                        on_value=do(lambda v: session.set_layer(
                            next((x for x in LAYERS if t(f"layer_button.{x}") == v),
                                 session.layer))),
                        classes=["ss-layer"],
                    )
                with solara.Row(classes=["ss-maps"], style={"width": "100%"}):
                    ClickableMap(svg=maps[0], event_commune=choose)  # the main run is edited
                    for svg in maps[1:]:
                        solara.HTML(tag="div", unsafe_innerHTML=svg,
                                    style={"flex": "1 1 0", "min-width": "0"})
                if len(session.runs) > 1:
                    solara.Text(t("ui.same_seed"))
            with solara.Column():
                solara.HTML(tag="h3", unsafe_innerHTML=t("ui.charts"))
                solara.HTML(tag="div", unsafe_innerHTML=chart, classes=["ss-charts"])
                solara.HTML(tag="h3", unsafe_innerHTML=t("ui.groups"))
                Groups(session, tick)
        with solara.Card(t("edit.title"), classes=["ss-edit"]):
            EditPanel(session, refresh, tick)
        with solara.Columns([1, 1, 1]):
            with solara.Card(t("ui.levers")):
                solara.Text(t("ui.levers_note"))
                for lv in LEVERS:
                    if not lv.future:
                        LeverControl(session, lv.name, refresh, tick)
            with solara.Card(t("ui.futures")):
                for lv in LEVERS:
                    if lv.future:
                        LeverControl(session, lv.name, refresh, tick)
            with solara.Card(t("ui.about")):
                title, idea = session.about()
                solara.HTML(tag="h4", unsafe_innerHTML=html.escape(title))
                solara.Text(idea)
                solara.HTML(tag="h4", unsafe_innerHTML=t("ui.take_home"))
                stem = re.sub(r"[^\w.-]+", "_", session.scenario)
                solara.FileDownload(lambda: session.scenario_toml(),
                                    filename=f"{stem}-atelier.toml",
                                    label=t("ui.save_scenario"), mime_type="application/toml")
                solara.FileDownload(lambda: session.results_csv()[0],
                                    filename=f"{stem}-resume.csv",
                                    label=t("ui.download_summary"), mime_type="text/csv")
                solara.FileDownload(lambda: session.results_csv()[1],
                                    filename=f"{stem}-series.csv",
                                    label=t("ui.download_series"), mime_type="text/csv")
                solara.Text(t("ui.upload"))
                ScenarioUpload(t("ui.upload"), do(session.load_scenario))
        with solara.Card(t("ui.mechanisms")):
            solara.HTML(tag="div", classes=["ss-mechanisms"], unsafe_innerHTML="".join(
                f"<details><summary><b>{html.escape(title)}</b></summary>"
                f"<p>{html.escape(idea)}</p></details>"
                for title, idea in mechanisms(session.lang)))

