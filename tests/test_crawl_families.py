"""Each listing family crawled through real HTTP (`scrapy crawl` subprocesses against the portal
sites of policywatch/demo/portal/families.py): every document of a multi-page column found, pagination to
the end and no further, what the list says recorded, and a recrawl that answers 304 and writes
nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from policywatch.commands.crawl import SiteRun, crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import families as F
from storage.db import connect
from storage.models import ChangeRow, Document, DocumentUrl, Site, Version

FAST = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "RETRY_BACKOFF_BASE=0.01",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "LOG_LEVEL=INFO",
)
SITES = ("gd", "jiangsu", "gansu", "zhejiang", "govcn", "jiangxi")


def config(portal: Portal, db_url: str) -> str:
    return f"""[database]
url = "{db_url}"

[[sites]]
name = "gd"
start_urls = ["{portal.url(F.GD_INDEX)}"]
family = "gkmlpt"

[[sites]]
name = "jiangsu"
start_urls = ["{portal.url(F.JS_COLUMN)}"]
family = "hanweb-jpage"

[[sites]]
name = "gansu"
start_urls = ["{portal.url(F.GS_LIST)}"]
family = "channel-search"

[[sites]]
name = "zhejiang"
start_urls = ["{portal.url(F.ZJ_COLUMN)}"]
family = "hanweb-jpaas"

[[sites]]
name = "govcn"
start_urls = ["{portal.url(F.GOV_COLUMN)}"]
family = "govcn-json"

