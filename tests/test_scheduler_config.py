"""`policywatch run` refuses a bad [crawl]/[scheduler]/[operator] at start-up, one line naming the key."""

from __future__ import annotations

import pytest

from policywatch.cli import main

SITE = (
    '[[sites]]\nname = "zq"\nstart_urls = ["http://127.0.0.1:9/index.html"]\n'
    'detail_pattern = "/t\\\\d+\\\\.html$"\nschedule = { interval_minutes = 60 }\n'
)


def _config(tmp_path, extra: str, site: str = SITE):
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "pw.db"}"\n\n{site}\n{extra}', encoding="utf-8")
    return cfg


def _run(tmp_path, capsys, extra: str, site: str = SITE) -> tuple[int, str]:
    code = main(["run", "--config", str(_config(tmp_path, extra, site)), "--check"])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    ("extra", "site", "message"),
    [
        ("[scheduler]\njobs = { nosuch = { interval_seconds = 5 } }\n", SITE,
         "[scheduler] jobs.nosuch: no site named 'nosuch' (sites: zq)"),
        ('[scheduler]\njobs = { zq = { cron = "61 * * * *" } }\n', SITE,
         "[scheduler] jobs.zq.cron: '61 * * * *' is not a valid cron expression"),
        ("", SITE.replace("interval_minutes = 60", 'cron = "0 25 * * *"'),
         "site 'zq': schedule.cron: '0 25 * * *' is not a valid cron expression"),
        ('[scheduler]\ndigests = { daily = "every day" }\n', SITE,
         "[scheduler] digests.daily: 'every day' is not a five-field cron expression"),
        ('[scheduler]\ntimezone = "Mars/Olympus"\n', SITE, "[scheduler] timezone: 'Mars/Olympus' is not a known time zone"),
        ("[scheduler]\nmax_concurrent_crawls = 0\n", SITE, "[scheduler] max_concurrent_crawls: must be a positive integer"),
        ('[crawl]\nrunner = "cron"\n', SITE, "[crawl] runner: 'cron': use one of subprocess, scrapyd"),
        ('[crawl]\nrunner = "scrapyd"\n', SITE, '[crawl] scrapyd.nodes: runner = "scrapyd" needs at least one node URL'),
        ('[crawl.scrapyd]\nnodes = ["ftp://x"]\n', SITE, "[crawl] scrapyd.nodes[0]: 'ftp://x' is not an http(s) URL"),
        ("[crawl]\ntimeout = 5\n", SITE, "[crawl] timeout: unknown key"),
        ('[operator]\nemail = "not an address"\n', SITE, "[operator] email: must be an email address"),
    ],
)
def test_bad_config_is_one_line_with_the_key(tmp_path, capsys, extra, site, message):
    code, err = _run(tmp_path, capsys, extra, site)
    assert code == 2
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"policywatch: {tmp_path / 'policywatch.toml'}: ")
    assert message in err


def test_no_scrapyd_node_reachable_is_refused_at_start_up(tmp_path, capsys):
    extra = '[crawl]\nrunner = "scrapyd"\n\n[crawl.scrapyd]\nnodes = ["http://127.0.0.1:9", "http://127.0.0.1:7"]\n'
    code, err = _run(tmp_path, capsys, extra)
    lines = err.splitlines()
    assert code == 2
    assert lines[-1].startswith("policywatch: ") and "[crawl] scrapyd.nodes: no node can run crawls" in lines[-1]
    assert "http://127.0.0.1:9: unreachable" in lines[-1] and "http://127.0.0.1:7: unreachable" in lines[-1]


def test_check_lists_the_jobs_with_their_grace(tmp_path, capsys):
    cfg = _config(tmp_path, '[scheduler]\ntimezone = "Asia/Shanghai"\njobs = { zq = { cron = "0 6 * * *" } }\n')
    assert main(["run", "--config", str(cfg), "--check"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "crawl:zq\tcron 0 6 * * * (Asia/Shanghai)\tmisfire grace 86400s"


def test_the_runner_names_the_config_accepts_are_the_registry() -> None:
    """settings.py checks `[crawl] runner` by name without importing the runners it names."""
    from policywatch.scheduler.runners import RUNNERS
    from policywatch.scheduler.settings import RUNNER_NAMES

    assert tuple(RUNNERS) == RUNNER_NAMES


UNSCHEDULED = 'name = "zq2"\nstart_urls = ["http://127.0.0.1:9/b.html"]\ndetail_pattern = "/t\\\\d+\\\\.html$"\n'


def test_run_warns_in_the_cli_language(tmp_path, capsys):
    """`run`'s start-up warnings and refusals are the catalogue's, Chinese by default."""
    cfg = _config(tmp_path, f"[[sites]]\n{UNSCHEDULED}")
    assert main(["run", "--config", str(cfg), "--check"]) == 0
    err = capsys.readouterr().err
    assert f"policywatch: 警告：{cfg}：站点 'zq2' 未设 schedule，`policywatch run` 不会爬取它" in err
    assert main(["run", "--config", str(cfg), "--check", "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert f"policywatch: warning: {cfg}: site 'zq2': no schedule, not crawled by `policywatch run`" in err
    only = _config(tmp_path, "", site=f"[[sites]]\n{UNSCHEDULED}")
    assert main(["run", "--config", str(only), "--check"]) == 2
    assert f"{only}：没有站点设了 schedule" in capsys.readouterr().err
