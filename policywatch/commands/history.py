"""`policywatch history DOC [--json]`: every stored version of a document, with dates and change counts."""

from __future__ import annotations

import argparse

from policywatch.commands.db import add_db_argument, open_db, print_json, print_table, usage_errors

DOC_HELP = "a document id, a URL it was fetched from, or its 文号"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("history", help="the versions of a document, with dates and change counts")
    p.add_argument("doc", metavar="DOC", help=DOC_HELP)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from storage.read import history as history_read

    db = open_db(args)
    with usage_errors(), db.reader() as s:
        data = history_read.history(s, history_read.resolve_document(s, args.doc))
    if args.json:
        print_json(data)
        return 0
    print_history(data)
    return 0


def print_history(data: dict) -> None:
    from policywatch.cli_text import _, kind, status, when, zone

    d = data["document"]
    print(f"[{d['id']}] {d['title']}  {d['doc_number']}".rstrip())
    state = status(d["status"])
    if d["withdrawn_at"]:
        state += _(", withdrawn %(when)s", when=when(d["withdrawn_at"]))
    print(f"{d['url']}  ({d['site']}, {state})")
    rows = [
        (
            v["seq"],
            when(v["first_seen"]),
            when(v["last_seen"]),
            v["fetches"],
            v["measures"],
            ", ".join(f"{kind(k)} {n}" for k, n in v["changes"].items()) or "-",
        )
        for v in data["versions"]
    ]
    headers = [_("v"), _("first seen (%(zone)s)", zone=zone()), _("last seen (%(zone)s)", zone=zone()),
               _("fetches"), _("measures"), _("changes")]
    print_table(headers, rows, {5: 70})
