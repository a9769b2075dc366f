"""Conditional GETs of document pages, with the validators of the version the database stores.

The invariant: a downloaded revision is either recorded or downloaded again in full next time.
The HTTP cache cannot keep it: it stores the new body and its validators the moment the page
arrives, before any writer has recorded it, so a writer killed, a connection dropped or a disk
full in between turned the revision into a 304 on every later crawl, and a 304 of a known
document is "unchanged". The database knows only what it recorded; its If-None-Match /
If-Modified-Since can only ever vouch for the stored version.

So a document request (meta `document_page`, crawler.spiders.site) bypasses the HTTP cache and
carries the stored version's ETag and Last-Modified, read once when the spider opens
(storage.crawl_runs.stored_validators). A 304 reaches the spider as a 304 (the spider lets it
through) and storage moves `last_seen` of the stored version; a URL the database has no
validators for is fetched in full. A redirect target is looked up afresh, never sent the
validators of the URL that redirected to it.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from sqlalchemy.exc import SQLAlchemyError

from storage.urls import canonical_url

log = logging.getLogger(__name__)

CONDITIONAL = (b"If-None-Match", b"If-Modified-Since")


class StoredValidatorsMiddleware:
    """Before the cache (900) on the way in, so that `dont_cache` is set when the cache looks."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.validators: dict[str, tuple[str | None, str | None]] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoredValidatorsMiddleware:
        return cls(crawler)

    def spider_opened(self, spider: object) -> None:
        from storage.crawl_runs import stored_validators
        from storage.db import connect

        url = getattr(spider, "database_url", None)
        site = getattr(spider, "site_name", None)
        if not url or not site:
            return
        db = connect(url)
        try:
            self.validators = stored_validators(db, site)
        except SQLAlchemyError as e:  # no schema yet: nothing stored, every page in full
            log.info("no stored validators: %s", str(e).splitlines()[0])
        finally:
            db.dispose()
        self.crawler.stats.set_value("policywatch/stored_validators", len(self.validators))

    def process_request(self, request: Request) -> None:
        if not request.meta.get("document_page"):
            return None
        request.meta["dont_cache"] = True
        for name in CONDITIONAL:  # a redirect copies the headers of the request it replaces
            request.headers.pop(name, None)
        etag, modified = self.validators.get(canonical_url(request.url), (None, None))
        if etag:
            request.headers[b"If-None-Match"] = etag
        if modified:
            request.headers[b"If-Modified-Since"] = modified
        return None
