"""The baseline of bench_crawl: a bare Scrapy spider that only downloads the portal's pages.

List pages -> detail pages with static index_N pagination, as our spider does for the same
portal, but with Scrapy's defaults: no HTTP cache, no middlewares of ours, no items, no
database. Run by `scrapy runspider benchmarks/bare_spider.py -a start=URL`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response


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
