"""crawler.antibot.classify: which answers are anti-bot gates, and what they are called.

The challenge pages are built from the real 瑞数 fragments (policywatch/demo/pages/ruishu-412-challenge,
provenance there) in the shape the research note describes; ordinary pages of the corpus must never
be taken for a gate, whatever status they come with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.antibot import classify
from policywatch.demo import PAGES
from policywatch.demo.portal import js_sites

DATA = Path(__file__).parent / "data"
FRAGMENTS = PAGES / "ruishu-412-challenge"
URL = "https://www.gansu.gov.cn/common/search/77b4ad617c73434dba6491e1de8a615a"
CHALLENGE_REASON = 'site answers a JavaScript cookie challenge (HTTP 412); try render = "browser"'


def ruishu_page(site: str, *, inline: bool = True) -> bytes:
    token = (FRAGMENTS / f"{site}_content.js").read_text(encoding="utf-8").split('"')[1]
    ts = (FRAGMENTS / f"{site}_ts.js").read_text(encoding="utf-8")
    script = f'<script type="text/javascript" r="m">{ts}</script>' if inline else ""
    return (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f'<meta id="9DhefwqGPrzGxEp9hPaoag" content="{token}" r="m">{script}'
        '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/d.FxJzG50F.dfe1675.js" r="m"></script>'
        "</head><body></body></html>"
    ).encode()


@pytest.mark.parametrize("site", ["gansu", "hubei_fgw"])
def test_the_real_ruishu_challenge_is_named(site):
    verdict = classify(412, {"content-type": ["text/html"]}, ruishu_page(site), URL)
    assert verdict is not None and verdict.kind == "js-challenge"
    assert verdict.reason == CHALLENGE_REASON


def test_the_challenge_shape_without_the_ts_script_is_still_a_challenge():
    verdict = classify(412, {}, ruishu_page("gansu", inline=False), URL)
    assert verdict is not None and verdict.reason == CHALLENGE_REASON


def test_the_portal_challenge_page_is_the_shape_classified():
    assert classify(412, {}, js_sites.challenge_page(), URL).kind == "js-challenge"


def test_a_generic_cookie_and_reload_shell_is_a_challenge():
    # 加速乐's shape: 521, a script that sets a clearance cookie and reloads
    body = (
        b"<html><body><script>document.cookie=('__jsl_clearance=1733000000.1|0|' + 'x')"
        b";location.href=location.pathname+location.search</script></body></html>"
    )
    verdict = classify(521, {}, body, URL)
    assert verdict is not None and verdict.reason.startswith("site answers a JavaScript cookie challenge (HTTP 521)")


def test_a_challenge_the_browser_did_not_pass_says_so():
    verdict = classify(412, {}, ruishu_page("gansu"), URL, rendered=True)
    assert verdict is not None and "in the browser" in verdict.reason and "try render" not in verdict.reason


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (412, b"<html><head><title>412 Precondition Failed</title></head><body><h1>Precondition Failed</h1></body></html>"),
        (403, b"<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>"),
        (200, ruishu_page("gansu")),  # a 200 is an answer, whatever it carries
        (404, ruishu_page("gansu")),
    ],
)
def test_plain_error_pages_are_not_gates(status, body):
    assert classify(status, {"server": ["nginx"]}, body, URL) is None


def test_no_page_of_the_corpus_is_taken_for_a_gate():
    pages = sorted((DATA / "corpus").glob("*.html"))
    assert len(pages) > 20
    for page in pages:
        body = page.read_bytes()
        for status in (403, 412, 503):
            assert classify(status, {}, body, URL) is None, (page.name, status)


@pytest.mark.parametrize(
    ("headers", "body", "product"),
    [
        ({}, js_sites.WAF_PAGE.encode(), "安全狗"),
        ({"server": ["Yundun"]}, b"<html><body>Sorry</body></html>", "阿里云盾"),
        ({"set-cookie": ["acw_tc=2f624a1e17330000; path=/; HttpOnly"]}, b"<html></html>", "阿里云盾"),
        ({}, "<html><body><h1>您的访问请求可能对网站造成安全威胁，请求已被云锁拦截</h1></body></html>".encode("gb18030"), "云锁"),
        ({}, b"<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>You don't have permission</BODY></HTML>", "access denied"),
    ],
)
def test_a_waf_block_page_is_named_with_its_product(headers, body, product):
    verdict = classify(403, headers, body, URL)
    assert verdict is not None and verdict.kind == "waf"
    assert verdict.reason.startswith(f"site's firewall refuses the request (HTTP 403, {product}); ")


def test_a_cookie_setting_redirect_to_itself_is_replayed_once_then_named():
    headers = {"location": ["/common/search/77b4ad617c73434dba6491e1de8a615a"], "set-cookie": ["CT6T=0001; path=/"]}
    first = classify(302, headers, b"", URL)
    assert first is not None and first.kind == "cookie-redirect" and first.reason == ""  # replay it
    second = classify(302, headers, b"", URL, replayed=True)
    assert second is not None and second.reason == (
        "site answers a redirect to itself that sets a cookie (HTTP 302), again after the cookie was sent back; "
        'try render = "browser"'
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"location": ["/other.html"], "set-cookie": ["a=1"]},  # a redirect elsewhere is a redirect
        {"location": [URL]},  # to itself without a cookie: the redirect middleware's business
    ],
)
def test_other_redirects_are_left_alone(headers):
    assert classify(302, headers, b"", URL, replayed=True) is None
