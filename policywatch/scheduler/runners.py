"""Runners: how one crawl of one site is started, watched, limited and read back.

Every runner does one job: `run(site, slot, timeout)` starts one `scrapy crawl site` somewhere,
waits for it (killing it at `timeout`), and returns a SiteRun read from the crawl_run row the
crawl wrote for (site, slot). They are chosen by name from `[crawl] runner`, Scrapy-style:

    subprocess  `python -m scrapy crawl site ...` on this machine (default; `policywatch crawl`)
    scrapyd     `schedule.json` on the least busy Scrapyd node, followed with `listjobs.json`

A crawl whose slot another scheduler already claimed records nothing and comes back `skipped`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from policywatch.scheduler import procs
from policywatch.scheduler.crawl_signals import EXTENSION

if TYPE_CHECKING:
    from policywatch.scheduler.settings import CrawlSettings

log = logging.getLogger("policywatch.scheduler")

SLOT_TAKEN_MARK = "'finish_reason': 'slot_taken'"  # Scrapy's stats dump of a crawl that lost the slot


@dataclass
class SiteRun:
    site: str
    status: str  # ok | failed | crashed | timeout | stopped | skipped | detached
    pages: int = 0
    changed: int = 0
    errors: int = 0
    outcomes: dict[str, int] | None = None
    not_modified: int = 0
    seconds: float = 0.0
    log: Path | str | None = None
    run_id: int | None = None
    where: str = "local"
    reason: str = ""


def state_dir(config_path: Path) -> Path:
    """Where a config's HTTP cache and crawl logs live: next to the config file."""
    return config_path.parent / ".policywatch"


class Runner:
    """One crawl of one site per `run()`; safe to call from several threads at once."""

    name: ClassVar[str] = ""

    def __init__(self, crawl: CrawlSettings, config_path: Path, db_url: str):
        self.crawl = crawl
        self.config_path = config_path
        self.db_url = db_url
        self.stopping = threading.Event()

    def check(self) -> list[str]:
        """Start-up probe: warnings to print (one line each); raise UsageError if it cannot work."""
        return []

    def run(self, site: str, slot: str, *, timeout: float | None = None) -> SiteRun:
        raise NotImplementedError

    def stop(self, grace: float) -> None:
        """The daemon is stopping: running crawls are stopped (or left to finish) and recorded."""
        self.stopping.set()


# -- subprocess --------------------------------------------------------------------------------


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the crawl gets SIGTERM if the thread that started it dies (a killed daemon).

    Scrapy closes the spider on SIGTERM, so its crawl_run row is closed as failed, not left running.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class SubprocessRunner(Runner):
    name = "subprocess"

    def __init__(self, crawl: CrawlSettings, config_path: Path, db_url: str, *, extra: list[str] | None = None):
        super().__init__(crawl, config_path, db_url)
        self.extra = list(extra or [])
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def run(self, site: str, slot: str, *, timeout: float | None = None) -> SiteRun:
        timeout = timeout or self.crawl.timeout_seconds
        state = state_dir(self.config_path)
        # one file per attempt: two schedulers may fire the same slot on one machine
        logfile = state / "logs" / f"{site}-{slot.replace(':', '')}-{secrets.token_hex(3)}.log"
        logfile.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"site={site}"]
        cmd += ["-a", f"config={self.config_path}", "-a", f"slot={slot}"]
        # the validators of the last fetch must outlive this process: that is what makes 304s
        cmd += ["-s", f"HTTPCACHE_DIR={state / 'httpcache'}"]
        # -s EXTENSIONS outranks the site's own `settings`: its EXTENSIONS are carried over
        site_ext = _site_extensions(self.config_path, site)
        for item in [*self.crawl.setting_args(extensions={**site_ext, EXTENSION: 0}), *self.extra]:
            cmd += ["-s", item]
        # The URL travels in the environment, not argv, so a password never shows in `ps`.
        env = {**os.environ, "POLICYWATCH_DATABASE_URL": self.db_url, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        started = time.monotonic()
        killed = ""
        with logfile.open("wb") as out:
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent
            )
            with self._lock:
                self._procs.add(proc)
            # who runs this crawl, on its row: a later daemon settles it if both die (settle.py)
            mark = RunMark(self.db_url, site, slot, {
                "runner": self.name, **procs.identity(proc.pid),
                "supervisor": procs.identity(), "deadline": time.time() + timeout,
            })  # fmt: skip
            try:
                killed = self._wait(proc, started + timeout, mark)
            finally:
                mark.close()
                with self._lock:
                    self._procs.discard(proc)
        result = read_run(self.db_url, site, slot)
        result.seconds, result.log = time.monotonic() - started, logfile
        if _log_says_slot_taken(logfile):  # another scheduler's crawl owns the (site, slot) row
            return SiteRun(site, "skipped", seconds=result.seconds, log=logfile, reason="slot taken")
        if killed == "timeout":
            result.status, result.reason = "timeout", f"killed: time limit of {timeout:g}s"
            close_killed_run(self.db_url, result)
        elif killed in ("stopped", "interrupted") and result.status != "ok":
            # the scheduler stopped it: interrupted, whether it closed its row itself (Scrapy's
            # "shutdown") or had to be killed after the grace period
            why = "killed after the stop grace period" if killed == "stopped" else "stopped on SIGTERM"
            result.status, result.reason = "interrupted", f"interrupted: the scheduler stopped ({why})"
            close_killed_run(self.db_url, result, status="interrupted")
        elif proc.returncode != 0 and result.status == "ok":
            result.status = "crashed"
        return result

    def _wait(self, proc: subprocess.Popen[bytes], deadline: float, mark: RunMark) -> str:
        """'' when it ended by itself, 'interrupted' when it ended after the scheduler asked it
        to stop, else why it was killed ('timeout', 'stopped')."""
        terminated_at: float | None = None
        while True:
            try:
                proc.wait(timeout=0.25)
                return "" if terminated_at is None else "interrupted"
            except subprocess.TimeoutExpired:
                pass
            mark.try_mark()
            now = time.monotonic()
            if now >= deadline:
                proc.kill()
                proc.wait()
                return "timeout"
            if self.stopping.is_set():
                if terminated_at is None:
                    proc.terminate()  # once: Scrapy closes the spider and its row ("shutdown")
                    terminated_at = now
                elif now - terminated_at > self._grace:
                    proc.kill()
                    proc.wait()
                    return "stopped"

    _grace = 30.0

    def stop(self, grace: float) -> None:
        self._grace = grace
        super().stop(grace)


