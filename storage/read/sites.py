"""Sites and their documents: the overview with crawl state, a site's documents, filter lists."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.models import CrawlRun, Document, Site, Version
from storage.read.common import N_, NotFound, iso


def sites_overview(session: Session, site_id: int | None = None) -> list[dict[str, Any]]:
    """Every site (or one) with its document counts, its last crawl run and its last change.

    "Last change" is the newest of the latest versions' first_seen and the withdrawals: every new
    version and every withdrawal records changes, and this reads one row per document instead
    of scanning the change table.
    """
    docs: dict[int, dict[str, Any]] = {}
    latest = aliased(Version)
    stmt = (
        select(
            Document.site_id,
            Document.status,
            func.count(),
            func.max(latest.first_seen),
            func.max(Document.withdrawn_at),
        )
        .select_from(Document)
        .outerjoin(latest, latest.id == Document.latest_version_id)
        .group_by(Document.site_id, Document.status)
    )
    if site_id is not None:
        stmt = stmt.where(Document.site_id == site_id)
    for sid, status, n, seen, gone in session.execute(stmt):
        d = docs.setdefault(sid, {"counts": {}, "last": None})
        d["counts"][status] = n
        for t in (seen, gone):
            if t is not None and (d["last"] is None or t > d["last"]):
                d["last"] = t
    last_runs = select(func.max(CrawlRun.id)).group_by(CrawlRun.site_id)
    if site_id is not None:
        last_runs = last_runs.where(CrawlRun.site_id == site_id)
    runs = {r.site_id: r for r in session.scalars(select(CrawlRun).where(CrawlRun.id.in_(last_runs.scalar_subquery())))}
    sites = select(Site).order_by(Site.name)
    if site_id is not None:
        sites = sites.where(Site.id == site_id)
    out = []
    for site in session.scalars(sites):
        info = docs.get(site.id, {"counts": {}, "last": None})
        counts = info["counts"]
        run = runs.get(site.id)
        out.append(
            {
                "name": site.name,
                "title": site.title or site.name,
                "documents": sum(counts.values()),
                "active": counts.get("active", 0),
                "withdrawn": counts.get("withdrawn", 0),
                "last_change": iso(info["last"]),
                "last_crawl": None
                if run is None
                else {
                    "status": run.status,
                    "started_at": iso(run.started_at),
                    "finished_at": iso(run.finished_at),
                    "pages": run.pages,
                    "changed": run.changed,
                    "errors": run.errors,
                },
            }
        )
    return out


def site_names(session: Session) -> list[str]:
    return list(session.scalars(select(Site.name).order_by(Site.name)))


def site_by_name(session: Session, name: str) -> Site:
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        raise NotFound(N_("site %(name)s: no such site"), name=repr(name))
    return site


def site_documents(session: Session, site: Site, *, offset: int = 0, limit: int = 50) -> list[dict[str, Any]]:
    """A page of a site's documents, the most recently changed first."""
    rows = session.scalars(
        select(Document)
        .where(Document.site_id == site.id)
        .order_by(Document.last_seen.desc(), Document.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        {
            "id": d.id,
            "title": d.title,
            "doc_number": d.doc_number,
            "publisher": d.publisher,
            "status": d.status,
            "first_seen": iso(d.first_seen),
            "last_seen": iso(d.last_seen),
            "url": d.canonical_url,
        }
        for d in rows
    ]


def publishers(session: Session, limit: int = 500) -> list[str]:
    """Distinct 发布机构 of the stored documents (for a filter list)."""
    return list(
        session.scalars(
            select(Document.publisher).where(Document.publisher != "").distinct().order_by(Document.publisher).limit(limit)
        )
    )
