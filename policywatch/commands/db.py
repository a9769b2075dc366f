"""`policywatch db upgrade|status|record`, and the `--db` option every history command shares.

The database is `--db URL`, else $POLICYWATCH_DATABASE_URL, else ./policywatch.db (SQLite).
A plain path means a SQLite file; postgresql://… uses psycopg 3.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from policywatch.errors import UsageError

DB_HELP = "database URL or SQLite file (default: $POLICYWATCH_DATABASE_URL, else ./policywatch.db)"


# -- shared by the history commands ---------------------------------------------------------


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", default=None, help=DB_HELP)


MAX_LIMIT = 2**31 - 1  # a LIMIT every backend's driver can bind (SQLite and psycopg overflow past 2^63)


def limit_arg(raw: str) -> int:
    """argparse type of --limit: a whole number 0..MAX_LIMIT (0: no limit)."""
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 12 or int(text) > MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{raw[:40]!r} is not a whole number between 0 and {MAX_LIMIT}")
    return int(text)


@contextmanager
def usage_errors() -> Iterator[None]:
    """Turn the storage layer's one-line errors into exit 2 (bad input), never a traceback."""
    from sqlalchemy import exc

    from storage.db import DatabaseError, first_line

    try:
        yield
    except (DatabaseError, LookupError, ValueError) as e:
        raise UsageError(str(e)) from e
    except exc.OperationalError as e:
        raise UsageError(f"database error: {first_line(e.orig)}") from e


def open_db(args: argparse.Namespace, *, create: bool = False):
    """The Database named by --db/env, with this build's schema checked (or created if `create`)."""
    from storage import migrate
    from storage.db import connect

    with usage_errors():
        db = connect(getattr(args, "db", None))
        migrate.require(db, create=create)
    return db


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


display_width = _width


def pad(text: str, width: int, *, right: bool = False) -> str:
    """`text` padded to `width` display columns (CJK characters count two)."""
    fill = " " * max(0, width - _width(text))
    return fill + text if right else text + fill


def clip(text: Any, limit: int) -> str:
    """One line of at most `limit` display columns (CJK characters count two)."""
    text = " ".join(str("" if text is None else text).split())
    if _width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = _width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], limits: dict[Any, int] | None = None
) -> None:
    """A plain aligned table for people; --json is for programs. `limits`: display columns of a
    column, by header or by index (headers in the run's language are not stable keys)."""
    limits = limits or {}
    cells = [
        [clip(v, limits.get(h, limits.get(i, 40))) for i, (h, v) in enumerate(zip(headers, row, strict=True))]
        for row in rows
    ]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for r in cells:
        print(line(r))


def change_summary(c: dict[str, Any]) -> str:
    """One line for a change row of feed_read.changes: the diff, the text, or the field's old -> new."""
    from policywatch.cli_text import _, field, when

    side = c["new"] or c["old"]
    if c["kind"] == "metadata":
        return f"{field(c['field'])}: {plain_value(c['old_value'])} -> {plain_value(c['new_value'])}"
    if c["kind"] == "withdrawn":
        return c["new_value"] or ""  # why, as the crawler recorded it: "http 404", "gone from its listing"
    if c["kind"] == "republished":
        return _("withdrawn %(when)s", when=when(c["old_value"])) if c["old_value"] else ""
    if c["diff"]:
        return inline_diff(c["diff"])
    return side["text"] if side else ""


def plain_value(value: Any) -> str:
    """A metadata value for a terminal: attachments by name, a fetched file by name, size and hash."""
    from policywatch.cli_text import _

    if isinstance(value, dict) and "sha256" in value:
        size = _("%(n)s bytes", n=f"{value.get('size', 0):,}")
        return f"{value.get('name') or value.get('url', '')} ({size}, sha256 {value['sha256'][:12]})"
    if isinstance(value, list):
        return "; ".join(plain_value(v.get("name") or v.get("title") or v) if isinstance(v, dict) else str(v) for v in value)
    return "" if value is None else str(value)


def inline_diff(spans: Sequence[Sequence[str]], context: int = 12) -> str:
    """[-deleted-]{+inserted+} with long unchanged runs elided to `context` characters each side."""
    out = []
    for k, (op, text) in enumerate(spans):
        if op == "delete":
            out.append(f"[-{text}-]")
        elif op == "insert":
            out.append(f"{{+{text}+}}")
        elif len(text) > 2 * context:
            head = "" if k == 0 else text[:context]
            tail = "" if k == len(spans) - 1 else text[-context:]
            out.append(f"{head}…{tail}")
        else:
            out.append(text)
    return "".join(out)


