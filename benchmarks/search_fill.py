"""A kept database holding bench_storage's synthetic history, filled for the search figures alone.

Recording 100,000 documents x 5 versions through `record_pages` takes hours here; the search
benchmark needs only the rows it reads. This writes the same documents, versions and measures
(texts from bench_storage._document, ids in the order record_pages gives them: version 1 of
every document, then version 2, ...) straight into a migrated database, in a database of its
own that is kept, so that a later run finds it filled and starts at once. Columns search never
reads are left at cheap values (no raw page, an empty normalized JSON, no sections, no change
rows): the measure table and its index, which search reads, are as recorded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

from benchmarks import bench_storage as B
from storage import migrate, search_index
from storage.content import measure_rows
from storage.db import Database, connect

MARK = "bench_search_fill"


def kept(url: str, docs: int) -> Database:
    """The database at `url`, migrated and holding `docs` x VERSIONS (filled now if it does not)."""
    db = connect(url)
    migrate.upgrade(db)
    with db.writer_engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {MARK} (docs integer, versions integer)")
        have = conn.exec_driver_sql(f"SELECT docs, versions FROM {MARK}").first()
    if have is not None and tuple(have) == (docs, B.VERSIONS):
        return db
    if have is not None:
        raise SystemExit(f"{db.display_url} holds another fill {tuple(have)}: use another database")
    start = time.perf_counter()
    _fill(db, docs)
    print(f"filled {db.display_url}: {docs:,} x {B.VERSIONS} in {time.perf_counter() - start:.0f} s", flush=True)
    return db


COLUMNS = {
    "site": ("id", "name", "created_at"),
    "document": ("id", "site_id", "canonical_url", "doc_number", "doc_number_key", "publisher", "title", "status",
                 "first_seen", "last_seen", "latest_version_id"),
    "version": ("id", "document_id", "seq", "content_hash", "first_seen", "last_seen", "fetch_count", "url",
                "filename", "raw_size", "normalized", "title", "doc_number", "published_date"),
    "measure": ("id", "version_id", "ordinal", "path", "label", "heading", "text", "norm_text", "hash"),
}


def _rounds(docs: int) -> Iterator[dict[str, list[tuple]]]:
    """The rows of every table, a round (one version of every document) at a time."""
    mid = 0
    for v in range(1, B.VERSIONS + 1):
        rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        if v == 1:
            rows["site"] = [(k + 1, f"bench{k}", B.T0) for k in range(min(20, docs))]
        at = B.T0 + timedelta(days=v - 1)
        for i in range(docs):
            doc = B._document(i, v)
            vid = (v - 1) * docs + i + 1
            if v == 1:
                rows["document"].append(
                    (i + 1, i % 20 + 1, B._url(i), doc.doc_number, "", doc.publisher, doc.title, "active", at,
                     B.T0 + timedelta(days=B.VERSIONS - 1), None)
                )
            rows["version"].append((vid, i + 1, v, f"h{vid}", at, at, 1, B._url(i), "", 0, "{}", doc.title, doc.doc_number, ""))
            for r in measure_rows(doc):
                mid += 1
                rows["measure"].append(
                    (mid, vid, r["ordinal"], r["path"], r["label"], r["heading"], r["text"], r["norm_text"], r["hash"])
                )
        yield rows


def _fill(db: Database, docs: int) -> None:
    with db.writer_engine.begin() as conn:
        raw = conn.connection.driver_connection
        if db.engine.dialect.name == "postgresql":
            # the distinct texts and their index (migration 0009) built once, after the rows
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {search_index.PG_INDEX}")
            conn.exec_driver_sql("ALTER TABLE measure DISABLE TRIGGER USER")
            conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
            cur = raw.cursor()
            for tables in _rounds(docs):
                for name, cols in COLUMNS.items():
                    with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as cp:
                        for row in tables[name]:
                            cp.write_row(row)
            for name in COLUMNS:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
            conn.exec_driver_sql("ALTER TABLE measure ENABLE TRIGGER USER")
            conn.exec_driver_sql(
                f"INSERT INTO {search_index.TEXT_TABLE} (hash, digest, norm_text) SELECT DISTINCT ON "
                "(hash, md5(norm_text)) hash, md5(norm_text)::uuid, norm_text FROM measure ON CONFLICT DO NOTHING"
            )
            schema = conn.exec_driver_sql(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE extname = 'pg_trgm'"
            ).scalar()
            conn.exec_driver_sql(
                f"CREATE INDEX {search_index.PG_INDEX} ON {search_index.TEXT_TABLE} "
                f'USING gin (norm_text "{schema}".gin_trgm_ops)'
            )
        else:
            for tables in _rounds(docs):
                for name, cols in COLUMNS.items():
                    raw.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", tables[name])
            # the FTS5 index of every row at once (the writers index each batch: migration 0011)
            conn.exec_driver_sql(f"INSERT INTO {search_index.FTS_TABLE}({search_index.FTS_TABLE}) VALUES ('rebuild')")
        # a document's latest version: its first's id + (VERSIONS - 1) x docs
        conn.exec_driver_sql(f"UPDATE document SET latest_version_id = id + {(B.VERSIONS - 1) * docs}")
        conn.exec_driver_sql(f"INSERT INTO {MARK} VALUES ({docs}, {B.VERSIONS})")
    if db.engine.dialect.name == "postgresql":
        with db.writer_engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
