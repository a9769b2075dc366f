"""What the daemon lends its running jobs: a module of its own, so that the jobs and the
daemon's start-up checks read it without importing the daemon that schedules them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policywatch.config import Config
from policywatch.scheduler.runners import Runner
from policywatch.scheduler.settings import DaemonSettings


@dataclass
class Context:
    """What a running job borrows from the daemon (see jobs.set_context)."""

    config: Config
    settings: DaemonSettings
    db_url: str
    runner: Runner
    alerts: Any = None
    notify: Any = None  # notifications.settings.NotifySettings
    stopping: threading.Event = field(default_factory=threading.Event)
    refresh: Callable[[], None] = lambda: None  # apply an edited config file before a crawl