# -- the db command -------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("db", help="create or upgrade the database; record files by hand")
    sub = p.add_subparsers(dest="db_command", metavar="ACTION", parser_class=type(p))
    up = sub.add_parser("upgrade", help="create the tables or migrate them to this version")
    add_db_argument(up)
    up.add_argument(
        "--config",
        metavar="PATH",
        help="policywatch.toml whose [[subscriptions]] are synced (default: $POLICYWATCH_CONFIG, else ./ if present)",
    )
    up.set_defaults(func=upgrade)
    st = sub.add_parser("status", help="schema revision and row counts")
    add_db_argument(st)
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=status)
    rec = sub.add_parser("record", help="record local files as fetched pages (one version each)")
    add_db_argument(rec)
    rec.add_argument("files", nargs="+", metavar="FILE", help="HTML, .txt or .md, oldest first")
    rec.add_argument("--url", required=True, help="the page URL the files are versions of")
    rec.add_argument("--site", default="", help="site name (default: the URL's host)")
    rec.add_argument(
        "--at", action="append", default=[], metavar="DATETIME", help="fetch time per file (UTC)"
    )
    rec.set_defaults(func=record)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def database_url(explicit: str | None, from_config: str | None) -> str:
    """--db, then $POLICYWATCH_DATABASE_URL, then the config, then ./policywatch.db (as the spider does)."""
    from storage.db_file import ENV_VAR, plain_sqlite_url

    raw = explicit or os.environ.get(ENV_VAR) or from_config
    plain = plain_sqlite_url(raw)  # the default needs no SQLAlchemy yet (storage.db_file says why)
    if plain is not None:
        return plain
    from storage.db import resolve_url

    with usage_errors():
        url = resolve_url(raw)
    return url.render_as_string(hide_password=False)


def upgrade(args: argparse.Namespace) -> int:
    from policywatch.notify_config import notify_settings, optional_config, sync_config
    from storage import migrate
    from storage.db import connect

    cfg, where = optional_config(args.config)
    notify = notify_settings(cfg, where)  # a broken config fails before the database is touched
    if cfg is not None:
        args.db = database_url(args.db, cfg.database_url)
    with usage_errors():
        db = connect(args.db)
        db.check_integrity()  # migrating a damaged file would report success on a broken database
        before = migrate.state(db).current
        after = migrate.upgrade(db)
        report = sync_config(db, notify) if cfg is not None else None
    from policywatch.cli_text import _

    print(_("%(db)s: schema %(before)s -> %(after)s", db=db.display_url, before=before or _("(empty)"), after=after.current))
    if report is not None and (report.added or report.updated or report.deactivated):
        print(
            _(
                "subscriptions from %(where)s: %(added)s added, %(updated)s updated, %(deactivated)s deactivated",
                where=where, added=len(report.added), updated=len(report.updated), deactivated=len(report.deactivated),
            )
        )
    return 0


def status(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from storage import migrate
    from storage.models import TABLES, Base

    db = open_db(args)
    with usage_errors(), db.reader() as s:
        db.check_integrity()
        counts = {t: s.scalar(select(func.count()).select_from(Base.metadata.tables[t])) for t in TABLES}
        st = migrate.state(db)
    data = {"database": db.display_url, "schema": st.current, "head": st.head, "rows": counts}
    if args.json:
        print_json(data)
    else:
        from policywatch.cli_text import _

        print(_("%(db)s: schema %(current)s (head %(head)s)", db=data["database"], current=st.current, head=st.head))
        print_table([_("table"), _("rows")], list(counts.items()))
    return 0


def record(args: argparse.Namespace) -> int:
    from policywatch.cli_text import _
    from policywatch.commands.normalize import read_page
    from policywatch.flow import Page, record_page
    from storage.read.common import parse_date

    if args.at and len(args.at) != len(args.files):
        raise UsageError(_("--at: give one per FILE (%(n)s), or none", n=len(args.files)))
    with usage_errors():
        times = [parse_date(a, "--at") for a in args.at] or [None] * len(args.files)
    db = open_db(args, create=True)
    for name, at in zip(args.files, times, strict=True):
        path = Path(name)
        body = read_page(path)
        with usage_errors():
            r = record_page(
                db,
                Page(url=args.url, body=body, site=args.site, filename=path.name, fetched_at=at),
            )
        print(
            _(
                "%(file)s: %(outcome)s (document %(doc)s, version %(seq)s, %(changes)s changes)",
                file=name, outcome=_outcome(r.outcome), doc=r.document_id, seq=r.seq, changes=r.changes,
            )
        )
    return 0


def _outcome(outcome: str) -> str:
    """What recording a page did (flow.record_page's outcome) in the run's language."""
    from policywatch.cli_text import _

    names = {"new": _("new document"), "changed": _("new version"), "unchanged": _("unchanged")}
    return names.get(outcome, outcome)
