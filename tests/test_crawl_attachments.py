"""Attachments (附件), fetched for a site that opts in: size and hash recorded, a replaced file
reported as a change of the document that links it, a missing one logged without failing the run.

The portal's notice 2001 links a .xlsx (replaced in place in state 2) and a .pdf that is never
there. Crawled three times through real HTTP: state 1, state 1 again (304s), state 2.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from policywatch.commands.crawl import crawl_site
from policywatch.demo.portal import Portal
from policywatch.demo.portal import content as C
from policywatch.demo.portal.config import write_config
from storage.db import connect
from storage.models import AttachmentRow, ChangeRow, Document, Outbox, Subscription, Version
from tests.test_crawl_portal import FAST


def _crawl(cfg, db_url):
    run = crawl_site(cfg, "zhaoqing", db_url, settings=FAST, timeout=120)
    assert run.status == "ok", (run.status, run.log.read_text()[-2000:] if run.log else "")
    return run


def test_attachments_are_hashed_and_a_replaced_file_is_a_change(tmp_path, db_url):
    from storage import migrate

    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml", attachments=True)
        db = connect(db_url)
        migrate.upgrade(db)
        with db.writer() as s:
            s.add(Subscription(name="office", email="office@example.org", filters={}))

        first = _crawl(cfg, db_url)
        assert {h.path: h.status for h in portal.hits if "/files/" in h.path} == {
            C.FUNDS: 200,
            "/zq/gkmlpt/files/2001-missing.pdf": 404,
        }
        log = first.log.read_text()
        assert "attachment failed" in log and "2001-missing.pdf: http 404" in log
        with db.reader() as s:
            (row,) = s.scalars(select(AttachmentRow)).all()
            notice = s.scalar(select(Document).where(Document.canonical_url == portal.url(C.ZQ_DETAIL.format(2001))))
            body = C.site_pages(1)[C.FUNDS].body
            assert (row.url, row.size, row.document_id, row.fetch_count) == (
                portal.url(C.FUNDS), len(body), notice.id, 1
            )
            assert row.content_type == C.XLSX and len(row.sha256) == 64
            assert not s.scalars(select(ChangeRow).where(ChangeRow.field == "attachment_content")).all()

        before = len(portal.hits)
        _crawl(cfg, db_url)  # nothing changed: the file is revalidated, not fetched again
        assert [h.status for h in portal.hits[before:] if h.path == C.FUNDS] == [304]
        with db.reader() as s:
            assert [r.fetch_count for r in s.scalars(select(AttachmentRow))] == [2]

        portal.state = 2
        _crawl(cfg, db_url)
        with db.reader() as s:
            rows = s.scalars(select(AttachmentRow).order_by(AttachmentRow.id)).all()
            assert len(rows) == 2 and rows[0].sha256 != rows[1].sha256
            (change,) = s.scalars(select(ChangeRow).where(ChangeRow.field == "attachment_content")).all()
            assert (change.kind, change.document_id, change.version_id) == ("metadata", notice.id, None)
            assert change.old_value["sha256"] == rows[0].sha256 and change.new_value["sha256"] == rows[1].sha256
            assert change.new_value["name"] == "2001-funds.xlsx"
            assert s.scalar(select(Outbox.recipient).where(Outbox.change_id == change.id)) == "office@example.org"
        db.dispose()


def test_without_the_opt_in_no_attachment_is_fetched(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'pw.db'}"
    with Portal() as portal:
        cfg = write_config(portal, tmp_path / "policywatch.toml")
        _crawl(cfg, db_url)
        assert not [h for h in portal.hits if "/files/" in h.path]
        db = connect(db_url)
        with db.reader() as s:
            assert not s.scalars(select(AttachmentRow)).all()
            # the links themselves are part of the page's version either way
            notice = s.scalar(select(Document).where(Document.canonical_url == portal.url(C.ZQ_DETAIL.format(2001))))
            latest = s.get(Version, notice.latest_version_id)
            assert [a["url"] for a in latest.normalized["attachments"]] == [portal.url(p) for p in C.ATTACHMENTS]
        db.dispose()


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("pdf", "must be true, false or a list"),
        (1, "must be true, false or a list"),
        (["pdf", 3], "must be true, false or a list"),
        (["p d f"], "'p d f' is no attachment type"),
        (["jpeg"], "'jpeg' is no attachment type"),  # the normalizer would never list one
    ],
)
def test_a_bad_attachments_value_names_the_site_and_key(tmp_path, value, why):
    from pathlib import Path

    from policywatch.config import parse
    from policywatch.errors import UsageError

    site = {"name": "a", "start_urls": ["http://x.gov.cn/"], "detail_pattern": "x", "attachments": value}
    with pytest.raises(UsageError, match=rf"p.toml: site 'a': attachments: {why}"):
        parse({"sites": [site]}, Path("p.toml"))
