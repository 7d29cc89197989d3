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
        start = rng.random(len(adults)) < np.minimum(cfg.initial_share * self.dynamism, 1.0)
        for c in np.flatnonzero(start):
            volunteers = max(cfg.min_volunteers, int(round(self.potential[c])))
            self._create(int(c), volunteers)

    def _create(self, commune: int, volunteers: int) -> None:
        a = Association(
            self.model, self.model.space[commune], volunteers, self.type_ids, self.slots
        )
        self.by_commune[commune] = a
        self.created += 1

    @property
    def associations(self) -> list[Association]:
        """Active associations, by commune index."""
        return [self.by_commune[c] for c in sorted(self.by_commune)]

    def capacity(self, a: Association) -> int:
        """Contacts the association can take this week."""
        c = self.cfg
        return int(a.volunteers * c.hours_per_volunteer * 60.0 / c.minutes_per_contact)

    def lifts(self, a: Association) -> int:
        """Car-pool lifts it can give this week."""
        return int(a.volunteers * self.cfg.carpool_lifts_per_volunteer)

    def volunteers_total(self) -> int:
        """Volunteers in all associations."""
        return int(sum(a.volunteers for a in self.by_commune.values()))

    def update(self, engagement: float, cofunding: float, incentives: float) -> float:
        """One week of recruitment, burnout, dissolution and emergence.

        Args:
            engagement: Multiplier of volunteer potential (the future's volunteer trend).
            cofunding: Relative boost from co-funding (``faire avec``), ≥ 0.
            incentives: Relative boost of emergence from calls for projects (``inciter``), ≥ 0.

        Returns:
            Volunteer hours given this week (before the update).
        """
        c, rng = self.cfg, self.rng
        hours = 0.0
        for commune in sorted(self.by_commune):
            a = self.by_commune[commune]
            hours += a.volunteers * c.hours_per_volunteer
            cap = self.capacity(a)
            overloaded = cap > 0 and a.used >= 0.95 * cap
            gap = max(0.0, self.potential[commune] * engagement * (1.0 + cofunding) - a.volunteers)
            recruits = rng.poisson(c.recruit_per_year / self.weeks_per_year * gap)
            p_quit = c.quit_per_year / self.weeks_per_year / (1.0 + cofunding)
            if overloaded:
                p_quit += c.overload_quit_per_week
            quits = rng.binomial(a.volunteers, min(p_quit, 1.0))
            a.volunteers = max(0, a.volunteers + int(recruits) - int(quits))
            a.used = 0
            if a.volunteers < c.min_volunteers:
                a.remove()
                del self.by_commune[commune]
                self.dissolved += 1
        n = len(self.dynamism)
        p_new = c.emergence_per_year / self.weeks_per_year * self.dynamism * (1.0 + incentives)
        draws = rng.random(n) < np.minimum(p_new, 1.0)
        for commune in np.flatnonzero(draws):
            commune = int(commune)
            if commune not in self.by_commune:
                self._create(commune, c.min_volunteers + 1)
        return hours
