"""storage.run_rows (DB-API) reads and marks the crawl_run rows storage.crawl_runs (ORM) writes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from policywatch.scheduler.run_rows import RunMark, read_run
from storage import run_rows
from storage.crawl_runs import finish_run, get_run, start_run
from storage.db import connect
from storage.dbapi import Sql

INFO = {"runner": "local", "pid": 4242, "started": 1764000000.5, "supervisor": {"pid": 1}, "deadline": 1.5, "备注": "中文"}


def test_a_running_row_is_read_and_marked_as_the_orm_wrote_it(db, db_url) -> None:
    run_id = start_run(db, "zhaoqing", "slot-1")
    sql = Sql.open(db_url)
    try:
        assert run_rows.read(sql, "zhaoqing", "no-such-slot") is None
        row = run_rows.read(sql, "zhaoqing", "slot-1")
        assert (row.id, row.status, row.pages, row.changed, row.errors) == (run_id, "running", 0, 0, 0)
        assert run_rows.mark(sql, "zhaoqing", "slot-1", INFO) is True
    finally:
        sql.close()
    assert get_run(db, run_id).stats == {run_rows.MARK: INFO}  # read back through the ORM


def test_a_finished_row_is_not_marked_and_reads_as_finished(db, db_url) -> None:
    run_id = start_run(db, "zhaoqing", "slot-2")
    stats = {"problems": ["0 of 57 links matched detail_pattern"], "outcomes": {"new": 3}, "policywatch/not_modified": 2}
    finish_run(db, run_id, status="failed", pages=5, changed=3, errors=1, stats=stats)
    sql = Sql.open(db_url)
    try:
        assert run_rows.mark(sql, "zhaoqing", "slot-2", INFO) is True
    finally:
        sql.close()
    assert get_run(db, run_id).stats == stats
    result = read_run(db_url, "zhaoqing", "slot-2")
    assert (result.status, result.pages, result.changed, result.errors, result.run_id) == ("failed", 5, 3, 1, run_id)
    assert (result.outcomes, result.not_modified) == ({"new": 3}, 2)
    assert result.reason == "0 of 57 links matched detail_pattern"


def test_the_runner_marks_once_the_crawl_has_opened_its_row(db, db_url) -> None:
    mark = RunMark(db_url, "zhaoqing", "slot-3", INFO)
    try:
        mark.try_mark()  # no row yet: nothing written, tried again on the next tick
        assert mark.done is False
        run_id = start_run(db, "zhaoqing", "slot-3")
        mark.try_mark()
        assert mark.done is True
    finally:
        mark.close()
    assert get_run(db, run_id).stats == {run_rows.MARK: INFO}


def test_a_run_that_never_opened_its_row_reads_as_crashed(tmp_path: Path) -> None:
    assert read_run(f"sqlite:///{tmp_path / 'none.db'}", "zhaoqing", "slot").status == "crashed"
    assert read_run(f"sqlite:///{tmp_path / 'missing' / 'dir.db'}", "zhaoqing", "slot").status == "crashed"


def test_a_sqlite_url_with_options_goes_through_storage_db(tmp_path: Path) -> None:
    path = tmp_path / "opts.db"
    db = connect(f"sqlite:///{path}")
    from storage import migrate

    migrate.require(db, create=True)
    run_id = start_run(db, "zhaoqing", "slot-4")
    sql = Sql.open(f"sqlite:///{path}?timeout=30")
    try:
        assert run_rows.mark(sql, "zhaoqing", "slot-4", INFO) is True
    finally:
        sql.close()
    assert get_run(db, run_id).stats == {run_rows.MARK: INFO}
    db.dispose()


def test_the_runner_reads_the_row_of_a_crawl_that_filled_the_disk(tmp_path: Path) -> None:
    """The crawl closes its row, then its last connection removes the -wal and -shm files; on a
    full disk no new connection can make them again, so the runner reads through the one it held."""
    fs = tmp_path / "fs"
    fs.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(fs)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        db_url = f"sqlite:///{fs / 'pw.db'}"
        db = connect(db_url)
        from storage import migrate

        migrate.require(db, create=True)
        run_id = start_run(db, "zhaoqing", "slot-5")
        mark = RunMark(db_url, "zhaoqing", "slot-5", INFO)
        try:
            mark.try_mark()
            finish_run(db, run_id, status="failed", pages=7, changed=2, errors=3, stats={"problems": ["3 pages not recorded"]})
            db.dispose()
            _fill(fs / "filler-1")
            held = mark.read()
        finally:
            mark.close()
        assert not (fs / "pw.db-shm").exists()  # the last connection took them away
        assert (held.status, held.pages, held.errors, held.reason) == ("failed", 7, 3, "3 pages not recorded")
        _fill(fs / "filler-2")  # what their removal freed
        alone = read_run(db_url, "zhaoqing", "slot-5")  # what a new connection gets: said, not silent
        assert alone.status == "crashed" and alone.reason.startswith("could not read the run's row: disk I/O error")
    finally:
        subprocess.run(["umount", "-l", str(fs)], check=False)


def _fill(path: Path) -> None:
    with path.open("wb", buffering=0) as filler, pytest.raises(OSError):
        while True:
            filler.write(b"\0" * 4096)
    assert shutil.disk_usage(path.parent).free < 4096


def test_a_run_its_crawl_could_not_close_is_read_from_its_log_and_closed(db, db_url) -> None:
    from policywatch.scheduler.run_rows import closed_from_log
    from storage.run_rows import summary_line

    run_id = start_run(db, "zhaoqing", "slot-6")
    stats = {"outcomes": {"changed": 2, "unchanged": 5}, "policywatch/not_modified": 4, "problems": ["2 pages not recorded"]}
    why = f"could not close crawl run {run_id}: OperationalError: database or disk is full"
    tail = "2026-12-03 10:00:00 [scrapy] INFO: ...\n" + summary_line(run_rows.RunRow(run_id, "failed", 7, 2, 2, stats), why) + "\nmore log\n"
    crashed = read_run(db_url, "zhaoqing", "slot-6")
    assert crashed.status == "crashed" and crashed.run_id == run_id
    told = closed_from_log(db_url, crashed, tail)
    assert (told.status, told.pages, told.changed, told.errors, told.not_modified) == ("failed", 7, 2, 2, 4)
    assert told.outcomes == {"changed": 2, "unchanged": 5}
    assert told.reason == f"2 pages not recorded; {why}"
    row = get_run(db, run_id)  # the database takes it now: closed as the log says
    assert (row.status, row.pages, row.errors, row.stats["outcomes"]) == ("failed", 7, 3, {"changed": 2, "unchanged": 5})
    assert row.stats["finish_reason"] == told.reason
    # a crawl that did crash (no such line, or one of another run) stays crashed, its row untouched
    other = start_run(db, "zhaoqing", "slot-7")
    assert closed_from_log(db_url, read_run(db_url, "zhaoqing", "slot-7"), "Traceback ...\n").status == "crashed"
    assert closed_from_log(db_url, read_run(db_url, "zhaoqing", "slot-7"), tail).status == "crashed"
    assert get_run(db, other).status == "running"
