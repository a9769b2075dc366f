"""A downloaded revision is either recorded or downloaded again in full next time (issue 13, F1).

Each test crawls the bulk portal (every tenth notice revised in state 2), breaks the recording of
the state-2 crawl the way it breaks in production, then crawls again with nothing broken:
- a writer process SIGKILLed while it holds batches (the OOM killer);
- PostgreSQL connections of the crawl terminated mid-crawl (a restart or failover);
- the database's disk full during the crawl (a small tmpfs), then space freed;
- the crawl SIGKILLed (or killed at its time limit) halfway, its HTTP cache committed often.
Every revision must be recorded after the second crawl, and every revision the broken crawl did
not record must have been counted as an error of that run, which is then failed.

Real parts: the portal over HTTP, `scrapy crawl` subprocesses and their writer processes, real
signals, SQLite and the PostgreSQL server, a real full filesystem.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.scheduler.runners import SiteRun
from storage.db import connect
from storage.models import Document, Site, Version
from tests.conftest import PG_URL, _pg_exec, _pg_unavailable

PAGES = 300
REVISED = {C.BULK_DETAIL.format(k) for k in range(10, PAGES + 1, 10)}  # bulk_pages: every tenth
FAST = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "LOG_LEVEL=INFO")
# Slow enough that the breakage lands mid-crawl; the cache commits every 20 entries, so with
# the old design most fetched revisions were in the committed cache when the crawl broke.
PACED = (*FAST, "DOWNLOAD_DELAY=0.01", "DOWNLOAD_DELAY_JITTER=0", "HTTPCACHE_SQLITE_COMMIT_EVERY=20")


def _config(portal: Portal, path: Path) -> Path:
    path.write_text(
        '[[sites]]\nname = "bulk"\n'
        f'start_urls = ["{portal.url(C.BULK_LIST)}"]\n'
        'link_selector = "table.gkml-list a::attr(href)"\n'
        'detail_pattern = "/bulk/gkmlpt/content/post_\\\\d+\\\\.html$"\n'
        'next_page = { static = "index_{n}.html", max_pages = 100 }\n',
        encoding="utf-8",
    )
    return path


def _recorded_revisions(db_url: str) -> set[str]:
    """Revised pages whose latest stored version is the revision (seq 2)."""
    db = connect(db_url)
    try:
        with db.reader() as s:
            rows = s.execute(
                select(Version.url)
                .join(Document, Document.latest_version_id == Version.id)
                .join(Site, Site.id == Document.site_id)
                .where(Site.name == "bulk", Version.seq == 2)
            ).all()
    finally:
        db.dispose()
    return {url for (url,) in rows}


def _paths(urls: set[str], portal: Portal) -> set[str]:
    return {u.removeprefix(portal.base) for u in urls}


def _detail_hits(portal: Portal, since: int) -> int:
    return sum(1 for h in portal.hits[since:] if h.path.startswith("/bulk/gkmlpt/content/"))


def _crawl_pid(cfg: Path) -> int | None:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"crawler.launch" in argv and f"config={cfg}".encode() in argv:
                return int(entry.name)
    return None


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _writers(pid: int) -> list[int]:
    """The crawl's writer processes (multiprocessing's spawned children, not its resource tracker)."""
    out = []
    for child in _children(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in argv and b"resource_tracker" not in argv:
            out.append(child)
    return out


def _busy_writers(pid: int, limit: float = 120.0) -> list[int]:
    """The crawl's writers that are running now (polled: a writer waiting for a batch sleeps)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        busy = [w for w in _writers(pid) if _running(w)]
        if busy:
            return busy
        time.sleep(0.002)
    raise AssertionError("never happened: a busy writer")


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
    except (OSError, IndexError):
        return False


