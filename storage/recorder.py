"""record_page: one fetched page into the version history.

- same normalized hash as the latest version: only `last_seen` moves (no new rows);
- otherwise: a new Version (raw bytes compressed, the Document as JSON), its section and
  measure rows, and the Change rows of `compare(previous, new)`, all in one transaction;
- 404/410: the document is marked withdrawn (a `withdrawn` change row);
- 304: the latest version was seen again;
- gone from a completely crawled listing: `withdraw_unlisted` withdraws it; a crawl decides
  its 404s and delistings together at its end (`settle_withdrawals`).

Normalizing is CPU work that needs no database, so it happens before the write transaction
opens; on SQLite that transaction holds the one write lock, and the shorter the better.
record_pages writes a batch's first-seen documents together (storage.fresh), applies its
seen-again pages together (storage.touches), and records every other page on its own through
the ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exc, insert, select, text
from sqlalchemy.orm import Session

from pipeline.schema import Change, ChangeSet, MeasureRef
from pipeline.schema import Document as Doc
from storage.citations import record_graph
from storage.content import (
    content_hash,
    doc_number_key,
    identity_key,
    measure_rows,
    section_rows,
)
from storage.db import Database
from storage.fresh import FreshDocuments, document_values, header, version_values
from storage.models import ChangeRow, Document, DocumentUrl, MeasureRow, SectionRow, Site, Version, utcnow
from storage.outbox import enqueue_changes
from storage.touches import Touches
from storage.urls import canonical_url, site_of

OnChanges = Callable[[Session, Document, Sequence[ChangeRow]], Any]
Normalizer = Callable[..., Doc]
Comparer = Callable[[Doc, Doc], ChangeSet]

GONE = (404, 410)
RETRIES = 3  # races between writers on PostgreSQL (same new URL, same next seq) retry the page


@dataclass
class Page:
    """A fetched page, as the crawler (or a test) hands it over."""

    url: str
    body: bytes | str | None = None
    site: str = ""
    status: int = 200
    headers: dict[str, str] | None = None
    fetched_at: datetime | None = None
    filename: str = ""  # format hint for .md/.txt sources
    document: Doc | None = None  # already normalized (reprocess, benchmarks)
    crawl_run_id: int | None = None
    list_facts: dict[str, Any] | None = None  # what the site's listing said (the crawler's writer uses it)


@dataclass
class RecordResult:
    outcome: str  # new | changed | unchanged | withdrawn | gone (404 of a page never stored or already withdrawn) | unusable
    document_id: int | None = None
    version_id: int | None = None
    seq: int | None = None
    changes: int = 0
    reason: str = ""  # why an unusable page was not stored (the normalizer's quality.reason)


def _after_version_flush(session: Session, version: Version) -> None:
    """Test seam: the crash test raises here, after the version row reached the database."""


def _after_batch_read(session: Session) -> None:
    """Test seam: the race test holds one writer here, between its lookups and its inserts."""


IDENTITY_LOCKS = 0x5057  # the advisory-lock class of 文号 identities (the two-key space; the leader uses the one-key space)
_LOCK_IDENTITIES = text(
    "SELECT pg_advisory_xact_lock(:lock_class, h) FROM ("
    " SELECT DISTINCT hashtext(current_schema() || ':' || k) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h"
    ") AS sorted"
)


def _lock_identities(session: Session, keys: Iterable[str | None]) -> None:
    """PostgreSQL: hold the 文号 identities this transaction may create a document for, to commit.

    Two writers recording one republished document (same 文号 and publisher, two URLs) would
    each miss the other's uncommitted row and create it twice. identity_key cannot be unique
    (a document may gain its 文号 in a later version), so the writers queue on these locks
    instead; one sorted sweep per transaction, so two batches cannot deadlock on them. SQLite
    needs none: its writers take turns on the one write lock.
    """
    wanted = sorted({k for k in keys if k})
    if wanted and session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_IDENTITIES, {"lock_class": IDENTITY_LOCKS, "keys": wanted})


def _normalize(page: Page, normalizer: Normalizer | None) -> Doc:
    if page.document is not None:
        return page.document
    if normalizer is None:
        from pipeline.normalize import normalize as normalizer  # late: pipeline imports rapidfuzz, lxml
    doc = normalizer(page.body or b"", url=page.url, headers=page.headers, filename=page.filename)
    return doc


def _version_values(
    page: Page, doc: Doc, digest: str, url: str, at: datetime, document_id: int | None, seq: int
) -> dict[str, Any]:
    return version_values(
        doc,
        document_id=document_id,
        seq=seq,
        digest=digest,
        url=url,
        at=at,
        body=page.body,
        status=page.status,
        headers=page.headers,
        filename=page.filename,
        crawl_run_id=page.crawl_run_id,
    )


def _comparer(comparer: Comparer | None) -> Comparer:
    if comparer is None:
        from pipeline.compare import compare as comparer
    return comparer


# -- lookups ---------------------------------------------------------------------------------


def get_site(session: Session, name: str) -> Site:
    # Remembered for the session (one write transaction): a batch of new pages of one site
    # asks 200 times. Only sites read back are remembered, never one this session just
    # created, which a rolled-back savepoint could take away again.
    known: dict[str, Site] = session.info.setdefault("policywatch_sites", {})
    if name in known:
        return known[name]
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        site = Site(name=name, created_at=utcnow())
        session.add(site)
        session.flush()
    else:
        known[name] = site
    return site


@dataclass(frozen=True)
class Latest:
    """What the unchanged path needs of a document's latest version (not its blobs)."""

    id: int
    seq: int
    content_hash: str


