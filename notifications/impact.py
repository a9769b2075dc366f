"""上位文件变化: a cited document changed, told to those who follow the documents citing it.

When a watched document changes in what binds (a measure modified, added or removed, the page
withdrawn, its 有效性 field changed), every active subscription with `impact` on that follows a
document citing it (its filters match the citing document) gets one outbox row for that change
set, keyed `impact:CHANGE:sub:SUB`: a retried transaction or a second digest cannot tell it
twice. The digest (notifications/digest.py) keeps these rows out of its own sections and
`build_impact` turns them into the section: the cited document, its changes, and the citing
documents the subscriber follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from notifications.filters import ChangeFacts, Filters
from storage.citations import citing_documents
from storage.models import ChangeRow, Document, Outbox, Site, Subscription, Version, utcnow

IMPACT_KINDS = ("modified", "added", "removed", "split", "merged", "withdrawn")
IMPACT_FIELDS = ("status",)  # metadata changes that bind: 有效性 / 文件状态


def impact_changes(changes: Sequence[ChangeRow]) -> list[ChangeRow]:
    return [c for c in changes if c.kind in IMPACT_KINDS or (c.kind == "metadata" and c.field in IMPACT_FIELDS)]


def key_for(change_id: int, subscription_id: int) -> str:
    return f"impact:{change_id}:sub:{subscription_id}"


def _doc_kind(session: Session, d: Document) -> str:
    v = session.get(Version, d.latest_version_id) if d.latest_version_id else None
    return (v.normalized or {}).get("kind", "other") if v is not None else "other"


def enqueue_impact(session: Session, document: Document, changes: Sequence[ChangeRow]) -> int:
    """Outbox rows telling the followers of the documents citing `document` what changed in it."""
    relevant = impact_changes(changes)
    if not relevant:
        return 0
    citing = citing_documents(session, document.id)
    if not citing:
        return 0
    subs = session.execute(
        select(Subscription.id, Subscription.email, Subscription.filters)
        .where(Subscription.active.is_(True), Subscription.impact.is_(True))
    ).all()
    if not subs:
        return 0
    docs = session.execute(
        select(Document, Site.name).join(Site, Site.id == Document.site_id).where(Document.id.in_(citing))
    ).all()
    first = relevant[0]
    now = utcnow()
    rows = []
    for sid, email, raw in subs:
        filters = Filters.from_json(raw)
        followed = [
            d.id for d, site in docs
            if filters.matches(ChangeFacts(site=site, publisher=d.publisher or "", doc_kind=_doc_kind(session, d),
                                           document_id=d.id, kind=first.kind, text=lambda d=d: d.title or ""))
        ]
        if followed:
            rows.append({
                "key": key_for(first.id, sid), "subscription_id": sid, "recipient": email, "change_id": first.id,
                "payload": {"impact": True, "document_id": document.id, "citing": followed,
                            "changes": [c.id for c in relevant], "kind": "impact"},
                "status": "pending", "attempts": 0, "created_at": now,
            })
    if rows:
        session.execute(insert(Outbox), rows)
    return len(rows)


@dataclass
class CitingView:
    id: int
    title: str
    doc_number: str


@dataclass
class ImpactView:
    """One cited document that changed: its view (with its changes) and who cites it."""

    cited: Any  # notifications.digest.DocumentView
    citing: list[CitingView] = field(default_factory=list)


def split_rows(session: Session, rows: Sequence[tuple[int, int | None]]) -> tuple[list, dict[int, dict]]:
    """(the digest's own rows, {outbox id: payload} of its impact rows)."""
    ids = [r[0] for r in rows]
    payloads = dict(session.execute(select(Outbox.id, Outbox.payload).where(Outbox.id.in_(ids),
                                                                          Outbox.key.like("impact:%"))).all())
    return [r for r in rows if r[0] not in payloads], payloads


def build_impact(session: Session, payloads: dict[int, dict], cache: Any) -> list[ImpactView]:
    """The 上位文件变化 section: per cited document, its changes (views from the digest's cache)
    and the citing documents, in the order the rows were queued."""
    by_doc: dict[int, tuple[list[int], list[int]]] = {}
    for _oid, p in sorted(payloads.items()):
        changes, citing = by_doc.setdefault(int(p["document_id"]), ([], []))
        changes += [c for c in p.get("changes", []) if c not in changes]
        citing += [c for c in p.get("citing", []) if c not in citing]
    cache.load(session, [c for changes, _ in by_doc.values() for c in changes])
    out = []
    for doc_id, (changes, citing) in by_doc.items():
        views = [cache.changes[c][1] for c in sorted(changes) if c in cache.changes]
        base = cache.documents.get(doc_id)
        if base is None or not views:
            continue  # the changes were deleted (reprocess): nothing left to tell
        cited = type(base)(**{**base.__dict__, "changes": views, "event": ""})
        names = session.execute(select(Document.id, Document.title, Document.doc_number)
                                .where(Document.id.in_(citing)).order_by(Document.id)).all()
        out.append(ImpactView(cited, [CitingView(i, t or "(无标题)", n or "") for i, t, n in names]))
    return out
