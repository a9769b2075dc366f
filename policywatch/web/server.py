"""A waitress server in a background thread (tests, benchmarks, screenshots)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask


@contextmanager
def background(app: Flask, host: str = "127.0.0.1", port: int = 0, threads: int = 4) -> Iterator[str]:
    """Serve `app` on a free loopback port while the block runs; yields the base URL."""
    from waitress.server import create_server
    from waitress.wasyncore import close_all

    server = create_server(app, host=host, port=port, threads=threads, ident="policywatch")
    thread = threading.Thread(target=server.run, name="policywatch-web", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        # Closed from the server's own loop thread: closing its sockets from here while it
        # waits in select() raised EBADF in that thread now and then.
        server.trigger.pull_trigger(lambda: close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()
