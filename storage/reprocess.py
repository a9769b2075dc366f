"""Re-normalize stored raw pages with the current normalizer and reconcile measures and changes.

A better normalizer then improves the whole history without a recrawl. Each document is
rebuilt in its own write transaction: its versions keep their ids, sequence numbers and dates
(they are observations), while their schema, hash, sections, measures and the changes that
compare found between consecutive versions are recomputed.

Recomputed is not rewritten: a measure that comes out the same keeps its row (and id), and a
change that comes out the same keeps its row, id, detection time and outbox links, so an Atom
entry id or a mailed change never reappears as new. Only what differs is replaced. Changes that
no comparison produced are facts about fetching and are never touched: document events
(document_added, withdrawn, and any other event kind) and attachment_content changes.
No outbox rows are written: these changes were already announced when first detected.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.schema import CHANGE_KINDS, METADATA_FIELDS
from pipeline.schema import Document as Doc
from storage.change_record import change_rows, unchanged_pairs
from storage.change_record import measure_index as _index
from storage.citations import record_graph
from storage.content import content_hash, decompress
from storage.db import Database
from storage.fts_index import index_measures
from storage.models import ChangeRow, Document, MeasureRow, SectionRow, Site, Version
from storage.page import Normalizer, Steps
from storage.write_rows import measure_values, restate_version, section_values, update_document

MEASURE_FIELDS = ("ordinal", "path", "label", "heading", "text", "norm_text", "hash")
SECTION_FIELDS = ("ordinal", "path", "label", "level", "title", "text")
CHANGE_FIELDS = (
    "prev_version_id",
    "kind",
    "old_measure_id",
    "new_measure_id",
    "renumbered",
    "moved",
    "field",
    "old_value",
    "new_value",
    "diff",
    "others",
)


@dataclass
class ReprocessReport:
    documents: int = 0
    versions: int = 0
    changed_schema: int = 0  # versions whose normalized hash differs from before
    changes_before: int = 0  # comparison changes before (events and attachment changes are not counted)
    changes_after: int = 0
    changes_kept: int = 0  # came out the same: row and id kept
    changes_replaced: int = 0  # deleted: the comparison no longer finds them
    changes_new: int = 0  # inserted: found now, not before
    measures_kept: int = 0
    measures_replaced: int = 0
    errors: list[str] = field(default_factory=list)


def _renormalize(version: Version, normalizer: Normalizer) -> Doc:
    if version.raw is None:  # recorded from an already-normalized Document: keep it
        return Doc.from_dict(version.normalized)
    old = version.normalized or {}
    doc = normalizer(
        decompress(version.raw), url=version.url, headers=_headers(version), filename=version.filename
    )
    doc.site = doc.site or old.get("site", "")
    return doc


def _headers(version: Version) -> dict[str, str]:
    return {"Content-Type": version.content_type} if version.content_type else {}


def is_comparison(c: ChangeRow) -> bool:
    """A change compare() produced between two stored versions: the rows reprocess owns.

    Anything else (document events, attachment_content, changes without both versions) was
    observed while fetching and cannot be recomputed from the pages.
    """
    if c.version_id is None or c.prev_version_id is None:
        return False
    return c.kind in CHANGE_KINDS or (c.kind == "metadata" and c.field in METADATA_FIELDS)


def _signature(values: dict[str, Any], similarity: float | None) -> str:
    # JSON as the common form: stored JSON comes back as lists where new rows may hold tuples;
    # similarity rounded because a float column may not round-trip the last bit everywhere.
    sim = None if similarity is None else round(similarity, 9)
    return json.dumps([values.get(k) for k in CHANGE_FIELDS] + [sim], sort_keys=True, default=str)


def _change_signature(c: ChangeRow) -> str:
    return _signature({k: getattr(c, k) for k in CHANGE_FIELDS}, c.similarity)


def _reconcile_measures(
    session: Session, version: Version, doc: Doc, report: ReprocessReport, stale: list[int]
) -> dict[tuple[str, str], int]:
    """Keep the version's measure rows that come out the same; insert the others.

    The rows no longer produced go to `stale`, deleted once the changes that point at them are
    reconciled (a measure's deletion cascades to its changes).
    """
    existing = session.execute(
        select(MeasureRow.id, *(getattr(MeasureRow, f) for f in MEASURE_FIELDS)).where(
            MeasureRow.version_id == version.id
        ).order_by(MeasureRow.id)
    ).all()
    by_content: dict[tuple, list[int]] = defaultdict(list)
    for mid, *values in existing:
        by_content[tuple(values)].append(mid)
    rows = measure_values(version.id, doc)
    ids: list[int | None] = []
    fresh: list[dict[str, Any]] = []
    for row in rows:
        same = by_content.get(tuple(row[f] for f in MEASURE_FIELDS))
        ids.append(same.pop(0) if same else None)
        if ids[-1] is None:
            fresh.append(row)
    stale.extend(mid for left in by_content.values() for mid in left)
    report.measures_kept += len(rows) - len(fresh)
    report.measures_replaced += len(fresh)
    if fresh:
        stmt = MeasureRow.__table__.insert().returning(MeasureRow.id, sort_by_parameter_order=True)
        new_ids = session.execute(stmt, fresh).scalars().all()
        index_measures(session.connection(), ids=list(new_ids))
        inserted = iter(new_ids)
        ids = [mid if mid is not None else next(inserted) for mid in ids]
    # in document order, as storage.write_rows.write_rows gives them to _index
    return _index((mid, row["path"], row["hash"]) for mid, row in zip(ids, rows, strict=True))


def _reconcile_sections(session: Session, version: Version, doc: Doc) -> None:
    """Sections have no dependants: replaced as a whole, and only when they differ."""
    existing = session.execute(
        select(*(getattr(SectionRow, f) for f in SECTION_FIELDS))
        .where(SectionRow.version_id == version.id)
        .order_by(SectionRow.ordinal, SectionRow.id)
    ).all()
    rows = section_values(version.id, doc)
    if [tuple(r) for r in existing] == [tuple(r[f] for f in SECTION_FIELDS) for r in rows]:
        return
    session.execute(delete(SectionRow).where(SectionRow.version_id == version.id))
    if rows:
        session.execute(SectionRow.__table__.insert(), rows)


def _reconcile_changes(
    session: Session, old: Iterable[ChangeRow], new: list[ChangeRow], report: ReprocessReport
) -> None:
    waiting: dict[str, list[ChangeRow]] = defaultdict(list)
    for c in old:
        waiting[_change_signature(c)].append(c)
    for c in new:
        same = waiting.get(_change_signature(c))
        if same:
            same.pop(0)  # the stored row stands for it: id, detected_at and outbox links stay
            report.changes_kept += 1
        else:
            session.add(c)
            report.changes_new += 1
    gone = [c.id for rows in waiting.values() for c in rows]
    if gone:
        # Outbox rows keep their history: their change_id is set to NULL by the foreign key.
        session.execute(delete(ChangeRow).where(ChangeRow.id.in_(gone)))
        report.changes_replaced += len(gone)


def reprocess_document(db: Database, document_id: int, steps: Steps, report: ReprocessReport) -> None:
    with db.writer() as s:
        doc_row = s.get(Document, document_id)
        versions = s.scalars(
            select(Version).where(Version.document_id == document_id).order_by(Version.seq)
        ).all()
        owned: dict[int, list[ChangeRow]] = defaultdict(list)
        for c in s.scalars(select(ChangeRow).where(ChangeRow.document_id == document_id)):
            if is_comparison(c):
                owned[c.version_id].append(c)
        report.changes_before += sum(len(rows) for rows in owned.values())
        stale: list[int] = []
        prev: tuple[Version, Doc, dict] | None = None
        doc = None
        for v in versions:
            doc = _renormalize(v, steps.normalize)
            digest = content_hash(doc)
            if digest != v.content_hash:
                report.changed_schema += 1
            restate_version(v, doc, digest)
            s.flush()
            _reconcile_sections(s, v, doc)
            record_graph(s, doc_row, v, doc)
            new_ids = _reconcile_measures(s, v, doc, report, stale)
            new_rows: list[ChangeRow] = []
            if prev is not None:
                cs = steps.compare(prev[1], doc)
                new_rows = change_rows(
                    cs,
                    document_id=document_id,
                    version_id=v.id,
                    prev_version_id=prev[0].id,
                    old_ids=prev[2],
                    new_ids=new_ids,
                    at=v.first_seen,
                )
                report.changes_after += len(new_rows)
                v.unchanged_pairs = unchanged_pairs(cs, prev[2], new_ids)
            else:
                v.unchanged_pairs = None  # a first version (also one whose predecessor went)
            # a version's changes against a predecessor it no longer has (its first) go too
            _reconcile_changes(s, owned.pop(v.id, []), new_rows, report)
            prev = (v, doc, new_ids)
            report.versions += 1
        leftover = [c for rows in owned.values() for c in rows]  # of versions no longer listed
        _reconcile_changes(s, leftover, [], report)
        s.flush()
        if stale:
            s.execute(delete(MeasureRow).where(MeasureRow.id.in_(stale)))
        if doc is not None:
            update_document(doc_row, doc, rekey=True)
    report.documents += 1


def reprocess(db: Database, steps: Steps, *, site: str | None = None) -> ReprocessReport:
    """Every document (of `site`) rebuilt with `steps` (their on_changes is not called)."""
    with db.reader() as s:
        stmt = select(Document.id).order_by(Document.id)
        if site:
            stmt = stmt.join(Site, Site.id == Document.site_id).where(Site.name == site)
        ids = list(s.scalars(stmt))
    report = ReprocessReport()
    for doc_id in ids:
        try:
            reprocess_document(db, doc_id, steps, report)
        except (ValueError, UnicodeError) as e:  # one page the normalizer rejects: report, go on
            report.errors.append(f"document {doc_id}: {e}")
    return report
