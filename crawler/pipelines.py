"""The item pipeline: pages go to writer processes (crawler/writer.py) in batches.

Only batches with a page fetched in full go to a writer: a batch of 304s (and 404/410s) needs
no normalizer, and the crawl process records it itself, in one transaction on a thread off the
reactor, through the same crawler.writer functions and with the same accounting; so do the
attachments and the withdrawals. A recheck of an unchanged site starts no writer at all.

Batches because a commit per page costs ~4x on a remote database (docs/engineering.md,
"Batched writes"), but a batch for a writer does not wait to be full while no other batch is
being written, so the crawl's last page is not followed by the whole of a batch. Processes,
not a thread, because normalizing and recording cost about as much CPU as downloading, and
Scrapy's event loop must not share its core with them through the GIL.

A 304 (the cached flag) is handed over as status 304: storage only moves `last_seen`, without
normalizing the cached body again; the cache stands in only for the version the database
stores (crawler.validators). A 404/410 of a known document withdraws it, and so does its
absence from a listing the spider crawled completely: both are decided together when the spider
closes (storage.settle_withdrawals), and not at all when a list page failed. Fetched attachments
(sites with `attachments`) are recorded when the spider closes, after every page that links
them. The crawl_run row is opened when the spider opens and closed with the counts when it
closes.

Every page handed to a writer is acknowledged or counted: a batch whose writer died, or whose
transaction failed, counts each of its pages as an error, and so does every page the writer
reports it could not record. A run with any failed fetch or write is failed, with the reason
in one line: nothing it downloaded and did not record may pass as "ok" (it is downloaded again
in full next time, since the database still holds the old validators).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider

from crawler import writer, writer_pool
from crawler.items import AttachmentItem, PageItem
from crawler.writer_pool import WriterPool
from policywatch import gc_tuning
from storage import run_rows
from storage.db_file import first_line
from storage.models import utcnow
from storage.page import Page

log = logging.getLogger(__name__)

CHANGED = ("new", "changed", "withdrawn")


class StoragePipeline:
    """Settings: POLICYWATCH_BATCH_SIZE (pages per transaction, default 20),
    POLICYWATCH_WRITERS (at most this many writer processes, default 2, and no more than the
    cores but one; crawler/writer_pool.py; the first may have been started before Scrapy, by
    crawler.launch),
    POLICYWATCH_MAX_WITHDRAW_SHARE (the share of a site's active documents one run may withdraw,
    by 404/410 or delisting, before it is taken for an outage or a template change: default 0.2,
    and then nothing is withdrawn and the run fails)."""

    def __init__(self, crawler: Crawler):
        gc_tuning.skip_final_collections()
        self.crawler = crawler
        self.batch_size = crawler.settings.getint("POLICYWATCH_BATCH_SIZE")
        # Pages for a writer do not wait for a full batch while no batch is being written: they
        # go as soon as there are this many, and the next batch is what arrived meanwhile. A
        # full batch held back until the crawl's last page would be written after it, alone.
        self.min_batch = max(1, self.batch_size // 8)
        self.in_flight = 0  # batches handed over and not yet acknowledged
        self.buffer_needs_writer = False  # the buffer holds a page to normalize
        self.max_withdraw_share = crawler.settings.getfloat("POLICYWATCH_MAX_WITHDRAW_SHARE")
        self.buffer: list[Page] = []
        self.attachments: list[AttachmentItem] = []
        self.attachment_changes = 0
        self.writers: WriterPool | None = None
        self.db: Any = None
        self.run_id: int | None = None
        self.outcomes: dict[str, int] = {}
        self.record_errors = 0
        self.write_error = ""  # the first, for the run's one-line reason
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoragePipeline:
        return cls(crawler)

    async def open_spider(self) -> None:
        from storage import migrate
        from storage.crawl_runs import SlotTaken, document_count, start_run
        from storage.db import connect

        gc_tuning.started()  # Scrapy, the spider and the ORM are imported
        gate = self.crawler.settings.get("POLICYWATCH_WAIT_FOR")
        if gate:  # `policywatch crawl` syncs the subscriptions meanwhile (scheduler.local_runner)
            await asyncio.to_thread(_wait_for, gate)
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
        size = min(self.crawler.settings.getint("POLICYWATCH_WRITERS"), _spare_cores())
        self.writers = WriterPool(size, self.db.url.render_as_string(hide_password=False))
        if document_count(self.db, spider.site_name) == 0:
            # A site the database knows nothing of: every page will need the normalizer, so the
            # writer imports now, while the first list pages are fetched, not after the first one.
            self.writers.warm()
        log.info("crawl run %s of site %s, database %s", self.run_id, spider.site_name, self.db.display_url)

    async def process_item(self, item: PageItem | AttachmentItem) -> PageItem | AttachmentItem:
        if isinstance(item, AttachmentItem):
            # recorded at the end, once every page that links one is stored
            self.attachments.append(item)
            return item
        self.buffer.append(
            Page(
                url=item.url,
                # sent for a 304 too: a database that does not know the page records it as the 200
                body=item.body,
                site=item.site,
                status=item.status,
                # the cache turned a 304 into the stored 200: tell storage what really happened
                revalidated=item.cached,
                headers=item.headers,
                fetched_at=item.fetched_at,
                crawl_run_id=self.run_id,
                list_facts=item.list_facts or None,
            )
        )
        if item.cached or item.status == 304:
            self.crawler.stats.inc_value("policywatch/not_modified")
        elif self.writers is not None and writer.needs_normalizing(self.buffer[-1:]):
            self.writers.warm()
            self.buffer_needs_writer = True
        if len(self.buffer) >= self.batch_size or (
            self.buffer_needs_writer and self.in_flight == 0 and len(self.buffer) >= self.min_batch
        ):
            await self._flush()
        return item

    async def close_spider(self) -> None:
        pages, self.buffer = self.buffer, []
        # The crawl has ended and every writer is idle: the last pages are shared between them.
        n = self.writers.running if self.writers is not None and writer.needs_normalizing(pages) else 1
        size = max(self.min_batch, -(-len(pages) // max(1, n)))
        await asyncio.gather(*(self._record(pages[i : i + size]) for i in range(0, len(pages), size)))
        await self._record_attachments()

    async def _record_attachments(self) -> None:
        from storage.attachments import FetchedAttachment

        if not self.attachments or self.writers is None:
            return
        fetched = [
            FetchedAttachment(
                url=a.url,
                page_url=a.page_url,
                name=a.name,
                sha256=a.sha256,
                size=a.size,
                content_type=a.content_type,
                fetched_at=a.fetched_at,
                crawl_run_id=self.run_id,
            )
            for a in self.attachments
        ]
        self.attachments = []
        try:
            outcomes = await asyncio.to_thread(writer.record_attachments, fetched, self.db)
        except Exception as e:  # the pages are stored; say what was lost, in one line
            self.record_errors += 1
            log.error("could not record %d attachments: %s: %s", len(fetched), type(e).__name__, e)
            return
        for outcome in outcomes:
            self.crawler.stats.inc_value(f"policywatch/attachments/{outcome}")
        self.attachment_changes = outcomes.count("changed")

    async def _flush(self) -> None:
        pages, self.buffer, self.buffer_needs_writer = self.buffer, [], False
        # The buffer is swapped before waiting: items keep arriving into the next batch while
        # this one is written.
        await self._record(pages)

    async def _record(self, pages: list[Page]) -> None:
        if not pages or self.writers is None:
            return
        self.in_flight += 1
        try:
            if writer.needs_normalizing(pages):
                results = await asyncio.wrap_future(self.writers.submit(writer.record, pages))
            else:  # nothing to normalize: cheaper here than in a writer (which may not exist yet)
                results = await asyncio.to_thread(writer.record, pages, self.db)
        except Exception as e:  # the writer died, or the batch could not be written at all
            # Unacknowledged: perhaps committed, perhaps not. Either way the database's
            # validators say which, so the next crawl asks again for what is missing.
            reason = f"{type(e).__name__}: {first_line(e)}"
            results = [writer.Outcome("error", error=reason)] * len(pages)
            log.error("could not record a batch of %d pages (%s ... %s): %s", len(pages), pages[0].url, pages[-1].url, reason)
        finally:
            self.in_flight -= 1
        for page, result in zip(pages, results, strict=True):
            self._count(result, page.url)

    def _count(self, result: writer.Outcome, url: str) -> None:
        if result.outcome == "error":
            self.record_errors += 1
            self.write_error = self.write_error or result.error
            self.crawler.stats.inc_value("policywatch/write_errors")
            log.error("could not record %s: %s", url, result.error)
            return
        self.outcomes[result.outcome] = self.outcomes.get(result.outcome, 0) + 1
        self.crawler.stats.inc_value(f"policywatch/recorded/{result.outcome}")

    def _settle_withdrawals(self, spider: Any, reason: str) -> list[str]:
        """Withdraw this run's 404/410s and delistings together; the problems that stopped it."""
        gone: dict[str, int] = getattr(spider, "gone", {})
        problems: list[str] = list(getattr(spider, "problems", lambda reason: [])(reason))
        if reason != "finished" or getattr(spider, "list_failures", None):
            # A run that did not see its listing knows too little to withdraw anything.
            if gone:
                log.warning("not withdrawing the %d documents that answered 404/410: %s", len(gone),
                            problems[0] if problems else f"the crawl ended {reason}")
                self.crawler.stats.set_value("policywatch/withdrawals_held", len(gone))
                problems.append(f"{len(gone)} pages answered 404/410; none withdrawn by an incomplete run")
            return problems
        complete = getattr(spider, "listing_complete", lambda reason: False)(reason)
        if not gone and not complete:
            return problems
        listed = sorted(spider.listed) if complete else None
        try:
            results = writer.settle_withdrawals(
                spider.site_name, gone, listed, utcnow(), self.max_withdraw_share, db=self.db
            )
        except Exception as e:  # a failed database: the run must still be closed, and say so
            self.record_errors += 1
            self.write_error = self.write_error or f"{type(e).__name__}: {first_line(e)}"
            self.crawler.stats.inc_value("policywatch/write_errors")
            problems.append(f"withdrawals not recorded: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            log.error("%s", problems[-1])
            return problems
        for result in results:
            if result.outcome == "refused":
                log.warning("%s", result.error)
                self.crawler.stats.set_value("policywatch/withdraw_refused", 1)
                problems.append(result.error)
                continue
            self._count(result, f"document {result.document_id}")
        return problems

    def spider_closed(self, spider: Any, reason: str) -> None:
        from storage.crawl_runs import finish_run

        writer_pool.discard_early()  # started by crawler.launch for a crawl that never needed it
        if self.db is None or self.run_id is None:
            return
        try:
            problems = self._settle_withdrawals(spider, reason)
        finally:
            if self.writers is not None:
                self.crawler.stats.set_value("policywatch/writers", self.writers.started)
                if self.writers.took_early:
                    self.crawler.stats.set_value("policywatch/writer_started_early", 1)
                self.writers.shutdown()
        stats = self.crawler.stats
        fetch_errors = int(stats.get_value("policywatch/detail_errors", 0)) + int(
            stats.get_value("policywatch/list_errors", 0)
        )
        errors = self.record_errors + fetch_errors
        pages = sum(self.outcomes.values())
        failed = reason != "finished" or errors > 0 or bool(problems)
        if errors:  # after the listing's own problems (which name the failed list pages): how many failed, and why
            told = bool(getattr(spider, "list_failures", None))
            problems.append(_failure_reason(stats.get_stats(), self.record_errors, self.write_error, lists_told=told))
        status = "interrupted" if reason == "shutdown" else "failed" if failed else "ok"
        changed = sum(self.outcomes.get(k, 0) for k in CHANGED) + self.attachment_changes
        closing = {
            **_jsonable(stats.get_stats()),
            "outcomes": dict(self.outcomes),
            "finish_reason": reason,
            "problems": [p for p in problems if p],  # one line each: why the run failed
        }
        try:
            # "shutdown": stopped by a signal (the scheduler stopping, Ctrl-C), not a site failure
            finish_run(self.db, self.run_id, status=status, pages=pages, changed=changed, errors=errors, stats=closing)
            self._write_manifest(spider, status)
        except Exception as e:
            # The row stays "running" (a full disk, the database gone): the run as it would have
            # been recorded goes to the log, where the runner reads it (storage.run_rows.summary_line).
            why = f"could not close crawl run {self.run_id}: {type(e).__name__}: {first_line(e)}"
            log.error("%s", why)
            log.error("%s", run_rows.summary_line(run_rows.RunRow(self.run_id, status, pages, changed, errors, closing), why))
        finally:
            self.db.dispose()

    def _write_manifest(self, spider: Any, status: str) -> None:
        """What this run fetched, for the next run's revalidation pre-check (crawler.manifest),
        written only for a run that ended ok and could be replayed; any other run removes it."""
        from crawler import manifest
        from crawler.cache import cache_dir

        settings = self.crawler.settings
        replay = getattr(spider, "replay", None)
        if replay is None or not settings.getbool("HTTPCACHE_ENABLED"):
            return
        path = manifest.path_for(cache_dir(settings), spider.site_name)
        if status != "ok" or replay.unfit or not replay.answers:
            manifest.remove(path)
            if status == "ok":
                log.info("the next run is a full crawl: %s", replay.unfit or "nothing fetched")
            return
        try:
            manifest.write(path, manifest.Manifest(
                spider.site_name, self.run_id, manifest.db_key(spider.database_url), spider.site_table,
                list(replay.answers.values()),
            ))  # fmt: skip
        except OSError as e:  # the next run is a full crawl, which is always right
            log.warning("could not write %s: %s", path, e)
            manifest.remove(path)


def _wait_for(gate: str) -> None:
    """Until the process that started this crawl releases its lock on `gate` (gone: released)."""
    import fcntl

    try:
        f = open(gate, "rb")  # noqa: SIM115 - held only for the lock
    except FileNotFoundError:
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_SH)


def _spare_cores() -> int:
    """How many writers can each have a core the crawl process does not need: on two cores a
    second writer only takes turns with Scrapy and the first, and its imports cost a second."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def _failure_reason(stats: dict[str, Any], write_errors: int, write_error: str, *, lists_told: bool = False) -> str:
    """One line for `status` and the alert: what failed, how often, and the commonest causes
    (the failed list pages are left out when the spider's problems already name them)."""
    kinds = ("detail",) if lists_told else ("list", "detail")
    fetches = "; ".join(
        f"{n} {kind} pages failed" for kind in kinds if (n := int(stats.get(f"policywatch/{kind}_errors", 0)))
    )
    causes = sorted(
        ((int(v), k.removeprefix("policywatch/errors/")) for k, v in stats.items() if k.startswith("policywatch/errors/")),
        reverse=True,
    )
    if fetches and causes:
        fetches += " (" + ", ".join(f"{cause} ×{n}" for n, cause in causes[:3]) + ")"
    writes = f"{write_errors} pages not recorded ({write_error[:200]})" if write_errors else ""
    return "; ".join(p for p in (fetches, writes) if p)


def _jsonable(stats: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif isinstance(value, int | float | str | bool) or value is None:
            out[key] = value
    return out
