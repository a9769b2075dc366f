"""`policywatch export --format csv|jsonl [--since DATE] [--out FILE] [--no-bom]`: every change, for other tools.

The CSV starts with a UTF-8 byte order mark: Excel (the Chinese editions included) reads a CSV
without one in the ANSI code page, GBK there, and shows every title garbled. `--no-bom` is for
tools that take the mark for part of the first column's name.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from policywatch.commands.db import add_db_argument, open_db, usage_errors
from policywatch.errors import UsageError

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (tab and CR too: some of them strip those and read on). Crawled titles and 文号 are
# untrusted, so such a cell gets a leading single quote, the OWASP CSV-injection rule.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # written as EF BB BF: what Excel looks for to read a CSV as UTF-8


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export the change history as CSV or JSON lines")
    p.add_argument(
        "--format", choices=("csv", "jsonl"), required=True, help="csv (one row per change) or jsonl"
    )
    p.add_argument(
        "--since", metavar="DATE", help="only changes detected on or after this day (YYYY-MM-DD, UTC)"
    )
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.add_argument(
        "--no-bom",
        dest="bom",
        action="store_false",
        help="csv: no UTF-8 byte order mark (the default has one, for Excel)",
    )
    add_db_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from storage.read import common as common_read
    from storage.read import feed as feed_read

    with usage_errors():
        since = common_read.parse_date(args.since, "--since") if args.since else None
    db = open_db(args)
    try:
        out = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout  # noqa: SIM115
    except OSError as e:
        from policywatch.cli_text import _

        raise UsageError(_("--out %(path)s: cannot write (%(why)s)", path=args.out, why=e.strerror)) from e
    n = 0
    try:
        with usage_errors(), db.reader() as s:
            writer = None
            for row in feed_read.iter_export(s, since):
                if args.format == "jsonl":
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                else:
                    if writer is None:
                        # Every cell quoted (OWASP): a reader splitting on another separator
                        # cannot start a new cell, and so a formula, inside a quoted one.
                        writer = csv.DictWriter(out, fieldnames=list(row), quoting=csv.QUOTE_ALL)
                        if args.bom:
                            out.write(BOM)
                        writer.writeheader()
                    writer.writerow({k: csv_cell(v) for k, v in row.items()})
                n += 1
    finally:
        if args.out:
            out.close()
    if args.out:
        from policywatch.cli_text import ngettext

        print(ngettext("%(out)s: %(num)d change", "%(out)s: %(num)d changes", n, out=args.out), file=sys.stderr)
    return 0


def csv_cell(value: object) -> object:
    """A value as a spreadsheet-safe CSV cell: lists and dicts as JSON, no live formula."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
