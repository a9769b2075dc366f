"""`policywatch run` on the real clock: on time, across a restart, one leader, hung crawls killed."""

from __future__ import annotations

import itertools
import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from policywatch.demo.portal import Portal
from tests.test_scheduler_support import DaemonProcess, daemon_config, runs, slot_time, wait_runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def test_jobs_fire_on_time_and_a_restart_keeps_the_schedule_and_coalesces_missed_runs(tmp_path):
    """Measured from the daemon's own log (when it fired each slot, when each crawl ended), so a
    loaded machine that starts `python -m scrapy` slowly cannot break it: no wall-clock bound."""
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    step = timedelta(seconds=3)
    with Portal() as portal:
        cfg = daemon_config(tmp_path / "policywatch.toml", portal, db_url)
        with DaemonProcess(cfg, tmp_path / "a.log") as a:
            a.wait_for("leader: lock acquired")
            first = wait_runs(db_url, 2, site="zhaoqing", timeout=150)  # patience, not a bound
            assert a.stop() == 0
        assert "Traceback" not in a.text()
        before = runs(db_url, "zhaoqing")
        time.sleep(8)  # two or three fire times pass with no daemon (pacing, not a bound)
        with DaemonProcess(cfg, tmp_path / "b.log") as b:
            b.wait_for("leader: lock acquired")
            after = wait_runs(db_url, len(before) + 2, site="zhaoqing", timeout=150)
            assert b.stop() == 0
        assert "job crawl:zhaoqing added" not in b.text() and "replaced" not in b.text()  # kept from the store
    assert [r.status for r in first][:2] == ["ok", "ok"]
    grid = slot_time(first[0].slot)
    for run in after:  # one grid, across the restart
        assert (slot_time(run.slot) - grid) % step == timedelta(0), run.slot
    for log, rows in ((a.text(), before), (b.text(), after[len(before):])):
        starts, ends = _starts(log), _ends(log)
        assert [r.slot for r in rows] == list(starts)[: len(rows)], (starts, [r.slot for r in rows])
        for run in rows:
            # fired for its own slot: the fire time the daemon logged is the slot
            fired, slot = starts[run.slot][0], slot_time(run.slot)
            assert slot - timedelta(milliseconds=100) <= fired < slot + timedelta(milliseconds=1100), (fired, slot)
        _no_slot_skipped_but_while_busy(list(starts), ends, step)
    # several missed fire times, one catch-up run: for the latest slot missed while no daemon ran,
    # fired before B's scheduler resumed, and no run for the slots missed before it
    new = after[len(before):]
    starts_b = _starts(b.text())
    catch_up = slot_time(new[0].slot)
    assert catch_up - max(slot_time(r.slot) for r in before) >= 2 * step, starts_b
    resumed = _logged_at(next(x for x in b.text().splitlines() if "job crawl:zhaoqing (" in x))
    assert starts_b[new[0].slot][0] < resumed, (starts_b, resumed)  # a slot missed before B ran


def _no_slot_skipped_but_while_busy(slots: list[str], ends: dict[str, datetime], step: timedelta) -> None:
    """Between two runs every grid slot was fired, unless the crawl before was still running
    then (max_instances = 1): its end, as logged, comes after the slot passed over."""
    for prev, nxt in itertools.pairwise(slots):
        skipped = slot_time(prev) + step
        if skipped < slot_time(nxt):
            assert prev in ends and ends[prev] > skipped, (prev, nxt, ends.get(prev))


def _logged_at(line: str) -> datetime:
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").astimezone(UTC)  # logging writes local time


def _starts(log: str) -> dict[str, tuple[datetime, float]]:
    """slot -> (its real fire time, how late the daemon started it), from the daemon's log.

    The slot is the fire time cut to the second; the fire time is when the start was logged,
    less the lateness logged with it."""
    out = {}
    for line in log.splitlines():
        m = re.search(r"crawl zhaoqing slot (\S+): starting (\d+\.\d+)s after its slot", line)
        if m:
            late = float(m[2])
            out[m[1]] = (_logged_at(line) - timedelta(seconds=late), late)
    return out


def _ends(log: str) -> dict[str, datetime]:
    """slot -> when the daemon logged the end of its crawl."""
    out = {}
    for line in log.splitlines():
        m = re.search(r"crawl zhaoqing slot (\S+): (?!starting)\w+, \d+ pages", line)
        if m:
            out[m[1]] = _logged_at(line)
    return out


def test_a_hung_crawl_is_killed_at_its_limit_and_sigterm_stops_cleanly(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal(slow_seconds=60) as portal:
        site = (
            '[[sites]]\nname = "slow"\n'
            f'start_urls = ["{portal.url("/traps/slow.html")}"]\ndetail_pattern = "^$"\n'
            'settings = { DOWNLOAD_TIMEOUT = 50 }\n'
        )
        cfg = daemon_config(
            tmp_path / "policywatch.toml", portal, db_url, sites=site, jobs="slow = { interval_seconds = 2 }"
        )
        cfg.write_text(cfg.read_text().replace("timeout_seconds = 60", "timeout_seconds = 3"))
        with DaemonProcess(cfg, tmp_path / "d.log") as d:
            killed = wait_runs(db_url, 1, site="slow", timeout=30)[0]
            # the next crawl is running now (max_instances kept it from overlapping the first)
            wait_runs(db_url, 2, site="slow", timeout=10, finished=False)
            t0 = time.monotonic()
            assert d.stop() == 0
            stop_seconds = time.monotonic() - t0
        log = d.text()
    assert killed.status == "failed" and killed.stats["finish_reason"] == "killed: time limit of 3s"
    # the limit runs from the launch (the row opens ~0.7 s later, once Scrapy is up)
    took = (killed.finished_at - slot_time(killed.slot).replace(tzinfo=None)).total_seconds()
    assert 3 <= took < 6, took
    assert stop_seconds < 5 + 4
    stopped = runs(db_url, "slow")
    assert all(r.status == "failed" and r.finished_at is not None for r in stopped)  # nothing left running
    assert "Traceback" not in log and "stopped" in log
