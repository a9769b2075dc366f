"""Subscriptions: keep the subscription table in step with `[[subscriptions]]`.

The config's entries are parsed and checked in notifications.subscription_spec. The table is
what the recording transaction reads (notifications/outbox.py), so the config file is mirrored
into it: `sync` adds and updates rows declared in the file (origin "config") and
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

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.subscription_spec import SubscriptionSpec
from storage.models import Subscription, utcnow


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
