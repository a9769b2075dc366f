"""`policywatch digest --status` exits 1 while a digest is dead-lettered (an aiosmtpd server refuses it)."""

from __future__ import annotations

import json

from policywatch.cli import main
from policywatch.demo.story import DEMO_URLS, SEEDS, fixture
from policywatch.flow import record_page
from tests.test_notify_support import smtp_server


def config(tmp_path, port: int):
    path = tmp_path / "policywatch.toml"
    path.write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom = "pw@example.org"\n'
        '[[subscriptions]]\nname = "office"\nemail = "office@example.org"\ncadence = "immediate"\n',
        encoding="utf-8",
    )
    return str(path)


def test_status_exit_1_with_a_dead_letter_0_when_delivered(db, db_url, tmp_path, capsys):
    with smtp_server() as (ctl, rec):
        cfg = config(tmp_path, ctl.port)
        args = ["--config", cfg, "--db", db_url]
        assert main(["subscribers", "list", *args]) == 0  # the office is in the table before changes come
        record_page(db, url=DEMO_URLS[0], body=fixture(SEEDS[0]), site="zhaoqing")
        rec.replies = ["552 5.3.4 message too big"]
        assert main(["digest", *args]) == 1
        capsys.readouterr()

        assert main(["digest", "--status", *args]) == 1
        out, err = capsys.readouterr()
        assert "dead" in out
        assert (
            err.strip() == "policywatch: digest: 1 dead-lettered digests; office: 552 5.3.4 message too big"
        )
        assert main(["digest", "--status", "--json", *args]) == 1
        assert [r["status"] for r in json.loads(capsys.readouterr().out)] == ["dead"]

        # a second office whose digest is delivered: its own status is clean
        with db.writer() as s:
            from storage.models import Subscription

            s.add(Subscription(name="other", email="o@example.org", addresses=["o@example.org"], filters={}))
        record_page(db, url=DEMO_URLS[1], body=fixture(SEEDS[1]), site="yulin")
        assert main(["digest", "--subscriber", "other", *args]) == 0
        assert len(rec.messages) == 1
        capsys.readouterr()
        assert main(["digest", "--status", "--subscriber", "other", *args]) == 0
        assert "sent" in capsys.readouterr().out
