"""Validity per document: what each stored version says about its force (pipeline/validity.py),
and the reads `policywatch expiring` and the daily notices use.

A row per version keeps the history (a status turned 已废止, a term extended); the document's
validity is its latest version's. A document another document declares 废止 (《X》同时废止) is
repealed too: `repealed_by` finds the declaring documents through the citation edges.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from pipeline.validity import Validity
from storage.models import Document, Site, utcnow
from storage.models_graph import ValidityRow


def _values(document_id: int, version_id: int, v: Validity, repealed: dict[int, int]) -> dict[str, Any]:
    return {
        "document_id": document_id, "version_id": version_id, "status": v.status,
        "status_printed": v.status_printed[:100], "effective": v.effective, "expires": v.expires,
        "term_years": v.term_years,
        "repeals": [{**asdict(r), "document_id": repealed.get(id(r))} for r in v.repeals] or None,
        "amends": [asdict(r) for r in v.amends] or None, "notes": v.notes or None, "recorded_at": utcnow(),
    }


def record_validities(session: Session, items: list[tuple[int, int, Validity, dict[int, int]]], *,
                      fresh: bool = True) -> None:
    """The validity of each (document id, version id, Validity, {id(repealed reference): document
    id it names}); `fresh`: the versions are new."""
    conn = session.connection()
    if not fresh:
        conn.execute(delete(ValidityRow.__table__).where(ValidityRow.version_id.in_([v for _, v, _, _ in items])))
    rows = [_values(*item) for item in items]
    # a version that says nothing of its force needs no row: "unknown" is the absence of one
    rows = [r for r in rows if r["status"] or r["effective"] or r["expires"] or r["repeals"] or r["amends"]]
    if rows:
        conn.execute(insert(ValidityRow.__table__), rows)


def current(session: Session, document_id: int) -> ValidityRow | None:
    """The validity of the document's latest version."""
    return session.scalar(
        select(ValidityRow).join(Document, Document.latest_version_id == ValidityRow.version_id)
        .where(Document.id == document_id)
    )


def history(session: Session, document_id: int) -> list[ValidityRow]:
    return list(session.scalars(select(ValidityRow).where(ValidityRow.document_id == document_id)
                                .order_by(ValidityRow.version_id)))


def expiring(session: Session, today: date, within_days: int, *, include_past: bool = True) -> list[dict[str, Any]]:
    """Active documents whose latest validity ends by today + `within_days` (and, with
    `include_past`, those already past it), soonest first."""
    until = (today + timedelta(days=within_days)).isoformat()
    q = (
        select(Document, Site.name, ValidityRow)
        .join(ValidityRow, ValidityRow.version_id == Document.latest_version_id)
        .join(Site, Site.id == Document.site_id)
        .where(ValidityRow.expires != "", ValidityRow.expires <= until, Document.status == "active")
    )
    if not include_past:
        q = q.where(ValidityRow.expires >= today.isoformat())
    out = []
    for d, site, v in session.execute(q.order_by(ValidityRow.expires, Document.id)):
        days = (date.fromisoformat(v.expires) - today).days
        out.append({"id": d.id, "title": d.title, "doc_number": d.doc_number, "site": site, "url": d.canonical_url,
                    "expires": v.expires, "days_left": days, "status": v.status, "publisher": d.publisher})
    return out


def repealed_by(session: Session) -> dict[int, Document]:
    """{document id: the active document whose latest version declares it 废止 / 失效}."""
    out: dict[int, Document] = {}
    for d, reps in session.execute(
        select(Document, ValidityRow.repeals).join(ValidityRow, ValidityRow.version_id == Document.latest_version_id)
        .where(ValidityRow.repeals.is_not(None), Document.status == "active").order_by(Document.id)
    ):
        for r in reps or []:
            if r.get("document_id") and r["document_id"] != d.id:
                out.setdefault(r["document_id"], d)
    return out


def repealed(session: Session) -> list[dict[str, Any]]:
    """Active documents whose latest version prints 已废止 / 已失效, or that another document's
    latest version declares 废止 (`repealed_by` names it)."""
    by = repealed_by(session)
    out = []
    for d, site, v in session.execute(
        select(Document, Site.name, ValidityRow)
        .join(ValidityRow, ValidityRow.version_id == Document.latest_version_id)
        .join(Site, Site.id == Document.site_id)
        .where(ValidityRow.status.in_(("repealed", "expired")), Document.status == "active")
        .order_by(Document.id)
    ):
        out.append({"id": d.id, "title": d.title, "doc_number": d.doc_number, "site": site, "url": d.canonical_url,
                    "expires": v.expires, "status": v.status, "status_printed": v.status_printed,
                    "publisher": d.publisher, "repealed_by": None})
    seen = {d["id"] for d in out}
    ids = sorted(set(by) - seen)
    for d, site in session.execute(select(Document, Site.name).join(Site, Site.id == Document.site_id)
                                   .where(Document.id.in_(ids), Document.status == "active").order_by(Document.id)):
        y = by[d.id]
        out.append({"id": d.id, "title": d.title, "doc_number": d.doc_number, "site": site, "url": d.canonical_url,
                    "expires": "", "status": "repealed", "status_printed": "已废止", "publisher": d.publisher,
                    "repealed_by": {"id": y.id, "title": y.title, "doc_number": y.doc_number}})
    return out
