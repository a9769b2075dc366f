"""The same data as JSON under /api/ (described by /api/openapi.json)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _

from policywatch.web import params, views
from policywatch.web.session import session
from storage.read import feed as feed_read
from storage.read import history as history_read
from storage.read import sites as sites_read

bp = Blueprint("api", __name__, url_prefix="/api")


def _page(rows: list, page: int, per_page: int) -> dict:
    return {"page": page, "per_page": per_page, "has_next": len(rows) > per_page, "items": rows[:per_page]}


@bp.get("/sites")
def sites():
    return jsonify({"sites": sites_read.sites_overview(session())})


@bp.get("/sites/<name>")
def site(name: str):
    s = session()
    row = views.site_or_404(s, name, "name")
    page = params.int_arg("page", 1, 1, params.MAX_PAGE)
    per = params.int_arg("per_page", params.PER_PAGE, 1, params.MAX_PER_PAGE)
    docs = sites_read.site_documents(s, row, offset=(page - 1) * per, limit=per + 1)
    overview = sites_read.sites_overview(s, row.id)[0]
    return jsonify({"site": overview, "documents": _page(docs, page, per)})


@bp.get("/changes")
def changes():
    f = params.feed_args()
    rows = feed_read.changes_feed(session(), **f.query())
    return jsonify(_page(rows, f.page, f.per_page))


@bp.get("/search")
def search():
    if not request.args.get("q"):
        abort(400, _("q: give a phrase to search for"))
    q = params.text_arg("q", 200)
    site = params.text_arg("site", 200)
    all_versions = params.bool_arg("all_versions")
    page = params.int_arg("page", 1, 1, params.MAX_PAGE)
    per = params.int_arg("per_page", params.PER_PAGE, 1, params.MAX_PER_PAGE)
    rows = views.search(
        session(), q or "", all_versions=all_versions, site=site, offset=(page - 1) * per, limit=per + 1
    )
    return jsonify(_page(rows, page, per))


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    hist = history_read.history(s, doc)
    latest = views.lookup(history_read.show, s, doc) if hist["versions"] else None
    return jsonify({**hist, "latest": latest})


@bp.get("/documents/<doc_id>/versions/<seq>")
def version(doc_id: str, seq: str):
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    if len(seq) > 20:  # longer than any version number; keeps int() cheap
        abort(404, _("version %(seq)s: no such version", seq=repr(seq[:20])))
    try:
        n = int(seq)
    except ValueError:
        abort(400, _("%(name)s: %(raw)s is not a version number", name="seq", raw=repr(seq[:20])))
    v = views.lookup(history_read.version_by_seq, s, doc, n, -1)
    return jsonify(history_read.version_json(doc, v))


@bp.get("/documents/<doc_id>/diff")
def diff(doc_id: str):
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    data = views.lookup(history_read.diff, s, doc, params.version_arg("from"), params.version_arg("to"))
    return jsonify(data)


@bp.get("/stats/weekly")
def weekly():
    weeks = params.int_arg("weeks", 12, 1, 104)
    site = params.text_arg("site", 200)
    return jsonify(views.weekly(session(), weeks=weeks, site=site))
