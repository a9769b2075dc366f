"""The baseline of bench_crawl_gkmlpt: a bare Scrapy spider that only downloads a gkmlpt site.

The index shell, then every leaf category's JSON API pages (1, 2, ... until `post_count`
articles are seen or a page is empty, the stop rule of crawler/listings/gkmlpt.py), then each
article's detail page -- the URLs our spider fetches, with Scrapy's defaults: no HTTP cache,
no middlewares of ours, no items, no database. Nothing is parsed beyond what finding those
URLs needs (SID and the TREE's leaves from the shell, `articles[].url` from the JSON). Run by
`scrapy runspider benchmarks/bare_gkmlpt_spider.py -a start=URL`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response

_SID = re.compile(r"""\bSID\s*:\s*'(\d+)'""")
_TREE = re.compile(r"\bTREE\s*:\s*")
PAGE = 100  # articles per API page, as the platform (and our family's default) has it


class BareGkmlptSpider(scrapy.Spider):
    name = "bare-gkmlpt"

    def __init__(self, start: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.start_urls = [start]

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        sid = _SID.search(response.text).group(1)
        tree, _ = json.JSONDecoder().raw_decode(response.text, _TREE.search(response.text).end())
        for cat in _leaves(tree):
            yield self._api(response.url, cat, 1, sid)

    def _api(self, base: str, cat: int, page: int, sid: str) -> scrapy.Request:
        url = urljoin(base, f"api/all/{cat}?page={page}&sid={sid}")
        return scrapy.Request(url, callback=self.parse_api, cb_kwargs={"base": base, "cat": cat, "page": page, "sid": sid})

    def parse_api(self, response: Response, base: str, cat: int, page: int, sid: str) -> Iterator[scrapy.Request]:
        data = json.loads(response.body)
        articles = data.get("articles") or []
        for art in articles:
            yield response.follow(art["url"], callback=self.parse_detail)
        if len(articles) >= PAGE and page * PAGE < data["classify"]["post_count"]:
            yield self._api(base, cat, page + 1, sid)

    def parse_detail(self, response: Response) -> None:
        self.crawler.stats.inc_value("bare/detail_pages")


def _leaves(nodes: list[dict[str, Any]]) -> Iterator[int]:
    for node in nodes:
        if node.get("children"):
            yield from _leaves(node["children"])
        elif not node.get("jump_url"):
            yield node["id"]
