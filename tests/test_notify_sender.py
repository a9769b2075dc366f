"""Digests end to end: real pages recorded, a real aiosmtpd server on 127.0.0.1, both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from notifications.render import FilesConnection
from notifications.sender import send_due, status
from notifications.settings import DigestSettings, NotifySettings
from notifications.smtp import SmtpSettings
from policywatch.demo.story import DEMO_URLS, SEEDS, fixture, revised_zhaoqing
from policywatch.flow import record_page
from policywatch.notify_config import localized
from storage.models import Outbox, Subscription, utcnow
from tests.test_notify_support import free_port, parts, smtp_server

ROOT = Path(__file__).resolve().parent.parent
ZQ, YL = DEMO_URLS


def settings(port: int) -> NotifySettings:
    """The digest in Chinese, as `policywatch digest` sends it by default."""
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", sender="pw@example.org", timeout=5)
    return localized(NotifySettings(smtp=smtp, digest=DigestSettings(retry_seconds=60)))


def subscribe(db, name="office", cadence="immediate", **filters) -> None:
    with db.writer() as s:
        s.add(
            Subscription(
                name=name,
                email=f"{name}@example.org",
                addresses=[f"{name}@example.org"],
                filters=filters,
                cadence=cadence,
            )
        )


def story(db) -> None:
    """The demo story on real pages: two new documents, then the Zhaoqing revision (3 changes)."""
    record_page(db, url=ZQ, body=fixture(SEEDS[0]), site="zhaoqing")
    record_page(db, url=YL, body=fixture(SEEDS[1]), site="yulin")


def later(minutes: float = 1):
    return utcnow() + timedelta(minutes=minutes)


def test_digest_arrives_once_with_both_parts_and_the_changes(db):
    subscribe(db)
    story(db)
    with smtp_server() as (ctl, rec):
        r1 = send_due(db, settings(ctl.port), later())
        record_page(db, url=ZQ, body=revised_zhaoqing(), site="zhaoqing")
        r2 = send_due(db, settings(ctl.port), later())
        r3 = send_due(db, settings(ctl.port), later())  # nothing left
    assert [o.status for o in r1.outcomes + r2.outcomes] == ["sent", "sent"] and not r3.outcomes
    assert len(rec.messages) == 2
    first, second = rec.messages
    assert first.get_content_type() == "multipart/alternative"
    assert "2 份文件" in str(first["Subject"]) and "新增文件 2" in parts(first)["text/plain"]
    text, html = parts(second)["text/plain"], parts(second)["text/html"]
    assert "3 项变化" in text and "修改条款 1，新增条款 1，删除条款 1" in text
    assert "{+的，市财政给予一次性奖励100万元，并+}" in text
    assert "<ins" in html and "的，市财政给予一次性奖励100万元，并</ins>" in html and "<del" in html
    assert "3. → 3." not in text and "16. 完善公共配套服务" in text  # labels as printed
    assert "肇府函〔2019〕381号" in html and ZQ in html
    assert 'style="' in html and "<style" not in html  # CSS inlined
    assert str(second["Message-ID"]).startswith("<digest.") and second["Message-ID"] != first["Message-ID"]
    assert rec.envelopes[1] == ("pw@example.org", ["office@example.org"])
    with db.reader() as s:
        assert set(s.scalars(select(Outbox.status))) == {"sent"}


def test_451_then_accepted_is_delivered_exactly_once(db):
    subscribe(db)
    story(db)
    with smtp_server() as (ctl, rec):
        rec.replies = ["451 4.3.0 greylisted, try again later"]
        r1 = send_due(db, settings(ctl.port), later())
        assert [(o.status, o.reason) for o in r1.outcomes] == [
            ("retry", "451 4.3.0 greylisted, try again later")
        ]
        nxt = r1.outcomes[0].next_attempt_at
        assert later() + timedelta(seconds=29) < nxt < later() + timedelta(seconds=61)  # 60 s, equal jitter
        assert send_due(db, settings(ctl.port), later()).outcomes == []  # not yet due
        r2 = send_due(db, settings(ctl.port), nxt + timedelta(seconds=1))
        send_due(db, settings(ctl.port), nxt + timedelta(minutes=5))
    assert [o.status for o in r2.outcomes] == ["sent"] and r2.outcomes[0].message_id == r1.outcomes[
        0
    ].message_id
    assert rec.attempts == 2 and len(rec.messages) == 1
    assert rec.messages[0]["Message-ID"] == r1.outcomes[0].message_id


def test_server_down_then_up_delivers_at_the_next_run(db):
    subscribe(db)
    subscribe(db, "other")
    story(db)
    port = free_port()  # nothing listening
    down = send_due(db, settings(port), later())
    assert "cannot connect" in down.stopped and len(down.outcomes) == 1  # stopped after the first
    with smtp_server(port) as (_ctl, rec):
        up = send_due(db, settings(port), later(10))
    assert sorted(o.status for o in up.outcomes) == ["sent", "sent"]
    assert sorted(str(m["To"]) for m in rec.messages) == ["office@example.org", "other@example.org"]
    with db.reader() as s:
        assert set(s.scalars(select(Outbox.status))) == {"sent"}


def test_550_dead_letters_with_the_reason(db, capsys):
    subscribe(db)
    story(db)
    with smtp_server() as (ctl, rec):
        rec.replies = ["550 5.1.1 mailbox unavailable"]
        r = send_due(db, settings(ctl.port), later())
        assert send_due(db, settings(ctl.port), later(600)).outcomes == []  # never retried
    assert [(o.status, o.reason) for o in r.outcomes] == [("dead", "550 5.1.1 mailbox unavailable")]
    rows = status(db)
    assert [(x["status"], x["changes"], x["last_error"]) for x in rows] == [
        ("dead", 2, "550 5.1.1 mailbox unavailable")
    ]


def test_killed_between_send_and_mark_resends_with_the_same_message_id(db, tmp_path):
    subscribe(db)
    story(db)
    marker = tmp_path / "sent"
    with smtp_server() as (ctl, rec):
        child = textwrap.dedent(
            f"""
            import time
            from pathlib import Path
            from notifications.sender import send_due
            from storage.db import connect
            from tests.test_notify_sender import later, settings

            def pause(digest):
                Path({str(marker)!r}).write_text(digest.message_id)
                time.sleep(120)  # killed here: sent, not yet marked

            send_due(connect({db.url.render_as_string(hide_password=False)!r}), settings({ctl.port}), later(), after_send=pause)
            """
        )
        proc = subprocess.Popen(
            [sys.executable, "-c", child], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        try:
            deadline = time.monotonic() + 60
            while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert marker.exists(), "the child never sent"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        with db.reader() as s:
            assert set(s.scalars(select(Outbox.status))) == {"sending"}
        r = send_due(db, settings(ctl.port), later())
    assert r.recovered == 2 and [o.status for o in r.outcomes] == ["sent"]
    assert len(rec.messages) == 2
    assert rec.messages[0]["Message-ID"] == rec.messages[1]["Message-ID"] == marker.read_text()


def test_keyword_subscription_gets_only_matching_measures(db):
    subscribe(db, "all")
    subscribe(db, "kw", keywords=["概念验证"])
    subscribe(db, "cos", kinds=["cosmetic"])
    story(db)
    with db.writer() as s:  # the first digest (new documents) is not what this test is about
        s.execute(Outbox.__table__.update().values(status="sent"))
    html = revised_zhaoqing().decode("utf-8")
    html = html.replace("，", ",", 3)  # a cosmetic edit on top of the story's three
    record_page(db, url=ZQ, body=html.encode("utf-8"), site="zhaoqing")
    out = FilesConnection(Path("/nonexistent"))
    sent = []
    out.send = lambda msg: sent.append(msg) or {}
    send_due(db, settings(1), later(), connection=out)
    by_to = {str(m["To"]): parts(m)["text/plain"] for m in sent}
    assert set(by_to) == {"all@example.org", "kw@example.org"}  # no cosmetic digest for "cos" either
    assert "[新增条款] 5. 建设概念验证中心" in by_to["kw@example.org"]
    assert "修改条款" not in by_to["kw@example.org"] and "1 项变化" in by_to["kw@example.org"]
    assert "格式调整 " not in by_to["all@example.org"] and "修改条款 1" in by_to["all@example.org"]


def test_daily_cadence_waits_for_its_slot(db):
    from notifications.cadence import Cadence

    subscribe(db, cadence="daily 08:00")
    story(db)
    queued = utcnow()
    slot = Cadence.parse("daily 08:00").last_slot(
        queued + timedelta(days=1)
    )  # the first 08:00 (Beijing) after
    out = FilesConnection(Path("/nonexistent"))
    out.send = lambda msg: {}
    assert send_due(db, settings(1), slot - timedelta(minutes=1), connection=out).outcomes == []
    assert [
        o.status for o in send_due(db, settings(1), slot + timedelta(minutes=1), connection=out).outcomes
    ] == ["sent"]
    assert (slot.hour, slot.minute) == (0, 0)  # 08:00 Asia/Shanghai is midnight UTC
