"""ingest: one fetched page into the version history, by one decision.

Each page is exactly one of:
- gone (404/410): its document is withdrawn (a `withdrawn` event);
- touch: seen again unchanged (a 304, or the stored content hash): only `last_seen` moves;
- unusable: an empty, binary or chrome-only fetch; what is stored is kept;
- new document: its first version and a `document_added` event;
- new version: a Version (raw bytes compressed, the Document as JSON), its section and
  measure rows, and the change rows of `compare(previous, new)`, all in one transaction.

The 304 is decided here and only here: a revalidated page of a stored document is a touch;
one the database does not store is recorded from the body the HTTP cache kept (the fetch the
304 stands for), and without a body it is `unknown`.

Normalizing is CPU work that needs no database, so it happens before the write transaction
opens; on SQLite that transaction holds the one write lock, and the shorter the better.
record_pages (storage.batch) writes a batch's first-seen documents and seen-again pages
together and every other page through `ingest`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exc
from sqlalchemy.orm import Session

from pipeline.schema import Document as Doc
from storage.change_record import change_rows, measure_ids, unchanged_pairs
from storage.citations import record_graph
from storage.content import content_hash, identity_key
from storage.db import Database
from storage.events import document_added, republish, withdraw
from storage.known import Known, Latest
from storage.locks import lock_identities
from storage.models import ChangeRow, Document, Version, utcnow
from storage.page import GONE, Normalizer, OnChanges, Page, RecordResult, Steps
from storage.touches import Touches
from storage.urls import canonical_url, site_of
from storage.write_rows import document_values, header, update_document, version_values, write_rows

RETRIES = 3  # races between writers on PostgreSQL (same new URL, same next seq) retry the page
UNKNOWN_304 = "304 Not Modified for a page the database does not store"


def _after_version_flush(session: Session, version: Version) -> None:
    """Test seam: the crash test raises here, after the version row reached the database."""


def prepare(page: Page, normalize: Normalizer) -> tuple[Doc | None, str | None]:
    """The page's Document and content hash, outside the transaction (None for a 404 or a 304)."""
    if page.status in GONE or page.not_modified:
        return None, None
    return _read(page, normalize)


def _read(page: Page, normalize: Normalizer) -> tuple[Doc, str]:
    doc = page.document
    if doc is None:
        doc = normalize(page.body or b"", url=page.url, headers=page.headers, filename=page.filename)
    if page.site and not doc.site:
        doc.site = page.site
    return doc, content_hash(doc)


def ingest(
    session: Session, page: Page, doc: Doc | None, digest: str | None, steps: Steps, known: Known
) -> RecordResult | Exception:
    """Record one prepared page; an Exception is the normalizer's, for a 304 read only now."""
    at = page.fetched_at or utcnow()
    url = canonical_url(page.url)
    if page.status in GONE:
        row = known.document_at(session, url)
        if row is None:
            return RecordResult("gone")
        return withdraw(session, row, at, steps.on_changes, reason=f"http {page.status}")
    if page.not_modified:
        row = known.document_at(session, url)
        if row is not None:
            return touch(session, known, row, page, at, on_changes=steps.on_changes)
        if not page.body:
            return RecordResult("unknown", reason=UNKNOWN_304)
        try:
            doc, digest = _read(page, steps.normalize)
        except Exception as e:  # a page the normalizer rejects is that page's problem only
            return e
        lock_identities(session, [identity_key(doc)])  # as prepared pages' are, before their writes

    assert doc is not None and digest is not None
    if not doc.quality.usable():
        # An empty, binary, chrome-only or garbled fetch is no version of the policy: storing it
        # would report every stored measure as removed. Keep what is stored; say why.
        stored = known.document_at(session, url)
        return RecordResult("unusable", stored.id if stored else None, reason=doc.quality.reason)
    row, created = _find_or_create(session, known, page, doc, url, at)
    facts = known.latest_of(session, row)
    if facts is not None and facts.content_hash == digest:
        return touch(session, known, row, page, at, facts, on_changes=steps.on_changes)
    return _new_version(session, row, created, page, doc, digest, facts, steps, url, at)


