"""Database setup: URL handling, migrations on both backends, the schema check."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from storage import migrate, search_index
from storage.db import DatabaseError, connect, resolve_url
from storage.models import Base


def test_resolve_url_defaults_to_sqlite_file_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYWATCH_DATABASE_URL", raising=False)
    url = resolve_url(None)
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(tmp_path / "policywatch.db")


def test_resolve_url_env_and_postgres_spellings(monkeypatch):
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", "postgres://u@h/db")
    assert resolve_url(None).drivername == "postgresql+psycopg"
    assert resolve_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert resolve_url("some/file.db").get_backend_name() == "sqlite"


def test_unsupported_url_is_one_line_error():
    with pytest.raises(DatabaseError, match="only sqlite"):
        resolve_url("mysql://u@h/db")


def test_unreachable_postgres_is_one_line_error():
    db = connect("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseError) as e:
        db.ping()
    assert "cannot connect" in str(e.value) and "\n" not in str(e.value)


def test_migrations_match_models(db):
    """The migrations build exactly the schema the models describe, on both backends."""
    with db.engine.connect() as conn:
        opts = {"compare_type": True, "include_name": search_index.include_name}  # 0006's FTS5 / GIN objects
        diffs = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
    assert diffs == []
    assert migrate.state(db).up_to_date


def test_downgrade_and_upgrade_again(db):
    from alembic import command

    with db.writer_engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), "0001_core")
    assert migrate.state(db).current == "0001_core"
    with pytest.raises(DatabaseError, match="db upgrade"):
        migrate.require(db)
    migrate.require(db, create=True)  # writers migrate forward themselves
    assert migrate.state(db).up_to_date


def test_newer_schema_is_refused(db):
    with db.writer() as s:
        s.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(DatabaseError, match="newer than this policywatch"):
        migrate.require(db)
    with pytest.raises(DatabaseError, match="newer"):
        migrate.upgrade(db)


def test_missing_sqlite_file_is_not_created_by_readers(tmp_path):
    db = connect(str(tmp_path / "none.db"))
    with pytest.raises(DatabaseError, match="no database"):
        migrate.require(db)
    assert not (tmp_path / "none.db").exists()


def test_sqlite_pragmas(tmp_path):
    db = connect(str(tmp_path / "p.db"))
    migrate.upgrade(db)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
