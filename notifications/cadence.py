"""When a subscription's digest is due: immediately, daily at HH:MM, or weekly on a day at HH:MM.

Times are wall-clock in the digest time zone ([digest] timezone, default Asia/Shanghai: the
offices read mail on Beijing time); the database keeps naive UTC, so slots are converted.

Due-ness needs no "last sent" bookkeeping: a digest is due when some pending change was queued
at or before the latest slot. A change queued at 11:00 waits for tomorrow's 08:00 digest even
if nothing was sent at today's 08:00, and a sender that was down at 08:00 catches up on its
next run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RE = re.compile(r"^(immediate|daily (\d{1,2}):(\d{2})|weekly (\w{3})\w* (\d{1,2}):(\d{2}))$")


@dataclass(frozen=True)
class Cadence:
    kind: str  # immediate | daily | weekly
    hour: int = 0
    minute: int = 0
    weekday: int = 0  # 0 = Monday

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """ "immediate", "daily 08:00" or "weekly mon 08:00"; raises ValueError with the accepted forms."""
        m = _RE.match(" ".join(str(text).lower().split()))
        if not m:
            raise ValueError(f'{text!r} is not "immediate", "daily HH:MM" or "weekly DAY HH:MM"')
        if m.group(1) == "immediate":
            return cls("immediate")
        if m.group(2) is not None:
            kind, h, mi, day = "daily", int(m.group(2)), int(m.group(3)), 0
        else:
            if m.group(4) not in DAYS:
                raise ValueError(f"{text!r}: day must be one of {', '.join(DAYS)}")
            kind, h, mi, day = "weekly", int(m.group(5)), int(m.group(6)), DAYS.index(m.group(4))
        if h > 23 or mi > 59:
            raise ValueError(f"{text!r}: {h:02d}:{mi:02d} is not a time of day")
        return cls(kind, h, mi, day)

    def __str__(self) -> str:
        if self.kind == "immediate":
            return "immediate"
        at = f"{self.hour:02d}:{self.minute:02d}"
        return f"daily {at}" if self.kind == "daily" else f"weekly {DAYS[self.weekday]} {at}"

    def last_slot(self, now: datetime, tz: str = DEFAULT_TZ) -> datetime:
        """The latest scheduled time at or before `now` (both naive UTC); `now` itself if immediate."""
        if self.kind == "immediate":
            return now
        zone = ZoneInfo(tz)
        local = now.replace(tzinfo=UTC).astimezone(zone)
        slot = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        if self.kind == "weekly":
            slot -= timedelta(days=(slot.weekday() - self.weekday) % 7)
        step = timedelta(days=1 if self.kind == "daily" else 7)
        while slot > local:
            slot -= step
        return slot.astimezone(UTC).replace(tzinfo=None)

    def is_due(self, oldest_pending: datetime | None, now: datetime, tz: str = DEFAULT_TZ) -> bool:
        """True when a change queued at `oldest_pending` (naive UTC) should go out by `now`."""
        return oldest_pending is not None and oldest_pending <= self.last_slot(now, tz)
