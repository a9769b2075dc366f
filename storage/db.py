"""Engine and session setup for SQLite (default) and PostgreSQL (at scale).

SQLite: WAL so readers never block the writer, a busy timeout so writers queue instead of
failing, and `BEGIN IMMEDIATE` for write transactions. A deferred transaction that reads and then
writes cannot upgrade its lock once another writer has committed; it fails at once with
"database is locked" whatever the busy timeout (docs/engineering.md, "SQLite: one writer"). Readers and writers
therefore get separate engines, so the writer's BEGIN is always IMMEDIATE.

PostgreSQL: psycopg 3, selected explicitly whatever spelling of the URL is given.

A damaged SQLite file (a disk or copy error in the middle of it) fails only the statements
that read a damaged page. Every SQLite engine turns that error (SQLITE_CORRUPT, SQLITE_NOTADB)
into one DatabaseError naming the file, wherever it is raised; `check_integrity` is the full
`PRAGMA quick_check` that `db upgrade` and `db status` run. It reads the whole file, about
0.5 ms per MB (benchmarks/bench_quick_check.py: 11 ms for 21 MB, 304 ms for 567 MB), which
is why it is not run on every open.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.db_file import BUSY_TIMEOUT_S, DEFAULT_FILE, ENV_VAR, first_line


class DatabaseError(Exception):
    """A database that cannot be used as asked: one line, safe to show (no password)."""


def resolve_url(value: str | None = None) -> URL:
    """`--db` value, else $POLICYWATCH_DATABASE_URL, else ./policywatch.db.

    A value without "://" is a path to a SQLite file. Relative SQLite paths are made absolute
    now, so that child processes and later `cd`s agree on the file.
    """
    raw = value or os.environ.get(ENV_VAR) or DEFAULT_FILE
    if "://" not in raw:
        return URL.create("sqlite", database=str(Path(raw).expanduser().resolve()))
    try:
        url = make_url(raw)
    except exc.ArgumentError as e:
        raise DatabaseError(f"database URL {raw!r} is not a valid URL") from e
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        # Bare postgresql:// means psycopg2 on SQLAlchemy 2.0; we ship psycopg 3.
        url = url.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            url = url.set(database=str(Path(url.database).expanduser().resolve()))
    else:
        raise DatabaseError(f"database URL {safe_url(url)}: only sqlite:// and postgresql:// are supported")
    return url


def safe_url(url: URL | str) -> str:
    if isinstance(url, str):
        return url
    return url.render_as_string(hide_password=True)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def is_damaged(error: BaseException | None) -> bool:
    """A SQLite error that means the file itself is damaged or is not a database."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB"


def damaged(path: object, error: BaseException | str) -> DatabaseError:
    detail = error if isinstance(error, str) else first_line(error)
    return DatabaseError(
        f"{path}: the SQLite file is damaged ({detail}); restore it from a backup "
        f"(`sqlite3 {path} .recover` saves what is readable)"
    )


def _json(value: object) -> str:
    # Chinese as UTF-8, not \uXXXX escapes: a third of the bytes for every stored schema.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _sqlite_engine(url: URL, *, writer: bool, read_only: bool = False) -> Engine:
    """SQLite in WAL mode; `read_only`: readers that cannot write.

    A read-only engine opens the file with `mode=ro` and sets `PRAGMA query_only`, and leaves
    journal_mode alone (changing it is a write); a missing file is an error, not a new database.
    """
    busy = f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}"
    if read_only:
        path = sqlite_file(url)
        if path is None:
            raise DatabaseError(f"database URL {safe_url(url)}: a read-only connection needs a SQLite file")
        mode = _read_only_mode(path)
        url = url.set(database=f"file:{quote(str(path))}?mode={mode}", query={"uri": "true"})
        pragmas = ("PRAGMA query_only=ON", busy)
    else:
        # synchronous=NORMAL: durable across app crashes, fast in WAL.
        pragmas = ("PRAGMA journal_mode=WAL", busy, "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")
    file = sqlite_file(url) or url.database
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, json_serializer=_json)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:
        # Take BEGIN away from the driver so that SQLAlchemy's "begin" event below emits it.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            for pragma in pragmas:
                cur.execute(pragma)
        except sqlite3.DatabaseError as e:
            if is_damaged(e):  # "file is not a database" shows on the first statement
                raise damaged(file, e) from e
            raise
        finally:
            cur.close()

    @event.listens_for(engine, "handle_error")
    def _damaged_file(context) -> None:
        if is_damaged(context.original_exception):
            raise damaged(file, context.original_exception) from context.original_exception

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql(begin)

    return engine


