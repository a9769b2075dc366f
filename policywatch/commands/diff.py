"""`policywatch diff DOC [--from V] [--to V | --since DATE] [--json]`: what changed between two
stored versions, or since a day (the version in force before it against the latest)."""

from __future__ import annotations

import argparse

from pipeline.schema import HIDDEN_KINDS
from policywatch.commands.db import (
    add_db_argument,
    inline_diff,
    open_db,
    print_json,
    print_table,
    usage_errors,
)
from policywatch.commands.history import DOC_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "diff", help="the changes between two versions of a document (default: the last two)"
    )
    p.add_argument("doc", metavar="DOC", help=DOC_HELP)
    p.add_argument(
        "--from", dest="from_", metavar="V", help="older version number (default: the one before --to)"
    )
    p.add_argument("--to", metavar="V", help="newer version number (default: the latest; -1 is the latest)")
    p.add_argument(
        "--since",
        metavar="DATE",
        help="what changed since this day (YYYY-MM-DD, UTC) or time: the version before it against the latest",
    )
    p.add_argument("--all", action="store_true", help="include cosmetic changes")
    p.add_argument("--json", action="store_true", help="print JSON, in the `compare --json` shape")
    add_db_argument(p)
    p.set_defaults(func=run)


def _where(side: dict | None) -> str:
    return f"{side['label'] or side['path']}" if side else ""


def run(args: argparse.Namespace) -> int:
    from storage.read import common as common_read
    from storage.read import history as history_read

    with usage_errors():
        if args.since and (args.from_ or args.to):
            raise ValueError("--since: compares with the latest version; give it without --from and --to")
        since = common_read.parse_date(args.since, "--since") if args.since else None
    db = open_db(args)
    with usage_errors(), db.reader() as s:
        doc = history_read.resolve_document(s, args.doc)
        if since is not None:
            data = history_read.diff_since(s, doc, since)
        else:
            data = history_read.diff(s, doc, args.from_, args.to)
    if args.json:
        print_json(data)
        return 0
    d = data["document"]
    print(f"[{d['id']}] {d['title']}: version {data['from']} -> {data['to']} ({data['source']})")
    first_after = since is not None and data["first_seen_after"]
    if first_after:
        print(f"(first seen {d['first_seen']}, after {data['since']}: new since then; changes after its first version)")
    shown = [c for c in data["changes"] if args.all or c["kind"] not in HIDDEN_KINDS]
    rows = []
    for c in shown:
        if c["kind"] in ("modified", "cosmetic"):
            what = inline_diff(c["diff"]) if c["diff"] else (c["new"] or {}).get("text", "")
        else:
            what = ((c["new"] or c["old"]) or {}).get("text", "")
        sim = f"{c['similarity']:.0f}" if c.get("similarity") is not None else ""
        rows.append((c["kind"], _where(c["old"]), _where(c["new"]), sim, what))
    for m in data["metadata_changes"]:
        rows.append(("metadata", m["field"], "", "", f"{m['old']} -> {m['new']}"))
    if not rows:
        print(
            "no changes since its first version"
            if first_after
            else f"no changes since {data['since']}"
            if since is not None
            else "no changes"
        )
        return 0
    print_table(["kind", "old", "new", "sim", "text"], rows, {"text": 90, "old": 16, "new": 16})
    hidden = len(data["changes"]) - len(shown)
    if hidden:
        print(f"({hidden} cosmetic changes not shown; --all shows them)")
    return 0
