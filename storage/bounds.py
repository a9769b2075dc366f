"""The whole numbers a column can hold, per backend: an id or version beyond them names no row.

Ids and version numbers reach queries from URLs and the command line. A number the column
cannot hold is not "no such row" to the driver but an error (PostgreSQL `integer out of
range` for int4 columns past 2^31 - 1; SQLite and psycopg overflow past 2^63 - 1), so every
lookup by a number a person typed asks `fits` first and answers "no such row" itself.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, Integer, SmallInteger
from sqlalchemy.orm import InstrumentedAttribute, Session

_BITS = {SmallInteger: 16, BigInteger: 64, Integer: 32}  # PostgreSQL's int2, int8, int4


def int_range(column: ColumnElement | InstrumentedAttribute, dialect: str) -> tuple[int, int]:
    """(lowest, highest) value of an integer column on `dialect` ("sqlite", "postgresql")."""
    kind = column.type
    if not isinstance(kind, Integer):
        raise TypeError(f"{column}: not an integer column")
    # SQLite stores every INTEGER (and the rowid behind an INTEGER PRIMARY KEY) in 8 bytes.
    bits = 64 if dialect == "sqlite" else next(b for t, b in _BITS.items() if isinstance(kind, t))
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def fits(session: Session, column: ColumnElement | InstrumentedAttribute, value: int) -> bool:
    """Whether `value` can be stored in `column` of the database behind `session`."""
    lo, hi = int_range(column, session.get_bind().dialect.name)
    return lo <= value <= hi


def row_id(session: Session, column: ColumnElement | InstrumentedAttribute, raw: str | int) -> int | None:
    """The number a person gave for `column` if it can name a row, else None.

    ASCII digits only ("１２" and "²" are no ids); a number the column cannot hold is None
    (no such row) before any SQL runs, and very long digit strings never reach int().
    """
    if isinstance(raw, int):
        return raw if fits(session, column, raw) else None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    _, hi = int_range(column, session.get_bind().dialect.name)
    if len(raw.lstrip("0")) > len(str(hi)):
        return None
    value = int(raw)
    return value if value <= hi else None
