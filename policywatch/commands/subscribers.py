"""`policywatch subscribers add|list|remove|show`: who receives digests, of what, how often.

Subscriptions declared in policywatch.toml ([[subscriptions]]) are synced into the database
by every subscribers/digest command, and by `run` (at start and on every edit of the file),
`crawl` and `db upgrade`; `add` creates one in the database only, `remove` deactivates one
(queued and sent digests keep their history). None of them needs the SMTP password.
"""

from __future__ import annotations

import argparse

from policywatch.commands.db import add_db_argument, print_json, print_table, usage_errors
from policywatch.errors import UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("subscribers", help="add, list, show or remove digest subscriptions")
    actions = p.add_subparsers(dest="subscribers_command", metavar="ACTION", parser_class=type(p))

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--config", metavar="PATH", help="policywatch.toml (default: $POLICYWATCH_CONFIG, else ./)"
        )
        add_db_argument(q)

    add = actions.add_parser("add", help="subscribe an office")
    add.add_argument("name")
    add.add_argument("--email", action="append", required=True, help="an address (repeat for several)")
    add.add_argument(
        "--cadence", default="immediate", help='immediate (default), "daily 08:00" or "weekly mon 08:00"'
    )
    for key, what in (
        ("site", "only this site"),
        ("publisher", "only documents whose publisher contains this"),
        (
            "doc-kind",
            "only this document kind (notice, opinion, plan, regulation, interpretation, qa, other)",
        ),
        ("keyword", "only changes whose measure text or title contains this"),
        ("kind", "only this change kind (default: everything but cosmetic)"),
    ):
        add.add_argument(f"--{key}", action="append", default=[], help=f"{what}; repeat for several")
    common(add)
    add.set_defaults(func=_add)
    ls = actions.add_parser("list", help="every subscription with its filters and queue")
    ls.add_argument("--json", action="store_true")
    common(ls)
    ls.set_defaults(func=_list)
    show = actions.add_parser("show", help="one subscription in full")
    show.add_argument("name")
    common(show)
    show.set_defaults(func=_show)
    rm = actions.add_parser("remove", help="stop sending to a subscription (added with `add`)")
    rm.add_argument("name")
    common(rm)
    rm.set_defaults(func=_remove)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _add(args: argparse.Namespace) -> int:
    from notifications.subscription_spec import spec_from_options
    from notifications.subscriptions import add
    from policywatch.commands.digest import notify_setup

    raw = {
        "email": args.email,
        "cadence": args.cadence,
        "sites": args.site,
        "publishers": args.publisher,
        "doc_kinds": args.doc_kind,
        "keywords": args.keyword,
        "kinds": [k for arg in args.kind for k in arg.split(",") if k],
    }
    try:
        spec = spec_from_options(args.name, raw)
    except ValueError as e:
        key, _, why = str(e).partition(": ")
        option = {"email": "--email", "cadence": "--cadence", "sites": "--site", "publishers": "--publisher",
                  "doc_kinds": "--doc-kind", "keywords": "--keyword", "kinds": "--kind"}.get(key, key)  # fmt: skip
        raise UsageError(f"subscribers add {args.name}: {option}: {why}") from None  # the checker's words, verbatim
    db, _ = notify_setup(args)
    with usage_errors(), db.writer() as s:
        add(s, spec)
    from policywatch.cli_text import _

    print(_("added %(name)s: %(addresses)s, %(cadence)s, %(receives)s", name=spec.name,
            addresses=", ".join(spec.addresses), cadence=spec.cadence, receives=receives(spec.filters.to_json())))
    return 0


def _rows(db):
    from sqlalchemy import func, select

    from storage.models import Outbox, Subscription

    with db.reader() as s:
        subs = list(s.scalars(select(Subscription).order_by(Subscription.name)))
        queued = dict(
            s.execute(
                select(Outbox.subscription_id, func.count())
                .where(Outbox.status.in_(("pending", "sending", "retry")))
                .group_by(Outbox.subscription_id)
            ).all()
        )
        sent = dict(
            s.execute(
                select(Outbox.subscription_id, func.max(Outbox.sent_at))
                .where(Outbox.status == "sent")
                .group_by(Outbox.subscription_id)
            ).all()
        )
    return subs, queued, sent


def _describe(sub, queued, sent) -> dict:
    from notifications.filters import Filters
    from notifications.subscriptions import addresses

    return {
        "name": sub.name,
        "addresses": addresses(sub),
        "cadence": sub.cadence,
        "filters": sub.filters or {},
        "receives": Filters.from_json(sub.filters).describe(),
        "active": sub.active,
        "origin": sub.origin,
        "queued": queued.get(sub.id, 0),
        "last_sent": sent.get(sub.id),
    }


def _list(args: argparse.Namespace) -> int:
    from policywatch.commands.digest import notify_setup

    db, _ = notify_setup(args)
    subs, queued, sent = _rows(db)
    data = [_describe(s, queued, sent) for s in subs]
    if args.json:
        print_json(data)
        return 0
    from policywatch.cli_text import _, when, zone

    if not data:
        print(_("no subscriptions (add one with `policywatch subscribers add` or [[subscriptions]] in policywatch.toml)"))
        return 0
    origins = {"config": _("config"), "cli": _("added by hand")}
    print_table(
        [_("name"), _("addresses"), _("cadence"), _("receives"), _("state"), _("queued"),
         _("last sent (%(zone)s)", zone=zone())],
        [
            (
                d["name"],
                ", ".join(d["addresses"]),
                d["cadence"],
                receives(d["filters"]),
                (_("active") if d["active"] else _("removed")) + f" ({origins.get(d['origin'], d['origin'])})",
                d["queued"],
                when(d["last_sent"]),
            )
            for d in data
        ],
        {3: 40},
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from notifications.subscriptions import get
    from policywatch.commands.digest import notify_setup

    db, _ = notify_setup(args)
    with usage_errors(), db.reader() as s:
        get(s, args.name)
    subs, queued, sent = _rows(db)
    print_json(next(_describe(s, queued, sent) for s in subs if s.name == args.name))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from notifications.subscriptions import remove
    from policywatch.commands.digest import notify_setup

    db, notify = notify_setup(args)
    with usage_errors(), db.writer() as s:
        remove(s, args.name, config_path=notify.where)
    from policywatch.cli_text import _

    print(_("removed %(name)s (no further digests; history kept)", name=args.name))
    return 0


def receives(filters: dict) -> str:
    """What a subscription receives, in the run's language (`receives` of --json stays English):
    its filters by key, kinds by their vocabulary labels."""
    from policywatch.cli_text import _, kind

    names = {"sites": _("sites"), "publishers": _("publishers"), "doc_kinds": _("document kinds"),
             "keywords": _("keywords"), "kinds": _("change kinds"), "documents": _("documents")}
    parts = [
        f"{names.get(k, k)}={','.join(kind(x) if k == 'kinds' else str(x) for x in v)}" for k, v in (filters or {}).items() if v
    ]
    return "; ".join(parts) or _("everything but cosmetic")
