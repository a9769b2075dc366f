"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is the server at 127.0.0.1:5432 (database `test`, trust auth), or
$POLICYWATCH_TEST_PG. Each test gets its own schema, named after this run, dropped afterwards,
so parallel runs and leftovers never meet. Without a server the PostgreSQL half is skipped
with the reason.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

DATA = Path(__file__).resolve().parent / "data"
PG_URL = os.environ.get("POLICYWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = f"pwtest_{os.getpid()}_{secrets.token_hex(3)}"

_pg_state: dict[str, str | None] = {}


def _pg_unavailable() -> str | None:
    """None when the server answers, else why not (cached for the run)."""
    if "reason" not in _pg_state:
        try:
            import psycopg

            with psycopg.connect(
                PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3
            ) as conn:
                conn.execute("select 1")
            _pg_state["reason"] = None
        except Exception as e:  # any failure means: no server to test against
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            _pg_state["reason"] = f"PostgreSQL not reachable at {PG_URL}: {first}"
    return _pg_state["reason"]


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute(sql)


def _schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"


_counter = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A URL to an empty database (no schema yet), SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'policywatch.db'}"
        return
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    name = re.sub(r"\W", "_", request.node.name)[:20].lower()
    schema = f"{RUN_ID}_{next(_counter)}_{name}"
    _pg_exec(f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(schema)
    finally:
        _pg_exec(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def db(db_url):
    """A migrated database (storage.db.Database)."""
    from storage import migrate
    from storage.db import connect

    database = connect(db_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def pairs_dir() -> Path:
    return DATA / "pairs"


@pytest.fixture
def corpus_dir() -> Path:
    return DATA / "corpus"
