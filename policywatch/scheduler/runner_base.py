"""What every runner shares: the SiteRun it returns, the Runner interface, where a config's
crawl state lives, and the site's own [[sites]] table as the operator wrote it."""

from __future__ import annotations

import json
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from policywatch.scheduler.settings import CrawlSettings


SLOT_TAKEN_MARK = "'finish_reason': 'slot_taken'"  # Scrapy's stats dump of a crawl that lost the slot


@dataclass
class SiteRun:
    site: str
    status: str  # ok | failed | crashed | timeout | stopped | skipped | detached
    pages: int = 0
    changed: int = 0
    errors: int = 0
    outcomes: dict[str, int] | None = None
    not_modified: int = 0
    seconds: float = 0.0
    log: Path | str | None = None
    run_id: int | None = None
    where: str = "local"
    reason: str = ""


def state_dir(config_path: Path) -> Path:
    """Where a config's HTTP cache and crawl logs live: next to the config file."""
    return config_path.parent / ".policywatch"


class Runner:
    """One crawl of one site per `run()`; safe to call from several threads at once."""

    name: ClassVar[str] = ""

    def __init__(self, crawl: CrawlSettings, config_path: Path, db_url: str):
        self.crawl = crawl
        self.config_path = config_path
        self.db_url = db_url
        self.stopping = threading.Event()

    def check(self) -> list[str]:
        """Start-up probe: warnings to print (one line each); raise UsageError if it cannot work."""
        return []

    def run(self, site: str, slot: str, *, timeout: float | None = None) -> SiteRun:
        raise NotImplementedError

    def stop(self, grace: float) -> None:
        """The daemon is stopping: running crawls are stopped (or left to finish) and recorded."""
        self.stopping.set()



def site_table(config_path: Path, site: str) -> dict[str, Any]:
    """The raw [[sites]] table of one site, as the operator wrote it."""
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    for raw in data.get("sites", []):
        if raw.get("name") == site:
            return raw
    raise KeyError(site)


def site_extensions(config_path: Path, site: str) -> dict[str, Any]:
    try:
        settings = site_table(config_path, site).get("settings") or {}
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return {}  # the crawl itself reports a config it cannot read
    value = settings.get("EXTENSIONS") or {}
    return json.loads(value) if isinstance(value, str) else dict(value)
