"""The baseline of bench_crawl: a bare Scrapy spider that only downloads the portal's pages.

List pages -> detail pages with static index_N pagination, as our spider does for the same
portal, but with Scrapy's defaults: no HTTP cache, no middlewares of ours, no items, no
database. Run by `scrapy runspider benchmarks/bare_spider.py -a start=URL`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Request, Response


class Revalidating(RFC2616Policy):
    """Scrapy's RFC2616Policy with every stored page revalidated by its ETag / Last-Modified.

    The stock policy reads a stored response's `Cache-Control: no-cache` as "not fresh" and returns
    before it adds If-None-Match / If-Modified-Since, so against a CMS that sends no-cache (the
    portal does, as many do) its "recheck" is a second full download: no 304 at all. no-cache
    means "revalidate before use"; this is that, and so the floor of a Scrapy recheck.
    """

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.page_no = 0

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        links = response.css("table.gkml-list a::attr(href)").getall()
        for href in links:
            yield response.follow(href, callback=self.parse_detail)
        if links:
            self.page_no += 1
            yield response.follow(f"index_{self.page_no}.html", callback=self.parse)

    def parse_detail(self, response: Response) -> None:
        self.crawler.stats.inc_value("bare/detail_pages")
