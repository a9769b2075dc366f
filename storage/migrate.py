"""Schema migrations (Alembic) and the schema check every command makes before using a database.

Alembic is imported only when an existing schema is not this build's head: loading it and
reading the migration scripts cost half a second and 10 MB in every crawl process (and the
`policywatch crawl` process that waits on it), which mostly find the database up to date. A new
SQLite file gets the head schema from one script without it (storage.sqlite_schema). HEAD names
the head revision for that check; a test holds it to what the scripts say.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, exc, text

from storage import sqlite_schema
from storage.db import Database, DatabaseError, first_line, sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0011_fts_batch_inserts"  # the newest script in migrations/versions (tests/test_storage_migrate_head.py)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return heads[0]


@dataclass
class SchemaState:
    current: str | None  # None: no schema at all
    head: str
    known: bool  # the current revision exists in this build's migrations

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def state(db: Database) -> SchemaState:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    target = script.get_heads()[0]
    try:
        with db.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    except exc.DBAPIError as e:
        raise DatabaseError(f"cannot connect to database {db.display_url}: {first_line(e.orig)}") from e
    current = heads[0] if heads else None
    known = current is None
    if current is not None:
        try:
            known = script.get_revision(current) is not None
        except Exception:  # alembic raises several types for an unknown id
            known = False
    return SchemaState(current=current, head=target, known=known)


def upgrade(db: Database, revision: str = "head") -> SchemaState:
    """Bring the schema to `revision`; refuses a database from a newer policywatch."""
    before = state(db)
    if not before.known:
        raise DatabaseError(_newer(db, before))
    from alembic import command

    with db.writer_engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    return state(db)


def require(db: Database, *, create: bool = False) -> None:
    """Check that `db` has this build's schema before a command uses it.

    Read commands (create=False) refuse a missing or old schema with the command that fixes
    it; write commands (create=True) migrate forward themselves. A schema from a newer
    policywatch is always refused: this build cannot know what it changed.
    """
    path = sqlite_file(db.url)
    if path is not None and not create and not path.exists():
        raise DatabaseError(f"no database at {path} (run `policywatch db upgrade`, or pass --db)")
    if path is not None and create and sqlite_schema.create_new(path):
        return
    if _at_head(db):
        return
    st = state(db)
    if not st.known:
        raise DatabaseError(_newer(db, st))
    if st.up_to_date:
        return
    if create:
        upgrade(db)
        return
    if st.current is None:
        raise DatabaseError(
            f"database {db.display_url} has no policywatch schema (run `policywatch db upgrade`)"
        )
    raise DatabaseError(
        f"database {db.display_url} is at schema {st.current}, this policywatch needs {st.head} "
        "(run `policywatch db upgrade`)"
    )


def _at_head(db: Database) -> bool:
    """Whether the database's one recorded revision is HEAD (anything else, or any failure to
    read it, goes through Alembic's full check)."""
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except exc.DBAPIError:
        return False
    return [r[0] for r in rows] == [HEAD]


def _newer(db: Database, st: SchemaState) -> str:
    return (
        f"database {db.display_url} has schema revision {st.current}, newer than this policywatch "
        f"(head {st.head}); upgrade policywatch"
    )
