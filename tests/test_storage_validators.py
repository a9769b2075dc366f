"""The validators a document's conditional GET sends are those of its stored version, and only
for the URL that version was fetched from (storage.crawl_runs.stored_validators, storage.touches).
Both backends."""

from __future__ import annotations

from datetime import datetime, timedelta

from policywatch.demo.portal import content as C
from policywatch.flow import Page, record_page, record_pages
from storage.crawl_runs import stored_validators

T0 = datetime(2026, 3, 1, 8, 0, 0)
A = "http://www.example.gov.cn/zwgk/a.html"
B = "http://www.example.gov.cn/zwgk/copy-of-a.html"  # the same notice republished (same 文号)
BODY = C.notice("关于做好试点工作的通知", "示府办〔2026〕7号", "2026-03-01", ["第一项措施内容。", "第二项措施内容。"])
REVISED = C.notice("关于做好试点工作的通知", "示府办〔2026〕7号", "2026-03-01", ["第一项措施内容。", "第二项措施已修订。"])


def _page(url: str, body: bytes, etag: str, modified: str, hours: int, status: int = 200) -> Page:
    return Page(
        url=url,
        body=body,
        site="example",
        status=status,
        headers={"ETag": etag, "Last-Modified": modified, "Content-Type": "text/html; charset=utf-8"},
        fetched_at=T0 + timedelta(hours=hours),
    )


def test_validators_follow_the_recorded_version_and_its_url(db):
    assert record_page(db, _page(A, BODY, '"e1"', "Sun, 01 Mar 2026 08:00:00 GMT", 0)).outcome == "new"
    assert stored_validators(db, "example") == {A: ('"e1"', "Sun, 01 Mar 2026 08:00:00 GMT")}

    # the same bytes at another URL: the same document, touched; B's validators say nothing of A
    (copy,) = record_pages(db, [_page(B, BODY, '"other"', "Mon, 02 Mar 2026 08:00:00 GMT", 1)])
    assert copy.outcome == "unchanged"
    assert stored_validators(db, "example") == {A: ('"e1"', "Sun, 01 Mar 2026 08:00:00 GMT")}

    # seen again at A with new validators (a re-render with the same content): they move
    (again,) = record_pages(db, [_page(A, BODY, '"e2"', "Tue, 03 Mar 2026 08:00:00 GMT", 2)])
    assert again.outcome == "unchanged"
    assert stored_validators(db, "example") == {A: ('"e2"', "Tue, 03 Mar 2026 08:00:00 GMT")}

    # a revision is what the database vouches for from then on
    (revised,) = record_pages(db, [_page(A, REVISED, '"e3"', "Wed, 04 Mar 2026 08:00:00 GMT", 3)])
    assert revised.outcome == "changed"
    assert stored_validators(db, "example") == {A: ('"e3"', "Wed, 04 Mar 2026 08:00:00 GMT")}


def test_a_withdrawn_page_answering_404_again_is_gone_not_withdrawn_again(db):
    record_page(db, _page(A, BODY, '"e1"', "Sun, 01 Mar 2026 08:00:00 GMT", 0))
    first = record_page(db, Page(url=A, site="example", status=404, fetched_at=T0 + timedelta(hours=1)))
    assert (first.outcome, first.changes) == ("withdrawn", 1)
    again = record_page(db, Page(url=A, site="example", status=404, fetched_at=T0 + timedelta(hours=2)))
    assert (again.outcome, again.changes) == ("gone", 0)
