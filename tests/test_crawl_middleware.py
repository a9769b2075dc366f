"""CharsetFixMiddleware: a GB page under a server-default charset header is re-decoded."""

from __future__ import annotations

from types import SimpleNamespace

from scrapy.http import HtmlResponse, Request

from crawler.middlewares import CharsetFixMiddleware

TEXT = "中华人民共和国市场主体登记管理条例 第一条 为了规范市场主体登记管理行为"


def _mw(force: str | None = None) -> CharsetFixMiddleware:
    stats = SimpleNamespace(inc_value=lambda *a, **k: None)
    return CharsetFixMiddleware(SimpleNamespace(spider=SimpleNamespace(force_encoding=force), stats=stats))


def _response(body: bytes, content_type: str) -> HtmlResponse:
    url = "http://127.0.0.1/p.html"
    return HtmlResponse(url, body=body, headers={"Content-Type": content_type}, request=Request(url))


def page(meta: str, text: str = TEXT, enc: str = "gb18030") -> bytes:
    return f'<html><head><meta charset="{meta}"></head><body><p>{text}</p></body></html>'.encode(enc)


def test_utf8_header_on_gb_page_is_redecoded():
    r = _response(page("gb2312"), "text/html; charset=utf-8")
    assert "\ufffd" in r.text  # what Scrapy alone would give the spider
    fixed = _mw().process_response(r.request, r)
    assert fixed.encoding == "gb18030" and TEXT in fixed.text


def test_latin1_header_silent_mojibake_is_redecoded():
    r = _response(page("gbk"), "text/html; charset=ISO-8859-1")
    assert TEXT not in r.text and "\ufffd" not in r.text  # silent mojibake
    assert TEXT in _mw().process_response(r.request, r).text


def test_resaved_utf8_page_with_old_gb_meta_is_left_alone():
    r = _response(page("gb2312", enc="utf-8"), "text/html; charset=utf-8")
    assert _mw().process_response(r.request, r) is r


def test_honest_gb_header_is_left_alone_and_site_encoding_wins():
    r = _response(page("gb2312"), "text/html; charset=gbk")
    assert _mw().process_response(r.request, r) is r
    forced = _mw("gb18030").process_response(r.request, _response(page("utf-8"), "text/html"))
    assert forced.encoding == "gb18030" and TEXT in forced.text


def test_spider_counts_pages_that_still_decode_badly(caplog):
    from crawler.spiders.site import SiteSpider

    counted: list[str] = []
    spider = SiteSpider.__new__(SiteSpider)  # no config needed for this check
    spider.crawler = SimpleNamespace(stats=SimpleNamespace(inc_value=lambda key, *a, **k: counted.append(key)))
    spider._check_decoding(_response(page("utf-8", enc="utf-8"), "text/html; charset=utf-8"))
    assert counted == []
    spider._check_decoding(_response(page("gb2312", TEXT * 5), "text/html; charset=utf-8"))
    assert counted == ["policywatch/suspect_encoding"]
    assert "suspect encoding" in caplog.text