@dataclass
class _Batch:
    """The documents a batch's pages may belong to, read in two queries instead of two per page,
    with the id, seq and content hash of each one's latest version.

    Kept in `session.info` for the optimistic (savepoint-free) pass of record_pages only, and
    kept current as pages add documents and URLs; a miss for a covered URL or key is a miss.
    The `latest` facts are trusted only while they name the document's latest_version_id.
    """

    urls: set[str]
    keys: set[str]
    by_url: dict[str, Document]
    by_key: dict[str, Document]
    latest: dict[int, Latest]
    touches: Touches

    @classmethod
    def read(cls, session: Session, urls: set[str], keys: set[str]) -> _Batch:
        latest: dict[int, Latest] = {}
        facts = (Version.id, Version.seq, Version.content_hash)
        on_latest = Version.id == Document.latest_version_id

        def seen(d: Document, vid: int | None, seq: int | None, digest: str | None) -> Document:
            if vid is not None and seq is not None and digest is not None:
                latest[d.id] = Latest(vid, seq, digest)
            return d

        by_url = {
            u: seen(d, *f)
            for d, u, *f in session.execute(
                select(Document, DocumentUrl.url, *facts)
                .join(DocumentUrl, DocumentUrl.document_id == Document.id)
                .outerjoin(Version, on_latest)
                .where(DocumentUrl.url.in_(urls))
            ).all()
        }
        by_key: dict[str, Document] = {}
        if keys:
            for d, *f in session.execute(
                select(Document, *facts)
                .outerjoin(Version, on_latest)
                .where(Document.identity_key.in_(keys))
                .order_by(Document.id)
            ).all():
                by_key.setdefault(d.identity_key or "", seen(d, *f))
        return cls(urls, keys, by_url, by_key, latest, Touches())


_BATCH = "policywatch_batch"


def _batch(session: Session) -> _Batch | None:
    return session.info.get(_BATCH)


def latest_of(session: Session, row: Document) -> Latest | None:
    """The latest version's id, seq and hash: from the batch's read when it is current."""
    if row.latest_version_id is None:
        return None
    batch = _batch(session)
    known = batch.latest.get(row.id) if batch is not None else None
    if known is not None and known.id == row.latest_version_id:
        return known
    version = session.get(Version, row.latest_version_id)
    return Latest(version.id, version.seq, version.content_hash) if version is not None else None


def find_by_url(session: Session, url: str) -> Document | None:
    batch = _batch(session)
    if batch is not None and url in batch.urls:
        return batch.by_url.get(url)
    return session.scalar(
        select(Document)
        .join(DocumentUrl, DocumentUrl.document_id == Document.id)
        .where(DocumentUrl.url == url)
    )


def _by_identity(session: Session, key: str) -> Document | None:
    batch = _batch(session)
    if batch is not None and key in batch.keys:
        return batch.by_key.get(key)
    return session.scalar(select(Document).where(Document.identity_key == key).order_by(Document.id).limit(1))


