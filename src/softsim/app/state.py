"""What one browser session of the workshop page holds and does, in plain Python (no Solara).

A :class:`Session` is one room's (or one participant's) game: a scenario, the values of the
levers, a model stepped week by week (:class:`Run`), optionally a second scenario stepped beside
it on the same seed, and what they produced so far. The Solara components
(:mod:`softsim.app.page`) only draw a session and forward clicks to it; everything a click can
do, and every refusal, is here and is unit-tested without a browser.

Every value coming from the page goes through :meth:`Session.set_lever` (or the other
``set_*`` methods), which returns ``None`` when applied and a one-line message, in the page's
language, when refused; nothing a participant types raises.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tomli_w

from softsim import metrics as m
from softsim.config import Config, config_to_dict, list_scenarios, load_config, with_seed
from softsim.config.sections import CHANNELS, EDIT_ACTIONS, Edit
from softsim.edits import Effect
from softsim.errors import SoftsimError
from softsim.groups import GROUPS, group_masks
from softsim.model import SoftTerritory
from softsim.rng import SeedTree
from softsim.territory import Territory, build_territory
from softsim.texts import DEFAULT_LANG, LANGS, flat, text

__all__ = [
    "LAYERS",
    "LEVERS",
    "Lever",
    "Run",
    "Session",
    "shared_territory",
]

LAYERS: tuple[str, ...] = ("coverage", "unmet", "non_take_up")
"""What the map's colour can show (texts under ``layer.``)."""

SLOT_CHOICES: dict[str, list[str] | None] = {
    "scenario": None,
    "weekday": ["weekday"],
    "weekday_evening": ["weekday", "evening"],
    "weekday_saturday": ["weekday", "saturday"],
    "all_slots": ["weekday", "evening", "saturday"],
}
SHOCK_CHOICES: tuple[str, ...] = ("none", "plant_closure", "epidemic", "budget_cut")
SHOCK_MAGNITUDE = {"plant_closure": 3.0, "epidemic": 0.8, "budget_cut": 0.2}
"""Magnitudes of a shock set on the page: those of the bundled ``shock`` future."""


@dataclass(frozen=True)
class Lever:
    """One slider or choice of the page.

    Attributes:
        name: Its name on the page and in the texts (``lever.<name>``).
        path: The config field it sets (``section.key``); empty for the composite levers
            (opening hours of every site group, the shock).
        lo, hi, step: Range and step of a slider.
        kind: ``"float"``, ``"int"`` or ``"choice"``.
        choices: The choices of a ``"choice"`` lever (texts under ``choice.``).
        future: Whether it belongs to the futures (shared by both scenarios of a comparison).
    """

    name: str
    path: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 1.0
    kind: str = "float"
    choices: tuple[str, ...] = ()
    future: bool = False


LEVERS: tuple[Lever, ...] = (
    Lever("budget_per_1000", "budget.per_1000_per_week", 50.0, 500.0, 5.0),
    Lever("faire_faire", "budget.faire_faire", 0.0, 0.5, 0.01),
    Lever("faire_avec", "budget.faire_avec", 0.0, 0.5, 0.01),
    Lever("inciter", "budget.inciter", 0.0, 0.5, 0.01),
    # shares of public provision (budget.mix): the money buys the counts; fixed sites get the rest
    Lever("modules", "budget.mix.modules", 0.0, 0.4, 0.01),
    Lever("mobile_agents", "budget.mix.mobile", 0.0, 0.4, 0.01),
    Lever("buses", "budget.mix.bus", 0.0, 0.4, 0.01),
    Lever("information", "budget.mix.information", 0.0, 0.4, 0.01),
    Lever("rollout", "budget.mix.rollout", 0.0, 0.4, 0.01),
    Lever("review_weeks", "orchestrator.review_weeks", 1, 26, 1, "int"),
    Lever("accessibility", "priorities.accessibility", 0.0, 4.0, 0.5),
    Lever("information_ramp_up", "information.years_to_full_effect", 0.0, 10.0, 1.0),
    Lever("site_slots", "", kind="choice", choices=tuple(SLOT_CHOICES)),
    Lever("budget_trend", "futures.budget_trend_per_year", -0.10, 0.05, 0.01, future=True),
    Lever("need_growth", "futures.need_growth_per_year", 0.0, 0.10, 0.01, future=True),
    Lever("shock_kind", "", kind="choice", choices=SHOCK_CHOICES, future=True),
    Lever("shock_week", "", 1, 311, 1, "int", future=True),
)
"""The levers of the page, in the order they are shown."""

