"""The language of the web UI: the Chinese default, Accept-Language, ?lang=, the server's
language, for pages, feed titles and API errors (policywatch.i18n)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from policywatch.demo.records import fill
from policywatch.web.app import create_app
from storage import migrate
from storage.db import connect

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("lang") / "demo.db"
    db = connect(str(path))
    migrate.upgrade(db)
    fill(db)
    db.dispose()
    return str(path)


@pytest.fixture
def client(demo_db):
    app = create_app(demo_db)
    yield app.test_client()
    app.extensions["policywatch_db"].dispose()


def _message(client, url: str) -> str:
    return client.get(url).get_json()["error"]["message"]


def test_the_language_of_pages_feeds_and_errors(client, demo_db) -> None:
    """Chinese by default; English when the browser asks (Accept-Language) or the page does
    (?lang=, which wins); the server's language (create_app(lang=...)) when neither does."""
    zh = client.get("/changes?site=zhaoqing").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in zh and "<h1>变更</h1>" in zh
    assert 'href="/changes?site=zhaoqing&amp;lang=en"' in zh  # the switch keeps the view
    en = client.get("/changes?site=zhaoqing", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "<h1>Changes</h1>" in en
    asked = client.get("/changes?lang=zh-CN", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>变更</h1>" in asked
    feed = ET.fromstring(client.get("/feeds/sites/zhaoqing.atom").data)
    assert feed.find(f"{ATOM}title").text == "policywatch：肇庆市人民政府的变更"
    assert _message(client, "/api/changes?since=2026-13-40") == "since：'2026-13-40' 不是日期（应为 YYYY-MM-DD）"
    r = client.get("/api/changes?page=x", headers={"Accept-Language": "en"})
    assert r.get_json()["error"]["message"] == "page: 'x' is not a whole number"
    assert _message(client, "/api/no-such-thing") == "没有这个页面。"
    app = create_app(demo_db, lang="en")
    try:
        served = app.test_client().get("/").get_data(as_text=True)
        assert "<h1>Sites</h1>" in served
    finally:
        app.extensions["policywatch_db"].dispose()
