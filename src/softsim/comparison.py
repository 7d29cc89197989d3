"""Scenario comparison: tables with 95 % confidence intervals, and the report's words.

Computes only; :mod:`softsim.store` writes, :mod:`softsim.report` draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from softsim.experiment import RunResult

__all__ = [
    "COLUMNS",
    "GAP_GROUPS",
    "HEADLINE",
    "runs_table",
    "comparison_table",
    "paired_differences",
    "scenario_paragraph",
    "markdown_table",
    "report_markdown",
]

HEADLINE = ("coverage_latent", "non_take_up", "gini", "theil_between_share_communes",
            "gap_age_75plus", "coverage_workers", "coverage_dependent", "cost_per_served")
"""The columns of the short table at the top of a report (and in the README)."""

GAP_GROUPS = ("age_75plus", "no_car", "low_digital_skill", "workers", "rural")
"""Groups whose coverage gap (group − rest) the comparison reports."""

COLUMNS: dict[str, str] = {
    "coverage_latent": "coverage of latent needs",
    "non_take_up": "non-take-up",
    "gini": "Gini of fulfilment",
    "theil": "Theil T",
    "theil_between_share_communes": "Theil between-commune share",
    "palma": "Palma ratio",
    "gap_age_75plus": "coverage gap, 75+",
    "gap_no_car": "coverage gap, no car",
    "gap_low_digital_skill": "coverage gap, low digital skill",
    "gap_workers": "coverage gap, workers",
    "gap_rural": "coverage gap, rural",
    "coverage_dependent": "coverage of dependent residents",
    "coverage_workers": "coverage of workers",
    "coverage_age_75plus": "coverage of residents aged 75+",
    "mean_travel_min": "mean travel (min)",
    "cost_per_served": "cost per served need (EUR)",
    "vehicle_km": "vehicle-km",
    "budget_spent_share": "share of budget spent",
}
"""Columns of the comparison, with their labels."""


def runs_table(results: list[RunResult]) -> pd.DataFrame:
    """One row per run: scenario, replicate, seed and every comparison column."""
    rows = []
    for r in results:
        met, groups = r.summary["metrics"], r.summary["groups"]
        row = {"scenario": r.scenario, "replicate": r.replicate, "seed": r.seed}
        for key in COLUMNS:
            if key.startswith("gap_"):
                row[key] = groups[key.removeprefix("gap_")]["gap_vs_rest"]
            elif key.startswith("coverage_") and key != "coverage_latent":
                row[key] = groups[key.removeprefix("coverage_")]["coverage_latent"]
            else:
                row[key] = met.get(key)
        rows.append(row)
    return pd.DataFrame(rows).astype({k: float for k in COLUMNS})


def _ci_half_width(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    n = len(values)
    if n < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n))


def comparison_table(runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per scenario and column: mean and half-width of the 95 % t confidence interval."""
    out = []
    for scenario in order:
        sub = runs[runs["scenario"] == scenario]
        row = {"scenario": scenario, "replicates": len(sub)}
        for key in COLUMNS:
            v = sub[key].to_numpy(float)
            row[f"{key}_mean"] = float(np.nanmean(v)) if np.isfinite(v).any() else float("nan")
            row[f"{key}_ci95"] = _ci_half_width(v)
        out.append(row)
    return pd.DataFrame(out)


def paired_differences(runs: pd.DataFrame, scenario: str, reference: str) -> dict:
    """Mean and CI of ``scenario − reference`` per column, paired by replicate (common seeds)."""
    a = runs[runs["scenario"] == scenario].set_index("replicate")
    b = runs[runs["scenario"] == reference].set_index("replicate")
    common = a.index.intersection(b.index)
    out = {}
    for key in COLUMNS:
        d = (a.loc[common, key] - b.loc[common, key]).to_numpy(float)
        out[key] = (float(np.nanmean(d)) if len(d) else float("nan"), _ci_half_width(d))
    return out


