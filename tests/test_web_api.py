"""The JSON API, the Atom feeds and the pages over the demo story: every endpoint, bad input as
400/404 JSON errors, crawled markup escaped everywhere, and a database the app cannot write."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from sqlalchemy import text

from policywatch.demo.records import fill
from policywatch.flow import Page, record_page
from policywatch.web.app import create_app
from storage import migrate
from storage.db import DatabaseError, connect
from storage.models import Subscription

ATOM = "{http://www.w3.org/2005/Atom}"
EVIL_TITLE = '关于<script>alert("t")</script>的"通知"</title><b>'
EVIL_MEASURE = "加强<img src=x onerror=alert(1)>管理\"'</title><script>alert(2)</script>工作，确保各项任务落实到位。"
EVIL_URL = "https://evil.example.gov.cn/post_666.html"


def _evil_page(measure: str) -> bytes:
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    return f"""<html><head><meta charset="utf-8"><title>{esc(EVIL_TITLE)}</title></head><body>
<div class="article"><h1>{esc(EVIL_TITLE)}</h1>
<p>各区人民政府,市政府各部门:</p>
<p>一、总体要求</p>
<p>1. {esc(measure)}</p>
<p>2. 完善统筹协调机制,建立健全工作责任制度,确保各项措施落实。</p>
<p>3. 强化监督考核评价,对工作推进不力的单位予以通报。</p>
</div></body></html>""".encode()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "demo.db"
    db = connect(str(path))
    migrate.upgrade(db)
    fill(db)
    for k, measure in enumerate((EVIL_MEASURE, EVIL_MEASURE.replace("确保", "<script>x</script>确保"))):
        record_page(db, Page(url=EVIL_URL, body=_evil_page(measure), site="evil", fetched_at=datetime(2026, 11, 2 + k, 8)))
    with db.writer() as s:
        s.add(Subscription(name="高新区", email="office@example.org", filters={"keywords": ["概念验证"]}))
        s.add(Subscription(name="yulin", email="y@example.org", filters={"sites": ["yulin"]}))
    db.dispose()
    return str(path)


@pytest.fixture(scope="module")
def client(demo_db):
    app = create_app(demo_db)
    yield app.test_client()
    app.extensions["policywatch_db"].dispose()


def _json(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    assert r.mimetype == "application/json", url
    return r.get_json()


def _error(client, url, status):
    body = _json(client, url, status)
    assert body["error"]["status"] == status and body["error"]["message"], body
    assert "Traceback" not in body["error"]["message"]
    return body["error"]["message"]


def _doc_id(client, title_part: str) -> int:
    for row in _json(client, "/api/changes?kind=document_added&per_page=200")["items"]:
        if title_part in row["title"]:
            return row["document_id"]
    raise AssertionError(title_part)


# -- every endpoint ------------------------------------------------------------------------------


def test_sites_with_last_crawl(client) -> None:
    sites = {s["name"]: s for s in _json(client, "/api/sites")["sites"]}
    assert set(sites) == {"zhaoqing", "yulin", "evil"}
    zq = sites["zhaoqing"]
    assert zq["documents"] == 5 and zq["withdrawn"] == 1
    assert zq["last_crawl"]["status"] == "ok" and zq["last_crawl"]["started_at"].startswith("2026-11-09")
    assert zq["last_change"].startswith("2026-11-09")  # the withdrawal
    assert sites["evil"]["last_crawl"] is None
    one = _json(client, "/api/sites/yulin")
    assert one["site"]["name"] == "yulin" and len(one["documents"]["items"]) == 3
    page = _json(client, "/api/sites/zhaoqing?per_page=2&page=2")["documents"]
    assert page["page"] == 2 and len(page["items"]) == 2 and page["has_next"]
    assert "nowhere" in _error(client, "/api/sites/nowhere", 404)
    _error(client, "/api/sites/yulin?page=0", 400)


def test_changes_feed_filters_and_pages(client) -> None:
    everything = _json(client, "/api/changes?per_page=200")["items"]
    assert all(c["kind"] != "cosmetic" for c in everything)
    assert [c["detected_at"] for c in everything] == sorted((c["detected_at"] for c in everything), reverse=True)
    modified = _json(client, "/api/changes?kind=modified&site=zhaoqing")["items"]
    assert len(modified) == 1 and ["insert", "的，市财政给予一次性奖励100万元，并"] in modified[0]["diff"]
    two = _json(client, "/api/changes?kind=added,removed")["items"]
    assert sorted(c["kind"] for c in two if c["site"] == "zhaoqing") == ["added", "removed"]
    assert _json(client, "/api/changes?kind=added&kind=removed")["items"] == two
    week = _json(client, "/api/changes?since=2026-10-26&until=2026-10-26")["items"]
    assert week and all(c["detected_at"].startswith("2026-10-26") for c in week)
    pub = _json(client, "/api/changes?publisher=" + "肇庆市人民政府")["items"]
    assert pub and all(c["publisher"] == "肇庆市人民政府" for c in pub)
    assert _json(client, "/api/changes?publisher=nobody")["items"] == []
    assert _json(client, "/api/changes?since=2026-11-01&until=2026-10-01")["items"] == []
    p1 = _json(client, "/api/changes?per_page=3")
    p2 = _json(client, "/api/changes?per_page=3&page=2")
    assert p1["has_next"] and [c["change_id"] for c in p1["items"] + p2["items"]] == [
        c["change_id"] for c in everything[:6]
    ]


@pytest.mark.parametrize(
    ("query", "status", "names"),
    [
        ("since=2026-13-01", 400, "since"),
        ("until=yesterday", 400, "until"),
        ("kind=renamed", 400, "kind"),
        ("page=0", 400, "page"),
        ("page=abc", 400, "page"),
        ("per_page=100000", 400, "per_page"),
        ("site=%00", 400, "site"),
    ],
)
def test_changes_bad_parameters(client, query, status, names) -> None:
    assert names in _error(client, f"/api/changes?{query}", status)


def test_search(client) -> None:
    hits = _json(client, "/api/search?q=概念验证中心")["items"]
    assert hits and all("概念验证中心" in h["text"] for h in hits)
    assert {h["version"] for h in hits} == {2}
    older = _json(client, "/api/search?q=完善公共配套服务&all_versions=true")["items"]
    assert [h["version"] for h in older] == [1]  # deleted in v2: only in the old version
    assert _json(client, "/api/search?q=完善公共配套服务")["items"] == []
    assert _json(client, "/api/search?q=概念验证&site=yulin")["items"] == []
    wide = _json(client, "/api/search?q=ＡＢＣ不存在")["items"]
    assert wide == []
    paged = [_json(client, f"/api/search?q=高新区&per_page=2&page={p}")["items"] for p in (1, 2)]
    assert len(paged[0]) == 2 and paged[0] != paged[1]
    _error(client, "/api/search", 400)
    assert _json(client, "/api/search?q=%20")["items"] == []  # nothing left after normalization
    _error(client, "/api/search?q=x&all_versions=maybe", 400)


def test_document_versions_and_diff(client) -> None:
    doc = _doc_id(client, "高新技术产业开发区高质量发展的实施意见")
    d = _json(client, f"/api/documents/{doc}")
    assert d["document"]["doc_number"] == "肇府函〔2019〕381号"
    assert [v["seq"] for v in d["versions"]] == [1, 2]
    assert d["latest"]["version"]["seq"] == 2 and d["latest"]["schema"]["sections"]
    v1 = _json(client, f"/api/documents/{doc}/versions/1")
    assert v1["version"]["seq"] == 1 and v1["schema"]["title"]
    diff = _json(client, f"/api/documents/{doc}/diff")
    assert (diff["from"], diff["to"], diff["source"]) == (1, 2, "stored")
    assert sorted(c["kind"] for c in diff["changes"] if c["kind"] != "cosmetic") == ["added", "modified", "removed"]
    same = _json(client, f"/api/documents/{doc}/diff?from=2&to=2")
    assert same["changes"] == []
    _error(client, "/api/documents/99999", 404)
    _error(client, "/api/documents/abc", 404)
    _error(client, "/api/documents/99999999999999999999999999", 404)
    _error(client, f"/api/documents/{doc}/versions/7", 404)
    _error(client, f"/api/documents/{doc}/versions/x", 400)
    _error(client, f"/api/documents/{doc}/diff?from=9", 404)
    _error(client, f"/api/documents/{doc}/diff?to=latest", 400)
    _error(client, "/api/documents/99999/diff", 404)
    _error(client, "/api/nothing-here", 404)


def test_weekly_stats(client) -> None:
    w = _json(client, "/api/stats/weekly?weeks=8")
    # up to the week of the withdrawal (a Monday), from the first week with a change: the demo's
    # first crawl (2026-10-05), not two empty weeks before it
    assert w["weeks"] == ["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26", "2026-11-02", "2026-11-09"]
    assert _json(client, "/api/stats/weekly?weeks=3")["weeks"] == ["2026-10-26", "2026-11-02", "2026-11-09"]
    counts = {s["site"]: sum(s["counts"]) for s in w["series"]}
    assert counts["zhaoqing"] == 5 + 3 + 1  # 5 documents added, 3 measure changes, 1 withdrawal
    only = _json(client, "/api/stats/weekly?site=yulin")
    assert [s["site"] for s in only["series"]] == ["yulin"]
    _error(client, "/api/stats/weekly?weeks=0", 400)
    _error(client, "/api/stats/weekly?weeks=1000", 400)


def test_openapi_describes_every_api_route(client) -> None:
    spec = _json(client, "/api/openapi.json")
    assert spec["openapi"].startswith("3.")
    described = {re.sub(r"\{(\w+)\}", r"<\1>", p) for p in spec["paths"]}
    routes = {
        str(r.rule) for r in client.application.url_map.iter_rules() if str(r.rule).startswith("/api/")
    } - {"/api/openapi.json", "/api/"}
    assert routes == described


# -- feeds ---------------------------------------------------------------------------------------


def _atom(client, url, status=200):
    r = client.get(url)
    assert r.status_code == status, (url, r.status_code)
    if status != 200:
        return None
    assert r.mimetype == "application/atom+xml"
    return ET.fromstring(r.data)


def test_atom_feeds(client) -> None:
    feed = _atom(client, "/feeds/changes.atom")
    entries = feed.findall(f"{ATOM}entry")
    assert entries and all(e.find(f"{ATOM}id").text.startswith("tag:policywatch") for e in entries)
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link.startswith("http://localhost/")
    site = _atom(client, "/feeds/sites/yulin.atom")
    assert {e.find(f"{ATOM}author/{ATOM}name").text for e in site.findall(f"{ATOM}entry")} == {"玉林市人民政府"}  # the demo site's title
    _atom(client, "/feeds/sites/nowhere.atom", 404)
    modified = _atom(client, "/feeds/changes.atom?kind=modified")
    html = modified.find(f"{ATOM}entry/{ATOM}content").text
    assert "<ins>" in html  # HTML content, XML-escaped in the feed and parsed back


def test_subscription_feeds_apply_the_subscription_filters(client, demo_db) -> None:
    db = connect(demo_db, read_only=True)
    with db.reader() as s:
        subs = {x.name: x.id for x in s.query(Subscription)}
    db.dispose()
    keyword = _atom(client, f"/feeds/subscriptions/{subs['高新区']}.atom").findall(f"{ATOM}entry")
    assert len(keyword) == 1 and "概念验证" in keyword[0].find(f"{ATOM}content").text
    yulin = _atom(client, f"/feeds/subscriptions/{subs['yulin']}.atom").findall(f"{ATOM}entry")
    assert len(yulin) == 3
    _atom(client, "/feeds/subscriptions/999.atom", 404)
    _atom(client, "/feeds/subscriptions/abc.atom", 404)


# -- escaping ------------------------------------------------------------------------------------


def test_crawled_markup_is_escaped_everywhere(client) -> None:
    doc = _doc_id(client, "alert")
    pages = [
        "/",
        "/sites/evil",
        "/changes",
        "/changes?site=evil",
        f"/documents/{doc}",
        f"/documents/{doc}/diff",
        f"/documents/{doc}/diff?view=inline",
        "/search?q=" + "管理",
        "/chart",
        "/charts/weekly.svg",
    ]
    for url in pages:
        r = client.get(url)
        assert r.status_code == 200, url
        body = r.get_data(as_text=True)
        assert "<script" not in body.lower() and "<img src=x" not in body.lower(), url
        assert "onerror=alert" not in body or "&lt;img" in body, url
        assert "Content-Security-Policy" in r.headers and "script-src" not in r.headers["Content-Security-Policy"]
    assert "&lt;script&gt;" in client.get(f"/documents/{doc}").get_data(as_text=True)
    diff = client.get(f"/documents/{doc}/diff").get_data(as_text=True)
    assert "<ins>&lt;script&gt;x&lt;/script&gt;</ins>" in diff
    # JSON: the strings survive, and no raw < > & reaches the body
    for url in ("/api/changes?site=evil", f"/api/documents/{doc}", f"/api/documents/{doc}/diff", "/api/search?q=管理"):
        r = client.get(url)
        raw = r.get_data(as_text=True)
        assert "<" not in raw and ">" not in raw, url
        assert "</title>" in json.dumps(r.get_json(), ensure_ascii=False)
    # Atom: well-formed XML whose text is the escaped HTML (no live markup once parsed)
    feed = _atom(client, "/feeds/sites/evil.atom")
    for e in feed.findall(f"{ATOM}entry"):
        assert "</title>" in e.find(f"{ATOM}title").text or "<script>" in e.find(f"{ATOM}title").text
        html = e.find(f"{ATOM}content").text
        assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html


def test_javascript_urls_are_not_links(client) -> None:
    from policywatch.web.filters import safe_href

    assert safe_href("javascript:alert(1)") is None and safe_href(" JaVaScRiPt:x") is None
    assert safe_href("data:text/html,x") is None and safe_href(EVIL_URL) == EVIL_URL


# -- read-only -----------------------------------------------------------------------------------


def test_web_database_cannot_write(db_url) -> None:
    db = connect(db_url)
    migrate.upgrade(db)
    db.dispose()
    ro = connect(db_url, read_only=True)
    try:
        with ro.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM site")).scalar() == 0
        with pytest.raises(Exception, match=r"(?i)read.?only"), ro.engine.begin() as conn:
            conn.execute(text("INSERT INTO site (name, created_at) VALUES ('x', '2026-01-01')"))
        with pytest.raises(DatabaseError, match="read-only"), ro.writer():
            pass
        app = create_app(database=ro)
        assert app.test_client().get("/api/sites").get_json() == {"sites": []}
    finally:
        ro.dispose()


def test_missing_sqlite_file_is_not_created(tmp_path) -> None:
    with pytest.raises(DatabaseError, match="no database"):
        create_app(str(tmp_path / "absent.db"))
    assert not (tmp_path / "absent.db").exists()


def test_pages_and_api_on_both_backends(db) -> None:
    """The web queries on SQLite and PostgreSQL (the `db` fixture), through a read-only connection."""
    fill(db)
    ro = connect(db.url, read_only=True)
    try:
        client = create_app(database=ro).test_client()
        weekly = _json(client, "/api/stats/weekly?weeks=8")
        assert {s["site"]: sum(s["counts"]) for s in weekly["series"]} == {"zhaoqing": 9, "yulin": 3}
        sites = {s["name"]: s for s in _json(client, "/api/sites")["sites"]}
        assert sites["zhaoqing"]["withdrawn"] == 1 and sites["zhaoqing"]["last_crawl"]["status"] == "ok"
        assert len(_json(client, "/api/changes?site=zhaoqing&kind=added,removed,modified")["items"]) == 3
        hits = _json(client, "/api/search?q=概念验证中心")["items"]
        assert len(hits) == 1
        doc = hits[0]["document_id"]
        assert _json(client, f"/api/documents/{doc}/diff?from=1&to=2")["source"] == "stored"
        for url in ("/", "/changes?publisher=肇庆市人民政府", f"/documents/{doc}", f"/documents/{doc}/diff", "/chart"):
            assert client.get(url).status_code == 200, url
        assert client.get("/feeds/sites/zhaoqing.atom").status_code == 200
    finally:
        ro.dispose()


def test_links_follow_the_proxy_prefix(client) -> None:
    """Behind a proxy (`serve --url-prefix /pw --trusted-proxy ...`) links and feed URLs carry the
    prefix and the public host that waitress puts in the WSGI environ."""
    public = "https://policy.example.org/pw/"
    page = client.get("/changes", base_url=public).get_data(as_text=True)
    assert 'href="/pw/static/style.css"' in page and 'href="/pw/documents/' in page
    feed = ET.fromstring(client.get("/feeds/changes.atom", base_url=public).data)
    assert feed.find(f"{ATOM}entry/{ATOM}link").get("href").startswith("https://policy.example.org/pw/")


def test_fetched_attachments_show_size_hash_and_replacements(tmp_path) -> None:
    """A site that fetches attachments: the document page gives each link's size and hash (the
    link text escaped, it is crawled), and the API lists every content fetched."""
    from policywatch.demo.portal import content as C
    from storage.attachments import FetchedAttachment, record_attachments

    db = connect(str(tmp_path / "a.db"))
    migrate.upgrade(db)
    page_url = "http://www.zhaoqing.gov.cn/zq/gkmlpt/content/post_2001.html"
    t, num, date, ms = C.NOTICES[2001]
    body = C.notice(t, num, date, ms, files=("/f/funds.xlsx",)).replace(
        b">funds.xlsx</a>", b">&lt;script&gt;alert(1)&lt;/script&gt;funds.xlsx</a>"
    )
    doc_id = record_page(db, Page(url=page_url, body=body, site="zhaoqing")).document_id
    link = "http://www.zhaoqing.gov.cn/f/funds.xlsx"
    for digest, size in (("a" * 64, 1234), ("b" * 64, 56789)):
        fetched = FetchedAttachment(url=link, page_url=page_url, name="funds", sha256=digest, size=size)
        record_attachments(db, [fetched], on_changes=None)
    db.dispose()
    app = create_app(str(tmp_path / "a.db"))
    client = app.test_client()
    html = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "56,789 字节 · sha256 bbbbbbbbbbbb · 已更换 1 次" in html  # Chinese by default
    english = client.get(f"/documents/{doc_id}", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert "56,789 bytes · sha256 bbbbbbbbbbbb · replaced 1×" in english
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;funds.xlsx" in html
    changes = client.get("/changes?kind=metadata").get_data(as_text=True)
    # 1,234 and 56,789 bytes, in words rather than the stored dict
    assert "附件《funds》已更换：大小 1 KB → 55 KB" in changes and "sha256" not in changes
    api = client.get(f"/api/documents/{doc_id}").get_json()
    assert [(a["size"], a["sha256"][:1]) for a in api["attachments"]] == [(1234, "a"), (56789, "b")]
    app.extensions["policywatch_db"].dispose()


def test_a_republished_document_is_shown_like_its_withdrawal(tmp_path):
    """The changes page, the document page and the Atom feed tell a document's return after a
    withdrawal in words, as they tell the withdrawal (its own kind badge, no diff link)."""
    from policywatch.flow import withdraw_unlisted

    db_url = f"sqlite:///{tmp_path / 'r.db'}"
    db = connect(db_url)
    migrate.upgrade(db)
    url = "https://www.example.gov.cn/zwgk/post_1.html"
    body = _evil_page("完善统筹协调机制的第一项措施。")
    record_page(db, Page(url=url, body=body, site="example", fetched_at=datetime(2026, 11, 1, 8)))
    withdraw_unlisted(db, "example", set(), at=datetime(2026, 11, 2, 8))
    record_page(db, Page(url=url, body=body, site="example", fetched_at=datetime(2026, 11, 3, 8)))
    db.dispose()
    app = create_app(db_url)
    try:
        c = app.test_client()
        page = c.get("/changes").get_data(as_text=True)
        assert 'class="kind k-republished">重新发布</span>' in page
        # withdrawn at 08:00 UTC: 16:00 in the default zone, Asia/Shanghai (UTC+8)
        assert "于 2026-11-02 16:00 撤下后重新发布" in page
        # withdrawn because it left its listing, not because the page is gone
        assert "撤下：已不在栏目列表中（网页可能仍在）" in page and "HTTP 404" not in page
        en = {"Accept-Language": "en"}
        page = c.get("/changes", headers=en).get_data(as_text=True)
        assert 'class="kind k-republished">republished</span>' in page
        assert "back after a withdrawal on 2026-11-02 16:00" in page
        doc = c.get("/documents/1", headers=en).get_data(as_text=True)
        assert "back after a withdrawal" in doc and "st-active" in doc
        entries = _atom(c, "/feeds/changes.atom").findall(f"{ATOM}entry")
        republished = [e for e in entries if "republished" in ET.tostring(e, encoding="unicode")]
        assert len(republished) == 1
        assert republished[0].find(f"{ATOM}link").get("href") == "http://localhost/documents/1"  # no diff to show
    finally:
        app.extensions["policywatch_db"].dispose()


def test_diff_rows_speak_in_articles_and_paragraphs(tmp_path) -> None:
    """The diff page of a law shows a 条 added whole as one row (第九条, both its 款); the diff of
    a 公文 shows a paragraph added under （二） as that paragraph, （二） itself unchanged."""
    from policywatch.web import views
    from storage.models import Document
    from tests.test_compare_paragraphs import INSERTED, NOTICE, _with_paragraph
    from tests.test_storage_recorder import LAWREF, _article_text

    db = connect(str(tmp_path / "d.db"))
    migrate.upgrade(db)
    law_url, notice_url = "http://www.example.gov.cn/law.html", "http://www.example.gov.cn/notice.html"
    for name in ("old.md", "new.md"):
        law_id = record_page(db, Page(url=law_url, body=(LAWREF / name).read_bytes(), filename=name)).document_id
    for body in (NOTICE, _with_paragraph(INSERTED)):
        notice_id = record_page(db, Page(url=notice_url, body=body.encode(), filename="notice.txt")).document_id

    def rows(doc_id: int) -> list[dict]:
        with db.reader() as s:
            d = views.diff(s, s.get(Document, doc_id), None, None)
        return [r for b in d["blocks"] for r in (b["rows"] if b["type"] == "same" else [b["row"]])]

    law = rows(law_id)
    # read from new.md: 第九条 is new and has two 款
    ninth = [r for r in law if r["new"] and r["new"]["label"].startswith("第九条")]
    assert [(r["kind"], r["new"]["label"], r["new"]["text"]) for r in ninth] == [
        ("added", "第九条", _article_text(LAWREF / "new.md", "第九条"))
    ]
    notice = rows(notice_id)
    assert [(r["kind"], r["new"]["label"], r["new"]["text"]) for r in notice if r["kind"] != "unchanged"] == [
        ("added", "（二）第二段", INSERTED)
    ]
    at = next(i for i, r in enumerate(notice) if r["new"] and r["new"]["label"] == "（二）")
    assert notice[at]["kind"] == "unchanged" and notice[at]["old"]["label"] == "（二）"
    assert notice[at + 1]["kind"] == "added"  # the paragraph right under its item
    back = connect(str(tmp_path / "d.db"))
    record_page(back, Page(url=notice_url, body=NOTICE.encode(), filename="notice.txt"))
    back.dispose()
    removed = [r for r in rows(notice_id) if r["kind"] != "unchanged"]
    assert [(r["kind"], r["old"]["label"], r["old"]["text"]) for r in removed] == [("removed", "（二）第二段", INSERTED)]
    db.dispose()
    app = create_app(str(tmp_path / "d.db"))
    client = app.test_client()
    page = client.get(f"/documents/{law_id}/diff").get_data(as_text=True)
    assert '<span class="label">第九条</span>' in page
    page = client.get(f"/documents/{notice_id}/diff").get_data(as_text=True)
    assert '<span class="label">（二）第二段</span>' in page
    app.extensions["policywatch_db"].dispose()

