"""`policywatch serve` against slow clients, over real sockets on loopback.

120 half-sent requests from one client used to lock everyone out for waitress's 120 s channel
timeout (it stops accepting at 100 connections). Now one address holds at most PER_CLIENT
connections, a request must arrive whole within REQUEST_TIMEOUT, and a normal request from the
very same host is answered while the half-sent ones are still open.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from policywatch.web import server as web_server
from policywatch.web.app import create_app
from storage import migrate
from storage.db import connect
from tests.test_notify_support import free_port

HALF = b"GET /api/sites HTTP/1.1\r\nHost: x\r\n"  # no blank line: the headers never end


@pytest.fixture
def empty_db(tmp_path) -> str:
    path = tmp_path / "pw.db"
    db = connect(str(path))
    migrate.upgrade(db)
    db.dispose()
    return str(path)


def _get(port: int, timeout: float) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/api/sites")
        return conn.getresponse().status
    finally:
        conn.close()


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""  # waitress closes without answering a half-sent request
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.fixture
def serve(empty_db) -> Iterator[int]:
    """`policywatch serve` as a subprocess, answering; yields its port."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "policywatch.cli", "serve", "--db", empty_db, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(200):
            try:
                _get(port, 2)
                break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_120_half_sent_requests_do_not_lock_out_the_same_host(serve):
    port = serve
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(120)]
    try:
        for s in socks:
            s.sendall(HALF)
        # Answered while they are all still open (not after they time out): within the idle
        # timeout, far below waitress's 120 s that the failure lasted.
        assert _get(port, timeout=web_server.IDLE_TIMEOUT) == 200
        # and every half-sent request is cut once its deadline passes, none kept for ever
        assert all(_closed_by_server(s, within=3 * web_server.REQUEST_TIMEOUT) for s in socks)
        assert _get(port, timeout=web_server.IDLE_TIMEOUT) == 200
    finally:
        for s in socks:
            s.close()


def _app(db_url: str):
    return create_app(db_url)


def test_a_trickled_request_is_cut_at_its_deadline(empty_db):
    """One byte every 0.1 s keeps waitress's inactivity timer fresh; the request deadline does not."""
    app = _app(empty_db)
    try:
        with web_server.background(app, request_timeout=1.0) as base:
            port = int(base.rsplit(":", 1)[1])
            sock = socket.create_connection(("127.0.0.1", port))
            sent, cut = 0, False
            try:
                for byte in (HALF * 20)[:300]:  # 30 s of trickling: 30 deadlines
                    sock.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(0.1)
            except (BrokenPipeError, ConnectionResetError):
                cut = True
            finally:
                sock.close()
            assert cut and sent < 300, sent
            assert _get(port, timeout=web_server.IDLE_TIMEOUT) == 200
    finally:
        app.extensions["policywatch_db"].dispose()


def test_a_trusted_proxy_is_not_capped(empty_db):
    """Behind a reverse proxy every connection comes from the proxy: the cap would throttle it."""
    app = _app(empty_db)
    try:
        with web_server.background(
            app, per_client=3, trusted_proxy="127.0.0.1", trusted_proxy_headers="x-forwarded-for"
        ) as base:
            port = int(base.rsplit(":", 1)[1])
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(6)]
            try:
                for s in socks:
                    s.sendall(HALF)
                assert _get(port, timeout=web_server.IDLE_TIMEOUT) == 200
                for s in socks:  # all six still open: none evicted by the cap of 3
                    s.sendall(b"\r\n")
                    resp = http.client.HTTPResponse(s)
                    resp.begin()
                    assert resp.status == 200
            finally:
                for s in socks:
                    s.close()
    finally:
        app.extensions["policywatch_db"].dispose()


def test_without_a_proxy_the_cap_evicts_that_clients_oldest_half_sent_connection(empty_db):
    app = _app(empty_db)
    try:
        with web_server.background(app, per_client=3) as base:
            port = int(base.rsplit(":", 1)[1])
            socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
            try:
                for s in socks:
                    s.sendall(HALF)
                time.sleep(0.5)  # let the server accept the three before the fourth arrives
                assert _get(port, timeout=web_server.IDLE_TIMEOUT) == 200
                assert _closed_by_server(socks[0], within=web_server.IDLE_TIMEOUT)
                socks[2].sendall(b"\r\n")  # the newest of them is still open, and answered
                resp = http.client.HTTPResponse(socks[2])
                resp.begin()
                assert resp.status == 200
            finally:
                for s in socks:
                    s.close()
    finally:
        app.extensions["policywatch_db"].dispose()
