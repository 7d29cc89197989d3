"""Associations: volunteer pools that emerge, recruit, burn out and dissolve.

Each commune has an *associative dynamism* ``d_c`` (log-normal, mean 1, spread ``dynamism_sd``),
drawn once. Its *volunteer potential* is ``adults_c × volunteer_share × focus_share × d_c ×
engagement`` (``volunteer_share`` ≈ 23 % of adults volunteer, France Bénévolat/IFOP;
``focus_share`` is the part of them active in social help, digital help or mobility).

Every week, for each association (a Mesa ``FixedAgent``):

* it offers ``volunteers × hours_per_volunteer × 60 / minutes_per_contact`` contacts, in its
  slots (evenings and Saturday by default), to residents within ``reach_min`` minutes (local
  help is local), and ``volunteers × carpool_lifts_per_volunteer``
  car-pool lifts to residents of its commune without a car;
* recruits ~ Poisson(``recruit_per_year``/W × max(0, potential × (1 + cofunding) − volunteers));
* quits ~ Binomial(volunteers, ``quit_per_year``/W / (1 + cofunding) + ``overload_quit_per_week``
  if it used at least 95 % of its capacity: burnout);
* below ``min_volunteers`` it dissolves.

A commune without an association sees one emerge with weekly probability
``emergence_per_year``/W × d_c × (1 + incentives), W being ``simulation.weeks_per_year``.
Fragility and unequal dynamism are not written anywhere: they follow from these rules.

Three levers, neutral by default (their draws come from their own streams, set by
:meth:`AssociationSector.use_levers`, so the ``associations`` stream is untouched):

* **Durability** (``cofunding_dependence`` = h, per year). The sector remembers the highest
  weekly co-production money (*faire avec* + *inciter*) seen so far, M*. When this week's M is
  below it, every association dissolves with weekly probability
  ``1 − exp(−h × cut / W)``, ``cut = 1 − M / M*``: h is the yearly hazard under a full cut.
* **Transfer kits** (``transfer_kit_share``). That share of the *inciter* money goes to a kit
  fund instead of incentives; each time the fund holds ``transfer_kit_cost``, the association
  with the highest use of its capacity since it began (at least ``transfer_min_use``) is
  copied to the commune without one that is most like its own: same class, nearest
  log-population. The copy starts like an initial association (its commune's potential).
* **Tailored engagement** (``mission_share`` = m₀; the future's ``mission_shift_per_year``
  moves it, m(t) = clip(m₀ + shift × years)). Of the potential, a part 1 − m stays regular;
  the part m is mission-based, ``mission_potential_factor`` times as many people, each giving
  ``mission_hours_per_volunteer`` hours, recruited at the same rate, quitting at
  ``mission_quit_per_year`` (divided by ``mission_offer_retention`` in associations that offer
  missions that fit, a share ``mission_offer_share`` of them, drawn when each is created).
"""

from __future__ import annotations

import numpy as np
from mesa.discrete_space import FixedAgent

from softsim.config import AssociationsConfig

__all__ = ["Association", "AssociationSector"]


class Association(FixedAgent):
    """A local association and its volunteers."""

    def __init__(self, model, cell, volunteers: int, types: list[int], slots: int) -> None:
        super().__init__(model)
        self.cell = cell
        self.commune = int(cell.coordinate)
        self.volunteers = volunteers
        self.types = types
        self.slots = slots
        self.used = 0
        self.missioners = 0  # mission-based volunteers
        self.offers_missions = False
        self.used_total = 0  # contacts given since it began ...
        self.capacity_total = 0  # ... out of those it could give


