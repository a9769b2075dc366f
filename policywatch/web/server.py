"""The waitress server of `policywatch serve`, guarded against slow clients; also run in a thread (tests).

waitress alone lets one client lock everyone out: it stops accepting at `connection_limit`
(100) open connections, and closes a silent one only after `channel_timeout` (120 s) of
inactivity, a half-sent request included. 120 half-sent requests from one address therefore
took the server for two minutes. Here, on waitress's own options and its channel class:

- a request must arrive whole within REQUEST_TIMEOUT of its first byte, and a new connection
  must start one within that time too (trickling a byte at a time no longer keeps it open);
- an idle keep-alive connection closes after IDLE_TIMEOUT (waitress `channel_timeout`,
  checked every CLEANUP_INTERVAL);
- one client address holds at most PER_CLIENT connections. A new one beyond that replaces
  that client's oldest connection that is not being answered (a half-sent or idle one); when
  all are being answered it is closed at once. Only that client waits; everyone else is served.

A trusted reverse proxy (`--trusted-proxy`) is exempt from the per-client cap: every request
comes from its address, and per-client limits belong in the proxy, which sees the real clients.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

REQUEST_TIMEOUT = 10.0  # seconds from a request's first byte (or the connection's opening) to its end
IDLE_TIMEOUT = 30  # seconds an idle keep-alive connection stays open (waitress channel_timeout)
CLEANUP_INTERVAL = 5  # how often waitress looks for idle connections
PER_CLIENT = 20  # connections one address may hold (a browser opens 6 per host)

log = logging.getLogger("policywatch.web")


def _channel_class(per_client: int, request_timeout: float, exempt: frozenset[str]):
    from waitress.channel import HTTPChannel

    warned: dict[str, float] = {}

    class GuardedChannel(HTTPChannel):
        """waitress's HTTP channel with a deadline for each request and a cap per client address."""

        def __init__(self, server, sock, addr, adj, map=None):
            super().__init__(server, sock, addr, adj, map=map)
            self.request_started = time.monotonic()  # the opening counts as a request's start
            self.receiving = True  # no request read whole yet since request_started
            client = _host(addr)
            if client in exempt or "*" in exempt:
                return
            mine = [
                c
                for c in list(server.active_channels.values())
                if c is not self and not c.will_close and _host(getattr(c, "addr", None)) == client
            ]
            if len(mine) < per_client:
                return
            idle = [c for c in mine if not c.requests]  # nothing of theirs is being answered
            if idle:
                min(idle, key=lambda c: c.request_started).will_close = True
            else:
                self.will_close = True
            now = time.monotonic()
            if now - warned.get(client, -3600.0) > 60:
                warned[client] = now
                log.warning("client %s holds %d connections (limit %d): closing its oldest idle one", client, len(mine), per_client)

        def received(self, data: bytes) -> bool:
            if self.request is None and not self.receiving:
                self.request_started, self.receiving = time.monotonic(), True  # a new request begins
            result = super().received(data)
            if self.request is None:  # every request in `data` was read whole
                self.receiving = False
            return result

        def readable(self) -> bool:
            # Called on every turn of waitress's loop (at least once a second), so the deadline
            # holds within a second whatever the client does.
            if self.receiving and not self.requests and time.monotonic() - self.request_started > request_timeout:
                self.will_close = True
            return super().readable()

    return GuardedChannel


def _host(addr: Any) -> str:
    return str(addr[0]) if isinstance(addr, tuple | list) and addr else str(addr)


def create(
    app: Flask,
    *,
    per_client: int = PER_CLIENT,
    request_timeout: float = REQUEST_TIMEOUT,
    **options: Any,
):
    """A waitress server for `app` (options as waitress.serve takes them), guarded as above."""
    from waitress.server import BaseWSGIServer, create_server

    options.setdefault("channel_timeout", IDLE_TIMEOUT)
    options.setdefault("cleanup_interval", CLEANUP_INTERVAL)
    options.setdefault("ident", "policywatch")
    proxy = options.get("trusted_proxy")
    exempt = frozenset([proxy] if proxy else [])
    socket_map: dict = {}
    server = create_server(app, map=socket_map, **options)
    guarded = _channel_class(per_client, request_timeout, exempt)
    for listener in list(socket_map.values()):  # one per address the host resolves to
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = guarded
    return server


def serve(app: Flask, **options: Any) -> None:
    """Serve until interrupted (what `policywatch serve` runs)."""
    logging.basicConfig()  # as waitress.serve does: its warnings and ours reach stderr
    create(app, **options).run()


@contextmanager
def background(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4, **options: Any) -> Iterator[str]:
    """Serve `app` on a free loopback port while the block runs; yields the base URL."""
    server = create(app, host=host, port=port, threads=threads, **options)
    thread = threading.Thread(target=server.run, name="policywatch-web", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        from waitress import wasyncore

        # Closed from the loop's own thread (a trigger thunk): closing sockets under a select()
        # running in another thread made it fail with EBADF. An empty map ends the loop.
        try:
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        except OSError:  # the trigger's pipe is already gone (seen once, at the end of make bench)
            wasyncore.close_all(server._map, ignore_all=True)
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
