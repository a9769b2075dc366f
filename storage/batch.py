"""record_pages: a batch of pages in one transaction (one commit per batch: the crawler buffers ~200).

First optimistically, without savepoints (they cost two statements and the ORM's bookkeeping
per page): documents never seen before are queued and written together (storage.fresh), and
so are the touches of pages seen again (storage.touches); any other page first drains both,
then goes through `ingest`. If the database rejects anything, the batch is rolled back and
redone page by page, each in a savepoint, so one bad page is reported in the result list (as
its exception) without losing the others. Both passes make the same decisions (the
bulk-versus-one-by-one tests hold them to it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exc
from sqlalchemy.orm import Session

from pipeline.schema import Document as Doc
from storage.content import identity_key
from storage.db import Database
from storage.fresh import FreshDocuments
from storage.ingest import ingest, prepare
from storage.known import Known
from storage.locks import lock_identities
from storage.models import utcnow
from storage.page import GONE, Page, RecordResult, Steps
from storage.urls import canonical_url, site_of
from storage.write_rows import document_values, version_values

Prepared = tuple[Page, Any, str | None]  # (page, Document | None | the normalizer's exception, hash)


def _after_batch_read(session: Session) -> None:
    """Test seam: the race test holds one writer here, between its lookups and its inserts."""


def record_pages(db: Database, pages: Iterable[Page], steps: Steps) -> list[RecordResult | Exception]:
    """Record a batch in one transaction; a page that fails is its exception in the list."""
    prepared: list[Prepared] = []
    for page in pages:
        try:
            prepared.append((page, *prepare(page, steps.normalize)))
        except Exception as e:  # a page the normalizer rejects is that page's problem only
            prepared.append((page, e, None))
    try:
        with db.writer() as session:
            return _record_batch(session, prepared, steps)
    except exc.SQLAlchemyError:
        pass
    results: list[RecordResult | Exception] = []
    with db.writer() as session:
        lock_identities(session, (identity_key(d) for _, d, _ in prepared if isinstance(d, Doc)))
        known = Known.nothing()  # what a rolled-back savepoint wrote must not be remembered
        for page, doc, digest in prepared:
            if isinstance(doc, Exception):
                results.append(doc)
                continue
            try:
                with session.begin_nested():
                    results.append(ingest(session, page, doc, digest, steps, known))
            except exc.SQLAlchemyError as e:
                results.append(e)
    return results


def _record_batch(session: Session, prepared: list[Prepared], steps: Steps) -> list[RecordResult | Exception]:
    docs = [(p, d) for p, d, _ in prepared if not isinstance(d, Exception)]
    keys = {k for _, d in docs if d is not None and (k := identity_key(d))}
    lock_identities(session, keys)
    known = Known.read(session, {canonical_url(p.url) for p, _ in docs}, keys)
    assert known.touches is not None
    touches = known.touches
    _after_batch_read(session)
    fresh = FreshDocuments()
    results: list[RecordResult | Exception] = []
    waiting: list[tuple[RecordResult, str]] = []  # the queued pages' results (and hashes), completed by drain

    def drain() -> None:
        touches.apply(session)
        written = fresh.drain(session, steps.on_changes)
        for (result, digest), (row, version_id, changes) in zip(waiting, written, strict=True):
            result.document_id, result.version_id, result.changes = row.id, version_id, changes
            known.add_first_version(row, version_id, digest)
        waiting.clear()

    for page, doc, digest in prepared:
        if isinstance(doc, Exception):
            results.append(doc)
            continue
        url = canonical_url(page.url)
        key = identity_key(doc) if doc is not None else None
        if _first_seen(page, doc, url, key, known) and not fresh.claims(url, key):
            assert doc is not None and digest is not None
            at = page.fetched_at or utcnow()
            site = known.site(session, page.site or site_of(page.url))
            fresh.add(
                doc,
                document_values(doc, site_id=site.id, url=url, key=key, at=at),
                version_values(page, doc, document_id=None, seq=1, digest=digest, url=url, at=at),
                url,
                at,
            )
            waiting.append((RecordResult("new", seq=1), digest))
            results.append(waiting[-1][0])
            continue
        if not (page.not_modified and known.by_url.get(url) is not None) or fresh.claims(url, key):
            # It may read or change what the queue and the waiting touches will write. A 304 of
            # a stored document only touches it, and waits with the other touches.
            drain()
        results.append(ingest(session, page, doc, digest, steps, known))
    drain()
    return results


def _first_seen(page: Page, doc: Doc | None, url: str, key: str | None, known: Known) -> bool:
    """A usable page that no stored document can be (by URL or 文号 identity)."""
    if doc is None or page.status in GONE or page.not_modified or not doc.quality.usable():
        return False
    return known.by_url.get(url) is None and not (key and known.by_key.get(key) is not None)
