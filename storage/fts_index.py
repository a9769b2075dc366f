"""SQLite's FTS5 search index of measure.norm_text: its name, and how new rows get into it.

Migration 0006 made the index (external content over `measure`, the trigram tokenizer);
migration 0011 took away its per-row insert trigger, which made a segment of every measure
inserted. Whatever inserts measure rows puts them in with index_measures, one statement per
batch: storage.fresh, storage.write_rows and storage.reprocess, and for a row added through
the ORM's unit of work the mapper event in storage.models. Deletes and updates of norm_text
are still kept in step by 0006's triggers. Search itself is storage.search_index's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

FTS_TABLE = "measure_fts"


def index_measures(conn: Connection, *, versions: list[int] | None = None, ids: list[int] | None = None) -> None:
    """Add just-inserted measure rows to SQLite's FTS5 index: every row of the new `versions`,
    or the rows `ids`. One INSERT ... SELECT per call, so a batch becomes one segment of the
    index (migration 0011: a trigger per row made a segment per row). Called by whatever
    inserts measure rows (storage.fresh, storage.write_rows, storage.reprocess); nothing to do
    on PostgreSQL, whose statement trigger fills measure_text, nor without the index."""
    column, keys = ("version_id", versions) if versions else ("id", ids)
    if not keys or conn.dialect.name != "sqlite" or not exists(conn):
        return
    for i in range(0, len(keys), _CHUNK):
        conn.execute(_index_rows(column), {"keys": keys[i : i + _CHUNK]})


def exists(conn: Connection | Session) -> bool:
    """Whether this SQLite database has the index (none below SQLite 3.34: search then scans)."""
    return conn.execute(_HAS_FTS, {"n": FTS_TABLE}).first() is not None


_HAS_FTS = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n")
_CHUNK = 10_000  # keys per statement: under SQLite's 32,766 variables


def _index_rows(column: str) -> Any:
    return text(
        f"INSERT INTO {FTS_TABLE}(rowid, norm_text) SELECT id, norm_text FROM measure WHERE {column} IN :keys"
    ).bindparams(bindparam("keys", expanding=True))
