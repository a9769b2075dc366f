"""What `PRAGMA quick_check` costs by SQLite file size (why `db upgrade`/`db status` run it, not every open).

A policywatch schema filled with measure rows of 300 random CJK characters (text + norm_text +
hash, the largest table), grown in steps; at each step the median of 3 quick_checks in a fresh
connection, against the baseline of reading the same file's bytes (warm page cache, same step).
Environment: BENCH_QC_ROWS (default 100000, about 580 MB with the search index), BENCH_QC_DIR (default a temporary
folder).
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from storage import migrate
from storage.db import connect

ROWS = int(os.environ.get("BENCH_QC_ROWS", "100000"))
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def run() -> str:
    folder = Path(os.environ.get("BENCH_QC_DIR") or tempfile.mkdtemp(prefix="pwqc"))
    path = folder / "pw.db"
    path.unlink(missing_ok=True)
    db = connect(str(path))
    migrate.upgrade(db)
    db.dispose()
    c = sqlite3.connect(path)
    c.execute("insert into site(id, name, created_at) values (1, 's', '2024-01-01')")
    c.execute(
        "insert into document(id, site_id, canonical_url, doc_number, doc_number_key, publisher, title, status,"
        " first_seen, last_seen) values (1, 1, 'u', '', '', '', 't', 'active', '2024-01-01', '2024-01-01')"
    )
    c.execute(
        "insert into version(id, document_id, seq, content_hash, first_seen, last_seen, fetch_count, url,"
        " raw_size, normalized, title, doc_number, published_date, filename)"
        " values (1, 1, 1, 'h', '2024-01-01', '2024-01-01', 1, 'u', 0, '{}', '', '', '', '')"
    )
    steps = sorted({ROWS // 30, ROWS // 10, ROWS // 4, ROWS // 2, ROWS})
    done = 0
    rows_out = []
    for target in steps:
        while done < target:
            n = min(5000, target - done)
            rows = []
            for i in range(done, done + n):
                text = "".join(random.choices(CJK, k=300))
                rows.append((1, i, f"1.{i}", "1.", "", text, text, f"{random.getrandbits(128):032x}"))
            first = c.execute("select coalesce(max(id), 0) + 1 from measure").fetchone()[0]
            c.executemany(
                "insert into measure(version_id, ordinal, path, label, heading, text, norm_text, hash)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            # into the search index as the writers put a batch there (storage.fts_index.index_measures)
            c.execute("insert into measure_fts(rowid, norm_text) select id, norm_text from measure where id >= ?", (first,))
            c.commit()
            done += n
        checks, reads = [], []
        for _ in range(3):
            t = time.perf_counter()
            path.read_bytes()
            reads.append(time.perf_counter() - t)
            check = sqlite3.connect(path)
            t = time.perf_counter()
            assert check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            checks.append(time.perf_counter() - t)
            check.close()
        mb = path.stat().st_size / 1e6
        qc, read = statistics.median(checks) * 1000, statistics.median(reads) * 1000
        rows_out.append(f"| {mb:,.1f} | {done:,} | {qc:,.0f} | {qc / mb:.2f} | {read:,.0f} | {qc / read:.1f}x |")
        print(rows_out[-1], flush=True)
    c.close()
    path.unlink(missing_ok=True)
    return "\n".join(
        [
            "## `PRAGMA quick_check` by SQLite file size",
            "",
            f"Command: `python -m benchmarks.run quick_check` (BENCH_QC_ROWS={ROWS:,}): measure rows of 300 random CJK "
            "characters in a migrated schema (search index included), grown in steps; medians of 3, each in a fresh "
            "connection; baseline: reading the same file's bytes, same step. Why `db upgrade` and `db status` run it "
            "and an ordinary open does not.",
            "",
            "| file MB | measure rows | quick_check ms | ms per MB | read the file, ms | ratio to the read |",
            "|---:|---:|---:|---:|---:|---:|",
            *rows_out,
        ]
    )


if __name__ == "__main__":
    print(run())
