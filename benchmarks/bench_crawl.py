"""The crawler end to end: `scrapy crawl` subprocesses against the demo portal on loopback.

N generated gkmlpt notices (ten measures each, 25 to a list page, static index_N pagination)
are crawled five ways, each a fresh subprocess:

- bare Scrapy: a minimal spider that only downloads the same pages (benchmarks/bare_spider.py,
  Scrapy defaults) -- the baseline the issue asks for;
- fetch only: our spider with the storage pipeline switched off (the HTTP cache and our
  middlewares still on), to show where the difference goes;
- first crawl: every page normalized and stored as a new document;
- recrawl, nothing changed: every detail page revalidated (If-None-Match -> 304), no writes;
  the revalidation pre-check answers it without starting Scrapy (its crawl s is the pre-check's);
- recrawl, 10 % changed: one measure reworded on every tenth page (normalize + compare + store
  for those, 304 for the rest).

Politeness is off (no delay, no AutoThrottle, 16 concurrent requests): this measures our code,
not the one-page-a-second ceiling a real government site gets (research/engineering.md §1.2).

Environment: BENCH_CRAWL_PAGES (default 2000), BENCH_CRAWL_ROUNDS (default 3; the VM's timings
wander by +-20% from run to run, so one run of each proves little).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C

PAGES = int(os.environ.get("BENCH_CRAWL_PAGES", "2000"))
ROUNDS = int(os.environ.get("BENCH_CRAWL_ROUNDS", "3"))
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
    out = {
        "wall": wall,
        "elapsed": _stat(log, "elapsed_time_seconds"),
        "items": _stat(log, "item_scraped_count"),
        "not_modified": _stat(log, "policywatch/not_modified"),
        "changed": float((run.outcomes or {}).get("changed", 0)),
        "new": float((run.outcomes or {}).get("new", 0)),
        "writers": _stat(log, "policywatch/writers"),
    }
    return out if SCRAPY_RAN in log else {**out, **precheck_figures(run)}


SCRAPY_RAN = "[scrapy.core.engine]"  # a run the revalidation pre-check recorded has no Scrapy log


def precheck_figures(run) -> dict[str, float]:
    """A run the revalidation pre-check recorded without Scrapy: its pages are its 304s, its crawl
    time the pre-check's (crawler.revalidate), from the SiteRun; it has no Scrapy stats to read."""
    return {"elapsed": run.seconds, "items": float(run.pages), "not_modified": float(run.not_modified)}


def _bare(portal: Portal, extra: tuple[str, ...] = ()) -> dict[str, float]:
    spider = Path(__file__).with_name("bare_spider.py")
    cmd = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"start={portal.url(C.BULK_LIST)}"]
    for item in (*SETTINGS, *extra):
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
        "writers": 0.0,
    }


def _cpu_seconds() -> float:
    """CPU time of the whole machine so far (every process: portal, Scrapy, writers)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(v) for v in fields) - int(fields[3]) - int(fields[4])  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:  # the parent pid is the 2nd field after the ")" closing the command name
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree_pss_mb() -> float:
    """Memory of every process this one started (Scrapy, its writers), as summed PSS: shared
    library pages are split among the processes sharing them, not counted once per process."""
    kids, total = _children(), 0
    todo = list(kids.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total / 1024


class _PeakMemory:
    """The largest _tree_pss_mb() seen while the block runs, sampled every 50 ms in a thread."""

    def __enter__(self) -> _PeakMemory:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, _tree_pss_mb())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _measured(fn, *args) -> dict[str, float]:
    before = _cpu_seconds()
    with _PeakMemory() as memory:
        result = fn(*args)
    result["cpu"] = _cpu_seconds() - before
    result["memory"] = memory.peak
    return result


def _round(portal: Portal, base: Path) -> list[tuple[str, dict[str, float]]]:
    """One run of each kind, in a fresh directory (database, HTTP cache) and portal state 1."""
    portal.state = 1
    db_url = f"sqlite:///{base / 'bench.db'}"
    (base / "fetch").mkdir()
    fetch_db = f"sqlite:///{base / 'fetch.db'}"
    fetch_cfg = _config(portal, base / "fetch" / "policywatch.toml", fetch_db)
    cfg = _config(portal, base / "policywatch.toml", db_url)
    rows = [(BARE, _measured(_bare, portal))]
    rows.append(("fetch only (storage pipeline off)", _measured(_crawl, fetch_cfg, fetch_db, ("ITEM_PIPELINES={}",))))
    rows.append((FIRST, _measured(_crawl, cfg, db_url)))
    rows.append((RECRAWL, _measured(_crawl, cfg, db_url)))
    portal.state = 2
    rows.append(("recrawl, 10 % of pages changed", _measured(_crawl, cfg, db_url)))
    return rows


BARE = "bare Scrapy spider, download only (baseline)"
FIRST = "first crawl: normalize + store every page"
RECRAWL = "recrawl, nothing changed (304s)"


POLITE_PAGES = 200
# One request at a time, 20 ms apart: still 50 times the pace a government site allows, slow
# enough that one writer keeps up.
POLITE = ("CONCURRENT_REQUESTS=1", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "DOWNLOAD_DELAY=0.02", "POLICYWATCH_BATCH_SIZE=20")


def _polite() -> list[tuple[str, dict[str, float]]]:
    """Memory of a small site crawled at a polite pace, the operator's everyday case."""
    with Portal(bulk=POLITE_PAGES) as portal, tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'polite.db'}"
        cfg = _config(portal, Path(tmp) / "policywatch.toml", db_url)
        return [
            (BARE, _measured(_bare, portal, POLITE)),
            (FIRST, _measured(_crawl, cfg, db_url, POLITE)),
            (RECRAWL, _measured(_crawl, cfg, db_url, POLITE)),
        ]


