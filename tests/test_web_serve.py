"""`policywatch serve`: answers on loopback, read-only; bad input is one line and exit 2."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from policywatch.cli import main
from storage import migrate
from storage.db import connect
from tests.test_notify_support import free_port


@pytest.fixture
def empty_db(tmp_path) -> str:
    path = tmp_path / "pw.db"
    db = connect(str(path))
    migrate.upgrade(db)
    db.dispose()
    return str(path)


def _one_line_exit_2(capsys, argv: list[str], *words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


def test_unreachable_database(tmp_path, capsys) -> None:
    _one_line_exit_2(capsys, ["serve", "--db", str(tmp_path / "none.db"), "--port", str(free_port())], "no database")
    assert not (tmp_path / "none.db").exists()
    _one_line_exit_2(
        capsys, ["serve", "--db", "postgresql://nobody@127.0.0.1:1/x", "--port", str(free_port())], "cannot connect"
    )


def test_port_in_use(empty_db, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _one_line_exit_2(capsys, ["serve", "--db", empty_db, "--port", str(port)], "already in use", str(port))


def test_bad_arguments(empty_db, capsys) -> None:
    _one_line_exit_2(capsys, ["serve", "--db", empty_db, "--port", "70000"], "--port")
    _one_line_exit_2(capsys, ["serve", "--db", empty_db, "--url-prefix", "pw"], "--url-prefix")


def _serve_and_get(db: str, path: str, *extra: str) -> tuple[str, str, int]:
    """Start `policywatch serve` on a free port, GET `path` once it answers; (body, its output, port)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "policywatch.cli", "serve", "--db", db, "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve never answered")
        listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout if shutil.which("ss") else None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    if listening is not None:
        assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening
    return body, proc.stdout.read(), port


def test_serves_on_loopback_by_default(empty_db) -> None:
    body, output, _ = _serve_and_get(empty_db, "/api/sites")
    assert body == '{"sites":[]}\n' or body.strip() == '{"sites":[]}', body
    assert "read-only" in output

def _html_lang(db: str, *extra: str) -> str:
    """The <html lang> of / as a browser that names no language gets it from `serve`."""
    page, _, _ = _serve_and_get(db, "/", *extra)
    start = page.index("<html lang=") + len("<html lang=") + 1
    return page[start : page.index('"', start)]


def test_lang_sets_the_servers_language(empty_db, capsys) -> None:
    assert _html_lang(empty_db).startswith("zh")
    assert _html_lang(empty_db, "--lang", "en") == "en"
    _one_line_exit_2(capsys, ["serve", "--db", empty_db, "--lang", "fr", "--port", str(free_port())], "--lang fr")


def test_config_gives_the_language_and_the_zone_of_times(tmp_path) -> None:
    """`serve --config`: [ui] language when no --lang, [ui] timezone for every time a page shows."""
    from datetime import datetime

    from policywatch.flow import Page, record_page

    db_path = tmp_path / "pw.db"
    db = connect(str(db_path))
    migrate.upgrade(db)
    body = "<html><head><title>关于加强统筹协调的通知</title></head><body><div class='article'><h1>关于加强统筹协调的通知</h1><p>1. 完善统筹协调机制,建立健全工作责任制度。</p></div></body></html>"
    record_page(db, Page(url="https://www.example.gov.cn/a/post_1.html", body=body.encode(), site="example",
                         fetched_at=datetime(2026, 12, 1, 16, 30)))
    db.dispose()
    cfg = tmp_path / "policywatch.toml"
    cfg.write_text('[ui]\nlanguage = "en"\ntimezone = "Europe/Berlin"\n', encoding="utf-8")
    page, _, _ = _serve_and_get(str(db_path), "/changes", "--config", str(cfg))
    # 16:30 UTC is 17:30 in Berlin (UTC+1 in December)
    assert '<html lang="en">' in page and '<td class="when">2026-12-01 17:30</td>' in page and "Europe/Berlin" in page
    cfg.write_text('[digest]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")  # no [ui]: the digest's zone
    page, _, _ = _serve_and_get(str(db_path), "/changes", "--config", str(cfg))
    assert '<html lang="zh-Hans">' in page and '<td class="when">2026-12-02 01:30</td>' in page
