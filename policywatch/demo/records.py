"""The demo portal's story recorded straight into a database, without Scrapy or HTTP.

The same pages `policywatch demo` crawls (policywatch/demo/portal: the Zhaoqing 实施意见 and its revision,
a GB18030 条例, notices, Yulin 解读 pages), recorded through `record_page` as four weekly
crawls: first crawl, an unchanged recrawl, the revision with a new notice, a withdrawal and a
chrome-only re-render. Used by the web UI tests and screenshots.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from policywatch.demo import SITE_TITLES
from policywatch.demo.portal.content import ROBOTS_BLOCKED, site_pages
from policywatch.flow import Page, record_page
from storage.crawl_runs import finish_run, start_run
from storage.db import Database
from storage.sites import sync_titles

HOSTS = {"zhaoqing": "https://www.zhaoqing.gov.cn", "yulin": "http://www.yulin.gov.cn"}
PREFIXES = {"zhaoqing": "/zq/gkmlpt/content/", "yulin": "/yl/zcjd/t"}
STEPS = ((1, datetime(2026, 10, 5, 9)), (1, datetime(2026, 10, 12, 9)), (2, datetime(2026, 10, 26, 9)), (3, datetime(2026, 11, 9, 9)))


def url_for(site: str, path: str) -> str:
    return f"{HOSTS[site]}/{path.split('/', 2)[2]}"  # /zq/gkmlpt/... -> host/gkmlpt/...


def fill(db: Database) -> dict[str, int]:
    """Record the story into a migrated database; returns {outcome: count}."""
    with db.writer() as s:  # the sites with their titles, as `crawl` mirrors them from the config
        sync_titles(s, {site: SITE_TITLES[site] for site in HOSTS})
    outcomes: dict[str, int] = {}
    seen: dict[str, set[str]] = {site: set() for site in HOSTS}
    for state, at in STEPS:
        pages = site_pages(state)
        for site, prefix in PREFIXES.items():
            run = start_run(db, site, at=at)
            paths = sorted(p for p in pages if p.startswith(prefix) and p != ROBOTS_BLOCKED)
            changed = 0
            for k, path in enumerate(paths):
                res = pages[path]
                r = record_page(
                    db,
                    Page(
                        url=url_for(site, path),
                        body=res.body,
                        site=site,
                        headers={"Content-Type": res.content_type},
                        fetched_at=at + timedelta(seconds=k),
                        crawl_run_id=run,
                    ),
                )
                outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
                changed += r.outcome in ("new", "changed")
            for k, path in enumerate(sorted(seen[site] - set(paths))):
                r = record_page(
                    db, Page(url=url_for(site, path), status=404, site=site, fetched_at=at + timedelta(minutes=5, seconds=k))
                )
                outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
                changed += r.outcome == "withdrawn"
            seen[site] |= set(paths)
            finish_run(db, run, status="ok", pages=len(paths), changed=changed, errors=0)
    return outcomes
