"""The revalidation pre-check: a recheck of an unchanged site without starting Scrapy.

Most crawls of a watched site find nothing new. The full crawl of an unchanged site costs a
Scrapy process (about a second and 100 MB before the first request) to send conditional GETs
that all answer 304. When the site's last good crawl could be replayed (crawler.manifest: every
list and detail page it fetched, with its validators), the runner first asks those pages again
itself, list pages first, the way the crawl asks (crawler.revalidate_http: user agent, headers,
robots.txt, delays, concurrency). If each answers as before, the listing is the one that crawl
parsed and every document is the version it stored: the run is recorded as the crawl would
record it (a crawl_run row, ok, its 304s counted; every document touched, in one transaction,
storage.revalidation.record_revalidated_run) and no Scrapy process starts. At the first page that
answers otherwise (a 200, a 404/410, a challenge, an error, a page robots.txt now forbids) it
stops and the site gets the full crawl, which handles a change, a withdrawal or a challenge
exactly as without the pre-check. The database has the last word: it must still hold that
crawl's documents with those validators, or nothing is recorded and the full crawl runs.

Visible: the run's reason says "revalidated without a crawl" (`policywatch crawl`, `status`),
the runner's log file says what was asked and why a full crawl followed. Off with the setting
POLICYWATCH_REVALIDATE=False (in [crawl] settings, a site's settings, or --set). A site whose
settings hold a key that changes how pages are fetched and that the pre-check does not know is
always crawled in full, and so is a crawl through a proxy (the *_proxy environment).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from crawler import manifest, politeness
from crawler.revalidate_http import Asker, Politeness

REASON = "revalidated without a crawl"
# settings the pre-check honours (crawler.revalidate_http) or that do not change what is asked
KNOWN_SETTINGS = {
    "USER_AGENT", "DEFAULT_REQUEST_HEADERS", "ROBOTSTXT_OBEY", "ROBOTSTXT_USER_AGENT", "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN", "DOWNLOAD_DELAY", "DOWNLOAD_DELAY_JITTER", "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_START_DELAY", "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "DOWNLOAD_TIMEOUT",
    "POLICYWATCH_MAX_CRAWL_DELAY", "POLICYWATCH_REVALIDATE", "CONCURRENT_ITEMS", "DOWNLOAD_MAXSIZE",
    "DOWNLOAD_WARNSIZE", "CLOSESPIDER_TIMEOUT", "RETRY_ENABLED", "RETRY_TIMES", "RETRY_HTTP_CODES",
    "RETRY_BACKOFF_BASE", "RETRY_BACKOFF_MAX", "LOG_LEVEL", "LOG_FILE", "LOG_ENABLED", "EXTENSIONS",
    "TELNETCONSOLE_ENABLED", "HTTPCACHE_DIR", "HTTPCACHE_SQLITE_COMMIT_EVERY", "POLICYWATCH_BATCH_SIZE",
    "POLICYWATCH_WRITERS", "POLICYWATCH_MAX_WITHDRAW_SHARE", "POLICYWATCH_PROGRESS_FILE",
    "POLICYWATCH_PROGRESS_INTERVAL", "POLICYWATCH_ATTACHMENT_MAXSIZE", "POLICYWATCH_BROWSER_PAGES",
}  # fmt: skip
_PROXIES = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@dataclass
class Outcome:
    verdict: str  # "revalidated" | "crawl" (the full crawl must run) | "skipped" (slot taken)
    reason: str
    lists: int = 0
    pages: int = 0  # detail pages that answered 304
    requests: int = 0
    run_id: int | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def settings_for(site_table: dict[str, Any], args: list[str]) -> dict[str, Any]:
    """crawler.politeness, then the site's `settings`, then `-s KEY=VALUE` ones: Scrapy's order."""
    values: dict[str, Any] = {k: getattr(politeness, k) for k in dir(politeness) if k.isupper()}
    values.update(site_table.get("settings") or {})
    for item in args:
        key, _, value = item.partition("=")
        values[key] = value
    return values


def _bool(v: Any) -> bool:
    return v if isinstance(v, bool) else str(v).strip().lower() in ("1", "true", "yes", "on")


def _dict(v: Any) -> dict[str, str]:
    return {str(k): str(x) for k, x in (json.loads(v) if isinstance(v, str) else dict(v or {})).items()}


def politeness_of(s: dict[str, Any]) -> Politeness:
    ua = str(s["USER_AGENT"])
    return Politeness(
        user_agent=ua,
        headers=_dict(s["DEFAULT_REQUEST_HEADERS"]),
        obey_robots=_bool(s["ROBOTSTXT_OBEY"]),
        robots_agent=str(s["ROBOTSTXT_USER_AGENT"] or ua),
        concurrency=int(s["CONCURRENT_REQUESTS"]),
        per_host=int(s["CONCURRENT_REQUESTS_PER_DOMAIN"]),
        delay=float(s["DOWNLOAD_DELAY"]),
        jitter=float(s["DOWNLOAD_DELAY_JITTER"]),
        autothrottle=_bool(s["AUTOTHROTTLE_ENABLED"]),
        start_delay=float(s["AUTOTHROTTLE_START_DELAY"]),
        max_delay=float(s["AUTOTHROTTLE_MAX_DELAY"]),
        target_concurrency=float(s["AUTOTHROTTLE_TARGET_CONCURRENCY"]),
        timeout=float(s["DOWNLOAD_TIMEOUT"]),
        max_crawl_delay=float(s["POLICYWATCH_MAX_CRAWL_DELAY"]),
    )


def plan(
    cache_dir: Path, site: str, site_table: dict[str, Any], db_url: str, settings: dict[str, Any]
) -> tuple[manifest.Manifest | None, str]:
    """The pages to ask, or why the full crawl must run — without a request or the database."""
    if not _bool(settings["POLICYWATCH_REVALIDATE"]):
        return None, "the pre-check is off (POLICYWATCH_REVALIDATE=False)"
    found = manifest.read(manifest.path_for(cache_dir, site))
    if found is None:
        return None, "no earlier crawl to replay"
    unknown = sorted(set(settings) - KNOWN_SETTINGS - set(vars(politeness)))
    if unknown:
        return None, f"setting {unknown[0]} may change what is fetched"
    if any(os.environ.get(k) for k in _PROXIES):
        return None, "a proxy is configured"
    if found.site != site or found.database != manifest.db_key(db_url):
        return None, "the last replayable crawl recorded into another database"
    if found.site_table != manifest.site_fingerprint(site_table):
        return None, "the site's configuration changed since the last crawl"
    return found, ""


def precheck(
    cache_dir: Path,
    site: str,
    site_table: dict[str, Any],
    db_url: str,
    slot: str | None,
    args: list[str],
    *,
    deadline: float,
    stopping: threading.Event | None = None,
) -> Outcome:
    started, at = time.monotonic(), _utcnow()
    settings = settings_for(site_table, args)
    found, why = plan(cache_dir, site, site_table, db_url, settings)
    if found is None:
        return Outcome("crawl", why)
    # The database is needed only once every page answered: its driver (psycopg: a tenth of a
    # second; no SQLAlchemy, storage.revalidation says why) loads while the requests wait.
    loading = threading.Thread(target=_load_storage, args=(db_url,), name="revalidate-import", daemon=True)
    loading.start()
    stop = threading.Event()
    asker = Asker(politeness_of(settings), stop, deadline)
    asked = threading.Event()
    if stopping is not None:  # the scheduler stopping ends the asking too
        threading.Thread(target=_relay, args=(stopping, stop, asked), daemon=True).start()
    lists = [a for a in found.answers if a.kind == manifest.LIST]
    details = [a for a in found.answers if a.kind == manifest.DETAIL]
    skipped = [a.url for a in found.answers if a.kind == manifest.SKIPPED]
    try:
        for url in dict.fromkeys(urlunsplit((*urlsplit(a.url)[:2], "/", "", "")) for a in found.answers):
            why = asker.read_robots(url)
            if why:
                return _done(Outcome("crawl", why, requests=asker.requests), started)
        # what robots.txt forbade last time and allows now, the crawl would fetch: a new document
        why = next((f"robots.txt now allows {url}" for url in skipped if asker.allowed(url)), "")
        why = why or asker.ask(lists) or asker.ask(details)  # the listing first: a change there ends it soonest
    finally:
        asked.set()
        asker.close()
    listed = sum(a.status == 200 for a in lists)  # the 404 after a static listing is no list page
    out = Outcome("crawl", why, listed, len(details) if not why else 0, asker.requests)
    if why:
        return _done(out, started)
    loading.join()
    return _done(_record(out, found, site, slot, db_url, details, at, started), started)


def _record(
    out: Outcome, found: manifest.Manifest, site: str, slot: str | None, db_url: str,
    details: list[manifest.Answer], at: Any, started: float,
) -> Outcome:  # fmt: skip
    """Every page answered as before: the run, in the database (which may still say no)."""
    from storage.revalidation import SlotTaken, record_revalidated_run

    seconds = time.monotonic() - started
    stats = {
        "outcomes": {"unchanged": len(details)} if details else {},
        "policywatch/not_modified": len(details),
        "policywatch/revalidated": {"list_pages": out.lists, "pages": len(details), "requests": out.requests},
        "elapsed_time_seconds": round(seconds, 3),
        "finish_reason": f"{REASON}: {len(details)} pages and {out.lists} list pages answered 304",
        "problems": [],
    }
    try:
        why, run_id = record_revalidated_run(
            db_url, site, slot, based_on=found.run_id, started_at=at,
            seen=[(a.url, a.etag, a.last_modified, at) for a in details], stats=stats,
        )  # fmt: skip
    except SlotTaken as e:
        return Outcome("skipped", str(e), out.lists, 0, out.requests)
    except Exception as e:  # a database that cannot say: the full crawl decides (and reports it)
        why = f"the database could not record the revalidation: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        run_id = None
    if why:
        return Outcome("crawl", why, out.lists, 0, out.requests)
    return Outcome("revalidated", stats["finish_reason"], out.lists, len(details), out.requests, run_id)


def _relay(stopping: threading.Event, stop: threading.Event, asked: threading.Event) -> None:
    """Until the asking is over (a daemon runs many: this thread must end with it)."""
    while not asked.is_set():
        if stopping.wait(0.25):
            stop.set()
            return


def _load_storage(db_url: str) -> None:
    import storage.revalidation  # noqa: F401

    if db_url.startswith("postgres"):
        import psycopg  # noqa: F401


def _done(out: Outcome, started: float) -> Outcome:
    out.seconds = time.monotonic() - started
    return out


def _utcnow() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)
