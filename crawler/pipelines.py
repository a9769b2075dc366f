"""The item pipeline: pages go to storage.record_pages through one writer thread, in batches.

One writer because SQLite has one write lock (and on PostgreSQL one writer per crawl keeps
version numbering free of races); batches because a commit per page costs ~4x on a remote
database (research/engineering.md §1.5). Normalizing and comparing happen in that thread too,
off the event loop that keeps downloading.

A 304 (the cached flag) is handed over as status 304: storage only moves `last_seen`, without
normalizing the cached body again. A 404/410 of a known document withdraws it (storage does).
The crawl_run row is opened when the spider opens and closed with the counts when it closes.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler.items import PageItem
from storage.recorder import Page, RecordResult

log = logging.getLogger(__name__)

CHANGED = ("new", "changed", "withdrawn")


class StoragePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("POLICYWATCH_BATCH_SIZE", 20)
        self.buffer: list[Page] = []
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policywatch-writer")
        self.db: Any = None
        self.run_id: int | None = None
        self.outcomes: dict[str, int] = {}
        self.record_errors = 0
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        from storage import migrate
        from storage.crawl_runs import SlotTaken, start_run
        from storage.db import connect

        spider = self.crawler.spider
        self.db = connect(spider.database_url)
        migrate.require(self.db, create=True)
        try:
            self.run_id = start_run(self.db, spider.site_name, spider.slot)
        except SlotTaken as e:
            # A second scheduler fired the same slot: stop before fetching anything.
            log.error("not crawling: %s", e)
            self.crawler.stats.set_value("policywatch/slot_taken", 1)
            raise CloseSpider("slot_taken") from None
        log.info("crawl run %s of site %s, database %s", self.run_id, spider.site_name, self.db.display_url)

    async def process_item(self, item: PageItem) -> PageItem:
        self.buffer.append(
            Page(
                url=item.url,
                body=item.body,
                site=item.site,
                # the cache turned a 304 into the stored 200: tell storage what really happened
                status=304 if item.cached else item.status,
                headers=item.headers,
                fetched_at=item.fetched_at,
                crawl_run_id=self.run_id,
            )
        )
        if item.cached:
            self.crawler.stats.inc_value("policywatch/not_modified")
        if len(self.buffer) >= self.batch_size:
            await self._flush()
        return item

    async def close_spider(self) -> None:
        await self._flush()

    async def _flush(self) -> None:
        if not self.buffer:
            return
        from storage.recorder import record_pages

        pages, self.buffer = self.buffer, []
        loop = asyncio.get_running_loop()
        results = await loop.run_in_executor(self.executor, record_pages, self.db, pages)
        # A 304 for a page the database does not know (a new database, an old cache): the
        # cached body is all we will get, so record it as the 200 it was.
        retry = [
            i
            for i, (p, r) in enumerate(zip(pages, results, strict=True))
            if p.status == 304 and isinstance(r, RecordResult) and r.document_id is None
        ]
        if retry:
            again = [replace(pages[i], status=200) for i in retry]
            redone = await loop.run_in_executor(self.executor, record_pages, self.db, again)
            for i, page, result in zip(retry, again, redone, strict=True):
                pages[i], results[i] = page, result
        for page, result in zip(pages, results, strict=True):
            if isinstance(result, RecordResult):
                self.outcomes[result.outcome] = self.outcomes.get(result.outcome, 0) + 1
                self.crawler.stats.inc_value(f"policywatch/recorded/{result.outcome}")
            else:
                self.record_errors += 1
                log.error("could not record %s: %s", page.url, result)

    def spider_closed(self, spider: Any, reason: str) -> None:
        from storage.crawl_runs import finish_run

        if self.db is None or self.run_id is None:
            return
        stats = self.crawler.stats
        errors = (
            self.record_errors
            + int(stats.get_value("policywatch/detail_errors", 0))
            + int(stats.get_value("policywatch/list_errors", 0))
        )
        pages = sum(self.outcomes.values())
        failed = reason != "finished" or (errors > 0 and pages == 0)
        finish_run(
            self.db,
            self.run_id,
            status="failed" if failed else "ok",
            pages=pages,
            changed=sum(self.outcomes.get(k, 0) for k in CHANGED),
            errors=errors,
            stats={"finish_reason": reason, "outcomes": dict(self.outcomes), **_jsonable(stats.get_stats())},
        )
        self.executor.shutdown(wait=True)
        self.db.dispose()


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, int | float | str | bool) or value is None:
            out[key] = value
    return out
