"""Downloader middlewares: the charset a server lies about, backoff between retries, and robots.txt
obeyed before the first request of a host, Crawl-delay included."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Response, TextResponse
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

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
        return cls(s.getfloat("RETRY_BACKOFF_BASE"), s.getfloat("RETRY_BACKOFF_MAX"))

    async def process_request(self, request: Request) -> Any:
        n = int(request.meta.get("retry_times", 0))
        if n > 0 and self.base > 0:
            await asyncio.sleep(min(self.cap, self.base * 2 ** (n - 1)))
        return None


class RobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, made to hold, plus robots.txt `Crawl-delay`, per host.

    Every request of a host waits for its robots.txt on one shared Deferred. Scrapy 2.19 awaits
    it through Deferred.asFuture, whose callback returns None: the first waiter gets the parser,
    every later one gets None, which means "no robots.txt", so with `Disallow: /` the first
    dozen pages of a crawl went out anyway (a bare Scrapy spider does the same). Here a waiter
    reads the parser the middleware stored once the Deferred fired.

    `Crawl-delay` becomes a floor under the host's download slot delay: the slot waits at least
    that long between two requests (jitter included) whatever AutoThrottle computes, and never
    less than DOWNLOAD_DELAY - the site can only slow us down. POLICYWATCH_MAX_CRAWL_DELAY
    (default 60 s) caps an absurd value, with a warning, so one line cannot stall a run.
    """

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.max_crawl_delay = crawler.settings.getfloat("POLICYWATCH_MAX_CRAWL_DELAY")
        self.floors: dict[str, float] = {}  # download slot key -> Crawl-delay, seconds
        self._delays: dict[str, float | None] = {}  # netloc -> its robots.txt Crawl-delay
        self._jitters: dict[str, float] = {}  # slot key -> the jitter it was created with
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    async def robot_parser(self, request: Request) -> Any:
        parser = await super().robot_parser(request)
        stored = self._parsers.get(urlparse_cached(request).netloc)
        return parser if isinstance(stored, Deferred) else stored

    async def process_request(self, request: Request) -> None:
        await super().process_request(request)
        if request.meta.get("dont_obey_robotstxt"):
            return
        delay = self._crawl_delay(request)
        if delay:
            key, slot = self.crawler.engine.downloader._get_slot(request)
            self.floors[key] = max(delay, self.floors.get(key, 0.0))
            self._floor(key, slot)

    def _crawl_delay(self, request: Request) -> float | None:
        netloc = urlparse_cached(request).netloc
        if netloc in self._delays:
            return self._delays[netloc]
        rp = self._parsers.get(netloc)
        if rp is None or isinstance(rp, Deferred):
            return None  # no robots.txt (or it failed): nothing asked
        agent = self._robotstxt_useragent or request.headers.get(b"User-Agent", self._default_useragent)
        try:
            delay = rp.crawl_delay(agent)
        except (TypeError, ValueError):  # a parser without Crawl-delay support, or a bad value
            delay = None
        if delay is not None and delay > self.max_crawl_delay:
            log.warning("robots.txt of %s asks Crawl-delay %gs; waiting %gs (POLICYWATCH_MAX_CRAWL_DELAY)",
                        netloc, delay, self.max_crawl_delay)
            delay = self.max_crawl_delay
        self._delays[netloc] = float(delay) if delay and delay > 0 else None
        if self._delays[netloc]:
            log.info("robots.txt of %s: Crawl-delay %gs", netloc, self._delays[netloc])
            self.crawler.stats.max_value("policywatch/crawl_delay", self._delays[netloc])
        return self._delays[netloc]

    def _response_downloaded(self, response: Response, request: Request, **_: Any) -> None:
        # AutoThrottle may have just lowered the delay; this runs before the slot's next request.
        key = request.meta.get("download_slot")
        if key in self.floors:
            slot = self.crawler.engine.downloader.slots.get(key)
            if slot is not None:
                self._floor(key, slot)

    def _floor(self, key: str, slot: Any) -> None:
        floor = self.floors[key]
        jitter = self._jitters.setdefault(key, slot.jitter)
        slot.delay = max(slot.delay, floor)
        # the slot waits delay * (1 ± jitter): keep the low end at the floor
        slot.jitter = max(0.0, min(jitter, 1 - floor / slot.delay))
