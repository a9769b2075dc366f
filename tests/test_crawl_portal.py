"""The crawler against the demo portal, through real HTTP and real `scrapy crawl` subprocesses.

One story, crawled in order (module fixture): state 1, state 1 again (all 304), state 2 (a
revised page, a new notice), state 3 (a withdrawn notice, a chrome-only re-render). Each test
checks one thing the story must show. The trap pages (500, 11 MB, slow) get their own portal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from policywatch.commands.crawl import SiteRun, crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import write_config
from storage.db import connect
from storage.models import ChangeRow, CrawlRun, Document, DocumentUrl, Site, Version

# Tiny delays and timeouts: politeness is for real servers, and the suite must stay fast.
FAST = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "RETRY_BACKOFF_BASE=0.01",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "LOG_LEVEL=INFO",
)
ZQ = {n: C.ZQ_DETAIL.format(n) for n in (1840123, 9745016, 2001, 2002, 2003)}
YL = [C.YL_DETAIL.format(k) for k in ("20220427_1", "20220301_2", "20220105_3")]


@dataclass
class Step:
    state: int
    runs: dict[str, SiteRun]
    hits: list  # portal hits during this step
    versions: int  # version rows after the step
    changes: int  # change rows after the step


@dataclass
class Story:
    portal: Portal
    db_url: str
    steps: list[Step] = field(default_factory=list)

    def db(self):
        return connect(self.db_url)


def _count(db, model) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> Story:
    tmp: Path = tmp_path_factory.mktemp("crawl")
    db_url = f"sqlite:///{tmp / 'policywatch.db'}"
    with Portal() as portal:
        cfg = write_config(portal, tmp / "policywatch.toml", db_url=db_url)
        st = Story(portal, db_url)
        for state in (1, 1, 2, 3):
            portal.state = state
            before = len(portal.hits)
            runs = {
                site: crawl_site(cfg, site, db_url, settings=FAST, timeout=120)
                for site in ("zhaoqing", "yulin")
            }
            db = connect(db_url)
            st.steps.append(
                Step(state, runs, portal.hits[before:], _count(db, Version), _count(db, ChangeRow))
            )
            db.dispose()
        yield st


def _doc(db, path: str, portal: Portal) -> Document:
    with db.reader() as s:
        return s.scalar(select(Document).join(DocumentUrl).where(DocumentUrl.url == portal.url(path)))


def test_every_run_finished_and_has_its_crawl_run_row(story):
    for step in story.steps:
        for site, run in step.runs.items():
            assert run.status == "ok", (step.state, site, run.log.read_text()[-3000:])
            assert run.errors == 0
    db = story.db()
    with db.reader() as s:
        rows = s.execute(
            select(Site.name, CrawlRun.status, CrawlRun.pages, CrawlRun.finished_at).join(Site)
        ).all()
    assert len(rows) == 8
    assert all(status == "ok" and finished is not None for _, status, _, finished in rows)
    first = story.steps[0].runs
    assert (first["zhaoqing"].pages, first["yulin"].pages) == (4, 3)
    assert first["zhaoqing"].outcomes == {"new": 4} and first["yulin"].outcomes == {"new": 3}


def test_every_listed_document_is_found_across_pagination(story):
    db = story.db()
    with db.reader() as s:
        urls = set(s.scalars(select(DocumentUrl.url)))
    expected = {story.portal.url(p) for p in [*ZQ.values(), *YL]}
    assert urls == expected
    first = [h.path for h in story.steps[0].hits]
    # static index_N pagination ends at the first page that is not there; TRS stops at its count
    assert {"/zq/gkmlpt/index_1.html", "/zq/gkmlpt/index_2.html", "/zq/gkmlpt/index_3.html"} <= set(first)
    assert "/yl/zcjd/index_1.html" in first and "/yl/zcjd/index_2.html" not in first


def test_robots_txt_disallow_is_honoured(story):
    paths = [h.path for h in story.portal.hits]
    assert "/robots.txt" in paths
    assert C.ROBOTS_BLOCKED not in paths
    assert _doc(story.db(), C.ROBOTS_BLOCKED, story.portal) is None


def test_gb18030_page_under_a_utf8_header_decodes(story):
    db = story.db()
    doc = _doc(db, ZQ[9745016], story.portal)
    with db.reader() as s:
        v = s.get(Version, doc.latest_version_id)
    assert v.content_type == "text/html; charset=utf-8"  # the lie is kept as fetched
    assert doc.title == "中华人民共和国市场主体登记管理条例"
    text = str(v.normalized)
    assert "\ufffd" not in text
    assert "第一条" in text and "市场主体登记管理" in text
    # the spider saw it right too: the middleware re-decoded the response
    log = story.steps[0].runs["zhaoqing"].log.read_text()
    assert "page says gb; decoding as gb18030" in log
    assert "suspect encoding" not in log


def test_unchanged_state_is_revalidated_with_304_and_writes_nothing(story):
    first, second = story.steps[0], story.steps[1]
    detail = [h for h in second.hits if "/content/" in h.path or "/zcjd/t" in h.path]
    assert detail and all(h.status == 304 for h in detail)
    assert all("if-none-match" in h.headers for h in detail)
    for site in ("zhaoqing", "yulin"):
        run = second.runs[site]
        assert run.not_modified == run.pages and run.outcomes == {"unchanged": run.pages}
        assert run.changed == 0
    assert (second.versions, second.changes) == (first.versions, first.changes)


def test_revision_records_exactly_the_three_edits_and_the_new_document(story):
    step = story.steps[2]
    assert step.runs["zhaoqing"].outcomes == {"new": 1, "changed": 1, "unchanged": 3}
    assert step.runs["yulin"].outcomes == {"unchanged": 3}
    db = story.db()
    zq = _doc(db, ZQ[1840123], story.portal)
    with db.reader() as s:
        latest = s.get(Version, zq.latest_version_id)
        changes = s.scalars(select(ChangeRow).where(ChangeRow.version_id == latest.id)).all()
        new_doc = _doc(db, ZQ[2003], story.portal)
        added = s.scalars(select(ChangeRow.kind).where(ChangeRow.document_id == new_doc.id)).all()
    assert latest.seq == 2
    assert sorted(c.kind for c in changes) == ["added", "modified", "removed"], [
        (c.kind, c.renumbered) for c in changes
    ]
    modified = next(c for c in changes if c.kind == "modified")
    assert any(op == "insert" and "100万元" in text for op, text in modified.diff)
    assert added == ["document_added"]


def test_withdrawn_page_is_marked_and_chrome_rerender_records_nothing(story):
    before, after = story.steps[2], story.steps[3]
    zq_hits = {h.path: h.status for h in after.hits}
    assert zq_hits[ZQ[2002]] == 404  # revisited although it left the listing
    assert zq_hits[ZQ[1840123]] == 200  # new bytes (view counter, render date) ...
    assert after.versions == before.versions  # ... but no new version
    assert after.changes == before.changes + 2  # only the two withdrawals
    assert after.runs["zhaoqing"].outcomes == {"unchanged": 4, "withdrawn": 1}
    db = story.db()
    gone = _doc(db, ZQ[2002], story.portal)
    assert gone.status == "withdrawn" and gone.withdrawn_at is not None
    with db.reader() as s:
        rows = s.scalars(select(ChangeRow).where(ChangeRow.document_id == gone.id)).all()
    assert sorted((c.kind, c.new_value) for c in rows) == [("document_added", None), ("withdrawn", "http 404")]


def test_a_document_gone_from_a_complete_listing_is_withdrawn_though_its_page_answers(story):
    after = story.steps[3]
    delisted = C.YL_DETAIL.format(C.DELISTED)
    assert {h.path: h.status for h in after.hits}[delisted] == 304  # revisited: still there, unchanged
    assert after.runs["yulin"].outcomes == {"unchanged": 3, "withdrawn": 1}
    db = story.db()
    doc = _doc(db, delisted, story.portal)
    assert doc.status == "withdrawn"
    with db.reader() as s:
        change = s.scalars(
            select(ChangeRow).where(ChangeRow.document_id == doc.id, ChangeRow.kind == "withdrawn")
        ).one()
        still = s.scalars(select(Document.status).join(Site).where(Site.name == "yulin")).all()
    assert change.new_value == "gone from its listing"
    assert sorted(still) == ["active", "active", "withdrawn"]
    assert after.runs["yulin"].changed == 1


# -- failure paths --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traps(tmp_path_factory):
    tmp: Path = tmp_path_factory.mktemp("traps")
    db_url = f"sqlite:///{tmp / 'policywatch.db'}"
    with Portal(slow_seconds=20, flaky_failures=1) as portal:
        cfg = write_config(portal, tmp / "policywatch.toml", db_url=db_url, traps=True)
        run = crawl_site(
            cfg, "traps", db_url, settings=(*FAST, "DOWNLOAD_TIMEOUT=1", "RETRY_TIMES=1"), timeout=120
        )
        yield portal, run, connect(db_url)


def test_500_is_retried_and_then_recorded(traps):
    portal, _run, db = traps
    assert portal.statuses("/traps/flaky.html") == [500, 200]
    assert _doc(db, "/traps/flaky.html", portal) is not None


def test_page_over_10_mb_is_refused_with_a_logged_reason(traps):
    portal, run, db = traps
    assert _doc(db, "/traps/big.html", portal) is None
    log = run.log.read_text()
    assert "larger than download max size (10485760)" in log
    assert "detail page failed: " + portal.url("/traps/big.html") in log


def test_slow_page_times_out_without_stalling_the_run(traps):
    portal, run, db = traps
    # finished, long before the slow page would have answered; two failed fetches fail the run
    assert run.status == "failed"
    assert run.reason.startswith("2 detail pages failed ("), run.reason
    assert run.outcomes == {"new": 2} and run.errors == 2  # ok + flaky stored; big + slow failed
    assert _doc(db, "/traps/ok.html", portal) is not None
    assert _doc(db, "/traps/slow.html", portal) is None
    assert len(portal.requested("/traps/slow.html")) == 2  # first try + one retry
    assert "DownloadTimeoutError" in run.log.read_text()
