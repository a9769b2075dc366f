"""The generic spider: list pages -> detail pages, as one site's entry in policywatch.toml says.

    scrapy crawl site -a site=NAME [-a config=policywatch.toml] [-a db=URL] [-a slot=ID]
    scrapy crawl site -a site=NAME -a site_config='{"name": ..., "start_urls": [...]}'   (Scrapyd)

`site_config` is the site's [[sites]] table as JSON, for a Scrapyd node that has no config file.

Besides what the listings show, every active document the database knows for the site is
revisited: a page that dropped off its listing and now answers 404 must be reported withdrawn,
and one still there costs a 304. The spider also notes every detail URL its listings show and
whether it saw all of the listing (`listing_complete`): a document that a complete listing no
longer shows is withdrawn too, even when its page still answers. Pages answering 404/410 are
only noted (`gone`): both kinds of withdrawal are decided together when the run ends
(storage.settle_withdrawals), so a bad day of the server cannot withdraw the whole site.

A list page that fails (an error status after retries, an exception in its callback, robots.txt
forbidding it) makes the listing incomplete and the run failed (`problems`); a malformed link
on a list page is skipped and counted (policywatch/bad_links), never the end of the page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response, TextResponse
from sqlalchemy.exc import SQLAlchemyError
from twisted.python.failure import Failure

from crawler import browser, listings, manifest
from crawler.antibot import Blocked
from crawler.items import AttachmentItem, PageItem
from pipeline.attachment_links import attachment_ext
from policywatch.config import SiteConfig, load, parse
from storage.crawl_runs import BLOCKED_STAT
from storage.models import utcnow

log = logging.getLogger(__name__)

GONE = [404, 410]  # detail statuses the spider sees (instead of HttpErrorMiddleware dropping them)


class SiteSpider(scrapy.Spider):
    name = "site"

    def __init__(
        self,
        site: str = "",
        config: str | None = None,
        db: str | None = None,
        slot: str | None = None,
        site_config: str | None = None,
        *args: Any,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if not site:
            raise ValueError("give the site to crawl: scrapy crawl site -a site=NAME")
        if site_config:
            try:
                raw = json.loads(site_config)
            except ValueError as e:
                raise ValueError(f"site_config is not JSON: {e}") from None
            cfg = parse({"sites": [raw]}, Path(f"<site_config of {site}>"))
        else:
            cfg = load(config)
            raw = _site_table(cfg.path, site)
        self.site: SiteConfig = cfg.site(site)
        self.site_name = site
        self.slot = slot or None
        # explicit argument, then the environment, then the config file (then ./policywatch.db)
        self.database_url = db or os.environ.get("POLICYWATCH_DATABASE_URL") or cfg.database_url
        self.force_encoding = self.site.encoding
        self.allowed_domains = list(self.site.allowed_domains) or sorted(
            {urlsplit(u).hostname or "" for u in self.site.start_urls}
        )
        self.listed: set[str] = set()  # detail URLs the listings show (and where they redirect)
        self.listing_truncated = False  # pagination stopped at max_pages with more to come
        self.list_failures: list[str] = []  # one line per list page that failed: the listing is unknown
        self.gone: dict[str, int] = {}  # detail URL -> 404/410, withdrawn (or not) when the run ends
        self.links_seen = 0  # every link link_selector found on list pages, matching or not
        self.known_documents = 0  # documents of the site in the database before this run
        # how the site lists its documents: the `family` of its [[sites]] table (crawler/listings/)
        self.listing: listings.Family = listings.family(self.site.family)(self.site)
        self._known: list[str] = []  # active documents of the site, revisited when the listing is done
        self.browser_problem: str | None = None  # render = "browser" on a machine that cannot
        self.gate: str | None = None  # the first anti-bot answer to a list or detail page (crawler/antibot.py)
        # every page's answer, for the next run's revalidation pre-check (crawler.manifest)
        self.replay = manifest.Recorder()
        self.site_table = manifest.site_fingerprint(raw)
        if self.site.attachments or self.site.render == "browser" or site_config:
            self.replay.refuse("attachments, a browser or a Scrapyd node: not replayable without Scrapy")

    def listing_complete(self, reason: str) -> bool:
        """Did this run see the whole listing? Only then may absence from it mean anything."""
        return reason == "finished" and not self.listing_truncated and bool(self.listed) and not self.list_failures

    def problems(self, reason: str) -> list[str]:
        """Why this run must count as failed even though pages were fetched, one line each."""
        out = []
        gate = self.browser_problem or self.gate
        if gate:  # a browser that cannot start, or an anti-bot answer: said first
            out.append(gate)
        if self.list_failures:
            more = f" (and {len(self.list_failures) - 1} more)" if len(self.list_failures) > 1 else ""
            out.append(f"list page failed: {self.list_failures[0]}{more}; the listing is incomplete")
        pages = int(self.crawler.stats.get_value("policywatch/list_pages", 0))
        if reason == "finished" and not self.listed and pages and not self.known_documents:
            # A site that never yielded a document and shows none now is misconfigured, not
            # quiet. (One that used to list documents gets the empty-listing alert instead.)
            out.append(
                f"0 of {self.links_seen} links on {pages} list pages matched detail_pattern"
                if self.links_seen
                else f"no link on {pages} list pages matched link_selector {self.site.link_selector!r}"
                if self.site.family == "html"
                else f"no document on {pages} list pages of the {self.site.family} listing"
            )
        return out

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are frozen only after the spider exists, so per-site overrides can go in;
        # "spider" priority keeps `-s` on the command line stronger.
        for key, value in spider.site.settings.items():
            crawler.settings.set(key, value, priority="spider")
        crawler.signals.connect(spider._revisit_known, signal=signals.spider_idle)
        if spider.site.render == "browser":
            spider.browser_problem = browser.unavailable(crawler.settings)
            if spider.browser_problem is None:
                for key, value in browser.settings_for(crawler.settings).items():
                    crawler.settings.set(key, value, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.browser_problem:  # the run fails, and says why
            self.crawler.stats.set_value(BLOCKED_STAT, self.browser_problem)
            self.crawler.stats.inc_value("policywatch/list_errors")
            log.error("not crawling: %s", self.browser_problem)
            return
        for url in self.site.start_urls:
            for request in self.listing.first_requests(url):
                yield self._list_request(request)
        # Known documents are revisited once the listing is done: one the listing shows is
        # fetched from it, with what the list says about it (the duplicate filter drops the
        # second request), so its list facts never depend on which request came first.
        self._known = self._known_urls()

    def _revisit_known(self) -> None:
        if not getattr(self, "_known", None):
            return
        urls, self._known = self._known, []
        for url in urls:
            self.crawler.engine.crawl(self._detail_request(url))
        raise DontCloseSpider

    def _known_urls(self) -> list[str]:
        from storage.crawl_runs import active_urls, document_count
        from storage.db import connect

        db = connect(self.database_url)
        try:
            self.known_documents = document_count(db, self.site_name)
            return active_urls(db, self.site_name)
        except SQLAlchemyError as e:  # no schema yet (storage pipeline disabled): nothing known
            log.info("no known documents to revisit: %s", str(e).splitlines()[0])
            return []
        finally:
            db.dispose()

    # -- requests ------------------------------------------------------------------------------

    def _list_request(self, request: scrapy.Request) -> scrapy.Request:
        """A list request of the site's family (its state in meta), sent to parse_list; through
        the browser for a render = "browser" site."""
        meta = {**request.meta, **self._render_meta(self.site.render == "browser")}
        return request.replace(callback=self.parse_list, errback=self.list_failed, meta=meta)

    def _detail_request(self, url: str, facts: dict[str, Any] | None = None) -> scrapy.Request:
        # document_page: validated against the stored version, not the cache (crawler.validators)
        meta: dict[str, Any] = {"handle_httpstatus_list": GONE, "document_page": True}
        if facts:
            meta["list_facts"] = facts  # what the list said: the writer fills what the page lacks
        meta.update(self._render_meta(self.site.render_details))
        return scrapy.Request(url, callback=self.parse_detail, errback=self.detail_failed, meta=meta)

    def _render_meta(self, rendered: bool) -> dict[str, Any]:
        """Through headless Chromium (render = "browser", crawler/browser.py), or plain HTTP."""
        if not rendered or self.browser_problem:
            return {}
        return browser.meta(self.crawler.settings.get("USER_AGENT"))

    # -- callbacks -----------------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("policywatch/list_pages")
        if not isinstance(response, TextResponse):
            self._list_page_failed(response.url, f"not a text page ({type(response).__name__})")
            return
        try:
            yield from self._parse_list(response)
        except Exception as e:  # the rest of this page and the pages after it are unknown
            self._list_page_failed(response.url, f"{type(e).__name__}: {e}")

    def _parse_list(self, response: TextResponse) -> Iterator[scrapy.Request]:
        self._note(manifest.LIST, response)
        page = self.listing.parse(response)
        self.links_seen += page.links
        for bad in page.bad_links:  # one malformed href must not end the page, and with it the listing
            self.crawler.stats.inc_value("policywatch/bad_links")
            log.warning("bad link skipped on %s: %r", response.url, bad[:200])
        for doc in page.documents:
            self.listed.add(doc.url)
            yield self._detail_request(doc.url, doc.facts())
        self.crawler.stats.inc_value("policywatch/listed", page.matched)  # 0 on every page: a template change
        if page.truncated:
            root = (response.meta.get(listings.STATE) or {}).get("root", response.url)
            log.warning("listing of %s stops at max_pages=%d; more pages follow", root, self.listing.max_pages)
            self.listing_truncated = True
        for request in [*page.sublists, *page.requests]:
            yield self._list_request(request)

    def parse_detail(self, response: Response) -> Iterator[PageItem | scrapy.Request]:
        asked = (response.meta.get("redirect_urls") or [response.request.url])[0]
        if asked in self.listed:
            self.listed.add(response.url)  # the document is stored under where it redirected
        self._note(manifest.DETAIL, response)
        if response.status in GONE:
            # Withdrawn, if at all, when the run ends and it is known how much of the site went:
            # a site answering 404 to everything for one run must not withdraw every document.
            self.gone[response.url] = response.status
            return
        if isinstance(response, TextResponse) and response.status == 200 and "cached" not in response.flags:
            self._check_decoding(response)
        yield PageItem(
            list_facts=response.meta.get("list_facts") or {},
            url=response.url,
            status=response.status,
            body=response.body,
            site=self.site_name,
            fetched_at=utcnow(),
            headers={k.decode("latin-1"): v[0].decode("latin-1") for k, v in response.headers.items() if v},
            cached="cached" in response.flags,
            encoding=response.encoding if isinstance(response, TextResponse) else None,
        )
        if self.site.attachments and isinstance(response, TextResponse) and response.status == 200:
            yield from self._attachment_requests(response)

    def _attachment_requests(self, response: TextResponse) -> Iterator[scrapy.Request]:
        """The page's attachment links (the normalizer's rule) of a type the site asked for; a file
        linked twice is fetched once (Scrapy's duplicate filter)."""
        maxsize = self.crawler.settings.getint("POLICYWATCH_ATTACHMENT_MAXSIZE")
        for link in response.css("a[href]"):
            href = (link.attrib.get("href") or "").strip()
            name = " ".join("".join(link.css("::text").getall()).split())
            url = response.urljoin(href)
            if attachment_ext(href, name) in self.site.attachments and url.startswith(("http://", "https://")):
                yield scrapy.Request(
                    url,
                    callback=self.parse_attachment,
                    errback=self.attachment_failed,
                    cb_kwargs={"page_url": response.url, "name": name},
                    meta={"download_maxsize": maxsize},
                )

    def parse_attachment(self, response: Response, page_url: str, name: str) -> Iterator[AttachmentItem]:
        self.crawler.stats.inc_value("policywatch/attachments")
        yield AttachmentItem(
            url=response.url,
            page_url=page_url,
            name=name,
            sha256=hashlib.sha256(response.body).hexdigest(),
            size=len(response.body),
            fetched_at=utcnow(),
            content_type=(response.headers.get("Content-Type") or b"").decode("latin-1") or None,
        )

    def _note(self, kind: str, response: Response, status: int | None = None) -> None:
        """The answer, for the next run's pre-check: a 404/410 of a detail page is not replayable
        (its withdrawal is decided by this run's end), a cached page counts as its 200."""
        if kind == manifest.DETAIL and response.status in GONE:
            self.replay.refuse(f"a detail page answered {response.status}: {response.url}")
        self.replay.add(
            kind,
            response.url,
            status or 200,
            response.headers,
            method=response.request.method if response.request is not None else "GET",
            redirected=bool(response.meta.get("redirect_urls")) or bool(response.request and response.request.body),
        )

    def _check_decoding(self, response: TextResponse) -> None:
        """Count pages that still decode to U+FFFD: a charset lie the middleware did not catch."""
        text = response.text
        bad = text.count("\ufffd")
        if bad > max(3, len(text) // 1000):  # > 0.1 %: more than a stray broken byte
            self.crawler.stats.inc_value("policywatch/suspect_encoding")
            log.warning(
                "suspect encoding: %s decodes as %s with %d U+FFFD", response.url, response.encoding, bad
            )

    def list_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        # The page after the last one of a static listing answers 404: that is the end, not an error.
        status = getattr(getattr(failure.value, "response", None), "status", None)
        state = failure.request.meta.get(listings.STATE) or {}
        if status == 404 and state.get("page", 0) > 0 and self.site.family == "html":
            self._note(manifest.LIST, failure.value.response, status=manifest.END_OF_LISTING)
            return
        fallback = self.listing.on_error(failure.request)
        if fallback:
            # the family has another way to the same list (channel-search: the static copies)
            self.crawler.stats.inc_value("policywatch/list_fallbacks")
            self.replay.refuse("a list fallback was taken")
            log.warning("list request failed, listing by the fallback: %s: %s", failure.request.url, _reason(failure))
            for request in fallback:
                yield self._list_request(request)
            return
        # A list page robots.txt forbids is skipped, not an error, but the listing is unknown all the same.
        self._failed("list", failure)
        self.list_failures.append(" ".join(f"{failure.request.url}: {_reason(failure)}".split()))

    def _list_page_failed(self, url: str, why: str) -> None:
        self.crawler.stats.inc_value("policywatch/list_errors")
        self.list_failures.append(" ".join(f"{url}: {why}".split()))  # one line for status and the alert
        log.warning("list page failed: %s: %s", url, why)

    def detail_failed(self, failure: Failure) -> None:
        self._failed("detail", failure)

    def attachment_failed(self, failure: Failure) -> None:
        # A missing or oversized attachment is worth a line in the log, not a failed run.
        self.crawler.stats.inc_value("policywatch/attachment_errors")
        log.warning("attachment failed: %s: %s", failure.request.url, _reason(failure))

    def _failed(self, kind: str, failure: Failure) -> None:
        reason = _reason(failure)
        if failure.check(IgnoreRequest) and not getattr(failure.value, "response", None):
            # robots.txt or offsite: the site's wish or our scope, not a failure of the run
            self.crawler.stats.inc_value("policywatch/skipped")
            if "robots.txt" in reason:
                self.replay.skip(failure.request.url)
            log.info("%s page skipped: %s: %s", kind, failure.request.url, reason)
            return
        if isinstance(failure.value, Blocked) and self.gate is None:
            self.gate = failure.value.verdict.reason
            if self.site.render == "browser" and not failure.request.meta.get("playwright"):
                # the lists pass in the browser; the detail pages were fetched plainly
                self.gate = self.gate.replace('try render = "browser"', "try render_details = true")
        self.crawler.stats.inc_value(f"policywatch/{kind}_errors")
        self.crawler.stats.inc_value(f"policywatch/errors/{reason.split(':')[0]}")
        log.warning("%s page failed: %s: %s", kind, failure.request.url, reason)


def _site_table(path: Path, site: str) -> dict[str, Any]:
    import tomllib

    for raw in tomllib.loads(path.read_text(encoding="utf-8")).get("sites", []):
        if raw.get("name") == site:
            return raw
    return {}


def _reason(failure: Failure) -> str:
    value = failure.value
    response = getattr(value, "response", None)
    if response is not None:
        return f"http {response.status}"
    text = str(value).strip() or type(value).__name__
    return f"{type(value).__name__}: {text}"
