"""French régions as sets of départements (INSEE region codes of the 2016 map).

Source: INSEE, Code officiel géographique (régions since 1 January 2016; the département lists
have not changed since). ``tests/test_regions.py`` checks that the 13 metropolitan régions
partition the 96 metropolitan départements of the bundled communes table.
"""

from __future__ import annotations

__all__ = ["REGIONS"]

REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "11": ("Île-de-France", ("75", "77", "78", "91", "92", "93", "94", "95")),
    "24": ("Centre-Val de Loire", ("18", "28", "36", "37", "41", "45")),
    "27": ("Bourgogne-Franche-Comté", ("21", "25", "39", "58", "70", "71", "89", "90")),
    "28": ("Normandie", ("14", "27", "50", "61", "76")),
    "32": ("Hauts-de-France", ("02", "59", "60", "62", "80")),
    "44": ("Grand Est", ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")),
    "52": ("Pays de la Loire", ("44", "49", "53", "72", "85")),
    "53": ("Bretagne", ("22", "29", "35", "56")),
    "75": (
        "Nouvelle-Aquitaine",
        ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    ),
    "76": (
        "Occitanie",
        ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    ),
    "84": (
        "Auvergne-Rhône-Alpes",
        ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    ),
    "93": ("Provence-Alpes-Côte d'Azur", ("04", "05", "06", "13", "83", "84")),
    "94": ("Corse", ("2A", "2B")),
}
"""INSEE region code → (name, département codes): the 13 metropolitan régions."""