def _wait_for(cond: Callable[[], bool], what: str, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit  # a hang guard only: the test waits for an event
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def _story(db_url: str, tmp_path: Path, break_it: Callable[[Portal, Path, int], None]) -> tuple[SiteRun, SiteRun, Portal]:
    """State 1 crawled cleanly; the state-2 crawl broken by `break_it` (in the test's thread,
    while the crawl runs); then a clean crawl. Returns the broken run and the clean one."""
    with Portal(bulk=PAGES) as portal:
        cfg = _config(portal, tmp_path / "policywatch.toml")
        first = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
        assert first.status == "ok" and first.outcomes == {"new": PAGES}, first.log.read_text()[-3000:]
        portal.state = 2
        since = len(portal.hits)
        box: dict[str, SiteRun] = {}
        crawl = threading.Thread(
            target=lambda: box.setdefault("run", crawl_site(cfg, "bulk", db_url, settings=PACED, timeout=300))
        )
        crawl.start()
        try:
            break_it(portal, cfg, since)
        finally:
            crawl.join()
        broken = box["run"]
        clean = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
        return broken, clean, portal


def test_a_writer_killed_mid_crawl_loses_no_revision(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    killed: list[int] = []

    def kill_writers(portal: Portal, cfg: Path, since: int) -> None:
        # twice: the second kill hits the writer that replaced the first. Each kill waits for
        # the writer to be running (a batch in hand): an idle one would be replaced before its
        # next batch, and nothing would be lost for the test to see recovered.
        for hits in (60, 160):
            _wait_for(lambda n=hits: _detail_hits(portal, since) >= n, f"{hits} pages fetched")
            pid = _crawl_pid(cfg)
            assert pid is not None
            for child in _busy_writers(pid):
                os.kill(child, signal.SIGKILL)
                killed.append(child)

    broken, clean, portal = _story(db_url, tmp_path, kill_writers)
    assert killed
    recorded = _paths(_recorded_revisions(db_url), portal)  # after the clean crawl: all of them
    assert recorded == REVISED
    log = broken.log.read_text()
    assert broken.status == "failed", log[-3000:]
    assert "pages not recorded" in broken.reason
    assert "BrokenProcessPool" in log
    # the crawl went on with a new writer: later batches were recorded by it
    assert (broken.outcomes or {}).get("unchanged", 0) > 0
    assert broken.errors + broken.pages == PAGES
    assert (clean.outcomes or {}).get("changed", 0) + (broken.outcomes or {}).get("changed", 0) == len(REVISED)
    assert (clean.outcomes or {}).get("changed", 0) > 0  # some revisions had to be fetched again


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A scratch PostgreSQL database, so that terminating its connections hits nobody else."""
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"pwlost_{os.getpid()}_{secrets.token_hex(3)}"
    _pg_exec(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        _pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgresql_connections_terminated_mid_crawl_lose_no_revision(pg_database, tmp_path):
    import psycopg

    name = pg_database.rsplit("/", 1)[1]
    terminated: list[int] = []

    def terminate(portal: Portal, cfg: Path, since: int) -> None:
        _wait_for(lambda: _detail_hits(portal, since) >= 40, "40 pages fetched")
        for _ in range(12):
            with psycopg.connect(PG_URL, autocommit=True) as conn:
                row = conn.execute(
                    "select count(pg_terminate_backend(pid)) from pg_stat_activity"
                    " where datname = %s and pid <> pg_backend_pid()",
                    (name,),
                ).fetchone()
                terminated.append(row[0] if row else 0)
            time.sleep(0.25)

    broken, clean, portal = _story(pg_database, tmp_path, terminate)
    assert sum(terminated) > 0
    assert clean.status == "ok", clean.log.read_text()[-3000:]
    assert _paths(_recorded_revisions(pg_database), portal) == REVISED
    # the clean crawl recorded exactly the revisions the broken one did not ...
    refetched = (clean.outcomes or {}).get("changed", 0)
    assert (broken.outcomes or {}).get("changed", 0) + refetched == len(REVISED)
    # ... each of which the broken crawl counted as an error, failing its run
    assert broken.errors >= refetched
    if broken.errors:
        assert broken.status in ("failed", "crashed"), broken
    else:
        assert broken.status == "ok"


def _mounted_tmpfs(path: Path, size: str) -> None:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def _remount(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def test_a_full_disk_during_a_recrawl_loses_no_revision(tmp_path):
    fs = tmp_path / "dbfs"
    _mounted_tmpfs(fs, "64m")
    try:
        db_url = f"sqlite:///{fs / 'pw.db'}"
        with Portal(bulk=PAGES) as portal:
            cfg = _config(portal, tmp_path / "policywatch.toml")
            first = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
            assert first.status == "ok" and first.outcomes == {"new": PAGES}, first.log.read_text()[-3000:]
            used = shutil.disk_usage(fs).used
            _remount(fs, f"{used // 1024 + 300}k")  # about 300 KB left
            portal.state = 2
            full = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
            recorded_while_full = _recorded_revisions(db_url)
            _remount(fs, "64m")  # space freed
            clean = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
        log = full.log.read_text()
        missed = {portal.url(p) for p in REVISED} - recorded_while_full
        assert missed and "database or disk is full" in log
        assert full.status == "failed", (full, log[-3000:])
        assert full.errors >= len(missed)
        assert "pages not recorded" in full.reason
        assert clean.status == "ok", clean.log.read_text()[-3000:]
        assert _paths(_recorded_revisions(db_url), portal) == REVISED
        assert (clean.outcomes or {}).get("changed", 0) == len(missed)
    finally:
        subprocess.run(["umount", "-l", str(fs)], check=False)


def test_a_crawl_killed_after_its_cache_committed_loses_no_revision(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"

    def kill_crawl(portal: Portal, cfg: Path, since: int) -> None:
        # most pages fetched, and (HTTPCACHE_SQLITE_COMMIT_EVERY=20) long since committed to the
        # cache; the writers are behind: SIGKILL, as the scheduler's time limit does
        _wait_for(lambda: _detail_hits(portal, since) >= 200, "200 pages fetched")
        pid = _crawl_pid(cfg)
        assert pid is not None
        for p in [pid, *_children(pid)]:
            os.kill(p, signal.SIGKILL)

    broken, clean, portal = _story(db_url, tmp_path, kill_crawl)
    assert broken.status == "crashed", broken  # its crawl_run row was never closed
    assert clean.status == "ok", clean.log.read_text()[-3000:]
    assert _paths(_recorded_revisions(db_url), portal) == REVISED
    # the clean crawl fetched in full (200) every revision the killed one had not recorded
    assert (clean.outcomes or {}).get("changed", 0) > 0


def test_a_crawl_that_cannot_close_its_run_row_is_reported_as_it_ended(tmp_path):
    """A full disk can refuse the one UPDATE that closes the run, after every page was handled: the
    crawl logs the run as it would have been recorded, and the runner reports that (failed, and
    why), not a bare "crashed". A trigger refuses the close the way SQLite does when full."""
    import sqlite3

    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(bulk=PAGES) as portal:
        cfg = _config(portal, tmp_path / "policywatch.toml")
        first = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
        assert first.status == "ok", first.log.read_text()[-3000:]
        conn = sqlite3.connect(tmp_path / "pw.db")
        conn.execute(
            "CREATE TRIGGER full BEFORE UPDATE OF status ON crawl_run WHEN NEW.status <> 'running'"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        conn.close()
        portal.state = 2
        refused = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
        conn = sqlite3.connect(tmp_path / "pw.db")
        left = conn.execute("SELECT status FROM crawl_run WHERE id = ?", (refused.run_id,)).fetchone()
        conn.execute("DROP TRIGGER full")
        conn.commit()
        conn.close()
        after = crawl_site(cfg, "bulk", db_url, settings=FAST, timeout=300)
    assert left == ("running",)  # nothing could close it, the runner's try included
    assert refused.status == "failed", (refused, refused.log.read_text()[-3000:])
    assert refused.reason.startswith(f"could not close crawl run {refused.run_id}: IntegrityError: ")
    assert refused.reason.endswith("database or disk is full")
    outcomes = {"changed": len(REVISED), "unchanged": PAGES - len(REVISED)}
    assert (refused.pages, refused.changed, refused.outcomes) == (PAGES, len(REVISED), outcomes)
    assert after.status == "ok", after.log.read_text()[-3000:]
