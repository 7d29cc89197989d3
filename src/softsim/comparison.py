"""Scenario comparison: :func:`compare`, tables with 95 % confidence intervals, the report's words.

Computes only; :mod:`softsim.store` writes, :mod:`softsim.report` draws.

```python
from softsim import compare
from softsim.store import write_comparison

cmp = compare(["hard", "soft"], replicates=4, overrides=["simulation.years=1"], workers=2)
print(cmp.table[["scenario", "coverage_latent_mean", "coverage_latent_ci95"]])
print(cmp.differences["soft"]["coverage_latent"])   # (mean, 95 % CI half-width), paired
write_comparison("results/hard-vs-soft", cmp, cmp.figures())
```
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from softsim import metric_registry as reg
from softsim.config import Config, scale_caveat
from softsim.errors import SoftsimError
from softsim.experiment import RunResult
from softsim.metric_registry import HEADLINE

__all__ = [
    "Comparison",
    "DEFAULT_REPLICATES",
    "DEFAULT_SCENARIOS",
    "compare",
    "resolve_scenarios",
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

DEFAULT_SCENARIOS = ("hard", "soft", "digital", "network", "information", "local", "normative")
"""The scenarios of the main job, the reference (``hard``) first."""

DEFAULT_REPLICATES = 10
"""Replicates per scenario of the main job."""

GAP_GROUPS = tuple(x.group for x in reg.compared() if x.field == "gap_vs_rest")
"""Groups whose coverage gap (group − rest) the comparison reports."""

COLUMNS: dict[str, str] = {x.key: x.label for x in reg.compared()}
"""Columns of the comparison, with their labels (from :mod:`softsim.metric_registry`)."""


def runs_table(results: list[RunResult]) -> pd.DataFrame:
    """One row per run: scenario, replicate, seed and every comparison column."""
    rows = []
    for r in results:
        row = {"scenario": r.scenario, "replicate": r.replicate, "seed": r.seed}
        row.update({x.key: x.read(r.summary) for x in reg.compared()})
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
    return reg.format_value(reg.get(key), v)


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


def _amount(metric: reg.Metric, v: float) -> str:
    """A paired difference as the report's sentences say it."""
    if metric.unit == "share":
        return f"{v * 100:+.1f} points"
    if metric.unit == "EUR":
        return f"{v:+.1f} EUR"
    return f"{v:+.3f}"


def scenario_paragraph(name: str, description: str, diff: dict, reference: str) -> str:
    """One paragraph saying what rose and what fell relative to the reference scenario.

    A change is called a rise or a fall only when its paired 95 % confidence interval excludes
    zero; otherwise the paragraph says it did not change detectably.
    """
    rose, fell, flat = [], [], []
    for metric in reg.compared():
        if not metric.phrase:
            continue
        mean, ci = diff[metric.key]
        if not np.isfinite(mean):
            continue
        if np.isfinite(ci) and abs(mean) > ci:
            (rose if mean > 0 else fell).append(f"{metric.phrase} ({_amount(metric, mean)})")
        else:
            flat.append(metric.phrase)
    parts = [f"**{name}** — {description}" if description else f"**{name}**"]
    if rose:
        parts.append(f"Relative to `{reference}`, these rose: {', '.join(rose)}.")
    if fell:
        parts.append(f"These fell: {', '.join(fell)}.")
    if flat:
        parts.append(f"No detectable change in {', '.join(flat)}.")
    return " ".join(parts)


def report_markdown(
    settings: dict,
    table: pd.DataFrame,
    paragraphs: list[str],
    figures: list[str],
    objectives: pd.DataFrame | None = None,
) -> str:
    """The text of report.md: settings, the table, the figures and one paragraph a scenario.

    ``figures`` are file stems under ``figures/``; with none, the report has no figure section.
    ``objectives`` (see :func:`softsim.objectives.objectives_table`) adds a table of the
    objectives met per scenario; without any, the report has no objectives section.
    """
    lines = ["# Scenario comparison", ""]
    lines += [f"- **{k}**: {v}" for k, v in settings.items()]
    caveat = scale_caveat(settings.get("population scale", 1.0))
    if caveat:
        lines += ["", f"> {caveat}"]
    lines += [
        "",
        "Values are means over replicates ± the half-width of a 95 % confidence "
        "interval (Student t). Replicate r of every scenario shares its seeds (common "
        "random numbers), so differences between scenarios are paired.",
        "",
    ]
    lines += ["## Headline", "", markdown_table(table, list(HEADLINE)), ""]
    lines += ["## Full table", "", markdown_table(table), ""]
    if objectives is not None and not objectives.empty:
        from softsim.objectives import objectives_markdown

        lines += [
            "## Objectives",
            "",
            "Every scenario is judged on every objective stated by any of them: in how many "
            "replicates its run meets the target (an undefined value does not).",
            "",
            objectives_markdown(objectives),
            "",
        ]
    if figures:
        lines += ["## Figures", ""]
        lines += [f"![{name}](figures/{name}.png)" for name in figures]
        lines += [""]
    lines += ["## Scenarios", ""]
    for p in paragraphs:
        lines += [p, ""]
    return "\n".join(lines)


