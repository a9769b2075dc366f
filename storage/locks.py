"""PostgreSQL advisory locks on the 文号 identities a write transaction may create documents for."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

IDENTITY_LOCKS = 0x5057  # the advisory-lock class of 文号 identities (the two-key space; the leader uses the one-key space)
_LOCK_IDENTITIES = text(
    "SELECT pg_advisory_xact_lock(:lock_class, h) FROM ("
    " SELECT DISTINCT hashtext(current_schema() || ':' || k) AS h FROM unnest(CAST(:keys AS text[])) AS k ORDER BY h"
    ") AS sorted"
)


def lock_identities(session: Session, keys: Iterable[str | None]) -> None:
    """PostgreSQL: hold the 文号 identities this transaction may create a document for, to commit.

    Two writers recording one republished document (same 文号 and publisher, two URLs) would
    each miss the other's uncommitted row and create it twice. identity_key cannot be unique
    (a document may gain its 文号 in a later version), so the writers queue on these locks
    instead; one sorted sweep per transaction, so two batches cannot deadlock on them. SQLite
    needs none: its writers take turns on the one write lock.
    """
    wanted = sorted({k for k in keys if k})
    if wanted and session.get_bind().dialect.name == "postgresql":
        session.execute(_LOCK_IDENTITIES, {"lock_class": IDENTITY_LOCKS, "keys": wanted})
