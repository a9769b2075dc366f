"""Citation edges: write them for a stored version, read what a document cites and who cites it.

Every reference a version prints is a row, answered or not: the page cited is often crawled
after the page citing it, so when a document is stored its keys are matched against the
references still unanswered (`_backfill`). Matching is pipeline.citations.resolve over only the
documents the references can name, read through the `document_key` index; for the title-core
fallback that set holds every document sharing the core, so the answer is the one resolve
would give over all watched documents.

`record_graph` is the one call the write path makes for a new version (recorder, fresh batch,
reprocess): edges, keys, back-fill, and the version's validity (storage/validity.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from pipeline.citations import Candidate, doc_number_key, resolve, title_core, title_key
from pipeline.schema import Document as Doc
from pipeline.schema import Reference
from pipeline.validity import read_validity
from storage.models import Document, Site, Version
from storage.models_graph import CitationRow, DocumentKey
from storage.validity import record_validities

_MIN_CORE = 8  # pipeline.citations compares cores of this length or more


def _cores(keys: Iterable[str]) -> list[str]:
    return [c for c in dict.fromkeys(title_core(k) for k in keys) if len(c) >= _MIN_CORE]


def _candidates(session: Session, numbers: set[str], titles: set[str], cores: set[str]) -> list[Candidate]:
    """The watched documents whose 文号, title or title core is one of these."""
    wanted = [(kind, vals) for kind, vals in (("number", numbers), ("title", titles), ("core", cores)) if vals]
    if not wanted:
        return []
    ids = set(
        session.scalars(
            select(DocumentKey.document_id).where(
                or_(*((DocumentKey.kind == kind) & DocumentKey.key.in_(sorted(vals)) for kind, vals in wanted))
            )
        )
    )
    if not ids:
        return []
    number: dict[int, str] = {}
    keys: dict[int, list[str]] = {i: [] for i in ids}
    for did, kind, key in session.execute(
        select(DocumentKey.document_id, DocumentKey.kind, DocumentKey.key).where(DocumentKey.document_id.in_(ids))
    ):
        if kind == "number":
            number[did] = key
        elif kind == "title":
            keys[did].append(key)
    return [Candidate(str(i), number.get(i, ""), tuple(keys[i])) for i in sorted(ids)]


def _lookup(session: Session, refs: list[Reference]) -> list[Candidate]:
    tkeys = {title_key(r.title) for r in refs if r.title} - {""}
    return _candidates(session, {doc_number_key(r.doc_number) for r in refs} - {""}, tkeys, set(_cores(tkeys)))


def _key_rows(document_id: int, cand: Candidate) -> list[dict[str, Any]]:
    rows = [("number", cand.number_key)] if cand.number_key else []
    rows += [("title", k) for k in cand.title_keys] + [("core", c) for c in _cores(cand.title_keys)]
    return [{"document_id": document_id, "kind": k, "key": v} for k, v in rows]


def record_graph(session: Session, document_row: Document, version_row: Version | int, doc: Doc) -> None:
    """The citation edges and validity of a newly stored version of `document_row`."""
    version_id = version_row if isinstance(version_row, int) else version_row.id
    record_graphs(session, [(document_row.id, version_id, doc)], fresh=False)


def record_graphs(session: Session, items: list[tuple[int, int, Doc]], *, fresh: bool = True) -> None:
    """`record_graph` for a batch of (document id, version id, Doc), in a fixed number of
    statements (storage/fresh.py writes a first crawl this way). `fresh`: the documents and
    versions are new, so there is nothing of theirs to replace."""
    if not items:
        return
    conn = session.connection()
    cands = {d: Candidate.of(str(d), doc) for d, _, doc in items}
    if not fresh:
        ids = sorted(cands)
        conn.execute(delete(DocumentKey.__table__).where(DocumentKey.document_id.in_(ids)))
        conn.execute(delete(CitationRow.__table__).where(CitationRow.version_id.in_([v for _, v, _ in items])))
    keys = [r for d, c in cands.items() for r in _key_rows(d, c)]
    if keys:
        conn.execute(insert(DocumentKey.__table__), keys)
    found = {v: read_validity(doc) for _, v, doc in items}
    refs = [r for _, _, doc in items for r in doc.references] + [r for x in found.values() for r in x.repeals]
    known = _lookup(session, refs)
    repealed = {v: {id(e.reference): int(e.doc_id) for e in resolve(found[v].repeals, known, own_id=str(d))}
                for d, v, _ in items}
    rows = []
    for d, v, doc in items:
        answered = {id(e.reference): e for e in resolve(doc.references, known, own_id=str(d))}
        for i, ref in enumerate(doc.references):
            tkey = title_key(ref.title) if ref.title else ""
            edge = answered.get(id(ref))
            rows.append({
                "version_id": v, "document_id": d, "ordinal": i, "ref_title": ref.title or "",
                "ref_doc_number": ref.doc_number or "", "number_key": doc_number_key(ref.doc_number),
                "title_key": tkey, "title_core": title_core(tkey) if tkey else "",
                "cited_document_id": int(edge.doc_id) if edge else None, "matched_by": edge.matched_by if edge else "",
            })
    if rows:
        conn.execute(insert(CitationRow.__table__), rows)
    _backfill(session, list(cands.values()))
    record_validities(session, [(d, v, found[v], repealed[v]) for d, v, _ in items], fresh=fresh)


def _backfill(session: Session, cands: list[Candidate]) -> None:
    """Unanswered references elsewhere that these documents' keys may answer."""
    numbers = {c.number_key for c in cands} - {""}
    titles = {k for c in cands for k in c.title_keys}
    cores = set(_cores(titles))
    conds = [CitationRow.number_key.in_(sorted(numbers))] if numbers else []
    if titles:
        conds.append(CitationRow.title_key.in_(sorted(titles)))
    if cores:
        conds.append(CitationRow.title_core.in_(sorted(cores)))
    if not conds:
        return
    conn = session.connection()
    t = CitationRow.__table__
    pending = conn.execute(
        select(t.c.id, t.c.document_id, t.c.ref_title, t.c.ref_doc_number).where(t.c.cited_document_id.is_(None),
                                                                                  or_(*conds))
    ).all()
    if not pending:
        return
    refs = [Reference(title=title, doc_number=number) for _, _, title, number in pending]
    known = _lookup(session, refs)
    updates = []
    for (cid, citing, _, _), ref in zip(pending, refs, strict=True):
        hit = resolve([ref], known, own_id=str(citing))
        if hit:
            updates.append({"cid": cid, "doc": int(hit[0].doc_id), "how": hit[0].matched_by})
    if updates:
        conn.execute(update(t).where(t.c.id == bindparam("cid"))
                     .values(cited_document_id=bindparam("doc"), matched_by=bindparam("how")), updates)


