"""`policywatch digest [--subscriber S] [--dry-run --out DIR] [--all] [--lang en] | --status`: email digests.

Sends every digest that is due now (cadences in [digest] timezone) through [smtp]; the
password comes from $POLICYWATCH_SMTP_PASSWORD. --dry-run writes `.eml` and `.html` files
instead and changes nothing. The digest is in Chinese unless `--lang en` or `[ui] language`
says English; with `[web] base_url` it links every change to its diff page. Exit 1 when a digest was not delivered (retry scheduled or
dead-lettered), with one line per problem; `--status` exits 1 while a dead-lettered digest
is listed (nothing will retry it: a person has to look).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from policywatch.commands.db import add_db_argument, print_json, print_table, usage_errors
from policywatch.errors import ProblemFound, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("digest", help="send the email digests that are due (or write them with --dry-run)")
    p.add_argument("--subscriber", metavar="S", help="only this subscription")
    p.add_argument("--dry-run", action="store_true", help="write .eml and .html files to --out; send nothing")
    p.add_argument("--out", metavar="DIR", help="where --dry-run writes (required with --dry-run)")
    p.add_argument("--all", action="store_true", help="ignore cadences: every pending digest is due now")
    p.add_argument("--status", action="store_true", help="list pending, delivered and dead-letter digests")
    p.add_argument("--json", action="store_true", help="with --status: print JSON")
    p.add_argument(
        "--lang", metavar="LANG", help="language of the digest: zh-CN (default) or en (else [ui] language)"
    )
    p.add_argument(
        "--config", metavar="PATH", help="policywatch.toml (default: $POLICYWATCH_CONFIG, else ./)"
    )
    add_db_argument(p)
    p.set_defaults(func=run)


def notify_setup(args: argparse.Namespace, *, create: bool = True):
    """(Database, NotifySettings) with the config's subscriptions synced into the table.

    A missing default config is fine (subscriptions from `subscribers add`, SMTP from the
    environment); a missing --config or $POLICYWATCH_CONFIG file is an error. Nothing here needs
    the SMTP password: only sending does.
    """
    from policywatch.commands.db import database_url, open_db
    from policywatch.notify_config import notify_settings, optional_config, sync_config

    cfg, where = optional_config(args.config)
    notify = notify_settings(cfg, where, lang=getattr(args, "lang", None))
    if cfg is not None:
        args.db = database_url(args.db, cfg.database_url)  # --db, then $POLICYWATCH_DATABASE_URL, then [database]
    db = open_db(args, create=create)
    with usage_errors():
        sync_config(db, notify)
    return db, notify


def run(args: argparse.Namespace) -> int:
    from notifications import sender
    from notifications.render import FilesConnection

    if args.dry_run and not args.out:
        raise UsageError("digest: --dry-run needs --out DIR")
    if args.out and not args.dry_run:
        raise UsageError("digest: --out is for --dry-run")
    db, notify = notify_setup(args)
    if args.subscriber:
        from notifications.subscriptions import get

        with usage_errors(), db.reader() as s:
            get(s, args.subscriber)
    if args.status:
        return _status(db, args)
    if args.dry_run:
        prepared = sender.preview_due(db, notify, subscriber=args.subscriber, everything=args.all)
        files = FilesConnection(Path(args.out))
        for p in prepared:
            eml, html = files.write(p.message)
            print(f"{p.digest.subscription}: {p.digest.context.total} changes -> {eml} {html.name}")
        print(f"{len(prepared)} digests written to {args.out} (nothing sent or marked)")
        return 0
    if notify.smtp.missing_password:
        raise UsageError(f"{notify.where}: {notify.smtp.missing_password}; nothing sent")
    report = sender.send_due(db, notify, subscriber=args.subscriber, everything=args.all)
    for o in report.outcomes:
        extra = f" ({o.reason})" if o.reason else ""
        when = f", next try {o.next_attempt_at:%Y-%m-%d %H:%M} UTC" if o.next_attempt_at else ""
        print(f"{o.subscription}: {o.status} {o.changes} changes {o.message_id}{extra}{when}")
    sent = len(report.by_status("sent"))
    print(
        f"{sent} digests sent"
        + (f", {report.recovered} rows taken over from a stopped sender" if report.recovered else "")
    )
    if report.stopped:
        raise ProblemFound(
            f"digest: SMTP {notify.smtp.host}:{notify.smtp.port}: {report.stopped}; pending digests stay queued"
        )
    bad = report.by_status("dead") + report.by_status("retry")
    if bad:
        o = bad[0]
        raise ProblemFound(f"digest: {len(bad)} not delivered; {o.subscription}: {o.status}: {o.reason}")
    return 0


def _status(db, args: argparse.Namespace) -> int:
    from notifications import sender

    rows = sender.status(db, args.subscriber)
    if args.json:
        print_json(rows)
        return _dead_letters(rows)
    if not rows:
        print("no digests queued or sent")
        return 0
    table = [
        (
            r["subscription"],
            r["status"],
            r["changes"],
            r["digest"][:8],
            r["attempts"],
            r["queued_at"],
            r["sent_at"] or r["next_attempt_at"] or "",
            r["message_id"] if r["status"] == "sent" else r["last_error"],
        )
        for r in rows
    ]
    print_table(
        ["subscriber", "status", "changes", "digest", "tries", "queued", "sent/next", "message-id / error"],
        table,
        {"message-id / error": 60},
    )
    return _dead_letters(rows)


def _dead_letters(rows: list[dict]) -> int:
    dead = [r for r in rows if r["status"] == "dead"]
    if dead:
        first = dead[0]
        raise ProblemFound(
            f"digest: {len(dead)} dead-lettered digests; {first['subscription']}: {first['last_error']}"
        )
    return 0
