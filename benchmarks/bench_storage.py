"""Version-history storage on SQLite and PostgreSQL: record throughput, size, query latency.

A synthetic history of N documents x 5 versions. Each document has 8 measures of ~80
characters in 2 sections; every new version edits one measure, so each changed page runs the
real `compare` and stores one `modified` change. Pages are recorded through `record_pages`
in batches of 200 (what the crawler's buffered pipeline does), with the Document handed over
already normalized: this measures storage + compare, not the normalizer (see bench_normalize).
Raw bytes are a ~2 KB HTML rendering of the document, zlib-compressed as in production.

Environment: BENCH_STORAGE_DOCS (default 10000; above 10,000, PostgreSQL is also run at that
size after both backends at 10,000, with the growth of every figure: the issue's 100,000 x 5
takes hours), POLICYWATCH_BENCH_PG (default the test server at 127.0.0.1:5432/test; the run
uses its own schema and drops it). Search through the index against the scan: storage_search.
"""

from __future__ import annotations

import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from pipeline.schema import Document, Measure, Section
from pipeline.text import norm_text, text_hash

DOCS = int(os.environ.get("BENCH_STORAGE_DOCS", "10000"))
"""The issue's size. Recording costs a few ms of Python per page, so 10,000 x 5 on two backends
takes ~15 minutes; BENCH_STORAGE_DOCS=1000 gives a quick look."""
BASE_DOCS = min(DOCS, 10000)  # both backends; a larger DOCS adds PostgreSQL at that size
VERSIONS = 5
BATCH = 200
QUERY_RUNS = 21
PG_URL = os.environ.get("POLICYWATCH_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 1, 1)

_WORDS = [
    "加强",
    "统筹",
    "推进",
    "完善",
    "机制",
    "建立",
    "健全",
    "制度",
    "落实",
    "责任",
    "各级",
    "人民政府",
    "有关部门",
    "应当",
    "依法",
    "履行",
    "职责",
    "优化",
    "营商",
    "环境",
    "支持",
    "企业",
    "创新",
    "发展",
    "加快",
    "数字",
    "经济",
    "建设",
    "保障",
    "民生",
    "住房",
    "公积金",
    "医疗",
    "教育",
    "就业",
    "社会",
    "保险",
    "财政",
    "资金",
    "监督",
    "管理",
    "考核",
    "评价",
    "安全",
    "生产",
    "生态",
    "环境",
    "保护",
    "乡村",
    "振兴",
    "城市",
    "更新",
    "人才",
]


def _sentence(rng: random.Random, n: int = 26) -> str:
    return "".join(rng.choice(_WORDS) for _ in range(n)) + "。"


def _document(i: int, version: int) -> Document:
    rng = random.Random(i)
    texts = [_sentence(rng) for _ in range(8)]
    if version > 1:  # version k edits measure k-1: one modified measure per new version
        for k in range(2, version + 1):
            texts[k - 2] = texts[k - 2][:-1] + f"，并于第{k}次修订时增加{_WORDS[(i + k) % len(_WORDS)]}要求。"
    sections = []
    for s in range(2):
        sec = Section(
            label=f"{'一二'[s]}、", ordinal=s + 1, level=1, path=str(s + 1), title=_sentence(rng, 4)
        )
        for m in range(4):
            text = texts[s * 4 + m]
            norm = norm_text(text)
            sec.measures.append(
                Measure(
                    label=f"{m + 1}.",
                    path=f"{s + 1}.{m + 1}",
                    text=text,
                    norm_text=norm,
                    hash=text_hash(norm),
                )
            )
        sections.append(sec)
    return Document(
        url=_url(i),
        title=f"关于印发第{i}号试点工作方案的通知",
        doc_number=f"试办〔2025〕{i}号",
        publisher="试点办公室",
        published_date="2025-01-01",
        sections=sections,
    )


def _url(i: int) -> str:
    return f"http://bench{i % 20}.gov.cn/zwgk/content/post_{i}.html"


def _html(doc: Document) -> bytes:
    parts = [f"<html><head><title>{doc.title}</title></head><body><div class='nav'>首页 政务公开</div>"]
    parts.append(f"<h1>{doc.title}</h1><p>{doc.doc_number}</p>")
    for s in doc.sections:
        parts.append(f"<h2>{s.label}{s.title}</h2>")
        parts += [f"<p>{m.label}{m.text}</p>" for m in s.measures]
    parts.append("<div class='footer'>主办单位：试点办公室 网站标识码 4401060050</div></body></html>")
    return "".join(parts).encode("utf-8")


def _pages(version: int, fetched_at: datetime, docs: int | None = None):
    from policywatch.flow import Page

    for i in range(DOCS if docs is None else docs):
        doc = _document(i, version)
        yield Page(
            url=_url(i),
            body=_html(doc),
            site=f"bench{i % 20}",
            fetched_at=fetched_at + timedelta(seconds=i),
            document=doc,
        )


def _record_round(
    db, version: int, fetched_at: datetime, docs: int | None = None
) -> tuple[float, dict[str, int]]:
    from policywatch.flow import record_pages

    outcomes: dict[str, int] = {}
    pages = list(_pages(version, fetched_at, docs))  # built before the clock starts: not storage work
    start = time.perf_counter()
    for k in range(0, len(pages), BATCH):
        for r in record_pages(db, pages[k : k + BATCH], on_changes=None):
            name = type(r).__name__ if isinstance(r, Exception) else r.outcome
            outcomes[name] = outcomes.get(name, 0) + 1
    return time.perf_counter() - start, outcomes


def build_history(db, docs: int | None = None) -> None:
    """The synthetic history of this benchmark in a migrated database: `docs` (default DOCS)
    documents x VERSIONS versions, version v recorded on day v-1 after T0 (reused by bench_web)."""
    for v in range(1, VERSIONS + 1):
        _record_round(db, v, T0 + timedelta(days=v - 1), docs)


def _median_ms(fn: Callable[[int], object], rng: random.Random, docs: int) -> float:
    times = []
    for _ in range(QUERY_RUNS):
        arg = rng.randrange(docs)
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _latencies(db, docs: int) -> dict[str, float]:
    from storage.read import common as common_read
    from storage.read import history as history_read
    from storage.read import search as search_read

    rng = random.Random(7)
    out = {}
    with db.reader() as s:

        def history(i: int) -> object:
            return history_read.history(s, history_read.resolve_document(s, _url(i)))

        def show(i: int) -> object:
            when = common_read.parse_date(f"2025-01-{2 + i % 4:02d}")  # a day in the middle of the history
            return history_read.show(s, history_read.resolve_document(s, _url(i)), when)

        def search(i: int) -> object:
            return search_read.search(s, f"第{2 + i % 4}次修订时增加", limit=100)

        def search_all(i: int) -> object:
            return search_read.search(
                s, _WORDS[i % len(_WORDS)] + _WORDS[(i + 3) % len(_WORDS)], all_versions=True
            )

        for name, fn in (
            ("history", history),
            ("show --as-of", show),
            ("search", search),
            ("search --all-versions", search_all),
        ):
            out[name] = _median_ms(fn, rng, docs)
    return out


def _raw_sizes(db) -> tuple[float, float]:
    """Mean raw page size as fetched and as stored (zlib)."""
    from sqlalchemy import func, select

    from storage.models import Version

    with db.reader() as s:
        raw, stored = s.execute(select(func.avg(Version.raw_size), func.avg(func.length(Version.raw)))).one()
    return float(raw), float(stored)


def _size_bytes(db) -> int:
    from sqlalchemy import text

    from storage.db import sqlite_file

    path = sqlite_file(db.url)
    if path is not None:
        import sqlite3

        db.dispose()  # fold the WAL into the file so that its size is the database's size
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return path.stat().st_size
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            ).scalar()
        )


