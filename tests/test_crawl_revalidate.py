"""The revalidation pre-check (crawler.revalidate) against the demo portal on loopback.

The portal answers with ETag and Last-Modified and 304s for matching validators. Every test
crawls Zhaoqing once in full (a Scrapy process), then changes what the portal serves (or not)
and runs `policywatch crawl` again: an unchanged site is recorded without Scrapy; anything
else is handed to the full crawl and recorded as without the pre-check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from policywatch.cli import main
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import write_config
from storage.db import connect
from storage.models import ChangeRow, CrawlRun, Document, DocumentUrl, Version

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RETRY_BACKOFF_BASE=0.01"]
# what the three list pages of state 1 link (post_9999 too, which robots.txt forbids)
ZQ_DETAILS = [C.ZQ_DETAIL.format(n) for n in (1840123, 9745016, 2001, 2002)]
ZQ_LISTS = [C.ZQ_LIST, "/zq/gkmlpt/index_1.html", "/zq/gkmlpt/index_2.html"]
SCRAPY_MARK = "[scrapy.core.engine]"  # every Scrapy log has the engine's lines; the pre-check's has none


def _crawl(cfg: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["crawl", "zhaoqing", "--config", str(cfg), "--no-progress", *FAST, *extra])
    return code, capsys.readouterr().out


def _row(out: str) -> list[str]:
    return out.split("\n")[2].split()[:9]


def _runs(db_url: str) -> list[CrawlRun]:
    db = connect(db_url)
    try:
        with db.reader() as s:
            return list(s.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    finally:
        db.dispose()


def _latest_log(cfg: Path) -> str:
    logs = sorted((cfg.parent / ".policywatch" / "logs").glob("zhaoqing-*.log"), key=lambda p: p.stat().st_mtime)
    return logs[-1].read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def site(tmp_path, capsys, db_url):
    """The portal, a config, and a first full crawl of Zhaoqing's four notices (on SQLite and
    PostgreSQL: the pre-check records through the DB-API driver, not SQLAlchemy)."""
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=db_url)
        code, out = _crawl(cfg, capsys)
        assert code == 0 and _row(out) == ["zhaoqing", "成功", "4", "4", "0", "0", "0", "0", "0"]
        assert (tmp_path / ".policywatch" / "httpcache" / "zhaoqing.revalidate.json").exists()
        yield portal, cfg, db_url


REVALIDATED = "未启动爬取即完成复核"


def test_unchanged_site_is_revalidated_without_scrapy(site, capsys):
    portal, cfg, db_url = site
    mark = len(portal.hits)
    code, out = _crawl(cfg, capsys)
    assert code == 0
    assert _row(out) == ["zhaoqing", "成功", "4", "0", "0", "4", "4", "0", "0"]
    # the reason line in the CLI's default language (the catalogue's words for crawler.revalidate.REASON)
    assert f"zhaoqing: 成功: {REVALIDATED}：4 个页面和 3 个列表页均返回 304（未变化）" in out
    log = _latest_log(cfg)
    assert log.startswith("revalidation pre-check: revalidated") and SCRAPY_MARK not in log
    hits = portal.hits[mark:]
    # robots.txt, the list pages (304), the page after them (404, the end of the static listing), four 304s
    assert sorted((h.path, h.status) for h in hits) == sorted(
        [("/robots.txt", 200), *((p, 304) for p in ZQ_LISTS), ("/zq/gkmlpt/index_3.html", 404)]
        + [(p, 304) for p in ZQ_DETAILS]
    )
    assert all(h.headers.get("user-agent", "").startswith("policywatch/") for h in hits)
    assert all("if-none-match" in h.headers for h in hits if h.status == 304)
    # a third run replays the first crawl again, through the second
    code, out = _crawl(cfg, capsys)
    assert code == 0 and REVALIDATED in out
    first, second, third = _runs(db_url)
    assert [(r.status, r.pages, r.changed, r.errors) for r in (second, third)] == [("ok", 4, 0, 0)] * 2
    assert second.stats["policywatch/not_modified"] == 4
    # the same listing: the empty-listing alert reads the count of the crawl replayed
    assert second.stats["policywatch/listed"] == first.stats["policywatch/listed"] == 5
    assert second.stats["policywatch/revalidated_from"] == third.stats["policywatch/revalidated_from"] == first.id
    db = connect(db_url)
    try:
        with db.reader() as s:
            versions = list(s.scalars(select(Version)))
            docs = list(s.scalars(select(Document)))
    finally:
        db.dispose()
    assert len(versions) == 4 and all(v.fetch_count == 3 for v in versions)
    assert all(d.last_seen >= third.started_at and d.status == "active" for d in docs)


def test_a_changed_site_is_handed_to_the_crawl(site, capsys):
    portal, cfg, db_url = site
    portal.state = 2  # a notice revised, one added (state 2 of the portal)
    code, out = _crawl(cfg, capsys)
    assert code == 0
    assert _row(out) == ["zhaoqing", "成功", "5", "1", "1", "3", "3", "0", "0"]
    assert REVALIDATED not in out and "revalidated without a crawl" not in out
    log = _latest_log(cfg)
    assert log.startswith("revalidation pre-check: crawl: http 200 for ") and SCRAPY_MARK in log
    db = connect(db_url)
    try:
        with db.reader() as s:
            kinds = sorted(s.scalars(select(ChangeRow.kind).where(ChangeRow.prev_version_id.is_not(None))))
    finally:
        db.dispose()
    assert kinds == ["added", "modified", "removed"]


def test_a_404_is_handed_over_and_withdrawn(site, capsys):
    portal, cfg, db_url = site
    portal.gone.add(ZQ_DETAILS[2])  # still listed, but gone
    code, out = _crawl(cfg, capsys, "--set", "POLICYWATCH_MAX_WITHDRAW_SHARE=0.5")
    assert code == 0
    assert _row(out) == ["zhaoqing", "成功", "4", "0", "0", "3", "3", "1", "0"]
    assert _latest_log(cfg).startswith(f"revalidation pre-check: crawl: http 404 for {portal.url(ZQ_DETAILS[2])}")
    db = connect(db_url)
    try:
        with db.reader() as s:
            status = s.scalar(
                select(Document.status).join(DocumentUrl).where(DocumentUrl.url.endswith(ZQ_DETAILS[2]))
            )
    finally:
        db.dispose()
    assert status == "withdrawn"


def test_a_412_challenge_is_handed_over_and_reported(site, capsys):
    portal, cfg, db_url = site
    portal.errors[ZQ_DETAILS[0]] = 412
    code, out = _crawl(cfg, capsys, "--set", "RETRY_TIMES=0")
    assert code == 1
    assert _row(out)[:2] == ["zhaoqing", "失败"]
    assert "412" in out.split("zhaoqing: 失败: ", 1)[1]
    assert _latest_log(cfg).startswith(f"revalidation pre-check: crawl: http 412 for {portal.url(ZQ_DETAILS[0])}")
    assert _runs(db_url)[-1].status == "failed"
    # the failed run leaves nothing to replay: the next run is a full crawl again
    assert not (cfg.parent / ".policywatch" / "httpcache" / "zhaoqing.revalidate.json").exists()


def test_robots_txt_disallow_is_obeyed(site, capsys):
    portal, cfg, _db_url = site
    portal.robots_txt = "User-agent: *\nDisallow: /zq/gkmlpt/content/\n"
    mark = len(portal.hits)
    _crawl(cfg, capsys)
    # neither the pre-check nor the crawl after it asked for a page robots.txt now forbids
    assert not [h for h in portal.hits[mark:] if h.path.startswith("/zq/gkmlpt/content/")]
    assert _latest_log(cfg).startswith("revalidation pre-check: crawl: robots.txt now forbids ")


def test_the_switch_turns_it_off(site, capsys):
    _portal, cfg, db_url = site
    code, out = _crawl(cfg, capsys, "--set", "POLICYWATCH_REVALIDATE=False")
    assert code == 0
    assert _row(out) == ["zhaoqing", "成功", "4", "0", "0", "4", "4", "0", "0"]
    assert REVALIDATED not in out and "revalidated without a crawl" not in out
    log = _latest_log(cfg)
    assert log.startswith("revalidation pre-check: crawl: the pre-check is off (POLICYWATCH_REVALIDATE=False)")
    assert SCRAPY_MARK in log
    assert "policywatch/revalidated_from" not in (_runs(db_url)[-1].stats or {})


def _rows(db_url: str) -> tuple[list[tuple], list[tuple]]:
    db = connect(db_url)
    try:
        with db.reader() as s:
            versions = [
                (v.id, v.fetch_count, v.last_seen, v.etag, v.last_modified)
                for v in s.scalars(select(Version).order_by(Version.id))
            ]
            docs = [(d.id, d.status, d.withdrawn_at, d.last_seen) for d in s.scalars(select(Document).order_by(Document.id))]
    finally:
        db.dispose()
    return versions, docs


def test_the_precheck_writes_what_the_full_crawl_writes(site, capsys):
    """A recheck the full crawl records (304s through Scrapy and the ORM), then one the pre-check
    records (plain SQL): each moves the same columns the same way."""
    _portal, cfg, db_url = site
    before = _rows(db_url)
    code, out = _crawl(cfg, capsys, "--set", "POLICYWATCH_REVALIDATE=False")
    assert code == 0 and REVALIDATED not in out
    full = _rows(db_url)
    code, out = _crawl(cfg, capsys)
    assert code == 0 and REVALIDATED in out
    pre = _rows(db_url)
    for old, new in ((before, full), (full, pre)):
        (old_v, old_d), (new_v, new_d) = old, new
        assert [(i, n + 1, e, m) for i, n, _, e, m in old_v] == [(i, n, e, m) for i, n, _, e, m in new_v]
        assert all(b[2] < a[2] for b, a in zip(old_v, new_v, strict=True))  # last_seen moved on
        assert [(i, "active", None) for i, *_ in old_d] == [(i, st, w) for i, st, w, _ in new_d]
        assert all(b[3] < a[3] for b, a in zip(old_d, new_d, strict=True))
    runs = _runs(db_url)
    assert [(r.status, r.pages, r.changed, r.errors) for r in runs[-2:]] == [("ok", 4, 0, 0)] * 2
    assert runs[-1].stats["policywatch/listed"] == runs[-2].stats["policywatch/listed"]
    assert runs[-1].started_at > runs[-2].started_at and runs[-1].finished_at >= runs[-1].started_at
