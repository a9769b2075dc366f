"""One document's history: find it, its versions, its text on a day, what changed between two
versions (with the stored alignment, for a side-by-side view).

Errors a person can fix (an unknown document, a version that does not exist) raise LookupError
or ValueError with a one-line message; the CLI maps them to exit 2, the web UI to 404 and 400.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.schema import Document as Doc
from storage.bounds import row_id
from storage.change_record import measure_ids, unchanged_pairs, version_changes
from storage.content import doc_number_key
from storage.models import AttachmentRow, ChangeRow, Document, DocumentUrl, MeasureRow, Version
from storage.read.common import N_, BadValue, NotFound, describe, iso
from storage.urls import canonical_url


def resolve_document(session: Session, ref: str) -> Document:
    """DOC as a person types it: a numeric id, a URL, or a 文号 (any bracket style/width)."""
    ref = ref.strip()
    if ref.isascii() and ref.isdigit():
        doc_id = row_id(session, Document.id, ref)
        doc = session.get(Document, doc_id) if doc_id is not None else None
        if doc is None:
            raise NotFound(N_("DOC %(ref)s: no document with this id"), ref=ref)
        return doc
    if "://" in ref:
        doc = session.scalar(
            select(Document)
            .join(DocumentUrl, DocumentUrl.document_id == Document.id)
            .where(DocumentUrl.url == canonical_url(ref))
        )
        if doc is None:
            raise NotFound(N_("DOC %(ref)s: no document was recorded from this URL"), ref=ref)
        return doc
    found = session.scalars(
        select(Document).where(Document.doc_number_key == doc_number_key(ref)).order_by(Document.id)
    ).all()
    if not found:
        raise NotFound(N_("DOC %(ref)s: not an id, a URL or a known 文号"), ref=repr(ref))
    if len(found) > 1:
        ids = ", ".join(str(d.id) for d in found[:10])
        raise NotFound(
            N_("DOC %(ref)s: 文号 matches %(n)s documents (ids %(ids)s); give an id"), ref=repr(ref), n=len(found), ids=ids
        )
    return found[0]


def document_by_id(session: Session, doc_id: int | str) -> Document | None:
    """The document with this id, or None (also for an id beyond what the column holds)."""
    found = row_id(session, Document.id, doc_id)
    return session.get(Document, found) if found is not None else None


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
                "first_seen": iso(v.first_seen),
                "last_seen": iso(v.last_seen),
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
    return {"document": describe(doc), "versions": rows, "attachments": fetched_attachments(session, doc)}


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
            "first_seen": iso(r.first_seen),
            "last_seen": iso(r.last_seen),
            "fetches": r.fetch_count,
        }
        for r in rows
    ]


def version_by_seq(session: Session, doc: Document, spec: str | int | None, default: int) -> Version:
    """A version by number (1 = first; -1 = latest, -2 = the one before)."""
    count = session.scalar(select(func.max(Version.seq)).where(Version.document_id == doc.id)) or 0
    if count == 0:
        raise NotFound(N_("DOC %(id)s: no stored version"), id=doc.id)
    if spec is None:
        seq = default
    else:
        try:
            seq = int(spec)
        except ValueError:  # also a number too long for int() (4300 digits)
            raise BadValue(
                N_("version %(spec)s: expected a version number (see `policywatch history`)"), spec=repr(str(spec)[:40])
            ) from None
        spec = str(spec)[:40]
    if seq < 0:
        seq = count + 1 + seq
    if not 1 <= seq <= count:  # before the query: seq may be beyond what the column holds
        raise NotFound(N_("version %(spec)s: DOC %(id)s has versions 1..%(count)s"), spec=spec, id=doc.id, count=count)
    version = session.scalar(select(Version).where(Version.document_id == doc.id, Version.seq == seq))
    if version is None:
        raise NotFound(N_("version %(spec)s: DOC %(id)s has versions 1..%(count)s"), spec=spec, id=doc.id, count=count)
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
        raise NotFound(
            N_("DOC %(id)s: no version on %(day)s (first seen %(first)s)"), id=doc.id, day=when.date(), first=iso(first)
        )
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
        "document": describe(doc),
        "version": {
            "seq": version.seq,
            "first_seen": iso(version.first_seen),
            "last_seen": iso(version.last_seen),
        },
        "withdrawn": withdrawn,
        "schema": version.normalized,
    }


def version_json(doc: Document, version: Version) -> dict[str, Any]:
    """A stored version as the API gives it: the document, when it was seen, its schema."""
    return {
        "document": describe(doc),
        "version": {"seq": version.seq, "first_seen": iso(version.first_seen), "last_seen": iso(version.last_seen)},
        "schema": version.normalized,
    }


def version_measures(session: Session, version_id: int) -> list[MeasureRow]:
    """A version's measure rows in reading order."""
    return list(
        session.scalars(select(MeasureRow).where(MeasureRow.version_id == version_id).order_by(MeasureRow.ordinal))
    )


