"""`policywatch cites DOC`, `cited-by DOC`, `trace LOCAL_DOC [--source DOC]`, `expiring [--within 30d]`:
the citation graph and validity. A Chinese table by default (English with --lang en), --json for programs."""

from __future__ import annotations

import argparse
import re
from datetime import date

from policywatch.commands.db import add_db_argument, open_db, print_json, print_table, usage_errors
from policywatch.commands.history import DOC_HELP


def _matched(by: str) -> str:
    """How a citation was matched: by a field (the vocabulary's label), or not at all."""
    from policywatch.cli_text import _, field

    return field(by) if by else _("not matched")


def _days(raw: str) -> int:
    m = re.fullmatch(r"\s*(\d{1,5})\s*d?\s*", raw)
    if not m:
        raise argparse.ArgumentTypeError(f"{raw[:40]!r} is not a number of days (30 or 30d)")
    return int(m.group(1))


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, func, help_ in (("cites", cites_cmd, "the documents a document cites (引用文件)"),
                              ("cited-by", cited_by_cmd, "the watched documents that cite a document (被引用)")):
        p = subparsers.add_parser(name, help=help_)
        p.add_argument("doc", metavar="DOC", help=DOC_HELP)
        p.add_argument("--json", action="store_true", help="print JSON")
        add_db_argument(p)
        p.set_defaults(func=func)
    p = subparsers.add_parser("trace", help="which measure of a local document adopts each measure of its source")
    p.add_argument("doc", metavar="LOCAL_DOC", help=DOC_HELP)
    p.add_argument("--source", metavar="DOC", help="the source document (default: the one the local text implements)")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(p)
    p.set_defaults(func=trace_cmd)
    p = subparsers.add_parser("expiring", help="documents whose 有效期 ends soon, or has ended")
    p.add_argument("--within", type=_days, default=30, metavar="DAYS", help="days ahead (30 or 30d; default 30)")
    p.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print JSON")
    add_db_argument(p)
    p.set_defaults(func=expiring_cmd)


def _head(d) -> str:
    return f"[{d.id}] {d.title}  {d.doc_number}".rstrip()


def _edges(args: argparse.Namespace, direction: str):
    """The document named by DOC and its edges one way ("cites" or "cited_by"), or None after --json."""
    from storage import citations
    from storage.read import history as history_read

    db = open_db(args)
    with usage_errors(), db.reader() as s:
        doc = history_read.resolve_document(s, args.doc)
        rows, head = getattr(citations, direction)(s, doc.id), _head(doc)
    if args.json:
        print_json({"document": doc.id, direction: rows})
        return None
    print(head)
    return rows


def cites_cmd(args: argparse.Namespace) -> int:
    from policywatch.cli_text import _, field

    rows = _edges(args, "cites")
    if rows is not None:
        print_table([_("cited"), field("doc_number"), _("matched by"), _("watched document")],
                    [(r["title"] or "—", r["doc_number"] or "—", _matched(r["matched_by"]),
                      f"[{r['cited']['id']}] {r['cited']['title']}" if r["cited"] else _("(not watched)")) for r in rows],
                    {0: 50, 3: 50})
    return 0


def cited_by_cmd(args: argparse.Namespace) -> int:
    from policywatch.cli_text import _, field

    rows = _edges(args, "cited_by")
    if rows is not None:
        print_table(["id", _("citing document"), field("doc_number"), _("site"), _("matched by")],
                    [(r["id"], r["title"], r["doc_number"] or "—", r["site"], _matched(r["matched_by"])) for r in rows],
                    {1: 60})
    return 0


def trace_cmd(args: argparse.Namespace) -> int:
    from pipeline.trace import render_text
    from policywatch.tracing import trace_stored
    from storage.read import history as history_read

    db = open_db(args)
    with usage_errors(), db.reader() as s:
        local = history_read.resolve_document(s, args.doc)
        source = history_read.resolve_document(s, args.source) if args.source else None
        result = trace_stored(s, local, source)
        heads = (_head(result.source), _head(result.local))
    if args.json:
        print_json({"source": result.source.id, "local": result.local.id, "source_chosen_by": result.chosen_by,
                    **result.trace.to_dict()})
        return 0
    from policywatch.cli_text import _

    chosen = _(" (chosen from its citations)") if result.chosen_by == "implements" else ""
    print(_("Implemented document:"), heads[0] + chosen)
    print(_("Local document:"), heads[1])
    print()
    print(render_text(result.trace))
    return 0


def expiring_cmd(args: argparse.Namespace) -> int:
    from storage import validity
    from storage.models import utcnow

    today = args.today or utcnow().date()
    db = open_db(args)
    with usage_errors(), db.reader() as s:
        rows = validity.expiring(s, today, args.within)
    if args.json:
        print_json({"today": today.isoformat(), "within_days": args.within, "documents": rows})
        return 0
    from policywatch.cli_text import _, field, ngettext

    if not rows:
        print(ngettext("no document expires within %(num)d day", "no document expires within %(num)d days", args.within))
        return 0

    def left(days: int) -> str:
        if days >= 0:
            return ngettext("%(num)d day", "%(num)d days", days)
        return ngettext("ended %(num)d day ago", "ended %(num)d days ago", -days)

    print_table(["id", _("document"), field("doc_number"), _("site"), _("In force until"), _("left")],
                [(r["id"], r["title"], r["doc_number"] or "—", r["site"], r["expires"], left(r["days_left"])) for r in rows],
                {1: 50})
    return 0
