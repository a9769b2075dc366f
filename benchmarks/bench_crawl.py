"""The crawler end to end: `scrapy crawl` subprocesses against the demo portal on loopback.

N generated gkmlpt notices (ten measures each, 25 to a list page, static index_N pagination)
are crawled five ways, each a fresh subprocess:

- bare Scrapy: a minimal spider that only downloads the same pages (benchmarks/bare_spider.py,
  Scrapy defaults) -- the baseline the issue asks for;
- fetch only: our spider with the storage pipeline switched off (the HTTP cache and our
  middlewares still on), to show where the difference goes;
- first crawl: every page normalized and stored as a new document;
- recrawl, nothing changed: every detail page revalidated (If-None-Match -> 304), no writes;
- recrawl, 10 % changed: one measure reworded on every tenth page (normalize + compare + store
  for those, 304 for the rest).

Politeness is off (no delay, no AutoThrottle, 16 concurrent requests): this measures our code,
not the one-page-a-second ceiling a real government site gets (research/engineering.md §1.2).

Environment: BENCH_CRAWL_PAGES (default 2000).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from policywatch.commands.crawl import crawl_site
from tests.portal import Portal
from tests.portal import content as C

PAGES = int(os.environ.get("BENCH_CRAWL_PAGES", "2000"))
SETTINGS = (
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "CONCURRENT_REQUESTS=16",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "POLICYWATCH_BATCH_SIZE=200",
    "LOG_LEVEL=INFO",
)


def _config(portal: Portal, path: Path, db_url: str) -> Path:
    path.write_text(
        f'[database]\nurl = "{db_url}"\n\n[[sites]]\nname = "bulk"\n'
        f'start_urls = ["{portal.url(C.BULK_LIST)}"]\n'
        'link_selector = "table.gkml-list a::attr(href)"\n'
        'detail_pattern = "/bulk/gkmlpt/content/post_\\\\d+\\\\.html$"\n'
        'next_page = { static = "index_{n}.html", max_pages = 100000 }\n',
        encoding="utf-8",
    )
    return path


def _stat(log: str, key: str) -> float:
    m = re.search(rf"'{re.escape(key)}': ([\d.]+)", log)
    return float(m.group(1)) if m else 0.0


def _crawl(cfg: Path, db_url: str, extra: tuple[str, ...] = ()) -> dict[str, float]:
    started = time.perf_counter()
    run = crawl_site(cfg, "bulk", db_url, settings=(*SETTINGS, *extra), timeout=3600)
    wall = time.perf_counter() - started
    log = run.log.read_text() if run.log else ""
    return {
        "wall": wall,
        "elapsed": _stat(log, "elapsed_time_seconds"),
        "items": _stat(log, "item_scraped_count"),
        "not_modified": _stat(log, "policywatch/not_modified"),
        "changed": float((run.outcomes or {}).get("changed", 0)),
        "new": float((run.outcomes or {}).get("new", 0)),
    }


def _bare(portal: Portal) -> dict[str, float]:
    spider = Path(__file__).with_name("bare_spider.py")
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"start={portal.url(C.BULK_LIST)}"]
    for item in SETTINGS:
        if not item.startswith("POLICYWATCH_"):
            cmd += ["-s", item]
    started = time.perf_counter()
    # outside the project: no scrapy.cfg, so none of crawler/settings.py applies
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=True, timeout=3600)
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "elapsed": _stat(proc.stderr, "elapsed_time_seconds"),
        "items": _stat(proc.stderr, "bare/detail_pages"),
        "not_modified": 0.0,
        "changed": 0.0,
        "new": 0.0,
    }


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp, Portal(bulk=PAGES) as portal:
        base = Path(tmp)
        db_url = f"sqlite:///{base / 'bench.db'}"
        (base / "fetch").mkdir()
        fetch_cfg = _config(portal, base / "fetch" / "policywatch.toml", f"sqlite:///{base / 'fetch.db'}")
        rows = [("bare Scrapy spider, download only (baseline)", _bare(portal))]
        rows += [
            (
                "fetch only (storage pipeline off)",
                _crawl(fetch_cfg, f"sqlite:///{base / 'fetch.db'}", ("ITEM_PIPELINES={}",)),
            )
        ]
        cfg = _config(portal, base / "policywatch.toml", db_url)
        rows.append(("first crawl: normalize + store every page", _crawl(cfg, db_url)))
        rows.append(("recrawl, nothing changed (304s)", _crawl(cfg, db_url)))
        portal.state = 2
        rows.append(("recrawl, 10 % of pages changed", _crawl(cfg, db_url)))
    return _markdown(rows)


def _markdown(rows: list[tuple[str, dict[str, float]]]) -> str:
    base_rate = rows[0][1]["items"] / rows[0][1]["elapsed"] if rows[0][1]["elapsed"] else 0.0
    lines = [
        "## Crawler: end to end against the demo portal",
        "",
        f"Command: `python -m benchmarks.run crawl` (BENCH_CRAWL_PAGES={PAGES}). {PAGES:,} generated gkmlpt notices "
        "(~2.5 KB, ten measures each, 25 per list page) served by tests/portal on 127.0.0.1 (a threaded "
        "http.server on the same cores); each run is one `scrapy crawl` subprocess as `policywatch crawl` "
        "starts it (the bare spider by `scrapy runspider`), SQLite database, politeness off. *crawl s* is "
        "Scrapy's elapsed time (spider open to close, including the writer process draining its last "
        "batch); *wall s* adds process start-up. The ratio compares detail pages per minute with the bare "
        "Scrapy spider of the same run. Aim for the first crawl: 0.8x. Two writer processes normalize and record "
        "beside Scrapy; on two cores their ~3 ms of CPU per new page against Scrapy's ~2 ms is what keeps the "
        "first crawl under the aim; a recrawl (304s) is faster than the first crawl and writes no version.",
        "",
        "| run | detail pages | 304s | new | changed | wall s | crawl s | pages/min | vs bare Scrapy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        rate = r["items"] / r["elapsed"] if r["elapsed"] else 0.0
        ratio = f"{rate / base_rate:.2f}x" if base_rate else "-"
        lines.append(
            f"| {name} | {r['items']:,.0f} | {r['not_modified']:,.0f} | {r['new']:,.0f} | {r['changed']:,.0f} | "
            f"{r['wall']:.1f} | {r['elapsed']:.1f} | {rate * 60:,.0f} | {ratio} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
