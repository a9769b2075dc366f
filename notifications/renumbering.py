"""Renumbering in one line: "第3–15条顺延为第4–16条".

When a 条 is inserted (or removed), every 条 after it keeps its text and takes another number.
compare pairs them by content (DESIGN.md: identity never comes from the number), so those 条
are no change, and the digest would say nothing about why 第八条 is now 第九条. This module
reads the pairs one version comparison made - the unchanged measures (Version.unchanged_pairs)
and the changes with an old and a new side - and finds the runs of 条 whose number shifted by
one amount: old 第3-15条 became 第4-16条 is one run (shift +1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from pipeline.articles import article_label
from pipeline.metadata import cn_number
from storage.models import ChangeRow, MeasureRow, Version


@dataclass(frozen=True)
class Run:
    """Old 条 old_first..old_last are now new_first..new_last (the same count, one shift)."""

    old_first: int
    old_last: int
    new_first: int
    new_last: int


def _number(label: str) -> int:
    """12 for "第十二条" or "第十二条第二款"; 0 for a label naming no 条 (or a 第十二条之一)."""
    art = article_label(label or "")
    if not art or "之" in art:
        return 0
    return cn_number(art[1:-1])


def runs(pairs: Iterable[tuple[str, str]]) -> list[Run]:
    """The renumbered runs of (old label, new label) pairs, in old order.

    The 款 of one 条 give the same pair once; a 条 whose 款 went to two different 条 (split, or
    joined with another) says nothing about numbering and breaks the run. A run is consecutive
    old numbers with one shift, and a shift of 0 is no run.
    """
    mapping: dict[int, set[int]] = {}
    for old, new in pairs:
        a, b = _number(old), _number(new)
        if a and b:
            mapping.setdefault(a, set()).add(b)
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
            out[-1] = Run(last.old_first, a, last.new_first, b)
        elif a != b:
            out.append(Run(a, a, b, b))
        else:
            out.append(Run(a, a, a, a))  # kept while building: a neighbour may extend it
    return [r for r in out if r.old_first != r.new_first]


def version_pairs(session: Session, version_id: int) -> list[tuple[str, str]]:
    """(old label, new label) of every measure compare paired for this version: unchanged ones
    and changed ones (modified, moved, cosmetic: any change with both sides)."""
    old_m, new_m = aliased(MeasureRow), aliased(MeasureRow)
    out = [
        (o or "", n or "")
        for o, n in session.execute(
            select(old_m.label, new_m.label)
            .select_from(ChangeRow)
            .join(old_m, old_m.id == ChangeRow.old_measure_id)
            .join(new_m, new_m.id == ChangeRow.new_measure_id)
            .where(ChangeRow.version_id == version_id)
        )
    ]
    pairs = session.scalar(select(Version.unchanged_pairs).where(Version.id == version_id)) or []
    ids = {i for pair in pairs for i in pair}
    labels: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        chunk = sorted(ids)[start : start + 500]
        labels.update(session.execute(select(MeasureRow.id, MeasureRow.label).where(MeasureRow.id.in_(chunk))).all())
    out += [(labels.get(o, ""), labels.get(n, "")) for o, n in pairs]
    return out


def version_runs(session: Session, version_id: int) -> list[Run]:
    return runs(version_pairs(session, version_id))