def _add_url(session: Session, row: Document, url: str, at: datetime) -> None:
    session.add(DocumentUrl(document_id=row.id, url=url, first_seen=at))
    batch = _batch(session)
    if batch is not None:
        batch.urls.add(url)
        batch.by_url[url] = row


def _find_or_create(session: Session, page: Page, doc: Doc, url: str, at: datetime) -> tuple[Document, bool]:
    row = find_by_url(session, url)
    if row is not None:
        return row, False
    key = identity_key(doc)
    if key:
        # A republished copy (same 文号 and publisher) at a new URL: the same document.
        row = _by_identity(session, key)
        if row is not None:
            _add_url(session, row, url, at)
            return row, False
    site = get_site(session, page.site or site_of(page.url))
    row = Document(**document_values(doc, site_id=site.id, url=url, key=key, at=at))
    session.add(row)
    session.flush()
    _add_url(session, row, url, at)
    batch = _batch(session)
    if batch is not None and key:
        batch.keys.add(key)
        batch.by_key.setdefault(key, row)
    return row, True


# -- writing ---------------------------------------------------------------------------------


def _write_rows(session: Session, version: Version, doc: Doc) -> dict[tuple[str, str], int]:
    """Section and measure rows of a version; returns {(path, hash): measure id} (and path alone)."""
    # Core executemany instead of ORM objects: these rows are never edited in this transaction,
    # and the unit of work's per-object bookkeeping was the largest cost of recording a page.
    sections = [{"version_id": version.id, **r} for r in section_rows(doc)]
    if sections:
        session.execute(insert(SectionRow), sections)
    measures = [{"version_id": version.id, **r} for r in measure_rows(doc)]
    if not measures:
        return {}
    stmt = insert(MeasureRow).returning(
        MeasureRow.id, MeasureRow.path, MeasureRow.hash, sort_by_parameter_order=True
    )
    return _index(session.execute(stmt, measures).all())


def _index(rows: Iterable[Any]) -> dict[tuple[str, str], int]:
    """{(path, hash): id} plus {(path, ""): id}, from (id, path, hash) rows."""
    ids: dict[tuple[str, str], int] = {}
    for mid, path, digest in rows:
        ids.setdefault((path, digest), mid)
        ids.setdefault((path, ""), mid)
    return ids


def measure_ids(session: Session, version_id: int) -> dict[tuple[str, str], int]:
    return _index(
        session.execute(
            select(MeasureRow.id, MeasureRow.path, MeasureRow.hash).where(MeasureRow.version_id == version_id)
        ).all()
    )


def _ref_id(ids: dict[tuple[str, str], int], ref: MeasureRef | None) -> int | None:
    if ref is None:
        return None
    return ids.get((ref.path, ref.hash)) or ids.get((ref.path, ""))


def _ref_json(ids: dict[tuple[str, str], int], ref: MeasureRef) -> dict[str, Any]:
    return {"path": ref.path, "label": ref.label, "measure_id": _ref_id(ids, ref)}


def _unit_refs(c: Change, old_ids: dict, new_ids: dict) -> list[dict[str, Any]]:
    """Sides that are not measure rows (preamble, cover note, section text, closing).

    compare reports reworded text outside measures too; those sides have no measure id, so
    their place and text travel in `others`, marked with the side they stand for.
    """
    out = []
    for side, ref, ids in (("old", c.old, old_ids), ("new", c.new, new_ids)):
        if ref is not None and _ref_id(ids, ref) is None:
            out.append({"side": side, "path": ref.path, "label": ref.label, "text": ref.text})
    return out


def _article_ref(c: Change) -> list[dict[str, Any]]:
    """The 条 a change of a law sits in, kept with the change (an `others` entry, side "article").

    A change inside a 条 names it (old_article/new_article); a 条 added, removed or moved whole
    also keeps its 款 and, per side, the 条's label and full text: its measure id points at
    the first 款 only (a 条 of several 款 has no row of its own).
    """
    if not (c.old_article or c.new_article):
        return []
    entry: dict[str, Any] = {"side": "article", "old_article": c.old_article, "new_article": c.new_article}
    if c.units:
        entry["units"] = [{"path": u.path, "label": u.label} for u in c.units]
        entry["whole"] = {
            side: {"label": ref.label, "text": ref.text}
            for side, ref in (("old", c.old), ("new", c.new))
            if ref is not None
        }
    return [entry]


