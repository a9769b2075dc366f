"""A run in which every page answered 304 (crawler.revalidate): checked and recorded in plain SQL.

Most crawls of a watched site are this, and the whole of one takes a few tenths of a second;
SQLAlchemy's imports alone (the engine, the ORM, the models) cost more than that. So this one
transaction goes through the DB-API driver itself (storage.dbapi: sqlite3, psycopg): the same
checks and the same rows as the ORM would write, the touches being storage.touches' two UPDATEs
in SQL text (tests/test_crawl_revalidate.py compares the rows with a full crawl's).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from storage.dbapi import Sql, dumps
from storage.urls import canonical_url

REVALIDATED_FROM = "policywatch/revalidated_from"  # stats: the crawl a revalidation replayed


class SlotTaken(Exception):
    """Another crawl already claimed this (site, slot): this one must record nothing."""


# storage.touches' VERSION_TOUCH and DOCUMENT_TOUCH: the later of the stored and the new time,
# one more fetch, and the validators the server sends now where the page came from this URL.
_VERSION_TOUCH = """
UPDATE version SET
  last_seen = CASE WHEN last_seen < :at THEN :at ELSE last_seen END,
  fetch_count = fetch_count + 1,
  etag = CASE WHEN url = :fetched_url THEN coalesce(:etag, etag) ELSE etag END,
  last_modified = CASE WHEN url = :fetched_url THEN coalesce(:last_modified, last_modified) ELSE last_modified END
WHERE id = :vid"""
_DOCUMENT_TOUCH = """
UPDATE document SET
  last_seen = CASE WHEN last_seen < :at THEN :at ELSE last_seen END, status = 'active', withdrawn_at = NULL
WHERE id = :did"""
_LAST_RUN = """
SELECT crawl_run.id, crawl_run.status, crawl_run.stats FROM crawl_run JOIN site ON site.id = crawl_run.site_id
WHERE site.name = :site ORDER BY crawl_run.started_at DESC, crawl_run.id DESC LIMIT 1"""
_ACTIVE_URLS = """
SELECT document_url.url FROM document_url JOIN document ON document.id = document_url.document_id
JOIN site ON site.id = document.site_id WHERE site.name = :site AND document.status = 'active'"""
_STORED = """
SELECT version.url, document.id, version.id, version.etag, version.last_modified
FROM document JOIN version ON version.id = document.latest_version_id JOIN site ON site.id = document.site_id
WHERE site.name = :site AND document.status = 'active'"""
_INSERT_RUN = """
INSERT INTO crawl_run (site_id, slot, started_at, finished_at, status, pages, changed, errors, stats)
SELECT site.id, :slot, :started_at, :finished_at, 'ok', :pages, 0, 0, {stats} FROM site WHERE site.name = :site
RETURNING id"""


def record_revalidated_run(
    db_url: str,
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
    db = Sql(db_url)
    try:
        with db.transaction() as cur:
            why, rows = _agrees(db, cur, site, based_on, seen)
            if why:
                return why, None  # nothing written: the commit ends a transaction of reads
            last_stats, versions, documents = rows
            listed = (last_stats or {}).get("policywatch/listed")
            run_stats = {**stats, **({"policywatch/listed": listed} if listed is not None else {}), REVALIDATED_FROM: based_on}
            values = {
                "site": site, "slot": slot, "started_at": db.time(started_at), "pages": len(seen),
                "finished_at": db.time(datetime.now(UTC).replace(tzinfo=None)),
                "stats": dumps(run_stats),
            }  # fmt: skip
            try:
                cur.execute(db.sql(_INSERT_RUN.format(stats=db.json_in())), values)
            except db.integrity_error:
                raise SlotTaken(f"site {site!r}: slot {slot!r} was already claimed") from None
            run_id = cur.fetchone()[0]
            if versions:
                cur.executemany(db.sql(_VERSION_TOUCH), versions)
                cur.executemany(db.sql(_DOCUMENT_TOUCH), documents)
        return "", run_id
    finally:
        db.close()


def _agrees(
    db: Sql, cur: Any, site: str, based_on: int, seen: list[tuple[str, str | None, str | None, datetime]]
) -> tuple[str, tuple[dict[str, Any] | None, list[dict[str, Any]], list[dict[str, Any]]]]:
    """Why the database no longer agrees with the replayed crawl ('' when it does), and the rows to write."""
    nothing: tuple[None, list[dict[str, Any]], list[dict[str, Any]]] = (None, [], [])
    cur.execute(db.sql(_LAST_RUN), {"site": site})
    last = cur.fetchone()
    if last is None or last[1] != "ok":
        return "the site's last run did not end ok", nothing
    last_stats = db.json_out(last[2]) or {}
    if last[0] != based_on and last_stats.get(REVALIDATED_FROM) != based_on:
        return f"the site's last run is {last[0]}, not the crawl {based_on} the pre-check replayed", nothing
    cur.execute(db.sql(_ACTIVE_URLS), {"site": site})
    active = {url for (url,) in cur.fetchall()}
    cur.execute(db.sql(_STORED), {"site": site})
    stored = {url: (did, vid, etag or None, modified or None) for url, did, vid, etag, modified in cur.fetchall()}
    urls = {canonical_url(url) for url, *_ in seen}
    if active != urls:
        return f"{len(active ^ urls)} documents are not those the replayed crawl saw", nothing
    versions, documents = [], []
    for url, etag, modified, at in seen:
        key = canonical_url(url)
        found = stored.get(key)
        if found is None or found[2:] != (etag, modified):
            return f"the stored version of {url} is not the one the 304 vouches for", nothing
        when = db.time(at)
        versions.append({"vid": found[1], "at": when, "etag": etag, "last_modified": modified, "fetched_url": key})
        documents.append({"did": found[0], "at": when})
    return "", (last_stats, versions, documents)
