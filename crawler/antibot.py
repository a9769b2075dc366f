"""Anti-bot answers, named: a challenge or a firewall page is a failed fetch with a reason.

Government sites put three kinds of gate in front of their pages, and each looks like something
else to a plain crawler:

- the 瑞数 (Rivers Security) JavaScript cookie challenge: HTTP 412 (加速乐 uses 521) with an
  almost empty page — a `<meta content=…>`, an inline `$_ts`/`$_ss` script and an external
  script that computes a cookie and reloads. Without naming it, it is "http 412".
- a web application firewall's block page: HTTP 403 (405, 406, 418, 501 for some products) whose
  body or headers name the product (安全狗, 云盾, 云锁, 创宇盾, Cloudflare…) or say "access denied".
- a redirect to the same URL that sets a cookie (the openresty CT6T/CT6TS gate of moj.gov.cn):
  Scrapy's duplicate filter drops the second request of a self-redirect without a word, so the
  listing silently lists nothing. Replaying the cookie once is what passes the simple kind; a
  second self-redirect after the replay is a gate that wants JavaScript.

`classify` is pure (status, headers, body, URLs): the fixtures and the real fragments in
policywatch/demo/pages/ruishu-412-challenge/ test it directly. `AntiBotMiddleware` sits between the
cookie middleware (700: the cookie is in the jar when it runs) and the redirect middleware
(600: it sees the 3xx first), raises `Blocked` with the reason, and keeps the first reason in
the stats (`policywatch/blocked`), from where it reaches the crawl_run row, `policywatch crawl`,
`policywatch status` and the operator alert (storage.crawl_runs.run_reason).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from storage.crawl_runs import BLOCKED_STAT  # the first reason of the run, one line

log = logging.getLogger(__name__)

REPLAYED = "policywatch_cookie_replayed"  # request meta: this is the one replay of a cookie gate

# 412: 瑞数; 521: 加速乐; 202 and 403: other JS shells. Never 404/410: those are answers.
CHALLENGE_STATUSES = frozenset({202, 403, 412, 429, 503, 521})
WAF_STATUSES = frozenset({403, 405, 406, 418, 429, 501})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A challenge page is a shell: its text outside scripts is a few words at most.
SHELL_TEXT_MAX = 400

_SCRIPT = re.compile(rb"<script\b[^>]*>(.*?)</script\s*>", re.I | re.S)
_EXTERNAL_SCRIPT = re.compile(rb"<script\b[^>]*\bsrc\s*=", re.I)
_TAGS = re.compile(rb"<[^>]+>|<!--.*?-->", re.S)
_RUISHU = re.compile(rb"\$_(?:ts|ss)\s*=\s*window\s*\[\s*['\"]\$_(?:ts|ss)['\"]\s*\]|\$_(?:ts|ss)\.(?:nsd|cd)\s*=")
_META_CONTENT = re.compile(rb"<meta\b[^>]*\bcontent\s*=\s*['\"][\w.\-]{40,}['\"]", re.I)
_SETS_COOKIE = re.compile(rb"document\s*\.\s*cookie\s*=", re.I)
_RELOADS = re.compile(
    rb"location\s*\.\s*(?:reload|replace|assign)\s*\(|location(?:\s*\.\s*href)?\s*=[^=]|\.submit\s*\(", re.I
)

# Products, by what they put in the block page or the headers. The body markers are the
# products' own block-page wording; checked lower-cased on the first 64 KB.
_WAF_BODY = (
    ("安全狗", "安全狗"),
    ("safedog", "安全狗"),
    ("云盾", "阿里云盾"),
    ("aliyun waf", "阿里云盾"),
    ("errors.aliyun.com", "阿里云盾"),
    ("云锁", "云锁"),
    ("yunsuo", "云锁"),
    ("创宇盾", "创宇盾"),
    ("知道创宇", "创宇盾"),
    ("360网站卫士", "360网站卫士"),
    ("网站卫士", "360网站卫士"),
    ("百度云加速", "百度云加速"),
    ("yunjiasu", "百度云加速"),
    ("d盾", "D盾"),
    ("腾讯云waf", "腾讯云 WAF"),
    ("cloudflare", "Cloudflare"),
    ("web应用防火墙", "WAF"),
    ("网站防火墙", "WAF"),
    ("web application firewall", "WAF"),
    ("waf", "WAF"),
    ("您的访问请求可能对网站造成安全威胁", "WAF"),
    ("请求已被拦截", "WAF"),
    ("访问被拦截", "WAF"),
    ("访问被拒绝", "access denied"),
    ("access denied", "access denied"),
    ("request blocked", "access denied"),
    ("forbidden by waf", "WAF"),
)
_WAF_SERVER = (
    ("yundun", "阿里云盾"),
    ("aliyunwaf", "阿里云盾"),
    ("safedog", "安全狗"),
    ("yunjiasu", "百度云加速"),
    ("cloudflare", "Cloudflare"),
    ("jiasule", "加速乐"),
    ("waf", "WAF"),
)
_WAF_COOKIES = (
    ("acw_tc", "阿里云盾"),
    ("aliyungf_tc", "阿里云盾"),
    ("safedog-flow-item", "安全狗"),
    ("yd_cookie", "云盾"),
    ("__jsluid", "加速乐"),
    ("__cf_bm", "Cloudflare"),
    ("cf_clearance", "Cloudflare"),
)


@dataclass(frozen=True)
class Verdict:
    kind: str  # js-challenge | waf | cookie-redirect
    status: int
    reason: str  # one line, for the crawl summary, `status` and the operator alert


class Blocked(IgnoreRequest):
    """A fetch answered by an anti-bot gate; `response` is the gate's answer."""

    def __init__(self, verdict: Verdict, response: Response):
        super().__init__(verdict.reason)
        self.verdict = verdict
        self.response = response


