"""A crawl whose (site, slot) already ran stops before fetching, with one line and no traceback.

Two schedulers firing the same slot is what UNIQUE(site_id, slot) on crawl_run prevents; this is
the loser's side of that race, seen from the `scrapy crawl` process.
"""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import func, select

from policywatch.demo.portal import Portal
from policywatch.demo.portal.config import write_config
from storage.db import connect
from storage.models import CrawlRun, Version


def _crawl(cfg, db_url: str, slot: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", "site=zhaoqing", "-a", f"config={cfg}"]
    cmd += ["-a", f"slot={slot}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
    cmd += ["-s", f"HTTPCACHE_DIR={cfg.parent / 'cache'}"]
    env = {**os.environ, "POLICYWATCH_DATABASE_URL": db_url, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_second_crawl_of_a_slot_records_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml")
        first = _crawl(cfg, db_url, "2026-11-23T06:00Z")
        portal.state = 2  # a second run would find changes, if it were allowed to run
        second = _crawl(cfg, db_url, "2026-11-23T06:00Z")
    assert first.returncode == 0, first.stderr[-2000:]
    assert second.returncode == 0
    assert "Traceback" not in second.stderr
    lines = [ln for ln in second.stderr.splitlines() if "not crawling" in ln]
    assert len(lines) == 1 and "slot '2026-11-23T06:00Z' was already claimed by crawl run 1" in lines[0]
    assert "'finish_reason': 'slot_taken'" in second.stderr
    assert "'downloader/request_count'" not in second.stderr  # nothing was fetched
    db = connect(db_url)
    try:
        with db.reader() as s:
            assert s.scalar(select(func.count()).select_from(CrawlRun)) == 1
            assert s.scalar(select(func.count()).select_from(Version)) == 4
    finally:
        db.dispose()
