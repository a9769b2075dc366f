"""bench_storage's search figures: the trigram index (storage.search_index) against the scan,
and the growth table of a larger PostgreSQL history (BENCH_STORAGE_DOCS above 10,000)."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from benchmarks import bench_storage as B
from storage import search_index

RUNS = 21


def _rare(i: int) -> str:
    """Eight characters of the one measure no version edits (a few documents share them)."""
    return B._document(i, B.VERSIONS).sections[1].measures[3].norm_text[6:14]


# (name, phrase of document i, all_versions): limit 100 each, as `policywatch search` asks
QUERIES: tuple[tuple[str, Callable[[int], str], bool], ...] = (
    ("common phrase (every document), latest versions", lambda i: f"第{2 + i % 4}次修订时增加", False),
    ("two words, every version", lambda i: B._WORDS[i % len(B._WORDS)] + B._WORDS[(i + 3) % len(B._WORDS)], True),
    ("rare phrase (a few documents)", _rare, False),
    ("phrase found nowhere", lambda i: f"量子通信第{i}号试点", False),
    ("two characters (scanned: below a trigram)", lambda i: B._WORDS[i % 18][:2], False),
)


def _median_ms(fn: Callable[[int], object], picks: list[int]) -> float:
    times = []
    for i in picks:
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def latencies(db, docs: int, *, scan: bool = True) -> dict[str, object]:
    """The index in use, and per query kind: median ms through the index and by the scan (not
    timed if not `scan`), and the rows found; the two must return the same rows (checked on one
    document per kind)."""
    rng = random.Random(14)
    queries: dict[str, dict[str, float]] = {}
    with db.reader() as s:
        kind = search_index.index_kind(s)
        for name, phrase_of, every in QUERIES:
            picks = [rng.randrange(docs) for _ in range(RUNS)]

            def indexed(i: int, every: bool = every, phrase_of: Callable[[int], str] = phrase_of) -> object:
                return search_index.search_page(s, phrase_of(i), all_versions=every, limit=100)

            def scanned(i: int, every: bool = every, phrase_of: Callable[[int], str] = phrase_of) -> object:
                return search_index.scan_page(s, phrase_of(i), all_versions=every, limit=100)

            rows = indexed(picks[0])
            assert rows == scanned(picks[0]), phrase_of(picks[0])
            queries[name] = {
                "index": _median_ms(indexed, picks),
                "scan": _median_ms(scanned, picks) if scan else float("nan"),
                "rows": len(rows),
            }
    return {"kind": kind or "none", "queries": queries}


def markdown(results: dict[str, dict[str, object] | str]) -> str:
    lines = [
        "### Search: the trigram index against the scan",
        "",
        "The same histories. Each kind of phrase is searched "
        f"{RUNS} times (a random document's phrase each time, limit 100, in-process) through "
        "`storage.search_index.search_page` (what `policywatch search`, the web UI and the API call: FTS5 "
        "trigram on SQLite, the pg_trgm GIN index of the distinct texts on PostgreSQL, the scan below three characters) and "
        "through `scan_page` (`LIKE '%phrase%'` with no index, what search did before migration 0006); "
        "median ms. Both return the same rows (checked in the run, and by tests/test_search_index.py).",
        "",
        "| backend | query | rows | index ms | scan ms | scan / index |",
        "|---|---|---|---|---|---|",
    ]
    for backend, r in results.items():
        if isinstance(r, str):
            continue
        for name, v in r["search"]["queries"].items():  # type: ignore[index]
            lines.append(
                f"| {backend} ({r['search']['kind']}) | {name} | {v['rows']:.0f} | {v['index']:.1f} | {v['scan']:.1f} | "
                f"{v['scan'] / v['index']:.1f}x |"
            )
    return "\n".join(lines)


FIGURES = (
    ("new pages/s", lambda r: r["new"]),
    ("changed pages/s", lambda r: r["changed"]),
    ("unchanged pages/s", lambda r: r["unchanged"]),
    ("bytes per stored version", lambda r: r["size_per_version"]),
    ("total size MiB", lambda r: r["size_total"] / 2**20),
    ("history ms", lambda r: r["latency"]["history"]),
    ("show --as-of ms", lambda r: r["latency"]["show --as-of"]),
    ("search ms", lambda r: r["latency"]["search"]),
    ("search --all-versions ms", lambda r: r["latency"]["search --all-versions"]),
)


def growth_markdown(small: dict[str, object], large: dict[str, object], small_docs: int, large_docs: int) -> str:
    lines = [
        f"### PostgreSQL from {small_docs:,} to {large_docs:,} documents",
        "",
        f"Command: `BENCH_STORAGE_DOCS={large_docs} python -m benchmarks.run storage`. The same benchmark on "
        f"PostgreSQL at both sizes in one run; *growth* is the large figure over the small one (x{large_docs / small_docs:g} "
        "the data).",
        "",
        f"| figure | {small_docs:,} docs | {large_docs:,} docs | growth |",
        "|---|---|---|---|",
    ]
    for name, get in FIGURES:
        a, b = get(small), get(large)
        lines.append(f"| {name} | {a:,.1f} | {b:,.1f} | {b / a:.2f}x |")
    for name, v in large["search"]["queries"].items():  # type: ignore[index]
        a = small["search"]["queries"][name]["index"]  # type: ignore[index]
        lines.append(f"| search through the index ms: {name} | {a:.1f} | {v['index']:.1f} | {v['index'] / a:.2f}x |")
    return "\n".join(lines)


def kept_table(sizes: list[tuple[str, str, int]]) -> str:
    """Search figures alone, on kept fills (benchmarks.search_fill): per query kind, the median
    through the index at each (label, url, docs), and the growth from the first PostgreSQL size
    to the last (the scan is run once per kind, for the check of identical rows, not timed)."""
    from benchmarks import search_fill

    found: dict[str, dict[str, object]] = {}
    for label, url, docs in sizes:
        db = search_fill.kept(url, docs)
        try:
            found[label] = latencies(db, docs, scan=False)
        finally:
            db.dispose()
    pg = [label for label, url, _ in sizes if url.startswith("postgresql")]
    head = [f"{label} ms" for label, _, _ in sizes]
    growth = len(pg) > 1
    lines = [
        "| query | " + " | ".join(head) + (f" | growth {pg[0]} -> {pg[-1]} |" if growth else " |"),
        "|---|" + "---|" * (len(head) + growth),
    ]
    for name, _, _ in QUERIES:
        cells = [f"{found[label]['queries'][name]['index']:.1f}" for label, _, _ in sizes]  # type: ignore[index]
        if growth:
            a = found[pg[0]]["queries"][name]["index"]  # type: ignore[index]
            b = found[pg[-1]]["queries"][name]["index"]  # type: ignore[index]
            cells.append(f"{b / a:.2f}x")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    # python -m benchmarks.storage_search LABEL=URL=DOCS ...  (each database kept, filled on first use)
    import sys

    args = sys.argv[1:] or [
        "SQLite 10k=sqlite:////tmp/pwbench_search_10k.db=10000",
        "PG 10k=postgresql://postgres@127.0.0.1:5432/pwbench_search_10k=10000",
        "PG 100k=postgresql://postgres@127.0.0.1:5432/pwbench_search_100k=100000",
    ]
    sizes = []
    for arg in args:
        label, rest = arg.split("=", 1)
        url, docs = rest.rsplit("=", 1)
        sizes.append((label, url, int(docs)))
    print(kept_table(sizes))
