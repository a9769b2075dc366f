"""HTTP cache storage in one SQLite file per site, for Scrapy's HttpCacheMiddleware.

The cache exists for its validators: each run revalidates every page with If-None-Match /
If-Modified-Since (RFC2616Policy), and a 304 hands back the stored body. Scrapy's
FilesystemCacheStorage writes six files and a directory per response; on the benchmark portal
that was over half of the spider's CPU (BENCHMARKS.md, Crawler), and a site of 10,000 pages
became 60,000 files. Its DBM storage needs a gdbm/ndbm build that Python does not always have,
and names the file after the spider, which is "site" for every site. Here: one table in
`<HTTPCACHE_DIR>/<site>.sqlite`, keyed by the request fingerprint.

Writes are committed in batches (HTTPCACHE_SQLITE_COMMIT_EVERY, default 200) and on close: a
crawl killed midway loses at most that many cache entries, which costs the next run full
downloads of those pages, never a wrong answer.

The cache may stand in only for a 304 (NotModifiedOnly, CacheMiddleware): Scrapy's RFC2616
policy also hands back the stored copy for a 5xx and for a refused connection or a timeout,
so a site that is down looked like a site where nothing changed. And for a document page it
uses its entry only when the entry's validators are those of the version the database stores
(request meta `stored_validators`, crawler.validators): bytes the cache saw but no writer
recorded must be downloaded again, not revalidated into "unchanged".
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from time import time

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.utils.project import data_path

log = logging.getLogger(__name__)


def cache_dir(settings: BaseSettings) -> Path:
    """HTTPCACHE_DIR, made if missing. Not Scrapy's data_path(createdir=True): it checks, then
    creates without exist_ok, so of two crawls starting together (a scheduler's sites, two
    runners of one slot) on a new state directory one died of FileExistsError."""
    path = Path(data_path(settings["HTTPCACHE_DIR"]))
    path.mkdir(parents=True, exist_ok=True)
    return path


class SqliteCacheStorage:
    def __init__(self, settings: BaseSettings):
        self.cachedir = cache_dir(settings)
        self.expiration_secs = settings.getint("HTTPCACHE_EXPIRATION_SECS")
        self.commit_every = settings.getint("HTTPCACHE_SQLITE_COMMIT_EVERY")
        self.conn: sqlite3.Connection | None = None
        self.pending = 0

    def open_spider(self, spider: Spider) -> None:
        name = getattr(spider, "site_name", None) or spider.name
        path = self.cachedir / f"{name}.sqlite"
        self.conn = sqlite3.connect(path, timeout=60, isolation_level="DEFERRED")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS response (fingerprint TEXT PRIMARY KEY, stored REAL,"
            " url TEXT, status INTEGER, headers TEXT, body BLOB)"
        )
        self.conn.commit()
        self.fingerprint = spider.crawler.request_fingerprinter.fingerprint
        log.debug("HTTP cache in %s", path)

    def close_spider(self, spider: Spider) -> None:
        if self.conn is not None:
            self.conn.commit()
            self.conn.close()
            self.conn = None

    def retrieve_response(self, spider: Spider, request: Request) -> Response | None:
        assert self.conn is not None
        row = self.conn.execute(
            "SELECT stored, url, status, headers, body FROM response WHERE fingerprint = ?",
            (self.fingerprint(request).hex(),),
        ).fetchone()
        if row is None:
            return None
        stored, url, status, headers, body = row
        if 0 < self.expiration_secs < time() - stored:
            return None
        # JSON, not pickle: the cache holds crawled bytes and must never be a way to run code
        raw = Headers({k: [v.encode("latin-1") for v in vs] for k, vs in json.loads(headers).items()})
        if "stored_validators" in request.meta and not _is_stored_version(raw, request.meta["stored_validators"]):
            spider.crawler.stats.inc_value("policywatch/cache_not_stored_version")
            return None
        request.meta["cache_timestamp"] = stored
        request.meta[_ENTRY_VALIDATORS] = _validators(raw)
        cls = responsetypes.from_args(headers=raw, url=url, body=body)
        return cls(url=url, status=status, headers=raw, body=body)

    def store_response(self, spider: Spider, request: Request, response: Response) -> None:
        assert self.conn is not None
        if (
            self.expiration_secs <= 0
            and "cached" in response.flags
            and request.meta.get(_ENTRY_VALIDATORS) == _validators(response.headers)
        ):
            # A 304 that names the entry's own validators: Scrapy would write the entry again for
            # the 304's other headers (its Date), which no policy here reads (max-age=0 always
            # revalidates), nor the entry's age when entries never expire. Not rewriting the
            # body saves a cache write per page of a recrawl.
            spider.crawler.stats.inc_value("policywatch/cache_kept")
            return
        headers = {k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()}
        self.conn.execute(
            "INSERT OR REPLACE INTO response (fingerprint, stored, url, status, headers, body)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.fingerprint(request).hex(), time(), response.url, response.status, json.dumps(headers), response.body),
        )
        self.pending += 1
        if self.pending >= self.commit_every:
            self.conn.commit()
            self.pending = 0


_ENTRY_VALIDATORS = "policywatch_cache_validators"  # request meta: the entry's, as retrieved


def _validators(headers: Headers) -> tuple[str | None, str | None]:
    def value(name: str) -> str | None:
        v = headers.get(name)
        return v.decode("latin-1") if v else None

    return value("ETag"), value("Last-Modified")


def _is_stored_version(headers: Headers, stored: tuple[str | None, str | None] | None) -> bool:
    """Do the cached response's validators name the version the database stores?"""
    if stored is None or stored == (None, None):
        return False
    return _validators(headers) == stored


class NotModifiedOnlyPolicy(RFC2616Policy):
    """RFC2616Policy, except that the stored copy answers for the server only when the server
    said so (304), and only 200s are stored: a 5xx, a 429 or a 404 is the server's answer of
    the day, and the run must see it as such."""

    def should_cache_response(self, response: Response, request: Request) -> bool:
        return response.status == 200 and super().should_cache_response(response, request)

    def is_cached_response_valid(self, cachedresponse: Response, response: Response, request: Request) -> bool:
        return response.status == 304


class CacheMiddleware(HttpCacheMiddleware):
    """HttpCacheMiddleware without its error recovery: a refused connection or a timeout is a
    failed fetch (retried, then the request's errback), not the stored copy of last time."""

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        if request.meta.pop("cached_response", None) is not None:
            self.stats.inc_value("policywatch/cache_not_used_for_error")
        return None
