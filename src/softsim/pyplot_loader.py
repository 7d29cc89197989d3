"""matplotlib's pyplot, imported without the property tables of its artists' docstrings.

Each matplotlib artist class, as it is defined, writes the docstring of its ``set`` method: a
table of every property and the values it accepts, read from the setters' docstrings by
``matplotlib.artist.kwdoc``; docstrings that mention ``%(Line2D:kwdoc)s`` get the same table.
That is about a third of ``import matplotlib.pyplot`` (0.2–0.4 s of CPU on this machine,
benchmarks/README.md, "bench_startup.py") and serves only ``help()``. For the duration of the
import, ``kwdoc`` gives :data:`PLACEHOLDER` instead; the artists, the signatures of their
``set`` methods and everything they draw are unchanged.
"""

from __future__ import annotations

import sys

__all__ = ["PLACEHOLDER", "import_pyplot"]

PLACEHOLDER = "Properties: see matplotlib's documentation of this artist."
"""What a ``set`` docstring lists instead of the property table."""


def import_pyplot():
    """Import and return ``matplotlib.pyplot`` (as is if it is already imported)."""
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib.artist as artist

        kwdoc, artist.kwdoc = artist.kwdoc, lambda _artist: PLACEHOLDER
        try:
            import matplotlib.pyplot
        finally:
            artist.kwdoc = kwdoc
    import matplotlib.pyplot

    return matplotlib.pyplot
