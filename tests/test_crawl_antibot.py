"""Anti-bot answers over real HTTP: a plain crawl of a gated site fails and says which gate.

The portal's /rs/ site answers 412 with a 瑞数-shaped challenge, /waf/ a 安全狗 block page, /loop/
a redirect to itself that sets a cookie (policywatch/demo/portal/js_sites.py). Each run must be `failed`
with the gate named, in one line, in `policywatch crawl`'s summary, in `policywatch status` and in
the operator alert; a plain crawl never runs the challenge's script.
"""

from __future__ import annotations

import json

from policywatch.cli import main
from policywatch.demo.portal import Portal, js_sites
from policywatch.scheduler import alerts
from policywatch.scheduler.settings import OperatorSettings
from storage.crawl_runs import recent_runs
from storage.db import connect

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RETRY_TIMES=0"]
CHALLENGE = 'site answers a JavaScript cookie challenge (HTTP 412); try render = "browser"'


def _config(portal, tmp_path, *, render=False):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n\n' + js_sites.config_text(portal, render=render), encoding="utf-8")
    return cfg, db_url


def test_plain_crawl_of_a_challenge_site_fails_naming_the_challenge(tmp_path, capsys):
    with Portal() as portal:
        cfg, db_url = _config(portal, tmp_path)
        assert main(["crawl", "ruishu", "--config", str(cfg), *FAST]) == 1
        crawled = capsys.readouterr()
        assert portal.statuses("/rs/index.html") == [412]
        assert not portal.requested("/rs/9DhefwqGPrzG/challenge.js")  # no script ran
    # the summary: the table, then the reason; the error line carries it too
    lines = crawled.out.splitlines()
    assert lines[2].split()[:2] == ["ruishu", "失败"]
    # the gate first, then what it cost: the listing
    assert [line for line in lines[3:] if line.startswith("ruishu: ")] == [
        f"ruishu: 失败: {CHALLENGE}; list page failed: {portal.url('/rs/index.html')}: http 412; "
        "the listing is incomplete"
    ]
    last = crawled.err.strip().splitlines()[-1]  # after the log's reason lines (test_crawl_progress.py)
    assert last.startswith("policywatch: 1 个站点中有 1 个未正常完成爬取：") and f"ruishu：失败: {CHALLENGE}; " in last

    assert main(["status", "--config", str(cfg)]) == 1
    assert f"失败站点：ruishu ({CHALLENGE}; " in capsys.readouterr().err
    assert main(["status", "--config", str(cfg), "--json"]) == 1
    report = {s["site"]: s for s in json.loads(capsys.readouterr().out)["sites"]}
    assert report["ruishu"]["last_run"]["status"] == "failed"
    assert report["ruishu"]["last_run"]["reason"].startswith(f"{CHALLENGE}; list page failed: ")

    db = connect(db_url)
    try:
        runs = recent_runs(db, "ruishu")
    finally:
        db.dispose()
    due = alerts.evaluate("ruishu", runs, OperatorSettings(emails=("ops@example.org",), failures_before_alert=1), "en")
    assert [a.kind for a in due] == ["failing"]
    assert f"Latest: {CHALLENGE}; " in due[0].body


def test_a_waf_block_and_a_cookie_loop_are_named(tmp_path, capsys):
    with Portal() as portal:
        cfg, _ = _config(portal, tmp_path)
        assert main(["crawl", "waf", "cookieloop", "--config", str(cfg), *FAST]) == 1
        out = capsys.readouterr().out
        # the cookie was sent back once, and the second self-redirect ended it
        loop = portal.requested("/loop/index.html")
        assert [h.status for h in loop] == [302, 302]
        assert "cookie" not in loop[0].headers and loop[1].headers.get("cookie") == "CT6T=0000"
    assert (
        "\nwaf: 失败: site's firewall refuses the request (HTTP 403, 安全狗); try render = \"browser\", "
        "slow down (DOWNLOAD_DELAY) or ask the site to allow the crawler; list page failed: "
    ) in out
    assert (
        "\ncookieloop: 失败: site answers a redirect to itself that sets a cookie (HTTP 302), "
        'again after the cookie was sent back; try render = "browser"; list page failed: '
    ) in out


def test_a_cookie_gate_that_takes_the_replayed_cookie_is_passed(tmp_path, capsys):
    with Portal() as portal:
        cfg, _ = _config(portal, tmp_path)
        assert main(["crawl", "cookiegate", "--config", str(cfg), *FAST]) == 0
        assert portal.statuses("/ct/index.html") == [302, 200]
        assert portal.statuses("/ct/t1.html") == [200]  # the jar keeps the cookie for the site
    assert capsys.readouterr().out.splitlines()[2].split()[:4] == ["cookiegate", "成功", "1", "1"]