# -- the read side ------------------------------------------------------------------------------


def _doc_brief(d: Document, site: str) -> dict[str, Any]:
    return {"id": d.id, "title": d.title, "doc_number": d.doc_number, "site": site, "status": d.status,
            "url": d.canonical_url}


def cites(session: Session, document_id: int) -> list[dict[str, Any]]:
    """What the latest version of the document cites, in the order printed; `cited` is None for a
    reference no watched document answers."""
    latest = session.scalar(select(Document.latest_version_id).where(Document.id == document_id))
    if latest is None:
        return []
    rows = session.scalars(select(CitationRow).where(CitationRow.version_id == latest).order_by(CitationRow.ordinal))
    out, seen = [], set()
    for r in rows:
        if r.cited_document_id is not None and r.cited_document_id in seen:
            continue
        seen.add(r.cited_document_id)
        cited = None
        if r.cited_document_id is not None:
            d, site = session.execute(
                select(Document, Site.name).join(Site, Site.id == Document.site_id)
                .where(Document.id == r.cited_document_id)
            ).one()
            cited = _doc_brief(d, site)
        out.append({"title": r.ref_title, "doc_number": r.ref_doc_number, "matched_by": r.matched_by,
                    "cited": cited})
    return out


def cited_by(session: Session, document_id: int) -> list[dict[str, Any]]:
    """The documents whose latest version cites this one, with how each was matched."""
    rows = session.execute(
        select(Document, Site.name, CitationRow.matched_by, CitationRow.ref_title, CitationRow.ref_doc_number)
        .join(CitationRow, CitationRow.version_id == Document.latest_version_id)
        .join(Site, Site.id == Document.site_id)
        .where(CitationRow.cited_document_id == document_id)
        .order_by(Document.id, CitationRow.ordinal)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for d, site, how, title, number in rows:
        out.setdefault(d.id, {**_doc_brief(d, site), "matched_by": how, "reference": {"title": title,
                                                                                       "doc_number": number}})
    return list(out.values())


def citing_documents(session: Session, document_id: int) -> list[int]:
    """Ids of the documents whose latest version cites `document_id` (the impact hook reads them)."""
    return list(
        session.scalars(
            select(Document.id).distinct()
            .join(CitationRow, CitationRow.version_id == Document.latest_version_id)
            .where(CitationRow.cited_document_id == document_id, Document.status == "active")
        )
    )
