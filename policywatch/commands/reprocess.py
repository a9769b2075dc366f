"""`policywatch reprocess [--site S]`: rebuild measures and changes from the stored raw pages."""

from __future__ import annotations

import argparse

from policywatch.commands.db import add_db_argument, open_db, print_json, usage_errors
from policywatch.errors import ProblemFound


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "reprocess", help="re-normalize stored pages with this normalizer; rebuild measures and changes"
    )
    p.add_argument("--site", metavar="S", help="only this site")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from policywatch.cli_text import _
    from policywatch.flow import reprocess

    db = open_db(args, create=True)
    with usage_errors():
        report = reprocess(db, site=args.site)
    if args.json:
        print_json(asdict(report))
    else:
        print(
            _(
                "%(documents)s documents, %(versions)s versions re-normalized (%(changed)s with a different schema); "
                "changes %(before)s -> %(after)s (%(kept)s kept, %(replaced)s replaced, %(new)s new)",
                documents=report.documents, versions=report.versions, changed=report.changed_schema,
                before=report.changes_before, after=report.changes_after, kept=report.changes_kept,
                replaced=report.changes_replaced, new=report.changes_new,
            )
        )
    if report.errors:
        raise ProblemFound(
            _("%(n)s documents could not be reprocessed; first: %(first)s", n=len(report.errors), first=report.errors[0])
        )
    return 0
