"""The 304 is decided once, in storage.ingest: a revalidated page of a stored document is a
touch; one the database does not store is recorded from the body the HTTP cache kept (the
fetch it stands for); without a body it is `unknown`, which the crawler counts as an error."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from crawler import writer
from policywatch.flow import Page, record_page, record_pages
from storage.models import Document, Version
from tests.test_storage_support import page_text, simple_normalize

T0 = datetime(2025, 3, 1, 9, 0, 0)
URL = "http://www.example.gov.cn/zwgk/b.html"


def _cached(url: str, n: int, at: datetime) -> Page:
    """What the crawler hands over when the server said 304: the stored 200's body, revalidated."""
    return Page(url=url, body=page_text(n).encode(), site="example", fetched_at=at, revalidated=True,
                headers={"ETag": f'"{n}"'})


def test_a_revalidated_page_the_database_lacks_is_recorded_from_its_cached_body(db):
    first = record_page(db, _cached(URL, 1, T0), normalizer=simple_normalize)
    assert first.outcome == "new" and first.seq == 1
    again = record_page(db, _cached(URL, 1, T0 + timedelta(days=1)), normalizer=simple_normalize)
    assert (again.outcome, again.document_id, again.seq) == ("unchanged", first.document_id, 1)
    with db.reader() as s:
        v = s.scalars(select(Version)).one()
        assert (v.http_status, v.fetch_count, v.last_seen) == (200, 2, T0 + timedelta(days=1))
        assert s.scalars(select(Document.title)).one() == "测试办法"


def test_a_bodyless_304_the_database_lacks_is_unknown_and_the_crawler_says_so(db):
    r = record_page(db, Page(url=URL, status=304, fetched_at=T0), normalizer=simple_normalize)
    assert r.outcome == "unknown" and r.document_id is None and "304" in r.reason
    writer._db = db
    try:
        [outcome] = writer.record([Page(url=URL, status=304, fetched_at=T0)])
    finally:
        writer._db = None
    assert outcome.outcome == "error" and "does not store" in outcome.error


def test_a_batch_decides_revalidated_pages_as_one_by_one_does(db, tmp_path):
    from storage import migrate
    from storage.db import connect

    one_by_one = connect(f"sqlite:///{tmp_path / 'one.db'}")
    migrate.upgrade(one_by_one)
    other = "http://www.example.gov.cn/zwgk/c.html"
    for target in (db, one_by_one):
        record_page(target, Page(url=other, body=page_text(2).encode(), site="example", fetched_at=T0),
                    normalizer=simple_normalize)
    day2 = T0 + timedelta(days=1)
    batch = [
        _cached(URL, 1, day2),  # unknown: recorded from the body
        Page(url=other, status=304, fetched_at=day2),  # known: a touch
        _cached(URL, 1, day2 + timedelta(hours=1)),  # now known: a touch
        Page(url="http://www.example.gov.cn/zwgk/d.html", status=304, fetched_at=day2),  # unknown, no body
    ]
    batched = [r.outcome for r in record_pages(db, batch, normalizer=simple_normalize)]
    single = [record_page(one_by_one, p, normalizer=simple_normalize).outcome for p in batch]
    assert batched == single == ["new", "unchanged", "unchanged", "unknown"]

    def state(target):
        with target.reader() as s:
            return s.execute(
                select(Version.url, Version.seq, Version.fetch_count, Version.last_seen, Version.http_status)
                .order_by(Version.url)
            ).all()

    assert state(db) == state(one_by_one)
    one_by_one.dispose()
