"""`policywatch crawl [SITE ...] [--config PATH]`: crawl sites now, one Scrapy subprocess each.

A subprocess per site run, as the scheduler does (docs/engineering.md): a Twisted
reactor cannot restart in one process, and a crashed or hung crawl takes only itself down.
The run's counts come back through its crawl_run row, found by a slot id made up here; the
subprocess handling is the scheduler's SubprocessRunner (policywatch/scheduler/local_runner.py).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from policywatch.cli_errors import message_text
from policywatch.commands.db import database_url
from policywatch.errors import ProblemFound, UsageError
from policywatch.scheduler.runners import SiteRun, SubprocessRunner, state_dir
from policywatch.scheduler.settings import CRAWL_TIMEOUT_S, CrawlSettings

__all__ = ["SiteRun", "crawl_site", "database_url", "state_dir"]

DEFAULT_TIMEOUT_S = CRAWL_TIMEOUT_S
REVALIDATED = "revalidated without a crawl"  # crawler.revalidate.REASON: the run's reason begins so
PLAIN_EVERY_S = 10.0


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
    p.add_argument(
        "--progress-every",
        type=float,
        default=PLAIN_EVERY_S,
        metavar="SECONDS",
        help="off a terminal: a progress line at most this often (default %(default)gs)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress display while crawling")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from policywatch import config as cfgmod
    from policywatch.gc_tuning import skip_final_collections

    skip_final_collections()

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
    runs = crawl_with_progress(cfg.path, names, db_url, args, before_crawl=_once(lambda: sync_config_subscriptions(cfg, db_url)))
    print_summary(runs)
    bad = [r for r in runs if r.status != "ok"]
    if bad:
        print_failures(bad)
        from policywatch.cli_text import _, status

        where = "; ".join(
            _("%(site)s: %(status)s%(why)s (log %(path)s)", site=r.site, status=status(r.status), why=_why(r), path=r.log)
            for r in bad
        )
        raise ProblemFound(_("%(bad)s of %(all)s crawls did not finish cleanly: %(where)s", bad=len(bad), all=len(runs), where=where))
    return 0


def _once(fn: Callable[[], None]) -> Callable[[], None]:
    done: list[bool] = []

    def call() -> None:
        if not done:
            fn()
            done.append(True)

    return call


def crawl_with_progress(
    config_path: Path,
    names: list[str],
    db_url: str,
    args: argparse.Namespace,
    before_crawl: Callable[[], None] | None = None,
) -> list[SiteRun]:
    """Each site in turn, its counts shown while it runs (policywatch.crawl_progress).

    `before_crawl` runs before the first Scrapy process: the subscription sync, which a run
    the revalidation pre-check records without a crawl does not need (it records no change,
    so no outbox row), and which costs the SQLAlchemy import and a transaction."""
    from policywatch import crawl_progress

    runs = []
    display = crawl_progress.display_for(sys.stderr, every=args.progress_every, enabled=not args.no_progress)
    with tempfile.TemporaryDirectory(prefix="policywatch-progress-") as tmp, display:
        for name in names:
            path = Path(tmp) / f"{name}.json"
            display.start(name, path)
            settings = [*args.settings, f"POLICYWATCH_PROGRESS_FILE={path}"]
            result = crawl_site(
                config_path, name, db_url, settings=settings, timeout=args.timeout, on_wait=display.tick,
                before_crawl=before_crawl,
            )  # fmt: skip
            display.finish(result.status)
            runs.append(result)
    return runs


def print_failures(bad: list[SiteRun]) -> None:
    """Why each failed crawl failed, from its log: the first error and the final stats."""
    from policywatch import crawl_log, crawl_progress

    for r in bad:
        if r.log and r.status != "skipped":
            crawl_progress.print_failure(r.site, r.status, crawl_log.excerpt(r.log), r.log)


def _why(run: SiteRun) -> str:
    """The run's one-line reason, when it says more than Scrapy's "finished"."""
    return f": {message_text(run.reason)}" if run.reason and run.reason != "finished" else ""


def sync_config_subscriptions(cfg, db_url: str) -> None:
    """[[subscriptions]] into the database (schema created if need be) before anything is
    recorded: the outbox rows of a change are written with it, for the subscriptions then known."""
    from policywatch.commands.db import usage_errors
    from policywatch.notify_config import notify_settings, sync_config
    from storage import sqlite_schema
    from storage.db_file import sqlite_path

    notify = notify_settings(cfg)
    path = sqlite_path(db_url)
    if path is not None and not notify.subscriptions and sqlite_schema.create_new(path, notify.site_titles):
        return  # a new file: with no subscription to mirror, the site rows were all there was
    from storage import migrate
    from storage.db import connect

    with usage_errors():
        db = connect(db_url)
        try:
            migrate.require(db, create=True)
            sync_config(db, notify)
        finally:
            db.dispose()


def crawl_site(
    config_path: Path,
    site: str,
    db_url: str,
    *,
    settings: list[str] | tuple[str, ...] = (),
    timeout: float = DEFAULT_TIMEOUT_S,
    on_wait: Callable[[], None] | None = None,
    before_crawl: Callable[[], None] | None = None,
) -> SiteRun:
    """One manual crawl of a site: the scheduler's subprocess runner with a slot made up here."""
    slot = f"manual-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{secrets.token_hex(4)}"
    crawl = CrawlSettings(timeout_seconds=timeout)
    runner = SubprocessRunner(
        crawl, config_path, db_url, extra=list(settings), on_wait=on_wait, before_crawl=before_crawl
    )
    return runner.run(site, slot, timeout=timeout)


def print_summary(runs: list[SiteRun]) -> None:
    from policywatch.cli_text import _, status
    from policywatch.commands.db import print_table

    rows = []
    for r in runs:
        o = r.outcomes or {}
        rows.append(
            [
                r.site,
                status(r.status),
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
        [_("site"), _("status"), _("pages"), _("new pages"), _("changed"), _("unchanged"), "304", _("withdrawn"),
         _("errors"), _("time")],
        rows,
    )  # fmt: skip
    for r in runs:
        if (r.status != "ok" or r.reason.startswith(REVALIDATED)) and r.reason:
            print(f"{r.site}: {status(r.status)}: {message_text(r.reason)}")