def change_rows(
    cs: ChangeSet,
    *,
    document_id: int,
    version_id: int,
    prev_version_id: int,
    old_ids: dict[tuple[str, str], int],
    new_ids: dict[tuple[str, str], int],
    at: datetime,
) -> list[ChangeRow]:
    """ChangeRow objects for a ChangeSet between two stored versions."""
    rows = []
    for c in cs.changes:
        # For a merge the extra parts are old measures; for a split they are new ones.
        others_ids = old_ids if c.kind == "merged" else new_ids
        rows.append(
            ChangeRow(
                document_id=document_id,
                version_id=version_id,
                prev_version_id=prev_version_id,
                kind=c.kind,
                old_measure_id=_ref_id(old_ids, c.old),
                new_measure_id=_ref_id(new_ids, c.new),
                similarity=c.similarity,
                diff=[list(span) for span in c.diff] or None,
                renumbered=bool(c.renumbered),
                moved=bool(getattr(c, "moved", False)),
                others=[_ref_json(others_ids, o) for o in c.others]
                + _unit_refs(c, old_ids, new_ids)
                + _article_ref(c)
                or None,
                detected_at=at,
            )
        )
    for m in cs.metadata_changes:
        rows.append(
            ChangeRow(
                document_id=document_id,
                version_id=version_id,
                prev_version_id=prev_version_id,
                kind="metadata",
                field=m.field,
                old_value=_jsonable(m.old),
                new_value=_jsonable(m.new),
                renumbered=False,
                moved=False,
                detected_at=at,
            )
        )
    return rows


def _jsonable(value: Any) -> Any:
    """Metadata values may be dataclasses (attachments): store their dict form."""
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return asdict(value)
    return value


def _record(
    session: Session,
    page: Page,
    doc: Doc | None,
    digest: str | None,
    comparer: Comparer | None,
    on_changes: OnChanges | None,
) -> RecordResult:
    at = page.fetched_at or utcnow()
    url = canonical_url(page.url)

    if page.status in GONE or page.status == 304:
        row = find_by_url(session, url)
        if row is None:
            return RecordResult("gone" if page.status in GONE else "unchanged")
        if page.status == 304:
            return _touch(session, row, page, at, on_changes=on_changes)
        return _withdraw(session, row, at, on_changes, reason=f"http {page.status}")

    assert doc is not None and digest is not None
    if not doc.quality.usable():
        # An empty, binary, chrome-only or garbled fetch is no version of the policy: storing it
        # would report every stored measure as removed. Keep what is stored; say why.
        known = find_by_url(session, url)
        return RecordResult("unusable", known.id if known else None, reason=doc.quality.reason)
    row, created = _find_or_create(session, page, doc, url, at)
    facts = latest_of(session, row)
    if facts is not None and facts.content_hash == digest:
        return _touch(session, row, page, at, facts, on_changes=on_changes)
    latest = session.get(Version, facts.id) if facts is not None else None

    version = Version(**_version_values(page, doc, digest, url, at, row.id, (latest.seq + 1) if latest else 1))
    session.add(version)
    session.flush()
    _after_version_flush(session, version)
    new_ids = _write_rows(session, version, doc)

    if latest is None:
        changes = [
            ChangeRow(
                document_id=row.id,
                version_id=version.id,
                kind="document_added",
                renumbered=False,
                moved=False,
                detected_at=at,
            )
        ]
    else:
        cs = _comparer(comparer)(Doc.from_dict(latest.normalized), doc)
        changes = change_rows(
            cs,
            document_id=row.id,
            version_id=version.id,
            prev_version_id=latest.id,
            old_ids=measure_ids(session, latest.id),
            new_ids=new_ids,
            at=at,
        )
    session.add_all(changes)
    if row.status != "active":
        _republish(session, row, at, on_changes)
    row.latest_version_id = version.id
    row.title = doc.title or row.title
    if doc.doc_number:
        row.doc_number, row.doc_number_key = doc.doc_number, doc_number_key(doc.doc_number)
        row.identity_key = row.identity_key or identity_key(doc)
    row.publisher = doc.publisher or row.publisher
    row.last_seen = max(row.last_seen, at)
    session.flush()
    record_graph(session, row, version, doc)
    if on_changes is not None:
        on_changes(session, row, changes)
    return RecordResult(
        "new" if created or latest is None else "changed", row.id, version.id, version.seq, len(changes)
    )