@dataclass(frozen=True, eq=False)  # tables do not compare with ==
class Comparison:
    """What a comparison produced: every run, the tables with their CIs, the report's words.

    Attributes:
        configs: The resolved scenarios, in order; the first is the reference.
        seed: Root seed of the experiment.
        replicates: Replicates per scenario.
        results: One :class:`~softsim.experiment.RunResult` per run, ordered by scenario then
            replicate: the data of the figures (weekly coverage, commune coverage, Lorenz
            curve, territory).
        runs: One row per run (see :func:`runs_table`).
        table: Per scenario, mean and 95 % CI half-width of every column (see
            :func:`comparison_table`).
        differences: ``{scenario: {column: (mean, ci95)}}``, paired differences with the
            reference, for every scenario but the reference.
        settings: The settings listed at the top of the report.
        paragraphs: One generated paragraph per scenario, the reference first.
        objectives: Per objective and scenario, the replicates meeting it (see
            :func:`softsim.objectives.objectives_table`; empty without objectives).
    """

    configs: tuple[Config, ...]
    seed: int
    replicates: int
    results: tuple[RunResult, ...]
    runs: pd.DataFrame
    table: pd.DataFrame
    differences: dict[str, dict[str, tuple[float, float]]]
    settings: dict
    paragraphs: tuple[str, ...]
    objectives: pd.DataFrame | None = None

    @property
    def order(self) -> list[str]:
        """Scenario names, in order."""
        return [c.name for c in self.configs]

    @property
    def reference(self) -> str:
        """The scenario the others are compared with (the first)."""
        return self.configs[0].name

    def headline(self) -> str:
        """The short table (the :data:`HEADLINE` columns) in Markdown."""
        return markdown_table(self.table, list(HEADLINE))

    def report(self, figures: Sequence[str] = ()) -> str:
        """The text of report.md, linking ``figures/<name>.png`` for each name given."""
        return report_markdown(
            self.settings, self.table, list(self.paragraphs), list(figures), self.objectives
        )

    def figures(self) -> dict:
        """Draw the report's figures: ``{file stem: matplotlib Figure}`` (close them after)."""
        from softsim.report import comparison_figures

        return comparison_figures(list(self.results), self.table, self.order)


def resolve_scenarios(
    scenarios: Sequence[str | Config], overrides: Sequence[str] = (), future: str | None = None
) -> tuple[Config, ...]:
    """Resolve the scenarios of a comparison; see :func:`compare` for the arguments.

    Raises:
        SoftsimError: A scenario, override or future is invalid, or a scenario is repeated.
    """
    from softsim.config import check_runnable, load_config

    if not scenarios:
        raise SoftsimError("scenarios: expected at least one scenario")
    sections = {}
    if future is not None:
        from softsim.futures import load_future

        sections["futures"] = load_future(future)
    configs = tuple(
        s if isinstance(s, Config) else load_config(s, list(overrides), **sections)
        for s in scenarios
    )
    order = [c.name for c in configs]
    if len(set(order)) != len(order):
        raise SoftsimError(f"scenarios: each scenario may appear once, got {' '.join(order)}")
    for c in configs:
        check_runnable(c)
    return configs


def compare(
    scenarios: Sequence[str | Config] = DEFAULT_SCENARIOS,
    *,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 1,
    overrides: Sequence[str] = (),
    future: str | None = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run scenarios side by side with common random numbers and compare them.

    The territory is drawn once from ``seed``; replicate ``r`` of every scenario shares its
    seeds, so the differences with the reference (the first scenario) are paired. The result
    does not depend on ``workers``. Nothing is written: see
    :func:`softsim.store.write_comparison`.

    Args:
        scenarios: Bundled scenario names, TOML paths or resolved configs; each at most once.
        replicates: Seeded replicates per scenario (≥ 1).
        seed: Root seed of the experiment.
        overrides: ``section.key=value`` strings applied to every scenario given by name.
        future: A future (bundled name or TOML path) applied to every scenario given by name.
        workers: Local processes (1 runs in this process).
        progress: Called as ``progress(done, total)`` after each run.

    Returns:
        The :class:`Comparison`: runs, tables, confidence intervals and report text.

    Raises:
        SoftsimError: A scenario, override or future is invalid, or a scenario is repeated;
            raised before any simulation.
    """
    from softsim.experiment import run_replicates
    from softsim.objectives import objectives_table

    if replicates < 1:
        raise SoftsimError(f"replicates: expected an integer of at least 1, got {replicates}")
    configs = resolve_scenarios(scenarios, overrides, future)
    order = [c.name for c in configs]
    results = tuple(run_replicates(configs, seed, replicates, workers, progress))
    runs = runs_table(list(results))
    table = comparison_table(runs, order)
    reference = configs[0]
    differences = {c.name: paired_differences(runs, c.name, reference.name) for c in configs[1:]}
    paragraphs = [f"**{reference.name}** (the reference) — {reference.description}"]
    paragraphs += [
        scenario_paragraph(c.name, c.description, differences[c.name], reference.name)
        for c in configs[1:]
    ]
    future_cfg = reference.futures
    settings = {
        "scenarios": ", ".join(order),
        "territory": results[0].territory_label,
        "replicates": replicates,
        "years": reference.simulation.years,
        "future": " — ".join(x for x in (future_cfg.name, future_cfg.description) if x),
        "root seed": seed,
        "population scale": reference.population.scale,
    }
    return Comparison(
        configs=configs,
        seed=seed,
        replicates=replicates,
        results=results,
        runs=runs,
        table=table,
        differences=differences,
        settings=settings,
        paragraphs=tuple(paragraphs),
        objectives=objectives_table(configs, results),
    )
