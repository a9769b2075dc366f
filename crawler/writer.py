"""The writer process: normalize, compare and record batches of pages, next to the crawl.

Scrapy runs on one thread; normalizing and recording a page costs about as much CPU as
downloading it (BENCHMARKS.md, Crawler). In a thread of the crawling process the two share one
core through the GIL; in processes of their own they use every core. The pipeline starts up to
POLICYWATCH_WRITERS of them (default 2; the second only when a batch finds the first busy).
Each normalizes its batch outside any transaction, then writes it in one: on SQLite the writers
take turns on the one write lock while the other normalizes. Two batches holding the same
document (a URL and its alias) can race; the unique constraints make the loser fail, and it
records those pages again, finding the winner's rows.

Everything here runs in the child, so it takes and returns plain picklable values: pages in,
(outcome, document id, changes) or an error string out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.recorder import Page, RecordResult

_db: Database | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one page: RecordResult's outcome, or `error` with the one-line reason."""

    outcome: str
    document_id: int | None = None
    changes: int = 0
    error: str = ""


def init(database_url: str, crawl_pid: int) -> None:
    """Process initializer: one database connection for the life of the writer, and the
    writer's life tied to the crawl process that started it."""
    global _db
    from storage.db import connect

    _end_with(crawl_pid)
    _db = connect(database_url)


def _end_with(crawl_pid: int) -> None:
    """Linux: SIGTERM when the crawl process dies, even by SIGKILL at its time limit. A writer
    waits on its task queue, whose write end it holds itself, so it never sees EOF there and
    would otherwise wait, orphaned, for ever."""
    import ctypes
    import os
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: a killed crawl leaves its writers behind
        return
    if os.getppid() != crawl_pid:  # the crawl died before the line above
        os._exit(1)


def warm_up() -> None:
    """Import the normalizer and comparer (lxml, rapidfuzz, numpy: about a second) while the
    spider fetches its first batch, instead of when that batch arrives."""
    import pipeline.compare
    import pipeline.normalize  # noqa: F401
    import storage.recorder  # noqa: F401


def record(pages: list[Page]) -> list[Outcome]:
    """Record a batch in one transaction; a 304 the database does not know is an error.

    Validators are sent only for what the database stores (crawler.validators), so a 304 for
    an unknown page means the server answered a question nobody asked: nothing to record, and
    saying "unchanged" would hide it. A 304 carrying a body (a cached stand-in handed over by
    an older spider) is recorded as the 200 it was.
    """
    from storage.recorder import record_pages

    assert _db is not None, "writer used before init()"
    pages = [_with_list_facts(p) for p in pages]
    results = record_pages(_db, pages)
    raced = [i for i, r in enumerate(results) if isinstance(r, IntegrityError)]
    if raced:
        for i, result in zip(raced, record_pages(_db, [pages[i] for i in raced]), strict=True):
            results[i] = result
    retry = [
        i
        for i, (p, r) in enumerate(zip(pages, results, strict=True))
        if p.status == 304 and isinstance(r, RecordResult) and r.document_id is None
    ]
    with_body = [i for i in retry if pages[i].body]
    if with_body:
        redone = record_pages(_db, [replace(pages[i], status=200) for i in with_body])
        for i, result in zip(with_body, redone, strict=True):
            results[i] = result
    for i in set(retry) - set(with_body):
        results[i] = LookupError("304 Not Modified for a page the database does not store")
    return [_outcome(r) for r in results]


def _with_list_facts(page: Page) -> Page:
    """Normalize here a page whose listing said something, to fill what the page does not say
    (crawler.listings.facts); a page the normalizer rejects is left to record_pages to report."""
    if not page.list_facts or page.status != 200 or page.document is not None:
        return page
    from crawler.listings.facts import apply
    from pipeline.normalize import normalize

    try:
        doc = normalize(page.body or b"", url=page.url, headers=page.headers, filename=page.filename)
    except Exception:
        return page
    return replace(page, document=apply(doc, page.list_facts))


def record_attachments(fetched: list[Any]) -> list[str]:
    """Record the crawl's fetched attachments (storage.attachments); an outcome each."""
    from storage.attachments import record_attachments as record

    assert _db is not None, "writer used before init()"
    return record(_db, fetched)


def settle_withdrawals(
    site: str, gone: dict[str, int], listed: Iterable[str] | None, at: datetime, max_share: float
) -> list[Outcome]:
    """At the end of a crawl: withdraw what answered 404/410 or a complete listing no longer shows,
    unless too much of the site would go at once (then one `refused` outcome says why)."""
    from storage.recorder import ListingShrank
    from storage.recorder import settle_withdrawals as settle

    assert _db is not None, "writer used before init()"
    try:
        chosen = set(listed) if listed is not None else None
        return [_outcome(r) for r in settle(_db, site, gone, chosen, at=at, max_share=max_share)]
    except ListingShrank as e:
        return [Outcome("refused", error=str(e))]


def _outcome(result: RecordResult | Exception) -> Outcome:
    if isinstance(result, RecordResult):
        return Outcome(result.outcome, result.document_id, result.changes)
    return Outcome("error", error=f"{type(result).__name__}: {str(result).splitlines()[0] if str(result) else ''}")
