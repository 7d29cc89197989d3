"""Service channels: fixed sites, pop-up modules, mobile agents, buses, associations, digital."""

from softsim.services.associations import Association, AssociationSector
from softsim.services.digital import (
    digital_attempts,
    has_broadband,
    learn_skills,
    roll_out_broadband,
)
from softsim.services.fixed import FixedSite
from softsim.services.mobile import (
    Bus,
    HomeVisits,
    MobileAgent,
    buses_week_km,
    home_visits,
    plan_bus_stops,
    plan_tours,
)
from softsim.services.modules import PopUpModule

__all__ = [
    "Association",
    "AssociationSector",
    "Bus",
    "FixedSite",
    "HomeVisits",
    "MobileAgent",
    "PopUpModule",
    "buses_week_km",
    "digital_attempts",
    "has_broadband",
    "home_visits",
    "learn_skills",
    "plan_bus_stops",
    "plan_tours",
    "roll_out_broadband",
]
