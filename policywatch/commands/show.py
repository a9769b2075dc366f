"""`policywatch show DOC [--as-of DATE] [--json]`: the text of a document in force on a day."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.schema import section_items
from policywatch.commands.db import add_db_argument, open_db, print_json, usage_errors
from policywatch.commands.history import DOC_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("show", help="the text of a document as stored on a day (default: the latest)")
    p.add_argument("doc", metavar="DOC", help=DOC_HELP)
    p.add_argument(
        "--as-of", metavar="DATE", help="the version in force at the end of this day (YYYY-MM-DD, UTC)"
    )
    p.add_argument("--json", action="store_true", help="print the stored schema as JSON")
    add_db_argument(p)
    p.set_defaults(func=run)


def _section(s: dict[str, Any], depth: int, out: list[str]) -> None:
    pad = "  " * depth
    head = " ".join(x for x in (s.get("label", ""), s.get("title", "")) if x)
    if head:
        out.append(f"{pad}{head}")
    if s.get("text"):
        out.append(f"{pad}  {s['text']}")
    for kind, item in section_items(s):  # the page's reading order, measures and sub-sections interleaved
        if kind == "s":
            _section(item, depth + 1, out)
        else:
            out.append(f"{pad}  {item['label']} {item['text']}".rstrip())


def render(schema: dict[str, Any]) -> str:
    from policywatch.cli_text import _, field

    out = [schema.get("title", "")]
    for name in ("doc_number", "publisher", "published_date"):
        if schema.get(name):
            out.append(_("%(label)s: %(value)s", label=field(name), value=schema[name]))
    if schema.get("preamble"):
        out += ["", schema["preamble"]]
    out.append("")
    for s in schema.get("sections", []):
        _section(s, 0, out)
    if schema.get("closing"):
        out += ["", schema["closing"]]
    return "\n".join(out).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    from storage.read import common as common_read
    from storage.read import history as history_read

    with usage_errors():
        when = common_read.parse_date(args.as_of, "--as-of") if args.as_of else None
    db = open_db(args)
    with usage_errors(), db.reader() as s:
        data = history_read.show(s, history_read.resolve_document(s, args.doc), when)
    if args.json:
        print_json(data)
        return 0
    from policywatch.cli_text import _, when

    v, d = data["version"], data["document"]
    note = _("; withdrawn %(when)s", when=when(d["withdrawn_at"])) if data["withdrawn"] else ""
    seen = _("document %(id)s, version %(seq)s (seen %(first)s .. %(last)s%(note)s)", id=d["id"], seq=v["seq"],
             first=when(v["first_seen"]), last=when(v["last_seen"]), note=note)
    print(f"# {seen}")
    print(f"# {d['url']}")
    print(render(data["schema"]), end="")
    return 0
