"""Renumbering in one line: "第3–15条顺延为第4–16条", "第5–15项顺延为第6–16项".

When a 条 (or a numbered item "5.", "（五）") is inserted or removed, every one after it keeps
its text and takes another number. compare pairs them by content (DESIGN.md: identity never
comes from the number), so they are no change, and the digest would say nothing about why
第八条 is now 第九条. This module reads the pairs one version comparison made - the unchanged
measures (Version.unchanged_pairs) and the changes with an old and a new side - and finds the
runs whose number shifted by one amount: old 第3-15条 became 第4-16条 is one run (shift +1).

条 are numbered through a whole law (across its chapters); other items per list: their runs
are kept apart by numbering family ("5." and "（五）") and by the section they sit in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from pipeline.markers import parse_marker
from storage.models import ChangeRow, MeasureRow, Version


@dataclass(frozen=True)
class Run:
    """Old numbers old_first..old_last are now new_first..new_last (the same count, one shift);
    `articles`: they are 条 (else numbered items of one list)."""

    old_first: int
    old_last: int
    new_first: int
    new_last: int
    articles: bool = True


Pair = tuple[str, str, str, str]  # old label, old path, new label, new path


def _parent(path: str) -> str:
    return path.rpartition(".")[0]


def _numbered(label: str) -> tuple[str, int] | None:
    """(numbering family, number): ("tiao", 12) for 第十二条 and its 款, ("ar", 5) for "5.";
    a 第十二条之一 or an unnumbered label is None."""
    m = parse_marker(label or "")
    if m is None or not m.ordinal or "之" in m.label:
        return None
    return m.family, m.ordinal


def runs(pairs: Iterable[Pair]) -> list[Run]:
    """The renumbered runs of paired measures, each list's in old order.

    A list is the measures of one numbering family: numbered through the whole document when
    no number repeats in two sections (条 always; "5." items that go on across headings), else
    one list per section. The 款 of one 条 give the same pair once; a number whose measures
    went to two different numbers (split, or joined with another) says nothing about
    numbering and breaks the run. A run is consecutive old numbers with one shift; a shift of
    0 is no run.
    """
    by_family: dict[str, list[tuple[int, str, int, str]]] = {}
    for old_label, old_path, new_label, new_path in pairs:
        a, b = _numbered(old_label), _numbered(new_label)
        if a is not None and b is not None and a[0] == b[0]:
            by_family.setdefault(a[0], []).append((a[1], _parent(old_path), b[1], _parent(new_path)))
    out: list[Run] = []
    for family in sorted(by_family):
        entries = by_family[family]
        sections: dict[int, set[str]] = {}
        for a, parent, _b, _np in entries:
            sections.setdefault(a, set()).add(parent)
        through = family == "tiao" or all(len(p) == 1 for p in sections.values())
        lists: dict[tuple[str, str], dict[int, set[int]]] = {}
        for a, parent, b, new_parent in entries:
            key = ("", "") if through else (parent, new_parent)
            lists.setdefault(key, {}).setdefault(a, set()).add(b)
        for key in sorted(lists):
            out += _runs(lists[key], articles=family == "tiao")
    return out


def _runs(mapping: dict[int, set[int]], *, articles: bool) -> list[Run]:
    # a new 条 claimed by two old ones is ambiguous too
    claimed: dict[int, int] = {}
    for targets in mapping.values():
        for b in targets:
            claimed[b] = claimed.get(b, 0) + 1
    clean = {a: next(iter(t)) for a, t in mapping.items() if len(t) == 1 and claimed[next(iter(t))] == 1}
    out: list[Run] = []
    for a in sorted(clean):
        b = clean[a]
        last = out[-1] if out else None
        if (
            last is not None
            and a == last.old_last + 1
            and b == last.new_last + 1
            and b - a == last.new_first - last.old_first
        ):
            out[-1] = Run(last.old_first, a, last.new_first, b, articles)
        else:
            out.append(Run(a, a, b, b, articles))  # a shift of 0 is kept while building: it ends a run
    return [r for r in out if r.old_first != r.new_first]


def version_pairs(session: Session, version_id: int) -> list[Pair]:
    """(old label, old path, new label, new path) of every measure compare paired for this
    version: unchanged ones and changed ones (modified, moved, cosmetic: both sides)."""
    old_m, new_m = aliased(MeasureRow), aliased(MeasureRow)
    out: list[Pair] = [
        (o or "", op, n or "", np)
        for o, op, n, np in session.execute(
            select(old_m.label, old_m.path, new_m.label, new_m.path)
            .select_from(ChangeRow)
            .join(old_m, old_m.id == ChangeRow.old_measure_id)
            .join(new_m, new_m.id == ChangeRow.new_measure_id)
            .where(ChangeRow.version_id == version_id)
        )
    ]
    pairs = session.scalar(select(Version.unchanged_pairs).where(Version.id == version_id)) or []
    ids = {i for pair in pairs for i in pair}
    rows: dict[int, tuple[str, str]] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for mid, label, path in session.execute(
            select(MeasureRow.id, MeasureRow.label, MeasureRow.path).where(MeasureRow.id.in_(chunk))
        ):
            rows[mid] = (label or "", path)
    out += [(*rows.get(o, ("", "")), *rows.get(n, ("", ""))) for o, n in pairs]
    return out


def version_runs(session: Session, version_id: int) -> list[Run]:
    return runs(version_pairs(session, version_id))
