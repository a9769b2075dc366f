"""`policywatch run` alone mails the offices of policywatch.toml: its [[subscriptions]] reach the
database before the first crawl records a change, and again when the file is edited.

Nothing else runs: no `digest`, no `subscribers` command (either would sync the table itself).
Real parts: the demo portal over HTTP, the daemon as a subprocess, an aiosmtpd server.
"""

from __future__ import annotations

import time

import pytest

from policywatch.demo.portal import Portal
from tests.test_notify_support import smtp_server
from tests.test_scheduler_support import DaemonProcess, daemon_config, wait_runs

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _subscription(name: str, email: str) -> str:
    return f'[[subscriptions]]\nname = "{name}"\nemail = "{email}"\ncadence = "immediate"\nsites = ["zhaoqing"]\n\n'


def _wait_mail(got, address: str, timeout: float) -> list:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        mine = [m for m, (_, rcpt) in zip(got.messages, got.envelopes, strict=True) if address in rcpt]
        if mine:
            return mine
        time.sleep(0.5)
    raise AssertionError(f"no digest for {address} in {timeout}s: {[e for e in got.envelopes]}")


def test_run_alone_delivers_to_config_subscriptions_and_picks_up_edits(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal() as portal, smtp_server() as (controller, got):
        smtp = f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\nfrom = "pw@example.org"\n\n'
        cfg = daemon_config(
            tmp_path / "policywatch.toml", portal, db_url,
            scheduler='digests = { due = "* * * * *" }',
            extra=smtp + _subscription("office", "office@example.org"),
        )  # fmt: skip
        with DaemonProcess(cfg, tmp_path / "d.log") as d:
            d.wait_for("leader: lock acquired")
            first = wait_runs(db_url, 1, site="zhaoqing", timeout=60)[0]
            assert first.status == "ok" and first.changed > 0  # 文件 found: document_added events
            office = _wait_mail(got, "office@example.org", timeout=90)  # the next minute's digest job
            # an office added while the daemon runs is synced before the next crawl records
            cfg.write_text(cfg.read_text() + _subscription("late", "late@example.org"), encoding="utf-8")
            d.wait_for("config reloaded", timeout=30)
            portal.state = 2  # the documents change
            late = _wait_mail(got, "late@example.org", timeout=150)
            assert d.stop() == 0
        log = d.text()
    assert "Traceback" not in log
    assert "subscriptions added from" in log and "office" in log and "late" in log
    assert office[0]["Subject"].startswith("[policywatch]") and office[0]["To"] == "office@example.org"
    # changes recorded after the edit were queued for the office the edit added
    assert late[0]["Subject"].startswith("[policywatch]") and late[0]["To"] == "late@example.org"
