"""The same data as JSON under /api/ (described by /api/openapi.json, built from these routes:
their docstrings and the parameters they declare, policywatch.web.openapi)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify
from flask_babel import gettext as _

from policywatch.web import names, params, times, views
from policywatch.web.params import declare
from policywatch.web.session import session
from storage.read import feed as feed_read
from storage.read import history as history_read
from storage.read import sites as sites_read

bp = Blueprint("api", __name__, url_prefix="/api")


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, **({"properties": properties} if properties else {})}


PAGED = _obj(
    ["page", "per_page", "has_next", "items"],
    page={"type": "integer"},
    per_page={"type": "integer"},
    has_next={"type": "boolean"},
    items={"type": "array", "items": {"type": "object"}},
)


def _answer(data: Any) -> Any:
    """What the API sends: stored times with their offset, and every `site` (a config name)
    joined by its display name `site_title`. A version's schema is the page's text: left as is."""
    if isinstance(data, list):
        return [_answer(v) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "schema":
            out[key] = value
        elif key in times.TIME_KEYS:
            out[key] = times.machine(value)
        else:
            out[key] = _answer(value)
        if key == "site" and isinstance(value, str):
            out["site_title"] = names.title(value)
    return out


def _json(data: Any):
    return jsonify(_answer(data))


def _page(rows: list, page: int, per_page: int) -> dict:
    return {"page": page, "per_page": per_page, "has_next": len(rows) > per_page, "items": rows[:per_page]}


@bp.get("/sites")
@declare(ok=("the sites", _obj(["sites"], sites={"type": "array", "items": {"type": "object"}})))
def sites():
    """Every site with its document counts, last crawl run and last change.

    Each site has its config name (`name`, used in URLs) and its display name (`title`).
    """
    return _json({"sites": sites_read.sites_overview(session())})


@bp.get("/sites/<name>")
@declare(params.SITE_NAME, params.PAGE, params.PER_PAGE_ARG, ok=("the site", _obj(["site", "documents"])))
def site(name: str):
    """A site and a page of its documents, most recently seen first."""
    s = session()
    row = views.site_or_404(s, name, "name")
    page, per = params.PAGE.get(), params.PER_PAGE_ARG.get()
    docs = sites_read.site_documents(s, row, offset=(page - 1) * per, limit=per + 1)
    overview = sites_read.sites_overview(s, row.id)[0]
    return _json({"site": overview, "documents": _page(docs, page, per)})


@bp.get("/changes")
@declare(*params.FEED, ok=("a page of changes", PAGED))
def changes():
    """The changes feed, newest first.

    Cosmetic changes only when asked for by kind; each change names its document, site
    (`site`, with `site_title`) and version.
    """
    f = params.feed_args()
    rows = feed_read.changes_feed(session(), **f.query())
    return _json(_page(rows, f.page, f.per_page))


@bp.get("/search")
@declare(params.Q, params.SITE, params.ALL_VERSIONS, params.PAGE, params.PER_PAGE_ARG, ok=("a page of measures", PAGED))
def search():
    """Measures containing a phrase.

    Width, spaces and quote styles do not matter; by default only the latest version of each
    document is searched.
    """
    q = params.Q.get()
    site = params.SITE.get()
    all_versions = params.ALL_VERSIONS.get()
    page, per = params.PAGE.get(), params.PER_PAGE_ARG.get()
    rows = views.search(
        session(), q or "", all_versions=all_versions, site=site, offset=(page - 1) * per, limit=per + 1
    )
    return _json(_page(rows, page, per))


@bp.get("/documents/<doc_id>")
@declare(params.DOC_ID, ok=("the document", _obj(["document", "versions", "attachments"])))
def document(doc_id: str):
    """A document: its versions with change counts, the latest version's normalized schema.

    Also every content fetched of its attachments (url, size, sha256; sites with `attachments`).
    """
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    hist = history_read.history(s, doc)
    latest = views.lookup(history_read.show, s, doc) if hist["versions"] else None
    return _json({**hist, "latest": latest})


@bp.get("/documents/<doc_id>/versions/<seq>")
@declare(params.DOC_ID, params.SEQ, ok=("the version", _obj(["document", "version", "schema"])))
def version(doc_id: str, seq: str):
    """One version's normalized schema (1 = first, -1 = latest)."""
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    if len(seq) > 20:  # longer than any version number; keeps int() cheap
        abort(404, _("version %(seq)s: no such version", seq=repr(seq[:20])))
    try:
        n = int(seq)
    except ValueError:
        abort(400, _("%(name)s: %(raw)s is not a version number", name="seq", raw=repr(seq[:20])))
    v = views.lookup(history_read.version_by_seq, s, doc, n, -1)
    return _json(history_read.version_json(doc, v))


@bp.get("/documents/<doc_id>/diff")
@declare(
    params.DOC_ID,
    params.FROM,
    params.TO,
    ok=("the diff", _obj(["document", "from", "to", "changes", "metadata_changes"])),
)
def diff(doc_id: str):
    """The changes between two versions (default: the last two), in the `compare --json` shape."""
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    data = views.lookup(history_read.diff, s, doc, params.FROM.get(), params.TO.get())
    return _json(data)


@bp.get("/stats/weekly")
@declare(params.WEEKS, params.SITE, ok=("weekly counts", _obj(["weeks", "series"])))
def weekly():
    """Changes per week per site, for the weeks up to the latest change.

    Weeks start on Monday; a change counts on its day in the server's time zone (`[ui] timezone`,
    default Asia/Shanghai), as the web UI's chart does. Each series names its site (`site`, with
    `site_title`).
    """
    return _json(views.weekly(session(), weeks=params.WEEKS.get(), site=params.SITE.get()))
