"""Models of the citation graph and of validity: who cites whom, and how long each
document is in force.

A `CitationRow` is one reference a stored version prints, kept whether or not a watched
document answers it: a document crawled later than the page citing it fills in
`cited_document_id` then (storage/citations.py). `DocumentKey` holds the keys the matcher looks
a document up by (its 文号 key, its title keys and their cores), indexed, so resolving a page's
references reads only the documents they can name. `ValidityRow` is what one version says
about the document's force; `NoticeSent` remembers each expiry / repeal notice mailed, so a
daily job sends it once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.model_base import Base, utcnow


class CitationRow(Base):
    __tablename__ = "citation"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))  # citing
    ordinal: Mapped[int] = mapped_column(Integer)  # order printed
    ref_title: Mapped[str] = mapped_column(Text, default="")
    ref_doc_number: Mapped[str] = mapped_column(String(200), default="")
    number_key: Mapped[str] = mapped_column(String(200), default="")
    title_key: Mapped[str] = mapped_column(Text, default="")
    title_core: Mapped[str] = mapped_column(Text, default="")
    cited_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="SET NULL"))
    matched_by: Mapped[str] = mapped_column(String(20), default="")  # doc_number | title | '' (unresolved)

    __table_args__ = (
        Index("ix_citation_version_id", "version_id"),
        Index("ix_citation_cited_document_id", "cited_document_id"),
        Index("ix_citation_number_key", "number_key"),
    )


class DocumentKey(Base):
    __tablename__ = "document_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # number | title | core
    key: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_document_key_document_id", "document_id"),
        Index("ix_document_key_kind_key", "kind", "key"),
    )


class ValidityRow(Base):
    __tablename__ = "validity"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="")
    status_printed: Mapped[str] = mapped_column(String(100), default="")
    effective: Mapped[str] = mapped_column(String(10), default="")
    expires: Mapped[str] = mapped_column(String(10), default="")
    term_years: Mapped[int | None] = mapped_column(Integer)
    repeals: Mapped[list[Any] | None] = mapped_column(JSON)  # [{title, doc_number}]
    amends: Mapped[list[Any] | None] = mapped_column(JSON)
    notes: Mapped[list[Any] | None] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("version_id", name="uq_validity_version_id"),
        Index("ix_validity_document_id", "document_id"),
        Index("ix_validity_expires", "expires"),
    )


class NoticeSent(Base):
    """One expiry (即将到期) or repeal (已废止) notice to one subscription: `key` is
    subscription + document + kind + the expiry date it announced."""

    __tablename__ = "notice_sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(ForeignKey("subscription.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # expiring | repealed
    expires: Mapped[str] = mapped_column(String(10), default="")
    sent_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


GRAPH_TABLES = ("citation", "document_key", "validity", "notice_sent")