_BY_NAME = {lv.name: lv for lv in LEVERS}
MAX_UPLOAD_BYTES = 200_000
"""Largest scenario file the page accepts (a saved scenario is about 6 kB)."""
_POSTURES = ("faire", "faire_faire", "faire_avec", "inciter", "laisser_faire")
_MIX_LEVERS = {"modules": "modules", "mobile_agents": "mobile", "buses": "bus",
               "information": "information", "rollout": "rollout"}
"""Levers that set a channel's share of public provision (``budget.mix``), by channel."""


def _sites_share(cfg: Config, values: dict) -> float:
    """What the channel levers leave to the fixed sites: 1 − the other channels' shares."""
    shares = {c: float(getattr(cfg.budget.mix, c)) for c in CHANNELS if c != "sites"}
    shares.update({c: float(values[name]) for name, c in _MIX_LEVERS.items()})
    return 1.0 - sum(shares.values())

_territories: dict[tuple, Territory] = {}
_territories_lock = threading.Lock()


def shared_territory(cfg: Config, seed: int) -> Territory:
    """The territory of ``cfg`` at ``seed``, built once per process and shared by sessions.

    A :class:`~softsim.territory.Territory` is read-only during a run (what changes, such as
    broadband, lives in the model), so every session can share it; each keeps its own model.
    """
    key = (cfg.territory.model_dump_json(), cfg.travel.model_dump_json(), seed)
    with _territories_lock:
        if key not in _territories:
            _territories[key] = build_territory(cfg.territory, cfg.travel, SeedTree(seed))
        return _territories[key]


def _get(cfg: Config, path: str):
    node = cfg
    for part in path.split("."):
        node = getattr(node, part)
    return node


def _fmt_number(v: float) -> str:
    return f"{v:g}"


