"""The crawl_run ledger: one row per crawl of one site, opened at start and closed with counts.

Also the reads the crawler needs before it starts: the URLs of the site's documents that are
still active, so a page that dropped off its listing is still revisited (and found gone), and
the validators of each document's stored version, which are what its conditional GET sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.known import get_site
from storage.models import CrawlRun, Document, DocumentUrl, Site, Version, utcnow
from storage.revalidation import SlotTaken

# Set by the crawler: the first anti-bot gate the run met (crawler/antibot.py), or why it could
# not fetch at all; one line, the first of the run's problems.
BLOCKED_STAT = "policywatch/blocked"


def start_run(db: Database, site: str, slot: str | None = None, at: datetime | None = None) -> int:
    """A `running` row; UNIQUE(site, slot) makes a second start of one scheduled slot fail.

    Two schedulers firing the same slot race here, and the database decides: the loser gets
    SlotTaken, however close together the two inserts were.
    """
    try:
        with db.writer() as session:
            row = CrawlRun(site_id=get_site(session, site).id, slot=slot, started_at=at or utcnow())
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        if slot is None:
            raise
        with db.reader() as session:
            other = session.scalar(
                select(CrawlRun.id).join(Site, Site.id == CrawlRun.site_id).where(
                    Site.name == site, CrawlRun.slot == slot
                )
            )
        raise SlotTaken(f"site {site!r}: slot {slot!r} was already claimed by crawl run {other}") from None


def finish_run(
    db: Database,
    run_id: int,
    *,
    status: str,
    pages: int,
    changed: int,
    errors: int,
    stats: dict[str, Any] | None = None,
) -> None:
    with db.writer() as session:
        row = session.get(CrawlRun, run_id)
        if row is None:
            return
        row.status, row.pages, row.changed, row.errors = status, pages, changed, errors
        row.stats, row.finished_at = stats, utcnow()


def get_run(db: Database, run_id: int) -> CrawlRun | None:
    with db.reader() as session:
        return session.get(CrawlRun, run_id)


def active_urls(db: Database, site: str) -> list[str]:
    """Every URL of the site's documents that are not withdrawn, oldest first."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(DocumentUrl.url)
                .join(Document, Document.id == DocumentUrl.document_id)
                .join(Site, Site.id == Document.site_id)
                .where(Site.name == site, Document.status == "active")
                .order_by(DocumentUrl.id)
            )
        )


def document_count(db: Database, site: str) -> int:
    """How many documents the site ever yielded (withdrawn ones included)."""
    with db.reader() as session:
        return int(
            session.scalar(
                select(func.count(Document.id)).join(Site, Site.id == Document.site_id).where(Site.name == site)
            )
            or 0
        )


def stored_validators(db: Database, site: str) -> dict[str, tuple[str | None, str | None]]:
    """{url: (ETag, Last-Modified)} of the latest stored version of each of the site's documents,
    keyed by the URL that version was fetched from, for versions that have either.

    Only the database may vouch for a 304: validators of a body that was downloaded but never
    recorded (a killed writer, a full disk) would turn the revision into "not modified" for
    ever. Keyed by the fetching URL because validators belong to one resource: another URL of
    the same document may carry the same ETag or an older Last-Modified for other bytes.
    """
    with db.reader() as session:
        rows = session.execute(
            select(Version.url, Version.etag, Version.last_modified)
            .join(Document, Document.latest_version_id == Version.id)
            .join(Site, Site.id == Document.site_id)
            .where(Site.name == site, (Version.etag.is_not(None)) | (Version.last_modified.is_not(None)))
        ).all()
    return {url: (etag or None, modified or None) for url, etag, modified in rows}


# -- read-only queries for `policywatch status` and the scheduler's alerts ---------------------


def recent_runs(db: Database, site: str, limit: int = 20) -> list[CrawlRun]:
    """The site's latest crawl runs, newest first (running ones included)."""
    with db.reader() as session:
        return list(
            session.scalars(
                select(CrawlRun)
                .join(Site, Site.id == CrawlRun.site_id)
                .where(Site.name == site)
                .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
                .limit(limit)
            )
        )


def consecutive_failures(runs: list[CrawlRun]) -> int:
    """Failed runs in a row at the head of `runs` (newest first), running and interrupted ones
    (stopped with the scheduler: nothing to say about the site) skipped."""
    count = 0
    for run in runs:
        if run.status in ("running", "interrupted"):
            continue
        if run.status != "failed":
            break
        count += 1
    return count
