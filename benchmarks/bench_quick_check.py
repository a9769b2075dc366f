"""What `PRAGMA quick_check` costs by SQLite file size (why `db upgrade`/`db status` run it, not every open).

A policywatch schema filled with measure rows of 300 random CJK characters (text + norm_text +
hash, the largest table), grown in steps; at each step the median of 3 quick_checks in a fresh
connection. Environment: BENCH_QC_ROWS (default 300000, about 630 MB), BENCH_QC_DIR (default a
temporary folder).
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

ROWS = int(os.environ.get("BENCH_QC_ROWS", "300000"))
CJK = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def main() -> None:
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
    print(f"{'file MB':>8}  {'rows':>7}  quick_check (median of 3)")
    for target in steps:
        while done < target:
            n = min(5000, target - done)
            rows = []
            for i in range(done, done + n):
                text = "".join(random.choices(CJK, k=300))
                rows.append((1, i, f"1.{i}", "1.", "", text, text, f"{random.getrandbits(128):032x}"))
            c.executemany(
                "insert into measure(version_id, ordinal, path, label, heading, text, norm_text, hash)"
                " values (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            c.commit()
            done += n
        times = []
        for _ in range(3):
            check = sqlite3.connect(path)
            t = time.perf_counter()
            assert check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            times.append(time.perf_counter() - t)
            check.close()
        print(f"{path.stat().st_size / 1e6:8.1f}  {done:7d}  {statistics.median(times) * 1000:8.0f} ms", flush=True)
    c.close()


if __name__ == "__main__":
    main()