class Run:
    """One scenario stepped week by week, with the history the page charts.

    Args:
        cfg: The resolved scenario.
        seed: Root seed.
        territory: The (shared) territory.
    """

    def __init__(self, cfg: Config, seed: int, territory: Territory) -> None:
        self.config = cfg
        self.seed = seed
        self.model = SoftTerritory(cfg, seed, territory=territory)
        self.history: dict[str, list[float]] = {
            "week": [], "coverage": [], "non_take_up": [], "gini": []
        }

    @property
    def week(self) -> int:
        """Weeks stepped so far."""
        return self.model.week

    @property
    def weeks(self) -> int:
        """The horizon in weeks."""
        return self.config.weeks

    def step(self) -> bool:
        """Step one week and record the charts' values; False (nothing done) at the horizon."""
        if self.model.week >= self.weeks:
            return False
        self.model.step()
        ind = self.indicators()
        self.history["week"].append(self.model.week)
        for key in ("coverage", "non_take_up", "gini"):
            self.history[key].append(ind[key])
        return True

    def indicators(self) -> dict[str, float]:
        """Coverage of latent needs, non-take-up and Gini of fulfilment, over the weeks so far.

        NaN before any need arose (the same definitions as the run's summary).
        """
        res = self.model.residents
        latent = int(res.latent.sum())
        has = res.latent > 0
        gini = m.gini(m.fulfilment(res.served[has], res.latent[has])) if has.any() else math.nan
        return {
            "coverage": m.ratio(int(res.served.sum()), latent),
            "non_take_up": m.ratio(int(res.not_taken_up.sum()), latent),
            "gini": gini,
        }

    def commune_values(self, layer: str) -> np.ndarray:
        """Per commune, the value the map colours by (see :data:`LAYERS`); NaN where undefined.

        ``coverage`` and ``non_take_up`` are over the weeks so far, by home commune; ``unmet``
        is this week's needs expressed and not served, per 1,000 simulated residents.
        """
        model, res = self.model, self.model.residents
        n = model.territory.n
        latent = np.bincount(res.home, weights=res.latent, minlength=n)
        if layer == "coverage":
            num = np.bincount(res.home, weights=res.served, minlength=n)
        elif layer == "non_take_up":
            num = np.bincount(res.home, weights=res.not_taken_up, minlength=n)
        elif layer == "unmet":
            unmet = model.now.unmet.sum(axis=(1, 2)).astype(float)
            residents = model.residents_c.astype(float)
            return np.divide(1000.0 * unmet, residents, out=np.full(n, np.nan),
                             where=residents > 0)
        else:
            raise ValueError(f"unknown map layer {layer!r} (expected one of {LAYERS})")
        return np.divide(num, latent, out=np.full(n, np.nan), where=latent > 0)

    def actors(self) -> dict[str, np.ndarray]:
        """Communes of each kind of actor this week (one entry per actor)."""
        model = self.model

        def communes(items) -> np.ndarray:
            return np.array(list(items), dtype=np.int64)

        modules = [mod for mod in model.modules]
        assoc = model.associations.associations if model.associations is not None else []
        return {
            "site": communes(s.commune for s in model.sites),
            "module": communes(mod.commune for mod in modules if not mod.in_transit),
            "module_transit": communes(mod.commune for mod in modules if mod.in_transit),
            "mobile": communes(int(a.base.coordinate) for a in model.mobile_agents),
            "bus_stop": communes(
                int(s) for b in model.buses for s in (getattr(b, "stops", None) or [])
            ),
            "association": communes(a.commune for a in assoc),
        }

    def monitors(self) -> dict[str, float]:
        """This week's served needs, the pending pool, and spending against the budget so far.

        ``budget`` is NaN when the scenario has no budget cap.
        """
        model, w = self.model, self.model.week
        series = model.series
        capped = model.budget.capped
        return {
            "served_week": float(series["served"][w - 1]) if w > 0 else 0.0,
            "pending": float(len(model.pool)),
            "spent": float(series["cost_budgeted"][:w].sum()),
            "budget": float(series["budget"][:w].sum()) if capped else math.nan,
        }

    def groups(self) -> list[dict]:
        """Per group of residents: coverage of latent needs so far and its gap to the rest."""
        res = self.model.residents
        masks = group_masks(res, self.model.territory)
        rows = []
        for g in GROUPS:
            sel = masks[g]
            cov = m.ratio(int(res.served[sel].sum()), int(res.latent[sel].sum()))
            rest = ~sel
            cov_rest = m.ratio(int(res.served[rest].sum()), int(res.latent[rest].sum()))
            gap = cov - cov_rest if rest.any() else math.nan
            rows.append({"group": g, "residents": int(sel.sum()), "coverage": cov, "gap": gap})
        return rows