class AssociationSector:
    """All associations of the territory and the rules that make and unmake them.

    Args:
        model: The Mesa model (associations are its agents).
        cfg: Parameters.
        adults: Adults (15+) per commune.
        type_ids: Service type ids associations offer.
        slots: Their slot mask.
        rng: The ``associations`` stream.
        weeks_per_year: Weeks in a year (yearly rates become weekly ones).
    """

    def __init__(
        self,
        model,
        cfg: AssociationsConfig,
        adults: np.ndarray,
        type_ids: list[int],
        slots: int,
        rng: np.random.Generator,
        weeks_per_year: int,
    ) -> None:
        self.model = model
        self.weeks_per_year = weeks_per_year
        self.cfg = cfg
        self.rng = rng
        self.type_ids = sorted(type_ids)
        self.slots = slots
        sd = cfg.dynamism_sd
        self.dynamism = np.exp(rng.normal(-0.5 * sd * sd, sd, size=len(adults)))
        self.potential = adults * cfg.volunteer_share * cfg.focus_share * self.dynamism
        self.by_commune: dict[int, Association] = {}
        self.created = 0
        self.dissolved = 0
        self.dissolved_by_cut = 0
        self.kits = 0
        self.kit_fund = 0.0
        self.peak_support = 0.0
        self.mission_rng: np.random.Generator | None = None
        self.durability_rng: np.random.Generator | None = None
        self.cls: np.ndarray | None = None
        self.log_population: np.ndarray | None = None
        start = rng.random(len(adults)) < np.minimum(cfg.initial_share * self.dynamism, 1.0)
        for c in np.flatnonzero(start):
            volunteers = max(cfg.min_volunteers, int(round(self.potential[c])))
            self._create(int(c), volunteers)

    def use_levers(
        self,
        cls: np.ndarray,
        population: np.ndarray,
        mission_rng: np.random.Generator,
        durability_rng: np.random.Generator,
    ) -> None:
        """Give the sector what its levers need.

        The communes' class and population (to find similar communes for transfer kits) and
        the streams of the mission and durability draws. Associations that already exist draw
        whether they offer missions now.
        """
        self.cls = np.asarray(cls)
        self.log_population = np.log(np.asarray(population, float) + 1.0)
        self.mission_rng, self.durability_rng = mission_rng, durability_rng
        for commune in sorted(self.by_commune):
            self._draw_offer(self.by_commune[commune])

    def _draw_offer(self, a: Association) -> None:
        if self.cfg.mission_offer_share > 0 and self.mission_rng is not None:
            a.offers_missions = bool(self.mission_rng.random() < self.cfg.mission_offer_share)

    def _create(self, commune: int, volunteers: int) -> Association:
        a = Association(
            self.model, self.model.space[commune], volunteers, self.type_ids, self.slots
        )
        self.by_commune[commune] = a
        self.created += 1
        self._draw_offer(a)
        return a

    def mission_share(self, years: float, shift: float) -> float:
        """Share m(t) of the volunteer potential that is mission-based after ``years``."""
        return min(max(self.cfg.mission_share + shift * years, 0.0), 1.0)

    def missioners_total(self) -> int:
        """Mission-based volunteers in all associations."""
        return int(sum(a.missioners for a in self.by_commune.values()))

    @property
    def associations(self) -> list[Association]:
        """Active associations, by commune index."""
        return [self.by_commune[c] for c in sorted(self.by_commune)]

    def capacity(self, a: Association) -> int:
        """Contacts the association can take this week."""
        return self._contacts(self._hours(a))

    def _contacts(self, hours: float) -> int:
        return int(hours * 60.0 / self.cfg.minutes_per_contact)

    def _hours(self, a: Association) -> float:
        c = self.cfg
        hours = a.volunteers * c.hours_per_volunteer
        if a.missioners:
            hours += a.missioners * c.mission_hours_per_volunteer
        return hours

    def lifts(self, a: Association) -> int:
        """Car-pool lifts it can give this week (mission volunteers in proportion to hours)."""
        c = self.cfg
        n = a.volunteers
        if a.missioners:
            n += a.missioners * c.mission_hours_per_volunteer / c.hours_per_volunteer
        return int(n * c.carpool_lifts_per_volunteer)

    def volunteers_total(self) -> int:
        """Volunteers in all associations (regular and mission-based)."""
        return int(sum(a.volunteers + a.missioners for a in self.by_commune.values()))

    def update(
        self,
        engagement: float,
        cofunding: float,
        incentives: float,
        support: float = 0.0,
        kit_money: float = 0.0,
        mission_share: float = 0.0,
    ) -> float:
        """One week of recruitment, burnout, dissolution and emergence.

        Args:
            engagement: Multiplier of volunteer potential (the future's volunteer trend).
            cofunding: Relative boost from co-funding (``faire avec``), ≥ 0.
            incentives: Relative boost of emergence from calls for projects (``inciter``), ≥ 0.
            support: This week's co-production money, € (*faire avec* + *inciter*): its cut
                below the highest seen drives the durability hazard.
            kit_money: This week's money for transfer kits, €.
            mission_share: Share m(t) of the potential that is mission-based.

        Returns:
            Volunteer hours given this week (before the update).
        """
        c, rng = self.cfg, self.rng
        w = self.weeks_per_year
        self.peak_support = max(self.peak_support, support)
        cut = 1.0 - support / self.peak_support if self.peak_support > 0 else 0.0
        hazard = c.cofunding_dependence * cut
        p_cut = 1.0 - np.exp(-hazard / w) if hazard else 0.0  # exp(-0) is 1: no draw then
        hours = 0.0
        for commune in sorted(self.by_commune):
            a = self.by_commune[commune]
            a_hours = self._hours(a)
            hours += a_hours
            cap = self._contacts(a_hours)  # its capacity, from the hours just counted
            a.used_total += a.used
            a.capacity_total += cap
            overloaded = cap > 0 and a.used >= 0.95 * cap
            potential = self.potential[commune] * engagement * (1.0 - mission_share)
            gap = max(0.0, potential * (1.0 + cofunding) - a.volunteers)
            recruits = rng.poisson(c.recruit_per_year / w * gap)
            p_quit = c.quit_per_year / w / (1.0 + cofunding)
            if overloaded:
                p_quit += c.overload_quit_per_week
            quits = rng.binomial(a.volunteers, min(p_quit, 1.0))
            a.volunteers = max(0, a.volunteers + int(recruits) - int(quits))
            if mission_share > 0 or a.missioners:
                self._missions(a, commune, engagement, cofunding, mission_share, overloaded)
            a.used = 0
            if a.volunteers + a.missioners < c.min_volunteers:
                self._dissolve(commune)
            elif p_cut > 0 and self.durability_rng.random() < p_cut:
                self._dissolve(commune)
                self.dissolved_by_cut += 1
        self.kit_fund += kit_money
        self._transfer_kits()
        n = len(self.dynamism)
        p_new = c.emergence_per_year / self.weeks_per_year * self.dynamism * (1.0 + incentives)
        draws = rng.random(n) < np.minimum(p_new, 1.0)
        for commune in np.flatnonzero(draws):
            commune = int(commune)
            if commune not in self.by_commune:
                self._create(commune, c.min_volunteers + 1)
        return hours

    def _dissolve(self, commune: int) -> None:
        self.by_commune.pop(commune).remove()
        self.dissolved += 1

    def _missions(
        self,
        a: Association,
        commune: int,
        engagement: float,
        cofunding: float,
        share: float,
        overloaded: bool,
    ) -> None:
        """Recruit and lose mission-based volunteers (the ``association_missions`` stream)."""
        c, rng, w = self.cfg, self.mission_rng, self.weeks_per_year
        potential = self.potential[commune] * engagement * share * c.mission_potential_factor
        gap = max(0.0, potential * (1.0 + cofunding) - a.missioners)
        recruits = rng.poisson(c.recruit_per_year / w * gap)
        p_quit = c.mission_quit_per_year / w / (1.0 + cofunding)
        if a.offers_missions:
            p_quit /= c.mission_offer_retention
        if overloaded:
            p_quit += c.overload_quit_per_week
        quits = rng.binomial(a.missioners, min(p_quit, 1.0))
        a.missioners = max(0, a.missioners + int(recruits) - int(quits))

    def _transfer_kits(self) -> None:
        """Copy the best-used associations to similar communes while the kit fund pays."""
        c = self.cfg
        if self.kit_fund < c.transfer_kit_cost or self.cls is None:
            return
        while self.kit_fund >= c.transfer_kit_cost:
            source = self._best_source()
            if source is None:
                return
            target = self.similar_commune(source.commune)
            if target is None:
                return
            copy = self._create(target, max(c.min_volunteers, int(round(self.potential[target]))))
            copy.offers_missions = source.offers_missions
            self.kit_fund -= c.transfer_kit_cost
            self.kits += 1

    def _best_source(self) -> Association | None:
        best, best_use = None, self.cfg.transfer_min_use
        for commune in sorted(self.by_commune):
            a = self.by_commune[commune]
            if a.capacity_total > 0 and a.used_total / a.capacity_total >= best_use:
                best, best_use = a, a.used_total / a.capacity_total
        return best

    def similar_commune(self, commune: int) -> int | None:
        """The commune without an association most like ``commune``.

        Same class, nearest log-population (the lowest index among ties); None if there is none.
        """
        free = np.ones(len(self.cls), bool)
        free[list(self.by_commune)] = False
        free &= self.cls == self.cls[commune]
        if not free.any():
            return None
        distance = np.where(free, np.abs(self.log_population - self.log_population[commune]),
                            np.inf)
        return int(np.argmin(distance))

