"""What the web shows a person: a site by its display name (`title` in [[sites]]) in pages, feeds
and the API; every time in the configured zone (the API and Atom <updated> in UTC with the
offset); storage's lookup errors in the reader's language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from policywatch.flow import Page, record_page
from policywatch.web.app import create_app
from storage import migrate
from storage.db import connect
from storage.sites import sync_titles
from tests.notice_db import URL, notice, notice_db

ATOM = "{http://www.w3.org/2005/Atom}"
TITLE = "肇庆市人民政府"
# 2026-12-01 16:30 UTC is 2026-12-02 00:30 in Asia/Shanghai (UTC+8) and 17:30 in Berlin (UTC+1)
FIRST, SECOND = datetime(2026, 11, 20, 2, 0), datetime(2026, 12, 1, 16, 30)


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    path = notice_db(tmp_path_factory.mktemp("display") / "pw.db", FIRST, SECOND, FIRST)
    db = connect(path)
    with db.writer() as s:
        sync_titles(s, {"zhaoqing": TITLE})  # yulin has no title: it reads as its name
    db.dispose()
    return path


@pytest.fixture(scope="module")
def client(db_url):
    app = create_app(db_url)  # the default zone, Asia/Shanghai
    yield app.test_client()
    app.extensions["policywatch_db"].dispose()


def _text(client, url: str, lang: str = "zh-CN", status: int = 200) -> str:
    r = client.get(url, headers={"Accept-Language": lang})
    assert r.status_code == status, (url, r.status_code)
    return r.get_data(as_text=True)


def _cells(html: str, cls: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(rf'<td class="{cls}">(.*?)</td>', html, re.S)]


# -- site display names ----------------------------------------------------------------------


def test_pages_show_the_sites_title_and_link_by_name(client) -> None:
    sites = _text(client, "/")
    assert f'<a href="/sites/zhaoqing">{TITLE}</a>' in sites and '<a href="/sites/yulin">yulin</a>' in sites
    site = _text(client, "/sites/zhaoqing")
    assert f"<h1>{TITLE}</h1>" in site and f"<title>{TITLE} · policywatch</title>" in site
    changes = _text(client, "/changes")
    assert f'<a href="/sites/zhaoqing">{TITLE}</a>' in changes  # the changes table's site column
    assert f'<option value="zhaoqing">{TITLE}</option>' in changes  # the filter: the name is the value
    doc_id = client.get("/api/changes?site=zhaoqing&kind=modified").get_json()["items"][0]["document_id"]
    for url in (f"/documents/{doc_id}", f"/documents/{doc_id}/diff"):
        assert f'<a href="/sites/zhaoqing">{TITLE}</a>' in _text(client, url), url  # the crumbs
    search = _text(client, "/search?q=统筹协调")
    assert f'<span class="tag">{TITLE}</span>' in search and f'<option value="zhaoqing">{TITLE}</option>' in search
    assert f">{TITLE}</text>" in _text(client, "/charts/weekly.svg")
    assert f'<a href="/sites/zhaoqing">{TITLE}</a>' in _text(client, "/chart")


def test_feeds_show_the_sites_title(client) -> None:
    for url in ("/feeds/sites/zhaoqing.atom", "/feeds/changes.atom?site=zhaoqing"):
        feed = ET.fromstring(client.get(url, headers={"Accept-Language": "zh-CN"}).data)
        assert feed.find(f"{ATOM}title").text == f"policywatch：{TITLE}的变更", url
        entries = feed.findall(f"{ATOM}entry")
        assert entries and {e.find(f"{ATOM}author/{ATOM}name").text for e in entries} == {TITLE}
        assert all(e.find(f"{ATOM}content").text.startswith(f"<p>{TITLE} · ") for e in entries)
    en = ET.fromstring(client.get("/feeds/sites/zhaoqing.atom", headers={"Accept-Language": "en"}).data)
    assert en.find(f"{ATOM}title").text == f"policywatch: changes on {TITLE}"


def test_the_api_keeps_the_name_and_adds_the_title(client) -> None:
    sites = {s["name"]: s["title"] for s in client.get("/api/sites").get_json()["sites"]}
    assert sites == {"yulin": "yulin", "zhaoqing": TITLE}
    items = client.get("/api/changes").get_json()["items"]
    assert {(c["site"], c["site_title"]) for c in items} == {("zhaoqing", TITLE), ("yulin", "yulin")}
    doc_id = items[0]["document_id"]
    doc = client.get(f"/api/documents/{doc_id}").get_json()["document"]
    assert (doc["site"], doc["site_title"]) == ("zhaoqing", TITLE)
    hits = client.get("/api/search?q=统筹协调").get_json()["items"]
    assert hits and {(h["site"], h["site_title"]) for h in hits} == {("zhaoqing", TITLE)}
    weekly = client.get("/api/stats/weekly").get_json()["series"]
    assert {(s["site"], s["site_title"]) for s in weekly} == {("zhaoqing", TITLE), ("yulin", "yulin")}


# -- times ------------------------------------------------------------------------------------


def test_pages_show_times_in_the_configured_zone(client) -> None:
    for lang in ("zh-CN", "en"):
        changes = _text(client, "/changes?site=zhaoqing", lang)
        assert _cells(changes, "when")[0] == "2026-12-02 00:30", lang  # the newest change, 16:30 UTC
        assert "2026-12-01 16:30" not in changes and "Asia/Shanghai" in changes
    doc_id = client.get("/api/changes?site=zhaoqing&kind=modified").get_json()["items"][0]["document_id"]
    doc = _text(client, f"/documents/{doc_id}")
    assert "2026-12-02 00:30" in doc and "2026-11-20 10:00" in doc  # v2 and v1 (02:00 UTC)
    assert "16:30" not in doc and "02:00" not in doc
    diff = _text(client, f"/documents/{doc_id}/diff")
    assert "v2 · 2026-12-02</option>" in diff and "(2026-12-02 00:30)" in diff
    site = _text(client, "/sites/zhaoqing")
    assert _cells(site, "when")[:3] == ["2026-11-20 10:00", "2026-12-02 00:30", "2026-12-02 00:30"]  # first, last seen; the change


def test_machine_times_stay_utc_with_the_offset(client) -> None:
    newest = client.get("/api/changes?site=zhaoqing").get_json()["items"][0]
    assert newest["detected_at"] == "2026-12-01T16:30:00+00:00"
    doc = client.get(f"/api/documents/{newest['document_id']}").get_json()
    assert [v["first_seen"] for v in doc["versions"]] == ["2026-11-20T02:00:00+00:00", "2026-12-01T16:30:00+00:00"]
    feed = ET.fromstring(client.get("/feeds/sites/zhaoqing.atom").data)
    entry = feed.findall(f"{ATOM}entry")[0]
    assert feed.find(f"{ATOM}updated").text == entry.find(f"{ATOM}updated").text == "2026-12-01T16:30:00+00:00"
    assert "2026-12-02 00:30" in entry.find(f"{ATOM}content").text  # the entry's text is for a person


def test_another_zone(db_url) -> None:
    app = create_app(db_url, zone="Europe/Berlin")
    try:
        page = app.test_client().get("/changes?site=zhaoqing").get_data(as_text=True)
        assert _cells(page, "when")[0] == "2026-12-01 17:30" and "Europe/Berlin" in page
    finally:
        app.extensions["policywatch_db"].dispose()
    with pytest.raises(Exception, match="Mars"):
        create_app(db_url, zone="Mars/Olympus")


# -- storage's lookup errors in the reader's language -------------------------------------------


def test_lookup_errors_in_the_readers_language(client) -> None:
    doc_id = client.get("/api/changes?site=zhaoqing&kind=modified").get_json()["items"][0]["document_id"]
    cases = [  # (url, status, Chinese, English): the words of the catalogue's two languages
        (f"/api/documents/{doc_id}/versions/9", 404, f"版本 9：文件 {doc_id} 只有版本 1..2",
         f"version 9: DOC {doc_id} has versions 1..2"),
        (f"/api/documents/{doc_id}/diff?from=5", 404, f"版本 5：文件 {doc_id} 只有版本 1..2",
         f"version 5: DOC {doc_id} has versions 1..2"),
        ("/api/sites/nowhere", 404, "站点 'nowhere'：没有这个站点", "site 'nowhere': no such site"),
        ("/api/documents/99999", 404, "文件 99999：没有这份文件", "document 99999: no such document"),
    ]
    for url, status, zh, en in cases:
        for lang, want in (("zh-CN", zh), ("en", en)):
            r = client.get(url, headers={"Accept-Language": lang})
            assert (r.status_code, r.get_json()["error"]["message"]) == (status, want), (url, lang)
    for lang, want in (("zh-CN", f"版本 9：文件 {doc_id} 只有版本 1..2"), ("en", f"version 9: DOC {doc_id} has versions 1..2")):
        page = _text(client, f"/documents/{doc_id}/diff?to=9", lang, status=404)
        assert f'<p class="error">{want}</p>' in page, lang
        assert ('<html lang="zh-Hans">' if lang == "zh-CN" else '<html lang="en">') in page


# -- error messages from the trace page and the diff view --------------------------------------


def test_trace_and_view_errors_in_the_readers_language(client) -> None:
    """policywatch.tracing's refusals and the diff page's `view` check are worded in the page's
    language (the catalogue), like every other error."""
    doc_id = client.get("/api/changes?site=zhaoqing&kind=modified").get_json()["items"][0]["document_id"]
    zh = _text(client, f"/documents/{doc_id}/trace", status=404)  # the notice cites nothing watched
    assert f"文件 {doc_id}：未引用任何已监测的文件" in zh and "cites" not in zh
    en = _text(client, f"/documents/{doc_id}/trace", lang="en", status=404)
    assert f"DOC {doc_id}: cites no watched document" in en
    zh = _text(client, f"/documents/{doc_id}/diff?view=wide", status=400)
    assert "不是 side 或 inline" in zh
    en = _text(client, f"/documents/{doc_id}/diff?view=wide", lang="en", status=400)
    assert "is not side or inline" in en


def test_the_validity_status_in_the_readers_language(tmp_path) -> None:
    """The document page's 有效性 block names the status in the page's language."""
    path = tmp_path / "pw.db"
    db = connect(str(path))
    migrate.upgrade(db)
    body = notice("完善统筹协调机制。").replace(
        b"<div class=\"article\">", "<p>有效性：现行有效</p><p>发布机构：肇庆市人民政府</p><div class=\"article\">".encode()
    )
    doc_id = record_page(db, Page(url=URL, body=body, site="zhaoqing", fetched_at=FIRST)).document_id
    db.dispose()
    app = create_app(str(path))
    try:
        client = app.test_client()
        zh = _text(client, f"/documents/{doc_id}")
        assert "<dt>状态</dt><dd>现行有效</dd>" in zh
        en = _text(client, f"/documents/{doc_id}", lang="en")
        assert "<dt>Status</dt><dd>in force</dd>" in en  # (the page's own 有效性 field stays as printed)
    finally:
        app.extensions["policywatch_db"].dispose()
