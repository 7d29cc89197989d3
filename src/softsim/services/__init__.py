"""Service channels: fixed sites, pop-up modules, mobile agents, buses, associations, digital."""

from softsim.services.associations import Association, AssociationSector
from softsim.services.digital import digital_attempts, has_broadband
from softsim.services.fixed import (
    FixedSite,
    Provider,
    SiteArrays,
    candidate_communes,
    place_sites,
    slot_mask,
)
from softsim.services.mobile import Bus, MobileAgent, plan_tours
from softsim.services.modules import PopUpModule

__all__ = [
    "Association",
    "AssociationSector",
    "Bus",
    "FixedSite",
    "MobileAgent",
    "PopUpModule",
    "Provider",
    "SiteArrays",
    "candidate_communes",
    "digital_attempts",
    "has_broadband",
    "place_sites",
    "plan_tours",
    "slot_mask",
]
