"""A digest: one subscription's queued changes, gathered into what the templates render.

The view of a change (its document, labels, inline diff) does not depend on who receives it,
so `ViewCache` builds it once per change and every digest of a run shares it: 1,000
subscriptions over the same 500 changes read and shape those 500 changes once.

Identity: the digest key is a hash of the subscription and the exact set of outbox rows in it,
so the same rows always make the same key and the same Message-ID. A resend after a crash, or
a retry after a 4xx, carries the id of the first attempt and a receiving system can drop the
duplicate.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from notifications.describe import CONTEXT, AttachmentNote, Span, attachment_notes, spans, value_text
from notifications.impact import build_impact, split_rows
from notifications.renumbering import Run, version_runs
from notifications.subscriptions import addresses
from pipeline.schema import DOCUMENT_EVENTS, KIND_ORDER, field_label, kind_label
from storage.change_record import change_json, change_query
from storage.models import ChangeRow, Document, MeasureRow, Site, Subscription, Version

__all__ = ["CONTEXT", "Digest", "DigestContext", "DocumentView", "Span", "ViewCache", "build_context", "make_digest"]


def digest_key(subscription_id: int, outbox_ids: Iterable[int]) -> str:
    ids = ",".join(str(i) for i in sorted(outbox_ids))
    return hashlib.sha256(f"sub:{subscription_id}:rows:{ids}".encode()).hexdigest()[:32]


def message_id(key: str, domain: str) -> str:
    return f"<digest.{key}@{domain}>"


@dataclass
class ChangeView:
    id: int
    kind: str
    kind_label: str
    old_label: str = ""
    new_label: str = ""
    heading: str = ""
    spans: list[Span] = field(default_factory=list)
    attachments: list[AttachmentNote] = field(default_factory=list)  # an attachment change, in words
    field: str = ""
    field_label: str = ""
    similarity: float | None = None
    moved: bool = False
    old_seq: int | None = None  # the numbers of the two versions compared (the diff page's from/to)
    new_seq: int | None = None
    new_seen: datetime | None = None  # when the version this change is in was first fetched
    # its blocks as rendered in this run (notifications/render.py Pieces), by language and base_url
    rendered: dict[tuple, str] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @property
    def label_change(self) -> str:
        """ "3." , "3. → 4." or "" - what a reader looks for in the printed document."""
        if self.old_label and self.new_label and self.old_label != self.new_label:
            return f"{self.old_label} → {self.new_label}"
        return self.new_label or self.old_label


@dataclass
class DocumentView:
    id: int
    site: str  # the config id; `site_title` is what a person reads
    title: str
    doc_number: str
    publisher: str
    url: str
    published_date: str = ""
    old_seen: datetime | None = None  # when the previous version was fetched first (naive UTC)
    new_seen: datetime | None = None  # and the newest version in this digest; None: no new version
    status: str = "active"
    event: str = ""  # one of DOCUMENT_EVENTS, when the document itself is the news
    changes: list[ChangeView] = field(default_factory=list)
    site_title: str = ""
    events: list[ChangeView] = field(default_factory=list)  # its document events in this digest
    version_id: int | None = None  # the newest version in this digest
    renumbered: list[Run] = field(default_factory=list)  # 条 renumbered by that version

    @property
    def safe_url(self) -> str:
        """The link only if it is http(s): a crawled `javascript:` URL is shown, never linked."""
        return self.url if self.url.startswith(("http://", "https://")) else ""


@dataclass
class SiteView:
    name: str  # the config id
    documents: list[DocumentView]
    title: str = ""  # its display name (storage.sites.display_name): `title` in [[sites]], else the id


@dataclass
class DigestContext:
    subscription: str
    generated_at: datetime  # naive UTC; shown in [digest] timezone
    counts: list[tuple[str, str, int]]  # (kind, label, n), in KIND_ORDER: n is what is listed
    added: list[DocumentView]
    withdrawn: list[DocumentView]
    sites: list[SiteView]
    total: int
    documents: int
    republished: list[DocumentView] = field(default_factory=list)
    impact: list[Any] = field(default_factory=list)  # notifications.impact.ImpactView: 上位文件变化


@dataclass
class Digest:
    subscription_id: int
    subscription: str
    addresses: list[str]
    outbox_ids: list[int]
    key: str
    message_id: str
    context: DigestContext


def _side(change: dict[str, Any], name: str) -> tuple[str, str]:
    """(label, text) of one side of a decoded change (storage.change_record) as a reader names it.

    In a law the 条: a 条 changed whole shows its label and all its 款, a change inside a 条
    "第八条第二款". A 公文 keeps the page's labels.
    """
    side = change[name]
    if side is None:
        return "", ""
    label, text = side["label"] or side["path"], side["text"]
    if change["units"]:  # a 条 changed whole: the side is the 条 itself
        return side["label"], text
    named = change[f"{name}_article"]
    if named and not label.startswith(named):
        label = f"{named}{label}"
    return label, text


class ViewCache:
    """Change and document views by id, loaded in batches and shared by every digest of a run."""

    def __init__(self) -> None:
        self.changes: dict[int, tuple[int, ChangeView]] = {}
        self.documents: dict[int, DocumentView] = {}
        self.runs: dict[int, list[Run]] = {}  # version id -> its renumbered 条 (notifications.renumbering)
        # version id -> (first seen, seq); the dates a change's document view takes
        self._versions: dict[int, tuple[datetime, int]] = {}

    def load(self, session: Session, change_ids: Iterable[int]) -> None:
        missing = sorted({i for i in change_ids if i not in self.changes})
        for start in range(0, len(missing), 500):
            self._load(session, missing[start : start + 500])

    def renumbering(self, session: Session, version_id: int) -> list[Run]:
        if version_id not in self.runs:
            self.runs[version_id] = version_runs(session, version_id)
        return self.runs[version_id]

    def _load(self, session: Session, ids: list[int]) -> None:
        new_v = aliased(Version)
        rows = session.execute(
            change_query(
                new_v.first_seen,
                new_v.published_date,
                new_v.seq,
                joins=lambda stmt: stmt.outerjoin(new_v, new_v.id == ChangeRow.version_id),
            ).where(ChangeRow.id.in_(ids))
        ).all()
        doc_ids = {c.document_id for c, *_ in rows} - set(self.documents)
        if doc_ids:
            for d, site, site_title in session.execute(
                select(Document, Site.name, Site.title)
                .join(Site, Site.id == Document.site_id)
                .where(Document.id.in_(doc_ids))
            ):
                self.documents[d.id] = DocumentView(
                    id=d.id,
                    site=site,
                    site_title=site_title or site,
                    title=d.title or "(无标题)",
                    doc_number=d.doc_number or "",
                    publisher=d.publisher or "",
                    url=d.canonical_url or "",
                    status=d.status,
                )
        prev_ids = {c.prev_version_id for c, *_ in rows if c.prev_version_id} - set(self._versions)
        if prev_ids:
            for vid, seen, seq in session.execute(
                select(Version.id, Version.first_seen, Version.seq).where(Version.id.in_(prev_ids))
            ):
                self._versions[vid] = (seen, seq)
        for c, old, new, new_seen, published, new_seq in rows:
            doc = self.documents[c.document_id]
            prev = self._versions.get(c.prev_version_id) if c.prev_version_id else None
            # a document's dates: from the oldest version its changes start from to the newest
            if new_seen is not None and (doc.new_seen is None or new_seen >= doc.new_seen):
                doc.new_seen, doc.version_id = new_seen, c.version_id
                doc.published_date = published or doc.published_date
            if prev is not None and new_seen is not None and (doc.old_seen is None or prev[0] < doc.old_seen):
                doc.old_seen = prev[0]
            view = self._view(c, old, new)
            view.old_seq, view.new_seq, view.new_seen = (prev[1] if prev else None), new_seq, new_seen
            self.changes[c.id] = (c.document_id, view)

    @staticmethod
    def _view(c: ChangeRow, old: MeasureRow | None, new: MeasureRow | None) -> ChangeView:
        decoded = change_json(c, old, new)
        old_label, old_text = _side(decoded, "old")
        new_label, new_text = _side(decoded, "new")
        view = ChangeView(
            id=c.id,
            kind=c.kind,
            kind_label=kind_label(c.kind),
            old_label=old_label,
            new_label=new_label,
            heading=(new or old).heading if (new or old) else "",
            similarity=c.similarity,
            moved=bool(c.moved),
        )
        if c.kind == "metadata":
            view.field = c.field or ""
            view.field_label = field_label(view.field)
            view.attachments = attachment_notes(view.field, c.old_value, c.new_value)
            if not view.attachments:  # an attachment change is told in words, never as values
                view.spans = [
                    s
                    for s in (Span("delete", value_text(c.old_value)), Span("insert", value_text(c.new_value)))
                    if s.text
                ]
        elif c.kind in ("modified", "split", "merged") and c.diff:
            view.spans = spans(c.diff)
        elif c.kind == "removed" and old_text:
            view.spans = [Span("delete", old_text)]
        elif c.kind == "added" and new_text:
            view.spans = [Span("insert", new_text)]
        elif c.kind in ("moved", "cosmetic") and (new_text or old_text):
            view.spans = spans([["equal", new_text or old_text]], context=CONTEXT)
        elif c.kind in ("withdrawn", "republished") and c.field:
            # why it went (new_value), or when it had gone (old_value)
            view.field, view.field_label = c.field, field_label(c.field)
            view.spans = [Span("equal", value_text(c.new_value if c.kind == "withdrawn" else c.old_value))]
        return view


SHIFTING = ("added", "removed", "split", "merged", "moved")
"""Kinds of change after which the 条 that follow can take new numbers."""


def build_context(
    subscription: str, change_ids: Sequence[int], cache: ViewCache, generated_at: datetime
) -> DigestContext:
    """Group the changes: document events on top, then site -> document -> changes in order.

    Every count is the length of what is listed under it: a document event counts the
    documents in its list (a document withdrawn and back again within one digest is listed,
    and counted, as republished only), a change kind the changes shown under the sites.
    """
    docs: dict[int, DocumentView] = {}
    added_ids: set[int] = set()
    for cid in sorted(change_ids):
        if cid not in cache.changes:
            continue  # the change was deleted (reprocess): nothing left to tell
        doc_id, view = cache.changes[cid]
        base = cache.documents[doc_id]
        doc = docs.get(doc_id)
        if doc is None:
            doc = docs[doc_id] = DocumentView(**{**base.__dict__, "changes": [], "events": [], "event": ""})
        if view.kind in DOCUMENT_EVENTS:
            doc.event = view.kind  # the latest event is the document's state
            added_ids.update([doc_id] if view.kind == "document_added" else [])
            doc.events.append(view)
        else:
            doc.changes.append(view)

    def listed(ds: Iterable[DocumentView]) -> list[DocumentView]:
        return sorted(ds, key=lambda d: (d.site_title, d.site, d.title, d.id))

    added = listed(d for d in docs.values() if d.id in added_ids)
    withdrawn = listed(d for d in docs.values() if d.event == "withdrawn")
    republished = listed(d for d in docs.values() if d.event == "republished")
    by_site: dict[str, list[DocumentView]] = {}
    for d in listed(docs.values()):
        if d.changes:
            by_site.setdefault(d.site, []).append(d)
    sites = sorted(
        (SiteView(name, ds, ds[0].site_title or name) for name, ds in by_site.items()), key=lambda v: (v.title, v.name)
    )
    counts: Counter[str] = Counter(c.kind for v in sites for d in v.documents for c in d.changes)
    counts.update({"document_added": len(added), "withdrawn": len(withdrawn), "republished": len(republished)})
    shown = {d.id for d in (*added, *withdrawn, *republished)} | {d.id for v in sites for d in v.documents}
    return DigestContext(
        subscription=subscription,
        generated_at=generated_at,
        counts=[(k, kind_label(k), counts[k]) for k in KIND_ORDER if counts[k]],
        added=added,
        withdrawn=withdrawn,
        republished=republished,
        sites=sites,
        total=sum(counts.values()),
        documents=len(shown),
    )


def make_digest(
    session: Session,
    sub: Subscription,
    rows: Sequence[tuple[int, int | None]],
    cache: ViewCache,
    *,
    domain: str,
    now: datetime,
    key: str | None = None,
) -> Digest:
    """One digest from (outbox id, change id) rows; `key` given when resending a claimed digest."""
    outbox_ids = [r[0] for r in rows]
    rows, impact_rows = split_rows(session, rows)
    change_ids = [r[1] for r in rows if r[1] is not None]
    cache.load(session, change_ids)
    key = key or digest_key(sub.id, outbox_ids)
    context = build_context(sub.name, change_ids, cache, now)
    for site in context.sites:
        for doc in site.documents:
            if doc.version_id and any(c.kind in SHIFTING for c in doc.changes):
                doc.renumbered = cache.renumbering(session, doc.version_id)
    context.impact = build_impact(session, impact_rows, cache)
    return Digest(
        subscription_id=sub.id,
        subscription=sub.name,
        addresses=addresses(sub),
        outbox_ids=outbox_ids,
        key=key,
        message_id=message_id(key, domain),
        context=context,
    )
