"""Search: the measures whose text contains a phrase.

One public function, `search`, for the CLI and the web UI alike; how it finds the measures (a
scan today, an FTS5 / pg_trgm index later) stays behind it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pipeline.text import norm_text
from storage.models import Document, MeasureRow, Site, Version
from storage.read.common import iso


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    session: Session,
    phrase: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    offset: int = 0,
    limit: int | None = 100,
) -> list[dict[str, Any]]:
    """Measures whose normalized text contains the phrase (normalized the same way), by document,
    version and reading order. A phrase with nothing left once normalized (spaces, punctuation)
    is a ValueError: it would match everything.

    Walking document -> its latest version -> that version's measures (indexes all the way)
    reads only the latest versions' measures; letting the planner start from the measure
    table scans every version's measures first.
    """
    needle = norm_text(phrase)
    if not needle:
        raise ValueError("TEXT: empty search phrase")
    version_on = Version.document_id == Document.id if all_versions else Version.id == Document.latest_version_id
    stmt: Select = (
        select(MeasureRow, Version.seq, Version.first_seen, Document, Site.name)
        .select_from(Document)
        .join(Site, Site.id == Document.site_id)
        .join(Version, version_on)
        .join(MeasureRow, MeasureRow.version_id == Version.id)
        .where(MeasureRow.norm_text.like(f"%{_like_escape(needle)}%", escape="\\"))
        .order_by(Document.id, Version.seq, MeasureRow.ordinal)
        .offset(offset)
    )
    if limit:
        stmt = stmt.limit(limit)
    if site:
        stmt = stmt.where(Site.name == site)
    return [
        {
            "document_id": d.id,
            "site": site_name,
            "doc_number": d.doc_number,
            "title": d.title,
            "url": d.canonical_url,
            "version": seq,
            "version_first_seen": iso(first_seen),
            "path": m.path,
            "label": m.label,
            "text": m.text,
        }
        for m, seq, first_seen, d, site_name in session.execute(stmt)
    ]
