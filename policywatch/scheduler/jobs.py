"""Job specs from the config, and the functions the jobs call.

A job in the SQLAlchemy job store is a pickled reference, so it names a module-level function
by text ("policywatch.scheduler.jobs:crawl_job") with plain args (the site name). What the
function needs at run time (config, database, runner, alerts) comes from the daemon that runs
it (`set_context`), never from the pickle: no database URL or password lands in the job table.

The slot of a run is its *scheduled* fire time in UTC ("2026-11-23T06:00:00Z"), handed over by
the daemon's executor (`fire_time()`). Two schedulers firing the same slot therefore collide on
UNIQUE(site_id, slot) in crawl_run, and the loser records nothing.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

if TYPE_CHECKING:
    from policywatch.config import Config
    from policywatch.scheduler.context import Context
    from policywatch.scheduler.settings import DaemonSettings

log = logging.getLogger("policywatch.scheduler")

CRAWL_FUNC = "policywatch.scheduler.jobs:crawl_job"
DIGEST_FUNC = "policywatch.scheduler.jobs:digest_job"
NOTICES_FUNC = "policywatch.scheduler.jobs:notices_job"
NOTICES_CRON = "0 8 * * *"
DEFAULT_DIGEST_CRON = "*/5 * * * *"  # with [[subscriptions]] and no [scheduler] digests


@dataclass(frozen=True)
class JobSpec:
    id: str  # "crawl:zhaoqing", "digest:daily"
    func: str
    args: tuple[Any, ...]
    trigger: BaseTrigger
    schedule: str  # "every 60s", "cron 0 6 * * * (Asia/Shanghai)": also the job's name, to see changes
    misfire_grace_time: int

    @property
    def name(self) -> str:
        return f"{self.id} {self.schedule}"


def build(cfg: Config, settings: DaemonSettings) -> tuple[list[JobSpec], list[str]]:
    """The jobs this config asks for, and a warning per site left unscheduled."""
    tz = settings.scheduler.timezone
    specs, warnings = [], []
    for site in cfg.sites:
        override = settings.scheduler.jobs.get(site.name)
        if override is not None:
            cron, seconds = override.cron, override.interval_seconds
        elif site.schedule is not None:
            cron = site.schedule.cron
            seconds = site.schedule.interval_minutes * 60.0 if site.schedule.interval_minutes else None
        else:
            warnings.append(f"{cfg.path}: site {site.name!r}: no schedule, not crawled by `policywatch run`")
            continue
        trigger, text = _trigger(cron, seconds, tz)
        specs.append(JobSpec(f"crawl:{site.name}", CRAWL_FUNC, (site.name,), trigger, text, _grace(trigger)))
    crons = dict(settings.scheduler.digests)
    if not crons and cfg.tables.get("subscriptions"):
        crons = {"due": DEFAULT_DIGEST_CRON}  # send_due knows each subscription's cadence
    for cadence, cron in crons.items():
        trigger, text = _trigger(cron, None, tz)
        specs.append(JobSpec(f"digest:{cadence}", DIGEST_FUNC, (cadence,), trigger, text, _grace(trigger)))
    if cfg.tables.get("subscriptions"):  # 即将到期 / 已废止 notices, once a day (notifications/expiry.py)
        specs.append(JobSpec("notices:daily", NOTICES_FUNC, ("daily",), *_daily(tz)))
    return specs, warnings


def _trigger(cron: str | None, seconds: float | None, tz: str | None) -> tuple[BaseTrigger, str]:
    if cron:
        return CronTrigger.from_crontab(cron, timezone=tz), f"cron {cron} ({tz or 'local'})"
    assert seconds is not None
    return IntervalTrigger(seconds=seconds, timezone=UTC), f"every {seconds:g}s"


def _grace(trigger: BaseTrigger) -> int:
    """Misfire grace = one period: a daemon down for a while still runs the latest missed slot
    (coalesced to one run), however long it was down; a run later than that is the next one."""
    now = datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first + timedelta(microseconds=1)) if first else None
    if first is None or second is None:
        return 3600
    return max(1, int((second - first).total_seconds()))


def slot_of(when: datetime) -> str:
    """A fire time as a slot: UTC to the second, e.g. 2026-11-23T06:00:00Z."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- what the executor tells the job, and what the daemon lends it -----------------------------

_local = threading.local()
_context: Context | None = None


def fire_time() -> datetime | None:
    """The scheduled time of the run executing in this thread (set by the daemon's executor)."""
    return getattr(_local, "fire_time", None)


