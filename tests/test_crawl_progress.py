"""`policywatch crawl` while it runs: live counts on a terminal, plain lines elsewhere, and the
log's reason lines when a site fails. Real parts: the CLI as a subprocess on a real
pseudo-terminal (or a pipe), a real Scrapy crawl of the demo portal slowed by DOWNLOAD_DELAY;
the counts expected are the requests the portal itself logged."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from policywatch.cli import main
from policywatch.crawl_log import excerpt
from policywatch.crawl_progress import failure_lines
from policywatch.demo.portal import Portal
from policywatch.demo.portal.config import write_config
from policywatch.demo.portal.content import ROBOTS_BLOCKED
from tests.terminal import CLI, on_terminal

ROOT = Path(__file__).resolve().parent.parent
# two requests a second at most: a crawl of the portal's Zhaoqing takes several progress ticks
SLOW = ["--set", "DOWNLOAD_DELAY=0.5", "--set", "AUTOTHROTTLE_ENABLED=False"]
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RETRY_TIMES=0"]
ESC = "\x1b"


def _on_terminal(args: list[str]) -> str:
    """What `policywatch ARGS` writes to a 120-column pseudo-terminal (stdout and stderr both)."""
    env = {**os.environ, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    return on_terminal(args, columns=120, env=env, cwd=ROOT, quiet_s=120)


def _fetched(portal: Portal) -> int:
    """Every response the portal sent (robots.txt and the list page past the last included)."""
    return len(portal.hits)


def _details(portal: Portal) -> int:
    """The document pages it served: each one a new version in a first crawl."""
    return len({h.path for h in portal.hits if "/content/post_" in h.path and h.status == 200})


def _growing(values: list[int]) -> bool:
    return values == sorted(values) and len(set(values)) >= 3


def test_progress_is_live_on_a_terminal(tmp_path):
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
        shown = _on_terminal(["crawl", "zhaoqing", "--config", str(cfg), *SLOW])
        fetched, details = _fetched(portal), _details(portal)
    assert ROBOTS_BLOCKED not in {h.path for h in portal.hits}
    assert details == 4  # the four documents the state-1 list links, less the one robots.txt forbids
    table = shown.index("站点 ")
    live = shown[:table]
    assert ESC + "[" in live  # redrawn in place, not printed line by line
    counts = [int(n) for n in re.findall(r"已抓取 (\d+)", live)]
    # redrawn many times while the crawl ran, the count growing: 0 at first, every response at the end
    assert _growing(counts), counts
    assert counts[-1] == fetched
    assert re.search(rf"zhaoqing 成功 已抓取 {fetched} · 排队 0 · 新版本 {details} · 错误 0", live), live[-400:]
    assert "[进度]" not in shown  # the plain lines are for pipes
    assert shown[table:].split("\n")[2].split()[:4] == ["zhaoqing", "成功", str(details), str(details)]


def test_plain_progress_lines_off_a_terminal(tmp_path):
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
        done = subprocess.run(
            [*CLI, "crawl", "zhaoqing", "--config", str(cfg), *SLOW, "--progress-every", "0.5"],
            capture_output=True, text=True, cwd=ROOT, timeout=300,
        )  # fmt: skip
        fetched, details = _fetched(portal), _details(portal)
    assert done.returncode == 0, done.stderr
    assert ESC not in done.stderr and ESC not in done.stdout
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("[进度] zhaoqing: ") for line in lines), lines
    assert lines[0].startswith("[进度] zhaoqing: 开始抓取 (")
    during = [int(m[1]) for line in lines[1:-1] if (m := re.search(r": 已抓取 (\d+) ", line))]
    assert _growing(during), lines
    assert re.fullmatch(
        rf"\[进度\] zhaoqing: 成功 已抓取 {fetched} · 排队 0 · 新版本 {details} · 错误 0 \(\d+s\)", lines[-1]
    ), lines[-1]
    # standard output is the summary table alone
    assert done.stdout.split("\n")[0].split()[:2] == ["站点", "状态"]
    assert done.stdout.split("\n")[2].split()[:4] == ["zhaoqing", "成功", str(details), str(details)]


def test_no_progress_prints_none(tmp_path, capsys):
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
        assert main(["crawl", "yulin", "--config", str(cfg), *FAST, "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.split("\n")[2].split()[:2] == ["yulin", "成功"]


def _failure_block(err: str, site: str) -> list[str]:
    lines = err.splitlines()
    start = lines.index(f"{site}: 失败")
    return lines[start:]


def test_a_503_site_shows_the_first_error_and_the_final_stats(tmp_path, capsys):
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
        portal.fail_status = 503
        assert main(["crawl", "zhaoqing", "--config", str(cfg), *FAST]) == 1
        answered = [h.path for h in portal.hits if h.status == 503]
    # robots.txt first, then the start page: each tried once (RETRY_TIMES=0), each a 503
    assert answered == ["/robots.txt", "/zq/gkmlpt/index.html"]
    err = capsys.readouterr().err
    block = _failure_block(err, "zhaoqing")
    assert block[1] == (
        f"  首个错误: [scrapy.downloadermiddlewares.retry] Gave up retrying <GET {portal.url('/robots.txt')}> "
        "(failed 1 times): 503 Service Unavailable"
    )
    stats = block[2].removeprefix("  最终统计: ").split(", ")
    assert block[2].startswith("  最终统计: ")
    assert f"downloader/response_status_count/503={len(answered)}" in stats
    assert {"finish_reason=finished", "item_scraped_count=0"} <= set(stats)
    assert any(s.startswith("log_count/ERROR=") and int(s.split("=")[1]) >= 1 for s in stats), stats
    log = Path(block[3].removeprefix("  日志: "))
    assert log.is_file() and "Dumping Scrapy stats" in log.read_text("utf-8")
    # and the one-line message of the exit code still closes the output
    assert block[4].startswith("policywatch: 1 个站点中有 1 个未正常完成爬取：zhaoqing：失败: ")
    assert len(block) == 5


def test_a_stopped_portal_shows_the_refused_connections(tmp_path, capsys):
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
        start = portal.url("/zq/gkmlpt/index.html")
    # the portal is stopped: nothing listens on its port now
    assert main(["crawl", "zhaoqing", "--config", str(cfg), *FAST]) == 1
    block = _failure_block(capsys.readouterr().err, "zhaoqing")
    assert block[1].startswith("  首个错误: [scrapy.downloadermiddlewares.retry] Gave up retrying <GET ")
    assert "Connection was refused" in block[1]
    stats = block[2].removeprefix("  最终统计: ").split(", ")
    # robots.txt and the start page, once each
    assert "downloader/exception_type_count/DownloadConnectionRefusedError=2" in stats
    assert not any(s.startswith("downloader/response_status_count/") for s in stats)
    assert start.rsplit("/", 3)[0] in block[1]


TRACEBACK_LOG = """\
2026-12-02 00:44:30 [scrapy.core.engine] INFO: Spider opened
2026-12-02 00:44:30 [scrapy.core.scraper] ERROR: Spider error processing <GET http://127.0.0.1:8/a.html> (referer: None)
Traceback (most recent call last):
  File "/x/scrapy/utils/defer.py", line 327, in iter_errback
    yield next(it)
  File "/x/crawler/spiders/site.py", line 12, in parse
    raise ValueError("no table.gkml-list on the page")
