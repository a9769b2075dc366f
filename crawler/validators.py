"""Conditional GETs of document pages only for the version the database stores.

The invariant: a downloaded revision is either recorded or downloaded again in full next time.
The HTTP cache alone cannot keep it: it stores the new body and its validators the moment the
page arrives, before any writer has recorded it, so a writer killed, a connection dropped or a
disk full in between turned the revision into a 304 on every later crawl, and a 304 of a known
document is "unchanged". The database knows only what it recorded.

So every document request (meta `document_page`, crawler.spiders.site) carries the ETag and
Last-Modified of the latest stored version fetched from that URL (`stored_validators` in its
meta, read once when the spider opens: storage.crawl_runs.stored_validators), and the cache
(crawler.cache) uses its entry for the URL only when the entry's validators are exactly those:
then the conditional GET it sends is the database's, and a 304 vouches for the stored version
(whose cached body the spider still parses, for its attachment links). Any other entry (newer
than the database, or a URL the database does not store) is a miss: the page is fetched in
full. A redirect target is looked up afresh, never given the validators of the URL before it.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals
from scrapy.crawler import Crawler
from sqlalchemy.exc import SQLAlchemyError

from storage.urls import canonical_url

log = logging.getLogger(__name__)

class StoredValidatorsMiddleware:
    """Before the cache (900) on the way in, so that the cache finds what the database stores."""

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
        if request.meta.get("document_page"):
            request.meta["stored_validators"] = self.validators.get(canonical_url(request.url))
        return None
