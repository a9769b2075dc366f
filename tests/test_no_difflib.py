"""The project diffs with rapidfuzz only: the stdlib matcher is slow on long texts and its
scores are not comparable with the tuned fuzz.ratio thresholds (engineering.md §6)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Spelled in two pieces so this file does not match itself.
NAME = "diff" + "lib"
SKIP = {".venv", ".git", "data", "node_modules", "__pycache__", ".pytest_cache"}


def test_no_module_mentions_the_stdlib_matcher() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        if SKIP & set(path.relative_to(ROOT).parts):
            continue
        if NAME in path.read_text(encoding="utf-8", errors="replace"):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