def classify(
    status: int,
    headers: dict[str, list[str]],
    body: bytes,
    url: str,
    *,
    replayed: bool = False,
    rendered: bool = False,
) -> Verdict | None:
    """What gate, if any, answered. `headers`: lower-case names -> every value (Set-Cookie repeats).

    `replayed`: this request already sent back the cookie of a self-redirect; `rendered`: the
    answer comes from the browser (render = "browser"), which did not get past the gate.
    """
    if status in REDIRECTS:
        return _cookie_redirect(status, headers, url, replayed=replayed, rendered=rendered)
    if status in CHALLENGE_STATUSES and _is_js_challenge(body):
        if rendered:
            why = f"site still answers a JavaScript cookie challenge in the browser (HTTP {status})"
            return Verdict("js-challenge", status, why + "; the challenge did not pass in Chromium")
        return Verdict(
            "js-challenge",
            status,
            f'site answers a JavaScript cookie challenge (HTTP {status}); try render = "browser"',
        )
    if status in WAF_STATUSES:
        product = _waf_product(headers, body)
        if product:
            hint = "slow down (DOWNLOAD_DELAY) or ask the site to allow the crawler"
            if not rendered:
                hint = 'try render = "browser", ' + hint
            return Verdict("waf", status, f"site's firewall refuses the request (HTTP {status}, {product}); {hint}")
    return None


def _is_js_challenge(body: bytes) -> bool:
    head = body[:256 * 1024]
    if _RUISHU.search(head):
        return True
    # Otherwise the generic shape: a near-empty page whose script sets a cookie and reloads.
    scripts = b"\n".join(m.group(1) for m in _SCRIPT.finditer(head))
    text = _TAGS.sub(b"", _SCRIPT.sub(b"", head)).strip()
    if len(text) > SHELL_TEXT_MAX:
        return False
    if _SETS_COOKIE.search(scripts) and _RELOADS.search(scripts):
        return True
    # The 瑞数 shape without the $_ts name: meta token + external script, nothing to read.
    return bool(_META_CONTENT.search(head) and _EXTERNAL_SCRIPT.search(head) and len(text) < 40)


def _waf_product(headers: dict[str, list[str]], body: bytes) -> str | None:
    server = " ".join(headers.get("server", []) + headers.get("x-powered-by-360wzb", [])).lower()
    for marker, product in _WAF_SERVER:
        if marker in server:
            return product
    if headers.get("x-powered-by-360wzb"):
        return "360网站卫士"
    cookies = " ".join(headers.get("set-cookie", [])).lower()
    for marker, product in _WAF_COOKIES:
        if re.search(rf"(?:^|[\s;,]){re.escape(marker)}\w*=", cookies):
            return product
    text = body[: 64 * 1024].decode("utf-8", "replace")
    if "\ufffd" in text:
        text = body[: 64 * 1024].decode("gb18030", "replace")
    low = text.lower()
    for marker, product in _WAF_BODY:
        if marker == "waf":
            if re.search(r"\bwaf\b", low):
                return product
        elif marker in low:
            return product
    return None


def _cookie_redirect(
    status: int, headers: dict[str, list[str]], url: str, *, replayed: bool, rendered: bool
) -> Verdict | None:
    location = (headers.get("location") or [""])[0]
    if not location or not headers.get("set-cookie"):
        return None
    if urldefrag(urljoin(url, location))[0] != urldefrag(url)[0]:
        return None
    if not replayed:
        return Verdict("cookie-redirect", status, "")  # replay the cookie once (the middleware does)
    why = f"site answers a redirect to itself that sets a cookie (HTTP {status}), again after the cookie was sent back"
    return Verdict("cookie-redirect", status, why + ("" if rendered else '; try render = "browser"'))


def header_lists(response: Response) -> dict[str, list[str]]:
    return {
        k.decode("latin-1").lower(): [v.decode("latin-1") for v in values]
        for k, values in response.headers.items()
    }


class AntiBotMiddleware:
    """Name the gate (see the module docstring); replay a self-redirect's cookie once."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AntiBotMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_obey_robotstxt") or response.url.endswith("/robots.txt"):
            return response  # robots.txt is Scrapy's business; the gate shows on the pages
        verdict = classify(
            response.status,
            header_lists(response),
            response.body,
            response.url,
            replayed=bool(request.meta.get(REPLAYED)),
            rendered="playwright" in response.flags,
        )
        if verdict is None:
            return response
        stats = self.crawler.stats
        if verdict.kind == "cookie-redirect" and not verdict.reason:
            # The cookie is in the jar (CookiesMiddleware ran first): ask again, past the
            # duplicate filter that would drop a redirect to the same URL without a word.
            stats.inc_value("policywatch/cookie_replays")
            log.info("cookie gate at %s (HTTP %d): asking again with its cookie", request.url, response.status)
            return request.replace(dont_filter=True, meta={**request.meta, REPLAYED: True})
        stats.inc_value(f"policywatch/blocked/{verdict.kind}")
        if not stats.get_value(BLOCKED_STAT):
            stats.set_value(BLOCKED_STAT, verdict.reason)
        log.warning("blocked: %s: %s", request.url, verdict.reason)
        raise Blocked(verdict, response)

