"""`policywatch search TEXT [--all-versions] [--site S]`: measures that contain a phrase."""

from __future__ import annotations

import argparse

from policywatch.commands.db import add_db_argument, limit_arg, open_db, print_json, print_table, usage_errors


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("search", help="measures containing a phrase (latest versions by default)")
    p.add_argument("text", metavar="TEXT", help="the phrase (width, spaces and quote styles do not matter)")
    p.add_argument(
        "--all-versions", action="store_true", help="search every stored version, not only the latest"
    )
    p.add_argument("--site", metavar="S", help="only this site")
    p.add_argument("--limit", type=limit_arg, default=100, help="at most this many (0: all; default 100)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from storage.read import search as search_read

    db = open_db(args)
    with usage_errors(), db.reader() as s:
        rows = search_read.search(
            s, args.text, all_versions=args.all_versions, site=args.site, limit=args.limit or None
        )
    if args.json:
        print_json(rows)
        return 0
    from policywatch.cli_text import _, field

    if not rows:
        print(_("no measure contains this phrase"))
        return 0
    table = [(r["document_id"], r["version"], r["label"] or r["path"], r["title"], r["text"]) for r in rows]
    print_table([_("doc"), _("v"), _("measure"), field("title"), _("text")], table, {3: 30, 4: 80})
    return 0
