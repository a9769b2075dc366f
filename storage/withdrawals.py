"""Withdrawals: a crawl decides its 404/410s and its delistings together, at its end.

A document is withdrawn when one of its URLs answered 404/410, or when a complete listing no
longer shows any of them; not when so much of a site would go at once that an outage or a
changed list template is the likelier story (ListingShrank).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.db import Database
from storage.events import withdraw
from storage.models import Document, DocumentUrl, Site, utcnow
from storage.page import OnChanges, RecordResult
from storage.urls import canonical_url


class ListingShrank(Exception):
    """So many documents would go at once that a template change or an outage is likelier than a purge."""


MAX_WITHDRAW_SHARE = 0.2  # of a site's active documents, in one run (more than two)


def withdraw_unlisted(
    db: Database,
    site: str,
    listed: set[str],
    *,
    at: datetime | None = None,
    max_share: float = MAX_WITHDRAW_SHARE,
    on_changes: OnChanges | None,
) -> list[RecordResult]:
    """Withdraw the site's active documents none of whose URLs the (complete) listing showed."""
    return settle_withdrawals(db, site, {}, listed, at=at, max_share=max_share, on_changes=on_changes)


def settle_withdrawals(
    db: Database,
    site: str,
    gone: dict[str, int],
    listed: set[str] | None,
    *,
    at: datetime | None = None,
    max_share: float = MAX_WITHDRAW_SHARE,
    on_changes: OnChanges | None,
) -> list[RecordResult]:
    """The withdrawals of one crawl, decided together at its end.

    `gone` maps the URLs that answered 404/410 to their status; `listed` is every URL a complete
    listing showed (None: the listing was not seen whole, so absence from it means nothing). An
    active document is withdrawn when one of its URLs is gone, or when a complete listing shows
    none of them. When more than `max_share` of the active documents (and more than two) would
    go at once, nothing is withdrawn and ListingShrank says why: a changed list template or a
    site answering 404 to everything for a day looks exactly like that, and wrongly withdrawing
    a whole site would mail every office a false alarm (and republish it all the day after).
    The result has one entry per withdrawn document, and a `gone` one per gone URL that
    withdrew nothing (unknown, or withdrawn before: nothing is recorded for it).
    """
    at = at or utcnow()
    gone_urls = {canonical_url(u): status for u, status in gone.items()}
    listed_urls = {canonical_url(u) for u in listed} if listed is not None else None
    with db.writer() as session:
        rows = session.execute(
            select(Document.id, DocumentUrl.url)
            .join(DocumentUrl, DocumentUrl.document_id == Document.id)
            .join(Site, Site.id == Document.site_id)
            .where(Site.name == site, Document.status == "active")
        ).all()
        urls_of: dict[int, set[str]] = {}
        for doc_id, url in rows:
            urls_of.setdefault(doc_id, set()).add(url)
        why: dict[int, str] = {}
        for doc_id, urls in urls_of.items():
            hit = sorted(urls & gone_urls.keys())
            if hit:
                why[doc_id] = f"http {gone_urls[hit[0]]}"
            elif listed_urls is not None and not urls & listed_urls:
                why[doc_id] = "gone from its listing"
        if len(why) > 2 and len(why) > max_share * len(urls_of):
            answered = sum(1 for w in why.values() if w.startswith("http"))
            raise ListingShrank(
                f"site {site!r}: {len(why)} of {len(urls_of)} active documents would be withdrawn at once "
                f"({answered} answer 404/410, {len(why) - answered} gone from the listing), more than the share "
                f"of {max_share:g} allowed (POLICYWATCH_MAX_WITHDRAW_SHARE); withdrew none (an outage or a template change?)"
            )
        results = []
        for doc_id in sorted(why):
            row = session.get(Document, doc_id)
            assert row is not None
            results.append(withdraw(session, row, at, on_changes, reason=why[doc_id]))
        withdrawing = {u for d in why for u in urls_of[d]}
        results += [RecordResult("gone") for u in sorted(gone_urls) if u not in withdrawing]
        return results
