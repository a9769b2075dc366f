"""PostgreSQL's search index over the distinct measure texts, not over every measure row.

A new version repeats most of its measures word for word, so the rows of measure grow with
every version while the texts grow only with the edits. The GIN index of 0006 held every row:
its posting lists, which a search decodes, grew with the versions. `measure_text` holds each
(hash, text) once, kept in step by a statement trigger on measure (a whole batch of inserted
rows in one INSERT ... ON CONFLICT), and carries the GIN index instead; search finds the
texts, then their measures by `measure.hash` (ix_measure_hash). A text whose measures are all
deleted stays behind: search rechecks every measure it reaches, so it only costs a lookup.
The key is (hash, md5 of the text), not the hash alone: the hash is 64 bits, meant to be
unique within a document, and a collision across documents must not hide a text.

SQLite keeps 0006's FTS5 table: nothing changes there.

Revision ID: 0009_search_texts
Revises: 0008_site_title
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_search_texts"
down_revision = "0008_site_title"
branch_labels = None
depends_on = None

OLD_INDEX = "ix_measure_norm_text_trgm"
TABLE = "measure_text"
INDEX = "ix_measure_text_trgm"
FUNCTION = "measure_text_add"


def _trgm_schema(bind: sa.Connection) -> str:
    """Where 0006 put pg_trgm (it installs the extension when missing)."""
    found = bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
    return str(found)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE TABLE {TABLE} (hash varchar(64) NOT NULL, digest uuid NOT NULL, norm_text text NOT NULL, "
        f"CONSTRAINT pk_{TABLE} PRIMARY KEY (hash, digest))"
    )
    op.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {TABLE} (hash, digest, norm_text) "
        "SELECT DISTINCT ON (hash, md5(norm_text)) hash, md5(norm_text)::uuid, norm_text FROM added "
        "ON CONFLICT DO NOTHING; RETURN NULL; END $$"
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER {FUNCTION}_{event.lower()} AFTER {event} ON measure REFERENCING NEW TABLE AS added "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
    op.execute(
        f"INSERT INTO {TABLE} (hash, digest, norm_text) "
        "SELECT DISTINCT ON (hash, md5(norm_text)) hash, md5(norm_text)::uuid, norm_text FROM measure"
    )
    schema = _trgm_schema(bind)
    op.execute(f'CREATE INDEX {INDEX} ON {TABLE} USING gin (norm_text "{schema}".gin_trgm_ops)')
    op.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
    op.execute(f"ANALYZE {TABLE}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = _trgm_schema(bind)
    op.execute(f'CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON measure USING gin (norm_text "{schema}".gin_trgm_ops)')
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {FUNCTION}_{event} ON measure")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
