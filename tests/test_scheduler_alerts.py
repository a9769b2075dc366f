"""Operator alerts over real SMTP (aiosmtpd on 127.0.0.1): N failures in a row, a listing gone empty."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from policywatch.scheduler.alerts import evaluate
from policywatch.scheduler.settings import OperatorSettings
from tests.test_notify_support import smtp_server
from tests.test_scheduler_support import DaemonProcess, daemon_config, wait_runs


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_site_failing_n_runs_in_a_row_mails_the_operator_once(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    dead = '[[sites]]\nname = "dead"\nstart_urls = ["http://127.0.0.1:9/index.html"]\ndetail_pattern = "^$"\n'
    with smtp_server() as (controller, got):
        cfg = daemon_config(
            tmp_path / "policywatch.toml",
            None,
            db_url,
            sites=dead,
            jobs="dead = { interval_seconds = 2 }",
            extra=(
                '[operator]\nemail = "ops@example.org"\nfailures_before_alert = 2\n\n'
                f'[smtp]\nhost = "127.0.0.1"\nport = {controller.port}\nsecurity = "none"\nfrom = "pw@example.org"\n'
            ),
        )
        cfg.write_text(cfg.read_text().replace("RETRY_BACKOFF_BASE", "RETRY_TIMES = 0, RETRY_BACKOFF_BASE"))
        with DaemonProcess(cfg, tmp_path / "d.log") as d:
            wait_runs(db_url, 3, site="dead", timeout=120)  # patience on a loaded machine
            time.sleep(0.5)
            assert d.stop() == 0
    assert len(got.messages) == 1, d.text()[-2000:]  # at the 2nd failure, not again at the 3rd
    msg, (_, rcpt_tos) = got.messages[0], got.envelopes[0]
    assert rcpt_tos == ["ops@example.org"] and msg["From"] == "pw@example.org"
    assert msg["Subject"] == "[policywatch] dead：连续 2 次爬取失败"  # the config's [ui] language: Chinese by default
    assert msg["X-Policywatch-Alert"] == "failing; site=dead"
    assert "alert sent to ops@example.org" in d.text()


def _run(status: str, listed: int | None, pages: int = 5, minutes: int = 0):
    stats = {"finish_reason": "finished"} | ({"policywatch/listed": listed} if listed is not None else {})
    return SimpleNamespace(
        status=status, stats=stats, pages=pages, errors=0, slot=f"s{minutes}",
        started_at=datetime(2026, 11, 23, 6) + timedelta(minutes=minutes),
    )


def test_a_listing_that_goes_empty_is_a_template_change_alert():
    op = OperatorSettings(emails=("ops@example.org",))
    # newest first: the template changed in the latest run (known pages still revisited)
    alerts = evaluate("zq", [_run("ok", 0, minutes=2), _run("ok", 12, minutes=1)], op, "en")
    assert [a.kind for a in alerts] == ["empty"]
    assert "found no document links" in alerts[0].body and "previous crawl found 12" in alerts[0].body
    (zh,) = evaluate("zq", [_run("ok", 0, minutes=2), _run("ok", 12, minutes=1)], op)
    assert zh.subject == "[policywatch] zq：列表页未找到任何文件" and "上一次爬取找到 12 个" in zh.body
    assert evaluate("zq", [_run("ok", 0, minutes=3), _run("ok", 0, minutes=2), _run("ok", 12)], op) == []  # once
    assert evaluate("zq", [_run("ok", 12, minutes=1), _run("ok", 12)], op) == []
    assert evaluate("zq", [_run("ok", 0)], op) == []  # never found any: nothing to compare with
    off = OperatorSettings(emails=("ops@example.org",), alert_on_empty=False)
    assert evaluate("zq", [_run("ok", 0, minutes=2), _run("ok", 12, minutes=1)], off) == []


def test_the_failing_alert_says_why_each_run_failed():
    """A run that fetched its list pages but failed (a listing matching nothing, withdrawals
    refused) has its one-line problem in the alert, not Scrapy's "finished"."""
    op = OperatorSettings(emails=("ops@example.org",), failures_before_alert=2)
    never = _run("failed", 0, pages=0, minutes=2)
    never.stats["problems"] = ["0 of 57 links on 3 list pages matched detail_pattern"]
    refused = _run("failed", 20, minutes=1)
    refused.stats["problems"] = ["site 'zq': 20 of 20 active documents would be withdrawn at once (20 answer 404/410, 0 gone"]
    (alert,) = evaluate("zq", [never, refused], op, "en")
    assert alert.kind == "failing"
    assert "slot s2: 0 of 57 links on 3 list pages matched detail_pattern, 0 errors" in alert.body
    assert "slot s1: site 'zq': 20 of 20 active documents would be withdrawn at once" in alert.body
    assert "finished" not in alert.body
    (zh,) = evaluate("zq", [never, refused], op)
    assert zh.subject == "[policywatch] zq：连续 2 次爬取失败"
    assert "时段 s2：0 of 57 links on 3 list pages matched detail_pattern，0 个错误" in zh.body  # the reason as recorded
    assert "See `policywatch status`" not in zh.body and "请查看 `policywatch status` 和爬取日志。" in zh.body
