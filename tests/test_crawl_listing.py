"""Absence from a listing means something only when the whole listing was seen.

The Yulin listing shows three documents on two pages. Cut at one page by `max_pages`, the crawl
does not see the third document listed; it must not take that for a withdrawal (a complete
listing that drops a document does withdraw it: test_crawl_portal.py).
"""

from __future__ import annotations

from sqlalchemy import select

from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal.config import config_text
from storage.db import connect
from storage.models import Document

FAST = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "LOG_LEVEL=INFO")


def test_a_listing_cut_by_max_pages_withdraws_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cfg = tmp_path / "policywatch.toml"
    with Portal() as portal:
        full = config_text(portal, db_url=db_url)
        cfg.write_text(full, encoding="utf-8")
        assert crawl_site(cfg, "yulin", db_url, settings=FAST).outcomes == {"new": 3}
        cut = full.replace('{ script = "createPageHTML" }', '{ script = "createPageHTML", max_pages = 1 }')
        cfg.write_text(cut, encoding="utf-8")
        run = crawl_site(cfg, "yulin", db_url, settings=FAST)
    log = run.log.read_text()
    assert "stops at max_pages=1; more pages follow" in log
    assert run.outcomes == {"unchanged": 3}  # the unlisted third page was revisited, not withdrawn
    db = connect(db_url)
    try:
        with db.reader() as s:
            assert set(s.scalars(select(Document.status))) == {"active"}
    finally:
        db.dispose()
