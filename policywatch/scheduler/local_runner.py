"""The subprocess runner: `python -m crawler.launch crawl site ...` (`scrapy crawl`, with a first
crawl's writer started before Scrapy: crawler/launch.py) on this machine (the default, and what
`policywatch crawl` runs), killed at its timeout, read back from its crawl_run row."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from policywatch.scheduler import procs
from policywatch.scheduler.crawl_signals import EXTENSION
from policywatch.scheduler.run_rows import RunMark, close_killed_run, closed_from_log
from policywatch.scheduler.runner_base import (
    SLOT_TAKEN_MARK,
    Runner,
    SiteRun,
    site_extensions,
    site_table,
    state_dir,
)

if TYPE_CHECKING:
    from policywatch.scheduler.settings import CrawlSettings

log = logging.getLogger("policywatch.scheduler")


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

    def __init__(
        self,
        crawl: CrawlSettings,
        config_path: Path,
        db_url: str,
        *,
        extra: list[str] | None = None,
        on_wait: Callable[[], None] | None = None,
        before_crawl: Callable[[], None] | None = None,
    ):
        """`on_wait`: called about four times a second while a crawl runs (a progress display);
        `before_crawl`: called before each Scrapy process records anything (not when the
        revalidation pre-check recorded the run without one). It runs while Scrapy starts up,
        which takes a second: the crawl's pipeline waits for it (POLICYWATCH_WAIT_FOR, a lock
        file this process holds until it returns) before it opens the database."""
        super().__init__(crawl, config_path, db_url)
        self.extra = list(extra or [])
        self.on_wait = on_wait
        self.before_crawl = before_crawl
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()

    def run(self, site: str, slot: str, *, timeout: float | None = None) -> SiteRun:
        timeout = timeout or self.crawl.timeout_seconds
        state = state_dir(self.config_path)
        # one file per attempt: two schedulers may fire the same slot on one machine
        logfile = state / "logs" / f"{site}-{slot.replace(':', '')}-{secrets.token_hex(3)}.log"
        logfile.parent.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        checked, note = self._precheck(site, slot, started + timeout)
        if checked is not None:
            logfile.write_text(note, encoding="utf-8")
            checked.seconds, checked.log = time.monotonic() - started, logfile
            return checked
        cmd = [sys.executable, "-m", "crawler.launch", "crawl", "site", "-a", f"site={site}"]
        cmd += ["-a", f"config={self.config_path}", "-a", f"slot={slot}"]
        # the validators of the last fetch must outlive this process: that is what makes 304s
        cmd += ["-s", f"HTTPCACHE_DIR={state / 'httpcache'}"]
        # -s EXTENSIONS outranks the site's own `settings`: its EXTENSIONS are carried over
        site_ext = site_extensions(self.config_path, site)
        for item in [*self.crawl.setting_args(extensions={**site_ext, EXTENSION: 0}), *self.extra]:
            cmd += ["-s", item]
        gate = logfile.with_suffix(".starting") if self.before_crawl is not None else None
        if gate is not None:
            cmd += ["-s", f"POLICYWATCH_WAIT_FOR={gate}"]
        # The URL travels in the environment, not argv, so a password never shows in `ps`.
        env = {**os.environ, "POLICYWATCH_DATABASE_URL": self.db_url, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
        killed = ""
        with logfile.open("wb") as out:
            out.write(note.encode())  # why the pre-check handed the site over, first in its log
            out.flush()
            with _held(gate):
                proc = subprocess.Popen(
                    cmd, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent
                )
                with self._lock:
                    self._procs.add(proc)
                if self.before_crawl is not None:
                    try:
                        self.before_crawl()
                    except BaseException:  # the crawl has waited on the gate: it never began
                        proc.kill()
                        proc.wait()
                        with self._lock:
                            self._procs.discard(proc)
                        raise
            # who runs this crawl, on its row: a later daemon settles it if both die (settle.py)
            mark = RunMark(self.db_url, site, slot, {
                "runner": self.name, **procs.identity(proc.pid),
                "supervisor": procs.identity(), "deadline": time.time() + timeout,
            })  # fmt: skip
            try:
                killed = self._wait(proc, started + timeout, mark)
                result = mark.read()
            finally:
                mark.close()
                with self._lock:
                    self._procs.discard(proc)
        result.seconds, result.log = time.monotonic() - started, logfile
        tail = _log_tail(logfile)
        if SLOT_TAKEN_MARK.encode() in tail:  # another scheduler's crawl owns the (site, slot) row
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
        elif result.status == "crashed" and result.run_id is not None:
            result = closed_from_log(self.db_url, result, tail.decode("utf-8", "replace"))
        return result

    def _precheck(self, site: str, slot: str, deadline: float) -> tuple[SiteRun | None, str]:
        """The revalidation pre-check (crawler.revalidate): the run when it recorded one without
        Scrapy (or found the slot taken), else None; and a line for the log saying which."""
        from crawler.revalidate import precheck

        try:
            table = site_table(self.config_path, site)
        except (OSError, KeyError, ValueError):
            return None, ""  # the crawl itself reports a config it cannot read
        args = [*self.crawl.setting_args(), *self.extra]
        try:
            out = precheck(
                state_dir(self.config_path) / "httpcache", site, table, self.db_url, slot, args,
                deadline=deadline, stopping=self.stopping,
            )  # fmt: skip
        except Exception as e:  # never the end of the run: the full crawl follows, and the log says why
            log.exception("revalidation pre-check of %s failed", site)
            return None, f"revalidation pre-check failed ({type(e).__name__}: {e}); full crawl\n"
        line = (
            f"revalidation pre-check: {out.verdict}: {out.reason} "
            f"({out.requests} requests, {out.seconds:.2f}s)\n"
        )
        log.info("%s: %s", site, line.strip())
        if out.verdict == "revalidated":
            outcomes = {"unchanged": out.pages} if out.pages else {}
            run = SiteRun(site, "ok", pages=out.pages, outcomes=outcomes, not_modified=out.pages, run_id=out.run_id)
            run.reason = out.reason
            return run, line
        if out.verdict == "skipped":
            return SiteRun(site, "skipped", reason="slot taken"), line
        return None, line if "no earlier crawl" not in out.reason else ""

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
            self._tick()
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

    def _tick(self) -> None:
        if self.on_wait is None:
            return
        try:
            self.on_wait()
        except Exception:  # a broken display must not leave the crawl unwatched (no timeout, no kill)
            log.exception("progress display failed; the crawl goes on without it")
            self.on_wait = None

    _grace = 30.0

    def stop(self, grace: float) -> None:
        self._grace = grace
        super().stop(grace)


@contextmanager
def _held(gate: Path | None) -> Iterator[None]:
    """An exclusive lock on `gate` while the block runs (the crawl takes a shared one: it waits),
    the file removed after; nothing without a gate."""
    if gate is None:
        yield
        return
    import fcntl

    with gate.open("wb") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            gate.unlink(missing_ok=True)
            fcntl.flock(f, fcntl.LOCK_UN)


def _log_tail(logfile: Path, size: int = 20000) -> bytes:
    try:
        with logfile.open("rb") as f:
            f.seek(max(0, logfile.stat().st_size - size))
            return f.read()
    except OSError:
        return b""
