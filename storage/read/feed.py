"""Changes across documents: the recent ones (CLI, web pages, Atom feeds), every one (export),
the candidates of a subscription's feed, and counts per day (charts)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from pipeline.clock import local
from pipeline.schema import HIDDEN_KINDS
from storage.change_record import carried_texts, change_json, change_query
from storage.models import ChangeRow, Document, Site, Version
from storage.read.common import iso


def changes(
    session: Session,
    *,
    since: datetime | None = None,
    site: str | None = None,
    kinds: list[str] | None = None,
    document_id: int | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Recent changes across documents (or of one), newest first; cosmetic ones only when asked for.

    The rows of `changes_feed` without the keys the web UI adds (ids for links, publisher),
    so that `policywatch changes --json` keeps its shape.
    """
    rows = changes_feed(session, since=since, site=site, kinds=kinds, document_id=document_id, limit=limit)
    for row in rows:
        for key in _FEED_ONLY:
            del row[key]
    return rows


_FEED_ONLY = ("change_id", "publisher", "version_id")


def _document_joins(stmt: Select) -> Select:
    """A change's document, its site and its version (none for a document event without one)."""
    return (
        stmt.join(Document, Document.id == ChangeRow.document_id)
        .join(Site, Site.id == Document.site_id)
        .outerjoin(Version, Version.id == ChangeRow.version_id)
    )


