"""The whole config as the daemon needs it, checked at once, and noticed when its file changes.

`load_all` is what `run` (and `run --check`) refuses to start without: policywatch.toml's
sites and database, the daemon's tables ([crawl], [scheduler], [operator]) and the
notification tables ([[subscriptions]], [smtp], [digest]). A broken [smtp] or subscription is
refused here, before any job could raise on it; a login whose password is not in the
environment is only a warning (nothing may need to be sent).

`ConfigFile` tells the daemon when the file's content changed, so that edited subscriptions
reach the database before the next crawl records a change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.settings import NotifySettings
    from policywatch.config import Config
    from policywatch.scheduler.settings import DaemonSettings


@dataclass(frozen=True)
class Loaded:
    config: Config
    settings: DaemonSettings
    notify: NotifySettings
    warnings: tuple[str, ...] = ()


def load_all(value: str | Path | None) -> Loaded:
    """Every table of the config, checked; UsageError (one line, FILE: [table] KEY: why)."""
    from policywatch import config as cfgmod
    from policywatch.notify_config import notify_settings
    from policywatch.scheduler import settings

    cfg = cfgmod.load(value)
    daemon_settings = settings.parse(cfg)
    notify = notify_settings(cfg)
    warnings = []
    if notify.smtp.missing_password and (daemon_settings.operator.emails or notify.subscriptions):
        warnings.append(f"{cfg.path}: {notify.smtp.missing_password}: no digest or alert is sent until it is set")
    return Loaded(cfg, daemon_settings, notify, tuple(warnings))


class ConfigFile:
    """The content hash of the config file: `changed()` is true once per edit."""

    def __init__(self, path: Path):
        self.path = path
        self._digest = self._read()

    def _read(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None  # being replaced (editors write a new file and rename it): look again later

    def changed(self) -> bool:
        digest = self._read()
        if digest is None or digest == self._digest:
            return False
        self._digest = digest
        return True
