"""render = "browser": Debian's Chromium through scrapy-playwright, and only where asked.

Real parts: `policywatch crawl` (a Scrapy subprocess), the portal on 127.0.0.1, /usr/bin/chromium.
The JS-only column (/js/) has no link in its HTML: its script fetch()es the list. The 瑞数-shaped
site (/rs/) answers 412 until a script has computed and set its cookie (policywatch/demo/portal/js_sites.py).
A plain site's crawl must start neither Playwright nor Chromium.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy import select

from policywatch.cli import main
from policywatch.demo.portal import Portal, js_sites
from policywatch.demo.portal.config import write_config
from storage.db import connect
from storage.models import CrawlRun, Document, Site
from tests.browser import needs_chromium

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "RETRY_TIMES=0"]


class BrowserWatch:
    """Processes descended from this one whose name says Chromium or Playwright's driver, started
    while the block runs (polled: a crawl's browser lives for seconds; one some other test left
    running before the block is not counted)."""

    NAMES = ("chrom", "playwright")

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._before: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> BrowserWatch:
        self._before = {int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit()}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.05):
            parents: dict[int, int] = {}
            names: dict[int, str] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                pid = int(entry.name)
                parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
                names[pid] = stat[stat.index("(") + 1 : stat.rindex(")")] + " " + cmdline[:300]
            for pid, name in names.items():
                p, hops = pid, 0
                while p > 1 and p != me and hops < 50:
                    p, hops = parents.get(p, 0), hops + 1
                if p == me and pid not in self._before and any(n in name.lower() for n in self.NAMES):
                    self.seen.add(name.split()[0])


def _config(portal, tmp_path, *, render, details=True):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    cfg = tmp_path / "policywatch.toml"
    text = js_sites.config_text(portal, render=render, details=details)
    cfg.write_text(f'[database]\nurl = "{db_url}"\n\n' + text, encoding="utf-8")
    return cfg, db_url


def _documents(db_url, site):
    db = connect(db_url)
    try:
        with db.reader() as s:
            titles = s.scalars(select(Document.title).join(Site).where(Site.name == site)).all()
            runs = s.scalars(select(CrawlRun).join(Site).where(Site.name == site).order_by(CrawlRun.id)).all()
            return sorted(titles), runs
    finally:
        db.dispose()


@needs_chromium
def test_browser_crawl_of_the_js_only_site_finds_its_documents(tmp_path, capsys):
    expected = sorted(title for _, title, _, _ in js_sites.JS_DOCS)
    with Portal() as portal:
        cfg, db_url = _config(portal, tmp_path, render=False)
        # without the browser the list is empty: the page's HTML has no link
        main(["crawl", "jsonly", "--config", str(cfg), *FAST])
        assert _documents(db_url, "jsonly")[0] == []
        assert not portal.requested("/js/api/list.json?page=1")
        cfg, db_url = _config(portal, tmp_path, render=True)
        with BrowserWatch() as watch:
            assert main(["crawl", "jsonly", "--config", str(cfg), *FAST]) == 0
        capsys.readouterr()
        assert portal.statuses("/js/api/list.json?page=1") == [200]  # the page's own fetch()
    titles, runs = _documents(db_url, "jsonly")
    assert titles == expected
    assert runs[-1].status == "ok" and runs[-1].stats["policywatch/listed"] == 3
    assert runs[-1].stats["playwright/browser_count"] == 1
    assert any("chrom" in name for name in watch.seen)  # the watch sees a browser when there is one


@needs_chromium
def test_browser_crawl_passes_the_challenge_and_records_the_documents(tmp_path, capsys):
    expected = sorted(title for _, title, _, _ in js_sites.RS_DOCS)
    with Portal() as portal:
        cfg, db_url = _config(portal, tmp_path, render=True)
        assert main(["crawl", "ruishu", "--config", str(cfg), *FAST]) == 0
        out = capsys.readouterr().out
        # the browser got the 412, ran the challenge's script, and came back with the cookie
        assert portal.statuses("/rs/index.html") == [412, 200]
        assert portal.statuses("/rs/9DhefwqGPrzG/challenge.js") == [200]
        second = portal.requested("/rs/index.html")[1]
        assert f"{js_sites.COOKIE}={js_sites.clearance(js_sites.token())}" in second.headers.get("cookie", "")
        # render_details: the detail pages went through the browser too, with its cookie
        for doc_id, *_ in js_sites.RS_DOCS:
            assert portal.statuses(f"/rs/c100/content/{doc_id}.shtml") == [200]
    assert out.splitlines()[2].split()[:4] == ["ruishu", "成功", "2", "2"]
    titles, runs = _documents(db_url, "ruishu")
    assert titles == expected
    assert runs[-1].status == "ok" and "policywatch/blocked" not in runs[-1].stats


def test_a_plain_site_crawl_never_starts_a_browser(tmp_path, capsys):
    with Portal() as portal:
        db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
        cfg = write_config(portal, tmp_path / "policywatch.toml", db_url=db_url)
        with BrowserWatch() as watch:
            assert main(["crawl", "zhaoqing", "--config", str(cfg), *FAST]) == 0
        capsys.readouterr()
    assert watch.seen == set()
    _, runs = _documents(db_url, "zhaoqing")
    assert runs[-1].pages > 0
    assert not [k for k in runs[-1].stats if k.startswith("playwright")]
    log = next((tmp_path / ".policywatch" / "logs").glob("zhaoqing-*.log")).read_text(encoding="utf-8")
    assert "scrapy-playwright" not in log and "ScrapyPlaywrightDownloadHandler" not in log


def test_a_browser_site_on_a_machine_without_chromium_fails_saying_so(tmp_path, capsys):
    with Portal() as portal:
        cfg, _ = _config(portal, tmp_path, render=True)
        missing = tmp_path / "no-chromium"
        code = main(["crawl", "jsonly", "--config", str(cfg), *FAST, "--set", f"POLICYWATCH_CHROMIUM={missing}"])
        assert code == 1
        assert not portal.requested("/js/index.html")
    reason = f'render = "browser" needs Chromium at {missing} (apt-get install chromium)'
    assert any(line.startswith(f"jsonly: 失败: {reason}") for line in capsys.readouterr().out.splitlines())


@needs_chromium
def test_challenged_detail_pages_of_a_browser_site_ask_for_render_details(tmp_path, capsys):
    with Portal() as portal:
        cfg, _ = _config(portal, tmp_path, render=True, details=False)
        assert main(["crawl", "ruishu", "--config", str(cfg), *FAST]) == 1
        assert portal.statuses("/rs/index.html") == [412, 200]  # the list passed in the browser
        assert portal.statuses("/rs/c100/content/601.shtml") == [412]  # the detail page did not
    reason = "site answers a JavaScript cookie challenge (HTTP 412); try render_details = true"
    assert any(line.startswith(f"ruishu: 失败: {reason}; ") for line in capsys.readouterr().out.splitlines())