def run() -> str:
    rounds: list[list[tuple[str, dict[str, float]]]] = []
    with Portal(bulk=PAGES) as portal:
        for _ in range(ROUNDS):
            with tempfile.TemporaryDirectory() as tmp:
                rounds.append(_round(portal, Path(tmp)))
    return _markdown(rounds) + "\n\n" + _memory_markdown(_polite()) + "\n\n" + browser_markdown(browser_rows())


def _rate(r: dict[str, float]) -> float:
    return r["items"] / r["elapsed"] if r["elapsed"] else 0.0


# (key, format) of each median column, between the run's name and its pages/min and ratio
COLUMNS = (("items", ",.0f"), ("not_modified", ",.0f"), ("new", ",.0f"), ("changed", ",.0f"), ("wall", ".1f"),
           ("elapsed", ".2f"), ("cpu", ".1f"), ("writers", ".0f"), ("memory", ".0f"))


def table_rows(rounds: list[list[tuple[str, dict[str, float]]]], columns: tuple[tuple[str, str], ...]) -> list[str]:
    """One Markdown row a run: the medians over the rounds of `columns`, pages per minute, and the
    ratio to the round's first run (the bare spider), with its range."""
    rows = []
    for i, (name, _) in enumerate(rounds[0]):
        runs = [rnd[i][1] for rnd in rounds]
        ratios = [_rate(rnd[i][1]) / _rate(rnd[0][1]) for rnd in rounds if _rate(rnd[0][1])]
        ratio = f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})" if ratios else "-"
        cells = [format(statistics.median(r[key] for r in runs), fmt) for key, fmt in columns]
        rows.append(f"| {name} | {' | '.join(cells)} | {statistics.median(_rate(r) for r in runs) * 60:,.0f} | {ratio} |")
    return rows


def recrawls_faster(rounds: list[list[tuple[str, dict[str, float]]]], first: str, recrawl: str) -> int:
    """In how many rounds the recrawl took less crawl time than the first crawl."""
    names = [name for name, _ in rounds[0]]
    return sum(
        rnd[names.index(recrawl)][1]["elapsed"] < rnd[names.index(first)][1]["elapsed"] for rnd in rounds
    )