def _touch(
    session: Session,
    row: Document,
    page: Page,
    at: datetime,
    latest: Latest | None = None,
    *,
    on_changes: OnChanges | None = None,
) -> RecordResult:
    """Seen again, unchanged: move last_seen (and the validators the server now sends).

    In record_pages' batch the UPDATEs wait in the batch's Touches; alone, they run now.
    """
    latest = latest or latest_of(session, row)
    if latest is None:
        return RecordResult("unchanged", row.id)
    republished = row.status != "active"
    if republished:
        _republish(session, row, at, on_changes)
    batch = _batch(session)
    touches = batch.touches if batch is not None else Touches()
    etag, last_modified = header(page.headers, "etag"), header(page.headers, "last-modified")
    touches.add(row, latest.id, at, etag or None, last_modified or None, canonical_url(page.url))
    if batch is None:
        touches.apply(session)
    return RecordResult("unchanged", row.id, latest.id, latest.seq, changes=int(republished))


def _republish(session: Session, row: Document, at: datetime, on_changes: OnChanges | None) -> None:
    """A withdrawn document answers again: active, and a `republished` event says so (with when
    it was withdrawn), so a withdrawal an office was told about is never silently undone."""
    since = row.withdrawn_at
    row.status, row.withdrawn_at = "active", None
    record_event(
        session,
        row,
        kind="republished",
        field="withdrawn_at",
        old_value=since.strftime("%Y-%m-%d %H:%M") if since else None,
        at=at,
        on_changes=on_changes,
    )


def _withdraw(
    session: Session, row: Document, at: datetime, on_changes: OnChanges | None, reason: str
) -> RecordResult:
    if row.status == "withdrawn":
        # still gone: nothing is written, so nothing may be counted as a withdrawal
        return RecordResult("gone", row.id)
    row.status, row.withdrawn_at, row.last_seen = "withdrawn", at, max(row.last_seen, at)
    # why we think so: a digest reader weighs a 404 and a delisting differently
    record_event(session, row, kind="withdrawn", field="reason", new_value=reason, at=at, on_changes=on_changes)
    return RecordResult("withdrawn", row.id, changes=1)


def record_event(
    session: Session,
    row: Document,
    *,
    kind: str,
    field: str,
    at: datetime,
    on_changes: OnChanges | None,
    old_value: Any = None,
    new_value: Any = None,
) -> ChangeRow:
    """A change of a document that brings no new version (a withdrawal, a replaced attachment):
    its latest version is the one before, and it goes to the outbox like any change."""
    change = ChangeRow(
        document_id=row.id,
        version_id=None,
        prev_version_id=row.latest_version_id,
        kind=kind,
        field=field,
        old_value=old_value,
        new_value=new_value,
        renumbered=False,
        moved=False,
        detected_at=at,
    )
    session.add(change)
    session.flush()
    if on_changes is not None:
        on_changes(session, row, [change])
    return change


# -- entry points ----------------------------------------------------------------------------


def _prepare(page: Page, normalizer: Normalizer | None) -> tuple[Doc | None, str | None]:
    if page.status in GONE or page.status == 304:
        return None, None
    doc = _normalize(page, normalizer)
    if page.site and not doc.site:
        doc.site = page.site
    return doc, content_hash(doc)


