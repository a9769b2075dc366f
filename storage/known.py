"""What a write already knows about the documents its pages may belong to.

A batch of pages reads its documents (by URL and by 文号 identity) in two queries instead of
two per page, with the id, seq and content hash of each one's latest version; the lookups
below answer from that read for what it covers and ask the database for the rest. The write
passes its `Known` along to every step; a single page, or the page-by-page retry of a batch,
uses one that covers nothing (`Known.nothing()`), and every lookup goes to the database.

The read is kept current as pages add documents and URLs: a miss for a covered URL or key is
a miss. The `latest` facts are trusted only while they name the document's latest_version_id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Document, DocumentUrl, Site, Version, utcnow
from storage.touches import Touches


@dataclass(frozen=True)
class Latest:
    """What the unchanged path needs of a document's latest version (not its blobs)."""

    id: int
    seq: int
    content_hash: str


@dataclass
class Known:
    urls: set[str] = field(default_factory=set)  # covered: a URL not in by_url is not stored
    keys: set[str] = field(default_factory=set)  # covered: an identity not in by_key is not stored
    by_url: dict[str, Document] = field(default_factory=dict)
    by_key: dict[str, Document] = field(default_factory=dict)
    latest: dict[int, Latest] = field(default_factory=dict)
    # The batch's seen-again pages wait here and are applied together; None: applied at once.
    touches: Touches | None = None
    # Sites read back in this transaction (a batch of one site's new pages asks 200 times). Never
    # one the transaction created, which a rolled-back savepoint could take away again.
    sites: dict[str, Site] = field(default_factory=dict)

    @classmethod
    def nothing(cls) -> Known:
        """Covers no document: every lookup asks the database, and touches are applied at once."""
        return cls()

    @classmethod
    def read(cls, session: Session, urls: set[str], keys: set[str]) -> Known:
        """The batch's documents, by URL and identity, with their latest versions' facts."""
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

    # -- lookups ---------------------------------------------------------------------------

    def site(self, session: Session, name: str) -> Site:
        if name in self.sites:
            return self.sites[name]
        site = session.scalar(select(Site).where(Site.name == name))
        if site is None:
            site = Site(name=name, created_at=utcnow())
            session.add(site)
            session.flush()
        else:
            self.sites[name] = site
        return site

    def document_at(self, session: Session, url: str) -> Document | None:
        if url in self.urls:
            return self.by_url.get(url)
        return find_by_url(session, url)

    def document_with(self, session: Session, key: str) -> Document | None:
        if key in self.keys:
            return self.by_key.get(key)
        return session.scalar(select(Document).where(Document.identity_key == key).order_by(Document.id).limit(1))

    def latest_of(self, session: Session, row: Document) -> Latest | None:
        """The latest version's id, seq and hash: from the batch's read when it is current."""
        if row.latest_version_id is None:
            return None
        known = self.latest.get(row.id)
        if known is not None and known.id == row.latest_version_id:
            return known
        version = session.get(Version, row.latest_version_id)
        return Latest(version.id, version.seq, version.content_hash) if version is not None else None

    # -- what the write adds ---------------------------------------------------------------

    @property
    def batched(self) -> bool:
        """A batch's read, kept current; otherwise nothing a page writes is remembered (a
        savepoint rolled back would leave it naming rows that are not there)."""
        return self.touches is not None

    def add_url(self, session: Session, row: Document, url: str, at: datetime) -> None:
        session.add(DocumentUrl(document_id=row.id, url=url, first_seen=at))
        if self.batched:
            self.urls.add(url)
            self.by_url[url] = row

    def add_document(self, row: Document, key: str | None) -> None:
        if self.batched and key:
            self.keys.add(key)
            self.by_key.setdefault(key, row)

    def add_first_version(self, row: Document, version_id: int, digest: str) -> None:
        """A document the bulk path just wrote, with its first version."""
        self.by_url[row.canonical_url] = row
        self.latest[row.id] = Latest(version_id, 1, digest)
        if row.identity_key:
            self.by_key.setdefault(row.identity_key, row)


def find_by_url(session: Session, url: str) -> Document | None:
    return session.scalar(
        select(Document)
        .join(DocumentUrl, DocumentUrl.document_id == Document.id)
        .where(DocumentUrl.url == url)
    )


def get_site(session: Session, name: str) -> Site:
    """The site's row, created if new (for writes outside a page's Known: a crawl run's row)."""
    return Known.nothing().site(session, name)
