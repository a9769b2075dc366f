"""crawler.launch: a first crawl's writer starts before Scrapy; no other crawl's does.

The question it asks the database (storage.run_rows.has_documents, through the DB-API driver)
on both backends, and whole crawls of the demo portal through `policywatch crawl`: the first
crawl of a site takes the early writer (the run's stats say so), a full recrawl of the same
site, all 304s, starts no writer at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.launch import is_new_site, site_argument
from pipeline.schema import Document as Doc
from policywatch.cli import main
from policywatch.demo.portal import Portal
from policywatch.demo.portal.config import write_config
from policywatch.flow import Page, record_pages
from storage.db import connect
from storage.models import CrawlRun

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RETRY_BACKOFF_BASE=0.01"]


@pytest.mark.parametrize(
    ("argv", "site"),
    [
        (["crawl", "site", "-a", "site=zhaoqing", "-a", "slot=manual"], "zhaoqing"),
        (["crawl", "site", "-asite=gz", "-s", "LOG_LEVEL=INFO"], "gz"),
        (["crawl", "site", "-a", "slot=manual"], None),
        (["crawl", "site", "-s", "X=site=no", "-a"], None),  # a setting's value is not the site
    ],
)
def test_the_site_is_read_off_the_command_line(argv, site):
    assert site_argument(argv) == site


def test_a_missing_or_empty_sqlite_file_is_a_new_site(tmp_path):
    path = tmp_path / "pw.db"
    assert is_new_site(f"sqlite:///{path}", "zhaoqing")
    assert not path.exists()  # asking made no file
    path.write_bytes(b"")
    assert is_new_site(f"sqlite:///{path}", "zhaoqing")


def test_a_site_is_new_until_the_database_holds_one_of_its_documents(db, db_url):
    assert is_new_site(db_url, "zhaoqing")
    doc = Doc(url="http://zq.gov.cn/a.html", title="关于做好森林防火工作的通知")
    record_pages(db, [Page(url=doc.url, site="other", body=b"x", document=doc)], on_changes=None)
    assert is_new_site(db_url, "zhaoqing")  # another site's document
    doc = Doc(url="http://zq.gov.cn/b.html", title="关于做好安全生产工作的通知")
    record_pages(db, [Page(url=doc.url, site="zhaoqing", body=b"x", document=doc)], on_changes=None)
    assert not is_new_site(db_url, "zhaoqing")


def test_an_unreachable_database_gets_no_early_writer():
    # nothing listens on port 9 of loopback: the crawl itself reports the database, later
    assert not is_new_site("postgresql://postgres@127.0.0.1:9/none", "zhaoqing")


def _stats(db_url: str) -> list[dict]:
    db = connect(db_url)
    try:
        with db.reader() as s:
            return [r.stats for r in s.scalars(select(CrawlRun).order_by(CrawlRun.id))]
    finally:
        db.dispose()


def test_only_the_first_crawl_of_a_site_starts_its_writer_early(tmp_path: Path, capsys, db_url):
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=db_url)
        args = ["crawl", "zhaoqing", "--config", str(cfg), "--no-progress", *FAST]
        assert main(args) == 0, capsys.readouterr().out
        # again through Scrapy (the pre-check off): every page a 304, nothing to normalize
        assert main([*args, "--set", "POLICYWATCH_REVALIDATE=False"]) == 0, capsys.readouterr().out
    first, again = _stats(db_url)
    assert first["policywatch/writer_started_early"] == 1 and first["policywatch/writers"] == 1
    assert first["outcomes"] == {"new": 4}
    assert "policywatch/writer_started_early" not in again and again["policywatch/writers"] == 0
    assert again["outcomes"] == {"unchanged": 4}
