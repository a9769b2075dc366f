"""Config that would fail later is refused at start-up, in one line naming the file, table and key
(exit 2, never a traceback); a missing SMTP password waits until a message must be sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from policywatch.cli import main
from storage.db import connect
from storage.models import Subscription

EXAMPLE = Path(__file__).resolve().parent.parent / "policywatch.example.toml"
SITE = (
    '[[sites]]\nname = "zq"\nstart_urls = ["http://127.0.0.1:9/index.html"]\n'
    'detail_pattern = "/t\\\\d+\\\\.html$"\nschedule = { interval_minutes = 60 }\n'
)
SUB = '[[subscriptions]]\nname = "o"\nemail = "o@example.org"\n'


def _write(tmp_path, text: str) -> Path:
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _one_line_exit_2(capsys, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize(
    ("site", "extra", "message"),
    [
        # F9: periods no date can end
        (SITE.replace("interval_minutes = 60", "interval_minutes = 99999999999999"), "",
         "site 'zq': schedule.interval_minutes: 99999999999999: too long a period"),
        (SITE, "[scheduler]\njobs = { zq = { interval_seconds = 1e300 } }\n",
         "[scheduler] jobs.zq.interval_seconds: 1e+300: too long a period"),
        (SITE, "[scheduler]\njobs = { zq = { interval_minutes = 1e20 } }\n",
         "[scheduler] jobs.zq.interval_minutes: 1e+20: too long a period"),
        # F13: a cron with no future fire time, wherever a cron is written
        (SITE.replace("interval_minutes = 60", 'cron = "0 0 30 2 *"'), "",
         "site 'zq': schedule.cron: '0 0 30 2 *' never fires"),
        (SITE, '[scheduler]\njobs = { zq = { cron = "0 0 31 4 *" } }\n',
         "[scheduler] jobs.zq.cron: '0 0 31 4 *' never fires"),
        (SITE, '[scheduler]\ndigests = { due = "0 0 30 2 *" }\n', "[scheduler] digests.due: '0 0 30 2 *' never fires"),
        # F13: Scrapy settings of a type Scrapy cannot read
        (SITE + 'settings = { DOWNLOAD_DELAY = "fast" }\n', "",
         "site 'zq': settings: DOWNLOAD_DELAY = 'fast': must be a number"),
        (SITE, '[crawl]\nsettings = { AUTOTHROTTLE_ENABLED = "sometimes" }\n',
         "[crawl] settings: AUTOTHROTTLE_ENABLED = 'sometimes': must be true or false"),
        (SITE, "[crawl]\nsettings = { CONCURRENT_REQUESTS = [4] }\n",
         "[crawl] settings: CONCURRENT_REQUESTS = [4]: must be a number"),
        (SITE, '[crawl]\nsettings = { USER_AGENT = 7 }\n', "[crawl] settings: USER_AGENT = 7: must be a string"),
        # item 9: subscriptions naming sites that do not exist
        (SITE, SUB + 'sites = ["zq", "nosuch"]\n', "subscription 'o': sites: no site named 'nosuch' (sites: zq)"),
        # F10: a broken [smtp] or subscription fails start-up, not every digest job
        (SITE, SUB + '[smtp]\nhost = "127.0.0.1"\npassword = "hunter2"\n',
         "smtp: password: never put the password in the config file"),
        (SITE, '[[subscriptions]]\nname = "o"\nemail = "not-an-address"\n',
         "subscription 'o': email: 'not-an-address' is not an email address"),
        (SITE, SUB + 'cadence = "hourly"\n', "subscription 'o': cadence: 'hourly' is not"),
    ],
)
def test_run_check_refuses_config_that_would_fail_later(tmp_path, capsys, site, extra, message):
    cfg = _write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path / "pw.db"}"\n\n{site}\n{extra}')
    err = _one_line_exit_2(capsys, ["run", "--check", "--config", str(cfg)])
    assert err.startswith(f"policywatch: {cfg}: ") and message in err, err


def test_unknown_database_key_is_refused_by_every_command(tmp_path, capsys):
    cfg = _write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path / "pw.db"}"\npool_size = 5\n\n{SITE}')
    for argv in (["run", "--check"], ["status"], ["crawl"], ["subscribers", "list"]):
        err = _one_line_exit_2(capsys, [*argv, "--config", str(cfg)])
        assert f"{cfg}: [database] pool_size: unknown key (known: url)" in err, (argv, err)


def test_valid_scrapy_settings_still_pass(tmp_path, capsys):
    site = SITE + 'settings = { DOWNLOAD_DELAY = 0.5, AUTOTHROTTLE_ENABLED = false, LOG_LEVEL = "INFO" }\n'
    extra = '[crawl]\nsettings = { RETRY_TIMES = 1, EXTENSIONS = { "scrapy.extensions.telnet.TelnetConsole" = 0 } }\n'
    cfg = _write(tmp_path, f'[database]\nurl = "sqlite:///{tmp_path / "pw.db"}"\n\n{site}\n{extra}')
    assert main(["run", "--check", "--config", str(cfg)]) == 0, capsys.readouterr().err


def test_example_config_needs_no_password_until_a_message_is_sent(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("POLICYWATCH_SMTP_PASSWORD", raising=False)
    db = f"sqlite:///{tmp_path / 'pw.db'}"
    base = ["--config", str(EXAMPLE), "--db", db]
    assert main(["run", "--check", *base]) == 0
    err = capsys.readouterr().err
    assert f"警告：{EXAMPLE}：smtp 设置了 username，登录需要 $POLICYWATCH_SMTP_PASSWORD 中的密码" in err
    assert main(["digest", "--status", *base]) == 0
    assert main(["subscribers", "list", *base]) == 0
    out = capsys.readouterr().out
    assert "kjj-office" in out and "fgw-weekly" in out
    # sending is where the password is needed: one line, exit 2, nothing marked
    err = _one_line_exit_2(capsys, ["digest", *base])
    assert "smtp: username: a login needs the password in $POLICYWATCH_SMTP_PASSWORD; nothing sent" in err


def test_serve_refuses_zero_threads(tmp_path, capsys):
    from storage import migrate

    db = connect(str(tmp_path / "pw.db"))
    migrate.upgrade(db)
    db.dispose()
    err = _one_line_exit_2(capsys, ["serve", "--db", str(tmp_path / "pw.db"), "--threads", "0"])
    assert "--threads 0: must be 1 to 256" in err


def test_db_upgrade_syncs_the_config_subscriptions(tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    cfg = _write(tmp_path, f'[database]\nurl = "{db_url}"\n\n{SITE}\n{SUB}sites = ["zq"]\n')
    assert main(["--lang", "en", "db", "upgrade", "--config", str(cfg)]) == 0
    assert "subscriptions from" in capsys.readouterr().out
    db = connect(db_url)
    try:
        with db.reader() as s:
            rows = [(r.name, r.origin, r.active) for r in s.scalars(select(Subscription))]
    finally:
        db.dispose()
    assert rows == [("o", "config", True)]


def test_run_check_refuses_a_config_subscription_named_like_a_cli_one(tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    cfg = _write(tmp_path, f'[database]\nurl = "{db_url}"\n\n{SITE}\n')
    assert main(["subscribers", "add", "o", "--email", "x@example.org", "--config", str(cfg)]) == 0
    cfg.write_text(cfg.read_text() + SUB, encoding="utf-8")
    err = _one_line_exit_2(capsys, ["run", "--check", "--config", str(cfg)])
    assert "subscription 'o': name: already added with `policywatch subscribers add`" in err


SELECTORS = [
    "a::attr(href)", 'a::attr("href")', "table.gkml-list a::text", "a, b::text", "ul li a", "*",
    '#content a[href$=".pdf"]', "a[href*=gkmlpt]", "a:nth-child(2n+1)", "div:nth-child(odd)", "a:not(.x)",
    'a:contains("x")', "a:has(b)", "p:first-of-type", "a:lang(zh)", "a:hover",
    "div >", "a,", "", "  ", "a:bogus", "a::foo", "a::first-line", "a::text::text",
    "a::attr()", "a::attr(1)", "a::attr(href, x)",
]  # fmt: skip


@pytest.mark.parametrize("selector", SELECTORS)
def test_selector_check_agrees_with_scrapys_selectors(selector):
    """The load-time check refuses exactly what parsel (Scrapy's selectors) would refuse at crawl time."""
    from parsel import Selector

    from policywatch.config import _check_selector
    from policywatch.errors import UsageError

    try:
        Selector(text="<html></html>").css(selector)
        parsel_accepts = True
    except Exception:
        parsel_accepts = False
    try:
        _check_selector(selector, UsageError("bad selector"))
        we_accept = True
    except UsageError:
        we_accept = False
    assert we_accept == parsel_accepts