def iter_export(session: Session, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every change (cosmetic included), oldest first, streamed for `export`."""
    stmt = (
        change_query(Document, Site.name, Version.seq, joins=_document_joins)
        .order_by(ChangeRow.detected_at, ChangeRow.id)
        .execution_options(yield_per=500)
    )
    if since is not None:
        stmt = stmt.where(ChangeRow.detected_at >= since)
    for c, old, new, d, site_name, seq in session.execute(stmt):
        # the sides a reader sees: text outside measures and a 条 changed whole included
        decoded = change_json(c, old, new)
        sides = {name: decoded[name] or {} for name in ("old", "new")}
        yield {
            "change_id": c.id,
            "detected_at": iso(c.detected_at),
            "site": site_name,
            "document_id": d.id,
            "url": d.canonical_url,
            "doc_number": d.doc_number,
            "title": d.title,
            "version": seq,
            "kind": c.kind,
            "old_path": sides["old"].get("path"),
            "old_label": sides["old"].get("label"),
            "old_text": sides["old"].get("text"),
            "new_path": sides["new"].get("path"),
            "new_label": sides["new"].get("label"),
            "new_text": sides["new"].get("text"),
            "similarity": c.similarity,
            "renumbered": c.renumbered,
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
            "diff": c.diff or [],
        }


def changes_feed(
    session: Session,
    *,
    site: str | None = None,
    publisher: str | None = None,
    kinds: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    document_id: int | None = None,
    change_ids: list[int] | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[dict[str, Any]]:
    """A page of `changes` with more filters (publisher, an end date, a document) and an offset.

    Rows are those of `changes` plus the change id and version ids (for links and feed ids).
    `until` is exclusive. Cosmetic changes are left out unless `kinds` asks for them.
    """
    stmt: Select = change_query(Document, Site.name, Version.seq, joins=_document_joins).order_by(
        ChangeRow.detected_at.desc(), ChangeRow.id.desc()
    )
    if since is not None:
        stmt = stmt.where(ChangeRow.detected_at >= since)
    if until is not None:
        stmt = stmt.where(ChangeRow.detected_at < until)
    if site:
        stmt = stmt.where(Site.name == site)
    if publisher:
        stmt = stmt.where(Document.publisher == publisher)
    if document_id is not None:
        stmt = stmt.where(ChangeRow.document_id == document_id)
    if change_ids is not None:
        stmt = stmt.where(ChangeRow.id.in_(change_ids))
    stmt = stmt.where(ChangeRow.kind.in_(kinds)) if kinds else stmt.where(ChangeRow.kind.not_in(HIDDEN_KINDS))
    out = []
    stmt = stmt.offset(offset) if offset else stmt
    for c, old, new, d, site_name, seq in session.execute(stmt.limit(limit) if limit else stmt):
        out.append(
            {
                "change_id": c.id,
                "detected_at": iso(c.detected_at),
                "document_id": d.id,
                "site": site_name,
                "publisher": d.publisher,
                "doc_number": d.doc_number,
                "title": d.title,
                "url": d.canonical_url,
                "version": seq,
                "version_id": c.version_id,
                **change_json(c, old, new),
                "field": c.field,
                "old_value": c.old_value,
                "new_value": c.new_value,
            }
        )
    return out


@dataclass
class Candidate:
    """A change a subscription's feed may show: what its filters look at.

    `measure_texts` are both sides' measure texts, normalized; `carried` the text the change
    carries itself (storage.change_record.carried_texts), not yet normalized. Together they are
    what the outbox's keywords see.
    """

    change: ChangeRow
    document: Document
    site: str
    measure_texts: list[str]
    carried: list[str]


def candidates(
    session: Session,
    *,
    kinds: list[str] | tuple[str, ...],
    sites: list[str] | tuple[str, ...] = (),
    documents: list[int] | tuple[int, ...] = (),
    scan: int = 2000,
) -> Iterator[Candidate]:
    """The newest `scan` changes of these kinds (and sites, documents), newest first."""
    stmt = (
        change_query(
            Document,
            Site.name,
            side=lambda m: m.norm_text,
            joins=lambda stmt: stmt.join(Document, Document.id == ChangeRow.document_id).join(
                Site, Site.id == Document.site_id
            ),
        )
        .where(ChangeRow.kind.in_(kinds))
        .order_by(ChangeRow.detected_at.desc(), ChangeRow.id.desc())
        .limit(scan)
    )
    if sites:
        stmt = stmt.where(Site.name.in_(sites))
    if documents:
        stmt = stmt.where(ChangeRow.document_id.in_(documents))
    for c, old_text, new_text, d, site_name in session.execute(stmt):
        texts = [t for t in (old_text, new_text) if t is not None]
        yield Candidate(c, d, site_name, texts, carried_texts(c))


def document_kind(session: Session, doc: Document) -> str:
    """notice | opinion | …: the kind its latest version was read as (kept in the version's JSON)."""
    v = session.get(Version, doc.latest_version_id) if doc.latest_version_id else None
    return (v.normalized or {}).get("kind", "other") if v is not None else "other"


def changes_per_day(
    session: Session, *, since: datetime | None = None, site: str | None = None, zone: str = "UTC"
) -> list[tuple[str, str, int]]:
    """(site, YYYY-MM-DD, count) of non-cosmetic changes, for weekly charts; the day is the
    change's day in `zone` (a change at 16:30 UTC is on the next day in Asia/Shanghai)."""
    # Counted per hour of the stored UTC text (per minute where the zone's offset is not whole
    # hours), then each bucket put on its local day here: the first 13 (16) characters of the
    # timestamp's text are the same on both backends and, on SQLite, much cheaper than date()
    # or datetime(x, '+8 hours'), which parse every value; and the zone's offset may change
    # within the range (summer time), which one SQL shift would not follow.
    whole_hours = _whole_hour_offsets(zone, since)
    width = 13 if whole_hours else 16
    bucket = func.substr(cast(ChangeRow.detected_at, String), 1, width)
    stmt = (
        select(Document.site_id, bucket, func.count())
        .join(Document, Document.id == ChangeRow.document_id)
        .where(ChangeRow.kind.not_in(HIDDEN_KINDS))
        .group_by(Document.site_id, bucket)
    )
    if since is not None:
        stmt = stmt.where(ChangeRow.detected_at >= since)
    if site:
        stmt = stmt.where(Document.site_id == select(Site.id).where(Site.name == site).scalar_subquery())
    names = dict(session.execute(select(Site.id, Site.name)).all())
    days: dict[tuple[str, str], int] = {}
    for sid, text, n in session.execute(stmt):
        when = datetime.fromisoformat(str(text) + (":00" if whole_hours else ""))
        day = local(when, zone).date().isoformat()  # type: ignore[union-attr]
        days[(names[sid], day)] = days.get((names[sid], day), 0) + n
    return [(name, day, n) for (name, day), n in days.items()]


def _whole_hour_offsets(zone: str, since: datetime | None) -> bool:
    """Whether `zone` is a whole number of hours off UTC at both ends of the range."""
    ends = [since or datetime(2000, 1, 1), datetime.now(UTC).replace(tzinfo=None)]
    return all(local(t, zone).utcoffset().total_seconds() % 3600 == 0 for t in ends)  # type: ignore[union-attr]


def latest_change_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(ChangeRow.detected_at)))