[[sites]]
name = "jiangxi"
start_urls = ["{portal.url(F.JX_COLUMN)}"]
family = "jiangxi-querylist"
"""


@dataclass
class Crawl:
    portal: Portal
    db_url: str
    runs: list[dict[str, SiteRun]]
    hits: list[list]  # portal hits of each round
    counts: list[tuple[int, int]]  # (versions, changes) after each round


def _counts(db_url: str) -> tuple[int, int]:
    db = connect(db_url)
    try:
        with db.reader() as s:
            return (
                s.scalar(select(func.count()).select_from(Version)),
                s.scalar(select(func.count()).select_from(ChangeRow)),
            )
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def crawl(tmp_path_factory) -> Crawl:
    tmp: Path = tmp_path_factory.mktemp("families")
    db_url = f"sqlite:///{tmp / 'policywatch.db'}"
    with Portal() as portal:
        cfg = tmp / "policywatch.toml"
        cfg.write_text(config(portal, db_url), encoding="utf-8")
        out = Crawl(portal, db_url, [], [], [])
        for _ in range(2):
            before = len(portal.hits)
            out.runs.append({s: crawl_site(cfg, s, db_url, settings=FAST, timeout=300) for s in SITES})
            out.hits.append(portal.hits[before:])
            out.counts.append(_counts(db_url))
        yield out


def _urls(crawl: Crawl, site: str) -> set[str]:
    db = connect(crawl.db_url)
    try:
        with db.reader() as s:
            return set(s.scalars(select(DocumentUrl.url).join(Document).join(Site).where(Site.name == site)))
    finally:
        db.dispose()


def _version(crawl: Crawl, path: str) -> Version:
    db = connect(crawl.db_url)
    try:
        with db.reader() as s:
            doc = s.scalar(select(Document).join(DocumentUrl).where(DocumentUrl.url == crawl.portal.url(path)))
            return s.get(Version, doc.latest_version_id)
    finally:
        db.dispose()


def test_first_crawl_finds_every_document_of_every_family(crawl):
    runs = crawl.runs[0]
    for site, run in runs.items():
        assert run.status == "ok" and run.errors == 0, (site, run.log.read_text()[-3000:])
    gd = {crawl.portal.url(a["url"]) for arts in F.gd_articles().values() for a in arts}
    assert len(gd) == 212 and _urls(crawl, "gd") == gd
    assert runs["gd"].outcomes == {"new": 212}
    assert _urls(crawl, "jiangsu") == {crawl.portal.url(p) for p, _, _ in F.js_records()}
    assert runs["jiangsu"].outcomes == {"new": 100}
    assert _urls(crawl, "gansu") == {crawl.portal.url(d[0]) for d in F.gs_docs()}
    assert runs["gansu"].outcomes == {"new": 45}
    assert _urls(crawl, "zhejiang") == {crawl.portal.url(d[0]) for d in F.zj_docs()}
    assert runs["zhejiang"].outcomes == {"new": 32}
    assert _urls(crawl, "govcn") == {crawl.portal.url(i["URL"]) for i in F.gov_items()}
    assert runs["govcn"].outcomes == {"new": 6}
    assert _urls(crawl, "jiangxi") == {crawl.portal.url(json.loads(d["urls"])["pc"]) for d in F.jx_docs()}
    assert runs["jiangxi"].outcomes == {"new": 45}


def test_jpaas_pages_the_publish_server_to_count_and_no_further(crawl):
    asked = [parse_qs(urlsplit(h.path).query)["pageNo"][0] for h in crawl.hits[0] if h.path.startswith(F.ZJ_API)]
    assert asked == ["2", "3"]  # 32 records, 15 a page; page 1 is the column page


def test_jiangxi_posts_querylist_after_the_embedded_list_to_the_count_and_no_further(crawl):
    # 45 documents, 15 a page: listData holds 1-20, so page 2 (16-30) and 3 (31-45); 45 reached
    # (the recrawl asks the same two pages again: lists are always read whole)
    assert crawl.portal.jx_asked == ["2", "3", "2", "3"]
    assert [h.path for h in crawl.hits[0]].count(F.JX_API) == 2


def test_jiangxi_article_files_are_recorded(crawl):
    # the 20th document (in listData) and the 40th (from queryList page 3) list a file their
    # detail pages do not link
    for doc in (F.jx_docs()[19], F.jx_docs()[39]):
        v = _version(crawl, json.loads(doc["urls"])["pc"])
        f = doc["articleFiles"][0]
        assert [(a["name"], a["url"]) for a in v.normalized["attachments"]] == [(f["fileName"], crawl.portal.url(f["url"]))]


def test_govcn_reads_the_feed_its_column_page_loads(crawl):
    paths = [h.path for h in crawl.hits[0]]
    assert paths.count(F.GOV_FEED) == 1 and paths.count(F.GOV_COLUMN) == 1


def test_gkmlpt_pages_each_leaf_to_post_count_and_no_further(crawl):
    api = [urlsplit(h.path) for h in crawl.hits[0] if h.path.startswith("/gd/gkmlpt/api/")]
    asked = sorted((u.path.rsplit("/", 1)[1], parse_qs(u.query)["page"][0], parse_qs(u.query)["sid"][0]) for u in api)
    # 205 articles in 1411: pages 1, 2, 3 (page 0 repeats page 1); 7 in 1412: page 1; the parent
    # (14) and the jump_url node (15) are not lists
    assert asked == [("1411", "1", "758123"), ("1411", "2", "758123"), ("1411", "3", "758123"), ("1412", "1", "758123")]


def test_hanweb_dataproxy_groups_to_totalrecord_and_no_further(crawl):
    asked = [urlsplit(h.path).query for h in crawl.hits[0] if h.path.startswith(F.JS_PROXY)]
    # the column page holds records 1-45; 100 records, 15 a page, 3 pages a call
    assert asked == ["startrecord=46&endrecord=90&perpage=15", "startrecord=91&endrecord=100&perpage=15"]


def test_channel_search_pages_the_json_and_not_the_static_copies(crawl):
    paths = [urlsplit(h.path) for h in crawl.hits[0]]
    pages = [parse_qs(u.query)["page"][0] for u in paths if u.path == F.GS_SEARCH]
    assert pages == ["1", "2", "3"]  # 45 results, 20 a page
    assert not any("zwgklist_" in u.path for u in paths)


def test_what_the_list_says_is_recorded_where_the_page_is_silent(crawl):
    # the channel search gives 索引号 and the gkmlpt API attachments the detail pages do not show
    first = F.gs_docs()[0]
    v = _version(crawl, first[0])
    assert v.normalized["index_number"] == "620000-0001/2025"
    assert "list_facts" in v.normalized["quality"]["flags"]
    art = next(a for a in F.gd_articles()[1411] if a["attachment"])
    v = _version(crawl, art["url"])
    assert [(a["name"], a["url"]) for a in v.normalized["attachments"]] == [
        (art["attachment"][0]["name"], crawl.portal.url(art["attachment"][0]["url"]))
    ]
    # what the page says itself wins: the 文号 of its table, not a list's
    assert v.normalized["doc_number_raw"] == art["document_number"]


def test_recrawl_revalidates_and_writes_nothing(crawl):
    second = crawl.runs[1]
    for site, run in second.items():
        assert run.status == "ok", (site, run.log.read_text()[-3000:])
        assert run.outcomes == {"unchanged": run.pages} and run.changed == 0
        assert run.not_modified == run.pages
    detail = [h for h in crawl.hits[1] if "/content/" in h.path or h.path.startswith(("/art/", "/jyt/c110634/2025"))]
    assert len(detail) == 212 + 100 + 45 + 32 + 6 + 45
    assert all(h.status == 304 for h in detail)
    assert crawl.counts[1] == crawl.counts[0]


def test_channel_search_behind_a_challenge_falls_back_to_the_static_copies(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Portal() as portal:
        portal.search_blocked = True
        cfg = tmp_path / "policywatch.toml"
        cfg.write_text(config(portal, db_url), encoding="utf-8")
        run = crawl_site(cfg, "gansu", db_url, settings=FAST, timeout=120)
        paths = [h.path for h in portal.hits]
    assert run.outcomes == {"new": 45}, run.log.read_text()[-3000:]
    assert "/jyt/c110634/zwgklist_2.shtml" in paths and "/jyt/c110634/zwgklist_3.shtml" in paths
    assert "/jyt/c110634/zwgklist_4.shtml" not in paths
    assert "listing by the fallback" in run.log.read_text()


def test_a_revised_page_keeps_what_its_list_says(tmp_path):
    """Known documents are revisited after the listing: the revised page is fetched from the
    search with its 索引号, so the new version has it too and no metadata change is reported."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    path = F.gs_docs()[F.GS_REVISED - 1][0]
    with Portal() as portal:
        cfg = tmp_path / "policywatch.toml"
        cfg.write_text(config(portal, db_url), encoding="utf-8")
        assert crawl_site(cfg, "gansu", db_url, settings=FAST, timeout=120).outcomes == {"new": 45}
        portal.state = 2
        run = crawl_site(cfg, "gansu", db_url, settings=FAST, timeout=120)
        assert run.outcomes == {"changed": 1, "unchanged": 44}, run.log.read_text()[-3000:]
        db = connect(db_url)
        try:
            with db.reader() as s:
                doc = s.scalar(select(Document).join(DocumentUrl).where(DocumentUrl.url == portal.url(path)))
                latest = s.get(Version, doc.latest_version_id)
                kinds = sorted(s.scalars(select(ChangeRow.kind).where(ChangeRow.version_id == latest.id)))
        finally:
            db.dispose()
    assert latest.seq == 2 and latest.normalized["index_number"] == f"620000-{F.GS_REVISED:04d}/2025"
    assert kinds == ["modified"]
