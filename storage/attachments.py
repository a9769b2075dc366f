"""Fetched attachments (附件): their size and SHA-256, and a change when the file behind a link
is replaced.

A policy's 附件 (the 实施细则 as a .docx, a table of funds as an .xlsx) is often revised in
place: the page and its link stay, the file changes. The page's version history cannot see
that; the hash of the file can. The first fetch of a URL is recorded without a change (the
page's own version already reports the link); a later fetch with another hash is recorded as a
`metadata` change of field `attachment_content` on the document that linked it, old and new
name/size/hash in its values, and goes to the outbox like any change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from storage.db import Database
from storage.events import record_event
from storage.known import find_by_url
from storage.models import AttachmentRow, utcnow
from storage.page import OnChanges
from storage.urls import canonical_url

FIELD = "attachment_content"


@dataclass(frozen=True)
class FetchedAttachment:
    """One attachment as the crawler fetched it (or found it unchanged: a 304 hashes the cached body)."""

    url: str
    page_url: str  # the detail page that linked it
    name: str  # the link text
    sha256: str
    size: int
    content_type: str | None = None
    fetched_at: datetime | None = None
    crawl_run_id: int | None = None


def record_attachments(
    db: Database, fetched: Iterable[FetchedAttachment], *, on_changes: OnChanges | None
) -> list[str]:
    """Record a crawl's attachments in one transaction; per attachment: new | unchanged | changed."""
    with db.writer() as session:
        return [_record(session, f, on_changes) for f in fetched]


def _record(session: Session, f: FetchedAttachment, on_changes: OnChanges | None) -> str:
    at = f.fetched_at or utcnow()
    latest = session.scalars(
        select(AttachmentRow).where(AttachmentRow.url == f.url).order_by(AttachmentRow.id.desc()).limit(1)
    ).first()
    if latest is not None and latest.sha256 == f.sha256:
        session.execute(
            update(AttachmentRow)
            .where(AttachmentRow.id == latest.id)
            .values(
                last_seen=case((AttachmentRow.last_seen < at, at), else_=AttachmentRow.last_seen),
                fetch_count=AttachmentRow.fetch_count + 1,
            )
        )
        return "unchanged"
    document = find_by_url(session, canonical_url(f.page_url))
    session.add(
        AttachmentRow(
            document_id=document.id if document is not None else None,
            url=f.url,
            sha256=f.sha256,
            size=f.size,
            content_type=f.content_type,
            first_seen=at,
            last_seen=at,
            fetch_count=1,
            crawl_run_id=f.crawl_run_id,
        )
    )
    if latest is None:
        return "new"
    if document is None:  # the page was not stored (unusable, say): nothing to attach a change to
        return "changed"
    record_event(
        session,
        document,
        kind="metadata",
        field=FIELD,
        old_value=_facts(latest.url, f.name, latest.size, latest.sha256),
        new_value=_facts(f.url, f.name, f.size, f.sha256),
        at=at,
        on_changes=on_changes,
    )
    return "changed"


def _facts(url: str, name: str, size: int, sha256: str) -> dict[str, Any]:
    return {"name": name, "url": url, "size": size, "sha256": sha256}

