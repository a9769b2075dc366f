"""`policywatch export --format csv|jsonl [--since DATE] [--out FILE]`: every change, for other tools."""

from __future__ import annotations

import argparse
import csv
import json
import sys

from policywatch.commands.db import add_db_argument, open_db, usage_errors
from policywatch.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export the change history as CSV or JSON lines")
    p.add_argument(
        "--format", choices=("csv", "jsonl"), required=True, help="csv (one row per change) or jsonl"
    )
    p.add_argument(
        "--since", metavar="DATE", help="only changes detected on or after this day (YYYY-MM-DD, UTC)"
    )
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from storage import queries

    with usage_errors():
        since = queries.parse_date(args.since, "--since") if args.since else None
    db = open_db(args)
    try:
        out = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout  # noqa: SIM115
    except OSError as e:
        raise UsageError(f"--out {args.out}: cannot write ({e.strerror})") from e
    n = 0
    try:
        with usage_errors(), db.reader() as s:
            writer = None
            for row in queries.iter_export(s, since):
                if args.format == "jsonl":
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                else:
                    if writer is None:
                        writer = csv.DictWriter(out, fieldnames=list(row))
                        writer.writeheader()
                    flat = {
                        k: json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v
                        for k, v in row.items()
                    }
                    writer.writerow(flat)
                n += 1
    finally:
        if args.out:
            out.close()
    if args.out:
        print(f"{args.out}: {n} changes", file=sys.stderr)
    return 0
