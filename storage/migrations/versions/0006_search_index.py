"""Search index on measure.norm_text: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL.

SQLite: an external-content FTS5 table (tokenize='trigram', SQLite >= 3.34) over measure,
kept in step by triggers and filled from the rows already stored. PostgreSQL: the pg_trgm
extension and a GIN index with gin_trgm_ops, which serves `LIKE '%phrase%'` itself. Under the
test server's locale (C.UTF-8) show_trgm('科技创新') gives five trigrams: Chinese text is
indexed (tests/test_search_index.py checks it).

Revision ID: 0006_search_index
Revises: 0005_unchanged_pairs
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0006_search_index"
down_revision = "0005_unchanged_pairs"
branch_labels = None
depends_on = None

FTS = "measure_fts"
PG_INDEX = "ix_measure_norm_text_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        if sqlite3.sqlite_version_info < (3, 34):
            return  # no trigram tokenizer: search keeps scanning (storage.search_index checks)
        op.execute(
            f"CREATE VIRTUAL TABLE {FTS} USING fts5(norm_text, content='measure', content_rowid='id', "
            "tokenize='trigram')"
        )
        op.execute(
            f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON measure BEGIN "
            f"INSERT INTO {FTS}(rowid, norm_text) VALUES (new.id, new.norm_text); END"
        )
        op.execute(
            f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON measure BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, norm_text) VALUES ('delete', old.id, old.norm_text); END"
        )
        op.execute(
            f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF norm_text ON measure BEGIN "
            f"INSERT INTO {FTS}({FTS}, rowid, norm_text) VALUES ('delete', old.id, old.norm_text); "
            f"INSERT INTO {FTS}(rowid, norm_text) VALUES (new.id, new.norm_text); END"
        )
        op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")  # the rows stored before
    elif bind.dialect.name == "postgresql":
        schema = _trgm_schema(bind)
        op.execute(f'CREATE INDEX {PG_INDEX} ON measure USING gin (norm_text "{schema}".gin_trgm_ops)')


def _trgm_schema(bind: sa.Connection) -> str:
    """The schema holding pg_trgm, installing it first if need be.

    The extension goes to `public` when it can: an extension created inside a schema that is
    later dropped takes every index built on its operator class with it.
    """
    find = sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    schema = bind.execute(find).scalar()
    if schema is None:
        try:
            with bind.begin_nested():
                bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public"))
        except sa.exc.DBAPIError:  # no public schema, or no right to create in it
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        schema = bind.execute(find).scalar()
    return str(schema)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")  # the extension stays: others may use it
