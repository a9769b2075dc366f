"""Damaged databases and files that are no pages: one line naming the file, exit 2, never a traceback.

The real `policywatch` command as a subprocess: a SQLite file damaged in the middle (as a disk or
copy error leaves it), a file that is no database at all, /dev/zero, a FIFO, a directory and a
file larger than the crawler's page limit.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.settings import DOWNLOAD_MAXSIZE
from policywatch.flow import Page, record_pages
from storage import migrate
from storage.db import connect
from tests.test_storage_support import page_text

ROOT = Path(__file__).resolve().parent.parent


def pw(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    def limit_memory() -> None:  # a command that reads /dev/zero must hit this, not the machine
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    return subprocess.run(
        [sys.executable, "-m", "policywatch.cli", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        preexec_fn=limit_memory,
    )


def one_line(r: subprocess.CompletedProcess, name: str) -> str:
    err = r.stderr.strip()
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert name in err, err
    return err


@pytest.fixture(scope="module")
def damaged_db(tmp_path_factory) -> Path:
    """300 recorded pages, then 64 bytes inverted every 40 kB from the third page on."""
    path = tmp_path_factory.mktemp("damaged") / "pw.db"
    db = connect(str(path))
    migrate.upgrade(db)
    pages = [
        Page(url=f"http://e.gov.cn/{i}.html", body=(page_text(i) * 3).encode(), site="e") for i in range(300)
    ]
    record_pages(db, pages)
    db.dispose()
    with open(path, "r+b") as f:
        size = path.stat().st_size
        for off in range(8192, size, 40960):
            f.seek(off)
            chunk = f.read(64)
            f.seek(off)
            f.write(bytes(b ^ 0xFF for b in chunk))
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["db", "upgrade"],
        ["db", "status"],
        ["changes", "--limit", "0"],  # commands that read the whole history meet the damaged pages
        ["search", "规定"],
        ["export", "--format", "jsonl"],
        ["reprocess"],
    ],
)
def test_damaged_sqlite_file(damaged_db, argv):
    err = one_line(pw(*argv, "--db", str(damaged_db)), str(damaged_db))
    assert "damaged" in err


def test_not_a_database(tmp_path):
    path = tmp_path / "pw.db"
    path.write_bytes(b"not a database, a text file that was given as one\n" * 200)
    for argv in (["db", "upgrade"], ["history", "1"]):
        assert "file is not a database" in one_line(pw(*argv, "--db", str(path)), str(path))


def test_intact_file_still_passes_the_health_check(tmp_path):
    path = tmp_path / "pw.db"
    assert pw("db", "upgrade", "--db", str(path)).returncode == 0
    r = pw("--lang", "en", "db", "status", "--db", str(path))
    assert r.returncode == 0 and "schema" in r.stdout


def test_normalize_dev_zero():
    err = one_line(pw("normalize", "/dev/zero"), "/dev/zero")
    assert "not a page file" in err


def test_normalize_and_record_a_fifo(tmp_path):
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    assert "FIFO" in one_line(pw("normalize", str(fifo), timeout=30), str(fifo))
    assert "FIFO" in one_line(pw("compare", str(fifo), str(fifo), timeout=30), str(fifo))
    r = pw(
        "db", "record", str(fifo), "--url", "http://x.gov.cn/a", "--db", str(tmp_path / "pw.db"), timeout=30
    )
    assert "FIFO" in one_line(r, str(fifo))


def test_normalize_directory_and_oversized_file(tmp_path):
    assert "directory" in one_line(pw("normalize", str(tmp_path)), str(tmp_path))
    big = tmp_path / "big.html"
    with open(big, "wb") as f:
        f.write(b"<html><body><p>" + b"x" * DOWNLOAD_MAXSIZE + b"</p></body></html>")
    assert "10 MB limit" in one_line(pw("normalize", str(big)), str(big))
