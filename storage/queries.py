"""The questions analysts ask of the history. Each returns plain dicts, ready for a table or JSON.

Errors a person can fix (an unknown document, a version that does not exist) raise LookupError
or ValueError with a one-line message; the CLI maps them to exit 2.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from pipeline.schema import DOCUMENT_EVENTS
from pipeline.schema import Document as Doc
from pipeline.text import norm_text
from storage import search_index
from storage.bounds import row_id
from storage.content import doc_number_key
from storage.models import AttachmentRow, ChangeRow, Document, DocumentUrl, MeasureRow, Site, Version
from storage.urls import canonical_url

MEASURE_KINDS_HIDDEN = ("cosmetic",)  # in history but not in default listings (DESIGN.md)


# -- arguments -------------------------------------------------------------------------------


def parse_date(value: str, what: str = "date") -> datetime:
    """YYYY-MM-DD (start of that day, UTC) or an ISO datetime; ValueError names the argument."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time())
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None
    if parsed.tzinfo is not None:  # stored times are naive UTC
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def resolve_document(session: Session, ref: str) -> Document:
    """DOC as a person types it: a numeric id, a URL, or a 文号 (any bracket style/width)."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        doc_id = row_id(session, Document.id, ref)
        doc = session.get(Document, doc_id) if doc_id is not None else None
        if doc is None:
            raise LookupError(f"DOC {ref}: no document with this id")
        return doc
    if "://" in ref:
        doc = session.scalar(
            select(Document)
            .join(DocumentUrl, DocumentUrl.document_id == Document.id)
            .where(DocumentUrl.url == canonical_url(ref))
        )
        if doc is None:
            raise LookupError(f"DOC {ref}: no document was recorded from this URL")
        return doc
    found = session.scalars(
        select(Document).where(Document.doc_number_key == doc_number_key(ref)).order_by(Document.id)
    ).all()
    if not found:
        raise LookupError(f"DOC {ref!r}: not an id, a URL or a known 文号")
    if len(found) > 1:
        ids = ", ".join(str(d.id) for d in found[:10])
        raise LookupError(f"DOC {ref!r}: 文号 matches {len(found)} documents (ids {ids}); give an id")
    return found[0]


def _describe(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "url": doc.canonical_url,
        "site": doc.site.name,
        "doc_number": doc.doc_number,
        "title": doc.title,
        "status": doc.status,
        "first_seen": _iso(doc.first_seen),
        "last_seen": _iso(doc.last_seen),
        "withdrawn_at": _iso(doc.withdrawn_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value else None


# -- history / versions ----------------------------------------------------------------------


def history(session: Session, doc: Document) -> dict[str, Any]:
    versions = session.scalars(
        select(Version).where(Version.document_id == doc.id).order_by(Version.seq)
    ).all()
    tallies: dict[int, Counter] = {v.id: Counter() for v in versions}
    for vid, kind, n in session.execute(
        select(ChangeRow.version_id, ChangeRow.kind, func.count())
        .where(ChangeRow.document_id == doc.id, ChangeRow.version_id.is_not(None))
        .group_by(ChangeRow.version_id, ChangeRow.kind)
    ):
        tallies[vid][kind] = n
    rows = []
    for v in versions:
        rows.append(
            {
                "seq": v.seq,
                "version_id": v.id,
                "first_seen": _iso(v.first_seen),
                "last_seen": _iso(v.last_seen),
                "fetches": v.fetch_count,
                "http_status": v.http_status,
                "hash": v.content_hash[:12],
                "measures": session.scalar(
                    select(func.count()).select_from(MeasureRow).where(MeasureRow.version_id == v.id)
                ),
                "changes": dict(sorted(tallies[v.id].items())),
                "title": v.title,
            }
        )
    return {"document": _describe(doc), "versions": rows, "attachments": fetched_attachments(session, doc)}


def fetched_attachments(session: Session, doc: Document) -> list[dict[str, Any]]:
    """Every content fetched of the document's attachments (sites with `attachments`), by URL,
    oldest first: a file replaced behind its link shows as two rows of one URL."""
    rows = session.scalars(
        select(AttachmentRow).where(AttachmentRow.document_id == doc.id).order_by(AttachmentRow.url, AttachmentRow.id)
    )
    return [
        {
            "url": r.url,
            "size": r.size,
            "sha256": r.sha256,
            "content_type": r.content_type,
            "first_seen": _iso(r.first_seen),
            "last_seen": _iso(r.last_seen),
            "fetches": r.fetch_count,
        }
        for r in rows
    ]


def version_by_seq(session: Session, doc: Document, spec: str | int | None, default: int) -> Version:
    """A version by number (1 = first; -1 = latest, -2 = the one before)."""
    count = session.scalar(select(func.max(Version.seq)).where(Version.document_id == doc.id)) or 0
    if count == 0:
        raise LookupError(f"DOC {doc.id}: no stored version")
    if spec is None:
        seq = default
    else:
        try:
            seq = int(spec)
        except ValueError:  # also a number too long for int() (4300 digits)
            raise ValueError(
                f"version {str(spec)[:40]!r}: expected a version number (see `policywatch history`)"
            ) from None
        spec = str(spec)[:40]
    if seq < 0:
        seq = count + 1 + seq
    if not 1 <= seq <= count:  # before the query: seq may be beyond what the column holds
        raise LookupError(f"version {spec}: DOC {doc.id} has versions 1..{count}")
    version = session.scalar(select(Version).where(Version.document_id == doc.id, Version.seq == seq))
    if version is None:
        raise LookupError(f"version {spec}: DOC {doc.id} has versions 1..{count}")
    return version


def as_of(session: Session, doc: Document, when: datetime) -> Version:
    """The version in force at `when`: the last one first seen on or before it."""
    version = session.scalar(
        select(Version)
        .where(Version.document_id == doc.id, Version.first_seen <= when)
        .order_by(Version.seq.desc())
        .limit(1)
    )
    if version is None:
        first = session.scalar(select(func.min(Version.first_seen)).where(Version.document_id == doc.id))
        raise LookupError(f"DOC {doc.id}: no version on {when.date()} (first seen {_iso(first)})")
    return version


def show(session: Session, doc: Document, when: datetime | None = None) -> dict[str, Any]:
    """The document text in force on a day (end of that day), or the latest."""
    if when is None:
        version = version_by_seq(session, doc, None, default=-1)
    else:
        end = when + timedelta(days=1) if when.time() == time() else when
        version = as_of(session, doc, end - timedelta(microseconds=1))
    withdrawn = doc.withdrawn_at is not None and (
        when is None or doc.withdrawn_at <= when + timedelta(days=1)
    )
    return {
        "document": _describe(doc),
        "version": {
            "seq": version.seq,
            "first_seen": _iso(version.first_seen),
            "last_seen": _iso(version.last_seen),
        },
        "withdrawn": withdrawn,
        "schema": version.normalized,
    }


# -- changes ---------------------------------------------------------------------------------


def _measure_json(m: MeasureRow | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {"path": m.path, "label": m.label, "text": m.text, "heading": m.heading}


def _change_json(c: ChangeRow, old: MeasureRow | None, new: MeasureRow | None) -> dict[str, Any]:
    sides = {o["side"]: o for o in (c.others or []) if "side" in o}  # text outside measures
    others = [o for o in (c.others or []) if "side" not in o]

    def side(name: str, m: MeasureRow | None) -> dict[str, Any] | None:
        if m is not None:
            return _measure_json(m)
        if name in sides:
            return {
                "path": sides[name]["path"],
                "label": sides[name]["label"],
                "text": sides[name]["text"],
                "heading": "",
            }
        return None

    article = sides.get("article", {})  # the 条 of a change in a law (recorder._article_ref)
    out = {
        "kind": c.kind,
        "old": side("old", old),
        "new": side("new", new),
        "similarity": c.similarity,
        "diff": c.diff or [],
        "renumbered": c.renumbered,
        "moved": c.moved,
        "others": others,
        "old_article": article.get("old_article", ""),
        "new_article": article.get("new_article", ""),
        "units": article.get("units", []),
    }
    for name, whole in article.get("whole", {}).items():
        if out[name] is not None:  # a 条 changed whole: its label and all its 款, not the first 款
            out[name] = {**out[name], "label": whole["label"], "text": whole["text"]}
    return out


def stored_changes(session: Session, version: Version) -> dict[str, Any]:
    """The changes recorded when `version` was stored, in the `compare --json` shape."""
    old_m, new_m = aliased(MeasureRow), aliased(MeasureRow)
    rows = session.execute(
        select(ChangeRow, old_m, new_m)
        .outerjoin(old_m, old_m.id == ChangeRow.old_measure_id)
        .outerjoin(new_m, new_m.id == ChangeRow.new_measure_id)
        .where(ChangeRow.version_id == version.id)
        .order_by(ChangeRow.id)
    ).all()
    changes, metadata = [], []
    for c, old, new in rows:
        if c.kind == "metadata":
            metadata.append({"field": c.field, "old": c.old_value, "new": c.new_value})
        elif c.kind not in DOCUMENT_EVENTS:
            changes.append(_change_json(c, old, new))
    return {"changes": changes, "metadata_changes": metadata}


def diff(session: Session, doc: Document, from_spec: str | None, to_spec: str | None) -> dict[str, Any]:
    """Changes between any two versions (default: the last two).

    Consecutive versions read the stored Change rows, so the answer traces to what was
    recorded; any other pair is compared now, from the stored schemas.
    """
    new = version_by_seq(session, doc, to_spec, default=-1)
    if from_spec is None:
        old = version_by_seq(session, doc, None, default=max(new.seq - 1, 1))
    else:
        old = version_by_seq(session, doc, from_spec, default=1)
    result: dict[str, Any] = {"document": _describe(doc), "from": old.seq, "to": new.seq}
    if old.id == new.id:
        return {**result, "source": "same version", "changes": [], "metadata_changes": []}
    if new.seq == old.seq + 1:
        return {**result, "source": "stored", **stored_changes(session, new)}
    from pipeline.compare import compare  # only for non-consecutive pairs

    cs = compare(Doc.from_dict(old.normalized), Doc.from_dict(new.normalized)).to_dict()
    return {
        **result,
        "source": "compared",
        "changes": cs["changes"],
        "metadata_changes": cs["metadata_changes"],
    }


def changes(
    session: Session,
    *,
    since: datetime | None = None,
    site: str | None = None,
    kinds: list[str] | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Recent changes across documents, newest first; cosmetic ones only when asked for.

    The rows of `changes_feed` without the keys the web UI adds (ids for links, publisher),
    so that `policywatch changes --json` keeps its shape.
    """
    rows = changes_feed(session, since=since, site=site, kinds=kinds, limit=limit)
    for row in rows:
        for key in _FEED_ONLY:
            del row[key]
    return rows


