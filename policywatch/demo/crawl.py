"""The live half of `policywatch demo`: the demo portal, crawled through three states.

State 1 is crawled (every document is new), then again (every page answers 304, nothing is
written), then state 2 (a revised Zhaoqing page, a new notice) and state 3 (a notice
withdrawn, a chrome-only re-render that must record nothing). Each step prints the crawl
summary and the changes detected in it, and everything goes to `<out>/crawl/` too.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

STEPS = (
    (1, "state 1: first crawl of both sites"),
    (1, "state 1 again: nothing changed, every page revalidated (304)"),
    (2, "state 2: Zhaoqing revised (1 reworded, 1 inserted, 1 deleted), a new notice"),
    (3, "state 3: a notice withdrawn (404), an interpretation taken off its list, Zhaoqing re-rendered"),
)
# Politeness settings are for real servers; the portal is ours, on loopback.
LOCAL = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "RETRY_BACKOFF_BASE=0.1", "LOG_LEVEL=INFO")


def run_live(out: Path, section: Callable[[str, str], None]) -> int:
    """Crawl the portal through its states; returns how many crawls did not finish cleanly."""
    from policywatch.commands.crawl import crawl_site, print_summary
    from policywatch.demo.portal import Portal
    from policywatch.demo.portal import config as portal_config
    from storage.models import utcnow
    from storage.read import feed as feed_read

    work = out / "crawl"
    shutil.rmtree(work, ignore_errors=True)  # a fresh database and HTTP cache every demo
    work.mkdir(parents=True)
    db_url = f"sqlite:///{(work / 'policywatch.db').resolve()}"
    failed = 0
    log: list[dict[str, Any]] = []
    with Portal() as portal:
        # Zhaoqing as the real gkmlpt platform lists it: the SPA shell, then its JSON API
        cfg = portal_config.write_config(
            portal, work / "policywatch.toml", db_url=db_url, attachments=True, gkmlpt=True
        )
        for i, (state, title) in enumerate(STEPS, 1):
            portal.state = state
            started = utcnow()
            runs = [
                crawl_site(cfg, site, db_url, settings=LOCAL, timeout=300) for site in ("zhaoqing", "yulin")
            ]
            failed += sum(r.status != "ok" for r in runs)
            summary = _captured(print_summary, runs)
            changes = _changes_since(db_url, started, feed_read)
            text = summary + "\n" + _render_changes(changes)
            section(f"crawl {i}, {title}", text)
            (work / f"step{i}.txt").write_text(f"{title}\n\n{text}\n", "utf-8")
            log.append(
                {
                    "step": i,
                    "state": state,
                    "title": title,
                    "runs": [r.__dict__ | {"log": str(r.log)} for r in runs],
                    "changes": changes,
                }
            )
    (work / "steps.json").write_text(json.dumps(log, ensure_ascii=False, indent=1, default=str), "utf-8")
    return failed


def _captured(fn: Callable[..., None], *args: Any) -> str:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn(*args)
    return buf.getvalue().rstrip()


def _changes_since(db_url: str, since: Any, feed_read: Any) -> list[dict[str, Any]]:
    from storage.db import connect

    db = connect(db_url)
    try:
        with db.reader() as s:
            return list(reversed(feed_read.changes(s, since=since, limit=None)))
    finally:
        db.dispose()


def _render_changes(changes: list[dict[str, Any]]) -> str:
    from policywatch.commands.db import change_summary, print_table

    if not changes:
        return "changes detected: none"
    rows = []
    for c in changes:
        side = c["new"] or c["old"]
        rows.append((c["site"], c["kind"], (side["label"] or side["path"]) if side else "", c["title"], change_summary(c)))
    table = _captured(
        print_table, ["site", "kind", "where", "document", "what"], rows, {"document": 28, "what": 60}
    )
    return f"changes detected: {len(changes)}\n{table}"
