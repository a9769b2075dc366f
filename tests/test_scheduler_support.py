"""Helpers for the scheduler and Scrapyd tests: a config for the portal, a daemon process, its runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from policywatch.demo.portal import Portal
from policywatch.demo.portal.config import config_text
from storage.db import connect
from storage.models import CrawlRun, Site

ROOT = Path(__file__).resolve().parent.parent
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "false",
    "RETRY_BACKOFF_BASE": "0.01",
    "ROBOTSTXT_OBEY": "false",
}


def daemon_config(
    path: Path,
    portal: Portal | None,
    db_url: str,
    *,
    jobs: str = "zhaoqing = { interval_seconds = 3 }",
    crawl: str = "",
    scheduler: str = "",
    extra: str = "",
    sites: str | None = None,
) -> Path:
    settings = ", ".join(f"{k} = {v}" for k, v in FAST.items())
    body = sites if sites is not None else config_text(portal, db_url=None)  # type: ignore[arg-type]
    text = (
        f'[database]\nurl = "{db_url}"\n\n{body}\n'
        f"[crawl]\ntimeout_seconds = 60\nsettings = {{ {settings} }}\n{crawl}\n"
        f"[scheduler]\nstandby_poll_seconds = 0.5\nstop_grace_seconds = 5\njobs = {{ {jobs} }}\n{scheduler}\n"
        f"{extra}"
    )
    path.write_text(text, encoding="utf-8")
    return path


class DaemonProcess:
    """`policywatch run` in a child process, its stderr in a file."""

    def __init__(self, config: Path, log: Path, env: dict[str, str] | None = None):
        self.log = log
        self.out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policywatch.cli", "run", "--config", str(config)],
            stdout=self.out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, needle: str, timeout: float = 30) -> float:
        """Seconds until `needle` shows in the log."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if needle in self.text():
                return time.monotonic() - start
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.text()[-3000:]}")
            time.sleep(0.1)
        raise AssertionError(f"{needle!r} not logged in {timeout}s:\n{self.text()[-3000:]}")

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.out.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.out.close()

    def __enter__(self) -> DaemonProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def runs(db_url: str, site: str | None = None) -> list[CrawlRun]:
    db = connect(db_url)
    try:
        with db.reader() as s:
            q = select(CrawlRun, Site.name).join(Site, Site.id == CrawlRun.site_id).order_by(CrawlRun.id)
            if site:
                q = q.where(Site.name == site)
            out = []
            for run, name in s.execute(q).all():
                run.site_name = name
                out.append(run)
            return out
    except Exception:  # no schema yet
        return []
    finally:
        db.dispose()


def wait_runs(db_url: str, n: int, *, site: str | None = None, timeout: float = 60, finished: bool = True):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        got = [r for r in runs(db_url, site) if not finished or r.status != "running"]
        if len(got) >= n:
            return got
        time.sleep(0.2)
    raise AssertionError(f"fewer than {n} runs after {timeout}s: {[(r.slot, r.status) for r in runs(db_url, site)]}")


def slot_time(slot: str) -> datetime:
    return datetime.strptime(slot, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