class Session:
    """One browser session of the workshop page.

    Args:
        territory: Territory spec (``synthetic``, ``grid``, ``dep:<code>``, …).
        lang: Language of the page's messages (``fr`` or ``en``).
        seed: Root seed of both scenarios (common random numbers).
        extra: Further ``section.key=value`` overrides applied to every scenario (e.g. the
            demo's ``population.scale``); saved with the scenario.
        scenario: The scenario to start with.

    Raises:
        SoftsimError: The territory, the overrides or the scenario are refused (the demo checks
            them once at start-up, before serving).
    """

    def __init__(
        self,
        territory: str = "synthetic",
        lang: str = DEFAULT_LANG,
        seed: int = 1,
        extra: list[str] | None = None,
        scenario: str = "hard",
    ) -> None:
        self.territory_spec = territory
        self.lang = lang if lang in LANGS else DEFAULT_LANG
        self.seed = seed
        self.extra = list(extra or [])
        self.sources: dict[str, str | dict] = {name: name for name in list_scenarios()}
        self.scenario = scenario
        self.compare_to: str | None = None
        self.layer = LAYERS[0]
        self.values: dict[str, float | int | str] = {}
        self.message: str | None = None
        self.runs: list[Run] = []
        self.lock = threading.RLock()
        self.selected: int | None = None  # the commune clicked on the map
        self.edits: list[dict] = []  # the main scenario's edits: its file's, then the room's
        self._edits_of: str | None = None  # the scenario they belong to
        cfg = self._config(scenario, {})
        self.values = self._scenario_values(cfg)
        self._take_edits(scenario, cfg)
        self._start([cfg])

    # ------------------------------------------------------------------ texts

    def t(self, key: str, **values: object) -> str:
        """A text of the page in the session's language."""
        return text(self.lang, key, **values)

    def set_lang(self, lang: str) -> str | None:
        """Switch the language of the page; returns a message if refused."""
        if lang not in LANGS:
            return self._refuse(f"{lang!r} ∉ {', '.join(LANGS)}")
        self.lang = lang
        self.message = None
        return None

    # ------------------------------------------------------------------ configs

    @property
    def scenarios(self) -> list[str]:
        """The scenarios the page offers: the bundled ones, then those brought in."""
        return list(self.sources)

    def _load(self, scenario: str, over: list[str] | None = None, **sections) -> Config:
        """A scenario of the page, on the page's territory, with ``over`` applied."""
        return load_config(self.sources[scenario], self._base_overrides() + list(over or []),
                           **sections)

    def about(self) -> tuple[str, str]:
        """Title and one-paragraph explanation of the main scenario, in the page's language.

        A scenario brought in has no translated text: its name and its own description.
        """
        texts = flat(self.lang)
        key = f"scenario.{self.scenario}"
        if self.sources[self.scenario] == self.scenario and f"{key}.title" in texts:
            return texts[f"{key}.title"], texts[f"{key}.idea"]
        return self.scenario, self.run.config.description

    def load_scenario(self, filename: str, data: bytes) -> str | None:
        """Play a scenario file brought to the page (e.g. one saved from it earlier).

        The file is checked like ``softsim run`` checks it and played on the page's territory
        and seed; it then joins the scenario picker. A file that is too large, not UTF-8, not
        TOML, ``extends`` something else than a bundled scenario, or that the config refuses is
        refused with a one-line message and changes nothing.
        """
        label = Path(str(filename)).name or "?"
        if len(data) > MAX_UPLOAD_BYTES:
            return self._refuse(self.t("error.upload_size", name=label,
                                       size=MAX_UPLOAD_BYTES // 1000))
        try:
            raw = tomllib.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            return self._refuse(self.t("error.upload_text", name=label))
        except tomllib.TOMLDecodeError as exc:
            reason = " ".join(str(exc).split())
            return self._refuse(self.t("error.upload_toml", name=label, reason=reason))
        parent = raw.get("extends")
        bundled = list_scenarios()
        if parent is not None and parent not in bundled:
            return self._refuse(self.t("error.upload_extends", name=label,
                                       known=", ".join(bundled)))
        raw.setdefault("name", Path(label).stem)
        with self.lock:
            try:
                cfg = load_config(raw, self._base_overrides())
            except SoftsimError as exc:
                return self._refuse(self.t("error.config", reason=f"{label}: {exc}"))
            name, k = cfg.name, 2
            while name in self.sources:
                name, k = f"{cfg.name}-{k}", k + 1
            self.sources[name] = {**raw, "name": name}
            problem = self.set_scenario(name)
            if problem is not None:
                del self.sources[name]
            return problem

    def _base_overrides(self) -> list[str]:
        spec = self.territory_spec.replace("\\", "\\\\").replace('"', '\\"')
        return [f'territory.spec="{spec}"', *self.extra]

    def _scenario_values(self, cfg: Config) -> dict[str, float | int | str]:
        values: dict[str, float | int | str] = {}
        for lv in LEVERS:
            if lv.path:
                v = _get(cfg, lv.path)
                if v is None:  # no budget cap in this scenario: the slider starts at the bottom
                    v = lv.lo
                values[lv.name] = int(v) if lv.kind == "int" else float(v)
        values["site_slots"] = "scenario"
        shocks = cfg.futures.shocks
        values["shock_kind"] = shocks[0].kind if len(shocks) == 1 else "none"
        values["shock_week"] = shocks[0].week if len(shocks) == 1 else min(52, cfg.weeks - 1)
        return values

    def _overrides(self, cfg: Config, values: dict, futures_only: bool) -> tuple[list, dict]:
        """Overrides that turn the scenario ``cfg`` into what the levers say."""
        over: list[str] = []
        for lv in LEVERS:
            if not lv.path or (futures_only and not lv.future):
                continue
            v = values[lv.name]
            current = _get(cfg, lv.path)
            if current is None or not math.isclose(float(current), float(v), abs_tol=1e-12):
                over.append(f"{lv.path}={v}")
        if not futures_only:
            shares = {p: float(getattr(cfg.budget, p)) for p in _POSTURES}
            for p in ("faire_faire", "faire_avec", "inciter"):
                shares[p] = float(values[p])
            faire = 1.0 - sum(shares[p] for p in _POSTURES if p != "faire")
            if not math.isclose(faire, cfg.budget.faire, abs_tol=1e-9):
                over.append(f"budget.faire={round(faire, 10)}")
            sites = _sites_share(cfg, values)
            if not math.isclose(sites, cfg.budget.mix.sites, abs_tol=1e-9):
                over.append(f"budget.mix.sites={round(sites, 10)}")
            slots = SLOT_CHOICES[str(values["site_slots"])]
            if slots is not None:
                for group in cfg.sites:
                    over.append(f"sites.{group}.slots={tomli_w.dumps({'v': slots})[4:].strip()}")
        sections = {}
        kind = str(values["shock_kind"])
        if kind != "none":
            sections["futures"] = {
                "shocks": [
                    {"kind": kind, "week": int(values["shock_week"]),
                     "magnitude": SHOCK_MAGNITUDE[kind]}
                ]
            }
        return over, sections

    def _config(self, scenario: str, values: dict, futures_only: bool = False) -> Config:
        base = self._load(scenario)
        if not values:
            return base
        over, sections = self._overrides(base, values, futures_only)
        if not futures_only and self._edits_of == scenario:
            sections["edits"] = list(self.edits)
        return self._load(scenario, over, **sections)

    def _take_edits(self, scenario: str, cfg: Config) -> None:
        self.edits = [e.model_dump(exclude_none=True) for e in cfg.edits]
        self._edits_of = scenario

    def _start(self, configs: list[Config]) -> None:
        territory = shared_territory(configs[0], self.seed)
        self.runs = [Run(cfg, self.seed, territory) for cfg in configs]

    def _configs(self, scenario: str, compare_to: str | None, values: dict) -> list[Config]:
        configs = [self._config(scenario, values)]
        if compare_to is not None:
            configs.append(self._config(compare_to, values, futures_only=True))
        return configs

    def _refuse(self, reason: str) -> str:
        self.message = self.t("ui.refused", reason=reason)
        return self.message

    # ------------------------------------------------------------------ what a click does

    @property
    def run(self) -> Run:
        """The main scenario's run (the one the levers act on)."""
        return self.runs[0]

    @property
    def week(self) -> int:
        """Weeks stepped so far."""
        return self.run.week

    @property
    def year(self) -> int:
        """The year the next week falls in (1-based)."""
        wpy = self.run.config.simulation.weeks_per_year
        return min(self.week, self.run.weeks - 1) // wpy + 1

    @property
    def at_horizon(self) -> bool:
        """Whether the run has reached its last week."""
        return self.week >= self.run.weeks

    def step(self, weeks: int = 1) -> str | None:
        """Step every run ``weeks`` weeks (the same weeks: both share the seed)."""
        with self.lock:
            for _ in range(weeks):
                if self.at_horizon:
                    self.message = self.t("ui.horizon_reached", weeks=self.run.weeks)
                    return self.message
                for r in self.runs:
                    r.step()
            self.message = None
            return None

    def reset(self) -> None:
        """Start again at week 0 with the same settings and seed."""
        with self.lock:
            self._start([r.config for r in self.runs])
            self.message = None

    def set_layer(self, layer: str) -> str | None:
        """Choose what the map's colour shows."""
        if layer not in LAYERS:
            return self._refuse(f"{layer!r} ∉ {', '.join(LAYERS)}")
        self.layer = layer
        return None

    def set_scenario(self, name: str) -> str | None:
        """Switch the main scenario: its own lever values, the futures kept; back to week 0."""
        if name not in self.scenarios:
            return self._refuse(self.t("error.unknown_scenario", name=name))
        with self.lock:
            edits_of, self._edits_of = self._edits_of, None  # a scenario starts with its own
            try:
                cfg = self._load(name)
                values = self._scenario_values(cfg)
                for lv in LEVERS:
                    if lv.future:
                        values[lv.name] = self.values[lv.name]
                configs = self._configs(name, self.compare_to, values)
                self._start(configs)
            except SoftsimError as exc:
                self._edits_of = edits_of
                return self._refuse(self.t("error.config", reason=str(exc)))
            self.scenario, self.values = name, values
            self._take_edits(name, cfg)
            self.message = None
            return None

    def set_compare(self, name: str | None) -> str | None:
        """Step a second scenario beside the main one on the same seed (None: no comparison)."""
        if name is not None and name not in self.scenarios:
            return self._refuse(self.t("error.unknown_scenario", name=name))
        with self.lock:
            try:
                configs = self._configs(self.scenario, name, self.values)
                self._start(configs)
            except SoftsimError as exc:
                return self._refuse(self.t("error.config", reason=str(exc)))
            self.compare_to = name
            self.message = None
            return None

    def check_lever(self, name: str, raw: object) -> tuple[float | int | str | None, str | None]:
        """The value a lever would take from ``raw`` and None, or None and the refusal."""
        lv = _BY_NAME.get(name)
        if lv is None:
            return None, self.t("ui.refused", reason=repr(name))
        label = self.t(f"lever.{name}")
        if lv.kind == "choice":
            if raw not in lv.choices:
                return None, self.t("error.not_a_choice", label=label, value=raw)
            return raw, None
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw) if not isinstance(raw, str) else float(raw.strip())
        except (TypeError, ValueError):
            return None, self.t("error.not_a_number", label=label, value=raw)
        hi = self.run.weeks - 1 if name == "shock_week" else lv.hi
        if not math.isfinite(value) or not lv.lo <= value <= hi:
            return None, self.t("error.out_of_range", label=label, value=raw,
                                lo=_fmt_number(lv.lo), hi=_fmt_number(hi))
        if lv.kind == "int":
            if value != int(value):
                return None, self.t("error.not_a_number", label=label, value=raw)
            return int(value), None
        return value, None

    def set_lever(self, name: str, raw: object) -> str | None:
        """Set a lever from what the page sent, then start again at week 0.

        Returns:
            None when applied; else the one-line refusal (out of range, not a number, budget
            shares over 1, or a setting the scenario cannot run with), also kept in
            :attr:`message`. A refused value changes nothing.
        """
        value, problem = self.check_lever(name, raw)
        if problem is not None:
            self.message = problem
            return problem
        values = {**self.values, name: value}
        with self.lock:
            cfg = self._load(self.scenario)
            taken = sum(float(values[p]) for p in ("faire_faire", "faire_avec", "inciter"))
            faire = 1.0 - taken - cfg.budget.laisser_faire
            if faire < -1e-9:
                return self._refuse(self.t("error.shares", faire=f"{faire:.2f}"))
            sites = _sites_share(cfg, values)
            if sites < -1e-9:
                return self._refuse(self.t("error.mix", sites=f"{sites:.2f}"))
            try:
                configs = self._configs(self.scenario, self.compare_to, values)
                self._start(configs)
            except SoftsimError as exc:
                return self._refuse(self.t("error.config", reason=str(exc)))
            self.values = values
            self.message = None
            return None

    # ------------------------------------------------------------------ editing the territory

    def select_commune(self, commune: int) -> str | None:
        """Choose the commune the next edit acts on (a click on the map)."""
        n = self.run.model.territory.n
        if isinstance(commune, bool) or not isinstance(commune, int | np.integer) or not (
            0 <= int(commune) < n
        ):
            return self._refuse(f"{commune!r} ∉ 0…{n - 1}")
        self.selected = int(commune)
        self.message = None
        return None

    def edit(self, action: str, group: str | None = None) -> str | None:
        """Act on the chosen commune from the next week on: the main run goes on with the edit.

        ``action`` is one of :data:`~softsim.config.sections.EDIT_ACTIONS`. The edit is dated
        with the week it takes effect (the next week stepped) and joins the scenario's edits,
        so that "save as scenario" and reset keep it. It is refused with a message, changing
        nothing, when no commune is chosen, at the horizon, or when the budget rule or the
        actors refuse it (:meth:`softsim.edits.Editor.check`).
        """
        if action not in EDIT_ACTIONS:
            return self._refuse(f"{action!r} ∉ {', '.join(EDIT_ACTIONS)}")
        if self.selected is None:
            return self._refuse(self.t("edit.no_commune"))
        with self.lock:
            if self.at_horizon:
                self.message = self.t("ui.horizon_reached", weeks=self.run.weeks)
                return self.message
            run = self.run
            code = str(run.model.territory.code[self.selected])
            new = {"week": self.week, "action": action, "commune": code}
            if group is not None:
                new["group"] = group
            try:
                edits = [*self.edits, new]
                taken = [Edit(**e) for e in edits]
                run.model.editor.set_edits(taken)
            except (SoftsimError, ValueError) as exc:
                reason = " ".join(str(exc).split())
                self.message = self.t("edit.refused", reason=reason)
                return self.message
            self.edits = edits
            run.config = run.config.model_copy(update={"edits": taken})
            if run.week == 0:  # before the first week: the initial placement, shown at once
                run.model.editor.apply(run.model, 0)
            self.message = None
            return None

    def edit_effects(self) -> list[Effect]:
        """What each edit of the main run does and what had to give, in the order they apply."""
        return list(self.run.model.editor.effects)

    def describe(self, effect: Effect) -> str:
        """One line, in the page's language, of an edit's cost and what had to give."""
        g = effect.gave
        if effect.action in ("add_site", "remove_site"):
            return self.t(f"edit.{effect.action}_effect", group=effect.group,
                          sites_before=g["sites_before"], sites_after=g["sites_after"],
                          cost=_fmt_number(round(effect.cost, 2)),
                          before=g["contacts_per_site_before"],
                          after=g["contacts_per_site_after"],
                          group_before=g["group_contacts_before"],
                          group_after=g["group_contacts_after"])
        if effect.action == "module":
            key = "edit.module_move_effect" if "closed_weeks" in g else "edit.module_effect"
            return self.t(key, **g)
        return self.t("edit.mobile_base_effect", **g)

    # ------------------------------------------------------------------ take it home

    def scenario_toml(self) -> str:
        """The main scenario as the levers set it, as a TOML file ``softsim run`` accepts.

        The file is complete (no ``extends``) and records the seed, so that running it gives
        the run on the page.
        """
        cfg = with_seed(self.run.config, self.seed)
        data = config_to_dict(cfg)
        data["name"] = f"{self.scenario}-atelier"
        changed = [lv.name for lv in LEVERS if self._changed(lv)]
        note = f"; levers set on the workshop page: {', '.join(changed)}" if changed else ""
        if self.run.config.edits:
            note += f"; {len(self.run.config.edits)} dated edits"
        data["description"] = f"{self.scenario} from the workshop page{note}."
        return tomli_w.dumps(data)

    def _changed(self, lv: Lever) -> bool:
        base = self._scenario_values(self._load(self.scenario))
        return base.get(lv.name) != self.values.get(lv.name)

    def results_csv(self) -> tuple[str, str]:
        """The results so far: a summary (one row per scenario and metric) and the series.

        Returns:
            ``(summary_csv, series_csv)``: the summary has columns ``scenario, metric, value``
            (the summary metrics of :func:`softsim.outcomes.collect`, then the counts and the
            groups' coverage); the series has one row per scenario and week with every weekly
            counter of :data:`softsim.week.SERIES` and the charts' three indicators.
        """
        from softsim.outcomes import collect

        with self.lock:
            summary = io.StringIO()
            w = csv.writer(summary, lineterminator="\n")
            w.writerow(["scenario", "metric", "value"])
            series = io.StringIO()
            s = csv.writer(series, lineterminator="\n")
            names = list(self.run.model.series)
            s.writerow(["scenario", "week", *names, "coverage", "non_take_up", "gini"])
            for r in self.runs:
                out = collect(r.model).summary
                w.writerow([r.config.name, "weeks", out["weeks"]])
                w.writerow([r.config.name, "seed", out["seed"]])
                for k, v in out["counts"].items():
                    w.writerow([r.config.name, f"needs_{k}", v])
                for k, v in out["metrics"].items():
                    w.writerow([r.config.name, k, "" if v is None else v])
                for g, row in out["groups"].items():
                    v = row["coverage_latent"]
                    w.writerow([r.config.name, f"coverage_latent_{g}", "" if v is None else v])
                for i in range(r.week):
                    values = [repr(float(r.model.series[n][i])) for n in names]
                    hist = [repr(float(r.history[k][i]))
                            for k in ("coverage", "non_take_up", "gini")]
                    s.writerow([r.config.name, i + 1, *values, *hist])
            return summary.getvalue(), series.getvalue()