def _fmt(key: str, v: float) -> str:
    if not np.isfinite(v):
        return "–"
    if key in ("vehicle_km",):
        return f"{v:,.0f}"
    if key in ("mean_travel_min", "cost_per_served", "palma"):
        return f"{v:.2f}"
    return f"{v:.3f}"


def markdown_table(table: pd.DataFrame, keys: list[str] | None = None) -> str:
    """The comparison as a Markdown table (mean ± 95 % CI half-width)."""
    keys = keys or list(COLUMNS)
    head = "| scenario | " + " | ".join(COLUMNS[k] for k in keys) + " |"
    sep = "|---|" + "---:|" * len(keys)
    lines = [head, sep]
    for _, row in table.iterrows():
        cells = []
        for k in keys:
            mean, ci = row[f"{k}_mean"], row[f"{k}_ci95"]
            cells.append(_fmt(k, mean) + (f" ± {_fmt(k, ci)}" if np.isfinite(ci) else ""))
        lines.append(f"| {row['scenario']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


_WORDS = {
    "coverage_latent": ("coverage of latent needs", "points", 100.0),
    "non_take_up": ("non-take-up", "points", 100.0),
    "gini": ("the Gini of fulfilment", "", 1.0),
    "theil_between_share_communes": ("the between-commune share of inequality", "points", 100.0),
    "gap_age_75plus": ("coverage of residents aged 75+ relative to the rest", "points", 100.0),
    "gap_workers": ("coverage of workers relative to the rest", "points", 100.0),
    "gap_no_car": ("coverage of residents without a car relative to the rest", "points", 100.0),
    "coverage_dependent": ("coverage of dependent residents", "points", 100.0),
    "coverage_workers": ("coverage of workers", "points", 100.0),
    "cost_per_served": ("the cost per served need", "EUR", 1.0),
}


def scenario_paragraph(name: str, description: str, diff: dict, reference: str) -> str:
    """One paragraph saying what rose and what fell relative to the reference scenario.

    A change is called a rise or a fall only when its paired 95 % confidence interval excludes
    zero; otherwise the paragraph says it did not change detectably.
    """
    rose, fell, flat = [], [], []
    for key, (label, unit, scale) in _WORDS.items():
        mean, ci = diff[key]
        if not np.isfinite(mean):
            continue
        amount = f"{mean * scale:+.1f} {unit}".strip() if unit else f"{mean:+.3f}"
        if np.isfinite(ci) and abs(mean) > ci:
            (rose if mean > 0 else fell).append(f"{label} ({amount})")
        else:
            flat.append(label)
    parts = [f"**{name}** — {description}" if description else f"**{name}**"]
    if rose:
        parts.append(f"Relative to `{reference}`, these rose: {', '.join(rose)}.")
    if fell:
        parts.append(f"These fell: {', '.join(fell)}.")
    if flat:
        parts.append(f"No detectable change in {', '.join(flat)}.")
    return " ".join(parts)


def report_markdown(
    settings: dict, table: pd.DataFrame, paragraphs: list[str], figures: list[str]
) -> str:
    """The text of report.md: settings, the table, the figures and one paragraph a scenario."""
    lines = ["# Scenario comparison", ""]
    lines += [f"- **{k}**: {v}" for k, v in settings.items()]
    lines += [
        "",
        "Values are means over replicates ± the half-width of a 95 % confidence "
        "interval (Student t). Replicate r of every scenario shares its seeds (common "
        "random numbers), so differences between scenarios are paired.",
        "",
    ]
    lines += ["## Headline", "", markdown_table(table, list(HEADLINE)), ""]
    lines += ["## Full table", "", markdown_table(table), ""]
    lines += ["## Figures", ""]
    lines += [f"![{name}](figures/{name}.png)" for name in figures]
    lines += ["", "## Scenarios", ""]
    for p in paragraphs:
        lines += [p, ""]
    return "\n".join(lines)
