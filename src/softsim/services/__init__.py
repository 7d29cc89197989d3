"""Service channels: fixed sites (Mesa agents) and the digital channel."""

from softsim.services.digital import digital_attempts
from softsim.services.fixed import FixedSite, SiteArrays, place_sites

__all__ = ["FixedSite", "SiteArrays", "digital_attempts", "place_sites"]
