"""The daemon behind `policywatch run`: wait to lead, reconcile jobs, run them, stop cleanly.

    standby --(lock acquired)--> leader: migrate, reconcile the job store, start APScheduler
    leader  --(SIGTERM/SIGINT)-> pause; running crawls stopped (subprocess) or left to finish
                                 (Scrapyd); wait for their rows; release the lock; exit 0
    leader  --(lock connection lost)-> stop as above and exit 1: someone else may lead now

APScheduler 3.11 with the SQLAlchemy job store in the project database: coalesce=True,
max_instances=1, misfire grace = one period (jobs._grace). Jobs are reconciled, not blindly
replaced: a job whose schedule did not change keeps its stored next run time, so a restart
keeps the schedule and runs a missed slot once (coalesced); a changed schedule is replaced, a
site gone from the config is removed.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from dataclasses import replace
from typing import Any

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED

from policywatch.errors import ProblemFound, UsageError
from policywatch.notify_config import sync_config
from policywatch.scheduler import jobs as jobsmod
from policywatch.scheduler.context import Context
from policywatch.scheduler.leader import LeaderLock
from policywatch.scheduler.reload import ConfigFile, load_all
from policywatch.scheduler.settle import settle_open_runs

log = logging.getLogger("policywatch.scheduler")

JOBS_TABLE = "apscheduler_jobs"


def _run_at_fire_time(job: Any, jobstore_alias: str, run_times: list[Any], logger_name: str) -> list[Any]:
    """APScheduler's run_job, telling the job function its scheduled time (the slot)."""
    events = []
    for when in run_times:
        jobsmod.set_fire_time(when)
        try:
            events += run_job(job, jobstore_alias, [when], logger_name)
        finally:
            jobsmod.set_fire_time(None)
    return events


class SlotExecutor(ThreadPoolExecutor):
    def _do_submit_job(self, job: Any, run_times: list[Any]) -> None:
        def callback(f: Any) -> None:
            exc = f.exception()
            if exc:
                self._run_job_error(job.id, exc, getattr(exc, "__traceback__", None))
            else:
                self._run_job_success(job.id, f.result())

        f = self._pool.submit(_run_at_fire_time, job, job._jobstore_alias, run_times, self._logger.name)
        f.add_done_callback(callback)


class _Scheduler(BackgroundScheduler):
    def _process_jobs(self) -> float | None:
        # APScheduler 3 wakes its thread once more on shutdown and would submit due jobs to an
        # executor already shut down (an error, and a slot marked done that never ran).
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


