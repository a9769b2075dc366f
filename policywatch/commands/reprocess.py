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

    from policywatch.flow import reprocess

    db = open_db(args, create=True)
    with usage_errors():
        report = reprocess(db, site=args.site)
    if args.json:
        print_json(asdict(report))
    else:
        print(
            f"{report.documents} documents, {report.versions} versions re-normalized "
            f"({report.changed_schema} with a different schema); "
            f"changes {report.changes_before} -> {report.changes_after} "
            f"({report.changes_kept} kept, {report.changes_replaced} replaced, {report.changes_new} new)"
        )
    if report.errors:
        raise ProblemFound(
            f"{len(report.errors)} documents could not be reprocessed; first: {report.errors[0]}"
        )
    return 0