def _bench(url: str, docs: int) -> dict[str, object]:
    from benchmarks import storage_search
    from storage import migrate
    from storage.db import connect

    db = connect(url)
    migrate.upgrade(db)
    result: dict[str, object] = {}
    new_s, _ = _record_round(db, 1, T0, docs)
    changed_s, changed_n = 0.0, 0
    for v in range(2, VERSIONS + 1):
        secs, outcomes = _record_round(db, v, T0 + timedelta(days=v - 1), docs)
        changed_s += secs
        changed_n += outcomes.get("changed", 0)
        assert outcomes.get("changed") == docs, outcomes
    unchanged_s, outcomes = _record_round(db, VERSIONS, T0 + timedelta(days=VERSIONS + 1), docs)
    assert outcomes.get("unchanged") == docs, outcomes
    result["new"] = docs / new_s
    result["changed"] = changed_n / changed_s
    result["unchanged"] = docs / unchanged_s
    if db.engine.dialect.name == "postgresql":  # fresh statistics, as autovacuum would have them
        with db.writer_engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    result["latency"] = _latencies(db, docs)
    result["search"] = storage_search.latencies(db, docs)
    result["raw"], result["raw_stored"] = _raw_sizes(db)
    size = _size_bytes(db)
    result["size_per_version"] = size / (docs * VERSIONS)
    result["size_total"] = size
    db.dispose()
    return result


