"""SQLAlchemy 2 models for the version history.

One row per observed *content*: a page fetched again with the same normalized hash only moves
`Version.last_seen`; a page whose content changed gets a new Version with its measures and the
Change rows against the previous version. Times are naive UTC everywhere, because SQLite has no
time zone type and mixing aware and naive datetimes across the two backends invites bugs.

Types are portable (no PostgreSQL-only columns) so that one set of migrations serves SQLite and
PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.fts_index import index_measures
from storage.model_base import NAMING, Base, utcnow  # noqa: F401 - importers take them from here


class Site(Base):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # the config's display name (`title` in [[sites]]), mirrored by storage.sites.sync_titles
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Document(Base):
    """A policy document, whatever URL(s) it was seen at.

    `identity_key` is 文号 + 发布机构 when the page states them: a republished copy at another
    URL is recognised as the same document and its content becomes a version of this one.
    """

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    canonical_url: Mapped[str] = mapped_column(String(2000))
    identity_key: Mapped[str | None] = mapped_column(String(500))
    doc_number: Mapped[str] = mapped_column(String(200), default="")  # as the normalizer gives it
    doc_number_key: Mapped[str] = mapped_column(String(200), default="")  # bracket/width-folded, for lookup
    publisher: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | withdrawn
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Denormalized pointer to the newest version: "latest versions" is the common query.
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("version.id", use_alter=True, name="fk_document_latest_version_id_version")
    )

    site: Mapped[Site] = relationship()
    versions: Mapped[list[Version]] = relationship(
        back_populates="document", foreign_keys="Version.document_id", order_by="Version.seq"
    )

    __table_args__ = (
        Index("ix_document_identity_key", "identity_key"),
        Index("ix_document_doc_number_key", "doc_number_key"),
        Index("ix_document_site_id", "site_id"),
    )


class DocumentUrl(Base):
    """Every URL a document was fetched from; the canonical one is the first."""

    __tablename__ = "document_url"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    first_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_document_url_document_id", "document_id"),)


class Version(Base):
    """One distinct content of a document, with when it was observed and what was fetched."""

    __tablename__ = "version"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per document
    content_hash: Mapped[str] = mapped_column(String(64))  # of the normalized schema
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    fetch_count: Mapped[int] = mapped_column(Integer, default=1)
    url: Mapped[str] = mapped_column(String(2000))  # the URL this content was fetched from
    http_status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(500), default="")  # format hint for .md/.txt sources
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed bytes as fetched
    raw_size: Mapped[int] = mapped_column(Integer, default=0)
    normalized: Mapped[dict[str, Any]] = mapped_column(JSON)  # Document.to_dict()
    title: Mapped[str] = mapped_column(Text, default="")
    doc_number: Mapped[str] = mapped_column(String(200), default="")
    published_date: Mapped[str] = mapped_column(String(10), default="")
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))
    # [[old measure id, new measure id], ...]: the measures compare paired with the previous
    # version's and found unchanged (storage.change_record.unchanged_pairs). NULL for a first
    # version, and for one recorded before this column (compared again when read).
    unchanged_pairs: Mapped[list[list[int]] | None] = mapped_column(JSON)

    document: Mapped[Document] = relationship(back_populates="versions", foreign_keys=[document_id])
    measures: Mapped[list[MeasureRow]] = relationship(
        back_populates="version", order_by="MeasureRow.ordinal", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("document_id", "seq", name="uq_version_document_id_seq"),
        Index("ix_version_first_seen", "first_seen"),
        Index("ix_version_content_hash", "content_hash"),
    )


class SectionRow(Base):
    __tablename__ = "section"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)  # document order
    path: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
    level: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_section_version_id", "version_id"),)


class MeasureRow(Base):
    __tablename__ = "measure"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)  # document order
    path: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(100), default="")
    heading: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    norm_text: Mapped[str] = mapped_column(Text, default="")
    hash: Mapped[str] = mapped_column(String(64), default="")

    version: Mapped[Version] = relationship(back_populates="measures")

    __table_args__ = (Index("ix_measure_version_id", "version_id"), Index("ix_measure_hash", "hash"))


class ChangeRow(Base):
    """A measure change (ChangeSet.changes), a metadata change, or a document event.

    Measure changes point at measure rows of the previous (`old_measure_id`) and new
    (`new_measure_id`) version; metadata changes carry `field`, `old_value`, `new_value`.
    """

    __tablename__ = "change"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    prev_version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    old_measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"))
    new_measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"))
    similarity: Mapped[float | None] = mapped_column(Float)
    diff: Mapped[list[Any] | None] = mapped_column(JSON)  # [[op, text], ...]
    renumbered: Mapped[bool] = mapped_column(Boolean, default=False)
    moved: Mapped[bool] = mapped_column(Boolean, default=False)  # modified and also moved
    others: Mapped[list[Any] | None] = mapped_column(JSON)  # split/merged: the other measures
    field: Mapped[str | None] = mapped_column(String(100))  # metadata changes
    old_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    detected_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        Index("ix_change_document_id", "document_id"),
        Index("ix_change_version_id", "version_id"),
        Index("ix_change_detected_at", "detected_at"),
        Index("ix_change_kind_detected_at", "kind", "detected_at"),
    )


class CrawlRun(Base):
    """One crawl of one site; UNIQUE(site, slot) keeps a scheduled slot from running twice."""

    __tablename__ = "crawl_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    slot: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | failed | interrupted
    pages: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("site_id", "slot", name="uq_crawl_run_site_id_slot"),)


class Subscription(Base):
    """Who wants to hear about what, and how often (notifications.subscriptions parses and syncs these).

    `filters` is {"sites", "publishers", "doc_kinds", "keywords", "kinds"} (lists; empty: any;
    no "kinds": everything but cosmetic). `cadence` is "immediate", "daily HH:MM" or
    "weekly DAY HH:MM". `origin` says who owns the row: "config" rows mirror policywatch.toml and
    are deactivated when removed there; "cli" rows come from `policywatch subscribers add`.
    `email` is the first address (kept for the outbox's `recipient`); `addresses` holds them all.
    """

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    addresses: Mapped[list[Any] | None] = mapped_column(JSON)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cadence: Mapped[str] = mapped_column(String(40), default="immediate")
    origin: Mapped[str] = mapped_column(String(20), default="cli")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    impact: Mapped[bool] = mapped_column(Boolean, default=True)  # the 上位文件变化 section of its digests


class Outbox(Base):
    """One change for one subscription, written in the transaction that detected the change.

    `key` is unique so that enqueueing twice (a retried transaction, a reprocess) is a no-op.
    Life of a row (notifications.sender): pending -> sending (claimed into a digest: `digest_key`,
    `message_id`, `claimed_by`, `claimed_at` set) -> sent, or -> retry (same digest, same
    Message-ID, at `next_attempt_at`) -> sending ..., or -> dead (`last_error` says why).
    A row left in `sending` by a crashed sender is sent again with the same Message-ID.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id", ondelete="SET NULL"))
    recipient: Mapped[str] = mapped_column(String(320))
    change_id: Mapped[int | None] = mapped_column(ForeignKey("change.id", ondelete="SET NULL"))
    digest_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message_id: Mapped[str | None] = mapped_column(String(300))
    # pending | sending | retry | sent | dead
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # host:pid:token of the claiming sender
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_subscription_id_status", "subscription_id", "status"),
        Index("ix_outbox_digest_key", "digest_key"),
    )


class AttachmentRow(Base):
    """One distinct content of an attached file (附件), as fetched: its size and SHA-256, not its
    bytes. Fetched only for sites that opt in (`attachments` in [[sites]]); the page's own
    attachment list (name, URL) is in every version's schema whether fetched or not.
    `document_id` is the document whose page linked it when it was fetched."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(2000))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    fetch_count: Mapped[int] = mapped_column(Integer, default=1)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_run.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_attachment_url", "url"),
        Index("ix_attachment_document_id", "document_id"),
    )


TABLES = (
    "site",
    "document",
    "document_url",
    "version",
    "section",
    "measure",
    "change",
    "crawl_run",
    "subscription",
    "outbox",
    "attachment",
)


from storage.models_graph import GRAPH_TABLES  # noqa: E402 - the graph models register on Base

TABLES = (*TABLES, *GRAPH_TABLES)


@event.listens_for(MeasureRow, "after_insert")
def _index_orm_insert(_mapper: Any, connection: Any, row: MeasureRow) -> None:
    """A measure added through the ORM's unit of work (tests, benchmarks: the writers insert
    through Core and index their batch themselves) goes into SQLite's search index too, so
    the index never misses a row that its delete trigger would later take out of it."""
    index_measures(connection, ids=[row.id])
