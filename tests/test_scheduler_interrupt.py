"""Every crawl run a daemon (or `policywatch crawl`) started ends recorded, whatever kills what.

Real processes and real signals: `policywatch run` and `policywatch crawl` as subprocesses, the
demo portal over HTTP, SIGTERM and SIGKILL from the test. A run the scheduler stopped is
`interrupted` (not failed: no alert, no failure streak); runs a dead daemon left open are
settled by the next one from their process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from policywatch.demo.portal import Portal
from tests.test_notify_support import smtp_server
from tests.test_scheduler_support import ROOT, DaemonProcess, daemon_config, runs, wait_runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def _bulk_site(portal: Portal, delay: float = 0.2) -> str:
    # 100 notices at `delay` s each: a crawl that is still running when the signal comes
    return (
        '[[sites]]\nname = "bulk"\n'
        f'start_urls = ["{portal.url("/bulk/gkmlpt/index.html")}"]\n'
        'link_selector = "table.gkml-list a::attr(href)"\n'
        'detail_pattern = "/gkmlpt/content/post_\\\\d+\\\\.html$"\n'
        'next_page = { static = "index_{n}.html", max_pages = 20 }\n'
        f"settings = {{ DOWNLOAD_DELAY = {delay}, CONCURRENT_REQUESTS_PER_DOMAIN = 1 }}\n"
    )


def _config(tmp_path, portal, db_url, extra: str = ""):
    cfg = daemon_config(
        tmp_path / "policywatch.toml", portal, db_url, sites=_bulk_site(portal),
        jobs="bulk = { interval_seconds = 2 }", extra=extra,
    )  # fmt: skip
    # the [crawl] settings go on the command line and would override the site's pace
    text = cfg.read_text(encoding="utf-8")
    assert "DOWNLOAD_DELAY = 0, " in text  # else the crawls run at full speed and end before any signal
    # a loaded machine may take more than the support's 5 s to close a crawl: the stop must be the
    # crawl's own (the runner's kill after the grace period records no pages)
    assert "stop_grace_seconds = 5\n" in text
    text = text.replace("DOWNLOAD_DELAY = 0, ", "").replace("stop_grace_seconds = 5\n", "stop_grace_seconds = 30\n")
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _first_crawl_running(db_url: str, timeout: float = 60):
    """The open row of the first crawl, once it has recorded some pages (it is mid-crawl)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        got = runs(db_url, "bulk")
        if got and got[0].status == "running" and _versions(db_url) >= 3:
            return got[0]
        time.sleep(0.2)
    raise AssertionError(f"no crawl under way after {timeout}s: {[(r.slot, r.status) for r in runs(db_url)]}")


