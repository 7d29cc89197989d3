"""`softsim explain` and its one source of text: every scenario, mechanism and metric explained
in both languages, the registry and the texts in agreement, the docs citing what the texts
cite, and docs/odd.md's process overview in the order of SCHEDULE."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from softsim.cli import main
from softsim.config import list_scenarios
from softsim.explain import (
    AFTER_RUN,
    KINDS,
    MECHANISM_SOURCES,
    OTHER_PHASES,
    PHASE_MECHANISMS,
    explain,
    explainable,
    listing,
    mechanism_names,
)
from softsim.metric_registry import METRICS
from softsim.schedule import SCHEDULE
from softsim.texts import LANGS, flat

ROOT = Path(__file__).resolve().parents[1]


def _sections(doc: str, level: str) -> dict[str, str]:
    """Body of each numbered section of a Markdown file, by its number ("4", "7.13")."""
    out: dict[str, str] = {}
    parts = re.split(rf"^{level} (\d+(?:\.\d+)?)\.? ", doc, flags=re.M)
    for number, body in zip(parts[1::2], parts[2::2], strict=True):
        out[number] = out.get(number, "") + body  # a number used twice: both sections
    return out


def _cited(source: str, doc: str) -> list[str]:
    """Section numbers cited after ``doc`` in a source line ("docs/metrics.md §2, §9; ...")."""
    m = re.search(rf"{re.escape(doc)} ((?:§[\d.]+(?:, )?)+)", source)
    return re.findall(r"§([\d.]*\d)", m.group(1)) if m else []


@pytest.mark.parametrize("lang", LANGS)
def test_every_scenario_mechanism_and_metric_is_explained(lang):
    names = explainable()
    assert names["scenario"] == list(list_scenarios())
    assert len(names["mechanism"]) >= 8
    assert len(names["metric"]) == len(METRICS)
    for kind in KINDS:
        for name in names[kind]:
            text = explain(f"{kind}:{name}", lang)
            lines = text.splitlines()
            assert lines[0].startswith(f"{name} ({flat(lang)[f'explain.{kind}']}): ")
            assert len(lines[1]) > 40, (kind, name)  # the paragraph itself
            assert lines[-1].startswith(flat(lang)["explain.source"]), (kind, name)


def test_the_languages_are_translations_not_copies():
    fr, en = flat("fr"), flat("en")
    for key in [k for k in fr if k.startswith("metric.") and k.endswith(".how")]:
        assert fr[key] != en[key], key


def test_registry_and_texts_agree():
    keys = [m.key for m in METRICS]
    for lang in LANGS:
        texts = flat(lang)
        in_texts = {k.split(".")[1] for k in texts if k.startswith("metric.")}
        assert in_texts == set(keys), lang
        for key in keys:
            for field in ("label", "how", "source"):
                assert texts.get(f"metric.{key}.{field}", "").strip(), (lang, key, field)


def test_english_labels_are_the_registry_labels_or_name_its_group():
    for m in METRICS:
        label = flat("en")[f"metric.{m.key}.label"]
        if m.group is None:
            assert label == m.label, m.key


def test_docs_metrics_defines_each_metric_where_its_text_says():
    """The one-source rule: the formula lives in docs/metrics.md, the short text in texts/*.toml,
    and each text names the sections of docs/metrics.md where its metric's key is defined."""
    sections = _sections((ROOT / "docs/metrics.md").read_text(encoding="utf-8"), "##")
    for m in METRICS:
        for lang in LANGS:
            source = flat(lang)[f"metric.{m.key}.source"]
            cited = _cited(source, "docs/metrics.md")
            assert cited, (lang, m.key, source)
            assert all(c in sections for c in cited), (lang, m.key, cited)
            code = re.compile(rf"`[^`\n]*\b{m.key}\b[^`\n]*`")
            assert any(code.search(sections[c]) for c in cited), (lang, m.key, cited)
        assert _cited(flat("fr")[f"metric.{m.key}.source"], "docs/metrics.md") == _cited(
            flat("en")[f"metric.{m.key}.source"], "docs/metrics.md"
        ), m.key


def test_every_phase_of_the_week_has_its_mechanisms():
    assert list(PHASE_MECHANISMS) == [p.name for p in SCHEDULE]
    names = mechanism_names()
    used = {n for ms in PHASE_MECHANISMS.values() for n in ms}
    assert used.isdisjoint(AFTER_RUN)  # judged after the run: in no phase
    assert used | set(AFTER_RUN) == set(names)  # each acts somewhere; only known ones named
    without = [p for p, ms in PHASE_MECHANISMS.items() if not ms]
    assert without == list(OTHER_PHASES)  # each phase without a mechanism says why
    assert set(MECHANISM_SOURCES) == set(names)
    odd_text = (ROOT / "docs/odd.md").read_text(encoding="utf-8")
    odd = _sections(odd_text, "###") | _sections(odd_text, "##")
    metrics = _sections((ROOT / "docs/metrics.md").read_text(encoding="utf-8"), "##")
    for name, source in MECHANISM_SOURCES.items():
        cited = _cited(source, "docs/odd.md")
        assert cited and all(c in odd for c in cited), (name, cited)
        assert all(c in metrics for c in _cited(source, "docs/metrics.md")), (name, source)
        for doc in re.findall(r"docs/[\w.]+\.md", source):
            assert (ROOT / doc).exists(), (name, doc)


def test_odd_process_overview_follows_the_schedule():
    doc = (ROOT / "docs/odd.md").read_text(encoding="utf-8")
    overview = doc.split("## 3. Process overview and scheduling", 1)[1].split("\n## ", 1)[0]
    phases = re.findall(r"^(\d+)\. \*\*`([a-z_]+)`\*\*", overview, flags=re.M)
    assert [name for _, name in phases] == [p.name for p in SCHEDULE]
    assert [int(i) for i, _ in phases] == list(range(1, len(SCHEDULE) + 1))


def test_docs_index_is_linked_and_links_exist():
    assert "(docs/README.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs/README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", index)
    assert len(links) >= 8
    for link in links:
        assert (ROOT / "docs" / link).exists(), link
    for reader in ("student", "teacher", "facilitator", "researcher", "developer"):
        assert reader in index.lower(), reader


# ---------------------------------------------------------------- the command


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_alone_lists_everything_grouped(capsys):
    code, out, _ = run_cli(capsys, "explain", "--lang", "en")
    assert code == 0
    assert out.strip() == listing("en").strip()
    for header in ("Scenarios:", "Mechanisms:", "Metrics:"):
        assert header in out
    for m in METRICS:
        assert re.search(rf"^  {m.key} +\S", out, flags=re.M), m.key


def test_explain_a_metric_in_french_by_default(capsys):
    code, out, _ = run_cli(capsys, "explain", "coverage_latent")
    assert code == 0
    assert out.splitlines()[0] == "coverage_latent (indicateur): couverture des besoins latents"
    assert "docs/metrics.md §2" in out


def test_explain_a_name_that_is_a_scenario_and_a_mechanism_gives_both(capsys):
    code, out, _ = run_cli(capsys, "explain", "digital", "--lang", "en")
    assert code == 0
    assert "digital (scenario)" in out and "digital (mechanism)" in out
    code, out, _ = run_cli(capsys, "explain", "mechanism:digital", "--lang", "en")
    assert "digital (scenario)" not in out and "digital (mechanism)" in out


@pytest.mark.parametrize("name,close", [("covrage_latent", "coverage_latent"),
                                         ("metric:gin", "gini"), ("sofft", "soft")])
def test_explain_unknown_name_is_one_line_with_close_matches(capsys, name, close):
    code, out, err = run_cli(capsys, "explain", name)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert name in err and close in err


@pytest.mark.parametrize("name,phases,source", [
    ("reception", "allocate, outcomes", "docs/odd.md §7.20"),
    ("back_office", "futures", "docs/odd.md §7.22"),
    ("edits", "edits", "docs/workshop.md"),
    ("exclusion", "options", "docs/odd.md §7.3"),
    ("co2_cap", "futures, adapt", "docs/odd.md §7.9"),
    ("missions", "adapt", "docs/odd.md §7.12"),
])
def test_explain_a_newer_mechanism_in_both_languages(capsys, name, phases, source):
    for lang, word in (("fr", "mécanisme"), ("en", "mechanism")):
        code, out, _ = run_cli(capsys, "explain", name, "--lang", lang)
        assert code == 0
        lines = out.strip().splitlines()
        assert lines[0] == f"{name} ({word}): {flat(lang)[f'mechanism.{name}.title']}"
        assert lines[1] == flat(lang)[f"mechanism.{name}.idea"]
        assert lines[2].endswith(f": {phases} (softsim run hard --plan)"), lines[2]
        assert source in lines[3]


def test_objectives_act_in_no_phase_of_the_week(capsys):
    code, out, _ = run_cli(capsys, "explain", "objectives", "--lang", "en")
    assert code == 0
    assert "Phases of the week: none: judged once the run is over (summary.json)" in out
    assert "(softsim run hard --plan)" not in out
    assert "docs/metrics.md §14" in out
