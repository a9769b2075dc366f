"""`[[subscriptions]]` parsed and validated: SubscriptionSpec, what the config file declares.

No database here: reading a config (every `policywatch` command that loads one, `run --check`)
does not load SQLAlchemy for it. notifications.subscriptions keeps the table in step with these.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from notifications.cadence import Cadence
from notifications.filters import FILTER_KEYS, Filters, check_values

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
