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

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from notifications.impact import build_impact, split_rows
from notifications.subscriptions import addresses
from pipeline.schema import DOCUMENT_EVENTS, KIND_ORDER, field_label, kind_label
from storage.change_record import change_json, change_query
from storage.models import ChangeRow, Document, MeasureRow, Site, Subscription, Version

CONTEXT = 30
"""Unchanged characters kept on each side of an edit; longer unchanged runs are elided."""


def digest_key(subscription_id: int, outbox_ids: Iterable[int]) -> str:
    ids = ",".join(str(i) for i in sorted(outbox_ids))
    return hashlib.sha256(f"sub:{subscription_id}:rows:{ids}".encode()).hexdigest()[:32]


def message_id(key: str, domain: str) -> str:
    return f"<digest.{key}@{domain}>"


@dataclass(frozen=True)
class Span:
    op: str  # equal | insert | delete | gap (elided unchanged text)
    text: str


@dataclass
class ChangeView:
    id: int
    kind: str
    kind_label: str
    old_label: str = ""
    new_label: str = ""
    heading: str = ""
    spans: list[Span] = field(default_factory=list)
    field: str = ""
    field_label: str = ""
    similarity: float | None = None
    moved: bool = False

    @property
    def label_change(self) -> str:
        """ "3." , "3. → 4." or "" - what a reader looks for in the printed document."""
        if self.old_label and self.new_label and self.old_label != self.new_label:
            return f"{self.old_label} → {self.new_label}"
        return self.new_label or self.old_label


@dataclass
class DocumentView:
    id: int
    site: str
    title: str
    doc_number: str
    publisher: str
    url: str
    published_date: str = ""
    old_seen: str = ""  # date the previous version was first seen
    new_seen: str = ""
    status: str = "active"
    event: str = ""  # one of DOCUMENT_EVENTS, when the document itself is the news
    changes: list[ChangeView] = field(default_factory=list)

    @property
    def safe_url(self) -> str:
        """The link only if it is http(s): a crawled `javascript:` URL is shown, never linked."""
        return self.url if self.url.startswith(("http://", "https://")) else ""


@dataclass
class SiteView:
    name: str
    documents: list[DocumentView]


@dataclass
class DigestContext:
    subscription: str
    generated_at: str
    counts: list[tuple[str, str, int]]  # (kind, label, n), in KIND_ORDER
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


def _spans(diff: Sequence[Sequence[str]] | None, context: int = CONTEXT) -> list[Span]:
    out: list[Span] = []
    spans = list(diff or [])
    for k, (op, text) in enumerate(spans):
        if op != "equal" or len(text) <= 2 * context + 1:
            out.append(Span(op, text))
            continue
        head = "" if k == 0 else text[:context]
        tail = "" if k == len(spans) - 1 else text[-context:]
        if head:
            out.append(Span("equal", head))
        out.append(Span("gap", "…"))
        if tail:
            out.append(Span("equal", tail))
    return out


def _value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, dict) and "sha256" in v:  # a fetched attachment: which file, and which content
        return f"{v.get('name') or v.get('url', '')}（{v.get('size', 0):,} 字节，SHA-256 {str(v['sha256'])[:12]}）"
    if isinstance(v, list):
        return "；".join(
            _value(x.get("name") or x.get("title") or x) if isinstance(x, dict) else str(x) for x in v
        )
    return str(v)


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


def _date(d: datetime | None) -> str:
    return d.strftime("%Y-%m-%d") if d else ""


