"""The one writer of document, version, section and measure rows.

Every path that stores a version builds its rows here: a page recorded on its own
(storage.ingest), a batch's first-seen documents (storage.fresh, which inserts these same
dicts with executemany) and reprocess (storage.reprocess, which restates a stored version
with what the current normalizer reads). A new column is added in this file and nowhere else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from pipeline.schema import Document as Doc
from storage.change_record import measure_index as _index
from storage.content import compress, doc_number_key, identity_key, measure_rows, section_rows
from storage.fts_index import index_measures
from storage.models import Document, MeasureRow, SectionRow, Version
from storage.page import NOT_MODIFIED, Page


def header(headers: dict[str, str] | None, name: str) -> str | None:
    """A response header by its lower-case name, whatever case the server sent."""
    if not headers:
        return None
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def document_values(doc: Doc, *, site_id: int, url: str, key: str | None, at: datetime) -> dict[str, Any]:
    """The columns of a new Document row (the ORM path builds its object from the same dict)."""
    return {
        "site_id": site_id,
        "canonical_url": url,
        "identity_key": key,
        "doc_number": doc.doc_number,
        "doc_number_key": doc_number_key(doc.doc_number) if doc.doc_number else "",
        "publisher": doc.publisher,
        "title": doc.title,
        "status": "active",
        "first_seen": at,
        "last_seen": at,
    }


def meaning_values(doc: Doc, digest: str) -> dict[str, Any]:
    """The columns of a version that come from reading the page (reprocess rewrites only these)."""
    return {
        "content_hash": digest,
        "normalized": doc.to_dict(),
        "title": doc.title,
        "doc_number": doc.doc_number,
        "published_date": doc.published_date,
    }


def version_values(
    page: Page, doc: Doc, *, document_id: int | None, seq: int, digest: str, url: str, at: datetime
) -> dict[str, Any]:
    """The columns of a new Version row: what was fetched (compressed) and what it means (JSON)."""
    body = page.body
    return {
        "document_id": document_id,
        "seq": seq,
        "first_seen": at,
        "last_seen": at,
        "fetch_count": 1,
        "url": url,
        # a 304's body is the 200 the HTTP cache stored: that is the fetch it stands for
        "http_status": 200 if page.status == NOT_MODIFIED else page.status,
        "etag": header(page.headers, "etag"),
        "last_modified": header(page.headers, "last-modified"),
        "content_type": header(page.headers, "content-type"),
        "filename": page.filename,
        "raw": compress(body),
        "raw_size": len(body.encode("utf-8") if isinstance(body, str) else body or b""),
        **meaning_values(doc, digest),
        "crawl_run_id": page.crawl_run_id,
    }


def restate_version(version: Version, doc: Doc, digest: str) -> None:
    """A stored version read again (reprocess): what it means changes, what was fetched stays."""
    for name, value in meaning_values(doc, digest).items():
        setattr(version, name, value)


def section_values(version_id: int, doc: Doc) -> list[dict[str, Any]]:
    return [{"version_id": version_id, **r} for r in section_rows(doc)]


def measure_values(version_id: int, doc: Doc) -> list[dict[str, Any]]:
    return [{"version_id": version_id, **r} for r in measure_rows(doc)]


def write_rows(session: Session, version: Version, doc: Doc) -> dict[tuple[str, str], int]:
    """Section and measure rows of a version; returns {(path, hash): measure id} (and path alone)."""
    # Core executemany instead of ORM objects: these rows are never edited in this transaction,
    # and the unit of work's per-object bookkeeping was the largest cost of recording a page.
    sections = section_values(version.id, doc)
    if sections:
        session.execute(insert(SectionRow), sections)
    measures = measure_values(version.id, doc)
    if not measures:
        return {}
    stmt = insert(MeasureRow).returning(
        MeasureRow.id, MeasureRow.path, MeasureRow.hash, sort_by_parameter_order=True
    )
    by_key = _index(session.execute(stmt, measures).all())
    index_measures(session.connection(), versions=[version.id])
    return by_key


def update_document(row: Document, doc: Doc, *, rekey: bool = False) -> None:
    """The document row follows its latest version: title, 文号, publisher.

    A recorded page keeps the identity a document already has (other URLs of it were found
    by that key); reprocess (`rekey`) recomputes it, as it recomputes everything read from pages.
    """
    row.title = doc.title or row.title
    if doc.doc_number:
        row.doc_number, row.doc_number_key = doc.doc_number, doc_number_key(doc.doc_number)
        row.identity_key = identity_key(doc) if rekey else row.identity_key or identity_key(doc)
    row.publisher = doc.publisher or row.publisher
