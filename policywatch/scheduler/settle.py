"""At leader start-up: close the crawl runs a dead daemon (or a killed `policywatch crawl`) left
`running`, from what their row says runs them (runners.RunMark).

    subprocess run of this machine   its crawl process has ended: interrupted. Still alive but
                                     its supervisor is gone (an orphan of a SIGKILLed daemon):
                                     asked to stop once, killed after the grace, interrupted.
                                     Alive with its supervisor (a manual crawl): left alone.
    Scrapyd run                      the node's listjobs.json no longer lists the job pending or
                                     running: interrupted. Node unreachable: left, with a warning.
    no mark yet, SQLite database     no local process has `site=… slot=…` in its argv: interrupted.
    anything else (another machine)  past its deadline (the time limit it was started with, or
                                     [crawl] timeout_seconds), plus the grace: interrupted.

An interrupted run is closed, never counted toward the failure alert, and keeps its counts.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from policywatch.scheduler import procs
from storage import run_rows

if TYPE_CHECKING:
    from policywatch.scheduler.context import Context

log = logging.getLogger("policywatch.scheduler")

MARK = run_rows.MARK


def settle_open_runs(db: Any, ctx: Context) -> list[tuple[int, str]]:
    """(run id, reason) of every run closed here as interrupted."""
    from sqlalchemy import select

    from storage.models import CrawlRun, Site

    with db.reader() as session:
        rows = session.execute(
            select(CrawlRun, Site.name).join(Site, Site.id == CrawlRun.site_id).where(CrawlRun.status == "running")
        ).all()
    settled = []
    local = db.dialect == "sqlite"  # a SQLite file is only ever shared on one machine
    for run, site in rows:
        reason = _verdict(run, site, ctx, local)
        if reason is None:
            continue
        if _close(db, run.id, reason):
            log.warning("crawl %s slot %s (run %d) left open: %s", site, run.slot, run.id, reason)
            settled.append((run.id, reason))
    return settled


def _verdict(run: Any, site: str, ctx: Context, local: bool) -> str | None:
    """Why the run is over, or None while it may still be running."""
    mark = (run.stats or {}).get(MARK) or {}
    grace = ctx.settings.scheduler.stop_grace_seconds
    if not mark and local:  # opened, then its supervisor died before it could mark the row
        if procs.crawl_running(site, run.slot or ""):
            return None
        return "interrupted: no process of this machine runs it any more"
    if mark.get("runner") == "subprocess":
        alive = procs.alive(mark)
        if alive is False:
            return f"interrupted: its crawl process (pid {mark.get('pid')}) ended without closing the run"
        if alive and procs.alive(mark.get("supervisor") or {}) is False:
            return _stop_orphan(int(mark["pid"]), mark, grace)
        if alive:
            return None  # its supervisor still watches it (a `policywatch crawl`)
    elif mark.get("runner") == "scrapyd":
        state = _scrapyd_state(ctx, mark)
        if state == "gone":
            return f"interrupted: Scrapyd job {mark.get('job')} on {mark.get('node')} ended without closing the run"
        if state == "unknown":
            log.warning("crawl %s slot %s: Scrapyd node %s does not answer; run left open", site, run.slot, mark.get("node"))
        if state != "unknown" or "deadline" not in mark:
            return None
    deadline = mark.get("deadline")
    if not isinstance(deadline, int | float):
        started = run.started_at.replace(tzinfo=UTC).timestamp()
        deadline = started + ctx.settings.crawl.timeout_seconds
    if time.time() > deadline + grace:
        since = datetime.fromtimestamp(deadline, UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"interrupted: still open after its time limit ({since} UTC); nothing watches it any more"
    return None


def _stop_orphan(pid: int, mark: dict[str, Any], grace: float) -> str:
    """An orphan crawl of a dead daemon: one SIGTERM (it closes its row), SIGKILL after `grace`."""
    log.warning("crawl process %d outlived the daemon that started it; stopping it", pid)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while procs.alive(mark) and time.monotonic() < end:
        time.sleep(0.2)
    if procs.alive(mark):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        return f"interrupted: its daemon died; the crawl (pid {pid}) was killed after {grace:g}s"
    return f"interrupted: its daemon died; the crawl (pid {pid}) was stopped"


def _scrapyd_state(ctx: Context, mark: dict[str, Any]) -> str:
    """'running' (pending or running on its node), 'gone', or 'unknown' (the node does not answer)."""
    from policywatch.scheduler.runners import NodeError, ScrapydRunner

    node, job = mark.get("node"), mark.get("job")
    if not isinstance(node, str) or not isinstance(job, str):
        return "unknown"
    runner = ctx.runner if isinstance(ctx.runner, ScrapydRunner) else None
    if runner is None:
        runner = ScrapydRunner(ctx.settings.crawl, ctx.config.path, ctx.db_url)
    try:
        jobs = runner._get(node, "listjobs.json", project=str(mark.get("project") or runner.project))
    except NodeError:
        return "unknown"
    if any(j.get("id") == job for key in ("pending", "running") for j in jobs.get(key, [])):
        return "running"
    return "gone"


def _close(db: Any, run_id: int, reason: str) -> bool:
    """Close the run as interrupted unless it closed itself meanwhile (its own counts win)."""
    from sqlalchemy import update

    from storage.models import CrawlRun, utcnow

    with db.writer() as session:
        done = session.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id, CrawlRun.status == "running")
            .values(status="interrupted", finished_at=utcnow(), stats={"finish_reason": reason})
        )
        return bool(done.rowcount)
