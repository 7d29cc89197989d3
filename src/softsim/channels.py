"""Vocabulary: the channels of public provision that the budget's channel mix shares.

Kept apart from the config so that code that only names the channels (the command line's
help, the normative search's levers) does not load the config's models.
"""

from __future__ import annotations

__all__ = ["CHANNELS"]

CHANNELS = ("sites", "modules", "mobile", "bus", "tad", "information", "rollout")
"""Channels of public provision a ``budget.mix`` shares the *faire* envelope among."""
