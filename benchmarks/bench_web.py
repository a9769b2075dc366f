"""Web UI and JSON API latency on the 10,000-document x 5-version history of bench_storage.

Every page and endpoint is requested through a real HTTP server (waitress, 4 threads, on
loopback, one keep-alive client connection) against the read-only SQLite database; the
baselines, measured in the same run, are (a) the page's own query functions called in-process
on a read-only session (what the page cannot avoid) and (b) the static stylesheet served by the
same server (what HTTP + WSGI cost with no database at all).

The database takes minutes to build: it is cached under $TMPDIR/policywatch-bench-web-<docs>/
and reused; BENCH_WEB_DB=path uses an existing one (it is migrated to this build's schema);
BENCH_WEB_DOCS sets the size (default 10000).
"""

from __future__ import annotations

import http.client
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

DOCS = int(os.environ.get("BENCH_WEB_DOCS", "10000"))
RUNS = 41
WARMUP = 3
SITES = 20  # bench_storage spreads documents over bench0..bench19


def database() -> tuple[Path, float | None]:
    """The benchmark database (built once and cached); returns its path and build seconds."""
    from benchmarks import bench_storage
    from storage import migrate
    from storage.db import connect

    given = os.environ.get("BENCH_WEB_DB")
    if given:
        path = Path(given)
        built = None
    else:
        path = Path(tempfile.gettempdir()) / f"policywatch-bench-web-{DOCS}" / "bench.db"
        built = None
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name("building.db")
            for leftover in (tmp, tmp.with_name("building.db-wal"), tmp.with_name("building.db-shm")):
                leftover.unlink(missing_ok=True)
            db = connect(str(tmp))
            migrate.upgrade(db)
            start = time.perf_counter()
            bench_storage.build_history(db, DOCS)
            built = time.perf_counter() - start
            db.dispose()
            import sqlite3

            with sqlite3.connect(tmp) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            os.replace(tmp, path)
    db = connect(str(path))
    migrate.upgrade(db)  # a cached database from an older schema
    db.dispose()
    return path, built


def _time(fn: Callable[[], object]) -> list[float]:
    for _ in range(WARMUP):
        fn()
    out = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, round(0.95 * len(xs)) - 1)]


def _cases(rng: random.Random):
    """(name, path maker, baseline name, baseline maker(session) or None); makers take a run index."""
    from policywatch.web import views
    from storage.models import Document
    from storage.read import common as common_read
    from storage.read import feed as feed_read
    from storage.read import history as history_read
    from storage.read import search as search_read
    from storage.read import sites as sites_read

    doc_ids = [rng.randint(1, DOCS) for _ in range(RUNS + WARMUP)]
    sites = [f"bench{rng.randrange(SITES)}" for _ in range(RUNS + WARMUP)]
    phrase = [f"第{2 + k % 4}次修订时增加" for k in range(RUNS + WARMUP)]
    miss = "没有这个短语"

    def doc(s, i):
        return s.get(Document, doc_ids[i])

    def site_page(s, i):  # what GET /sites/NAME queries, the site looked up once as the page does
        row = sites_read.site_by_name(s, sites[i])
        return (sites_read.sites_overview(s, row.id), sites_read.site_documents(s, row, limit=51),
                feed_read.changes_feed(s, site=sites[i], limit=10), views.weekly(s, site=sites[i]))

    return [
        ("GET / (sites; its chart is the weekly.svg row)", lambda i: "/", "sites_overview",
         lambda s, i: sites_read.sites_overview(s)),
        ("GET /sites/NAME", lambda i: f"/sites/{sites[i]}", "site_documents + overview + feed + weekly", site_page),
        ("GET /changes", lambda i: "/changes", "changes_feed(51)", lambda s, i: feed_read.changes_feed(s, limit=51)),
        ("GET /changes?site&kind&since", lambda i: f"/changes?site={sites[i]}&kind=modified&since=2025-01-03",
         "changes_feed(filtered)",
         lambda s, i: feed_read.changes_feed(s, site=sites[i], kinds=["modified"],
                                           since=common_read.parse_date("2025-01-03"), limit=51)),
        ("GET /changes?page=100", lambda i: "/changes?page=100", "changes_feed(offset 4950)",
         lambda s, i: feed_read.changes_feed(s, offset=4950, limit=51)),
        ("GET /search?q=(common phrase)", lambda i: "/search?q=" + quote(phrase[i]), "search_page",
         lambda s, i: search_read.search(s, phrase[i], limit=51)),
        ("GET /search?q=(no match)", lambda i: "/search?q=" + quote(miss), "search_page",
         lambda s, i: search_read.search(s, miss, limit=51)),
        ("GET /documents/ID", lambda i: f"/documents/{doc_ids[i]}", "history + show",
         lambda s, i: (history_read.history(s, doc(s, i)), history_read.show(s, doc(s, i)))),
        ("GET /documents/ID/diff (v4→v5, stored)", lambda i: f"/documents/{doc_ids[i]}/diff", "diff",
         lambda s, i: history_read.diff(s, doc(s, i), None, None)),
        ("GET /documents/ID/diff?from=1&to=5 (compared)", lambda i: f"/documents/{doc_ids[i]}/diff?from=1&to=5",
         "diff(1, 5)", lambda s, i: history_read.diff(s, doc(s, i), "1", "5")),
        ("GET /chart", lambda i: "/chart", "weekly", lambda s, i: views.weekly(s)),
        ("GET /api/sites", lambda i: "/api/sites", "sites_overview", lambda s, i: sites_read.sites_overview(s)),
        ("GET /api/changes", lambda i: "/api/changes", "changes_feed(51)", lambda s, i: feed_read.changes_feed(s, limit=51)),
        ("GET /api/search?q=", lambda i: "/api/search?q=" + quote(phrase[i]), "search_page",
         lambda s, i: search_read.search(s, phrase[i], limit=51)),
        ("GET /api/documents/ID", lambda i: f"/api/documents/{doc_ids[i]}", "history + show",
         lambda s, i: (history_read.history(s, doc(s, i)), history_read.show(s, doc(s, i)))),
        ("GET /api/documents/ID/diff", lambda i: f"/api/documents/{doc_ids[i]}/diff", "diff",
         lambda s, i: history_read.diff(s, doc(s, i), None, None)),
        ("GET /api/stats/weekly", lambda i: "/api/stats/weekly", "weekly", lambda s, i: views.weekly(s)),
        ("GET /feeds/changes.atom", lambda i: "/feeds/changes.atom", "changes_feed(50)",
         lambda s, i: feed_read.changes_feed(s, limit=50)),
        ("GET /feeds/sites/NAME.atom", lambda i: f"/feeds/sites/{sites[i]}.atom", "changes_feed(site, 50)",
         lambda s, i: feed_read.changes_feed(s, site=sites[i], limit=50)),
        ("GET /charts/weekly.svg", lambda i: "/charts/weekly.svg", "weekly", lambda s, i: views.weekly(s)),
        ("GET /api/openapi.json", lambda i: "/api/openapi.json", None, None),
        ("GET /static/style.css", lambda i: "/static/style.css", None, None),
    ]


