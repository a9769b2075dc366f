"""`policywatch run [--config PATH] [--db URL]`: the scheduler daemon (see policywatch/scheduler/).

Everything that can be wrong with the config is reported before the daemon waits or runs:
unknown keys, an unknown site in [scheduler] jobs or in a subscription, a bad cron string or
one that never fires, a broken [smtp] or [[subscriptions]], a runner that cannot work (no
Scrapyd node reachable: exit 2; some unreachable: one warning line each, and those nodes are
skipped). A login without its password is a warning: digests and alerts wait for it. Then it
waits as a standby until it holds the leader lock, and runs until SIGTERM/SIGINT (exit 0) or
until it loses the lock's database connection (exit 1). The leader syncs [[subscriptions]]
into the database before its first crawl, and again whenever the config file changes.
"""

from __future__ import annotations

import argparse
import logging
import sys

from policywatch.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run the crawl scheduler (one leader per database; others wait as standbys)")
    p.add_argument("--config", metavar="PATH", help="policywatch.toml (default: $POLICYWATCH_CONFIG, else ./policywatch.toml)")
    p.add_argument("--db", metavar="URL", help="database (default: $POLICYWATCH_DATABASE_URL, else the config's)")
    p.add_argument("--check", action="store_true", help="check the config and the runner, print the jobs, and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="log warnings and errors only")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from policywatch.commands.db import database_url, usage_errors
    from policywatch.scheduler import jobs, leader
    from policywatch.scheduler.alerts import Alerter
    from policywatch.scheduler.context import Context
    from policywatch.scheduler.daemon import Daemon
    from policywatch.scheduler.reload import load_all
    from policywatch.scheduler.runners import runner_class
    from storage.db import connect

    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    loaded = load_all(args.config)
    cfg, daemon_settings, notify = loaded.config, loaded.settings, loaded.notify
    specs, warnings = jobs.build(cfg, daemon_settings)
    for w in [*warnings, *loaded.warnings]:
        _warn(w)
    if not any(s.id.startswith("crawl:") for s in specs):
        raise UsageError(f"{cfg.path}: no site has a schedule (schedule = {{ interval_minutes = N }} or [scheduler] jobs)")
    db_url = database_url(args.db, cfg.database_url)
    try:
        cls = runner_class(daemon_settings.crawl.runner)
    except (ImportError, AttributeError, TypeError) as e:
        raise UsageError(f"{cfg.path}: [crawl] runner: {e}") from None
    runner = cls(daemon_settings.crawl, cfg.path, db_url)
    for w in runner.check():
        _warn(w)
    db = connect(db_url)
    with usage_errors():
        db.ping()  # the schema is brought up to date by the leader, once it leads
    if args.check:
        from policywatch.notify_config import check_sync

        check_sync(db, notify)
        for spec in specs:
            print(f"{spec.id}\t{spec.schedule}\tmisfire grace {spec.misfire_grace_time}s")
        db.dispose()
        return 0
    alerts = Alerter(db_url, daemon_settings.operator, notify.smtp, notify.digest.language) if daemon_settings.operator.emails else None
    ctx = Context(config=cfg, settings=daemon_settings, db_url=db_url, runner=runner, alerts=alerts, notify=notify)
    with usage_errors():
        lock = leader.for_database(db.url)
    daemon = Daemon(ctx, lock, db)
    daemon.install_signals()
    try:
        return daemon.run()
    finally:
        db.dispose()


def _warn(message: str) -> None:
    from policywatch.cli_errors import message_text
    from policywatch.cli_text import _

    print("policywatch:", _("warning: %(text)s", text=message_text(message)), file=sys.stderr)
