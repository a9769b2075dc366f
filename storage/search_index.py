"""`search` through the trigram index of measure.norm_text, with the scan it must agree with.

The index (migration 0006) is FTS5 with the trigram tokenizer on SQLite and a pg_trgm GIN
index on PostgreSQL. A trigram index cannot look up a phrase of fewer than three characters,
so those, and databases without the index (SQLite older than 3.34), are scanned. Either way the
rows are the scan's: the index only narrows the candidates, and the same `LIKE` on the stored
text decides, so the index's own case folding never shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, text
from sqlalchemy.orm import Session

from pipeline.text import norm_text
from storage.models import Document, MeasureRow, Site, Version

FTS_TABLE = "measure_fts"
PG_INDEX = "ix_measure_norm_text_trgm"
MIN_INDEXED = 3  # characters: a trigram index finds nothing shorter
FEW = 500  # candidates up to which the index's ids drive an SQLite search (see _fts_candidates)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """For Alembic's compare: the index's objects are made by migration 0006, not the models."""
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False  # the FTS5 table and its shadow tables
    return not (type_ == "index" and name == PG_INDEX)


def index_kind(session: Session) -> str | None:
    """"fts5", "pg_trgm", or None when this database has no search index."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        found = session.execute(
            text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n"), {"n": FTS_TABLE}
        ).first()
        return "fts5" if found else None
    if dialect == "postgresql":
        found = session.execute(text("SELECT to_regclass(:n)"), {"n": PG_INDEX}).scalar()
        return "pg_trgm" if found else None
    return None


def search_page(
    session: Session,
    phrase: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[dict[str, Any]]:
    """Measures whose normalized text contains the phrase (normalized the same way), in
    document, version and reading order; what `scan_page` returns, found through the index."""
    needle = norm_text(phrase)
    if not needle:
        return []
    kind = index_kind(session) if len(needle) >= MIN_INDEXED else None
    candidates = _fts_candidates(session, needle) if kind == "fts5" else None
    # SQLite walking the documents: keep it from starting at the measures (see _statement)
    walk = session.get_bind().dialect.name == "sqlite" and candidates is None
    stmt = _statement(needle, all_versions=all_versions, site=site, offset=offset, limit=limit, walk=walk)
    if kind == "fts5" and candidates is not None:
        stmt = stmt.where(MeasureRow.id.in_(candidates))
        if not all_versions:
            # an invariant said out loud (the latest version is one of the document's): from
            # a candidate measure, its version reaches the document by key, not by a scan
            stmt = stmt.where(Version.document_id == Document.id)
    # pg_trgm: the GIN index serves the LIKE of _statement as it stands
    return _rows(session, stmt)


def _fts_candidates(session: Session, needle: str) -> list[int] | None:
    """The ids of the measures whose text has the phrase, as FTS5 finds them, when there are
    few: they drive the query (a lookup each, then the sort). None when there are many: then
    the walk from the documents reaches the limit soon, and collecting every id first costs
    more than the LIKE on the way."""
    match = '"' + needle.replace('"', '""') + '"'  # a quoted FTS5 string is one phrase, all literal
    found = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_phrase LIMIT :cap")
    ids = list(session.scalars(found, {"fts_phrase": match, "cap": FEW}))
    return ids if len(ids) < FEW else None


def scan_page(
    session: Session,
    phrase: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[dict[str, Any]]:
    """The reference: the same question answered by `LIKE '%phrase%'` alone. On PostgreSQL the
    text is wrapped so that no index can serve the LIKE."""
    needle = norm_text(phrase)
    if not needle:
        return []
    stmt = _statement(needle, all_versions=all_versions, site=site, offset=offset, limit=limit, unindexed=True)
    return _rows(session, stmt)


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _statement(
    needle: str,
    *,
    all_versions: bool,
    site: str | None,
    offset: int,
    limit: int | None,
    unindexed: bool = False,
    walk: bool = False,
) -> Select:
    """Driven from the documents: document -> its latest version -> that version's measures
    (indexes all the way) reads only the latest versions' measures. `walk`: the measure finds
    its version by `version.id + 0`, which no index serves, so SQLite's planner cannot start at
    the measure table (it does for every version: a LIKE on every measure, then a sort of all
    matches, where the walk in document order stops at the limit)."""
    version_on = Version.document_id == Document.id if all_versions else Version.id == Document.latest_version_id
    searched = MeasureRow.norm_text.concat("") if unindexed else MeasureRow.norm_text
    stmt: Select = (
        select(MeasureRow, Version.seq, Version.first_seen, Document, Site.name)
        .select_from(Document)
        .join(Site, Site.id == Document.site_id)
        .join(Version, version_on)
        .join(MeasureRow, MeasureRow.version_id == (Version.id + 0 if walk else Version.id))
        .where(searched.like(f"%{_like_escape(needle)}%", escape="\\"))
        # the same order; for every version, named by the version's column so that a walk along
        # the versions' (document_id, seq) index needs no sort but of each version's measures
        .order_by(Version.document_id if walk and all_versions else Document.id, Version.seq, MeasureRow.ordinal)
        .offset(offset)
    )
    if limit:
        stmt = stmt.limit(limit)
    if site:
        stmt = stmt.where(Site.name == site)
    return stmt


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value else None


def _rows(session: Session, stmt: Select) -> list[dict[str, Any]]:
    return [
        {
            "document_id": d.id,
            "site": site_name,
            "doc_number": d.doc_number,
            "title": d.title,
            "url": d.canonical_url,
            "version": seq,
            "version_first_seen": _iso(first_seen),
            "path": m.path,
            "label": m.label,
            "text": m.text,
        }
        for m, seq, first_seen, d, site_name in session.execute(stmt)
    ]