_FEED_ONLY = ("change_id", "publisher", "version_id")


def iter_export(session: Session, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every change (cosmetic included), oldest first, streamed for `export`."""
    old_m, new_m = aliased(MeasureRow), aliased(MeasureRow)
    stmt = (
        select(ChangeRow, Document, Site.name, Version.seq, old_m, new_m)
        .join(Document, Document.id == ChangeRow.document_id)
        .join(Site, Site.id == Document.site_id)
        .outerjoin(Version, Version.id == ChangeRow.version_id)
        .outerjoin(old_m, old_m.id == ChangeRow.old_measure_id)
        .outerjoin(new_m, new_m.id == ChangeRow.new_measure_id)
        .order_by(ChangeRow.detected_at, ChangeRow.id)
        .execution_options(yield_per=500)
    )
    if since is not None:
        stmt = stmt.where(ChangeRow.detected_at >= since)
    for c, d, site_name, seq, old, new in session.execute(stmt):
        yield {
            "change_id": c.id,
            "detected_at": _iso(c.detected_at),
            "site": site_name,
            "document_id": d.id,
            "url": d.canonical_url,
            "doc_number": d.doc_number,
            "title": d.title,
            "version": seq,
            "kind": c.kind,
            "old_path": old.path if old else None,
            "old_label": old.label if old else None,
            "old_text": old.text if old else None,
            "new_path": new.path if new else None,
            "new_label": new.label if new else None,
            "new_text": new.text if new else None,
            "similarity": c.similarity,
            "renumbered": c.renumbered,
            "field": c.field,
            "old_value": c.old_value,
            "new_value": c.new_value,
            "diff": c.diff or [],
        }


# -- search ----------------------------------------------------------------------------------


def search(
    session: Session,
    phrase: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    limit: int | None = 100,
) -> list[dict[str, Any]]:
    """Measures whose normalized text contains the phrase (normalized the same way)."""
    if not norm_text(phrase):
        raise ValueError("TEXT: empty search phrase")
    return search_page(session, phrase, all_versions=all_versions, site=site, limit=limit)


def documents(session: Session, site: str | None = None) -> list[Document]:
    stmt = select(Document).order_by(Document.id)
    if site:
        stmt = stmt.join(Site, Site.id == Document.site_id).where(or_(Site.name == site))
    return list(session.scalars(stmt))


# -- the web UI (Step 7): pages of results, site overview, weekly counts -----------------------


def sites_overview(session: Session, site_id: int | None = None) -> list[dict[str, Any]]:
    """Every site (or one) with its document counts, its last crawl run and its last change.

    "Last change" is the newest of the latest versions' first_seen and the withdrawals: every new
    version and every withdrawal records changes, and this reads one row per document instead
    of scanning the change table.
    """
    from storage.models import CrawlRun

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
                "documents": sum(counts.values()),
                "active": counts.get("active", 0),
                "withdrawn": counts.get("withdrawn", 0),
                "last_change": _iso(info["last"]),
                "last_crawl": None
                if run is None
                else {
                    "status": run.status,
                    "started_at": _iso(run.started_at),
                    "finished_at": _iso(run.finished_at),
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
        raise LookupError(f"site {name!r}: no such site")
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
            "first_seen": _iso(d.first_seen),
            "last_seen": _iso(d.last_seen),
            "url": d.canonical_url,
        }
        for d in rows
    ]


def changes_feed(
    session: Session,
    *,
    site: str | None = None,
    publisher: str | None = None,
    kinds: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    document_id: int | None = None,
    change_ids: list[int] | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[dict[str, Any]]:
    """A page of `changes` with more filters (publisher, an end date, a document) and an offset.

    Rows are those of `changes` plus the change id and version ids (for links and feed ids).
    `until` is exclusive. Cosmetic changes are left out unless `kinds` asks for them.
    """
    old_m, new_m = aliased(MeasureRow), aliased(MeasureRow)
    stmt: Select = (
        select(ChangeRow, Document, Site.name, Version.seq, old_m, new_m)
        .join(Document, Document.id == ChangeRow.document_id)
        .join(Site, Site.id == Document.site_id)
        .outerjoin(Version, Version.id == ChangeRow.version_id)
        .outerjoin(old_m, old_m.id == ChangeRow.old_measure_id)
        .outerjoin(new_m, new_m.id == ChangeRow.new_measure_id)
        .order_by(ChangeRow.detected_at.desc(), ChangeRow.id.desc())
    )
    if since is not None:
        stmt = stmt.where(ChangeRow.detected_at >= since)
    if until is not None:
        stmt = stmt.where(ChangeRow.detected_at < until)
    if site:
        stmt = stmt.where(Site.name == site)
    if publisher:
        stmt = stmt.where(Document.publisher == publisher)
    if document_id is not None:
        stmt = stmt.where(ChangeRow.document_id == document_id)
    if change_ids is not None:
        stmt = stmt.where(ChangeRow.id.in_(change_ids))
    if kinds:
        stmt = stmt.where(ChangeRow.kind.in_(kinds))
    else:
        stmt = stmt.where(ChangeRow.kind.not_in(MEASURE_KINDS_HIDDEN))
    out = []
    stmt = stmt.offset(offset) if offset else stmt
    for c, d, site_name, seq, old, new in session.execute(stmt.limit(limit) if limit else stmt):
        out.append(
            {
                "change_id": c.id,
                "detected_at": _iso(c.detected_at),
                "document_id": d.id,
                "site": site_name,
                "publisher": d.publisher,
                "doc_number": d.doc_number,
                "title": d.title,
                "url": d.canonical_url,
                "version": seq,
                "version_id": c.version_id,
                **_change_json(c, old, new),
                "field": c.field,
                "old_value": c.old_value,
                "new_value": c.new_value,
            }
        )
    return out


def publishers(session: Session, limit: int = 500) -> list[str]:
    """Distinct 发布机构 of the stored documents (for a filter list)."""
    return list(
        session.scalars(
            select(Document.publisher).where(Document.publisher != "").distinct().order_by(Document.publisher).limit(limit)
        )
    )


def changes_per_day(
    session: Session, *, since: datetime | None = None, site: str | None = None
) -> list[tuple[str, str, int]]:
    """(site, YYYY-MM-DD, count) of non-cosmetic changes, for weekly charts."""
    from sqlalchemy import String, cast

    # The day as the first 10 characters of the timestamp's text: the same on both backends, and
    # on SQLite much cheaper than date(), which parses every value.
    day = func.substr(cast(ChangeRow.detected_at, String), 1, 10)
    stmt = (
        select(Document.site_id, day, func.count())
        .join(Document, Document.id == ChangeRow.document_id)
        .where(ChangeRow.kind.not_in(MEASURE_KINDS_HIDDEN))
        .group_by(Document.site_id, day)
    )
    if since is not None:
        stmt = stmt.where(ChangeRow.detected_at >= since)
    if site:
        stmt = stmt.where(Document.site_id == select(Site.id).where(Site.name == site).scalar_subquery())
    names = dict(session.execute(select(Site.id, Site.name)).all())
    return [(names[sid], str(d), n) for sid, d, n in session.execute(stmt)]


def latest_change_at(session: Session) -> datetime | None:
    return session.scalar(select(func.max(ChangeRow.detected_at)))


def search_page(
    session: Session,
    phrase: str,
    *,
    all_versions: bool = False,
    site: str | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> list[dict[str, Any]]:
    """`search` with an offset: storage.search_index (the trigram index, or the scan)."""
    return search_index.search_page(session, phrase, all_versions=all_versions, site=site, offset=offset, limit=limit)