def _log_says_slot_taken(logfile: Path) -> bool:
    try:
        with logfile.open("rb") as f:
            f.seek(max(0, logfile.stat().st_size - 20000))
            return SLOT_TAKEN_MARK.encode() in f.read()
    except OSError:
        return False


# -- scrapyd -----------------------------------------------------------------------------------


class NodeError(Exception):
    """A Scrapyd node that did not answer as expected (one line)."""


class ScrapydRunner(Runner):
    """Dispatch through Scrapyd's JSON API to the least busy reachable node, then follow the job.

    A node that does not answer (or lacks the project) is skipped and the next least busy one
    is used. The node gets the site's own [[sites]] table as JSON (`site_config`), the slot, the
    database URL *without* its password (`db`; a node authenticates with its own PGPASSWORD or
    ~/.pgpass), and the [crawl] settings. Its HTTP cache stays on the node.
    """

    name = "scrapyd"
    HTTP_TIMEOUT = 5.0

    def __init__(self, crawl: CrawlSettings, config_path: Path, db_url: str):
        super().__init__(crawl, config_path, db_url)
        self.nodes = list(crawl.scrapyd.nodes)
        self.project = crawl.scrapyd.project
        # Crawls fired at the same moment would all read the same loads and pile onto one node;
        # picking and scheduling under one lock lets each see the job the previous one queued.
        self._dispatch = threading.Lock()

    # HTTP (urllib: no dependency the daemon would not otherwise need)
    def _get(self, node: str, action: str, **params: str) -> dict[str, Any]:
        from urllib.parse import urlencode

        url = f"{node}/{action}" + (f"?{urlencode(params)}" if params else "")
        return self._call(node, url, None)

    def _post(self, node: str, action: str, data: list[tuple[str, str]]) -> dict[str, Any]:
        from urllib.parse import urlencode

        return self._call(node, f"{node}/{action}", urlencode(data).encode())

    def _call(self, node: str, url: str, body: bytes | None) -> dict[str, Any]:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(url, data=body, timeout=self.HTTP_TIMEOUT) as resp:
                payload = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise NodeError(f"{node}: HTTP {e.code}") from None
        except (OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            raise NodeError(f"{node}: unreachable ({reason})") from None
        if payload.get("status") != "ok":
            raise NodeError(f"{node}: {payload.get('message', payload)}".splitlines()[0])
        return payload

    def _load(self, node: str) -> int:
        """Running + pending jobs of the node; NodeError when it cannot take one of ours."""
        status = self._get(node, "daemonstatus.json")
        return int(status.get("running", 0)) + int(status.get("pending", 0))

    def check(self) -> list[str]:
        from policywatch.errors import UsageError

        warnings, errors = [], []
        for i, node in enumerate(self.nodes):
            try:
                self._load(node)
                projects = self._get(node, "listprojects.json").get("projects", [])
                if self.project not in projects:
                    raise NodeError(f"{node}: project {self.project!r} is not deployed (run scrapyd-deploy)")
            except NodeError as e:
                errors.append(str(e))
                warnings.append(f"{self.config_path}: [crawl] scrapyd.nodes[{i}]: {e}; using the other nodes")
        if len(errors) == len(self.nodes):
            why = "; ".join(errors)
            raise UsageError(f"{self.config_path}: [crawl] scrapyd.nodes: no node can run crawls ({why})")
        return warnings

    def pick(self, site: str) -> list[str]:
        """Reachable nodes, least busy first; ties go to a stable per-site order (warm caches)."""
        loads = []
        for node in self.nodes:
            try:
                loads.append((self._load(node), zlib.crc32(f"{site}@{node}".encode()), node))
            except NodeError as e:
                log.warning("scrapyd node skipped: %s", e)
        return [node for _, _, node in sorted(loads)]

    def run(self, site: str, slot: str, *, timeout: float | None = None) -> SiteRun:
        timeout = timeout or self.crawl.timeout_seconds
        started = time.monotonic()
        data = [
            ("project", self.project),
            ("spider", "site"),
            ("site", site),
            ("slot", slot),
            ("site_config", json.dumps(site_table(self.config_path, site), ensure_ascii=False)),
            ("db", _without_password(self.db_url)),
        ]
        data += [("setting", s) for s in self.crawl.setting_args()]
        job = node = None
        errors = []
        with self._dispatch:
            for node in self.pick(site):
                try:
                    job = self._post(node, "schedule.json", data)["jobid"]
                    break
                except NodeError as e:
                    log.warning("scrapyd node failed to take %s: %s", site, e)
                    errors.append(str(e))
        if job is None or node is None:
            reason = "no Scrapyd node took the job: " + ("; ".join(errors) or "none reachable")
            return SiteRun(site, "failed", errors=1, seconds=time.monotonic() - started, reason=reason)
        log.info("crawl %s slot %s dispatched to %s as job %s", site, slot, node, job)
        mark = RunMark(self.db_url, site, slot, {
            "runner": self.name, "node": node, "project": self.project, "job": job,
            "supervisor": procs.identity(), "deadline": time.time() + timeout,
        })  # fmt: skip
        try:
            outcome = self._follow(node, job, started + timeout, mark)
        finally:
            mark.close()
        if outcome == "detached":  # the daemon is stopping: the node finishes the crawl and records it
            return SiteRun(site, "detached", where=node, reason=f"job {job} left running on {node}")
        result = read_run(self.db_url, site, slot)
        result.seconds, result.where, result.log = time.monotonic() - started, node, f"{node}/logs/{self.project}/site/{job}.log"
        if self._slot_taken(node, job):
            return SiteRun(site, "skipped", seconds=result.seconds, where=node, reason="slot taken")
        if outcome == "timeout":
            result.status, result.reason = "timeout", f"killed: time limit of {timeout:g}s on {node}"
            close_killed_run(self.db_url, result)
        elif outcome == "lost":
            result.status, result.reason = "failed", f"lost track of job {job} on {node}"
            close_killed_run(self.db_url, result)
        return result

    def _follow(self, node: str, job: str, deadline: float, mark: RunMark) -> str:
        """'finished', 'timeout' (cancelled), 'lost' (node gone too long), or 'detached' (stopping)."""
        last_seen = time.monotonic()
        while True:
            if self.stopping.wait(self.crawl.scrapyd.poll_seconds):
                return "detached"  # the job goes on and records itself on the node
            mark.try_mark()
            now = time.monotonic()
            try:
                jobs = self._get(node, "listjobs.json", project=self.project)
                last_seen = now
            except NodeError as e:
                if now - last_seen > max(60.0, 10 * self.crawl.scrapyd.poll_seconds):
                    log.error("giving up on job %s: %s", job, e)
                    return "lost"
                continue
            if any(j.get("id") == job for j in jobs.get("finished", [])):
                return "finished"
            if not any(j.get("id") == job for key in ("pending", "running") for j in jobs.get(key, [])):
                return "finished"  # dropped from the lists (finished_to_keep): it ended
            if now >= deadline:
                for sig in ("TERM", "KILL"):
                    try:
                        self._post(node, "cancel.json", [("project", self.project), ("job", job), ("signal", sig)])
                    except NodeError as e:
                        log.warning("cancel of job %s: %s", job, e)
                    time.sleep(min(5.0, self.crawl.scrapyd.poll_seconds * 2))
                return "timeout"

    def _slot_taken(self, node: str, job: str) -> bool:
        import urllib.request

        try:
            url = f"{node}/logs/{self.project}/site/{job}.log"
            with urllib.request.urlopen(url, timeout=self.HTTP_TIMEOUT) as resp:
                return SLOT_TAKEN_MARK.encode() in resp.read()[-20000:]
        except OSError:
            return False  # no logs on this node: the row read back is taken as ours


def site_table(config_path: Path, site: str) -> dict[str, Any]:
    """The raw [[sites]] table of one site, as the operator wrote it."""
    data = tomllib.loads(config_path.read_text(encoding="utf-8"))
    for raw in data.get("sites", []):
        if raw.get("name") == site:
            return raw
    raise KeyError(site)


def _site_extensions(config_path: Path, site: str) -> dict[str, Any]:
    try:
        settings = site_table(config_path, site).get("settings") or {}
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return {}  # the crawl itself reports a config it cannot read
    value = settings.get("EXTENSIONS") or {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def _without_password(db_url: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(db_url)
    return url.set(password=None).render_as_string(hide_password=False)


# -- registry ----------------------------------------------------------------------------------

RUNNERS: dict[str, type[Runner]] = {SubprocessRunner.name: SubprocessRunner, ScrapydRunner.name: ScrapydRunner}


def runner_class(name: str) -> type[Runner]:
    if name in RUNNERS:
        return RUNNERS[name]
    module, _, attr = name.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Runner)):
        raise TypeError(f"{name} is not a policywatch.scheduler.runners.Runner")
    return cls


# -- the crawl_run row -------------------------------------------------------------------------


def read_run(db_url: str, site: str, slot: str) -> SiteRun:
    from sqlalchemy import select

    from storage.crawl_runs import run_reason
    from storage.db import connect
    from storage.models import CrawlRun, Site

    db = connect(db_url)
    try:
        with db.reader() as session:
            row = session.scalar(
                select(CrawlRun)
                .join(Site, Site.id == CrawlRun.site_id)
                .where(Site.name == site, CrawlRun.slot == slot)
            )
    except Exception:  # no schema yet: the child died before it could create it
        row = None
    finally:
        db.dispose()
    if row is None:
        return SiteRun(site, "crashed")
    stats = row.stats or {}
    status = row.status if row.status in ("ok", "failed", "interrupted") else "crashed"  # "running": it died
    return SiteRun(
        site,
        status,
        pages=row.pages,
        changed=row.changed,
        errors=row.errors,
        outcomes=stats.get("outcomes") or {},
        not_modified=int(stats.get("policywatch/not_modified", 0)),
        run_id=row.id,
        reason=run_reason(stats),
    )


def close_killed_run(db_url: str, result: SiteRun, *, status: str = "failed") -> None:
    """The crawl was killed (or stopped) before it could close its crawl_run row as it should:
    close it as `status` for `result.reason`, keeping the counts it had. Nothing to close when
    the crawl never opened its row."""
    from storage.crawl_runs import finish_run, get_run
    from storage.db import connect

    if result.run_id is None:
        return
    db = connect(db_url)
    try:
        row = get_run(db, result.run_id)
        stats = dict(row.stats or {}) if row is not None and row.status != "running" else {}
        finish_run(
            db,
            result.run_id,
            status=status,
            pages=result.pages,
            changed=result.changed,
            errors=result.errors + (status == "failed"),
            stats={**stats, "finish_reason": result.reason},
        )
    finally:
        db.dispose()


class RunMark:
    """Writes who runs a crawl onto its crawl_run row, once the crawl has opened it.

    `try_mark()` is called from the runner's wait loop: a cheap read until the row shows up,
    then one UPDATE of the still-running row (the crawl replaces these stats when it closes)."""

    def __init__(self, db_url: str, site: str, slot: str, info: dict[str, Any]):
        self.db_url, self.site, self.slot, self.info = db_url, site, slot, info
        self.done = False
        self._db: Any = None

    def try_mark(self) -> None:
        from sqlalchemy import select, update

        from storage.db import connect
        from storage.models import CrawlRun, Site

        if self.done:
            return
        try:
            if self._db is None:
                self._db = connect(self.db_url)
            with self._db.reader() as session:
                row = session.execute(
                    select(CrawlRun.id, CrawlRun.status)
                    .join(Site, Site.id == CrawlRun.site_id)
                    .where(Site.name == self.site, CrawlRun.slot == self.slot)
                ).first()
            if row is None:
                return
            self.done = True
            if row.status != "running":
                return
            with self._db.writer() as session:
                session.execute(
                    update(CrawlRun)
                    .where(CrawlRun.id == row.id, CrawlRun.status == "running")
                    .values(stats={"policywatch/run_by": self.info})
                )
        except Exception as e:  # no schema yet, or the database is busy: the next tick tries again
            log.debug("crawl %s slot %s: run not marked yet: %s", self.site, self.slot, e)

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None
