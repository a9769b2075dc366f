"""Ids and version numbers beyond what their columns hold are "no such row" (404 / exit 2), on both backends.

PostgreSQL's id and seq columns are int4 (2^31 - 1); SQLite's INTEGER is 8 bytes (2^63 - 1).
A number past either used to reach the driver: HTTP 500 with a traceback, or a CLI traceback.
"""

from __future__ import annotations

import pytest

from policywatch.cli import main
from policywatch.flow import Page, record_page
from policywatch.web.app import create_app
from storage.bounds import int_range, row_id
from storage.models import Document, Subscription, Version
from tests.test_storage_support import page_text

BIG = [2**31 - 1, 2**31, 2**62, 2**63 - 1, 2**63, 2**64, 10**30]
URL = "http://www.gov.cn/zhengce/a.html"


@pytest.fixture
def one_doc(db, db_url):
    record_page(db, Page(url=URL, body=page_text(1).encode(), site="gov", filename="a.md"))
    return db_url


def test_int_range_follows_the_column_type():
    assert int_range(Document.id, "postgresql") == (-(2**31), 2**31 - 1)
    assert int_range(Version.seq, "postgresql") == (-(2**31), 2**31 - 1)
    assert int_range(Document.id, "sqlite") == (-(2**63), 2**63 - 1)


def test_row_id(db):
    with db.reader() as s:
        hi = int_range(Document.id, db.dialect)[1]
        assert row_id(s, Document.id, str(hi)) == hi
        assert row_id(s, Document.id, str(hi + 1)) is None
        assert row_id(s, Document.id, "0" * 50 + "7") == 7
        assert row_id(s, Document.id, "9" * 5000) is None  # never reaches int()
        assert row_id(s, Document.id, "１２") is None and row_id(s, Document.id, "-3") is None


@pytest.mark.parametrize("n", BIG)
def test_web_answers_404_json(one_doc, n):
    app = create_app(one_doc)
    client = app.test_client()
    try:
        for path in (
            f"/api/documents/{n}",
            f"/api/documents/{n}/diff",
            f"/api/documents/1/versions/{n}",
            f"/api/documents/1/versions/-{n}",
            f"/api/documents/1/diff?from={n}",
            f"/api/documents/1/diff?to=-{n}",
        ):
            r = client.get(path)
            # 404 (no such row); 400 where the number is longer than the parameter allows
            assert r.status_code in (400, 404), (path, r.status_code, r.get_data(as_text=True)[:300])
            assert r.get_json()["error"]["status"] == r.status_code
        for path in (f"/documents/{n}", f"/documents/1/diff?from={n}", f"/feeds/subscriptions/{n}.atom"):
            r = client.get(path)
            assert r.status_code in (400, 404), (path, r.status_code)
        assert client.get("/api/documents/1").status_code == 200
    finally:
        app.extensions["policywatch_db"].dispose()


def test_subscription_feed_still_found(db, db_url):
    with db.writer() as s:
        s.add(Subscription(name="office", email="o@example.org", filters={}))
    app = create_app(db_url)
    try:
        assert app.test_client().get("/feeds/subscriptions/1.atom").status_code == 200
    finally:
        app.extensions["policywatch_db"].dispose()


@pytest.mark.parametrize("n", [2**31, 2**63, 10**30])
def test_cli_one_line_exit_2(one_doc, capsys, n):
    for argv in (
        ["history", str(n)],
        ["show", str(n)],
        ["diff", str(n)],
        ["diff", "1", "--from", str(n)],
        ["diff", "1", "--to", f"-{n}"],
        ["changes", "--limit", str(n)],
        ["search", "规定", "--limit", str(n)],
    ):
        code = main([*argv, "--db", one_doc])
        out, err = capsys.readouterr()
        assert code == 2, (argv, out, err)
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, (argv, err)
    assert main(["history", "1", "--db", one_doc]) == 0