def _read_only_mode(path: Path) -> str:
    """The URI mode a reader that never writes opens `path` with: "ro", or "ro&immutable=1".

    A WAL database is read through its -shm file, which SQLite creates next to it, so in a
    folder that cannot be written mode=ro fails with "unable to open database file" (since
    SQLite 3.22 a reader manages when the -wal and -shm files are there already). On a file
    system mounted read-only (a read-only volume, a CD, a snapshot) nothing can change the
    file, and `immutable=1` reads it alone, unless a -wal file still holds transactions: those
    would be missing, so that case is refused in one line. A folder that is merely not writable
    for this user is no such guarantee (the owner's daemon may write the database at any
    moment), so there the reader is told what to do instead.
    """
    folder = path.parent
    if not path.exists() or not _is_wal(path) or os.access(folder, os.W_OK):
        return "ro"
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if wal.exists() and shm.exists():
        return "ro"  # read-only WAL: both files are read, latest transactions included
    if not os.statvfs(folder).f_flag & os.ST_RDONLY:
        raise DatabaseError(
            f"{path}: its folder is not writable for this user and a WAL database is read through "
            f"{shm.name}, created next to it; run as a user who can write the folder"
        )
    if wal.exists() and wal.stat().st_size > 0:
        raise DatabaseError(
            f"{path}: on read-only media with transactions still in {wal.name} and no {shm.name}; "
            "copy the database files to writable storage and open them there"
        )
    return "ro&immutable=1"


def _is_wal(path: Path) -> bool:
    """The file header says WAL (bytes 18 and 19 are 2; see sqlite.org/fileformat.html)."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2 and header[19] == 2


def _pg_engine(url: URL, *, read_only: bool = False) -> Engine:
    # connect_timeout keeps "cannot connect" a quick one-line error rather than a long hang.
    engine = create_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": 5}, json_serializer=_json
    )
    if read_only:

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_conn, _record) -> None:
            # Every transaction of the session is READ ONLY: an INSERT fails in the server.
            with dbapi_conn.cursor() as cur:
                cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_conn.commit()

    return engine


@dataclass
class Database:
    """The two engines (reader, writer) for one database URL, and sessions on them."""

    url: URL
    engine: Engine
    writer_engine: Engine
    read_only: bool = False

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def display_url(self) -> str:
        return safe_url(self.url)

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writer(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any exception."""
        if self.read_only:
            raise DatabaseError(f"database {self.display_url} was opened read-only")
        factory = sessionmaker(self.writer_engine, expire_on_commit=False)
        with factory.begin() as session:
            yield session

    def ping(self) -> None:
        """Connect once, turning any driver error into a one-line DatabaseError."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except exc.DBAPIError as e:
            raise DatabaseError(f"cannot connect to database {self.display_url}: {first_line(e.orig)}") from e

    def check_integrity(self) -> None:
        """SQLite: `PRAGMA quick_check` of the whole file; DatabaseError naming the file if damaged."""
        path = sqlite_file(self.url)
        if path is None:
            return  # PostgreSQL checks its pages itself (and memory databases have none)
        with self.engine.connect() as conn:
            problems = [line for row in conn.exec_driver_sql("PRAGMA quick_check(5)") for line in row[0].splitlines()]
        if problems != ["ok"]:
            # the first line is "*** in database main ***" when the report names pages
            detail = next((p for p in problems if not p.startswith("***")), problems[0] if problems else "")
            raise damaged(path, f"quick_check: {detail or 'no answer'}")

    def dispose(self) -> None:
        self.engine.dispose()
        if self.writer_engine is not self.engine:
            self.writer_engine.dispose()


def connect(value: str | URL | None = None, *, read_only: bool = False) -> Database:
    """A Database for a `--db` value / URL; no connection is made yet.

    `read_only=True` (the web UI): every connection refuses writes in the database itself
    (SQLite `mode=ro` + `query_only`; PostgreSQL READ ONLY transactions), and `writer()` raises.
    """
    url = value if isinstance(value, URL) else resolve_url(value)
    if read_only:
        engine = _sqlite_engine(url, writer=False, read_only=True) if is_sqlite(url) else _pg_engine(url, read_only=True)
        return Database(url, engine, engine, read_only=True)
    if is_sqlite(url):
        return Database(url, _sqlite_engine(url, writer=False), _sqlite_engine(url, writer=True))
    engine = _pg_engine(url)
    return Database(url, engine, engine)


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL (None for memory databases and other backends)."""
    if not is_sqlite(url) or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)
