"""The DB-API driver itself (sqlite3, psycopg), for the few statements that run where SQLAlchemy
is not loaded: a recheck that every page answers 304 (storage.revalidation), a new SQLite file's
site rows, and the crawl_run row a runner marks and reads back (storage.run_rows).

SQLAlchemy's imports (the engine, the ORM, the models) cost 0.3-0.4 s of CPU in each process
that loads them; these statements take a few milliseconds. Each one is the SQL the ORM emits for
the same rows, and a test compares what the two write.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from storage.db_file import BUSY_TIMEOUT_S, sqlite_path


class Sql:
    """One backend's connection, parameter style and values (what SQLAlchemy's dialects do).

    SQLite: a `sqlite:///path` URL with no query (storage.db_file.plain_sqlite_url); anything
    else needs SQLAlchemy, and ValueError says so. PostgreSQL: any psycopg URL."""

    def __init__(self, db_url: str):
        scheme = db_url.partition("://")[0]
        self.sqlite = scheme in ("sqlite", "sqlite+pysqlite")
        if self.sqlite:
            path = sqlite_path(db_url)
            if path is None:
                raise ValueError("a SQLite URL with options is opened through SQLAlchemy")
            self.conn: Any = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.integrity_error: type[Exception] = sqlite3.IntegrityError
            self.error: type[Exception] = sqlite3.Error  # the driver's base class of its errors
        elif scheme.startswith(("postgresql", "postgres")):
            import psycopg

            rest = db_url.partition("://")[2]
            self.conn = psycopg.connect(f"postgresql://{rest}", connect_timeout=5, autocommit=True)
            self.integrity_error = psycopg.errors.IntegrityError
            self.error = psycopg.Error
        else:
            raise ValueError(f"{scheme}: not a backend of policywatch")

    @classmethod
    def open(cls, db_url: str) -> Sql:
        """Sql(db_url), or for a SQLite URL with options (`?timeout=`, `file:` URIs) the driver's
        connection that storage.db opens for it, with that URL's pragmas."""
        try:
            return cls(db_url)
        except ValueError:
            if not db_url.startswith("sqlite"):
                raise
        from storage.db import connect

        db = connect(db_url)
        self = cls.__new__(cls)
        self.sqlite, self.integrity_error, self.error = True, sqlite3.IntegrityError, sqlite3.Error
        self._pooled = db.writer_engine.raw_connection()  # autocommit: storage.db takes BEGIN away from the driver
        self.conn, self._owner = self._pooled.driver_connection, db
        return self

    def sql(self, text: str) -> str:
        return text if self.sqlite else re.sub(r"(?<!:):(\w+)", r"%(\1)s", text)

    def time(self, value: datetime) -> Any:
        # SQLAlchemy's SQLite DateTime is text with microseconds: what `<` compares as a string
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else value

    def json_in(self, name: str = "stats") -> str:
        return f":{name}" if self.sqlite else f"CAST(:{name} AS json)"

    def json_out(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if self.sqlite else "BEGIN")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def execute(self, text: str, params: dict[str, Any] | None = None) -> Any:
        """One statement in its own transaction (autocommit); the cursor, to fetch from."""
        cur = self.conn.cursor()
        cur.execute(self.sql(text), params or {})
        return cur

    def close(self) -> None:
        owner = getattr(self, "_owner", None)
        if owner is None:
            self.conn.close()
            return
        self._pooled.close()
        owner.dispose()


def dumps(value: Any) -> str:
    """JSON as storage.db writes it: Chinese as UTF-8, no spaces."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
