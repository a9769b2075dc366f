"""Re-normalize stored raw pages with the current normalizer and rebuild measures and changes.

A better normalizer then improves the whole history without a recrawl. Each document is
rebuilt in its own write transaction: its versions keep their ids, sequence numbers and dates
(they are observations), while their schema, hash, sections, measures and measure/metadata
changes are recomputed. Document events (added, withdrawn) are facts about fetching and stay.
No outbox rows are written: these changes were already announced when first detected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, select

from pipeline.schema import DOCUMENT_EVENTS
from pipeline.schema import Document as Doc
from storage.content import content_hash, decompress, doc_number_key, identity_key
from storage.db import Database
from storage.models import ChangeRow, Document, MeasureRow, SectionRow, Site, Version
from storage.recorder import Comparer, Normalizer, _comparer, _write_rows, change_rows

EVENTS = DOCUMENT_EVENTS


@dataclass
class ReprocessReport:
    documents: int = 0
    versions: int = 0
    changed_schema: int = 0  # versions whose normalized hash differs from before
    changes_before: int = 0
    changes_after: int = 0
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


def reprocess_document(
    db: Database, document_id: int, normalizer: Normalizer, comparer: Comparer, report: ReprocessReport
) -> None:
    with db.writer() as s:
        doc_row = s.get(Document, document_id)
        versions = s.scalars(
            select(Version).where(Version.document_id == document_id).order_by(Version.seq)
        ).all()
        report.changes_before += len(
            s.scalars(
                select(ChangeRow.id).where(
                    ChangeRow.document_id == document_id, ChangeRow.kind.not_in(EVENTS)
                )
            ).all()
        )
        # Outbox rows keep their history: their change_id is set to NULL by the foreign key.
        s.execute(
            delete(ChangeRow).where(ChangeRow.document_id == document_id, ChangeRow.kind.not_in(EVENTS))
        )
        ids = [v.id for v in versions]
        s.execute(delete(MeasureRow).where(MeasureRow.version_id.in_(ids)))
        s.execute(delete(SectionRow).where(SectionRow.version_id.in_(ids)))
        prev: tuple[Version, Doc, dict] | None = None
        doc = None
        for v in versions:
            doc = _renormalize(v, normalizer)
            digest = content_hash(doc)
            if digest != v.content_hash:
                report.changed_schema += 1
            v.content_hash, v.normalized = digest, doc.to_dict()
            v.title, v.doc_number, v.published_date = doc.title, doc.doc_number, doc.published_date
            s.flush()
            new_ids = _write_rows(s, v, doc)
            if prev is not None:
                rows = change_rows(
                    comparer(prev[1], doc),
                    document_id=document_id,
                    version_id=v.id,
                    prev_version_id=prev[0].id,
                    old_ids=prev[2],
                    new_ids=new_ids,
                    at=v.first_seen,
                )
                s.add_all(rows)
                report.changes_after += len(rows)
            prev = (v, doc, new_ids)
            report.versions += 1
        if doc is not None:
            doc_row.title = doc.title or doc_row.title
            if doc.doc_number:
                doc_row.doc_number, doc_row.doc_number_key = doc.doc_number, doc_number_key(doc.doc_number)
                doc_row.identity_key = identity_key(doc)
            doc_row.publisher = doc.publisher or doc_row.publisher
    report.documents += 1


def reprocess(
    db: Database,
    *,
    site: str | None = None,
    normalizer: Normalizer | None = None,
    comparer: Comparer | None = None,
) -> ReprocessReport:
    if normalizer is None:
        from pipeline.normalize import normalize as normalizer
    comparer = _comparer(comparer)
    with db.reader() as s:
        stmt = select(Document.id).order_by(Document.id)
        if site:
            stmt = stmt.join(Site, Site.id == Document.site_id).where(Site.name == site)
        ids = list(s.scalars(stmt))
    report = ReprocessReport()
    for doc_id in ids:
        try:
            reprocess_document(db, doc_id, normalizer, comparer, report)
        except (ValueError, UnicodeError) as e:  # one page the normalizer rejects: report, go on
            report.errors.append(f"document {doc_id}: {e}")
    return report