def record_page(
    target: Database | Session,
    page: Page | None = None,
    /,
    *,
    normalizer: Normalizer | None = None,
    comparer: Comparer | None = None,
    on_changes: OnChanges | None = enqueue_changes,
    **fields: Any,
) -> RecordResult:
    """Record one fetched page: `record_page(db, Page(...))` or `record_page(db, url=..., body=...)`.

    Given a Database, the page is written in its own transaction (BEGIN IMMEDIATE on SQLite)
    and retried on a unique-key race with another writer. Given a Session, it is written into
    the caller's transaction and the caller commits.
    """
    page = page or Page(**fields)
    doc, digest = _prepare(page, normalizer)
    key = identity_key(doc) if doc is not None else None
    if isinstance(target, Session):
        _lock_identities(target, [key])
        return _record(target, page, doc, digest, comparer, on_changes)
    for attempt in range(RETRIES):
        try:
            with target.writer() as session:
                _lock_identities(session, [key])
                return _record(session, page, doc, digest, comparer, on_changes)
        except exc.IntegrityError:
            if attempt == RETRIES - 1:
                raise
    raise AssertionError("unreachable")


def record_pages(
    db: Database,
    pages: Iterable[Page],
    *,
    normalizer: Normalizer | None = None,
    comparer: Comparer | None = None,
    on_changes: OnChanges | None = enqueue_changes,
) -> list[RecordResult | Exception]:
    """Record a batch in one transaction (one commit per batch: the crawler buffers ~200 pages).

    First in one go, new documents and seen-again pages written together (_record_batch). If
    the database rejects anything, the batch is redone page by page, each in a savepoint, so
    one bad page is reported in the result list (as its exception) without losing the others.
    """
    prepared = []
    results: list[RecordResult | Exception] = []
    for page in pages:
        try:
            prepared.append((page, *_prepare(page, normalizer)))
        except Exception as e:  # a page the normalizer rejects is that page's problem only
            prepared.append((page, e, None))
    # Optimistically without savepoints (they cost two statements and the ORM's bookkeeping
    # per page); if any page fails, the batch is rolled back and redone page by page.
    try:
        with db.writer() as session:
            return _record_batch(session, prepared, comparer, on_changes)
    except exc.SQLAlchemyError:
        pass
    with db.writer() as session:
        _lock_identities(session, (identity_key(d) for _, d, _ in prepared if isinstance(d, Doc)))
        for page, doc, digest in prepared:
            if isinstance(doc, Exception):
                results.append(doc)
                continue
            try:
                with session.begin_nested():
                    results.append(_record(session, page, doc, digest, comparer, on_changes))
            except exc.SQLAlchemyError as e:
                results.append(e)
    return results


def _record_batch(
    session: Session,
    prepared: list[tuple[Page, Any, str | None]],
    comparer: Comparer | None,
    on_changes: OnChanges | None,
) -> list[RecordResult | Exception]:
    """The optimistic pass: documents never seen before are queued and written together
    (storage.fresh), and so are the touches of pages seen again (storage.touches); any other
    page first drains both, then takes the one-page path."""
    docs = [(p, d) for p, d, _ in prepared if not isinstance(d, Exception)]
    keys = {k for _, d in docs if d is not None and (k := identity_key(d))}
    _lock_identities(session, keys)
    batch = session.info[_BATCH] = _Batch.read(session, {canonical_url(p.url) for p, _ in docs}, keys)
    _after_batch_read(session)
    fresh = FreshDocuments()
    results: list[RecordResult | Exception] = []
    waiting: list[tuple[RecordResult, str]] = []  # the queued pages' results (and hashes), completed by drain

    def drain() -> None:
        batch.touches.apply(session)
        written = fresh.drain(session, on_changes)
        for (result, digest), (row, version_id, changes) in zip(waiting, written, strict=True):
            result.document_id, result.version_id, result.changes = row.id, version_id, changes
            batch.by_url[row.canonical_url] = row
            batch.latest[row.id] = Latest(version_id, 1, digest)
            if row.identity_key:
                batch.by_key.setdefault(row.identity_key, row)
        waiting.clear()

    for page, doc, digest in prepared:
        if isinstance(doc, Exception):
            results.append(doc)
            continue
        url = canonical_url(page.url)
        key = identity_key(doc) if doc is not None else None
        if _first_seen(page, doc, url, key, batch) and not fresh.claims(url, key):
            assert doc is not None and digest is not None
            at = page.fetched_at or utcnow()
            site = get_site(session, page.site or site_of(page.url))
            fresh.add(
                doc,
                document_values(doc, site_id=site.id, url=url, key=key, at=at),
                _version_values(page, doc, digest, url, at, None, 1),
                url,
                at,
            )
            waiting.append((RecordResult("new", seq=1), digest))
            results.append(waiting[-1][0])
            continue
        if page.status != 304 or fresh.claims(url, key):
            # It may read or change what the queue and the waiting touches will write. A 304 of
            # a stored document only touches it, and waits with the other touches.
            drain()
        results.append(_record(session, page, doc, digest, comparer, on_changes))
    drain()
    return results