class Daemon:
    def __init__(self, ctx: Context, lock: LeaderLock, db: Any):
        self.ctx = ctx
        self.lock = lock
        self.db = db  # storage.db.Database
        self.scheduler: BackgroundScheduler | None = None
        self.stopping = ctx.stopping
        self.config_file = ConfigFile(ctx.config.path)
        self._reload = threading.Lock()
        ctx.refresh = self.refresh

    def install_signals(self) -> None:
        def stop(signum: int, _frame: Any) -> None:
            log.info("%s: stopping", signal.Signals(signum).name)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self) -> int:
        poll = self.ctx.settings.scheduler.standby_poll_seconds
        announced = False
        while not self.stopping.is_set():
            if self.lock.acquire():
                break
            if not announced:
                holder = self.lock.holder()
                log.info("standby: another scheduler leads%s; polling every %gs", f" ({holder})" if holder else "", poll)
                announced = True
            self.stopping.wait(poll)
        if self.stopping.is_set():
            self.lock.release()
            return 0
        log.info("leader: lock acquired, starting the scheduler")
        lost = False
        try:
            from storage import migrate

            migrate.require(self.db, create=True)  # only the leader migrates: standbys never race it
            settle_open_runs(self.db, self.ctx)
            # before the first crawl: a change recorded now finds the config's subscriptions
            sync_config(self.db, self.ctx.notify)
            self._start()
            while not self.stopping.wait(1.0):
                self.refresh()
                if not self.lock.alive():
                    log.error("leader: lost the connection holding the leader lock; stopping")
                    lost = True
                    self.stopping.set()
        finally:
            self._stop()
            self.lock.release()
        if lost:
            raise ProblemFound("lost the leader lock (database connection dropped); another scheduler may lead now")
        log.info("stopped")
        return 0

    def _start(self) -> None:
        s = self.ctx.settings.scheduler
        scheduler = _Scheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.db.writer_engine, tablename=JOBS_TABLE)},
            executors={"default": SlotExecutor(max_workers=s.max_concurrent_crawls)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=s.timezone,  # None: this machine's zone
        )
        jobsmod.set_context(self.ctx)
        # paused: reconcile first, so that no stale job fires before it is replaced or removed
        scheduler.start(paused=True)
        self.scheduler = scheduler
        specs, warnings = jobsmod.build(self.ctx.config, self.ctx.settings)
        for w in warnings:
            log.warning("%s", w)
        reconcile(scheduler, specs)
        scheduler.resume()
        for job in scheduler.get_jobs():
            log.info("job %s (%s): next run %s", job.id, job.name.split(" ", 1)[-1], job.next_run_time)

    def refresh(self) -> None:
        """Apply an edited config file: subscriptions synced, jobs reconciled. A config that no
        longer loads is logged and ignored (the daemon keeps the one it has)."""
        with self._reload:
            if not self.config_file.changed():
                return
            try:
                loaded = load_all(self.ctx.config.path)
                specs, warnings = jobsmod.build(loaded.config, loaded.settings)
                sync_config(self.db, loaded.notify)
            except UsageError as e:
                log.error("config changed but not applied: %s", e)
                return
            for w in [*warnings, *loaded.warnings]:
                log.warning("%s", w)
            old = self.ctx.settings
            if (loaded.settings.crawl, replace(loaded.settings.scheduler, jobs={}, digests={})) != (
                old.crawl,
                replace(old.scheduler, jobs={}, digests={}),
            ):
                log.warning("config changed: [crawl] and [scheduler] settings other than jobs and digests apply at restart")
            self.ctx.config, self.ctx.notify = loaded.config, loaded.notify
            self.ctx.settings = replace(old, operator=loaded.settings.operator, scheduler=replace(
                old.scheduler, jobs=loaded.settings.scheduler.jobs, digests=loaded.settings.scheduler.digests
            ))  # fmt: skip
            if self.ctx.alerts is not None or loaded.settings.operator.emails:
                from policywatch.scheduler.alerts import Alerter

                ops = loaded.settings.operator
                self.ctx.alerts = Alerter(self.ctx.db_url, ops, loaded.notify.smtp, loaded.notify.digest.language) if ops.emails else None
            if self.scheduler is not None:
                reconcile(self.scheduler, specs)
            log.info("config reloaded from %s", self.ctx.config.path)

    def _stop(self) -> None:
        if self.scheduler is None:
            return
        grace = self.ctx.settings.scheduler.stop_grace_seconds
        with contextlib.suppress(Exception):  # already stopped
            self.scheduler.pause()
        self.ctx.runner.stop(grace)
        started = time.monotonic()
        self.scheduler.shutdown(wait=True)  # running jobs have recorded their crawl_run rows
        log.info("running jobs ended in %.1fs", time.monotonic() - started)
        jobsmod.set_context(None)
        self.scheduler = None


def reconcile(scheduler: BackgroundScheduler, specs: list[jobsmod.JobSpec]) -> dict[str, list[str]]:
    """Make the job store hold exactly these jobs; keep unchanged ones as they are."""
    done: dict[str, list[str]] = {"kept": [], "added": [], "replaced": [], "removed": []}
    stored = {job.id: job for job in scheduler.get_jobs()}
    wanted = {spec.id for spec in specs}
    for job_id in stored:
        if job_id not in wanted:
            scheduler.remove_job(job_id)
            done["removed"].append(job_id)
            log.info("job %s removed (no longer in the config)", job_id)
    for spec in specs:
        job = stored.get(spec.id)
        same = (
            job is not None
            and job.name == spec.name
            and job.func_ref == spec.func
            and tuple(job.args) == spec.args
            and job.misfire_grace_time == spec.misfire_grace_time
        )
        if same:
            done["kept"].append(spec.id)
            continue
        scheduler.add_job(
            spec.func,
            trigger=spec.trigger,
            args=spec.args,
            id=spec.id,
            name=spec.name,
            misfire_grace_time=spec.misfire_grace_time,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        done["replaced" if job is not None else "added"].append(spec.id)
        log.info("job %s %s: %s", spec.id, "replaced" if job is not None else "added", spec.schedule)
    return done
