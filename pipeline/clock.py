"""Times as a person reads them: in the configured zone, not the database's UTC.

Storage keeps naive UTC datetimes (storage/model_base.py says why); everything shown to a person
(digest, web UI, feeds' human text, CLI tables) goes through `local` so it reads in the zone of
the config (`[ui] timezone`, else `[digest] timezone`, else DEFAULT_ZONE).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(dt: datetime | None, zone: str = DEFAULT_ZONE) -> datetime | None:
    """`dt` in `zone`; a naive `dt` is UTC (the database's convention)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(_zone(zone))


def local_text(dt: datetime | None, zone: str = DEFAULT_ZONE, *, seconds: bool = False) -> str:
    """"2026-12-01 22:05" in `zone` ("" for None): the form every person-facing time takes."""
    t = local(dt, zone)
    if t is None:
        return ""
    return t.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
