"""`policywatch diff DOC [--from V] [--to V | --since DATE] [--json]`: what changed between two
stored versions, or since a day (the version in force before it against the latest)."""

from __future__ import annotations

import argparse

from pipeline.schema import HIDDEN_KINDS
from policywatch.commands.db import (
    add_db_argument,
    inline_diff,
    open_db,
    plain_value,
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
    from policywatch.cli_text import _, field, kind, when
    from storage.read import common as common_read
    from storage.read import history as history_read

    with usage_errors():
        if args.since and (args.from_ or args.to):
            raise ValueError(_("--since: compares with the latest version; give it without --from and --to"))
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
    source = {"stored": _("stored"), "same version": _("same version"), "compared": _("compared now from the stored versions")}.get(data["source"], data["source"])
    print(_("[%(id)s] %(title)s: version %(a)s -> %(b)s (%(source)s)", id=d["id"], title=d["title"], a=data["from"],
            b=data["to"], source=source))
    first_after = since is not None and data["first_seen_after"]
    if first_after:
        print(_("(first seen %(first)s, after %(since)s: new since then; changes after its first version)",
                first=when(d["first_seen"]), since=when(data["since"])))
    shown = [c for c in data["changes"] if args.all or c["kind"] not in HIDDEN_KINDS]
    rows = []
    for c in shown:
        if c["kind"] in ("modified", "cosmetic"):
            what = inline_diff(c["diff"]) if c["diff"] else (c["new"] or {}).get("text", "")
        else:
            what = ((c["new"] or c["old"]) or {}).get("text", "")
        sim = f"{c['similarity']:.0f}" if c.get("similarity") is not None else ""
        rows.append((kind(c["kind"]), _where(c["old"]), _where(c["new"]), sim, what))
    for m in data["metadata_changes"]:
        rows.append((kind("metadata"), field(m["field"]), "", "", f"{plain_value(m['old'])} -> {plain_value(m['new'])}"))
    if not rows:
        print(
            _("no changes since its first version")
            if first_after
            else _("no changes since %(since)s", since=when(data["since"]))
            if since is not None
            else _("no changes")
        )
        return 0
    print_table([_("kind"), _("old"), _("new"), _("sim"), _("text")], rows, {4: 90, 1: 16, 2: 16})
    hidden = len(data["changes"]) - len(shown)
    if hidden:
        print(_("(%(n)s cosmetic changes not shown; --all shows them)", n=hidden))
    return 0
