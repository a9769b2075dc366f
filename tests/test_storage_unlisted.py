"""withdraw_unlisted: documents a complete listing no longer shows are withdrawn, with care.

A list template change looks exactly like a mass delisting; the guard refuses to withdraw more
than half of a site at once, so offices are not mailed a false alarm for every document.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from storage.models import ChangeRow, Document
from storage.recorder import ListingShrank, Page, record_page, withdraw_unlisted
from tests.test_storage_support import page_text, simple_normalize

T0 = datetime(2025, 1, 1, 8, 0, 0)
URLS = [f"http://www.example.gov.cn/zwgk/t{i}.html" for i in range(6)]


def _record_all(db) -> None:
    for i, url in enumerate(URLS):
        page = Page(url=url, body=page_text(i + 1).encode(), site="example", fetched_at=T0)
        assert record_page(db, page, normalizer=simple_normalize).outcome == "new"


def _statuses(db) -> dict[str, str]:
    with db.reader() as s:
        return {d.canonical_url: d.status for d in s.scalars(select(Document))}


def test_delisted_documents_are_withdrawn_with_the_reason(db):
    _record_all(db)
    # listed as the listing spells them: upper-case host, default port, a fragment
    listed = {u.replace("www.example", "WWW.EXAMPLE").replace(".cn/", ".cn:80/") + "#x" for u in URLS[:4]}
    results = withdraw_unlisted(db, "example", listed, at=datetime(2025, 2, 1))
    assert [r.outcome for r in results] == ["withdrawn", "withdrawn"]
    assert _statuses(db) == {u: ("active" if i < 4 else "withdrawn") for i, u in enumerate(URLS)}
    with db.reader() as s:
        reasons = s.scalars(select(ChangeRow.new_value).where(ChangeRow.kind == "withdrawn")).all()
    assert reasons == ["gone from its listing"] * 2
    # a second complete listing without them changes nothing more
    assert withdraw_unlisted(db, "example", listed) == []


def test_a_listing_that_lost_most_of_the_site_withdraws_nothing(db):
    _record_all(db)
    with pytest.raises(ListingShrank, match=r"site 'example': the listing lacks 4 of 6 active documents"):
        withdraw_unlisted(db, "example", set(URLS[:2]))
    assert set(_statuses(db).values()) == {"active"}
    # the threshold is the caller's to set
    assert len(withdraw_unlisted(db, "example", set(URLS[:2]), max_share=0.7)) == 4


def test_other_sites_are_not_touched(db):
    _record_all(db)
    other = Page(url="http://other.gov.cn/a.html", body=page_text(9).encode(), site="other", fetched_at=T0)
    record_page(db, other, normalizer=simple_normalize)
    withdraw_unlisted(db, "example", set(URLS[:5]))
    assert _statuses(db)["http://other.gov.cn/a.html"] == "active"
