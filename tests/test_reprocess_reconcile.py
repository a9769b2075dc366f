"""`reprocess` reconciles instead of rewriting history (both backends, the real normalizer and compare).

A history of real revisions (lawref-22), an attachment replaced in place (an attachment_content
change), a withdrawal and a subscription's outbox rows. Reprocessing with the same normalizer must
leave every change row, id, detection time and outbox link as it was (so Atom entry ids and mailed
changes never come back as new); reprocessing with a normalizer that reads one revision
differently replaces only what that changes, and ends where a fresh recording with that
normalizer would.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from pipeline.normalize import normalize
from policywatch.flow import Page, record_attachments, record_page, reprocess
from policywatch.web.app import create_app
from storage import migrate
from storage.attachments import FetchedAttachment
from storage.db import connect
from storage.models import ChangeRow, MeasureRow, Outbox, Subscription, Version
from tests.test_storage_support import revisions

URL = "http://www.gov.cn/zhengce/lawref-22.html"
T0 = datetime(2024, 1, 1, 9, 0)
REVS = revisions(4)


def record_history(db, normalizer=normalize) -> None:
    for i, (name, text) in enumerate(REVS):
        record_page(
            db,
            Page(url=URL, body=text.encode(), site="gov", filename=name, fetched_at=T0 + timedelta(days=i)),
            normalizer=normalizer,
        )


def fill(db) -> None:
    with db.writer() as s:
        s.add(
            Subscription(
                name="office", email="office@example.org", addresses=["office@example.org"], filters={}
            )
        )
    record_history(db)
    at = T0 + timedelta(days=10)
    for k, digest in enumerate(("a" * 64, "b" * 64)):  # the same link, the file replaced in place
        fetched = FetchedAttachment(
            url="http://www.gov.cn/zhengce/funds.xlsx",
            page_url=URL,
            name="资金表",
            sha256=digest,
            size=1000 + k,
            fetched_at=at + timedelta(days=k),
        )
        record_attachments(db, [fetched])
    record_page(db, Page(url=URL, status=404, site="gov", fetched_at=at + timedelta(days=5)))


def changes(db) -> list[tuple]:
    with db.reader() as s:
        return [
            (
                c.id,
                c.kind,
                c.field,
                c.version_id,
                c.prev_version_id,
                c.old_measure_id,
                c.new_measure_id,
                c.detected_at,
            )
            for c in s.scalars(select(ChangeRow).order_by(ChangeRow.id))
        ]


def outbox_links(db) -> list[tuple]:
    with db.reader() as s:
        return list(s.execute(select(Outbox.id, Outbox.change_id).order_by(Outbox.id)).all())


def measure_ids(db) -> list[int]:
    with db.reader() as s:
        return list(s.scalars(select(MeasureRow.id).order_by(MeasureRow.id)))


def atom_ids(db_url) -> list[str]:
    app = create_app(db_url)
    try:
        body = app.test_client().get("/feeds/changes.atom?kind=" + ",".join(KINDS)).get_data(as_text=True)
    finally:
        app.extensions["policywatch_db"].dispose()
    return re.findall(r"<id>(tag:[^<]+)</id>", body)


KINDS = (
    "added",
    "removed",
    "modified",
    "moved",
    "split",
    "merged",
    "metadata",
    "document_added",
    "withdrawn",
)


def test_same_normalizer_keeps_every_row(db, db_url):
    fill(db)
    before, links, measures, feed = changes(db), outbox_links(db), measure_ids(db), atom_ids(db_url)
    kinds = Counter((k, f) for _, k, f, *_ in before)
    assert kinds[("metadata", "attachment_content")] == 1 and kinds[("withdrawn", "reason")] == 1
    assert sum(n for (k, _), n in kinds.items() if k not in ("metadata", "withdrawn", "document_added")) >= 3
    assert any(cid is not None for _, cid in links) and len(feed) >= 5

    report = reprocess(db)

    assert report.errors == [] and report.changed_schema == 0
    assert (report.changes_replaced, report.changes_new) == (0, 0)
    assert report.changes_kept == report.changes_before == report.changes_after > 0
    assert changes(db) == before
    assert outbox_links(db) == links
    assert measure_ids(db) == measures
    assert atom_ids(db_url) == feed


def test_changed_normalizer_replaces_only_what_differs(db, db_url, tmp_path):
    """Revision 3 read with one more sentence in an article it modified: the changes that do not
    touch that article keep their rows, the events stay, and the result equals a fresh recording."""
    fill(db)
    with db.reader() as s:
        v2, v3 = (s.scalar(select(Version.id).where(Version.seq == n)) for n in (2, 3))
        target = s.scalar(
            select(MeasureRow.text)
            .join(ChangeRow, ChangeRow.new_measure_id == MeasureRow.id)
            .where(ChangeRow.version_id == v3, ChangeRow.kind == "modified")
            .limit(1)
        )
    assert target
    third = REVS[2][1]

    def reads_rev3_differently(data, url="", headers=None, filename=""):
        doc = normalize(data, url=url, headers=headers, filename=filename)
        if data.decode("utf-8") == third:
            m = next(m for m in doc.iter_measures() if m.text == target)
            m.text += "本条另行补充。"
            m.norm_text, m.hash = "", ""  # recomputed from the text, as for a page that said so
        return doc

    before = {c[0]: c for c in changes(db)}
    report = reprocess(db, normalizer=reads_rev3_differently)
    after = {c[0]: c for c in changes(db)}

    assert report.errors == [] and report.changed_schema == 1
    assert report.changes_replaced >= 1 and report.changes_new >= 1
    assert report.changes_kept >= 1  # most of the history stands
    kept = before.keys() & after.keys()
    assert len(kept) == report.changes_kept + 3  # + document_added, attachment_content, withdrawn
    for cid in kept:
        assert after[cid] == before[cid]
    assert {
        k
        for _, k, f, *_ in after.values()
        if f == "attachment_content" or k in ("withdrawn", "document_added")
    } == {
        "metadata",
        "withdrawn",
        "document_added",
    }
    # the changes of version 2 (against 1) do not involve revision 3 at all: every one kept
    of_v2 = [c for c in before.values() if c[3] == v2]
    assert of_v2 and all(after.get(c[0]) == c for c in of_v2)

    # the same history recorded afresh with that normalizer: the same changes, kind by kind
    fresh = connect(f"sqlite:///{tmp_path / 'fresh.db'}")
    migrate.upgrade(fresh)
    record_history(fresh, normalizer=reads_rev3_differently)

    def shape(db_, measure_text):
        with db_.reader() as s:
            rows = s.scalars(select(ChangeRow).where(ChangeRow.prev_version_id.is_not(None))).all()
            return Counter(
                (c.kind, c.field, measure_text(s, c.old_measure_id), measure_text(s, c.new_measure_id))
                for c in rows
                if c.field != "attachment_content" and c.kind != "withdrawn"
            )

    def text_of(s, mid):
        return s.scalar(select(MeasureRow.text).where(MeasureRow.id == mid)) if mid else None

    assert shape(db, text_of) == shape(fresh, text_of)
    fresh.dispose()
