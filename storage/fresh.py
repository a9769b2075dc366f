"""Documents seen for the first time, written a batch at a time.

A first crawl is all new documents. Through the ORM each one cost a flush for its Document,
another for its Version, then its URL, sections, measures, `document_added` change and the
Document's latest-version pointer: about eight statements and three unit-of-work passes a
page, the largest cost of recording it. Queued here, a batch's new documents become one
executemany per table.

storage.batch queues a page here only when nothing in the database or in the queue can be its
document (by URL or by 文号 identity), and drains the queue before any other page, so every
other path finds these documents in the database exactly as if they had been written one by
one. The rows are storage.write_rows' and storage.events', inserted with executemany. The
first stored version of a document has nothing to compare with, so nothing here needs
a measure id back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from pipeline.schema import Document as Doc
from storage.citations import record_graphs
from storage.events import document_added
from storage.fts_index import index_measures
from storage.models import ChangeRow, Document, DocumentUrl, MeasureRow, SectionRow, Version
from storage.page import OnChanges
from storage.write_rows import measure_values, section_values


@dataclass
class _Queued:
    doc: Doc
    document: dict[str, Any]
    version: dict[str, Any]
    url: str
    at: datetime


class FreshDocuments:
    """The batch's queue of first-seen documents; `drain` writes them and reports their ids."""

    def __init__(self) -> None:
        self.queue: list[_Queued] = []
        self.urls: set[str] = set()
        self.keys: set[str] = set()

    def claims(self, url: str, key: str | None) -> bool:
        """Whether a queued document may be this page's (the same URL or 文号 identity)."""
        return url in self.urls or (key is not None and key in self.keys)

    def add(self, doc: Doc, document: dict[str, Any], version: dict[str, Any], url: str, at: datetime) -> None:
        """Queue one document with its first version; `drain` answers in queue order."""
        self.queue.append(_Queued(doc, document, version, url, at))
        self.urls.add(url)
        if document["identity_key"]:
            self.keys.add(document["identity_key"])

    def drain(self, session: Session, on_changes: OnChanges | None) -> list[tuple[Document, int, int]]:
        """Write the queue; returns (Document, version id, change count) in queue order."""
        queued, self.queue = self.queue, []
        self.urls, self.keys = set(), set()
        if not queued:
            return []
        conn = session.connection()
        # RETURNING rows come back in no promised order, and asking SQLAlchemy to sort them makes
        # it insert row by row on SQLite; each row names what it belongs to instead (a queued
        # URL is unique in the queue, and each new document gets one version and one change).
        doc_table, version_table = Document.__table__, Version.__table__
        by_url = dict(
            conn.execute(
                insert(doc_table).returning(doc_table.c.canonical_url, doc_table.c.id), [q.document for q in queued]
            ).all()
        )
        doc_ids = [by_url[q.url] for q in queued]
        by_doc = dict(
            conn.execute(
                insert(version_table).returning(version_table.c.document_id, version_table.c.id),
                [{**q.version, "document_id": d} for q, d in zip(queued, doc_ids, strict=True)],
            ).all()
        )
        version_ids = [by_doc[d] for d in doc_ids]
        conn.execute(
            insert(DocumentUrl.__table__),
            [{"document_id": d, "url": q.url, "first_seen": q.at} for q, d in zip(queued, doc_ids, strict=True)],
        )
        conn.execute(
            update(doc_table).where(doc_table.c.id == bindparam("d")).values(latest_version_id=bindparam("v")),
            [{"d": d, "v": v} for d, v in zip(doc_ids, version_ids, strict=True)],
        )
        sections, measures = [], []
        for q, v in zip(queued, version_ids, strict=True):
            sections += section_values(v, q.doc)
            measures += measure_values(v, q.doc)
        if sections:
            conn.execute(insert(SectionRow.__table__), sections)
        if measures:
            conn.execute(insert(MeasureRow.__table__), measures)
            index_measures(conn, versions=version_ids)
        added = [document_added(d, v, q.at) for q, d, v in zip(queued, doc_ids, version_ids, strict=True)]
        change_table = ChangeRow.__table__
        change_of = dict(
            conn.execute(insert(change_table).returning(change_table.c.document_id, change_table.c.id), added).all()
        )
        change_ids = [change_of[d] for d in doc_ids]
        # ORM objects for what comes next: the batch's later pages and the outbox hook.
        rows = {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(doc_ids)))}
        record_graphs(session, [(d, v, q.doc) for q, d, v in zip(queued, doc_ids, version_ids, strict=True)])
        changes: dict[int, ChangeRow] = {}
        if on_changes is not None:
            changes = {c.id: c for c in session.scalars(select(ChangeRow).where(ChangeRow.id.in_(change_ids)))}
            for d, c in zip(doc_ids, change_ids, strict=True):
                on_changes(session, rows[d], [changes[c]])
        return [(rows[d], v, 1) for d, v in zip(doc_ids, version_ids, strict=True)]
