"""The database's settings that are needed before SQLAlchemy is: the URL of a plain SQLite file
as text, the environment variable, the busy timeout; and an error's one line for a reason.

A recheck that every page answers 304 is over in a few tenths of a second; SQLAlchemy's
imports alone are 0.3-0.4 s of them. The CLI resolves the URL before anything else, so for the
default, a SQLite file, it is resolved here; a recheck that is all 304s then records its run
through the DB-API driver (storage.revalidation) and never loads SQLAlchemy. Every other URL
goes through storage.db.resolve_url.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote, unquote

ENV_VAR = "POLICYWATCH_DATABASE_URL"
DEFAULT_FILE = "policywatch.db"
BUSY_TIMEOUT_S = 60  # a writer waits this long for another writer before giving up


def plain_sqlite_url(value: str | None = None) -> str | None:
    """What storage.db.resolve_url(value) renders, for a path or a `sqlite:///path` URL with no
    query; None for anything else (memory, `file:` URIs, other backends), which needs SQLAlchemy."""
    raw = value or os.environ.get(ENV_VAR) or DEFAULT_FILE
    if "://" not in raw:
        path = raw
    elif raw.startswith("sqlite:///") and not any(c in raw for c in "?#%"):
        path = raw[len("sqlite:///") :]
        if not path or path == ":memory:" or path.startswith("file:"):
            return None
    else:
        return None
    return "sqlite:///" + quote(str(Path(path).expanduser().resolve()), safe=" +/")  # as URL.render_as_string


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL as plain_sqlite_url renders it (no query, percent-quoted),
    for the DB-API driver; None for any other URL."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme not in ("sqlite", "sqlite+pysqlite") or not rest or any(c in rest for c in "?#"):
        return None
    return Path(unquote(rest))


def first_line(error: BaseException | None) -> str:
    """An error's first line, for a one-line reason: its type's name when it says nothing."""
    msg = str(error or "").strip().splitlines()
    return msg[0] if msg else type(error).__name__
