"""Step 1 of structure: drop repeated content (trap 6).

A 目录 block, an unlabelled contents list of bare headings, a body printed twice, and title
lines repeated above the text are dropped before the tree is built.
"""

from __future__ import annotations

import re

from pipeline.markers import parse_marker
from pipeline.sections import bare_heading_only
from pipeline.structure_model import Line
from pipeline.text import norm_text

_TOC = re.compile(r"^目\s*录$")


def _skip_toc(lines: list[Line]) -> list[Line]:
    """Drop a 目录 block: the heading lines after 目录 up to where the first one comes back."""
    for i, line in enumerate(lines[:80]):
        if not _TOC.match(norm_text(line.text)):
            continue
        entries = []
        j = i + 1
        while j < len(lines) and len(lines[j].text) <= 40 and not lines[j].table:
            key = norm_text(lines[j].text)
            if entries and key == entries[0]:
                return lines[:i] + lines[j:]
            entries.append(key)
            j += 1
        return lines
    return _skip_heading_run(lines)


def _skip_heading_run(lines: list[Line]) -> list[Line]:
    """An unlabelled contents list: 3+ bare numbered headings in a row, one of which comes back later."""
    i, n = 0, min(len(lines), 200)
    last_at: dict[str, int] | None = None  # each text's last line: "comes back after j" in one look-up
    while i < n:
        j = i
        while j < len(lines) and lines[j].table is None and _is_bare_marker_line(lines[j].text):
            j += 1
        if j - i >= 3:
            if last_at is None:
                last_at = {norm_text(x.text): k for k, x in enumerate(lines) if x.table is None}
            if any(last_at[norm_text(x.text)] >= j for x in lines[i:j]):
                return lines[:i] + lines[j:]
        i = j + 1
    return lines


def _is_bare_marker_line(text: str) -> bool:
    m = parse_marker(text)
    return m is not None and m.family in ("cn", "bian", "zhang", "jie") and bare_heading_only(m.rest or "x")


def _drop_repeats(lines: list[Line]) -> list[Line]:
    """Keep a body printed twice once: a run of 3+ lines (or one long paragraph) seen before is dropped."""
    keys = [norm_text(x.text) if x.table is None else f"<table {id(x.table)}>" for x in lines]
    first_at: dict[str, int] = {}
    out: list[Line] = []
    i = 0
    while i < len(lines):
        k = keys[i]
        j = first_at.get(k)
        if j is not None and k and lines[i].table is None:
            run = 0
            while i + run < len(lines) and j + run < i and keys[i + run] == keys[j + run]:
                run += 1
            if run >= 3 or (run >= 1 and len(k) >= 40):
                i += run
                continue
        first_at.setdefault(k, i)
        out.append(lines[i])
        i += 1
    return out


def _drop_titles(lines: list[Line], titles: list[str]) -> list[Line]:
    """Remove title lines before the first marker, also a title wrapped over several lines (trap 5).

    A short head line whose text lies wholly inside a known title is a piece of that title.
    """
    keys = {norm_text(re.sub(r"^[（(]转载[)）]", "", t)) for t in titles if t}
    keys.discard("")
    if not keys:
        return lines
    out: list[Line] = []
    for i, line in enumerate(lines):
        if i < 12 and line.table is None and parse_marker(line.text) is None:
            key = norm_text(line.text)
            short_piece = len(key) >= 2 and not re.search(r"[\W_]", key)
            if (len(key) >= 6 or short_piece) and any(key in k for k in keys):
                continue
        out.append(line)
    return out
