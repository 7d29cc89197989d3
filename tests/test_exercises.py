"""docs/exercises.md states what experiments/exercises.py computes: each worked answer, between
its ``<!-- answer N -->`` markers, is the script's output for that exercise, re-run here."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "exercises.md"


def _script():
    spec = importlib.util.spec_from_file_location("exercises", ROOT / "experiments/exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stated(doc: str) -> dict[int, str]:
    """The answer each exercise's markers enclose in the doc."""
    found = re.findall(r"<!-- answer (\d+) -->\n(.*?)<!-- /answer \1 -->", doc, flags=re.S)
    return {int(n): body.strip() for n, body in found}


def test_eight_exercises_each_with_hint_and_answer():
    doc = DOC.read_text(encoding="utf-8")
    titles = re.findall(r"^## (\d+)\. (.+) / (.+)$", doc, flags=re.M)
    assert [int(n) for n, _, _ in titles] == list(range(1, 9))
    answers = stated(doc)
    assert sorted(answers) == list(range(1, 9))
    assert all(answers.values()), "an answer is empty"
    for part in doc.split("\n## ")[1:]:
        assert "**Indice.**" in part and "**Énoncé.**" in part, part[:60]
    assert sorted(_script().EXERCISES) == list(range(1, 9))


@pytest.mark.slow
def test_answers_are_what_the_script_computes():
    script = _script()
    answers = stated(DOC.read_text(encoding="utf-8"))
    for n in sorted(script.EXERCISES):
        assert answers[n] == script.answer(n), f"exercise {n}: the doc is not the script's output"
