"""`policywatch crawl`: the summary table, exit codes, and PostgreSQL as the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from policywatch.cli import main
from policywatch.demo.portal import Portal
from policywatch.demo.portal.config import write_config
from storage.db import connect
from storage.models import ChangeRow, CrawlRun

FAST = [
    "--set",
    "DOWNLOAD_DELAY=0",
    "--set",
    "AUTOTHROTTLE_ENABLED=False",
    "--set",
    "RETRY_BACKOFF_BASE=0.01",
]


# SQLite is the backend of the portal story (test_crawl_portal.py); this is the PostgreSQL half.
@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_crawl_into_postgresql(db_url, tmp_path, capsys, monkeypatch):
    # the URL comes from the environment here (the config has none)
    monkeypatch.setenv("POLICYWATCH_DATABASE_URL", db_url)
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml")
        assert main(["crawl", "zhaoqing", "--config", str(cfg), *FAST]) == 0
        first = capsys.readouterr().out
        portal.state = 2
        assert main(["crawl", "zhaoqing", "--config", str(cfg), *FAST]) == 0
        second = capsys.readouterr().out
    header = ["站点", "状态", "页面", "新页面", "有变化", "未变", "304", "已撤下", "错误", "用时"]
    assert first.split("\n")[0].split() == header
    assert first.split("\n")[2].split()[:9] == ["zhaoqing", "成功", "4", "4", "0", "0", "0", "0", "0"]
    assert second.split("\n")[2].split()[:9] == ["zhaoqing", "成功", "5", "1", "1", "3", "3", "0", "0"]
    db = connect(db_url)
    try:
        with db.reader() as s:
            runs = s.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
            kinds = sorted(s.scalars(select(ChangeRow.kind).where(ChangeRow.prev_version_id.is_not(None))))
    finally:
        db.dispose()
    assert [(r.status, r.pages, r.changed) for r in runs] == [("ok", 4, 4), ("ok", 5, 2)]
    assert kinds == ["added", "modified", "removed"]


def test_unreachable_site_fails_the_command_with_exit_1(tmp_path, capsys):
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "db.sqlite"}"\n\n'
        '[[sites]]\nname = "dead"\nstart_urls = ["http://127.0.0.1:9/index.html"]\ndetail_pattern = "/t\\\\d+\\\\.html$"\n',
        encoding="utf-8",
    )
    assert main(["crawl", "--config", str(cfg), *FAST, "--set", "RETRY_TIMES=0"]) == 1
    captured = capsys.readouterr()
    assert captured.out.split("\n")[2].split()[:2] == ["dead", "失败"]
    lines = captured.err.strip().splitlines()
    # the log's reason lines (test_crawl_progress.py), then the message of the exit code, in one line
    assert lines[-5:-1] == [
        "dead: 失败",
        "  首个错误: [scrapy.downloadermiddlewares.retry] Gave up retrying <GET http://127.0.0.1:9/robots.txt> "
        "(failed 1 times): Connection was refused by other side: 111: Connection refused.",
        "  最终统计: downloader/exception_type_count/DownloadConnectionRefusedError=2, finish_reason=finished, "
        "log_count/ERROR=3, item_scraped_count=0",
        lines[-2],
    ]
    assert lines[-2].startswith("  日志: ") and lines[-2].endswith(".log")
    err = lines[-1]
    # the reason, in the same line: the start page could not be fetched
    assert err.startswith(
        "policywatch: 1 个站点中有 1 个未正常完成爬取：dead：失败: list page failed: http://127.0.0.1:9/index.html: "
    )
    assert "; the listing is incomplete（日志 " in err


def test_hung_crawl_is_killed_at_the_timeout_and_its_run_closed(tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with Portal(slow_seconds=60) as portal:
        cfg = tmp_path / "policywatch.toml"
        cfg.write_text(
            f'[database]\nurl = "{db_url}"\n\n[[sites]]\nname = "slow"\n'
            f'start_urls = ["{portal.url("/traps/slow.html")}"]\ndetail_pattern = "^$"\n',
            encoding="utf-8",
        )
        # the server would answer in 60 s and Scrapy would wait 30: the command gives up first
        code = main(["crawl", "--config", str(cfg), *FAST, "--set", "DOWNLOAD_TIMEOUT=30", "--timeout", "4"])
    assert code == 1
    err = capsys.readouterr().err
    assert "slow：超时" in err
    # killed: Scrapy never dumped its stats, and the excerpt says so rather than showing none
    assert "slow: 超时\n" in err and "  日志中没有最终统计（爬取未正常结束）\n" in err
    db = connect(db_url)
    try:
        with db.reader() as s:
            run = s.scalars(select(CrawlRun)).one()
    finally:
        db.dispose()
    assert run.status == "failed" and run.finished_at is not None
    assert run.stats["finish_reason"].startswith("killed")
