"""storage.migrate's fast schema check: HEAD is the scripts' head, and only HEAD passes without Alembic."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import migrate
from storage.db import DatabaseError, connect

VERSIONS = Path(migrate.__file__).resolve().parent / "migrations" / "versions"


def _script_head() -> str:
    """The revision no script names as its down_revision, read from the scripts' text."""
    revisions, downs = set(), set()
    for script in VERSIONS.glob("*.py"):
        source = script.read_text(encoding="utf-8")
        if m := re.search(r'^revision\s*=\s*"([^"]+)"', source, re.M):
            revisions.add(m.group(1))
        if m := re.search(r'^down_revision\s*=\s*"([^"]+)"', source, re.M):
            downs.add(m.group(1))
    heads = revisions - downs
    assert len(heads) == 1, heads
    return heads.pop()


def test_head_constant_is_the_newest_migration():
    assert migrate.HEAD == _script_head() == migrate.head()


def test_an_up_to_date_database_is_checked_without_importing_alembic(tmp_path):
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    db = connect(url)
    try:
        migrate.require(db, create=True)
    finally:
        db.dispose()
    code = (
        "import sys; from storage import migrate; from storage.db import connect; "
        f"migrate.require(connect({url!r})); print('alembic' in sys.modules)"
    )
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True)
    assert out.stdout.strip() == "False"


def test_a_database_at_another_revision_still_gets_the_full_check(tmp_path):
    path = tmp_path / "pw.db"
    db = connect(f"sqlite:///{path}")
    try:
        migrate.require(db, create=True)
    finally:
        db.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    db = connect(f"sqlite:///{path}")
    try:
        with pytest.raises(DatabaseError, match="newer than this policywatch"):
            migrate.require(db, create=True)
    finally:
        db.dispose()
