"""`policywatch serve` on a WAL database on read-only media (a real read-only bind mount).

Root ignores permission bits, so a chmod'ed folder proves nothing here: the folder is bind-mounted
read-only (`mount -o bind,ro`), where even root gets EROFS. Without permission to mount, skipped.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from policywatch.demo import PAGES
from policywatch.flow import Page, record_page
from policywatch.web.app import create_app
from storage import migrate
from storage.db import connect
from tests.test_notify_support import free_port

FIXTURE = PAGES / "zhaoqing-gkmlpt.html"
URL = "http://www.zhaoqing.gov.cn/a.html"


@pytest.fixture
def read_only_mount(tmp_path) -> Iterator[tuple[Path, Path]]:
    """(writable folder, the same folder mounted read-only)."""
    src, ro = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    ro.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    done = subprocess.run(["mount", "-o", "bind,ro", str(src), str(ro)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount read-only here: {done.stderr.strip() or done.returncode}")
    try:
        probe = ro / "probe"
        with pytest.raises(OSError):
            probe.write_text("x")
        yield src, ro
    finally:
        subprocess.run(["umount", str(ro)], check=False)


def _recorded(folder: Path) -> Path:
    path = folder / "pw.db"
    db = connect(str(path))
    migrate.upgrade(db)
    record_page(db, Page(url=URL, body=FIXTURE.read_bytes(), site="zhaoqing"))
    db.dispose()  # the last connection checkpoints and removes -wal and -shm; the header stays WAL
    assert not Path(f"{path}-shm").exists()
    with open(path, "rb") as f:
        assert f.read(20)[18:20] == b"\x02\x02"
    return path


def _serve(db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "policywatch.cli", "serve", "--db", str(db), "--port", str(port := free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ), port


def test_serves_a_wal_database_from_read_only_media(read_only_mount):
    src, ro = read_only_mount
    _recorded(src)
    proc, port = _serve(ro / "pw.db")
    try:
        body = None
        for _ in range(200):
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sites", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        assert body is not None, proc.communicate(timeout=10)
        assert '"name":"zhaoqing"' in body and '"documents":1' in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert not (src / "pw.db-shm").exists()  # nothing written next to it


def test_live_wal_seen_through_a_read_only_mount(read_only_mount):
    """-wal and -shm present (the writer is running): read with its latest transaction."""
    src, ro = read_only_mount
    path = _recorded(src)
    writer = sqlite3.connect(path)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("UPDATE document SET title = '最新标题' WHERE id = 1")
        writer.commit()
        assert Path(f"{path}-wal").stat().st_size > 0
        app = create_app(str(ro / "pw.db"))
        try:
            data = app.test_client().get("/api/documents/1").get_json()
            assert data["document"]["title"] == "最新标题"
        finally:
            app.extensions["policywatch_db"].dispose()
    finally:
        writer.close()


def test_unmerged_wal_without_shm_on_read_only_media_is_one_line(read_only_mount, tmp_path):
    """A copy taken with the writer open: -wal holds the last transaction and -shm is gone."""
    src, ro = read_only_mount
    live = _recorded(tmp_path)
    writer = sqlite3.connect(live)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE document SET title = '最新标题' WHERE id = 1")
        writer.commit()
        shutil.copy(live, src / "pw.db")
        shutil.copy(f"{live}-wal", src / "pw.db-wal")
    finally:
        writer.close()
    assert (src / "pw.db-wal").stat().st_size > 0 and not (src / "pw.db-shm").exists()
    proc, _ = _serve(ro / "pw.db")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert str(ro / "pw.db") in err and "pw.db-wal" in err