def set_fire_time(when: datetime | None) -> None:
    _local.fire_time = when


def set_context(ctx: Context | None) -> None:
    global _context
    _context = ctx


def context() -> Context:
    if _context is None:
        raise RuntimeError("policywatch jobs run inside `policywatch run` only")
    return _context


# -- the jobs ----------------------------------------------------------------------------------


def crawl_job(site: str) -> str:
    """One scheduled crawl of `site`, for the slot of this run's fire time."""
    ctx = context()
    when = fire_time() or datetime.now(UTC)
    slot = slot_of(when)
    if ctx.stopping.is_set():
        return "stopping"
    late = (datetime.now(UTC) - when).total_seconds()
    ctx.refresh()  # an edited config's subscriptions reach the database before this crawl records
    log.info("crawl %s slot %s: starting %.2fs after its slot", site, slot, late)
    result = ctx.runner.run(site, slot, timeout=ctx.settings.crawl.timeout_seconds)
    if result.status in ("skipped", "detached"):  # another crawl owns the slot's row, or will write it
        log.info("crawl %s slot %s: %s, %s", site, slot, result.status, result.reason)
        return result.status
    if result.run_id is None:  # nothing reached the database: record the run for status/alerts
        status = "interrupted" if result.status == "interrupted" else "failed"
        result.run_id = record_failure(ctx.db_url, site, slot, result.reason or f"crawl {result.status}", status)
    level = logging.INFO if result.status == "ok" else logging.ERROR
    log.log(
        level,
        "crawl %s slot %s: %s, %d pages, %d changed, %d errors, %.1fs on %s%s",
        site,
        slot,
        result.status,
        result.pages,
        result.changed,
        result.errors,
        result.seconds,
        result.where,
        f" ({result.reason})" if result.status != "ok" and result.reason else "",
    )
    if ctx.alerts is not None and result.status != "interrupted":  # a stopped daemon is no site failure
        try:
            ctx.alerts.after_run(site)
        except Exception as e:  # an alert that cannot be sent must not fail the schedule
            from storage.db import first_line

            log.error("alert for %s not sent: %s", site, first_line(e))
    return result.status


def record_failure(db_url: str, site: str, slot: str, reason: str, status: str = "failed") -> int | None:
    from storage.crawl_runs import SlotTaken, finish_run, start_run
    from storage.db import connect

    db = connect(db_url)
    try:
        run_id = start_run(db, site, slot)
        errors = int(status == "failed")
        finish_run(db, run_id, status=status, pages=0, changed=0, errors=errors, stats={"finish_reason": reason})
        return run_id
    except SlotTaken:
        return None
    finally:
        db.dispose()


def digest_job(name: str) -> str:
    """Send the digests that are due now (notifications.sender.send_due decides, per subscription
    cadence, what is due; this job only decides how often to ask)."""
    ctx = context()
    from notifications.sender import send_due
    from storage.db import connect

    notify = ctx.notify
    if notify.smtp.missing_password:  # checked at start-up; queued digests wait, nothing is marked
        log.error("digest:%s: not sending: %s: %s", name, notify.where, notify.smtp.missing_password)
        return "failed"
    db = connect(ctx.db_url)
    try:
        report = send_due(db, notify)
    finally:
        db.dispose()
    sent = len(report.by_status("sent"))
    level = logging.INFO if report.ok else logging.ERROR
    log.log(level, "digest:%s: %d sent, %d outcomes%s", name, sent, len(report.outcomes),
            f", stopped: {report.stopped}" if report.stopped else "")
    return "ok" if report.ok else "failed"


def _daily(tz: str | None) -> tuple[BaseTrigger, str, int]:
    trigger, text = _trigger(NOTICES_CRON, None, tz)
    return trigger, text, _grace(trigger)


def notices_job(name: str) -> str:
    """Mail the validity notices not sent yet (each once: notifications.expiry keeps what it sent)."""
    ctx = context()
    from notifications.expiry import send_notices
    from storage.db import connect

    if ctx.notify.smtp.missing_password:
        log.error("notices:%s: not sending: %s: %s", name, ctx.notify.where, ctx.notify.smtp.missing_password)
        return "failed"
    db = connect(ctx.db_url)
    try:
        report = send_notices(db, ctx.notify)
    finally:
        db.dispose()
    log.info("notices:%s: %d sent, %d failed", name, len(report.sent), len(report.failed))
    return "failed" if report.failed else "ok"
