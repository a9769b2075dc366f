"""`search` through the trigram index of measure.norm_text, with the scan it must agree with.

The index is FTS5 with the trigram tokenizer over measure on SQLite (migration 0006) and a
pg_trgm GIN index over `measure_text`, each distinct measure text once, on PostgreSQL (0009:
a new version repeats most texts, which the index then holds once). A trigram index cannot
look up a phrase of fewer than three characters, so those, and databases without the index
(SQLite older than 3.34), are scanned. Either way the rows are the scan's: the index only
narrows the candidates, and the same `LIKE` on the stored text decides, so the index's own
case folding never shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, text
from sqlalchemy.orm import Session

from pipeline.text import norm_text
from storage import fts_index
from storage.fts_index import FTS_TABLE
from storage.models import Document, MeasureRow, Site, Version

TEXT_TABLE = "measure_text"
PG_INDEX = "ix_measure_text_trgm"
MIN_INDEXED = 3  # characters: a trigram index finds nothing shorter
FEW = 200  # candidates below which the index's ids drive the search (see find)
# PostgreSQL counts distinct texts, whose lookup by hash is cheap next to a walk for a phrase
# the sample did not find dense (at 1,000 of 1.2 million texts the walk reads ~15,000 documents)
FEW_TEXTS = 1000
SAMPLE = 500  # PostgreSQL: the oldest distinct texts, read to tell a common phrase (see _pg_probe)
DENSE = 2  # of them holding the phrase (0.4%): the walk reaches the limit soon


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """For Alembic's compare: the index's objects are made by migrations 0006 and 0009, not the models."""
    if type_ == "table" and name is not None and (name.startswith(FTS_TABLE) or name == TEXT_TABLE):
        return False  # the FTS5 table and its shadow tables; PostgreSQL's distinct texts
    return not (type_ == "index" and name == PG_INDEX)


def index_kind(session: Session) -> str | None:
    """"fts5", "pg_trgm", or None when this database has no search index."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return "fts5" if fts_index.exists(session) else None
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
    return find(session, norm_text(phrase), all_versions=all_versions, site=site, offset=offset, limit=limit)


