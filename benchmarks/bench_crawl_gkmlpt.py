"""The gkmlpt family end to end: `scrapy crawl` subprocesses against a gkmlpt site on loopback.

N generated documents (ten measures each) in two leaf categories, served by policywatch/demo/portal the way
Guangdong's platform serves them (policywatch.demo.portal.families.serve_gk_bulk): an empty Vue shell at
/gkbulk/gkmlpt/index carrying SID and the category TREE, the lists only from the JSON API
`api/all/{cat}?page=N&sid=SID` (100 articles a page), detail pages with `_CONFIG.DETAIL`.
Crawled three ways, each a fresh subprocess:

- bare Scrapy: the shell, the API pages and the same detail pages, downloaded with Scrapy's
  defaults and nothing parsed beyond the URLs (benchmarks/bare_gkmlpt_spider.py) -- the baseline;
- first crawl: `family = "gkmlpt"`, every document normalized and stored as new;
- recrawl, nothing changed: every page revalidated (If-None-Match -> 304), no writes; the
  revalidation pre-check answers it without starting Scrapy (its crawl s is the pre-check's).

Politeness off as in bench_crawl (its SETTINGS). Environment: BENCH_GKMLPT_DOCS (default 2000),
BENCH_CRAWL_ROUNDS (default 3, medians over the rounds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_crawl import (
    SCRAPY_RAN,
    SETTINGS,
    _measured,
    _stat,
    precheck_figures,
    recrawls_faster,
    table_rows,
)
from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import families as F

DOCS = int(os.environ.get("BENCH_GKMLPT_DOCS", "2000"))
ROUNDS = int(os.environ.get("BENCH_CRAWL_ROUNDS", "3"))
SITE = "gkbulk"

BARE = "bare Scrapy spider, download only (baseline)"
FIRST = "first crawl: normalize + store every document"
RECRAWL = "recrawl, nothing changed (304s)"


def _config(portal: Portal, path: Path, db_url: str) -> Path:
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[[sites]]\nname = "{SITE}"\n'
        f'start_urls = ["{portal.url(F.GK_BULK_INDEX)}"]\nfamily = "gkmlpt"\n',
        encoding="utf-8",
    )
    return path


def _result(wall: float, log: str, items_key: str) -> dict[str, float]:
    return {
        "wall": wall,
        "elapsed": _stat(log, "elapsed_time_seconds"),
        "items": _stat(log, items_key),
        "requests": _stat(log, "downloader/request_count"),
        # the HTTP cache's count of 304s (a revalidated page comes out of it as the stored 200)
        "not_modified": _stat(log, "httpcache/revalidate"),
        "new": 0.0,
        "changed": 0.0,
    }


def _crawl(cfg: Path, db_url: str) -> dict[str, float]:
    started = time.perf_counter()
    run = crawl_site(cfg, SITE, db_url, settings=SETTINGS, timeout=3600)
    wall = time.perf_counter() - started
    log = run.log.read_text() if run.log else ""
    result = _result(wall, log, "item_scraped_count")
    if SCRAPY_RAN not in log:  # recorded by the revalidation pre-check, without Scrapy
        result |= precheck_figures(run)
    result["new"] = float((run.outcomes or {}).get("new", 0))
    result["changed"] = float((run.outcomes or {}).get("changed", 0))
    return result


def _bare(portal: Portal) -> dict[str, float]:
    spider = Path(__file__).with_name("bare_gkmlpt_spider.py")
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"start={portal.url(F.GK_BULK_INDEX)}"]
    for item in SETTINGS:
        if not item.startswith("POLICYWATCH_"):
            cmd += ["-s", item]
    started = time.perf_counter()
    # outside the project: no scrapy.cfg, so none of crawler/settings.py applies
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=True, timeout=3600)
    return _result(time.perf_counter() - started, proc.stderr, "bare/detail_pages")


def _round(portal: Portal, base: Path) -> list[tuple[str, dict[str, float]]]:
    """One run of each kind, in a fresh directory (database, HTTP cache)."""
    db_url = f"sqlite:///{base / 'bench.db'}"
    cfg = _config(portal, base / "policywatch.toml", db_url)
    return [
        (BARE, _measured(_bare, portal)),
        (FIRST, _measured(_crawl, cfg, db_url)),
        (RECRAWL, _measured(_crawl, cfg, db_url)),
    ]


def run() -> str:
    rounds: list[list[tuple[str, dict[str, float]]]] = []
    with Portal() as portal:
        F.serve_gk_bulk(portal, DOCS)
        for _ in range(ROUNDS):
            with tempfile.TemporaryDirectory() as tmp:
                rounds.append(_round(portal, Path(tmp)))
    return _markdown(rounds)


# (key, format) of each median column: requests where the html table has writers
COLUMNS = (("items", ",.0f"), ("requests", ",.0f"), ("not_modified", ",.0f"), ("new", ",.0f"), ("changed", ",.0f"),
           ("wall", ".1f"), ("elapsed", ".2f"), ("cpu", ".1f"), ("memory", ".0f"))


def _markdown(rounds: list[list[tuple[str, dict[str, float]]]]) -> str:
    names = [name for name, _ in rounds[0]]
    lines = [
        "## Crawler: the gkmlpt family (JSON API) against the demo portal",
        "",
        f"Command: `python -m benchmarks.run crawl_gkmlpt` (BENCH_GKMLPT_DOCS={DOCS}, BENCH_CRAWL_ROUNDS={ROUNDS}). "
        f"A gkmlpt site of {DOCS:,} generated documents (ten measures each, like the html family's notices above) "
        "in two leaf categories, served by policywatch/demo/portal on 127.0.0.1 as Guangdong's platform serves them: an "
        "empty Vue shell whose `window._CONFIG` carries SID and the category TREE, the lists only from "
        "`api/all/{cat}?page=N&sid=SID` (100 articles a page, real field names), detail pages carrying "
        "`_CONFIG.DETAIL`. Our spider runs with `family = \"gkmlpt\"`; the bare Scrapy spider "
        "(benchmarks/bare_gkmlpt_spider.py, Scrapy defaults) fetches the same shell, API pages and detail "
        "pages and parses nothing beyond their URLs. Politeness off, SQLite, one subprocess per run, each "
        "round in a fresh directory; medians over the rounds. *requests*: every request sent (shell, API "
        "pages, detail pages; and robots.txt for ours, the bare spider does not ask for it); *304s*: of "
        "those, answered Not Modified (the shell and API pages revalidate too). Columns otherwise as in "
        "the html family's table above: *crawl s* is Scrapy's elapsed time, *wall s* adds process start-up, "
        "*CPU s* is the whole machine's, *peak MB* the largest summed PSS of the run's processes, *pages/min* "
        "detail pages per minute of crawl time, and the ratio compares it with the bare spider of the same "
        "round (median, range over the rounds).",
        "",
        "| run | detail pages | requests | 304s | new | changed | wall s | crawl s | CPU s | peak MB "
        "| pages/min | vs bare Scrapy (range) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += table_rows(rounds, COLUMNS)
    faster = recrawls_faster(rounds, FIRST, RECRAWL)
    recrawl = [rnd[names.index(RECRAWL)][1] for rnd in rounds]
    lines += [
        "",
        f"Every round, each run found {DOCS:,} documents: "
        f"{'yes' if all(r['items'] == DOCS for rnd in rounds for _, r in rnd) else 'NO'}. "
        f"Recrawl faster than the first crawl in {faster} of {len(rounds)} rounds; "
        f"new versions written by it: {sum(int(r['new'] + r['changed']) for r in recrawl)}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
