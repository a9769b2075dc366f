"""What the browser-driven tests share: Debian's Chromium, and the web UI over the demo story."""

from __future__ import annotations

import os
import tempfile
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
# The README's pictures. Tests always render them; they replace docs/*.png only when asked
# (`make screenshots`), so that a test run leaves the checkout as it found it.
DOCS = Path(__file__).resolve().parent.parent / "docs"
SCREENSHOTS = os.environ.get("POLICYWATCH_SCREENSHOTS") == "1"


def shot_path(name: str) -> Path:
    """Where a screenshot named `name` (e.g. "web-diff.png") goes in this run."""
    directory = DOCS if SCREENSHOTS else Path(tempfile.gettempdir()) / "policywatch-screenshots"
    directory.mkdir(parents=True, exist_ok=True)
    return directory / name


needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


@contextmanager
def demo_site(directory: Path) -> Iterator[str]:
    """The web UI on a free loopback port over a database filled with the demo story."""
    from policywatch.demo.records import fill
    from policywatch.web.app import create_app
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


@contextmanager
def chromium() -> Iterator:
    """Debian's headless Chromium through Playwright (skips where Playwright is not installed)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
