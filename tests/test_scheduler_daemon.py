"""`policywatch run` on the real clock: on time, across a restart, one leader, hung crawls killed."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from tests.portal import Portal
from tests.test_scheduler_support import DaemonProcess, daemon_config, runs, slot_time, wait_runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_jobs_fire_on_time_and_a_restart_keeps_the_schedule_and_coalesces_missed_runs(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal() as portal:
        cfg = daemon_config(tmp_path / "policywatch.toml", portal, db_url)
        with DaemonProcess(cfg, tmp_path / "a.log") as a:
            a.wait_for("leader: lock acquired")
            first = wait_runs(db_url, 2, site="zhaoqing", timeout=30)
            assert a.stop() == 0
        assert "Traceback" not in a.text()
        # on time: one slot per 3 s, each crawl's row written before its next slot comes round.
        # The lag includes starting `python -m scrapy` (about 1 s, more on a loaded 2-core box),
        # so the bound is the period, not the scheduler's own sub-second firing.
        slots = [slot_time(r.slot) for r in first]
        assert slots[1] - slots[0] == timedelta(seconds=3)
        for run in first:
            lag = run.started_at - slot_time(run.slot).replace(tzinfo=None)
            assert timedelta(0) <= lag < timedelta(seconds=3), (run.slot, run.started_at)
        assert [r.status for r in first][:2] == ["ok", "ok"]
        before = runs(db_url, "zhaoqing")
        down_from = time.time()
        time.sleep(8)  # two or three fire times pass with no daemon
        with DaemonProcess(cfg, tmp_path / "b.log") as b:
            b.wait_for("leader: lock acquired")
            after = wait_runs(db_url, len(before) + 2, site="zhaoqing", timeout=30)
            assert b.stop() == 0
        assert "job crawl:zhaoqing added" not in b.text() and "replaced" not in b.text()  # kept from the store
    new = after[len(before):]
    missed = [r for r in new if slot_time(r.slot).timestamp() < down_from + 8]
    assert len(missed) == 1, [r.slot for r in new]  # several missed fire times, one catch-up run
    # the catch-up ran at once, for the latest missed slot, and the grid did not move
    grid = slot_time(first[0].slot)
    for run in new:
        assert (slot_time(run.slot) - grid).total_seconds() % 3 == 0, run.slot
    assert missed[0].started_at - slot_time(missed[0].slot).replace(tzinfo=None) < timedelta(seconds=3 + 3)


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
