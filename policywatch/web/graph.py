"""The citation graph and validity on the web UI: what the document page shows of them, and
the trace page (a source document's measures beside the local measures adopting them)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from policywatch.web import params, views
from policywatch.web.session import session
from storage import citations, validity
from storage.models import Document

bp = Blueprint("graph", __name__)


def _status_names() -> dict[str, str]:
    """A document's validity status in the request's language (the page states it in Chinese:
    `status_printed`, shown for a status not named here)."""
    return {"in_force": _("in force"), "not_yet": _("not yet in force"), "expired": _("expired"),
            "repealed": _("repealed"), "amended": _("amended"), "partly_expired": _("partly expired")}


def document_graph(s: Session, doc: Document) -> dict[str, Any]:
    """Cites, cited-by and validity for the document page."""
    v = validity.current(s, doc.id)
    return {
        "cites": citations.cites(s, doc.id),
        "cited_by": citations.cited_by(s, doc.id),
        "validity": None if v is None else {
            "status": _status_names().get(v.status, v.status_printed), "effective": v.effective, "expires": v.expires,
            "term_years": v.term_years, "notes": v.notes or [],
        },
    }


@bp.get("/documents/<doc_id>/trace")
def trace(doc_id: str):
    from policywatch.tracing import trace_stored

    s = session()
    local = views.document_or_404(s, params.doc_id(doc_id))
    raw = request.args.get("source", "").strip()
    source = views.document_or_404(s, params.doc_id(raw)) if raw else None
    try:
        result = trace_stored(s, local, source)
    except LookupError as e:
        abort(404, views.error_text(e))
    return render_template("trace.html.j2", r=result, t=result.trace, counts=result.trace.counts(), names=_trace_names())


def _trace_names() -> dict[str, str]:
    """The adoption kinds in the request's language (the CLI prints pipeline.trace.KIND_NAMES)."""
    return {"identical": _("adopted as is"), "adapted": _("adapted"), "absent": _("not adopted"), "local_only": _("local only")}
