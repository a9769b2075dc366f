"""Document events: changes of a document that no comparison of two versions produced.

`document_added` (its first version), `withdrawn` (a 404/410 or gone from a complete
listing), `republished` (a withdrawn document answers again) and the `metadata` change of a
replaced attachment. Every one is built here, by the ORM path and the bulk path alike, and
goes to `on_changes` (the outbox) like any change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import ChangeRow, Document
from storage.page import OnChanges, RecordResult


def event_values(
    *,
    document_id: int,
    kind: str,
    at: datetime,
    version_id: int | None = None,
    prev_version_id: int | None = None,
    field: str | None = None,
    old_value: Any = None,
    new_value: Any = None,
) -> dict[str, Any]:
    """The columns of an event's ChangeRow (storage.fresh inserts these dicts in bulk)."""
    values: dict[str, Any] = {
        "document_id": document_id,
        "version_id": version_id,
        "kind": kind,
        "renumbered": False,
        "moved": False,
        "detected_at": at,
    }
    if prev_version_id is not None:
        values["prev_version_id"] = prev_version_id
    if field is not None:
        values.update(field=field, old_value=old_value, new_value=new_value)
    return values


def document_added(document_id: int, version_id: int, at: datetime) -> dict[str, Any]:
    return event_values(document_id=document_id, version_id=version_id, kind="document_added", at=at)


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
        **event_values(
            document_id=row.id,
            prev_version_id=row.latest_version_id,
            kind=kind,
            field=field,
            old_value=old_value,
            new_value=new_value,
            at=at,
        )
    )
    session.add(change)
    session.flush()
    if on_changes is not None:
        on_changes(session, row, [change])
    return change


def republish(session: Session, row: Document, at: datetime, on_changes: OnChanges | None) -> None:
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


def withdraw(session: Session, row: Document, at: datetime, on_changes: OnChanges | None, reason: str) -> RecordResult:
    if row.status == "withdrawn":
        # still gone: nothing is written, so nothing may be counted as a withdrawal
        return RecordResult("gone", row.id)
    row.status, row.withdrawn_at, row.last_seen = "withdrawn", at, max(row.last_seen, at)
    # why we think so: a digest reader weighs a 404 and a delisting differently
    record_event(session, row, kind="withdrawn", field="reason", new_value=reason, at=at, on_changes=on_changes)
    return RecordResult("withdrawn", row.id, changes=1)