def _versions(db_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import connect
    from storage.models import Version

    db = connect(db_url)
    try:
        with db.reader() as s:
            return s.scalar(select(func.count()).select_from(Version)) or 0
    except Exception:  # no schema yet
        return 0
    finally:
        db.dispose()


def _crawl_pids(marker: str) -> list[int]:
    # the local runner's crawl process: `python -m crawler.launch crawl site ...` (scrapy crawl)
    out = subprocess.run(["pgrep", "-f", f"crawler.launch crawl site .*{marker}"], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _wait_gone(pids: list[int], timeout: float = 30) -> None:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not [p for p in pids if os.path.exists(f"/proc/{p}") and _state(p) not in ("Z", "X")]:
            return
        time.sleep(0.2)
    raise AssertionError(f"crawl processes {pids} still alive after {timeout}s")


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"


def _status(cfg, db_url: str) -> tuple[int, dict]:
    p = subprocess.run(
        [sys.executable, "-m", "policywatch.cli", "status", "--config", str(cfg), "--db", db_url, "--json"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    return p.returncode, json.loads(p.stdout)


def test_sigterm_mid_crawl_records_interrupted_and_no_alert(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(bulk=100) as portal, smtp_server() as (controller, got):
        extra = (
            '[operator]\nemail = "ops@example.org"\nfailures_before_alert = 1\n\n'
            f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\nfrom = "pw@example.org"\n'
        )
        cfg = _config(tmp_path, portal, db_url, extra)
        with DaemonProcess(cfg, tmp_path / "d.log") as d:
            _first_crawl_running(db_url)
            assert d.stop() == 0
        log = d.text()
        assert "Traceback" not in log
        code, report = _status(cfg, db_url)
    (run,) = runs(db_url, "bulk")  # paused first: no crawl started after the signal
    assert run.status == "interrupted" and run.finished_at is not None, (run.status, run.stats)
    assert run.pages >= 3  # what it recorded before the stop is kept and counted
    assert run.stats["finish_reason"].startswith("interrupted: the scheduler stopped")
    assert got.messages == []  # failures_before_alert = 1, yet an interrupted run alerts nobody
    site = report["sites"][0]
    assert site["running_since"] is None and site["consecutive_failures"] == 0
    assert site["last_run"]["status"] == "interrupted"
    assert report["scheduler"] == "not running" and code == 0


def test_sigkill_of_the_daemon_mid_crawl_leaves_no_run_open(tmp_path):
    """The crawl gets its parent-death SIGTERM once per dying daemon thread; one is acted on."""
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(bulk=100) as portal:
        cfg = _config(tmp_path, portal, db_url)
        for attempt in range(3):
            with DaemonProcess(cfg, tmp_path / f"d{attempt}.log") as d:
                d.wait_for("leader: lock acquired")
                run = _open_run(db_url, attempt)
                pids = _crawl_pids(f"slot={run.slot}")
                assert pids, run.slot
                d.kill()  # SIGKILL: no handler runs in the daemon
            _wait_gone(pids)
            after = next(r for r in runs(db_url, "bulk") if r.id == run.id)
            assert after.status == "interrupted" and after.finished_at is not None, (attempt, after.stats)
            assert after.stats.get("finish_reason") == "shutdown"  # closed by the crawl itself


def _open_run(db_url: str, n_before: int):
    """The row of the next crawl, a couple of seconds into it (some pages fetched)."""
    start = time.monotonic()
    while time.monotonic() - start < 60:
        got = runs(db_url, "bulk")
        if len(got) > n_before and got[-1].status == "running":
            time.sleep(2)  # pacing only: 0.2 s a page, the crawl is mid-way and far from done
            return got[-1]
        time.sleep(0.2)
    raise AssertionError(f"no new crawl: {[(r.slot, r.status) for r in runs(db_url, 'bulk')]}")


def test_a_run_whose_daemon_and_crawl_were_both_killed_is_settled_at_the_next_start(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(bulk=100) as portal:
        cfg = _config(tmp_path, portal, db_url)
        with DaemonProcess(cfg, tmp_path / "a.log") as a:
            run = _first_crawl_running(db_url)
            pids = _crawl_pids(f"slot={run.slot}")
            for pid in pids:  # the whole process group at once, as the OOM killer or `kill -9 0` would
                os.kill(pid, signal.SIGKILL)
            a.kill()
        _wait_gone(pids)
        assert [r.status for r in runs(db_url, "bulk")] == ["running"]  # nobody could close it
        _, report = _status(cfg, db_url)
        assert report["sites"][0]["running_since"] is not None  # what status showed for ever before
        with DaemonProcess(cfg, tmp_path / "b.log") as b:
            b.wait_for("leader: lock acquired")
            b.wait_for("job crawl:bulk")  # settling happens before the scheduler starts
            assert b.stop() == 0
        _code, report = _status(cfg, db_url)
    settled = runs(db_url, "bulk")[0]
    assert settled.status == "interrupted" and settled.finished_at is not None
    assert f"pid {pids[0]}" in settled.stats["finish_reason"] or "no process" in settled.stats["finish_reason"]
    assert f"(run {settled.id}) left open: interrupted" in b.text()
    assert report["sites"][0]["running_since"] is None and report["sites"][0]["consecutive_failures"] == 0


def test_kill_9_of_policywatch_crawl_leaves_no_run_open(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(bulk=100) as portal:
        cfg = _config(tmp_path, portal, db_url)
        proc = subprocess.Popen(
            [sys.executable, "-m", "policywatch.cli", "crawl", "bulk", "--config", str(cfg), "--db", db_url],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        try:
            run = _first_crawl_running(db_url)
            pids = _crawl_pids(f"slot={run.slot}")
        finally:
            proc.kill()
            proc.wait()
        _wait_gone(pids)
    after = runs(db_url, "bulk")[0]
    assert after.status == "interrupted" and after.finished_at is not None, after.stats
    assert after.pages >= 3


def test_the_time_limit_is_still_failed(tmp_path):
    """Interrupted is only for a stop from outside: a crawl killed at its own limit failed."""
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(bulk=100) as portal:
        cfg = _config(tmp_path, portal, db_url)
        cfg.write_text(cfg.read_text().replace("timeout_seconds = 60", "timeout_seconds = 6"), encoding="utf-8")
        with DaemonProcess(cfg, tmp_path / "d.log") as d:
            run = wait_runs(db_url, 1, site="bulk", timeout=60)[0]
            assert d.stop() == 0
    assert run.status == "failed" and run.stats["finish_reason"] == "killed: time limit of 6s"