def find(
    session: Session,
    needle: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[dict[str, Any]]:
    """`search_page` for a phrase already normalized (storage.read.search normalizes it once).

    Two ways, chosen by how many measures have the phrase. When the index finds few (< FEW),
    their ids drive the query: a lookup each by key, then the sort of these few. When it finds
    more, a walk from the documents in order stops at the limit after reading about
    limit / density measures, whatever the size of the history. Collecting every id of a common
    phrase would cost in proportion to the history, and a walk for a rare one would read every
    document. On PostgreSQL a phrase found often in a small sample of the texts goes to the
    walk at once: a GIN scan has no early stop, and its probe alone would grow with the
    history."""
    if not needle:
        return []
    postgresql = session.get_bind().dialect.name == "postgresql"
    # PostgreSQL's measure_text and its index are made by migrate.upgrade: no question asked first
    kind = ("pg_trgm" if postgresql else index_kind(session)) if len(needle) >= MIN_INDEXED else None
    page = {"all_versions": all_versions, "site": site, "offset": offset, "limit": limit}
    if postgresql and kind:
        dense, candidates = _pg_probe(session, needle, sample=limit is not None)
        if dense:
            return _rows(session, _pg_walk(needle, **page))
    else:
        candidates = _candidates(session, needle, kind) if kind else None
    if candidates == []:
        return []
    if candidates is not None:
        key = MeasureRow.hash if postgresql else MeasureRow.id
        return _rows(session, _by_ids(needle, key.in_(candidates), **page))
    if postgresql:
        return _rows(session, _pg_walk(needle, **page))
    return _rows(session, _statement(needle, **page, walk=True))


def _pg_probe(session: Session, needle: str, *, sample: bool) -> tuple[bool, list[str] | None]:
    """PostgreSQL's question, in one statement: whether the phrase is dense, and if not, the
    hashes of the distinct texts holding it when fewer than FEW_TEXTS (None when more).

    Dense: at least DENSE of the SAMPLE texts first in measure_text (the oldest: those of the
    first documents, where the walk starts; a synchronized scan running at the time may hand
    over another run of texts, a sample all the same) hold it; a fixed cost, whatever the
    history. Then
    the GIN scan is not run at all (a one-time filter on the count): it has no early stop, and
    for a common phrase it would collect every match. Not `sample`: no limit to stop a walk, so
    straight to the index. The index gets the phrase's _pieces, strpos decides."""
    pieces = _pieces(needle)
    params: dict[str, Any] = {
        "needle": needle, "sample": SAMPLE if sample else 0, "dense": DENSE, "cap": FEW_TEXTS,
    }
    conds = []
    for i, piece in enumerate(pieces or [needle]):
        conds.append(f"norm_text LIKE :like{i} ESCAPE '\\'")
        params[f"like{i}"] = f"%{_like_escape(piece)}%"
    if pieces:
        conds.append("strpos(norm_text, :needle) > 0")
    stmt = text(
        "SELECT d.n, t.hash FROM (SELECT count(*) AS n FROM (SELECT 1 FROM (SELECT norm_text FROM "
        f"{TEXT_TABLE} LIMIT :sample) oldest WHERE strpos(oldest.norm_text, :needle) > 0 LIMIT :dense) hits) d "
        f"LEFT JOIN LATERAL (SELECT hash FROM {TEXT_TABLE} WHERE d.n < :dense AND {' AND '.join(conds)} "
        "LIMIT :cap) t ON true"
    )
    rows = session.execute(stmt, params).all()
    if rows[0][0] >= DENSE:
        return True, None
    hashes = {h for _, h in rows if h is not None}
    return False, (sorted(hashes) if len(hashes) < FEW_TEXTS and len(rows) < FEW_TEXTS else None)


def _pieces(needle: str) -> list[str]:
    """Three-character pieces of the phrase, none overlapping the one before, and its last
    three: about a third of its trigrams, spread over all of it. A GIN scan decodes the
    posting list of every trigram it is given, so a long phrase costs as much as it has
    trigrams; these few already leave few candidates. Only pieces of letters and digits, from
    which pg_trgm takes exactly one trigram (one it cannot index would make it read the whole
    index); none at all for a phrase without three of them in a row."""
    starts = [i for i in range(len(needle) - 2) if needle[i : i + 3].isalnum()]
    chosen: list[int] = []
    for i in starts:
        if not chosen or i >= chosen[-1] + 3:
            chosen.append(i)
    if starts and starts[-1] != chosen[-1]:
        chosen.append(starts[-1])
    return [needle[i : i + 3] for i in chosen]


def _candidates(session: Session, needle: str, kind: str) -> list[int] | None:
    """The ids of the measures whose text has the phrase, as FTS5 finds them, when there are
    fewer than FEW; None when there are more."""
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


def _like(column: Any, needle: str) -> Any:
    return column.like(f"%{_like_escape(needle)}%", escape="\\")


# what a result row reads: no ORM entities (their identity map cost more than the query)
_COLUMNS = (
    Document.id, Site.name, Document.doc_number, Document.title, Document.canonical_url,
    Version.seq, Version.first_seen, MeasureRow.path, MeasureRow.label, MeasureRow.text,
)


def _page(stmt: Select, *, site: str | None, offset: int, limit: int | None) -> Select:
    stmt = stmt.offset(offset)
    if limit:
        stmt = stmt.limit(limit)
    if site:
        stmt = stmt.where(Site.name == site)
    return stmt


def _by_ids(
    needle: str, found: ColumnElement[bool], *, all_versions: bool, site: str | None, offset: int, limit: int | None
) -> Select:
    """From the candidate measures by key (`found`: their ids, or their texts' hashes): measure
    -> version -> document -> site, then the sort of these few rows. The LIKE decides (FTS5's
    trigram match folds case; the scan's does not; a hash may be another text's too)."""
    stmt: Select = (
        select(*_COLUMNS)
        .select_from(MeasureRow)
        .join(Version, Version.id == MeasureRow.version_id)
        .join(Document, Document.id == Version.document_id)
        .join(Site, Site.id == Document.site_id)
        .where(found, _like(MeasureRow.norm_text, needle))
        .order_by(Document.id, Version.seq, MeasureRow.ordinal)
    )
    if not all_versions:
        stmt = stmt.where(Document.latest_version_id == Version.id)
    return _page(stmt, site=site, offset=offset, limit=limit)


def _pg_walk(needle: str, *, all_versions: bool, site: str | None, offset: int, limit: int | None) -> Select:
    """PostgreSQL's walk: documents in order, and for each (a LATERAL subquery, kept apart by
    OFFSET 0 so that the planner cannot flatten it into one join it would drive from a scan of
    every measure) its versions' measures by key with the LIKE. The LIKE is on `norm_text || ''`,
    which no index serves: GIN is for the few-candidates way."""
    version_on = Version.document_id == Document.id if all_versions else Version.id == Document.latest_version_id
    inner = (
        select(Version.seq, Version.first_seen, MeasureRow.ordinal, MeasureRow.path, MeasureRow.label, MeasureRow.text)
        .join(MeasureRow, MeasureRow.version_id == Version.id)
        .where(version_on, _like(MeasureRow.norm_text.concat(""), needle))
        .offset(0)
        .lateral("hit")
    )
    stmt: Select = (
        select(
            Document.id, Site.name, Document.doc_number, Document.title, Document.canonical_url,
            inner.c.seq, inner.c.first_seen, inner.c.path, inner.c.label, inner.c.text,
        )
        .select_from(Document)
        .join(Site, Site.id == Document.site_id)
        .join(inner, text("true"))
        .order_by(Document.id, inner.c.seq, inner.c.ordinal)
    )
    return _page(stmt, site=site, offset=offset, limit=limit)


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
    (indexes all the way) reads only the latest versions' measures. `walk` (SQLite's walk): the
    measure finds its version by `version.id + 0`, which no index serves, so SQLite's planner
    cannot start at the measure table (it does for every version: a LIKE on every measure, then
    a sort of all matches, where the walk in document order stops at the limit). SQLite does not
    use the FTS5 table for a LIKE: the walk reads the measures themselves."""
    version_on = Version.document_id == Document.id if all_versions else Version.id == Document.latest_version_id
    searched = MeasureRow.norm_text.concat("") if unindexed else MeasureRow.norm_text
    stmt: Select = (
        select(*_COLUMNS)
        .select_from(Document)
        .join(Site, Site.id == Document.site_id)
        .join(Version, version_on)
        .join(MeasureRow, MeasureRow.version_id == (Version.id + 0 if walk else Version.id))
        .where(_like(searched, needle))
        # the same order; for every version, named by the version's column so that a walk along
        # the versions' (document_id, seq) index needs no sort but of each version's measures
        .order_by(Version.document_id if walk and all_versions else Document.id, Version.seq, MeasureRow.ordinal)
    )
    return _page(stmt, site=site, offset=offset, limit=limit)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value else None


def _rows(session: Session, stmt: Select) -> list[dict[str, Any]]:
    return [
        {
            "document_id": doc_id,
            "site": site_name,
            "doc_number": doc_number,
            "title": title,
            "url": url,
            "version": seq,
            "version_first_seen": _iso(first_seen),
            "path": path,
            "label": label,
            "text": text_,
        }
        for doc_id, site_name, doc_number, title, url, seq, first_seen, path, label, text_ in session.execute(stmt)
    ]