ValueError: no table.gkml-list on the page

2026-12-02 00:44:31 [crawler.pipelines] ERROR: could not record http://127.0.0.1:8/b.html: OperationalError: locked
2026-12-02 00:44:31 [scrapy.statscollectors] INFO: Dumping Scrapy stats:
{'downloader/response_count': 3,
 'downloader/response_status_count/200': 2,
 'downloader/response_status_count/404': 1,
 'finish_reason': 'finished',
 'item_scraped_count': 1,
 'log_count/ERROR': 2,
 "robotstxt/exception_count/<class 'ValueError'>": 1,
 'start_time': datetime.datetime(2026, 12, 2, 0, 44, 30, 40150, tzinfo=datetime.timezone.utc)}
2026-12-02 00:44:31 [scrapy.core.engine] INFO: Spider closed (finished)
"""


def test_the_excerpt_takes_the_first_error_and_its_traceback(tmp_path):
    log = tmp_path / "site.log"
    log.write_text(TRACEBACK_LOG, encoding="utf-8")
    found = excerpt(log)
    assert found.first_error == (
        "[scrapy.core.scraper] Spider error processing <GET http://127.0.0.1:8/a.html> (referer: None)"
    )
    assert found.raised == "ValueError: no table.gkml-list on the page"
    assert found.stats == {
        "downloader/response_status_count/200": "2",
        "downloader/response_status_count/404": "1",
        "finish_reason": "finished",
        "item_scraped_count": "1",
        "log_count/ERROR": "2",
    }
    assert failure_lines("zq", "failed", found, log) == [
        "zq: 失败",
        "  首个错误: [scrapy.core.scraper] Spider error processing <GET http://127.0.0.1:8/a.html> (referer: None)",
        "    异常: ValueError: no table.gkml-list on the page",
        "  最终统计: downloader/response_status_count/200=2, downloader/response_status_count/404=1, "
        "finish_reason=finished, item_scraped_count=1, log_count/ERROR=2",
        f"  日志: {log}",
    ]
    # a crawl killed before Scrapy dumped its stats
    log.write_text(TRACEBACK_LOG.split("[scrapy.statscollectors]")[0], encoding="utf-8")
    assert not excerpt(log).has_stats and excerpt(log).raised
    assert excerpt(tmp_path / "missing.log").first_error == ""
