"""The hook that turns detected changes into outbox rows, inside the recording transaction.

`record_page` calls `enqueue_changes(session, document, changes)` after the change rows are
flushed: a crash between detecting and mailing then loses nothing, and the unique `key` makes a
retried transaction a no-op. Step 5 (notifications) renders and sends what lands here; it can
replace the matching below or pass its own hook to `record_page(on_changes=...)`.

Subscription filters (all optional, empty means "any"):
  {"sites": ["gz"], "kinds": ["added", "modified"], "terms": ["公积金"], "documents": [12]}
Without "kinds", everything but cosmetic changes is sent (DESIGN.md, change kinds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.schema import DIGEST_KINDS
from pipeline.text import norm_text
from storage.models import DOCUMENT_EVENTS, ChangeRow, Document, MeasureRow, Outbox, Subscription

DEFAULT_KINDS = (*DIGEST_KINDS, "metadata", *DOCUMENT_EVENTS)


def matches(filters: dict[str, Any], site: str, document: Document, change: ChangeRow, text: str) -> bool:
    if filters.get("sites") and site not in filters["sites"]:
        return False
    if filters.get("documents") and document.id not in filters["documents"]:
        return False
    if change.kind not in (filters.get("kinds") or DEFAULT_KINDS):
        return False
    terms = filters.get("terms") or []
    return not terms or any(norm_text(t) in text for t in terms)


def _change_text(session: Session, document: Document, change: ChangeRow) -> str:
    """What a term filter looks at: the title and the measure text on both sides."""
    parts = [document.title]
    for mid in (change.old_measure_id, change.new_measure_id):
        if mid is not None:
            m = session.get(MeasureRow, mid)
            if m is not None:
                parts.append(m.norm_text)
    if change.field:
        parts += [str(change.old_value or ""), str(change.new_value or "")]
    return norm_text("".join(parts))


def enqueue_changes(session: Session, document: Document, changes: Sequence[ChangeRow]) -> int:
    """Add one outbox row per (subscription, change) that matches; returns how many."""
    if not changes:
        return 0
    subs = session.scalars(select(Subscription).where(Subscription.active.is_(True))).all()
    if not subs:
        return 0
    site = document.site.name
    added = 0
    for change in changes:
        text = None
        for sub in subs:
            filters = sub.filters or {}
            if filters.get("terms") and text is None:
                text = _change_text(session, document, change)
            if not matches(filters, site, document, change, text or ""):
                continue
            session.add(
                Outbox(
                    key=f"change:{change.id}:sub:{sub.id}",
                    subscription_id=sub.id,
                    recipient=sub.email,
                    change_id=change.id,
                    payload={"document_id": document.id, "kind": change.kind},
                )
            )
            added += 1
    return added
