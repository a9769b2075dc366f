"""A new SQLite file made from storage/schema_head.sql is the database the migrations make.

The expected side is always Alembic running storage/migrations on a new file; the script is
checked against it, never against itself.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from storage import migrate, sqlite_schema
from storage.db import DatabaseError, connect


def _fingerprint(path: Path) -> dict[str, object]:
    """Everything a database file holds that the schema decides: its objects, the rows of every table (FTS5 shadow tables included), and the persistent pragmas."""
    conn = sqlite3.connect(path)
    try:
        # order and constraint order aside: the same migrations give different ones from run to run
        objects = sorted(
            (kind, name, table, sqlite_schema.canonical(sql) if sql else None)
            for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        )
        tables = [name for kind, name, _t, sql in objects if kind == "table" and "VIRTUAL" not in (sql or "")]
        rows = {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
        pragmas = {p: conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("user_version", "journal_mode", "auto_vacuum")}
    finally:
        conn.close()
    return {"objects": objects, "rows": rows, "pragmas": pragmas}


def _migrated(path: Path) -> Path:
    db = connect(f"sqlite:///{path}")
    try:
        migrate.upgrade(db)
    finally:
        db.dispose()
    return path


def test_the_script_makes_what_the_migrations_make(tmp_path: Path) -> None:
    expected = _fingerprint(_migrated(tmp_path / "migrated.db"))
    made = tmp_path / "script.db"
    assert sqlite_schema.create_new(made) is True
    assert _fingerprint(made) == expected
    assert expected["rows"]["alembic_version"] == [(migrate.HEAD,)]


def test_the_script_is_what_the_generator_writes(tmp_path: Path) -> None:
    # scripts/schema-snapshot --check: a new migration without a new snapshot fails here
    conn = sqlite3.connect(_migrated(tmp_path / "migrated.db"))
    try:
        assert sqlite_schema.SCRIPT.read_text(encoding="utf-8") == sqlite_schema.dump(conn)
    finally:
        conn.close()


def test_require_makes_a_new_file_without_alembic_and_alembic_knows_it(tmp_path: Path) -> None:
    from alembic import command

    def back_and_forth(path: Path) -> Path:
        db = connect(f"sqlite:///{path}")
        try:
            with db.writer_engine.begin() as conn:
                command.downgrade(migrate.alembic_config(conn), "-1")
            assert migrate.state(db).current != migrate.HEAD
            migrate.upgrade(db)
        finally:
            db.dispose()
        return path

    path = tmp_path / "new.db"
    db = connect(f"sqlite:///{path}")
    try:
        migrate.require(db, create=True)
        st = migrate.state(db)
        assert (st.current, st.up_to_date, st.known) == (migrate.HEAD, True, True)
    finally:
        db.dispose()
    # Alembic walks it back and forward again as it walks a database it made itself
    expected = _fingerprint(back_and_forth(_migrated(tmp_path / "migrated.db")))
    assert _fingerprint(back_and_forth(path)) == expected


def test_an_empty_file_is_new_and_a_used_one_is_left_alone(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert sqlite_schema.create_new(empty) is True
    used = tmp_path / "used.db"
    conn = sqlite3.connect(used)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    assert sqlite_schema.create_new(used) is False
    conn = sqlite3.connect(used)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]
    conn.close()


def test_a_file_that_is_not_a_database_is_reported_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "garbled.db"
    junk = b"\x89PNG\r\n" + bytes(range(256)) * 40
    path.write_bytes(junk)
    assert sqlite_schema.create_new(path) is False
    db = connect(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseError, match=r"garbled\.db"):
            migrate.require(db, create=True)
    finally:
        db.dispose()
    assert path.read_bytes() == junk


def test_two_creators_of_one_new_file_make_it_once(tmp_path: Path) -> None:
    path = tmp_path / "raced.db"
    start = threading.Barrier(4)
    made: list[bool] = []
    errors: list[BaseException] = []

    def create() -> None:
        start.wait()
        try:
            made.append(sqlite_schema.create_new(path))
        except BaseException as e:  # the test reports it
            errors.append(e)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(made) == [False, False, False, True]
    assert _fingerprint(path) == _fingerprint(_migrated(tmp_path / "migrated.db"))


def test_the_sites_of_a_new_file_are_the_rows_sync_titles_makes(tmp_path: Path) -> None:
    from sqlalchemy import select

    from storage.models import Site
    from storage.sites import sync_titles

    titles = {"zhaoqing": "肇庆市人民政府", "bulk": None, "o'brien": "它's"}
    made = tmp_path / "made.db"
    assert sqlite_schema.create_new(made, sites=titles) is True
    synced = connect(f"sqlite:///{_migrated(tmp_path / 'synced.db')}")
    with synced.writer() as session:
        sync_titles(session, titles)
    for db in (connect(f"sqlite:///{made}"), synced):
        try:
            with db.reader() as session:
                rows = session.scalars(select(Site).order_by(Site.id)).all()
                assert [(r.id, r.name, r.title) for r in rows] == [(1, "zhaoqing", "肇庆市人民政府"), (2, "bulk", None), (3, "o'brien", "它's")]
                assert all(r.created_at.tzinfo is None and r.created_at.year >= 2026 for r in rows)
        finally:
            db.dispose()
