"""Checks the config's tables share ([[sites]], [crawl] settings, [scheduler] jobs and digests).

One wording for one mistake, whichever table it is made in; `error(why)` builds the caller's
UsageError, which names the file, the table and the key. Each check asks the library that will
read the value (Scrapy, APScheduler), so what loads is what runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from policywatch.errors import UsageError


def check_scrapy_settings(value: Any, error: Callable[[str], UsageError]) -> dict[str, Any]:
    """Setting names, and values of the type Scrapy will read them as.

    The type is the one of the setting's default (Scrapy's, then crawler/settings.py): a crawl
    that reads `DOWNLOAD_DELAY = "fast"` with getfloat dies after start-up, so it is refused at
    load. A setting without a default (an extension's own) is passed on as it is.
    """
    if not isinstance(value, dict) or not all(re.match(r"^[A-Z][A-Z0-9_]*$", k) for k in value):
        raise error("must be a table of Scrapy setting names (UPPER_CASE) to values")
    if not value:
        return {}
    defaults = _scrapy_defaults()  # imports Scrapy: only when there is something to check
    for key, v in value.items():
        why = _setting_type_error(defaults, key, v)
        if why:
            raise error(f"{key} = {v!r}: {why}")
    return dict(value)


def _scrapy_defaults() -> Any:
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def _setting_type_error(defaults: Any, key: str, value: Any) -> str | None:
    """Why Scrapy could not read `value` where `key`'s default is, or None."""
    from scrapy.settings import BaseSettings, Settings

    default = defaults.get(key)
    if default is None:
        return None
    probe = Settings({key: value})
    try:
        if isinstance(default, bool):
            if isinstance(value, int | float) and not isinstance(value, bool):
                raise ValueError
            probe.getbool(key)
            return None
        if isinstance(default, int | float):
            if isinstance(value, bool):
                raise ValueError
            probe.getfloat(key)
            return None
        if isinstance(default, dict | BaseSettings):
            probe.getdict(key)
            return None
        if isinstance(default, list | tuple):
            if not isinstance(value, list | str):
                raise ValueError
            return None
        if isinstance(default, str) and not isinstance(value, str):
            raise ValueError
    except (TypeError, ValueError):
        kind = {bool: "true or false", int: "a number", float: "a number", str: "a string"}.get(type(default))
        if isinstance(default, dict | BaseSettings):
            kind = "a table"
        elif isinstance(default, list | tuple):
            kind = "a list"
        return f"must be {kind or type(default).__name__} (default {_shown(default)})"
    return None


def _shown(default: Any) -> str:
    from scrapy.settings import BaseSettings

    if isinstance(default, BaseSettings):
        return "{...}"
    if isinstance(default, bool):
        return "true" if default else "false"
    return repr(default)


def check_cron(value: Any, error: Callable[[str], UsageError], tz: str | None = None) -> str:
    """A five-field crontab that APScheduler accepts (it is what will run it) and that fires."""
    from datetime import UTC, datetime

    from apscheduler.triggers.cron import CronTrigger

    if not isinstance(value, str) or len(value.split()) != 5:
        raise error(f"{value!r} is not a five-field cron expression")
    try:
        trigger = CronTrigger.from_crontab(value, timezone=tz or "UTC")
    except ValueError as e:
        raise error(f"{value!r} is not a valid cron expression ({e})") from None
    if trigger.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise error(f"{value!r} never fires (no such date comes round)")
    return value


def check_interval(seconds: float, error: Callable[[str], UsageError]) -> float:
    """A period APScheduler can schedule: its first run must be a date (before the year 10000)."""
    from datetime import UTC, datetime

    from apscheduler.triggers.interval import IntervalTrigger

    try:
        IntervalTrigger(seconds=seconds, timezone=UTC).get_next_fire_time(None, datetime.now(UTC))
    except (OverflowError, ValueError):
        raise error("too long a period (the first run would fall after the year 9999)") from None
    return seconds