def _first_seen(page: Page, doc: Doc | None, url: str, key: str | None, batch: _Batch) -> bool:
    """A usable page that no stored document can be (by URL or 文号 identity)."""
    if doc is None or page.status in GONE or page.status == 304 or not doc.quality.usable():
        return False
    return batch.by_url.get(url) is None and not (key and batch.by_key.get(key) is not None)


class ListingShrank(Exception):
    """So many documents would go at once that a template change or an outage is likelier than a purge."""


MAX_WITHDRAW_SHARE = 0.2  # of a site's active documents, in one run (more than two)


def withdraw_unlisted(
    db: Database,
    site: str,
    listed: set[str],
    *,
    at: datetime | None = None,
    max_share: float = MAX_WITHDRAW_SHARE,
    on_changes: OnChanges | None = enqueue_changes,
) -> list[RecordResult]:
    """Withdraw the site's active documents none of whose URLs the (complete) listing showed."""
    return settle_withdrawals(db, site, {}, listed, at=at, max_share=max_share, on_changes=on_changes)


def settle_withdrawals(
    db: Database,
    site: str,
    gone: dict[str, int],
    listed: set[str] | None,
    *,
    at: datetime | None = None,
    max_share: float = MAX_WITHDRAW_SHARE,
    on_changes: OnChanges | None = enqueue_changes,
) -> list[RecordResult]:
    """The withdrawals of one crawl, decided together at its end.

    `gone` maps the URLs that answered 404/410 to their status; `listed` is every URL a complete
    listing showed (None: the listing was not seen whole, so absence from it means nothing). An
    active document is withdrawn when one of its URLs is gone, or when a complete listing shows
    none of them. When more than `max_share` of the active documents (and more than two) would
    go at once, nothing is withdrawn and ListingShrank says why: a changed list template or a
    site answering 404 to everything for a day looks exactly like that, and wrongly withdrawing
    a whole site would mail every office a false alarm (and republish it all the day after).
    The result has one entry per withdrawn document, and a `gone` one per gone URL that
    withdrew nothing (unknown, or withdrawn before: nothing is recorded for it).
    """
    at = at or utcnow()
    gone_urls = {canonical_url(u): status for u, status in gone.items()}
    listed_urls = {canonical_url(u) for u in listed} if listed is not None else None
    with db.writer() as session:
        rows = session.execute(
            select(Document.id, DocumentUrl.url)
            .join(DocumentUrl, DocumentUrl.document_id == Document.id)
            .join(Site, Site.id == Document.site_id)
            .where(Site.name == site, Document.status == "active")
        ).all()
        urls_of: dict[int, set[str]] = {}
        for doc_id, url in rows:
            urls_of.setdefault(doc_id, set()).add(url)
        why: dict[int, str] = {}
        for doc_id, urls in urls_of.items():
            hit = sorted(urls & gone_urls.keys())
            if hit:
                why[doc_id] = f"http {gone_urls[hit[0]]}"
            elif listed_urls is not None and not urls & listed_urls:
                why[doc_id] = "gone from its listing"
        if len(why) > 2 and len(why) > max_share * len(urls_of):
            answered = sum(1 for w in why.values() if w.startswith("http"))
            raise ListingShrank(
                f"site {site!r}: {len(why)} of {len(urls_of)} active documents would be withdrawn at once "
                f"({answered} answer 404/410, {len(why) - answered} gone from the listing), more than the share "
                f"of {max_share:g} allowed (POLICYWATCH_MAX_WITHDRAW_SHARE); withdrew none (an outage or a template change?)"
            )
        results = []
        for doc_id in sorted(why):
            row = session.get(Document, doc_id)
            assert row is not None
            results.append(_withdraw(session, row, at, on_changes, reason=why[doc_id]))
        withdrawing = {u for d in why for u in urls_of[d]}
        results += [RecordResult("gone") for u in sorted(gone_urls) if u not in withdrawing]
        return results
