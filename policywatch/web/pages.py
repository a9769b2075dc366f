"""The HTML pages: sites, a site, the changes feed, search, a document, a diff, the chart."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from pipeline.schema import ALL_KINDS as KINDS
from policywatch.web import params, times, views
from policywatch.web.charts import weekly_svg
from policywatch.web.graph import document_graph
from policywatch.web.session import session
from storage.read import feed as feed_read
from storage.read import history as history_read
from storage.read import sites as sites_read

bp = Blueprint("pages", __name__)


@bp.get("/")
def sites():
    # The chart is its own request (/charts/weekly.svg): aggregating every change of the last
    # weeks costs as much as the rest of the page, and the table should not wait for it.
    weeks = params.WEEKS.get()
    return render_template("sites.html.j2", sites=sites_read.sites_overview(session()), weeks=weeks)


@bp.get("/sites/<name>")
def site(name: str):
    s = session()
    row = views.site_or_404(s, name)
    page = params.PAGE.get()
    per = params.PER_PAGE
    docs = sites_read.site_documents(s, row, offset=(page - 1) * per, limit=per + 1)
    overview = sites_read.sites_overview(s, row.id)[0]
    recent = feed_read.changes_feed(s, site=row.name, limit=10)
    return render_template(
        "site.html.j2",
        site=overview,
        documents=docs[:per],
        page=page,
        has_next=len(docs) > per,
        recent=recent,
        chart=weekly_svg(views.weekly(s, site=row.name)),
    )


@bp.get("/changes")
def changes():
    s = session()
    f = params.feed_args(local=True)  # the days of the zone the page shows its times in
    rows = feed_read.changes_feed(s, **f.query())
    return render_template(
        "changes.html.j2",
        rows=rows[: f.per_page],
        has_next=len(rows) > f.per_page,
        f=f,
        args=f.args(),
        kinds=KINDS,
        sites=sites_read.site_names(s),
        publishers=sites_read.publishers(s),
        form=request.args,
    )


@bp.get("/search")
def search():
    s = session()
    q = params.Q.get(required=False)  # no phrase: the page shows its form
    site = params.SITE.get()
    all_versions = params.ALL_VERSIONS.get()
    page = params.PAGE.get()
    per = params.PER_PAGE
    rows = views.search(s, q or "", all_versions=all_versions, site=site, offset=(page - 1) * per, limit=per + 1)
    return render_template(
        "search.html.j2",
        q=q or "",
        site=site or "",
        all_versions=all_versions,
        rows=rows[:per],
        page=page,
        has_next=len(rows) > per,
        args={k: v for k, v in request.args.items() if v and k != "page"},
        sites=sites_read.site_names(s),
    )


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    data = views.document(s, doc)
    recent = feed_read.changes_feed(s, document_id=doc.id, limit=20)
    return render_template("document.html.j2", d=data, recent=recent, g=document_graph(s, doc))


@bp.get("/documents/<doc_id>/diff")
def diff(doc_id: str):
    s = session()
    doc = views.document_or_404(s, params.doc_id(doc_id))
    view = request.args.get("view", "side")
    if view not in ("side", "inline"):
        abort(400, _("view: %(raw)s is not side or inline", raw=repr(view[:20])))
    data = views.diff(s, doc, params.FROM.get(), params.TO.get())
    versions = history_read.history(s, doc)["versions"]
    return render_template("diff.html.j2", d=data, view=view, versions=versions)


@bp.get("/chart")
def chart():
    s = session()
    weeks = params.WEEKS.get()
    site = params.SITE.get()
    data = views.weekly(s, weeks=weeks, site=site)
    return render_template(
        "chart.html.j2", chart=weekly_svg(data), data=data, weeks=weeks, site=site or "", zone=times.zone()
    )
