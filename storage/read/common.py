"""What every read shares: dates as a person types them and as they are printed, and the
short description of a document that heads every answer about it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from pipeline.vocabulary import N_  # storage knows no language: ReadError.message is translated by the UI
from storage.models import Document


class ReadError(Exception):
    """An answer a person can fix, in two forms: `str()` is the English text (the CLI's), and
    `message` (the catalogue's msgid, marked with N_) with `values` is what a UI translates."""

    def __init__(self, message: str, **values: object) -> None:
        self.message, self.values = message, values
        super().__init__(message % values)


class NotFound(ReadError, LookupError):
    """Nothing matches what was asked for (an id, a version, a site): a 404 on the web."""


class BadValue(ReadError, ValueError):
    """What was asked for is malformed (a date that is not one): a 400 on the web."""


def parse_date(value: str, what: str = "date") -> datetime:
    """YYYY-MM-DD (start of that day, UTC) or an ISO datetime; ValueError names the argument."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time())
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadValue(N_("%(what)s: %(value)s is not a date (YYYY-MM-DD)"), what=what, value=repr(value)) from None
    if parsed.tzinfo is not None:  # stored times are naive UTC
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def iso(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as printed in answers: "YYYY-MM-DD HH:MM:SS"."""
    return value.isoformat(sep=" ", timespec="seconds") if value else None


def describe(doc: Document) -> dict[str, Any]:
    """The document an answer is about: ids, where it came from, its state."""
    return {
        "id": doc.id,
        "url": doc.canonical_url,
        "site": doc.site.name,
        "doc_number": doc.doc_number,
        "title": doc.title,
        "status": doc.status,
        "first_seen": iso(doc.first_seen),
        "last_seen": iso(doc.last_seen),
        "withdrawn_at": iso(doc.withdrawn_at),
    }
