"""The notification tables of policywatch.toml in one object: `[[subscriptions]]`, `[smtp]`, `[digest]`.

policywatch.config keeps these tables raw (Config.tables) so that their rules live here, beside
the code that uses them. Every error is a ValueError whose message names the file and the key.

```toml
[digest]
timezone = "Asia/Shanghai"       # wall clock of daily/weekly cadences
subject_prefix = "[policywatch]"
max_attempts = 8                 # transient failures before a digest is dead-lettered
retry_seconds = 60               # first retry delay; doubles per attempt, with jitter
retry_max_seconds = 3600
claim_timeout_minutes = 15       # a claim older than this (another host's crashed sender) is taken over

[web]
base_url = "https://policywatch.example.gov.cn/pw"   # where `policywatch serve` is reached: the digest
                                                     # links every change to its diff page there
```

The digest's language and its catalogue come from the caller (policywatch: `--lang`, `[ui]
language`), not from a table here: notifications/ does not know where the catalogue lives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifications.cadence import DEFAULT_TZ
from notifications.smtp import SmtpConfigError, SmtpSettings
from notifications.subscription_spec import SubscriptionSpec, parse_subscriptions

DIGEST_KEYS = {
    "timezone",
    "expiry_days",
    "subject_prefix",
    "max_attempts",
    "retry_seconds",
    "retry_max_seconds",
    "claim_timeout_minutes",
}


@dataclass(frozen=True)
class DigestSettings:
    timezone: str = DEFAULT_TZ
    subject_prefix: str = "[policywatch]"
    max_attempts: int = 8
    retry_seconds: float = 60.0
    retry_max_seconds: float = 3600.0
    claim_timeout_minutes: float = 15.0
    expiry_days: int = 30  # 即将到期 notices this many days before the last day (notifications/expiry.py)
    base_url: str = ""  # [web] base_url, no trailing slash: "" means no links to the web UI
    language: str = "en"  # the catalogue's language code of `translations` ("zh_CN" or "en")
    # a gettext/ngettext object (babel Translations) from the caller; None: the msgids (English)
    translations: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_config(cls, table: Mapping[str, Any] | None, where: str = "policywatch.toml") -> DigestSettings:
        table = dict(table or {})
        unknown = sorted(set(table) - DIGEST_KEYS)
        if unknown:
            raise ValueError(
                f"{where}: digest: {unknown[0]}: unknown key (known: {', '.join(sorted(DIGEST_KEYS))})"
            )
        values: dict[str, Any] = {}
        if "timezone" in table:
            try:
                ZoneInfo(str(table["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"{where}: digest: timezone: {table['timezone']!r} is not a time zone"
                ) from None
            values["timezone"] = table["timezone"]
        if "subject_prefix" in table:
            prefix = table["subject_prefix"]
            if not isinstance(prefix, str) or "\n" in prefix or "\r" in prefix:
                raise ValueError(f"{where}: digest: subject_prefix: must be a one-line string")
            values["subject_prefix"] = prefix
        for key in ("max_attempts", "retry_seconds", "retry_max_seconds", "claim_timeout_minutes", "expiry_days"):
            if key in table:
                v = table[key]
                if not isinstance(v, int | float) or isinstance(v, bool) or v <= 0:
                    raise ValueError(f"{where}: digest: {key}: must be a positive number")
                values[key] = int(v) if key in ("max_attempts", "expiry_days") else float(v)
        return cls(**values)


@dataclass(frozen=True)
class NotifySettings:
    subscriptions: list[SubscriptionSpec] = field(default_factory=list)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    where: str = "policywatch.toml"
    # [[sites]] name -> its `title` (or None), mirrored into the site table with the subscriptions
    site_titles: Mapping[str, str | None] = field(default_factory=dict)

    @classmethod
    def from_tables(
        cls,
        tables: Mapping[str, Any] | None,
        where: str = "policywatch.toml",
        env: Mapping[str, str] | None = None,
        sites: Iterable[str] | None = None,
        site_titles: Mapping[str, str | None] | None = None,
    ) -> NotifySettings:
        """Parse the three tables (Config.tables); ValueError names the file and the key.

        `sites`: the config's [[sites]] names; a subscription filtering on another name would
        never match anything, so it is refused here rather than staying silent for ever."""
        tables = tables or {}
        for key in ("smtp", "digest"):
            if key in tables and not isinstance(tables[key], dict):
                raise ValueError(f"{where}: [{key}] must be a table")
        try:
            smtp = SmtpSettings.from_config(tables.get("smtp"), where=where, env=env)
        except SmtpConfigError as e:
            raise ValueError(str(e)) from None
        subscriptions = parse_subscriptions(tables.get("subscriptions"), where)
        digest = DigestSettings.from_config(tables.get("digest"), where)
        base = web_base_url(tables.get("web"), where)
        if base:
            digest = replace(digest, base_url=base)
        if sites is not None:
            check_sites(subscriptions, set(sites), where)
        return cls(
            subscriptions=subscriptions,
            smtp=smtp,
            digest=digest,
            where=where,
            site_titles=dict(site_titles or {}),
        )


def check_sites(subscriptions: Iterable[SubscriptionSpec], known: set[str], where: str) -> None:
    for spec in subscriptions:
        for name in spec.filters.sites:
            if name not in known:
                sites = ", ".join(sorted(known)) or "none"
                raise ValueError(f"{where}: subscription {spec.name!r}: sites: no site named {name!r} (sites: {sites})")


WEB_KEYS = {"base_url"}


def web_base_url(table: Any, where: str = "policywatch.toml") -> str:
    """`[web] base_url`, checked: an absolute http(s) URL with a host and no query or fragment
    (links are built by appending /documents/N to it); returned without its trailing slash."""
    if table is None:
        return ""
    if not isinstance(table, dict):
        raise ValueError(f"{where}: [web] must be a table")
    unknown = sorted(set(table) - WEB_KEYS)
    if unknown:
        raise ValueError(f"{where}: web: {unknown[0]}: unknown key (known: {', '.join(sorted(WEB_KEYS))})")
    raw = table.get("base_url")
    if raw is None:
        return ""
    bad = f"{where}: web: base_url: {raw!r} is not an http(s) URL with a host and no query"
    if not isinstance(raw, str) or any(ch.isspace() or ord(ch) < 32 for ch in raw):
        raise ValueError(bad)
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(bad)
    return raw.rstrip("/")
