"""crawler.cache.SqliteCacheStorage: a 304 naming the entry's own validators does not rewrite it."""

from __future__ import annotations

import json
import sqlite3

from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.cache import SqliteCacheStorage

URL = "http://127.0.0.1/notice.html"
BODY = "<html><body><p>第一条 通知全文。</p></body></html>".encode()


def _storage(tmp_path, **settings):
    crawler = get_crawler(Spider, {"HTTPCACHE_DIR": str(tmp_path), "HTTPCACHE_EXPIRATION_SECS": 0, **settings})
    spider = Spider.from_crawler(crawler, name="site")
    spider.site_name = "bulk"
    storage = SqliteCacheStorage(crawler.settings)
    storage.open_spider(spider)
    return storage, spider, crawler


def _rows(tmp_path):
    with sqlite3.connect(tmp_path / "bulk.sqlite") as conn:
        return conn.execute("SELECT stored, headers FROM response").fetchall()


def _revalidated(storage, spider, etag: str, date: str):
    """What Scrapy's middleware does with a 304: the stored copy, its headers updated from the 304."""
    request = Request(URL)
    cached = storage.retrieve_response(spider, request)
    cached.flags.append("cached")
    cached.headers.update({"ETag": etag, "Date": date})
    return request, cached


def test_a_304_with_the_entrys_validators_leaves_the_entry_as_it_is(tmp_path):
    storage, spider, crawler = _storage(tmp_path)
    first = HtmlResponse(URL, status=200, headers={"ETag": '"v1"', "Date": "Mon, 30 Nov 2026 08:00:00 GMT"}, body=BODY)
    storage.store_response(spider, Request(URL), first)
    storage.conn.commit()
    before = _rows(tmp_path)
    request, cached = _revalidated(storage, spider, '"v1"', "Wed, 02 Dec 2026 01:00:00 GMT")
    storage.store_response(spider, request, cached)
    storage.close_spider(spider)
    assert _rows(tmp_path) == before
    assert crawler.stats.get_value("policywatch/cache_kept") == 1


def test_a_304_with_new_validators_is_stored(tmp_path):
    storage, spider, crawler = _storage(tmp_path)
    first = HtmlResponse(URL, status=200, headers={"ETag": '"v1"'}, body=BODY)
    storage.store_response(spider, Request(URL), first)
    request, cached = _revalidated(storage, spider, '"v2"', "Wed, 02 Dec 2026 01:00:00 GMT")
    storage.store_response(spider, request, cached)
    storage.close_spider(spider)
    (row,) = _rows(tmp_path)
    assert json.loads(row[1])["Etag"] == ['"v2"']
    assert crawler.stats.get_value("policywatch/cache_kept") is None


def test_entries_that_expire_are_rewritten_to_stay_fresh(tmp_path):
    storage, spider, _ = _storage(tmp_path, HTTPCACHE_EXPIRATION_SECS=3600)
    storage.store_response(spider, Request(URL), HtmlResponse(URL, status=200, headers={"ETag": '"v1"'}, body=BODY))
    request, cached = _revalidated(storage, spider, '"v1"', "Wed, 02 Dec 2026 01:00:00 GMT")
    storage.store_response(spider, request, cached)
    storage.close_spider(spider)
    (row,) = _rows(tmp_path)
    assert "Wed, 02 Dec 2026" in row[1]
