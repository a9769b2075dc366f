"""withdraw_unlisted: documents a complete listing no longer shows are withdrawn, with care.

A list template change looks exactly like a mass delisting, and a site answering 404 to everything
for a day like a mass withdrawal; the guard refuses to withdraw more than a share of a site at
once (default 0.2), so offices are not mailed a false alarm for every document. A document that
answers again after a withdrawal gets a `republished` event.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from policywatch.flow import Page, record_page, settle_withdrawals, withdraw_unlisted
from storage.models import ChangeRow, Document
from storage.withdrawals import ListingShrank
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
    with pytest.raises(
        ListingShrank, match=r"site 'example': 4 of 6 active documents would be withdrawn at once \(0 answer 404/410, 4 gone"
    ):
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


def _changes(db) -> list[tuple[str, str | None]]:
    with db.reader() as s:
        return [(c.kind, c.new_value or c.old_value) for c in s.scalars(select(ChangeRow).order_by(ChangeRow.id))]


def test_404s_and_delistings_are_weighed_together(db):
    _record_all(db)
    gone = {URLS[0]: 404, URLS[1]: 410}
    # two 404/410s and one delisting: 3 of 6 is more than 0.2 of the site, so nothing goes
    with pytest.raises(ListingShrank, match=r"3 of 6 active documents would be withdrawn at once \(2 answer 404/410, 1 gone"):
        settle_withdrawals(db, "example", gone, set(URLS[:5]))
    assert set(_statuses(db).values()) == {"active"}
    assert [k for k, _ in _changes(db)] == ["document_added"] * 6
    # with a listing that was not seen whole, only the 404/410s count; two of them may go
    results = settle_withdrawals(db, "example", {**gone, "http://www.example.gov.cn/zwgk/never.html": 404}, None)
    assert sorted(r.outcome for r in results) == ["gone", "withdrawn", "withdrawn"]
    assert _changes(db)[6:] == [("withdrawn", "http 404"), ("withdrawn", "http 410")]
    # already withdrawn: nothing more is recorded, however often it answers 404
    again = settle_withdrawals(db, "example", gone, None)
    assert [r.outcome for r in again] == ["gone", "gone"] and len(_changes(db)) == 8


def test_a_site_wide_404_withdraws_nothing_at_the_default_share(db):
    _record_all(db)
    with pytest.raises(ListingShrank, match=r"6 of 6 active documents would be withdrawn at once \(6 answer 404/410"):
        settle_withdrawals(db, "example", dict.fromkeys(URLS, 404), None)
    assert set(_statuses(db).values()) == {"active"}


@pytest.mark.parametrize("same_text", [True, False])
def test_a_document_back_after_its_withdrawal_is_republished(db, same_text):
    _record_all(db)
    withdraw_unlisted(db, "example", set(URLS[1:]), at=datetime(2025, 2, 1, 9, 30))
    assert _statuses(db)[URLS[0]] == "withdrawn"
    body = page_text(1) if same_text else page_text(1, edit=2)
    back = record_page(db, Page(url=URLS[0], body=body.encode(), site="example", fetched_at=datetime(2025, 3, 1)),
                       normalizer=simple_normalize)
    assert back.outcome == ("unchanged" if same_text else "changed")
    assert _statuses(db)[URLS[0]] == "active"
    with db.reader() as s:
        row = s.scalars(select(ChangeRow).where(ChangeRow.kind == "republished")).one()
        doc = s.get(Document, row.document_id)
        assert doc.canonical_url == URLS[0] and doc.withdrawn_at is None
        assert (row.field, row.old_value) == ("withdrawn_at", "2025-02-01 09:30")
    # seen again while active: no second event
    record_page(db, Page(url=URLS[0], body=body.encode(), site="example", fetched_at=datetime(2025, 3, 2)),
                normalizer=simple_normalize)
    assert [k for k, _ in _changes(db)].count("republished") == 1
