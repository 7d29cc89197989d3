"""Every command of the tutorials runs: docs/tutorial.fr.md and docs/tutorial.en.md.

The ```bash blocks of each tutorial are run in order, in a fresh folder, exactly as written
(the tutorials show the class-size flags, ``--scale 0.1 --years 1 --replicates 3``). Each block
must exit with 0; every file a block reads (a relative path that a command names, other than
what it writes with ``--out``) must exist before it runs; and where a ```text block follows,
its stable parts (the fragments between ``…``) must appear in the block's output. A block
whose first line is a "not run in tests" comment is skipped (installation), and so is a command
line ending with one (``softsim demo`` serves until Ctrl-C; ``softsim demo --help`` is run).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ("tutorial.fr.md", "tutorial.en.md")
SKIP = re.compile(r"#\s*(not run in tests|pas exécuté dans les tests)")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)
READS = re.compile(
    r"""['"]([\w./-]+\.(?:json|csv|parquet|md|png|toml))['"]"""  # a quoted file name
    r"|(?:(?<=\s)|^)([\w.-]+/[\w./-]*)(?=\s|$)"  # or a dir/file argument
)
TIMEOUT_S = 600


def steps(doc: str) -> list[tuple[str, str | None]]:
    """The bash blocks of a tutorial, each with the text block right after it (or None)."""
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(doc)]
    out = []
    for i, (lang, body, _, end) in enumerate(blocks):
        if lang != "bash":
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        shown = nxt[1] if nxt and nxt[0] == "text" and doc[end:nxt[2]].strip() == "" else None
        out.append((body, shown))
    return out


def runnable(body: str) -> str | None:
    """The block as it is run: None if skipped whole, else without the skipped lines."""
    lines = body.splitlines()
    if lines and SKIP.search(lines[0]) and lines[0].lstrip().startswith("#"):
        return None
    return "\n".join(line for line in lines if not SKIP.search(line))


def reads(script: str) -> list[str]:
    """Relative paths a block reads: quoted file names and ``dir/file`` arguments, less those
    written by ``--out``, by ``cat >`` or inside a here-document."""
    script = re.sub(r"<<'EOF'\n.*?\nEOF", "", script, flags=re.S)
    written = [w.rstrip("/") for w in re.findall(r"(?:--out|--front|>)\s+([\w./-]+)", script)]
    found = []
    for quoted, bare in READS.findall(script):
        path = (quoted or bare).rstrip("/")
        if any(path == w or path.startswith(w + "/") for w in written):
            continue
        if path and not path.startswith(("/", "http", "dep:")):
            found.append(path)
    return found


def named(script: str) -> list[str]:
    """Every relative path a block names as a file to read, its own outputs included."""
    paths = [(q or b).rstrip("/") for q, b in READS.findall(script)]
    return [p for p in paths if p and not p.startswith(("/", "http", "dep:"))]


def fragments(shown: str) -> list[str]:
    """The stable parts of an output excerpt: the pieces of each line between ``…``."""
    out = []
    for line in shown.splitlines():
        for piece in line.split("…"):
            piece = piece.strip(" │┃")
            if piece:
                out.append(piece)
    return out


def test_steps_are_found_and_marked():
    for name in TUTORIALS:
        doc = (ROOT / "docs" / name).read_text(encoding="utf-8")
        found = steps(doc)
        assert len(found) >= 10, name
        assert sum(shown is not None for _, shown in found) >= 8, name
        scripts = [runnable(body) for body, _ in found]
        for command in ("softsim analyze", "softsim normative", "softsim sweep"):
            assert any(command in (s or "") for s in scripts), (name, command)
        assert scripts[0] is None  # installation
        assert any("softsim demo --help" in (s or "") for s in scripts)
        assert not any(re.search(r"softsim demo(?! --help)", s or "") for s in scripts)
    assert fragments("a … b │ c\n\n…") == ["a", "b │ c"]
    assert reads("sed -n '/^## S/,/^x, Gini/p' d/s.md") == ["d/s.md"]
    script = "python -c \"open('x/summary.json')\"\nsoftsim run --out y\nls y/b z/a"
    assert reads(script) == ["x/summary.json", "z/a"]
    assert named(script) == ["x/summary.json", "y/b", "z/a"]
    assert reads("softsim normative --front f --out s.toml\nsed -n p f/front.md") == []


def _same_commands(fr: str, en: str) -> None:
    """The English tutorial is a translation: the same commands, but for the names of folders
    and sweep files, and ``--lang en``."""
    named_out = ("--out", "--front")

    def shape(doc: str) -> list[str]:
        cmds, folders = [], set()
        for body, _ in steps(doc):
            for line in body.splitlines():
                if line.startswith("softsim "):
                    words = shlex.split(line.split("#")[0])
                    folders |= {w for i, w in enumerate(words) if i and words[i - 1] in named_out}
                    keep = ["FILE" if w.endswith(".toml") else
                            "FOLDER" if i > 1 and w in folders else w
                            for i, w in enumerate(words) if w != "--lang"
                            and (i == 0 or words[i - 1] not in (*named_out, "--lang"))]
                    cmds.append(" ".join(keep))
        return cmds

    assert shape(fr) == shape(en)


def test_english_is_the_same_path_as_french():
    _same_commands(*((ROOT / "docs" / n).read_text(encoding="utf-8") for n in TUTORIALS))


@pytest.mark.slow
@pytest.mark.parametrize("name", TUTORIALS)
def test_every_tutorial_command_runs(name, tmp_path):
    doc = (ROOT / "docs" / name).read_text(encoding="utf-8")
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "110"
    for i, (body, shown) in enumerate(steps(doc)):
        script = runnable(body)
        if script is None:
            continue
        missing = [p for p in reads(script) if not (tmp_path / p).exists()]
        assert missing == [], f"{name}, block {i}: reads what no step wrote: {missing}"
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env,
            capture_output=True, text=True, timeout=TIMEOUT_S,
        )
        assert done.returncode == 0, f"{name}, block {i}:\n{script}\n{done.stderr[-2000:]}"
        absent = [p for p in named(script) if not (tmp_path / p).exists()]
        assert absent == [], f"{name}, block {i}: names files it did not find: {absent}"
        if shown is not None:
            out = done.stdout + done.stderr
            absent = [f for f in fragments(shown) if f not in out]
            assert absent == [], f"{name}, block {i}: not in the output: {absent}\n{out[-3000:]}"
