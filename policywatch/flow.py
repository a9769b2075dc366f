"""The write path, composed: page bytes to a digest.

    fetch      crawler/spiders/site.py: a Scrapy response becomes a PageItem; the HTTP cache
               hands back the stored body for a 304 (revalidated=True, decided once: storage.ingest)
    normalize  pipeline.normalize.normalize: bytes to a Document (before any transaction)
    ingest     storage.ingest / storage.batch: one decision per page (touch, new document, new
               version, withdrawn, unusable), one writer of the rows (storage.write_rows); a
               batch with nothing to normalize (304s, 404s) is ingested by the crawl process
               itself, the others by a writer process (crawler.writer_pool)
    graph      storage.citations.record_graph: a new version's references and validity, in the
               same transaction
    compare    pipeline.compare.compare: the latest stored Document against the new one
    change rows storage.change_record.change_rows: the ChangeSet as ChangeRow rows
    outbox     notifications.outbox.enqueue_changes: one outbox row per matching subscription,
               in the same transaction
    digest     notifications.sender.send_due (the scheduler's digest job): the pending outbox
               rows of a subscription become one mail when its cadence says so

Storage is handed the three processing steps as a `Steps`; it imports neither the normalizer
nor notifications. Everything that records pages composes them here: the crawler's writer
processes, `policywatch db record`, reprocess and the demo.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.db import Database
from storage.page import Comparer, Normalizer, OnChanges, Page, RecordResult, Steps

__all__ = [
    "Page",
    "RecordResult",
    "Steps",
    "record_attachments",
    "record_crawl_batch",
    "record_page",
    "record_pages",
    "reprocess",
    "settle_withdrawals",
    "steps",
    "withdraw_unlisted",
]

_OUTBOX: Any = object()  # "the default": the outbox (None means nobody is told)


def steps(
    *, normalizer: Normalizer | None = None, comparer: Comparer | None = None, on_changes: OnChanges | None = _OUTBOX
) -> Steps:
    """The project's steps, any of them replaced (tests, benchmarks): normalize, compare, outbox."""
    return Steps(normalize=normalizer or _normalize, compare=comparer or _compare, on_changes=_told(on_changes))


# Imported on first use, not when the steps are composed: lxml and rapidfuzz take about a second
# to load, and a batch of already-normalized pages (reprocess, the benchmarks) never needs them.
def _normalize(body: bytes | str, **kw: Any) -> Any:
    from pipeline.normalize import normalize

    return normalize(body, **kw)


def _compare(old: Any, new: Any) -> Any:
    from pipeline.compare import compare

    return compare(old, new)


def _told(on_changes: OnChanges | None) -> OnChanges | None:
    if on_changes is _OUTBOX:
        from notifications.outbox import enqueue_changes

        return enqueue_changes
    return on_changes


def record_page(
    target: Database | Session,
    page: Page | None = None,
    /,
    *,
    normalizer: Normalizer | None = None,
    comparer: Comparer | None = None,
    on_changes: OnChanges | None = _OUTBOX,
    **fields: Any,
) -> RecordResult:
    """Record one fetched page: `record_page(db, Page(...))` or `record_page(db, url=..., body=...)`."""
    from storage.ingest import record_page as ingest_one

    chosen = steps(normalizer=normalizer, comparer=comparer, on_changes=on_changes)
    return ingest_one(target, page or Page(**fields), chosen)


def record_pages(
    db: Database,
    pages: Iterable[Page],
    *,
    normalizer: Normalizer | None = None,
    comparer: Comparer | None = None,
    on_changes: OnChanges | None = _OUTBOX,
) -> list[RecordResult | Exception]:
    """Record a batch in one transaction; a page that fails is its exception in the list."""
    from storage.batch import record_pages as ingest_batch

    return ingest_batch(db, pages, steps(normalizer=normalizer, comparer=comparer, on_changes=on_changes))


def record_crawl_batch(db: Database, pages: list[Page]) -> list[RecordResult | Exception]:
    """A crawler batch (crawler.writer): what the listing said applied, and a lost race redone.

    Two writers holding one document (a URL and its alias) can race; the unique constraints
    make the loser fail, and it records those pages again, finding the winner's rows.
    """
    pages = [_with_list_facts(p) for p in pages]
    results = record_pages(db, pages)
    raced = [i for i, r in enumerate(results) if isinstance(r, IntegrityError)]
    if raced:
        for i, result in zip(raced, record_pages(db, [pages[i] for i in raced]), strict=True):
            results[i] = result
    return results


def _with_list_facts(page: Page) -> Page:
    """Normalize here a page whose listing said something, to fill what the page does not say
    (crawler.list_facts); a page the normalizer rejects is left to record_pages to report."""
    from dataclasses import replace

    if not page.list_facts or page.status != 200 or page.revalidated or page.document is not None:
        return page
    from crawler.list_facts import apply
    from pipeline.normalize import normalize

    try:
        doc = normalize(page.body or b"", url=page.url, headers=page.headers, filename=page.filename)
    except Exception:
        return page
    return replace(page, document=apply(doc, page.list_facts))


def settle_withdrawals(
    db: Database, site: str, gone: dict[str, int], listed: set[str] | None, **kw: Any
) -> list[RecordResult]:
    """A crawl's 404/410s and delistings, withdrawn together at its end (told to the outbox)."""
    from storage.withdrawals import settle_withdrawals as settle

    return settle(db, site, gone, listed, **{"on_changes": _told(_OUTBOX), **kw})


def withdraw_unlisted(db: Database, site: str, listed: set[str], **kw: Any) -> list[RecordResult]:
    from storage.withdrawals import withdraw_unlisted as withdraw

    return withdraw(db, site, listed, **{"on_changes": _told(_OUTBOX), **kw})


def record_attachments(db: Database, fetched: Iterable[Any], *, on_changes: OnChanges | None = _OUTBOX) -> list[str]:
    """A crawl's fetched attachments; a replaced file is a change, told to the outbox."""
    from storage.attachments import record_attachments as record

    return record(db, fetched, on_changes=_told(on_changes))


def reprocess(
    db: Database, *, site: str | None = None, normalizer: Normalizer | None = None, comparer: Comparer | None = None
) -> Any:
    """Re-normalize the stored pages; nobody is told (the changes were announced when first found)."""
    from storage.reprocess import reprocess as rebuild

    return rebuild(db, steps(normalizer=normalizer, comparer=comparer, on_changes=None), site=site)
