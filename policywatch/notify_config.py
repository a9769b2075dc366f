"""The config's notification tables, checked against its sites, and mirrored into the database.

Every command that can lead to a recorded change (`run`, `crawl`, `db upgrade`) and every
digest/subscribers command syncs `[[subscriptions]]` into the subscription table first: the
recording transaction reads that table (notifications/outbox.py), so a subscription that is only in
the file queues nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from policywatch.errors import UsageError

if TYPE_CHECKING:
    from notifications.settings import NotifySettings
    from notifications.subscriptions import SyncReport
    from policywatch.config import Config

log = logging.getLogger("policywatch")


def optional_config(value: str | None) -> tuple[Config | None, str]:
    """(Config, its path) for commands that also work without one: a missing default
    ./policywatch.toml is fine; a missing --config or $POLICYWATCH_CONFIG file is an error."""
    from policywatch import config as cfgmod

    explicit = value or os.environ.get(cfgmod.ENV_VAR)
    path = cfgmod.config_path(value)
    cfg = cfgmod.load(path) if explicit or path.exists() else None
    return cfg, str(path)


def notify_settings(
    cfg: Config | None, where: str = "", env: Mapping[str, str] | None = None, lang: str | None = None
) -> NotifySettings:
    """[[subscriptions]], [smtp], [digest], [web] of `cfg` (none: defaults), with the digest in
    `lang` (`--lang`), else `[ui] language`, else zh_CN; UsageError names file and key."""
    from notifications.settings import NotifySettings

    tables: dict[str, Any] = cfg.tables if cfg is not None else {}
    sites = [s.name for s in cfg.sites] if cfg is not None else None
    titles = {s.name: s.title for s in cfg.sites} if cfg is not None else None
    try:
        notify = NotifySettings.from_tables(
            tables, str(cfg.path) if cfg else where, env=env, sites=sites, site_titles=titles
        )
    except ValueError as e:
        raise UsageError(str(e)) from None
    return localized(notify, lang, cfg.ui_language if cfg is not None else None)


def localized(notify: NotifySettings, lang: str | None = None, configured: str | None = None) -> NotifySettings:
    """`notify` with its digest in the language policywatch.i18n.pick chooses, and that
    language's catalogue: notifications/ takes both from here (it does not import policywatch)."""
    from dataclasses import replace

    from policywatch import i18n

    language = i18n.pick(lang, configured)
    digest = replace(notify.digest, language=language, translations=i18n.translations(language))
    return replace(notify, digest=digest)


def sync_config(db: Any, notify: NotifySettings) -> SyncReport:
    """Mirror the config into `db` in one transaction: its subscriptions, and a site row with its
    `title` for every [[sites]] entry. UsageError when a subscription name is taken by a
    `subscribers add` row."""
    from notifications.subscriptions import sync
    from storage.sites import sync_titles

    try:
        with db.writer() as session:
            report = sync(session, notify.subscriptions)
            titled = sync_titles(session, notify.site_titles)
    except ValueError as e:
        raise UsageError(f"{notify.where}: {e}") from None
    for verb, names in (("added", report.added), ("updated", report.updated), ("deactivated", report.deactivated)):
        if names:
            log.info("subscriptions %s from %s: %s", verb, notify.where, ", ".join(names))
    if titled:
        log.info("sites added or retitled from %s: %s", notify.where, ", ".join(titled))
    return report


def check_sync(db: Any, notify: NotifySettings) -> None:
    """What `sync_config` would refuse, found without writing (for `run --check`)."""
    from sqlalchemy import select

    from storage.models import Subscription

    names = [s.name for s in notify.subscriptions]
    if not names:
        return
    try:
        with db.reader() as session:
            taken = sorted(
                session.scalars(
                    select(Subscription.name).where(Subscription.name.in_(names), Subscription.origin != "config")
                )
            )
    except Exception:  # no schema yet: nothing can collide
        return
    if taken:
        raise UsageError(
            f"{notify.where}: subscription {taken[0]!r}: name: already added with `policywatch subscribers add`; "
            "remove it there or rename one"
        )
