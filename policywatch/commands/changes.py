"""`policywatch changes [--since DATE] [--site S] [--document DOC] [--kind K]`: recent changes
across documents, or of one."""

from __future__ import annotations

import argparse

from pipeline.schema import ALL_KINDS
from policywatch.commands.db import (
    add_db_argument,
    change_summary,
    limit_arg,
    open_db,
    print_json,
    print_table,
    usage_errors,
)
from policywatch.commands.history import DOC_HELP

KINDS = ALL_KINDS  # the kinds --kind accepts


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("changes", help="recent changes across documents, newest first")
    p.add_argument(
        "--since", metavar="DATE", help="only changes detected on or after this day (YYYY-MM-DD, UTC)"
    )  # a day in UTC as --json and export show it; the table shows times in [ui] timezone
    p.add_argument("--site", metavar="S", help="only this site")
    p.add_argument("--document", metavar="DOC", help=f"only this document: {DOC_HELP}")
    p.add_argument(
        "--kind",
        metavar="K",
        action="append",
        default=[],
        help=f"only this kind (repeat or comma-separate): {', '.join(KINDS)}; cosmetic is hidden unless asked for",
    )
    p.add_argument("--limit", type=limit_arg, default=200, help="at most this many (0: all; default 200)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from policywatch.cli_text import _, field, kind, when, zone
    from storage.read import common as common_read
    from storage.read import feed as feed_read
    from storage.read import history as history_read

    kinds = [k.strip() for arg in args.kind for k in arg.split(",") if k.strip()]
    with usage_errors():
        for k in kinds:
            if k not in KINDS:
                raise ValueError(_("--kind: unknown kind %(kind)s (one of %(kinds)s)", kind=repr(k), kinds=", ".join(KINDS)))
        since = common_read.parse_date(args.since, "--since") if args.since else None
    db = open_db(args)
    with usage_errors(), db.reader() as s:
        doc_id = history_read.resolve_document(s, args.document).id if args.document else None
        rows = feed_read.changes(
            s, since=since, site=args.site, kinds=kinds, document_id=doc_id, limit=args.limit or None
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(_("no changes"))
        return 0
    table = []
    for c in rows:
        side = c["new"] or c["old"]
        what = change_summary(c)
        where = (side["label"] or side["path"]) if side else ""
        table.append(
            (when(c["detected_at"]), c["document_id"], c["version"] or "", kind(c["kind"]), where, c["title"], what)
        )
    headers = [_("detected (%(zone)s)", zone=zone()), _("doc"), _("v"), _("kind"), _("where"), field("title"), _("what")]
    print_table(headers, table, {5: 30, 6: 60})
    return 0

