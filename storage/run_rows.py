"""The crawl_run row a runner marks with who runs it and reads back when the crawl has ended.

The runner (`policywatch crawl`, the scheduler) waits on a Scrapy process for the whole crawl;
these are its only statements, and through storage.dbapi they cost it neither SQLAlchemy's
imports nor the ORM's set-up, CPU the crawl and its writer need on a small machine. Rows as
storage.crawl_runs writes them (tests/test_run_rows.py reads both ways). Also the one question the
crawl process asks before Scrapy is imported: whether the site has any document yet
(crawler.launch starts a first crawl's writer early).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from storage.dbapi import Sql, dumps

MARK = "policywatch/run_by"  # stats of a running crawl: who runs it (policywatch.scheduler.settle)

_ROW = """
SELECT crawl_run.id, crawl_run.status, crawl_run.pages, crawl_run.changed, crawl_run.errors, crawl_run.stats
FROM crawl_run JOIN site ON site.id = crawl_run.site_id WHERE site.name = :site AND crawl_run.slot = :slot"""
_MARK = "UPDATE crawl_run SET stats = {stats} WHERE id = :id AND status = 'running'"


@dataclass
class RunRow:
    id: int
    status: str
    pages: int
    changed: int
    errors: int
    stats: dict[str, Any]


def read(db: Sql, site: str, slot: str) -> RunRow | None:
    """The (site, slot) run's row, None while the crawl has not opened it."""
    row = db.execute(_ROW, {"site": site, "slot": slot}).fetchone()
    if row is None:
        return None
    return RunRow(row[0], row[1], row[2], row[3], row[4], db.json_out(row[5]) or {})


def mark(db: Sql, site: str, slot: str, info: dict[str, Any]) -> bool:
    """Write `info` as who runs the (site, slot) crawl while its row is running; False while the
    crawl has not opened the row. The crawl replaces these stats with its own when it closes."""
    row = read(db, site, slot)
    if row is None:
        return False
    if row.status == "running":
        db.execute(_MARK.format(stats=db.json_in()), {"id": row.id, "stats": dumps({MARK: info})})
    return True


def has_documents(db: Sql, site: str) -> bool:
    """Whether the database holds any document of `site` (withdrawn ones included), as
    storage.crawl_runs.document_count counts them; False for a database without the tables."""
    try:
        return db.execute(_DOCUMENTS, {"site": site}).fetchone() is not None
    except db.error:  # a new, empty file: no tables, so no documents
        return False


_DOCUMENTS = "SELECT 1 FROM document JOIN site ON site.id = document.site_id WHERE site.name = :site LIMIT 1"


def run_reason(stats: dict[str, Any] | None) -> str:
    """Why a run ended as it did, in one line: its problems (a failed list page, a listing that
    matches nothing, withdrawals refused), else how Scrapy finished."""
    stats = stats or {}
    problems = [str(p) for p in stats.get("problems") or []]
    return "; ".join(problems) or str(stats.get("finish_reason") or "")


SUMMARY_MARK = "policywatch: the run as it would have been recorded: "


def summary_line(row: RunRow, why: str) -> str:
    """One log line holding the row a crawl could not write (a full disk, say): the runner reads
    it back (read_summary) so the run is still reported as it ended, and why."""
    return SUMMARY_MARK + dumps({"run": asdict(row), "why": why})


def read_summary(log_tail: str, run_id: int) -> tuple[RunRow, str] | None:
    """The row and the why of the last summary_line of run `run_id` in a crawl's log, None when
    it wrote none (a line for another run id is none: a log also quotes what crawled pages say)."""
    at = log_tail.rfind(SUMMARY_MARK)
    if at < 0:
        return None
    line = log_tail[at + len(SUMMARY_MARK) :].split("\n", 1)[0]
    try:
        summary = json.loads(line)
        row = RunRow(**summary["run"])
    except (ValueError, TypeError, KeyError):
        return None
    return (row, str(summary.get("why") or "")) if row.id == run_id else None
