"""The hook that turns detected changes into outbox rows, inside the recording transaction.

It is the `on_changes` step policywatch.flow gives storage: storage.ingest calls
`enqueue_changes(session, document, changes)` after the change rows are flushed: a crash between detecting and mailing then loses nothing, and the unique `key` makes a
retried transaction a no-op. One row per (matching subscription, change); notifications.sender
collects a subscription's pending rows into one digest when its cadence says so.

The matching itself is notifications.filters (pure, imports only pipeline/): sites,
publishers, document kinds, keywords in the title or the changed measure, change kinds
(default: everything but cosmetic).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from notifications.filters import DEFAULT_KINDS, ChangeFacts, Filters, keyword_text
from notifications.impact import enqueue_impact
from pipeline.text import norm_text
from storage.change_record import carried_texts
from storage.models import ChangeRow, Document, MeasureRow, Outbox, Subscription, Version, utcnow

__all__ = ["DEFAULT_KINDS", "enqueue_changes", "key_for"]


def key_for(change_id: int, subscription_id: int) -> str:
    return f"change:{change_id}:sub:{subscription_id}"


def _texts(session: Session, document: Document, changes: Sequence[ChangeRow]) -> dict[int, str]:
    """Normalized title + both sides' measure text (+ metadata values) per change: what keywords see."""
    ids = {mid for c in changes for mid in (c.old_measure_id, c.new_measure_id) if mid is not None}
    norm = (
        dict(session.execute(select(MeasureRow.id, MeasureRow.norm_text).where(MeasureRow.id.in_(ids))).all())
        if ids
        else {}
    )
    return {
        c.id: keyword_text(
            document.title,
            [
                *(norm.get(m, "") for m in (c.old_measure_id, c.new_measure_id) if m is not None),
                *(norm_text(t) for t in carried_texts(c)),
            ],
            c.field,
            c.old_value,
            c.new_value,
        )
        for c in changes
    }


@lru_cache(maxsize=4096)  # parsed once per distinct filter JSON, not per recorded page
def _filters(frozen: str) -> Filters:
    return Filters.from_json(json.loads(frozen))


def _subscriptions(session: Session) -> list[tuple[int, str, Filters]]:
    """The active subscriptions, read once per write transaction (a batch records ~200 pages)."""
    cached = session.info.get("policywatch_subscriptions")
    if cached is None:
        rows = session.execute(
            select(Subscription.id, Subscription.email, Subscription.filters).where(Subscription.active.is_(True))
        ).all()
        cached = session.info["policywatch_subscriptions"] = [
            (sid, email, _filters(json.dumps(f or {}, sort_keys=True, ensure_ascii=False))) for sid, email, f in rows
        ]
    return cached


def enqueue_changes(session: Session, document: Document, changes: Sequence[ChangeRow]) -> int:
    """Add one outbox row per (active subscription, change) that matches; returns how many."""
    if not changes:
        return 0
    parsed = _subscriptions(session)
    if not parsed:
        return 0
    doc_kind = "other"
    if document.latest_version_id and any(f.doc_kinds for _, _, f in parsed):
        # only then: a withdrawal's latest version is not in the session, and its row carries the raw page
        latest = session.get(Version, document.latest_version_id)
        doc_kind = (latest.normalized or {}).get("kind", "other") if latest is not None else "other"
    texts: dict[int, str] | None = None
    if any(f.needs_text for _, _, f in parsed):
        texts = _texts(session, document, changes)
    site, publisher = document.site.name, document.publisher or ""
    now = utcnow()
    rows = []
    for change in changes:
        facts = ChangeFacts(
            site=site,
            publisher=publisher,
            doc_kind=doc_kind,
            document_id=document.id,
            kind=change.kind,
            text=(lambda cid=change.id: texts[cid]) if texts is not None else (lambda: ""),
        )
        for sid, email, filters in parsed:
            if filters.matches(facts):
                rows.append(
                    {
                        "key": key_for(change.id, sid),
                        "subscription_id": sid,
                        "recipient": email,
                        "change_id": change.id,
                        "payload": {"document_id": document.id, "kind": change.kind},
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    }
                )
    if rows:
        # Core bulk insert: a crawl with many subscribers writes thousands of rows per page.
        session.execute(insert(Outbox), rows)
    return len(rows) + enqueue_impact(session, document, changes)