def _measure(db_path: Path) -> list[dict[str, object]]:
    from policywatch.web.app import create_app
    from policywatch.web.server import background

    app = create_app(str(db_path))
    db = app.extensions["policywatch_db"]
    rows = []
    with background(app) as base, app.app_context():
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        rng = random.Random(7)
        for name, path, base_name, base_fn in _cases(rng):
            counter = iter(range(RUNS + WARMUP))

            def get(path=path, counter=counter, name=name) -> None:
                conn.request("GET", path(next(counter)))
                r = conn.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError(f"{name}: HTTP {r.status}")

            page = _time(get)
            baseline = None
            if base_fn is not None:
                bcounter = iter(range(RUNS + WARMUP))
                with db.reader() as s:
                    baseline = _time(lambda s=s, base_fn=base_fn, bcounter=bcounter: base_fn(s, next(bcounter)))
            rows.append({"name": name, "page": page, "base_name": base_name, "baseline": baseline})
        conn.close()
    db.dispose()
    return rows


def run() -> str:
    path, built = database()
    rows = _measure(path)
    static = next(r for r in rows if r["name"] == "GET /static/style.css")
    static_ms = statistics.median(static["page"])
    lines = [
        "## Web UI and JSON API (`policywatch serve`)",
        "",
        f"Command: `python -m benchmarks.run web`. The bench_storage history: {DOCS:,} documents x 5 versions "
        f"(50,000 versions, 400,000 measures, {DOCS * 5:,} change rows) in SQLite, opened read-only. Each row: "
        f"{RUNS} sequential requests after {WARMUP} warm-ups over one keep-alive connection to waitress on "
        "127.0.0.1 (random document ids and sites); baseline: the page's query functions in-process on a "
        "read-only session, same run. The static stylesheet shows the server's own floor "
        f"({static_ms:.1f} ms).",
        "",
        "| endpoint | median ms | p95 ms | baseline (queries in-process) | baseline median ms | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        med, p95 = statistics.median(r["page"]), _p95(r["page"])
        if r["baseline"] is None:
            lines.append(f"| {r['name']} | {med:.1f} | {p95:.1f} | — | — | — |")
            continue
        b = statistics.median(r["baseline"])
        lines.append(f"| {r['name']} | {med:.1f} | {p95:.1f} | {r['base_name']} | {b:.1f} | {med / b:.2f}x |")
    pages = [statistics.median(r["page"]) for r in rows]
    worst = max(rows, key=lambda r: statistics.median(r["page"]))
    lines += [
        "",
        f"Slowest median: {worst['name']} at {max(pages):.1f} ms (aim: under 100 ms per page). "
        + (f"Building the database took {built:.0f} s (cached for later runs)." if built else "Database reused from the cache."),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
