"""A site that is down, or answers 5xx/429 to everything, is a failed crawl: counted, failed in
`status`, alerted; and nothing about its documents moves. The HTTP cache may stand in for a 304
only. Also: a withdrawn page that still answers 404 is not counted as a withdrawal again.

Real parts: the portal over HTTP, `scrapy crawl` subprocesses, SQLite and PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from policywatch.cli import main
from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import write_config
from policywatch.scheduler.alerts import evaluate
from policywatch.scheduler.settings import OperatorSettings
from storage.crawl_runs import recent_runs
from storage.db import connect
from storage.models import ChangeRow, Document, Site, Version

FAST = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "RETRY_BACKOFF_BASE=0.01",
    "RETRY_TIMES=1",
    "DOWNLOAD_TIMEOUT=5",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
)


def _snapshot(db_url: str, site: str) -> dict[int, tuple]:
    """Everything a fetch of a document may move: its last_seen and status, its latest
    version's last_seen, fetch count and validators."""
    db = connect(db_url)
    try:
        with db.reader() as s:
            rows = s.execute(
                select(
                    Document.id,
                    Document.last_seen,
                    Document.status,
                    Version.id,
                    Version.last_seen,
                    Version.fetch_count,
                    Version.etag,
                    Version.last_modified,
                )
                .join(Site, Site.id == Document.site_id)
                .join(Version, Version.id == Document.latest_version_id)
                .where(Site.name == site)
            ).all()
    finally:
        db.dispose()
    return {r[0]: tuple(r[1:]) for r in rows}


@pytest.mark.parametrize("outage", ["stopped", "503", "429"])
def test_a_site_that_fails_every_fetch_is_a_failed_run_and_nothing_moves(db_url, tmp_path, capsys, outage):
    portal = Portal().start()
    try:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=db_url)
        first = crawl_site(cfg, "zhaoqing", db_url, settings=FAST, timeout=120)
        assert first.status == "ok" and first.outcomes == {"new": 4}, first.log.read_text()[-3000:]
        before = _snapshot(db_url, "zhaoqing")
        assert len(before) == 4
        if outage == "stopped":
            portal.stop()  # connection refused from now on
        else:
            portal.fail_status = int(outage)
        runs = [crawl_site(cfg, "zhaoqing", db_url, settings=FAST, timeout=120) for _ in range(2)]
    finally:
        portal.stop()

    for run in runs:
        log = run.log.read_text()
        assert run.status == "failed", log[-3000:]
        assert run.pages == 0 and run.outcomes == {}
        assert "httpcache/errorrecovery" not in log and "httpcache/revalidate" not in log
        # the list page and the four known documents, each failed
        assert run.errors == 5, log[-3000:]
        cause = "DownloadConnectionRefusedError" if outage == "stopped" else f"http {outage}"
        # the failed list page named by the listing, then the count of the rest and their cause
    assert run.reason.startswith("list page failed: ") and "; the listing is incomplete; " in run.reason, run.reason
    assert run.reason.endswith(f"4 detail pages failed ({cause} ×5)"), run.reason
    assert _snapshot(db_url, "zhaoqing") == before  # no last_seen, fetch_count or validator moved

    # `policywatch status`: failed, two in a row, exit 1
    assert main(["status", "--config", str(cfg), "--db", db_url, "--json"]) == 1
    report = {s["site"]: s for s in json.loads(capsys.readouterr().out)["sites"]}
    assert report["zhaoqing"]["last_run"]["status"] == "failed"
    assert report["zhaoqing"]["last_run"]["errors"] == 5
    assert cause in report["zhaoqing"]["last_run"]["reason"]

    # the alert machinery: two failures in a row with failures_before_alert = 2
    db = connect(db_url)
    try:
        alerts = evaluate("zhaoqing", recent_runs(db, "zhaoqing"), OperatorSettings(failures_before_alert=2), "en")
    finally:
        db.dispose()
    assert [a.kind for a in alerts] == ["failing"]
    run_lines = [line for line in alerts[0].body.splitlines() if " slot " in line]
    assert len(run_lines) == 2 and all(cause in line for line in run_lines)  # each failed run says why


def test_a_withdrawn_page_still_listed_and_still_404_is_not_withdrawn_again(db_url, tmp_path):
    gone = C.ZQ_DETAIL.format(2001)
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=db_url)
        assert crawl_site(cfg, "zhaoqing", db_url, settings=FAST, timeout=120).outcomes == {"new": 4}
        portal.gone.add(gone)  # the listing still links it; the page answers 404
        runs = [crawl_site(cfg, "zhaoqing", db_url, settings=FAST, timeout=120) for _ in range(3)]
        assert [h.status for h in portal.requested(gone)][-3:] == [404, 404, 404]
    first, *again = runs
    assert first.outcomes == {"unchanged": 3, "withdrawn": 1} and first.changed == 1
    for run in again:
        assert run.status == "ok", run.log.read_text()[-3000:]
        assert run.outcomes == {"unchanged": 3, "gone": 1} and run.changed == 0
    db = connect(db_url)
    try:
        with db.reader() as s:
            kinds = s.scalars(select(ChangeRow.kind).where(ChangeRow.kind == "withdrawn")).all()
    finally:
        db.dispose()
    assert kinds == ["withdrawn"]  # one row, counted once
