"""A Scrapy extension that reports a crawl's counts while it runs, for `policywatch crawl`.

With POLICYWATCH_PROGRESS_FILE set, every POLICYWATCH_PROGRESS_INTERVAL seconds (and once more
when the spider closes) the file is replaced by one JSON object:

    {"fetched": 12, "queued": 3, "new_versions": 2, "errors": 0, "not_modified": 5,
     "done": false, "finish_reason": null}

fetched: responses received (a 304 too); queued: requests waiting in the scheduler or in the
downloader (its per-site delay included); new_versions: pages recorded as a new document or a
changed one; errors: failed list or detail pages and pages not recorded (the run row's `errors`).

The file is written whole and renamed over the old one, so a reader never sees half of it. A
structured file and not the LogStats lines of the log: their wording is Scrapy's prose and
changes between versions, and they carry neither the queue nor policywatch's own counts.
Without the setting the extension is not loaded (NotConfigured): scheduled crawls pay nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

ERROR_STATS = ("policywatch/list_errors", "policywatch/detail_errors", "policywatch/write_errors")
NEW_VERSION_STATS = ("policywatch/recorded/new", "policywatch/recorded/changed")


class CrawlProgress:
    def __init__(self, crawler: Any, path: Path, interval: float):
        self.crawler = crawler
        self.path = path
        self.interval = interval
        self.task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> CrawlProgress:
        path = crawler.settings.get("POLICYWATCH_PROGRESS_FILE")
        if not path:
            raise NotConfigured("POLICYWATCH_PROGRESS_FILE is not set")
        interval = crawler.settings.getfloat("POLICYWATCH_PROGRESS_INTERVAL")
        ext = cls(crawler, Path(path), max(interval, 0.05))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        from twisted.internet.task import LoopingCall

        self.task = LoopingCall(self.write)
        self.task.start(self.interval, now=True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.write(done=True, reason=reason)

    def snapshot(self) -> dict[str, Any]:
        stats = self.crawler.stats

        def count(*keys: str) -> int:
            return sum(int(stats.get_value(k, 0) or 0) for k in keys)

        engine = getattr(self.crawler, "engine", None)
        downloader = getattr(engine, "downloader", None)
        in_downloader = len(getattr(downloader, "active", ()))
        waiting = max(0, count("scheduler/enqueued") - count("scheduler/dequeued"))
        return {
            "fetched": count("response_received_count"),
            "queued": waiting + in_downloader,
            "new_versions": count(*NEW_VERSION_STATS),
            "errors": count(*ERROR_STATS),
            "not_modified": count("policywatch/not_modified"),
        }

    def write(self, *, done: bool = False, reason: str | None = None) -> None:
        data = {**self.snapshot(), "done": done, "finish_reason": reason}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(data), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # progress is a courtesy: a full disk must not stop the crawl
            pass
