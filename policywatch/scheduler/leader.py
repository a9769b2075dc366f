"""One leader per database: only the process holding the lock runs the scheduler.

PostgreSQL: a session-level `pg_try_advisory_lock` on a dedicated connection kept for the
daemon's life. The server drops the lock when that session ends, so a killed leader's lock is
free as soon as its TCP connection closes (TCP keepalives catch a machine that vanished). The
key is derived from the current schema, so databases sharing a server (or tests sharing a
database in separate schemas) each get their own leader.

SQLite: an exclusive `fcntl.flock` on `<database file>.scheduler.lock`; the kernel releases it
when the process dies. A lock file only works between processes on one machine, as SQLite does.

A standby polls `acquire()` until it wins. It does not work through PgBouncer in transaction
pooling mode (the session, and so the lock, is not ours).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from storage.db import is_sqlite, sqlite_file

LOCK_NAME = "policywatch scheduler"


class LeaderLock:
    def acquire(self) -> bool:
        raise NotImplementedError

    def alive(self) -> bool:
        """Still the leader (the lock's connection still answers)."""
        return True

    def holder(self) -> str:
        """Who holds the lock, if known (for logs)."""
        return ""

    def release(self) -> None:
        raise NotImplementedError

    def probe(self) -> bool:
        """Is some process leading right now? (take and drop the lock at once; for `status`)"""
        try:
            return not self.acquire()
        finally:
            self.release()  # also closes the connection a PostgreSQL probe opened


class FileLock(LeaderLock):
    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        try:
            return f"pid {self.path.read_text().strip()}"
        except OSError:
            return ""

    def release(self) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class PgAdvisoryLock(LeaderLock):
    def __init__(self, url: URL):
        self.url = url
        self._conn: Any = None

    def _connect(self) -> Any:
        import psycopg

        args = self.url.translate_connect_args(username="user", database="dbname")
        args.update({k: v for k, v in self.url.query.items() if isinstance(v, str)})
        # a dead peer is noticed within ~30 s instead of the kernel's two hours
        args.update(connect_timeout=5, keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
        args.setdefault("application_name", "policywatch run")
        return psycopg.connect(autocommit=True, **args)

    def acquire(self) -> bool:
        if self._conn is None:
            self._conn = self._connect()
        row = self._conn.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s || current_schema()))", (LOCK_NAME,)
        ).fetchone()
        return bool(row and row[0])

    def alive(self) -> bool:
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception:
            return False

    def holder(self) -> str:
        try:
            row = self._conn.execute(
                "SELECT l.pid, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = "
                "(hashtext(%s || current_schema()))::oid AND l.database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
                (LOCK_NAME,),
            ).fetchone()
        except Exception:
            return ""
        return f"backend pid {row[0]} from {row[1] or 'local socket'}" if row else ""

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()  # ends the session: the lock goes with it
            finally:
                self._conn = None


def for_database(url: URL) -> LeaderLock:
    if is_sqlite(url):
        path = sqlite_file(url)
        if path is None:
            raise ValueError("a memory SQLite database cannot be shared with a scheduler")
        return FileLock(path.with_name(path.name + ".scheduler.lock"))
    return PgAdvisoryLock(url)