def stored_changes(session: Session, version: Version) -> dict[str, Any]:
    """The stored changes of a version against its predecessor, in the `compare --json` shape."""
    return version_changes(session, version.id)


def diff(session: Session, doc: Document, from_spec: str | None, to_spec: str | None) -> dict[str, Any]:
    """Changes between any two versions (default: the last two).

    Consecutive versions read the stored Change rows, so the answer traces to what was
    recorded; any other pair is compared now, from the stored schemas.
    """
    return _diff(session, doc, from_spec, to_spec, aligned=False).changes


def diff_since(session: Session, doc: Document, when: datetime) -> dict[str, Any]:
    """What changed since `when`: the version in force just before it against the latest.

    The changes `changes --since` lists for this document, as one diff. A document first seen
    after `when` is compared from its first version, and says so (`first_seen_after`).
    """
    before = session.scalar(
        select(Version)
        .where(Version.document_id == doc.id, Version.first_seen < when)
        .order_by(Version.seq.desc())
        .limit(1)
    )
    latest = version_by_seq(session, doc, None, default=-1)  # LookupError when none is stored
    base = before if before is not None else version_by_seq(session, doc, None, default=1)
    data = _diff(session, doc, str(base.seq), str(latest.seq), aligned=False).changes
    return {**data, "since": iso(when), "first_seen_after": before is None}


@dataclass
class AlignedDiff:
    """`diff`, with the two versions and the alignment: (old measure id, new measure id) of
    every pair of measures compare found unchanged."""

    changes: dict[str, Any]
    old: Version
    new: Version
    pairs: list[tuple[int, int]]


def aligned_diff(session: Session, doc: Document, from_spec: str | None, to_spec: str | None) -> AlignedDiff:
    """`diff` plus the pairing of the unchanged measures, for a side-by-side view.

    Consecutive versions read the pairs stored with the newer one; a version stored before
    they were kept, and any other pair of versions, is compared now.
    """
    return _diff(session, doc, from_spec, to_spec, aligned=True)


def _diff(session: Session, doc: Document, from_spec: str | None, to_spec: str | None, *, aligned: bool) -> AlignedDiff:
    new = version_by_seq(session, doc, to_spec, default=-1)
    if from_spec is None:
        old = version_by_seq(session, doc, None, default=max(new.seq - 1, 1))
    else:
        old = version_by_seq(session, doc, from_spec, default=1)
    result: dict[str, Any] = {"document": describe(doc), "from": old.seq, "to": new.seq}
    if old.id == new.id:
        same = {**result, "source": "same version", "changes": [], "metadata_changes": []}
        ids = session.scalars(select(MeasureRow.id).where(MeasureRow.version_id == new.id)).all() if aligned else []
        return AlignedDiff(same, old, new, [(i, i) for i in ids])
    stored = new.seq == old.seq + 1
    if stored and (not aligned or new.unchanged_pairs is not None):
        pairs = [(o, n) for o, n in new.unchanged_pairs or []] if aligned else []
        return AlignedDiff({**result, "source": "stored", **stored_changes(session, new)}, old, new, pairs)
    from pipeline.compare import compare  # only for pairs of versions no stored record covers

    cs = compare(Doc.from_dict(old.normalized), Doc.from_dict(new.normalized))
    pairs = (
        [(o, n) for o, n in unchanged_pairs(cs, measure_ids(session, old.id), measure_ids(session, new.id))]
        if aligned
        else []
    )
    if stored:  # the changes as recorded, the pairing compared again
        return AlignedDiff({**result, "source": "stored", **stored_changes(session, new)}, old, new, pairs)
    found = cs.to_dict()
    changes = {**result, "source": "compared", "changes": found["changes"], "metadata_changes": found["metadata_changes"]}
    return AlignedDiff(changes, old, new, pairs)