def _pg_schema() -> tuple[str, Callable[[], None]] | None:
    try:
        import psycopg

        schema = f"pwbench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    except Exception:
        return None

    def drop() -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}", drop


PG = "PostgreSQL 15 (loopback)"


def _pg_bench(docs: int) -> dict[str, object] | str:
    pg = _pg_schema()
    if pg is None:
        return f"skipped: no server at {PG_URL}"
    url, drop = pg
    try:
        return _bench(url, docs)
    finally:
        drop()


def run() -> str:
    from benchmarks import storage_search

    results: dict[str, dict[str, object] | str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite (WAL)"] = _bench(f"sqlite:///{Path(tmp) / 'bench.db'}", BASE_DOCS)
    results[PG] = _pg_bench(BASE_DOCS)
    out = _markdown(results) + "\n" + storage_search.markdown(results) + "\n"
    if DOCS > BASE_DOCS and not isinstance(results[PG], str):
        large = _pg_bench(DOCS)
        if not isinstance(large, str):
            out += "\n" + storage_search.markdown({f"{PG}, {DOCS:,} documents": large}) + "\n"
            out += "\n" + storage_search.growth_markdown(results[PG], large, BASE_DOCS, DOCS) + "\n"
    return out


def _markdown(results: dict[str, dict[str, object] | str]) -> str:
    lines = [
        "## Storage: version history (SQLite and PostgreSQL)",
        "",
        "Command: `python -m benchmarks.run storage`. "
        f"Synthetic history: {BASE_DOCS:,} documents x {VERSIONS} versions (8 measures each; every new "
        "version edits one measure), recorded in batches of 200 pages per transaction with the "
        "real `compare`; documents handed over already normalized, so normalizer time is excluded. "
        f"Latency: median of {QUERY_RUNS} runs of the query function in-process (no CLI start-up), "
        "random documents.",
        "",
        "| backend | new pages/s | changed pages/s | unchanged pages/s | bytes per stored version | total size | "
        "history ms | show --as-of ms | search ms | search --all-versions ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        if isinstance(r, str):
            lines.append(f"| {name} | {r} |||||||||")
            continue
        lat = r["latency"]
        lines.append(
            f"| {name} | {r['new']:,.0f} | {r['changed']:,.0f} | {r['unchanged']:,.0f} | "
            f"{r['size_per_version']:,.0f} | {r['size_total'] / 2**20:,.0f} MiB | "
            f"{lat['history']:.1f} | {lat['show --as-of']:.1f} | {lat['search']:.1f} | "
            f"{lat['search --all-versions']:.1f} |"
        )
    sizes = [
        f"{name}: {r['raw'] / 1024:.1f} KiB -> {r['raw_stored'] / 1024:.1f} KiB"
        for name, r in results.items()
        if not isinstance(r, str)
    ]
    lines += [
        "",
        f"A stored version holds the zlib-compressed raw page (mean raw page as fetched -> stored: "
        f"{'; '.join(sizes)}), the normalized schema as JSON, 8 measure rows (text and norm_text) "
        "and its change rows and the search index (FTS5 trigram / on PostgreSQL the distinct texts and their pg_trgm GIN); sizes include indexes. "
        "*search* and *search --all-versions*: `storage.read.search.search` (through the index, the next table).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(run())
