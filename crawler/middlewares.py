"""Downloader middlewares: the charset a server lies about, and backoff between retries."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse

from pipeline.decode import header_charset, meta_charset

log = logging.getLogger(__name__)

_UNRELIABLE = {"utf-8", "iso8859-1", "ascii", "cp1252"}  # server defaults, not the page's truth


class CharsetFixMiddleware:
    """Re-decode a page whose HTTP header charset contradicts its `<meta>` GB declaration.

    Scrapy lets the header win (browser behaviour, scrapy/scrapy#4933), so a GBK page served
    with a default `charset=utf-8` or `ISO-8859-1` header turns into U+FFFD or silent
    mojibake in every selector the spider runs. A site-level `encoding` from the config wins
    over both. The item keeps the bytes and headers as fetched; `pipeline.decode` makes its own
    (same) decision when normalizing.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetFixMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        forced = getattr(self.crawler.spider, "force_encoding", None)
        if forced:
            return response.replace(encoding=forced)
        declared = header_charset(
            {"content-type": response.headers.get("Content-Type", b"").decode("latin-1")}
        )
        meta = meta_charset(response.body)
        if (
            meta == "gb18030"
            and (declared is None or declared in _UNRELIABLE)
            and not _valid_utf8(response.body)
        ):
            self.crawler.stats.inc_value("policywatch/charset_fixed")
            log.info("charset: %s says %s, page says gb; decoding as gb18030", response.url, declared)
            return response.replace(encoding="gb18030")
        return response


def _valid_utf8(body: bytes) -> bool:
    # A page re-saved as UTF-8 often keeps its old gb2312 meta: then the bytes are the truth.
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class RetryBackoffMiddleware:
    """Wait RETRY_BACKOFF_BASE * 2**(n-1) seconds (capped) before sending retry number n.

    Scrapy's RetryMiddleware re-schedules at once; a struggling government server should get
    breathing room instead. The wait is an asyncio sleep, so other sites' requests go on.
    """

    def __init__(self, base: float, cap: float):
        self.base, self.cap = base, cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoffMiddleware:
        s = crawler.settings
        return cls(s.getfloat("RETRY_BACKOFF_BASE", 2.0), s.getfloat("RETRY_BACKOFF_MAX", 60.0))

    async def process_request(self, request: Request) -> Any:
        n = int(request.meta.get("retry_times", 0))
        if n > 0 and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (n - 1)))
        return None
