"""What the browser-driven tests share: Debian's Chromium, and the web UI over the demo story."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# As root, without a sandbox; no background networking: this machine's network is closed and
# Chromium would otherwise keep trying Google's hosts at every start.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


@contextmanager
def demo_site(directory: Path) -> Iterator[str]:
    """The web UI on a free loopback port over a database filled with the demo story."""
    from policywatch.web.app import create_app
    from policywatch.web.demo_data import fill
    from policywatch.web.server import background
    from storage import migrate
    from storage.db import connect

    path = directory / "demo.db"
    db = connect(str(path))
    migrate.upgrade(db)
    fill(db)
    db.dispose()
    app = create_app(str(path))
    try:
        with background(app) as url:
            yield url
    finally:
        app.extensions["policywatch_db"].dispose()
