"""Dated edits of the territory: actors placed by commune from a given week.

A scenario's ``[[edits]]`` (``week``, ``action``, ``commune``, optional ``group``) are applied
at the start of their week, by the ``edits`` phase of :data:`~softsim.schedule.SCHEDULE`;
week 0 edits are the initial placement (applied when the model is built). Edits are applied
in week order, then in the order they are listed; they draw no random number. Actions:

* ``add_site``: a fixed site of ``group`` (default: the first group with sites) opens at the
  commune, offering the group's types at its slots;
* ``remove_site``: a site of ``group`` (default: of the first group with a site there) at
  the commune closes; the last site of a group cannot be removed;
* ``module``: a pop-up module is put at the commune. Modules are taken in turn (the k-th
  module edit moves module ``k mod modules``); after week 0 it is closed ``move_weeks``
  like any move;
* ``mobile_base``: a mobile agent's base moves to the commune (agents taken in turn).

**The budget rule: an edit adds no money.** A site group's weekly money is what its sites
cost when the model is built (``M``); after a site edit it is re-divided between the
group's ``n`` sites: each keeps its fixed cost and ``floor((M / n − fixed) / cost per
contact)`` contacts a week, so the group never costs more than ``M``. Opening a site thus
costs its fixed cost, paid in contacts of the whole group (:attr:`Effect.gave`); closing one
gives its money back to the others. A module moved by an edit costs no money beyond its
running cost, which runs on while it is closed (an assumption: a move decided by the room
is made with the module's own staff); what gives is its capacity for ``move_weeks``. Moving
a mobile agent's base costs nothing.

Whether every edit can apply is checked when the model is built, before the first week
(:meth:`Editor.check`): a site to remove that is not there, a group whose money cannot pay
one contact a site more, a module or mobile edit without module or mobile agent is a one-line
:class:`~softsim.errors.ConfigError` naming the edit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from softsim.config.sections import Edit
from softsim.errors import ConfigError
from softsim.services import FixedSite
from softsim.slots import slot_mask

__all__ = ["Edit", "Editor", "Effect", "site_contacts"]


def site_contacts(money: float, n: int, fixed: float, per_contact: float) -> int:
    """Contacts a week of each of ``n`` sites sharing ``money`` € a week (see the budget rule).

    Returns 0 when the money cannot pay the fixed costs and one contact a site.
    """
    if n <= 0 or per_contact <= 0:
        return 0
    return max(0, math.floor((money / n - fixed) / per_contact + 1e-9))


@dataclass(frozen=True)
class Effect:
    """What an edit does and what had to give for it (the page shows it; the run reports it).

    Attributes:
        index: The edit's position in the scenario's ``edits``.
        week: The week it takes effect.
        action, commune, group: As in the edit (``group`` resolved for a site edit).
        cost: € a week the edit moves within its group's money (a new site's fixed cost,
            or the fixed cost a closed site frees); 0 for modules and mobile bases.
        gave: Numbers of what had to give: for a site edit the contacts a week of each
            site of the group and of the whole group, ``before`` and ``after``; for a
            module moved after week 0 the weeks it is closed and the contacts lost.
    """

    index: int
    week: int
    action: str
    commune: str
    group: str | None = None
    cost: float = 0.0
    gave: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """Plain dict (JSON/TOML-ready)."""
        out = {"index": self.index, "week": self.week, "action": self.action,
               "commune": self.commune, "cost": self.cost, **self.gave}
        if self.group is not None:
            out["group"] = self.group
        return out


class Editor:
    """A model's dated edits: checked when the model is built, applied week by week.

    Args:
        model: The :class:`~softsim.model.SoftTerritory`, its actors placed.
        edits: The scenario's edits.

    Raises:
        ConfigError: An edit cannot apply (see :meth:`check`).
    """

    def __init__(self, model, edits: list[Edit]) -> None:
        t, cfg = model.territory, model.cfg
        self.index = {str(c): i for i, c in enumerate(t.code)}
        self.groups = cfg.sites
        # each group's money and sites as built: the budget rule's reference
        self.money = {g: 0.0 for g in cfg.sites}
        self.initial = [(s.group, s.commune) for s in model.sites]
        for s in model.sites:
            self.money[s.group] += s.weekly_cost
        self.n_modules = len(model.modules)
        self.n_mobile = len(model.mobile_agents)
        self.move_weeks = cfg.modules.move_weeks
        self.module_capacity = [m.nominal_capacity for m in model.modules]
        self.edits: list[Edit] = []
        self.effects: list[Effect] = []
        self.applied = 0  # edits of :attr:`order` applied so far
        self.turns = {"module": 0, "mobile_base": 0}
        self.set_edits(list(edits))

    # ------------------------------------------------------------------ checking

    @property
    def order(self) -> list[int]:
        """Indices of the edits in the order they apply: by week, then as listed."""
        return sorted(range(len(self.edits)), key=lambda i: (self.edits[i].week, i))

    def check(self, edits: list[Edit]) -> list[Effect]:
        """Play ``edits`` on the actors as built, without touching the model.

        Returns:
            The effect of each edit, in the order they apply.

        Raises:
            ConfigError: One line naming the first edit that cannot apply and why.
        """
        sites = list(self.initial)
        turns = {"module": 0, "mobile_base": 0}
        effects = []
        for i in sorted(range(len(edits)), key=lambda i: (edits[i].week, i)):
            e = edits[i]
            if e.commune not in self.index:
                raise ConfigError(f"edits.{i}.commune: no commune coded {e.commune!r}")
            c = self.index[e.commune]
            if e.action in ("add_site", "remove_site"):
                effects.append(self._check_site(i, e, c, sites))
            elif e.action == "module":
                if self.n_modules == 0:
                    raise ConfigError(f"edits.{i}.action: 'module' but the scenario has no "
                                      "pop-up module (expected modules.count > 0)")
                k = turns["module"] % self.n_modules
                turns["module"] += 1
                gave = {}
                if e.week > 0 and self.move_weeks > 0:
                    gave = {"module": k + 1, "closed_weeks": self.move_weeks,
                            "contacts_lost": self.move_weeks * self.module_capacity[k]}
                else:
                    gave = {"module": k + 1}
                effects.append(Effect(i, e.week, e.action, e.commune, gave=gave))
            else:
                if self.n_mobile == 0:
                    raise ConfigError(f"edits.{i}.action: 'mobile_base' but the scenario has no "
                                      "mobile agent (expected mobile.agents > 0)")
                k = turns["mobile_base"] % self.n_mobile
                turns["mobile_base"] += 1
                effects.append(Effect(i, e.week, e.action, e.commune, gave={"agent": k + 1}))
        return effects

    def _check_site(self, i: int, e: Edit, c: int, sites: list) -> Effect:
        if e.group is not None and e.group not in self.groups:
            raise ConfigError(f"edits.{i}.group: unknown site group {e.group!r} "
                              f"(expected one of {', '.join(self.groups)})")
        if e.action == "add_site":
            group = e.group or next((g for g in self.groups if self.money[g] > 0), None)
            if group is None or self.money[group] <= 0:
                raise ConfigError(f"edits.{i}.group: no site group has sites to share its money "
                                  "with a new one (expected a group with sites)")
        else:
            here = [g for g, cc in sites if cc == c and (e.group is None or g == e.group)]
            if not here:
                raise ConfigError(f"edits.{i}.commune: no fixed site"
                                  f"{'' if e.group is None else ' of ' + e.group} at "
                                  f"{e.commune} in week {e.week}")
            group = here[0]
        g = self.groups[group]
        n = sum(1 for gg, _ in sites if gg == group)
        after_n = n + 1 if e.action == "add_site" else n - 1
        if after_n == 0:
            raise ConfigError(f"edits.{i}.commune: the last site of {group} cannot be removed "
                              "(expected another site of the group to keep its money)")
        if g.cost_per_capacity <= 0:
            raise ConfigError(f"edits.{i}.group: sites.{group}.cost_per_capacity is 0, so its "
                              "money cannot be re-divided (expected > 0)")
        money = self.money[group]
        before = site_contacts(money, n, g.fixed_cost_per_week, g.cost_per_capacity)
        after = site_contacts(money, after_n, g.fixed_cost_per_week, g.cost_per_capacity)
        if after < 1:
            most = int(money // (g.fixed_cost_per_week + g.cost_per_capacity))
            raise ConfigError(f"edits.{i}.commune: the money of {group} ({money:,.0f} € a week) "
                              f"pays at most {most} sites (expected no more)")
        if e.action == "add_site":
            sites.append((group, c))
        else:
            sites.remove((group, c))
        return Effect(i, e.week, e.action, e.commune, group,
                      cost=g.fixed_cost_per_week,
                      gave={"sites_before": n, "sites_after": after_n,
                            "contacts_per_site_before": before,
                            "contacts_per_site_after": after,
                            "group_contacts_before": before * n,
                            "group_contacts_after": after * after_n})

    def set_edits(self, edits: list[Edit]) -> list[Effect]:
        """Check and take ``edits`` (the applied ones must come first, unchanged).

        Raises:
            ConfigError: An edit cannot apply, or an edit already applied was changed.
        """
        effects = self.check(edits)
        done = [self.edits[i] for i in self.order[: self.applied]]
        order = sorted(range(len(edits)), key=lambda i: (edits[i].week, i))
        if [edits[i] for i in order[: self.applied]] != done:
            raise ConfigError("edits: an edit already applied cannot change")
        self.edits, self.effects = edits, effects
        return effects

    # ------------------------------------------------------------------ applying

    def apply(self, model, week: int) -> list[Effect]:
        """Apply every edit due by ``week`` not applied yet; returns their effects."""
        out = []
        order = self.order
        while self.applied < len(order) and self.edits[order[self.applied]].week <= week:
            effect = self.effects[self.applied]
            self._apply(model, self.edits[order[self.applied]], week)
            self.applied += 1
            out.append(effect)
        return out

    def _apply(self, model, e: Edit, week: int) -> None:
        c = self.index[e.commune]
        cell = model.space[c]
        if e.action == "module":
            mod = model.modules[self.turns["module"] % len(model.modules)]
            self.turns["module"] += 1
            if week == 0:
                mod.cell = cell
            else:
                mod.reconfigure(cell, mod.types, mod.slots, self.move_weeks,
                                model.cfg.modules.retype_weeks)
        elif e.action == "mobile_base":
            agent = model.mobile_agents[self.turns["mobile_base"] % len(model.mobile_agents)]
            self.turns["mobile_base"] += 1
            agent.base = agent.cell = cell
        elif e.action == "add_site":
            group = e.group or next(g for g in self.groups if self.money[g] > 0)
            g = self.groups[group]
            model.sites.append(FixedSite(
                model, cell, group, model.types.ids(g.types, f"sites.{group}.types"), 0,
                slot_mask(g.slots), 0.0))
            self._redivide(model, group)
        else:
            site = next(s for s in model.sites
                        if s.commune == c and (e.group is None or s.group == e.group))
            model.sites.remove(site)
            site.remove()
            self._redivide(model, site.group)

    def _redivide(self, model, group: str) -> None:
        g = self.groups[group]
        mine = [s for s in model.sites if s.group == group]
        each = site_contacts(self.money[group], len(mine), g.fixed_cost_per_week,
                             g.cost_per_capacity)
        for s in mine:
            s.capacity = each
            s.weekly_cost = g.fixed_cost_per_week + each * g.cost_per_capacity

    def report(self) -> list[dict]:
        """Every edit's effect (applied or due), in the order they apply."""
        return [e.as_dict() for e in self.effects]