class ViewCache:
    """Change and document views by id, loaded in batches and shared by every digest of a run."""

    def __init__(self) -> None:
        self.changes: dict[int, tuple[int, ChangeView]] = {}
        self.documents: dict[int, DocumentView] = {}

    def load(self, session: Session, change_ids: Iterable[int]) -> None:
        missing = sorted({i for i in change_ids if i not in self.changes})
        for start in range(0, len(missing), 500):
            self._load(session, missing[start : start + 500])

    def _load(self, session: Session, ids: list[int]) -> None:
        new_v = aliased(Version)
        rows = session.execute(
            change_query(
                new_v.first_seen,
                new_v.published_date,
                joins=lambda stmt: stmt.outerjoin(new_v, new_v.id == ChangeRow.version_id),
            ).where(ChangeRow.id.in_(ids))
        ).all()
        doc_ids = {c.document_id for c, *_ in rows} - set(self.documents)
        if doc_ids:
            for d, site in session.execute(
                select(Document, Site.name)
                .join(Site, Site.id == Document.site_id)
                .where(Document.id.in_(doc_ids))
            ):
                self.documents[d.id] = DocumentView(
                    id=d.id,
                    site=site,
                    title=d.title or "(无标题)",
                    doc_number=d.doc_number or "",
                    publisher=d.publisher or "",
                    url=d.canonical_url or "",
                    status=d.status,
                )
        prev_ids = {c.prev_version_id for c, *_ in rows if c.prev_version_id}
        prev_seen = (
            dict(
                session.execute(select(Version.id, Version.first_seen).where(Version.id.in_(prev_ids))).all()
            )
            if prev_ids
            else {}
        )
        for c, old, new, new_seen, published in rows:
            doc = self.documents[c.document_id]
            # a document's dates: the newest version any of its changes reports
            if new_seen and _date(new_seen) >= doc.new_seen:
                doc.new_seen, doc.published_date = _date(new_seen), published or doc.published_date
                doc.old_seen = _date(prev_seen.get(c.prev_version_id)) or doc.old_seen
            self.changes[c.id] = (c.document_id, self._view(c, old, new))

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
            view.spans = [
                s
                for s in (Span("delete", _value(c.old_value)), Span("insert", _value(c.new_value)))
                if s.text
            ]
        elif c.kind in ("modified", "split", "merged") and c.diff:
            view.spans = _spans(c.diff)
        elif c.kind == "removed" and old_text:
            view.spans = [Span("delete", old_text)]
        elif c.kind == "added" and new_text:
            view.spans = [Span("insert", new_text)]
        elif c.kind in ("moved", "cosmetic") and (new_text or old_text):
            view.spans = _spans([["equal", new_text or old_text]], context=CONTEXT)
        elif c.kind in ("withdrawn", "republished") and c.field:
            # why it went (new_value), or when it had gone (old_value)
            view.field, view.field_label = c.field, field_label(c.field)
            view.spans = [Span("equal", _value(c.new_value if c.kind == "withdrawn" else c.old_value))]
        return view


def build_context(
    subscription: str, change_ids: Sequence[int], cache: ViewCache, generated_at: datetime
) -> DigestContext:
    """Group the changes: document events on top, then site -> document -> changes in order."""
    docs: dict[int, DocumentView] = {}
    counts: Counter[str] = Counter()
    for cid in sorted(change_ids):
        if cid not in cache.changes:
            continue  # the change was deleted (reprocess): nothing left to tell
        doc_id, view = cache.changes[cid]
        counts[view.kind] += 1
        base = cache.documents[doc_id]
        doc = docs.get(doc_id)
        if doc is None:
            doc = docs[doc_id] = DocumentView(**{**base.__dict__, "changes": [], "event": ""})
        if view.kind in DOCUMENT_EVENTS:
            doc.event = view.kind
            if view.spans:
                doc.changes.append(view)
        else:
            doc.changes.append(view)
    added = sorted((d for d in docs.values() if d.event == "document_added"), key=lambda d: (d.site, d.title))
    withdrawn = sorted((d for d in docs.values() if d.event == "withdrawn"), key=lambda d: (d.site, d.title))
    republished = sorted((d for d in docs.values() if d.event == "republished"), key=lambda d: (d.site, d.title))
    by_site: dict[str, list[DocumentView]] = {}
    for d in sorted(docs.values(), key=lambda d: (d.site, d.title, d.id)):
        if not d.changes or all(c.kind == d.event and d.event in DOCUMENT_EVENTS for c in d.changes):
            continue  # listed on top only (a new document edited again before the digest is in both)
        by_site.setdefault(d.site, []).append(d)
    return DigestContext(
        subscription=subscription,
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        counts=[(k, kind_label(k), counts[k]) for k in KIND_ORDER if counts[k]],
        added=added,
        withdrawn=withdrawn,
        republished=republished,
        sites=[SiteView(name, ds) for name, ds in sorted(by_site.items())],
        total=sum(counts.values()),
        documents=len(docs),
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