def _markdown(rounds: list[list[tuple[str, dict[str, float]]]]) -> str:
    names = [name for name, _ in rounds[0]]
    lines = [
        "## Crawler: end to end against the demo portal",
        "",
        f"Command: `python -m benchmarks.run crawl` (BENCH_CRAWL_PAGES={PAGES}, BENCH_CRAWL_ROUNDS={ROUNDS}). "
        f"{PAGES:,} generated gkmlpt notices (~2.5 KB, ten measures each, 25 per list page) served by "
        "policywatch/demo/portal on 127.0.0.1 (a threaded http.server on the same cores, keep-alive, TCP_NODELAY); "
        "each run is one `scrapy crawl` subprocess as `policywatch crawl` starts it (the bare spider by "
        "`scrapy runspider`), SQLite database, politeness off. Each round runs the five kinds in turn, in a "
        "fresh directory; the table gives medians over the rounds. *crawl s* is Scrapy's elapsed time "
        "(spider open to close, including the writers draining their last batch); *wall s* adds process "
        "start-up; *CPU s* is the whole machine's CPU time during the run (portal, Scrapy and writers). The "
        "ratio compares detail pages per minute with the bare Scrapy spider of the same round (median, "
        "with the range over the rounds). *writers* and *peak MB*: the writer processes the crawl started "
        "and the largest summed PSS of its processes (see below). Aims: first crawl at least 0.8x; a recrawl of the unchanged portal "
        "faster than the first crawl, with no new version.",
        "",
        "| run | detail pages | 304s | new | changed | wall s | crawl s | CPU s | writers | peak MB "
        "| pages/min | vs bare Scrapy (range) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += table_rows(rounds, COLUMNS)
    faster = recrawls_faster(rounds, FIRST, RECRAWL)
    recrawl = [rnd[names.index(RECRAWL)][1] for rnd in rounds]
    lines += [
        "",
        f"Recrawl of the unchanged portal faster than the first crawl in {faster} of {len(rounds)} rounds; "
        f"new versions written by it: {sum(int(r['new'] + r['changed']) for r in recrawl)}.",
    ]
    return "\n".join(lines)


def _memory_markdown(rows: list[tuple[str, dict[str, float]]]) -> str:
    bare = rows[0][1]["memory"]
    lines = [
        "### Memory at a polite pace",
        "",
        f"The same command; {POLITE_PAGES} generated notices crawled with {', '.join(POLITE)}. *peak MB* "
        "is the largest sum of PSS (proportional set size: a shared library page is split among the "
        "processes sharing it) over every process the crawl started, sampled every 50 ms from "
        "/proc/PID/smaps_rollup: the Scrapy process, its writer processes and multiprocessing's "
        "resource tracker. *writers* is how many writer processes the crawl started (its "
        "`policywatch/writers` stat): the pipeline starts a second only when the first falls behind. "
        "For reference, research/peers.md measured, on its own machine, max RSS at 200 unchanged pages: "
        "urlwatch ~50 MB, changedetection.io ~136 MB (server), webchanges ~218 MB.",
        "",
        "| run | detail pages | 304s | new | crawl s | writers | peak MB | vs bare Scrapy |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['items']:,.0f} | {r['not_modified']:,.0f} | {r['new']:,.0f} | {r['elapsed']:.2f} | "
            f"{r['writers']:.0f} | {r['memory']:.0f} | {r['memory'] / bare:.2f}x |"
        )
    return "\n".join(lines)


# -- render = "browser" (crawler/browser.py), reported on its own ------------------------------

BROWSER_PAGES = int(os.environ.get("BENCH_BROWSER_PAGES", "100"))
# The project's per-site concurrency (2) and no delay: what the browser costs, not the politeness.
BROWSER = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "POLICYWATCH_BATCH_SIZE=20", "LOG_LEVEL=INFO")
BROWSER_RUNS = (
    ("plain HTTP (render = \"http\")", ""),
    ("render = \"browser\": list pages in Chromium", 'render = "browser"\n'),
    ("render = \"browser\", render_details = true: every page", 'render = "browser"\nrender_details = true\n'),
)


def browser_rows() -> list[tuple[str, dict[str, float]]]:
    """The same small site crawled plain, with its lists rendered, and with every page rendered;
    a fresh database and cache each time (a rendered page is never revalidated anyway)."""
    rows = []
    with Portal(bulk=BROWSER_PAGES) as portal:
        for name, render in BROWSER_RUNS:
            with tempfile.TemporaryDirectory() as tmp:
                db_url = f"sqlite:///{Path(tmp) / 'browser.db'}"
                cfg = _config(portal, Path(tmp) / "policywatch.toml", db_url)
                cfg.write_text(cfg.read_text(encoding="utf-8") + render, encoding="utf-8")
                result = _measured(_crawl, cfg, db_url, BROWSER)
                log = next(Path(tmp).glob(".policywatch/logs/*.log")).read_text()
                result["responses"] = _stat(log, "response_received_count")
                result["browsers"] = _stat(log, "playwright/browser_count")
                rows.append((name, result))
    return rows


def browser_markdown(rows: list[tuple[str, dict[str, float]]]) -> str:
    plain = rows[0][1]
    lines = [
        "### A browser-rendered site (render = \"browser\")",
        "",
        f"Command: `python -m benchmarks.run crawl` (this table alone: `python -c 'from benchmarks.bench_crawl "
        f"import *; print(browser_markdown(browser_rows()))'`, BENCH_BROWSER_PAGES={BROWSER_PAGES}). "
        f"{BROWSER_PAGES} generated notices (25 per list page) crawled three ways with {', '.join(BROWSER)} and the "
        "default two requests at a time per site, each a fresh `scrapy crawl` subprocess, fresh database: plain "
        "HTTP; list pages rendered in Debian's /usr/bin/chromium through scrapy-playwright (detail pages "
        "still plain HTTP); every page rendered. *pages* counts every response (robots.txt, list and detail "
        "pages); *pages/min* is pages over Scrapy's elapsed time; *peak MB* is the largest summed PSS of "
        "every process the crawl started (Scrapy, writers, Playwright's driver and Chromium's processes), "
        "sampled every 50 ms.",
        "",
        "| run | detail pages | pages | browsers | wall s | crawl s | CPU s | pages/min | vs plain | peak MB | vs plain |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def rate(r: dict[str, float]) -> float:
        return r["responses"] / r["elapsed"] * 60 if r["elapsed"] else 0.0

    for name, r in rows:
        lines.append(
            f"| {name} | {r['items']:,.0f} | {r['responses']:,.0f} | {r['browsers']:.0f} | {r['wall']:.1f} | "
            f"{r['elapsed']:.2f} | {r['cpu']:.1f} | {rate(r):,.0f} | {rate(r) / rate(plain):.2f}x | "
            f"{r['memory']:.0f} | {r['memory'] / plain['memory']:.2f}x |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
