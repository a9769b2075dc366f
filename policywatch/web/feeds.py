"""Atom feeds of changes: all sites, one site, one subscription (for feed readers).

A subscription's feed applies the subscription's own filters with the matcher the outbox uses
(notifications.filters: sites, publishers, document kinds, keywords, change kinds).

Text is escaped by the template (autoescape); characters XML 1.0 forbids, and bidi controls,
are dropped from the whole body by the app (policywatch.web.app, pipeline.safe_text), so a
stored title with U+0001 cannot make the feed unreadable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import gettext as _

from notifications.filters import DEFAULT_KINDS, ChangeFacts, Filters, keyword_text
from pipeline.schema import ALL_KINDS as KINDS
from pipeline.schema import DOCUMENT_EVENTS
from pipeline.text import norm_text
from policywatch.web import names, params, times, views
from policywatch.web.session import session
from storage.bounds import row_id
from storage.models import Subscription
from storage.read import common as common_read
from storage.read import feed as feed_read

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
ENTRIES = 50
SCAN = 2000  # changes looked at for a subscription feed before giving up on filling it


def _atom(title: str, rows: list[dict[str, Any]], self_url: str) -> Response:
    updated = rows[0]["detected_at"] if rows else None
    for r in rows:
        r["link"] = _link(r)
        r["html"] = render_template("entry.html.j2", c=r)
    body = render_template(
        "feed.atom.j2",
        title=title,
        feed_id=self_url,
        self_url=self_url,
        home=url_for("pages.changes", _external=True),
        updated=_rfc3339(updated) if updated else _rfc3339(common_read.iso(datetime(2000, 1, 1))),
        rows=rows,
        rfc3339=_rfc3339,
    )
    return Response(body, mimetype="application/atom+xml")


def _rfc3339(iso: str | None) -> str:
    """<updated> is for the feed reader: UTC with its offset (times.machine)."""
    return times.machine(iso) or ""


def _link(r: dict[str, Any]) -> str:
    if r.get("version") and r["version"] > 1 and r["kind"] not in DOCUMENT_EVENTS:
        return url_for("pages.diff", doc_id=r["document_id"], to=r["version"], _external=True)
    return url_for("pages.document", doc_id=r["document_id"], _external=True)


@bp.get("/changes.atom")
def all_changes():
    f = params.feed_args(per_page_default=ENTRIES, local=True)  # the changes page's days (its link)
    rows = feed_read.changes_feed(session(), **{**f.query(), "limit": f.per_page})
    title = (
        _("policywatch: changes on %(site)s", site=names.title(f.site)) if f.site else _("policywatch: changes on all sites")
    )
    return _atom(title, rows, request.url)


@bp.get("/sites/<name>.atom")
def site(name: str):
    s = session()
    name = views.site_or_404(s, name).name
    rows = feed_read.changes_feed(s, site=name, kinds=params.KIND.get(), limit=ENTRIES)
    return _atom(_("policywatch: changes on %(site)s", site=names.title(name)), rows, request.url)


@bp.get("/subscriptions/<sub_id>.atom")
def subscription(sub_id: str):
    s = session()
    sid = row_id(s, Subscription.id, sub_id)
    if sid is None:
        abort(404, _("subscription %(id)s: no such subscription", id=repr(sub_id[:40])))
    sub = s.get(Subscription, sid)
    if sub is None:
        abort(404, _("subscription %(id)s: no such subscription", id=repr(sub_id)))
    rows = subscription_changes(s, sub.filters or {})
    return _atom(_("policywatch: subscription %(name)s", name=sub.name), rows, request.url)


def subscription_changes(s, filters: dict[str, Any], limit: int = ENTRIES) -> list[dict[str, Any]]:
    """The newest changes this subscription's filters match (notifications.filters, as the
    outbox applies them), in the changes-feed shape. Sites, kinds and documents narrow the SQL;
    publishers, document kinds and keywords are checked on each candidate."""
    f = Filters.from_json(filters)
    doc_kinds: dict[int, str] = {}

    def doc_kind(d) -> str:
        if not f.doc_kinds:
            return "other"
        if d.id not in doc_kinds:
            doc_kinds[d.id] = feed_read.document_kind(s, d)
        return doc_kinds[d.id]

    ids = []
    found = feed_read.candidates(s, kinds=f.kinds or DEFAULT_KINDS, sites=f.sites, documents=f.documents, scan=SCAN)
    for cand in found:
        c, d = cand.change, cand.document
        # what the outbox's keywords see: both measures and the text the change carries
        measures = cand.measure_texts + [norm_text(t) for t in cand.carried]
        facts = ChangeFacts(
            site=cand.site,
            publisher=d.publisher or "",
            doc_kind=doc_kind(d),
            document_id=d.id,
            kind=c.kind,
            text=lambda c=c, d=d, m=measures: keyword_text(d.title, m, c.field, c.old_value, c.new_value),
        )
        if f.matches(facts):
            ids.append(c.id)
            if len(ids) >= limit:
                break
    if not ids:
        return []
    return feed_read.changes_feed(s, kinds=list(KINDS), limit=len(ids), change_ids=ids)
