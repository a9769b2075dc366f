"""The crawl_run row a runner reads back, closes for a killed crawl, and marks with who runs it."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from policywatch.scheduler.runner_base import SiteRun

if TYPE_CHECKING:
    from storage.run_rows import RunRow

log = logging.getLogger("policywatch.scheduler")


def read_run(db_url: str, site: str, slot: str, db: Any = None) -> SiteRun:
    """The (site, slot) run as its crawl_run row says, through `db` (an open storage.dbapi.Sql)
    when given, else a connection of its own. "crashed" when there is no row to read, with the
    reason when the database could not be read at all."""
    from storage import run_rows
    from storage.db_file import first_line
    from storage.dbapi import Sql

    own = db is None
    try:
        if own:
            db = Sql.open(db_url)
        row = run_rows.read(db, site, slot)
    except Exception as e:
        # No schema yet (the child died before it could create it) reads as no row. Anything else
        # is said: a WAL file with no -shm beside it cannot be read on a full disk, for one.
        missing = "no such table" in str(e)
        return SiteRun(site, "crashed", reason="" if missing else f"could not read the run's row: {first_line(e)}")
    finally:
        if own and db is not None:
            db.close()
    if row is None:
        return SiteRun(site, "crashed")
    status = row.status if row.status in ("ok", "failed", "interrupted") else "crashed"  # "running": it died
    return SiteRun(site, status, **_row_fields(row))


def _row_fields(row: RunRow) -> dict[str, Any]:
    """What a SiteRun reports of a crawl_run row, but its status."""
    from storage.run_rows import run_reason

    stats = row.stats
    return {
        "pages": row.pages,
        "changed": row.changed,
        "errors": row.errors,
        "outcomes": stats.get("outcomes") or {},
        "not_modified": int(stats.get("policywatch/not_modified", 0)),
        "run_id": row.id,
        "reason": run_reason(stats),
    }


def from_log(result: SiteRun, log_tail: str) -> SiteRun:
    """A crawl that ended by itself but left its row "running" could not write it (a full disk):
    the run as its log says it ended (storage.run_rows.summary_line), failed, and why; `result`
    unchanged when the log holds no such line (the crawl did crash)."""
    from storage.run_rows import read_summary

    found = read_summary(log_tail, result.run_id) if result.run_id is not None else None
    if found is None:
        return result
    row, why = found
    fields = _row_fields(row)
    fields["reason"] = "; ".join(r for r in (fields["reason"] if row.status != "ok" else "", why) if r)
    return replace(result, status="failed", **fields)


def closed_from_log(db_url: str, result: SiteRun, log_tail: str) -> SiteRun:
    """The crawl ended with its row still "running": if its log says it could not write the row,
    the run as the log gives it (from_log), its row closed if the database takes it now."""
    from storage.db_file import first_line

    told = from_log(result, log_tail)
    if told.status != "failed":
        return told
    try:
        close_killed_run(db_url, told)
    except Exception as e:  # still full, say: the row stays running, and `status` shows the run as crashed
        log.warning("crawl %s: run %s left running: %s", told.site, told.run_id, first_line(e))
    return told


def close_killed_run(db_url: str, result: SiteRun, *, status: str = "failed") -> None:
    """The crawl was killed (or stopped) before it could close its crawl_run row as it should:
    close it as `status` for `result.reason`, keeping the counts it had. Nothing to close when
    the crawl never opened its row."""
    from storage.crawl_runs import finish_run, get_run
    from storage.db import connect

    if result.run_id is None:
        return
    db = connect(db_url)
    try:
        row = get_run(db, result.run_id)
        stats = dict(row.stats or {}) if row is not None and row.status != "running" else {}
        finish_run(
            db,
            result.run_id,
            status=status,
            pages=result.pages,
            changed=result.changed,
            errors=result.errors + (status == "failed"),
            stats={"outcomes": result.outcomes or {}, **stats, "finish_reason": result.reason},
        )
    finally:
        db.dispose()


class RunMark:
    """Writes who runs a crawl onto its crawl_run row, once the crawl has opened it.

    `try_mark()` is called from the runner's wait loop: a cheap read until the row shows up,
    then one UPDATE of the still-running row (the crawl replaces these stats when it closes)."""

    def __init__(self, db_url: str, site: str, slot: str, info: dict[str, Any]):
        self.db_url, self.site, self.slot, self.info = db_url, site, slot, info
        self.done = False
        self._db: Any = None

    def try_mark(self) -> None:
        from storage import run_rows
        from storage.dbapi import Sql

        if self.done:
            return
        try:
            if self._db is None:
                self._db = Sql.open(self.db_url)
            self.done = run_rows.mark(self._db, self.site, self.slot, self.info)
        except Exception as e:  # no schema yet, or the database is busy: the next tick tries again
            log.debug("crawl %s slot %s: run not marked yet: %s", self.site, self.slot, e)

    def read(self) -> SiteRun:
        """The run as its row says once the crawl has ended, through the connection held since the
        crawl began: while one is open, SQLite keeps the -wal and -shm files, and a new connection
        to a WAL file without them cannot even read when the disk is full."""
        if self._db is not None:
            held = read_run(self.db_url, self.site, self.slot, self._db)
            if held.run_id is not None:
                return held
        # none held, or it broke (a PostgreSQL backend terminated, say): a connection of its own
        return read_run(self.db_url, self.site, self.slot)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
