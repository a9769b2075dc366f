"""Times on the web: for a person (pages, the feeds' human text) in the configured zone
(`create_app(zone=...)`, `[ui] timezone`), for a machine (API JSON, Atom <updated>) ISO 8601
with the UTC offset.

Storage answers with naive UTC text ("2026-12-01 16:30:00", storage.read.common.iso); this is
where it becomes one or the other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from pipeline.clock import DEFAULT_ZONE, local, local_text

ZONE_KEY = "POLICYWATCH_ZONE"  # app.config key of the zone times are shown in
# the keys of the API's answers that hold a stored time (storage.read.*)
TIME_KEYS = frozenset(
    {"detected_at", "first_seen", "last_seen", "withdrawn_at", "last_change", "started_at", "finished_at",
     "version_first_seen", "since"}
)


def zone() -> str:
    return current_app.config.get(ZONE_KEY, DEFAULT_ZONE)


def parse(value: Any) -> datetime | None:
    """A stored time (naive UTC, as text or a datetime), or None when `value` is not one."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or len(value) < 16:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def shown(value: Any, seconds: bool = False) -> str:
    """A stored time as a person reads it: "2026-12-02 00:30" in the configured zone."""
    when = parse(value)
    return local_text(when, zone(), seconds=seconds) if when is not None else str(value or "")


def shown_day(value: Any) -> str:
    """The day of a stored time in the configured zone (2026-12-01 16:30 UTC is 12-02 in Shanghai)."""
    when = local(parse(value), zone())
    return when.date().isoformat() if when is not None else str(value or "")[:10]


def machine(value: Any) -> Any:
    """A stored time as ISO 8601 with its offset ("2026-12-01T16:30:00+00:00"); anything else as is."""
    when = parse(value)
    if when is None:
        return value
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.isoformat(timespec="seconds")


def today_of(value: datetime | None) -> date | None:
    """The configured zone's day of a stored (naive UTC) time."""
    when = local(value, zone())
    return when.date() if when is not None else None


def day_start(day: date) -> datetime:
    """The start of a local day (in the configured zone) as a stored time: naive UTC
    (2026-12-02 in Asia/Shanghai starts at 2026-12-01 16:00 UTC)."""
    return stored(datetime.combine(day, time()))


def stored(wall: datetime) -> datetime:
    """A naive wall-clock time of the configured zone as storage keeps times: naive UTC."""
    return wall.replace(tzinfo=ZoneInfo(zone())).astimezone(UTC).replace(tzinfo=None)
