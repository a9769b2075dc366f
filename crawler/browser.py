"""`render = "browser"`: a site's list pages (and, with `render_details = true`, its detail
pages) rendered in headless Chromium through scrapy-playwright.

For sites whose list exists only after JavaScript runs, and for those behind a JavaScript cookie
challenge (the 瑞数 412, crawler/antibot.py), which a real browser passes by running it.

Only those requests pay for a browser. The playwright download handler is installed for the
crawl of a `render = "browser"` site alone (`settings_for`, applied by the spider at "spider"
priority), so a plain site's crawl never imports Playwright nor starts Chromium; within a
browser site, requests without `meta["playwright"]` (detail pages without `render_details`,
attachments, robots.txt) still go through Scrapy's HTTP handler.

The browser is Debian's /usr/bin/chromium (`POLICYWATCH_CHROMIUM` to change it), never a
downloaded build, started with the flags this kind of machine needs: as root without a sandbox,
no GPU, and no background networking (with a closed network Chromium keeps trying Google's
hosts at every start).

What a rendered page costs and gives up:
- no conditional GET: the browser fetches the page whole every run (`dont_cache`; an
  If-None-Match from Scrapy's cache would get a 304 the browser has nothing to show for);
- the response is the DOM after scripts ran (`page.content()`), re-encoded as UTF-8; its status
  is that of the document the browser ended on, not of the first answer (a passed challenge is
  412 then 200: the spider sees 200).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
ASYNCIO_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
DOCUMENT = "policywatch_document"  # request meta: {"status", "url"} of the page's last main document
# A page that ended on a challenge status may be a challenge whose script has yet to reload it;
# how long its script gets to navigate, and how many reloads a challenge may take.
CHALLENGE_WAIT_MS = 5000
MAX_RELOADS = 4
SKIPPED_RESOURCES = frozenset({"image", "media", "font"})  # nothing a list is made of


def chromium_path(settings: Any = None) -> str:
    value = settings.get("POLICYWATCH_CHROMIUM") if settings is not None else None
    return str(value or os.environ.get("POLICYWATCH_CHROMIUM") or CHROMIUM)


def unavailable(settings: Any) -> str | None:
    """Why this machine cannot render (one line), or None."""
    reactor = settings.get("TWISTED_REACTOR")
    if reactor and reactor != ASYNCIO_REACTOR:
        return f'render = "browser" needs TWISTED_REACTOR = "{ASYNCIO_REACTOR}" (it is {reactor!r})'
    path = chromium_path(settings)
    if not Path(path).exists():
        return f'render = "browser" needs Chromium at {path} (apt-get install chromium)'
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError:
        return "render = \"browser\" needs scrapy-playwright (pip install 'policywatch[browser]')"
    return None


def settings_for(settings: Any) -> dict[str, Any]:
    """The Scrapy settings a `render = "browser"` site's crawl adds."""
    timeout_ms = int(settings.getfloat("DOWNLOAD_TIMEOUT") * 1000)
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium_path(settings),
            "headless": True,
            "args": ARGS,
            "timeout": timeout_ms,
        },
        # one context, two tabs: a government site is crawled a page or two at a time anyway
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": settings.getint("POLICYWATCH_BROWSER_PAGES"),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        # the browser's own headers (and its cookie jar: the challenge's cookie) on every request
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": None,
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.browser.skip_resource",
    }


def meta(user_agent: str | None) -> dict[str, Any]:
    """Request meta that sends one request through the browser."""
    from scrapy_playwright.page import PageMethod

    document: dict[str, Any] = {}
    context: dict[str, Any] = {"locale": "zh-CN", "java_script_enabled": True}
    if user_agent:
        context["user_agent"] = user_agent  # the crawler says who it is, in the browser too
    return {
        "playwright": True,
        "playwright_context": "policywatch",
        "playwright_context_kwargs": context,
        "playwright_page_init_callback": track_document,
        "playwright_page_methods": [PageMethod(settle, document)],
        DOCUMENT: document,
        "dont_cache": True,
    }


async def track_document(page: Any, request: Any) -> None:
    """Record every document the tab's main frame receives: the last one is what is shown."""
    document = request.meta.setdefault(DOCUMENT, {})

    def on_response(response: Any) -> None:
        req = response.request
        if req.is_navigation_request() and req.frame == page.main_frame:
            document["status"], document["url"] = response.status, response.url
            document["navigations"] = document.get("navigations", 0) + 1

    page.on("response", on_response)


async def settle(page: Any, document: dict[str, Any]) -> None:
    """Wait until the page stops navigating: a challenge sets its cookie and reloads, perhaps more
    than once; a list built by fetch() is there once the network is idle."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    from crawler.antibot import CHALLENGE_STATUSES

    for _ in range(MAX_RELOADS):
        await page.wait_for_load_state("networkidle")
        if int(document.get("status") or 200) not in CHALLENGE_STATUSES:
            return  # a page, or an answer (404, 410) that no script will change
        try:
            await page.wait_for_event(
                "framenavigated", predicate=lambda frame: frame == page.main_frame, timeout=CHALLENGE_WAIT_MS
            )
        except PlaywrightTimeout:
            return  # an error page that stays: the anti-bot middleware names it


def skip_resource(request: Any) -> bool:
    return request.resource_type in SKIPPED_RESOURCES


class RenderedStatusMiddleware:
    """A rendered response gets the status and URL of the document the browser ended on.

    scrapy-playwright reports the answer to `page.goto()`: for a challenge that the browser
    passed, that is the 412, while the body is already the page behind it.
    """

    def process_response(self, request: Any, response: Any) -> Any:
        if "playwright" not in response.flags:
            return response
        document = request.meta.get(DOCUMENT) or {}
        status = document.get("status")
        if status and status != response.status:
            if document.get("navigations", 0) > 1:
                log.info("browser passed %s: HTTP %d, then %d", request.url, response.status, status)
            return response.replace(status=int(status))
        return response
