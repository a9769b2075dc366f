"""storage.db_file resolves the default SQLite URL without SQLAlchemy, exactly as storage.db does."""

from __future__ import annotations

import subprocess
import sys

import pytest

from storage.db import resolve_url
from storage.db_file import plain_sqlite_url

VALUES = [
    "policywatch.db", "data/pw.db", "./x.db", "~/pw.db", "/abs/path/pw.db", "目录 with space/政策.db",
    "sqlite:///rel.db", "sqlite:////abs/pw.db", "sqlite:///~/pw.db", "sqlite:///目录/政策.db",
]  # fmt: skip
NOT_PLAIN = [
    "sqlite://", "sqlite:///:memory:", "sqlite:///file:pw.db?mode=ro&uri=true", "sqlite:///pw.db?timeout=5",
    "sqlite:///pw%20x.db", "postgresql://postgres@127.0.0.1/test", "sqlite+pysqlite:///pw.db", "mysql://x/y",
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES)
def test_a_plain_sqlite_file_renders_as_storage_db_renders_it(value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert plain_sqlite_url(value) == resolve_url(value).render_as_string(hide_password=False)


@pytest.mark.parametrize("value", NOT_PLAIN)
def test_anything_else_is_left_to_sqlalchemy(value):
    assert plain_sqlite_url(value) is None


def test_the_default_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLICYWATCH_DATABASE_URL", raising=False)
    assert plain_sqlite_url(None) == resolve_url(None).render_as_string() == f"sqlite:///{tmp_path}/policywatch.db"
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", "sqlite:///env.db")
    assert plain_sqlite_url(None) == f"sqlite:///{tmp_path}/env.db"


def test_the_crawl_command_starts_without_sqlalchemy(tmp_path):
    """Resolving the default database URL imports nothing of SQLAlchemy (the recheck's start)."""
    code = (
        "import sys; from policywatch.commands.db import database_url; database_url(None, 'pw.db'); "
        "print([m for m in sys.modules if m.startswith('sqlalchemy')])"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
