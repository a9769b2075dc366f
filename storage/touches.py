"""Pages seen again unchanged (a 304, or a 200 with the stored content): `last_seen` moves.

A recrawl is mostly these. Applied one at a time they cost two UPDATEs a page; record_pages
collects a batch's touches here and applies them as two executemany UPDATEs, before any page
that takes another path and at the end of the batch. The updates take the later of the stored
and the new time and add to `fetch_count` in SQL, so two writers touching one version cannot
lose a count or move `last_seen` backwards, whatever order they commit in.

The validators the server sends now replace the stored ones only when the page was fetched
from the URL the version was: they are what the next conditional GET of that URL sends
(storage.crawl_runs.stored_validators), and another URL's ETag says nothing about this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, bindparam, case, func, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import Document, Version

_V = Version.__table__.c
_D = Document.__table__.c
_AT = bindparam("at", type_=DateTime)
_SAME_URL = _V.url == bindparam("fetched_url", type_=String)

VERSION_TOUCH = (
    update(Version.__table__)
    .where(_V.id == bindparam("vid"))
    .values(
        last_seen=case((_V.last_seen < _AT, _AT), else_=_V.last_seen),
        fetch_count=_V.fetch_count + 1,
        # the validators the server sends now, where it sends any
        etag=case((_SAME_URL, func.coalesce(bindparam("etag", type_=String), _V.etag)), else_=_V.etag),
        last_modified=case(
            (_SAME_URL, func.coalesce(bindparam("last_modified", type_=String), _V.last_modified)),
            else_=_V.last_modified,
        ),
    )
)
# Seen again means not withdrawn: a document that came back is active again.
DOCUMENT_TOUCH = (
    update(Document.__table__)
    .where(_D.id == bindparam("did"))
    .values(last_seen=case((_D.last_seen < _AT, _AT), else_=_D.last_seen), status="active", withdrawn_at=None)
)


@dataclass
class Touches:
    versions: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.versions or self.documents)

    def add(
        self,
        row: Document,
        version_id: int,
        at: datetime,
        etag: str | None,
        last_modified: str | None,
        url: str = "",
    ) -> None:
        """`url`: the canonical URL the page was fetched from (validators move only for it)."""
        self.versions.append(
            {"vid": version_id, "at": at, "etag": etag, "last_modified": last_modified, "fetched_url": url}
        )
        self.documents.append({"did": row.id, "at": at})
        # The batch's later pages read this object: tell it what the UPDATE will write, without
        # making it dirty (a flush would write it a second time).
        if row.last_seen < at:
            set_committed_value(row, "last_seen", at)
        if row.status != "active" or row.withdrawn_at is not None:
            set_committed_value(row, "status", "active")
            set_committed_value(row, "withdrawn_at", None)

    def apply(self, session: Session) -> None:
        if not self:
            return
        conn = session.connection()
        conn.execute(VERSION_TOUCH, self.versions)
        conn.execute(DOCUMENT_TOUCH, self.documents)
        self.versions, self.documents = [], []
