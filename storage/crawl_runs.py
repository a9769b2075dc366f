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

# Set by the crawler: the first anti-bot gate the run met (crawler/antibot.py), or why it could
# not fetch at all; one line, the first of the run's problems.
BLOCKED_STAT = "policywatch/blocked"


class SlotTaken(Exception):
    """Another crawl already claimed this (site, slot): this one must record nothing."""


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


def run_reason(stats: dict[str, Any] | None) -> str:
    """Why a run ended as it did, in one line: its problems (a failed list page, a listing that
    matches nothing, withdrawals refused), else how Scrapy finished."""
    stats = stats or {}
    problems = [str(p) for p in stats.get("problems") or []]
    return "; ".join(problems) or str(stats.get("finish_reason") or "")


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


# -- a run that only revalidated (crawler.revalidate) ------------------------------------------


def record_revalidated_run(
    db: Database,
    site: str,
    slot: str | None,
    *,
    based_on: int,
    started_at: datetime,
    seen: list[tuple[str, str | None, str | None, datetime]],
    stats: dict[str, Any],
) -> tuple[str, int | None]:
    """Record a run in which every document answered 304 to the validators of run `based_on`:
    its crawl_run row and a touch of each document, in one transaction. `seen`: (url, ETag,
    Last-Modified sent, when). Returns ("", the new run's id) once recorded, else (why the
    database no longer agrees with that run, None): nothing is written, the caller runs the
    full crawl.

    It agrees when the site's latest run is `based_on` (or a revalidation of it) and ended ok,
    its active documents are exactly the URLs seen, and each one's stored version was fetched
    from that URL with those validators: then the full crawl would have touched each of them
    and withdrawn nothing. SlotTaken when another crawl claimed the slot.
    """
    from storage.touches import DOCUMENT_TOUCH, VERSION_TOUCH
    from storage.urls import canonical_url

    with db.writer() as session:
        site_row = get_site(session, site)
        last = session.execute(
            select(CrawlRun.id, CrawlRun.status, CrawlRun.stats)
            .where(CrawlRun.site_id == site_row.id)
            .order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            .limit(1)
        ).first()
        if last is None or last.status != "ok":
            return "the site's last run did not end ok", None
        if last.id != based_on and (last.stats or {}).get(REVALIDATED_FROM) != based_on:
            return f"the site's last run is {last.id}, not the crawl {based_on} the pre-check replayed", None
        active = set(
            session.scalars(
                select(DocumentUrl.url)
                .join(Document, Document.id == DocumentUrl.document_id)
                .where(Document.site_id == site_row.id, Document.status == "active")
            )
        )
        stored = {
            url: (did, vid, etag or None, modified or None)
            for url, did, vid, etag, modified in session.execute(
                select(Version.url, Document.id, Version.id, Version.etag, Version.last_modified)
                .join(Document, Document.latest_version_id == Version.id)
                .where(Document.site_id == site_row.id, Document.status == "active")
            )
        }
        urls = {canonical_url(url) for url, *_ in seen}
        if active != urls:
            return f"{len(active ^ urls)} documents are not those the replayed crawl saw", None
        versions, documents = [], []
        for url, etag, modified, at in seen:
            key = canonical_url(url)
            found = stored.get(key)
            if found is None or found[2:] != (etag, modified):
                return f"the stored version of {url} is not the one the 304 vouches for", None
            versions.append({"vid": found[1], "at": at, "etag": etag, "last_modified": modified, "fetched_url": key})
            documents.append({"did": found[0], "at": at})
        run = CrawlRun(
            site_id=site_row.id, slot=slot, started_at=started_at, status="ok", pages=len(seen), changed=0,
            errors=0, stats={**stats, **_listed(last.stats), REVALIDATED_FROM: based_on}, finished_at=utcnow(),
        )  # fmt: skip
        session.add(run)
        try:
            session.flush()
        except IntegrityError:
            raise SlotTaken(f"site {site!r}: slot {slot!r} was already claimed") from None
        conn = session.connection()
        if versions:
            conn.execute(VERSION_TOUCH, versions)
            conn.execute(DOCUMENT_TOUCH, documents)
        return "", run.id


REVALIDATED_FROM = "policywatch/revalidated_from"  # stats: the crawl a revalidation replayed


def _listed(stats: dict[str, Any] | None) -> dict[str, Any]:
    """The replayed run's count of listed documents: its list pages answered 304, so the listing
    shows the same links (the scheduler's empty-listing alert reads it)."""
    value = (stats or {}).get("policywatch/listed")
    return {"policywatch/listed": value} if value is not None else {}