def _find_or_create(
    session: Session, known: Known, page: Page, doc: Doc, url: str, at: datetime
) -> tuple[Document, bool]:
    row = known.document_at(session, url)
    if row is not None:
        return row, False
    key = identity_key(doc)
    if key:
        # A republished copy (same 文号 and publisher) at a new URL: the same document.
        row = known.document_with(session, key)
        if row is not None:
            known.add_url(session, row, url, at)
            return row, False
    site = known.site(session, page.site or site_of(page.url))
    row = Document(**document_values(doc, site_id=site.id, url=url, key=key, at=at))
    session.add(row)
    session.flush()
    known.add_url(session, row, url, at)
    known.add_document(row, key)
    return row, True


def _new_version(
    session: Session,
    row: Document,
    created: bool,
    page: Page,
    doc: Doc,
    digest: str,
    facts: Latest | None,
    steps: Steps,
    url: str,
    at: datetime,
) -> RecordResult:
    latest = session.get(Version, facts.id) if facts is not None else None
    seq = (latest.seq + 1) if latest else 1
    version = Version(**version_values(page, doc, document_id=row.id, seq=seq, digest=digest, url=url, at=at))
    session.add(version)
    session.flush()
    _after_version_flush(session, version)
    new_ids = write_rows(session, version, doc)

    if latest is None:
        changes = [ChangeRow(**document_added(row.id, version.id, at))]
    else:
        cs = steps.compare(Doc.from_dict(latest.normalized), doc)
        old_ids = measure_ids(session, latest.id)
        changes = change_rows(
            cs,
            document_id=row.id,
            version_id=version.id,
            prev_version_id=latest.id,
            old_ids=old_ids,
            new_ids=new_ids,
            at=at,
        )
        # the kept pairs too, so the diff page shows compare's alignment without pairing again
        version.unchanged_pairs = unchanged_pairs(cs, old_ids, new_ids)
    session.add_all(changes)
    if row.status != "active":
        republish(session, row, at, steps.on_changes)
    row.latest_version_id = version.id
    update_document(row, doc)
    row.last_seen = max(row.last_seen, at)
    session.flush()
    record_graph(session, row, version, doc)  # its citations and validity, before anyone is told
    if steps.on_changes is not None:
        steps.on_changes(session, row, changes)
    return RecordResult(
        "new" if created or latest is None else "changed", row.id, version.id, version.seq, len(changes)
    )


def touch(
    session: Session,
    known: Known,
    row: Document,
    page: Page,
    at: datetime,
    latest: Latest | None = None,
    *,
    on_changes: OnChanges | None,
) -> RecordResult:
    """Seen again, unchanged: move last_seen (and the validators the server now sends).

    In a batch the UPDATEs wait in the batch's Touches; alone, they run now.
    """
    latest = latest or known.latest_of(session, row)
    if latest is None:
        return RecordResult("unchanged", row.id)
    republished = row.status != "active"
    if republished:
        republish(session, row, at, on_changes)
    touches = known.touches if known.touches is not None else Touches()
    etag, last_modified = header(page.headers, "etag"), header(page.headers, "last-modified")
    touches.add(row, latest.id, at, etag or None, last_modified or None, canonical_url(page.url))
    if known.touches is None:
        touches.apply(session)
    return RecordResult("unchanged", row.id, latest.id, latest.seq, changes=int(republished))


def record_page(target: Database | Session, page: Page, steps: Steps) -> RecordResult:
    """Record one fetched page.

    Given a Database, the page is written in its own transaction (BEGIN IMMEDIATE on SQLite)
    and retried on a unique-key race with another writer. Given a Session, it is written into
    the caller's transaction and the caller commits.
    """
    doc, digest = prepare(page, steps.normalize)
    key = identity_key(doc) if doc is not None else None
    if isinstance(target, Session):
        lock_identities(target, [key])
        return _raised(ingest(target, page, doc, digest, steps, Known.nothing()))
    for attempt in range(RETRIES):
        try:
            with target.writer() as session:
                lock_identities(session, [key])
                return _raised(ingest(session, page, doc, digest, steps, Known.nothing()))
        except exc.IntegrityError:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def _raised(result: RecordResult | Exception) -> RecordResult:
    if isinstance(result, Exception):
        raise result
    return result
