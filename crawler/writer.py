"""The writer process: normalize, compare and record batches of pages, next to the crawl.

Scrapy runs on one thread; normalizing and recording a page costs about as much CPU as
downloading it (BENCHMARKS.md, Crawler). In a thread of the crawling process the two share one
core through the GIL; in processes of their own they use every core. The pipeline starts up to
POLICYWATCH_WRITERS of them (default 2, no more than the cores but one; the second only when a
batch finds the first busy).
Each normalizes its batch outside any transaction, then writes it in one: on SQLite the writers
take turns on the one write lock while the other normalizes. What a batch goes through is
policywatch.flow's: this module only carries it across the process boundary.

Everything here runs in the child, so it takes and returns plain picklable values: pages in,
(outcome, document id, changes) or an error string out. What needs no normalizer (a batch of
304s and 404/410s, the attachments, the withdrawals) the pipeline runs through the same
functions in the crawl process, given its own Database (`db=`): starting a writer for it would
cost more than the work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.page import Page, RecordResult

if TYPE_CHECKING:  # SQLAlchemy is the writer's own import (init), not its spawner's (crawler.launch)
    from storage.db import Database

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
    import atexit

    from policywatch.gc_tuning import skip_final_collections
    from storage.db import connect

    _end_with(crawl_pid)
    skip_final_collections()
    _db = connect(database_url)
    atexit.register(_db.dispose)  # before the freeze (atexit runs the later handler first)


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
    """Import what every batch of new pages needs (the normalizer, the ORM models, the outbox:
    about a second) while the spider fetches its first batch, instead of when that batch
    arrives. Not the comparer: numpy and rapidfuzz (0.4 s, 15 MB) serve only a page that
    changed, which a first crawl of a site has none of, and are imported by the first one."""
    import crawler.list_facts  # noqa: F401
    import notifications.outbox  # noqa: F401
    import pipeline.normalize  # noqa: F401
    import policywatch.flow  # noqa: F401
    import storage.batch  # noqa: F401
    from policywatch import gc_tuning

    gc_tuning.started()


def needs_normalizing(pages: Iterable[Page]) -> bool:
    """Whether a batch holds a page fetched in full (a 200 with a body, not a revalidated one):
    only those need the normalizer, and so a writer process."""
    return any(p.status == 200 and p.body and not p.not_modified for p in pages)


def _database(db: Database | None) -> Database:
    db = db or _db
    assert db is not None, "writer used before init()"
    return db


def record(pages: list[Page], db: Database | None = None) -> list[Outcome]:
    """Record a batch in one transaction (policywatch.flow); an outcome per page."""
    from policywatch.flow import record_crawl_batch

    return [_outcome(r) for r in record_crawl_batch(_database(db), pages)]


def record_attachments(fetched: list[Any], db: Database | None = None) -> list[str]:
    """Record the crawl's fetched attachments (storage.attachments); an outcome each."""
    from policywatch.flow import record_attachments as record

    return record(_database(db), fetched)


def settle_withdrawals(
    site: str,
    gone: dict[str, int],
    listed: Iterable[str] | None,
    at: datetime,
    max_share: float,
    db: Database | None = None,
) -> list[Outcome]:
    """At the end of a crawl: withdraw what answered 404/410 or a complete listing no longer shows,
    unless too much of the site would go at once (then one `refused` outcome says why)."""
    from policywatch.flow import settle_withdrawals as settle
    from storage.withdrawals import ListingShrank

    try:
        chosen = set(listed) if listed is not None else None
        return [_outcome(r) for r in settle(_database(db), site, gone, chosen, at=at, max_share=max_share)]
    except ListingShrank as e:
        return [Outcome("refused", error=str(e))]


def _outcome(result: RecordResult | Exception) -> Outcome:
    if isinstance(result, RecordResult) and result.outcome == "unknown":
        # Validators are sent only for what the database stores (crawler.validators), so a 304
        # for an unknown page means the server answered a question nobody asked: nothing to
        # record, and counting it "unchanged" would hide it.
        return Outcome("error", error=f"LookupError: {result.reason}")
    if isinstance(result, RecordResult):
        return Outcome(result.outcome, result.document_id, result.changes)
    return Outcome("error", error=f"{type(result).__name__}: {str(result).splitlines()[0] if str(result) else ''}")
