"""Subscriptions: parse and validate `[[subscriptions]]`, keep the subscription table in step.

The table is what the recording transaction reads (notifications/outbox.py), so the config file is
mirrored into it: `sync` adds and updates rows declared in the file (origin "config") and
deactivates those no longer declared; rows added with `policywatch subscribers add` (origin
"cli") are left alone. A name is unique across both.

```toml
[[subscriptions]]
name = "fgw-office"                      # letters, digits, '_', '-', '.'
email = ["policy@fgw.example.gov.cn"]    # one address or a list
cadence = "daily 08:00"                  # immediate | daily HH:MM | weekly mon HH:MM
sites = ["zhaoqing"]                     # optional filters, empty means any
publishers = ["市人民政府办公室"]
doc_kinds = ["notice", "plan"]
keywords = ["孵化器", "科技园"]
kinds = ["added", "modified", "removed"]  # default: everything but cosmetic
impact = false                           # no 上位文件变化 section (default: on)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.cadence import Cadence
from notifications.filters import FILTER_KEYS, Filters, check_values
from storage.models import Subscription, utcnow

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
KEYS = {"name", "email", "cadence", "active", "impact", *FILTER_KEYS}
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


@dataclass(frozen=True)
class SubscriptionSpec:
    name: str
    addresses: tuple[str, ...]
    filters: Filters = field(default_factory=Filters)
    cadence: Cadence = field(default_factory=lambda: Cadence("immediate"))
    active: bool = True
    impact: bool = True  # the 上位文件变化 section (notifications/impact.py); `impact = false` opts out


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"name must be letters, digits, '_', '-' or '.' (got {name!r})")
    return name


def check_addresses(value: Any) -> tuple[str, ...]:
    """One address or a list; bare addresses only (a display name could smuggle header text)."""
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not values:
        raise ValueError("must be an email address or a non-empty list of them")
    out = []
    for v in values:
        if not isinstance(v, str) or not EMAIL_RE.match(v.strip()) or parseaddr(v.strip())[1] != v.strip():
            raise ValueError(f"{v!r} is not an email address")
        if v.strip() not in out:
            out.append(v.strip())
    return tuple(out)


def spec_from_options(name: Any, raw: Mapping[str, Any]) -> SubscriptionSpec:
    """Build a spec from config keys or CLI options; raises KeyError-free ValueError('KEY: why')."""

    def wrap(key: str, fn, value):
        try:
            return fn(value)
        except ValueError as e:
            raise ValueError(f"{key}: {e}") from None

    wrap("name", check_name, name)
    if "email" not in raw:
        raise ValueError("email: is required (an address or a list)")
    addresses = wrap("email", check_addresses, raw["email"])
    lists = {}
    for key in FILTER_KEYS:
        if key in raw and raw[key] is not None:
            lists[key] = tuple(wrap(key, lambda v, k=key: check_values(k, v), raw[key]))
    cadence = wrap("cadence", Cadence.parse, raw.get("cadence", "immediate"))
    active = raw.get("active", True)
    if not isinstance(active, bool):
        raise ValueError("active: must be true or false")
    impact = raw.get("impact", True)
    if not isinstance(impact, bool):
        raise ValueError("impact: must be true or false")
    return SubscriptionSpec(name, addresses, Filters(**lists), cadence, active, impact)


def parse_subscriptions(raw: Any, where: str) -> list[SubscriptionSpec]:
    """`[[subscriptions]]` from the config; errors read `FILE: subscription 'NAME': KEY: why`."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError(f"{where}: subscriptions must be an array of tables ([[subscriptions]])")
    specs: list[SubscriptionSpec] = []
    for i, table in enumerate(raw, 1):
        if not isinstance(table, dict):
            raise ValueError(f"{where}: subscription #{i}: must be a table")
        name = table.get("name")
        label = (
            f"{where}: subscription {name!r}"
            if isinstance(name, str) and name
            else f"{where}: subscription #{i}"
        )
        unknown = sorted(set(table) - KEYS)
        if unknown:
            raise ValueError(f"{label}: {unknown[0]}: unknown key (known: {', '.join(sorted(KEYS))})")
        try:
            spec = spec_from_options(name, table)
        except ValueError as e:
            raise ValueError(f"{label}: {e}") from None
        if any(s.name == spec.name for s in specs):
            raise ValueError(f"{label}: name: is used twice")
        specs.append(spec)
    return specs


def _apply(row: Subscription, spec: SubscriptionSpec) -> bool:
    values = {
        "email": spec.addresses[0],
        "addresses": list(spec.addresses),
        "filters": spec.filters.to_json(),
        "cadence": str(spec.cadence),
        "active": spec.active,
        "impact": spec.impact,
    }
    changed = False
    for key, value in values.items():
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed = True
    if changed:
        row.updated_at = utcnow()
    return changed


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)


def sync(session: Session, specs: Iterable[SubscriptionSpec]) -> SyncReport:
    """Mirror the config's subscriptions into the table (in the caller's transaction)."""
    report = SyncReport()
    rows = {r.name: r for r in session.scalars(select(Subscription))}
    declared = set()
    for spec in specs:
        declared.add(spec.name)
        row = rows.get(spec.name)
        if row is None:
            row = Subscription(name=spec.name, origin="config", created_at=utcnow())
            _apply(row, spec)
            session.add(row)
            report.added.append(spec.name)
            continue
        if row.origin != "config":
            raise ValueError(
                f"subscription {spec.name!r}: name: already added with `policywatch subscribers add`; "
                "remove it there or rename one"
            )
        if _apply(row, spec):
            report.updated.append(spec.name)
    for name, row in rows.items():
        if row.origin == "config" and name not in declared and row.active:
            row.active, row.updated_at = False, utcnow()
            report.deactivated.append(name)
    session.flush()
    return report


def add(session: Session, spec: SubscriptionSpec) -> Subscription:
    """`subscribers add`: a new row owned by the CLI; a name in use is an error."""
    if session.scalar(select(Subscription).where(Subscription.name == spec.name)) is not None:
        raise ValueError(f"subscription {spec.name!r} already exists")
    row = Subscription(name=spec.name, origin="cli", created_at=utcnow())
    _apply(row, spec)
    session.add(row)
    session.flush()
    return row


def get(session: Session, name: str) -> Subscription:
    row = session.scalar(select(Subscription).where(Subscription.name == name))
    if row is None:
        known = ", ".join(session.scalars(select(Subscription.name).order_by(Subscription.name))) or "none"
        raise LookupError(f"no subscription named {name!r} (subscriptions: {known})")
    return row


def remove(session: Session, name: str, *, config_path: str = "policywatch.toml") -> Subscription:
    """Deactivate (history and queued digests keep their subscription). Config rows live in the file."""
    row = get(session, name)
    if row.origin == "config" and row.active:
        raise ValueError(f"subscription {name!r} is declared in {config_path}; remove it there")
    row.active, row.updated_at = False, utcnow()
    return row


def addresses(row: Subscription) -> list[str]:
    return list(row.addresses or [row.email])
