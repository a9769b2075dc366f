"""`policywatch crawl [SITE ...] [--config PATH]`: crawl sites now, one Scrapy subprocess each.

A subprocess per site run, as the scheduler will do (research/engineering.md §1.1): a Twisted
reactor cannot restart in one process, and a crashed or hung crawl takes only itself down.
The run's counts come back through its crawl_run row, found by a slot id made up here.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from policywatch.errors import ProblemFound, UsageError

DEFAULT_TIMEOUT_S = 2 * 3600


@dataclass
class SiteRun:
    site: str
    status: str  # ok | failed | crashed | timeout
    pages: int = 0
    changed: int = 0
    errors: int = 0
    outcomes: dict[str, int] | None = None
    not_modified: int = 0
    seconds: float = 0.0
    log: Path | None = None
    run_id: int | None = None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="crawl configured sites now and record what changed")
    p.add_argument("sites", nargs="*", metavar="SITE", help="site names from the config (default: all)")
    p.add_argument(
        "--config",
        metavar="PATH",
        help="policywatch.toml (default: $POLICYWATCH_CONFIG, else ./policywatch.toml)",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="database (default: $POLICYWATCH_DATABASE_URL, else the config's [database] url)",
    )
    p.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Scrapy setting for these runs (repeatable), e.g. --set DOWNLOAD_DELAY=0",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help="kill a site's crawl after this long",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from policywatch import config as cfgmod

    cfg = cfgmod.load(args.config)
    names = args.sites or [s.name for s in cfg.sites]
    if not names:
        raise UsageError(f"{cfg.path}: no [[sites]] to crawl")
    for name in names:
        cfg.site(name)  # unknown names fail before anything runs
    for item in args.settings:
        if "=" not in item or not item.split("=", 1)[0].isupper():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE with an UPPER_CASE Scrapy setting")
    db_url = database_url(args.db, cfg.database_url)
    runs = [
        crawl_site(cfg.path, name, db_url, settings=args.settings, timeout=args.timeout) for name in names
    ]
    print_summary(runs)
    bad = [r for r in runs if r.status != "ok"]
    if bad:
        where = "; ".join(f"{r.site}: {r.status} (log {r.log})" for r in bad)
        raise ProblemFound(f"{len(bad)} of {len(runs)} crawls did not finish cleanly: {where}")
    return 0


def database_url(explicit: str | None, from_config: str | None) -> str:
    """--db, then $POLICYWATCH_DATABASE_URL, then the config, then ./policywatch.db (as the spider does)."""
    from policywatch.commands.db import usage_errors
    from storage.db import ENV_VAR, resolve_url

    with usage_errors():
        url = resolve_url(explicit or os.environ.get(ENV_VAR) or from_config)
    return url.render_as_string(hide_password=False)


def state_dir(config_path: Path) -> Path:
    """Where a config's HTTP cache and crawl logs live: next to the config file."""
    return config_path.parent / ".policywatch"


def crawl_site(
    config_path: Path,
    site: str,
    db_url: str,
    *,
    settings: list[str] | tuple[str, ...] = (),
    timeout: float = DEFAULT_TIMEOUT_S,
) -> SiteRun:
    slot = f"manual-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"
    state = state_dir(config_path)
    log = state / "logs" / f"{site}-{slot}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "site",
        "-a",
        f"site={site}",
        "-a",
        f"config={config_path}",
        "-a",
        f"slot={slot}",
        # the validators of the last fetch must outlive this process: that is what makes 304s
        "-s",
        f"HTTPCACHE_DIR={state / 'httpcache'}",
    ]
    for item in settings:
        cmd += ["-s", item]
    # The URL travels in the environment, not argv, so a password never shows in `ps`.
    env = {**os.environ, "POLICYWATCH_DATABASE_URL": db_url, "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    started = time.monotonic()
    with log.open("wb") as out:
        try:
            proc = subprocess.run(
                cmd, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=timeout, check=False
            )
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            code = None
    result = _read_run(db_url, site, slot)
    result.seconds, result.log = time.monotonic() - started, log
    if code is None:
        result.status = "timeout"
        if result.run_id is not None:
            _close_killed_run(db_url, result)
    elif code != 0 and result.status == "ok":
        result.status = "crashed"
    return result


def _close_killed_run(db_url: str, result: SiteRun) -> None:
    """The child was killed before it could close its crawl_run row: close it as failed."""
    from storage.crawl_runs import finish_run
    from storage.db import connect

    db = connect(db_url)
    try:
        finish_run(
            db,
            result.run_id,
            status="failed",
            pages=result.pages,
            changed=result.changed,
            errors=result.errors + 1,
            stats={"finish_reason": "killed: policywatch crawl --timeout"},
        )
    finally:
        db.dispose()


def _read_run(db_url: str, site: str, slot: str) -> SiteRun:
    from sqlalchemy import select

    from storage.db import connect
    from storage.models import CrawlRun, Site

    db = connect(db_url)
    try:
        with db.reader() as session:
            row = session.scalar(
                select(CrawlRun)
                .join(Site, Site.id == CrawlRun.site_id)
                .where(Site.name == site, CrawlRun.slot == slot)
            )
    except Exception:  # no schema yet: the child died before it could create it
        row = None
    finally:
        db.dispose()
    if row is None:
        return SiteRun(site, "crashed")
    stats = row.stats or {}
    status = row.status if row.status in ("ok", "failed") else "crashed"  # still "running": it died
    return SiteRun(
        site,
        status,
        pages=row.pages,
        changed=row.changed,
        errors=row.errors,
        outcomes=stats.get("outcomes") or {},
        not_modified=int(stats.get("policywatch/not_modified", 0)),
        run_id=row.id,
    )


def print_summary(runs: list[SiteRun]) -> None:
    from policywatch.commands.db import print_table

    rows = []
    for r in runs:
        o = r.outcomes or {}
        rows.append(
            [
                r.site,
                r.status,
                r.pages,
                o.get("new", 0),
                o.get("changed", 0),
                o.get("unchanged", 0),
                r.not_modified,
                o.get("withdrawn", 0),
                r.errors,
                f"{r.seconds:.1f}s",
            ]
        )
    print_table(
        ["site", "status", "pages", "new", "changed", "unchanged", "304", "withdrawn", "errors", "time"], rows
    )
