"""The words of the workshop page, in French (default) and English, from one source.

Each language is one TOML file beside this module (``fr.toml``, ``en.toml``) with the same keys;
the page, its tests and ``docs/workshop.md`` read them (the docs quote the scenario paragraphs
verbatim, and a test keeps them equal). :func:`text` looks a key up, e.g. ``"ui.step"``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

__all__ = ["DEFAULT_LANG", "LANGS", "flat", "mechanisms", "text"]

LANGS: tuple[str, ...] = ("fr", "en")
"""Languages of the page; the first is the default."""

DEFAULT_LANG = LANGS[0]


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


@cache
def flat(lang: str) -> dict[str, str]:
    """Every text of a language, by dotted key (``"scenario.hard.idea"``).

    Raises:
        ValueError: ``lang`` is not one of :data:`LANGS`.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (expected one of: {', '.join(LANGS)})")
    with (Path(__file__).parent / f"{lang}.toml").open("rb") as fh:
        return _flatten(tomllib.load(fh))


def text(lang: str, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, with ``{name}`` fields filled from ``values``.

    A key missing from the language falls back to the key itself, so that a missing text shows
    on the page instead of breaking it (a test checks that both languages have every key).
    """
    template = flat(lang).get(key, key)
    return template.format(**values) if values else template


def mechanisms(lang: str) -> list[tuple[str, str]]:
    """Title and one-paragraph explanation of each mechanism of the model, in file order."""
    texts = flat(lang)
    names = dict.fromkeys(k.split(".")[1] for k in texts if k.startswith("mechanism."))
    return [(texts[f"mechanism.{n}.title"], texts[f"mechanism.{n}.idea"]) for n in names]
