"""record_page: unchanged pages add no rows, changed pages add a version and its changes, atomically."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pipeline.compare import compare
from pipeline.schema import Document as Doc
from policywatch.demo import PAGES
from policywatch.flow import Page, RecordResult, record_page, record_pages
from storage import batch, ingest
from storage.models import TABLES, Base, ChangeRow, Document, MeasureRow, Outbox, Subscription, Version
from tests.test_storage_support import page_text, revisions, simple_normalize

T0 = datetime(2025, 1, 1, 8, 0, 0)
URL = "http://www.example.gov.cn/zwgk/a.html"


def counts(db) -> dict[str, int]:
    with db.reader() as s:
        return {t: s.scalar(select(func.count()).select_from(Base.metadata.tables[t])) for t in TABLES}


def rec(db, text: str, *, url: str = URL, at: datetime = T0, **kw):
    return record_page(
        db,
        Page(url=url, body=text.encode(), site="example", fetched_at=at, **kw),
        normalizer=simple_normalize,
    )


def test_same_page_100_times_is_one_version(db):
    text = page_text(1)
    first = rec(db, text)
    assert first.outcome == "new"
    after_first = counts(db)
    for i in range(1, 100):
        assert rec(db, text, at=T0 + timedelta(hours=i)).outcome == "unchanged"
    assert counts(db) == after_first
    with db.reader() as s:
        v = s.scalars(select(Version)).one()
        assert (v.seq, v.fetch_count, v.first_seen, v.last_seen) == (1, 100, T0, T0 + timedelta(hours=99))
        assert s.scalars(select(Document)).one().last_seen == T0 + timedelta(hours=99)


def test_rerendered_page_is_not_a_new_version(db):
    """Width and spacing differences hash the same: a re-rendered page only moves last_seen."""
    text = page_text(1)
    rec(db, text)
    wide = text.replace("1", "１").replace("，", "， ")
    assert rec(db, wide, at=T0 + timedelta(days=1)).outcome == "unchanged"


def _stored(s, version_id: int) -> list[tuple]:
    rows = s.scalars(select(ChangeRow).where(ChangeRow.version_id == version_id).order_by(ChangeRow.id)).all()
    out = []
    for c in rows:
        old = s.get(MeasureRow, c.old_measure_id) if c.old_measure_id else None
        new = s.get(MeasureRow, c.new_measure_id) if c.new_measure_id else None
        if c.kind == "metadata":
            out.append(("metadata", c.field))
        else:
            out.append((c.kind, old and old.path, new and new.path, c.similarity, c.diff or [], c.renumbered))
    return out


def _expected(cs) -> list[tuple]:
    out = [
        (
            c.kind,
            c.old and c.old.path,
            c.new and c.new.path,
            c.similarity,
            [list(d) for d in c.diff],
            c.renumbered,
        )
        for c in cs.changes
    ]
    return out + [("metadata", m.field) for m in cs.metadata_changes]


def _check_revisions(db, normalize) -> None:
    revs = revisions(10)
    for i, (name, text) in enumerate(revs):
        r = record_page(
            db,
            Page(
                url=URL, body=text.encode(), site="example", filename=name, fetched_at=T0 + timedelta(days=i)
            ),
            normalizer=normalize,
        )
        assert r.outcome == ("new" if i == 0 else "changed"), name
    docs = [normalize(t.encode(), url=URL, filename=n) for n, t in revs]
    with db.reader() as s:
        versions = s.scalars(select(Version).order_by(Version.seq)).all()
        assert [v.seq for v in versions] == list(range(1, 11))
        assert _stored(s, versions[0].id) == [("document_added", None, None, None, [], False)]
        for i in range(1, 10):
            assert _stored(s, versions[i].id) == _expected(compare(docs[i - 1], docs[i])), revs[i][0]
            # the stored schema is the normalizer's output, measure rows included
            assert Doc.from_dict(versions[i].normalized).measures() == docs[i].measures()
            n = s.scalar(
                select(func.count()).select_from(MeasureRow).where(MeasureRow.version_id == versions[i].id)
            )
            assert n == len(docs[i].measures())


def test_ten_revisions_ten_versions_matching_compare(db):
    _check_revisions(db, simple_normalize)


def test_ten_revisions_with_the_real_normalizer(db):
    normalize = pytest.importorskip("pipeline.normalize").normalize
    _check_revisions(db, normalize)


@pytest.mark.parametrize("existing", [False, True], ids=["new-document", "changed-document"])
def test_crash_after_version_row_leaves_database_as_before(db, monkeypatch, existing):
    if existing:
        rec(db, page_text(1))
    with db.writer() as s:  # a subscriber, so that the outbox is written too when nothing crashes
        s.add(Subscription(name="office", email="o@example.org", filters={}))
    before = counts(db)

    def crash(session, version):
        assert session.get(Version, version.id) is not None  # the row is in the database
        raise RuntimeError("injected crash")

    monkeypatch.setattr(ingest, "_after_version_flush", crash)
    with pytest.raises(RuntimeError, match="injected"):
        rec(db, page_text(1, edit=2), at=T0 + timedelta(days=1))
    assert counts(db) == before
    monkeypatch.undo()
    r = rec(db, page_text(1, edit=2), at=T0 + timedelta(days=1))
    assert r.seq == (2 if existing else 1)
    assert counts(db)["outbox"] > before["outbox"]


def test_withdrawn_and_back(db):
    rec(db, page_text(1))
    assert rec(db, "", status=404, at=T0 + timedelta(days=1)).outcome == "withdrawn"
    assert rec(db, "", status=404, at=T0 + timedelta(days=2)).changes == 0  # once only
    with db.reader() as s:
        d = s.scalars(select(Document)).one()
        assert (d.status, d.withdrawn_at) == ("withdrawn", T0 + timedelta(days=1))
        kinds = s.scalars(select(ChangeRow.kind).order_by(ChangeRow.id)).all()
        assert kinds == ["document_added", "withdrawn"]
    assert rec(db, page_text(1), at=T0 + timedelta(days=3)).outcome == "unchanged"
    with db.reader() as s:
        assert s.scalars(select(Document)).one().status == "active"
    assert rec(db, "", url="http://never.seen/x", status=404).outcome == "gone"


def test_not_modified_moves_last_seen(db):
    rec(db, page_text(1), headers={"ETag": '"a"'})
    r = rec(db, "", status=304, at=T0 + timedelta(days=1), headers={"ETag": '"b"'})
    assert r.outcome == "unchanged"
    with db.reader() as s:
        v = s.scalars(select(Version)).one()
        assert (v.last_seen, v.etag, v.fetch_count) == (T0 + timedelta(days=1), '"b"', 2)


def test_republished_copy_is_the_same_document(db):
    text = page_text(1, number="穗府办〔2024〕3号")
    rec(db, text)
    other = text.replace("〔2024〕", "[2024]")  # another site prints other brackets
    r = rec(db, other, url="http://mirror.example.org/copy.html", at=T0 + timedelta(days=1))
    assert r.outcome == "unchanged"
    r = rec(db, page_text(1, number="穗府办〔2024〕3号", edit=1), url="http://mirror.example.org/copy.html")
    assert r.outcome == "changed"
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1


def test_outbox_rows_for_matching_subscriptions(db):
    with db.writer() as s:
        s.add_all(
            [
                Subscription(name="all", email="all@example.org", filters={}),
                Subscription(name="mod", email="mod@example.org", filters={"kinds": ["modified"]}),
                Subscription(name="other", email="x@example.org", filters={"sites": ["elsewhere"]}),
                Subscription(name="term", email="t@example.org", filters={"terms": ["第3次修订"]}),
            ]
        )
    rec(db, page_text(1))
    rec(db, page_text(1, edit=3), at=T0 + timedelta(days=1))
    with db.reader() as s:
        rows = s.execute(select(Outbox.recipient, ChangeRow.kind).join(ChangeRow)).all()
    assert sorted(rows) == [
        ("all@example.org", "document_added"),
        ("all@example.org", "modified"),
        ("mod@example.org", "modified"),
        ("t@example.org", "modified"),
    ]


def test_batch_isolates_a_bad_page(db):
    def picky(data, url="", headers=None, filename=""):
        if b"bad" in data:
            raise ValueError("cannot parse")
        return simple_normalize(data, url, headers, filename)

    pages = [Page(url=f"http://e.gov.cn/{i}", body=page_text(i).encode(), fetched_at=T0) for i in range(5)]
    pages.insert(2, Page(url="http://e.gov.cn/bad", body=b"bad"))
    results = record_pages(db, pages, normalizer=picky)
    assert [type(r).__name__ for r in results] == ["RecordResult"] * 2 + ["ValueError"] + ["RecordResult"] * 3
    assert counts(db)["version"] == 5


def test_batch_isolates_a_page_the_database_rejects(db):
    """The batch is written without savepoints first; a database error redoes it page by page."""
    from sqlalchemy import text

    def hook(session, document, changes):
        if document.canonical_url.endswith("/bad"):
            session.execute(text("SELECT * FROM no_such_table"))

    pages = [Page(url=f"http://e.gov.cn/{i}", body=page_text(i).encode(), fetched_at=T0) for i in range(4)]
    pages.insert(1, Page(url="http://e.gov.cn/bad", body=page_text(9).encode(), fetched_at=T0))
    results = record_pages(db, pages, normalizer=simple_normalize, on_changes=hook)
    kinds = [r.outcome if isinstance(r, RecordResult) else "error" for r in results]
    assert kinds == ["new", "error", "new", "new", "new"]
    assert counts(db)["version"] == 4 and counts(db)["document"] == 4


def test_one_batch_sees_the_documents_its_own_pages_created(db):
    """Lookups of a batch are read up front; pages of the same batch must still find each other."""
    number = "测试〔2025〕7号"
    pages = [
        Page(url="http://e.gov.cn/a", body=page_text(1, number=number).encode(), fetched_at=T0),
        # the same URL again, revised: a second version of the first document
        Page(url="http://e.gov.cn/a", body=page_text(1, number=number, edit=2).encode(), fetched_at=T0),
        # a republished copy (same 文号 and publisher) at another URL: still the same document
        Page(url="http://e.gov.cn/copy", body=page_text(1, number=number, edit=2).encode(), fetched_at=T0),
        Page(url="http://e.gov.cn/b", body=page_text(2).encode(), fetched_at=T0),
    ]
    results = record_pages(db, pages, normalizer=simple_normalize)
    assert [r.outcome for r in results] == ["new", "changed", "unchanged", "new"]
    assert len({r.document_id for r in results[:3]}) == 1
    assert counts(db)["document"] == 2 and counts(db)["version"] == 3


def test_change_outside_measures_keeps_its_text(db):
    """A reworded preamble has no measure row; the change still says where and what."""

    def with_preamble(data, url="", headers=None, filename=""):
        doc = simple_normalize(data, url, headers, filename)
        doc.preamble = "为了加强管理，制定本办法。" if b"v1" in data else "为了规范和加强管理，制定本办法。"
        return doc

    for i, tag in enumerate(("v1", "v2")):
        body = (page_text(1) + tag).encode()
        record_page(db, Page(url=URL, body=body, fetched_at=T0 + timedelta(days=i)), normalizer=with_preamble)
    from storage.read import history as history_read

    with db.reader() as s:
        d = history_read.diff(s, history_read.resolve_document(s, URL), None, None)
    pre = [c for c in d["changes"] if (c["new"] or {}).get("path") == "preamble"]
    assert pre and "规范和加强" in pre[0]["new"]["text"] and pre[0]["old"]["text"].startswith("为了加强")


LAWREF = Path(__file__).parent / "data" / "pairs" / "lawref-01"


def _article_text(path: Path, label: str) -> str:
    """A 条 as printed: its first 款 after the label, then its other 款, up to the next 条 or heading."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{label} "))
    body = [lines[start][len(label) :].strip()]
    for line in lines[start + 1 :]:
        if re.match(r"第[一二三四五六七八九十百]+条 |#", line):
            break
        if line.strip():
            body.append(line.strip())
    return "\n".join(body)


def test_a_law_change_keeps_its_article_through_storage(db):
    """A 条 added whole reads back as the 条 (label, all its 款); a 款 added names its 条."""
    for i, name in enumerate(("old.md", "new.md")):
        page = Page(url=URL, body=(LAWREF / name).read_bytes(), filename=name, fetched_at=T0 + timedelta(days=i))
        record_page(db, page)
    from storage.read import history as history_read

    with db.reader() as s:
        d = history_read.diff(s, history_read.resolve_document(s, URL), None, None)
    assert d["source"] == "stored"
    # read from new.md: 第九条 is new, printed as two paragraphs (两款)
    ninth = _article_text(LAWREF / "new.md", "第九条")
    assert ninth.count("\n") == 1
    (added,) = [c for c in d["changes"] if c["kind"] == "added" and c["new_article"] == "第九条"]
    assert (added["new"]["label"], added["new"]["text"]) == ("第九条", ninth)
    assert [u["label"] for u in added["units"]] == ["第九条第一款", "第九条第二款"]
    # 第十二条 gained a third 款 (new.md): a change inside the 条, named by it
    (kuan,) = [c for c in d["changes"] if c["new"] and c["new"]["label"] == "第十二条第三款"]
    assert (kuan["kind"], kuan["new_article"], kuan["units"]) == ("added", "第十二条", [])
    assert kuan["new"]["text"] == _article_text(LAWREF / "new.md", "第十二条").split("\n")[2]


def test_keywords_see_every_paragraph_of_an_article_changed_whole(db):
    """基层立法联系点 is printed in the second 款 of the new 第九条 only (new.md): a subscription
    on it is told of the 条 added, though the change's measure row is the first 款."""
    with db.writer() as s:
        s.add(Subscription(name="kw", email="kw@example.org", filters={"keywords": ["基层立法联系点"]}))
    for i, name in enumerate(("old.md", "new.md")):
        page = Page(url=URL, body=(LAWREF / name).read_bytes(), filename=name, fetched_at=T0 + timedelta(days=i))
        record_page(db, page)
    with db.reader() as s:
        kinds = s.execute(
            select(ChangeRow.kind, ChangeRow.others).join(Outbox, Outbox.change_id == ChangeRow.id)
        ).all()
    assert [(k, [o.get("new_article") for o in others if o.get("side") == "article"]) for k, others in kinds] == [
        ("added", ["第九条"])
    ]


@pytest.mark.parametrize(
    "bad",
    [b"", b"<html><body><div class='nav'><a href='/'>\xe9\xa6\x96\xe9\xa1\xb5</a></div></body></html>", bytes(range(256)) * 8],
    ids=["empty", "navigation-only", "binary"],
)
def test_unusable_fetch_keeps_what_is_stored(db, bad: bytes):
    """An empty, chrome-only or binary 200 is no new version: storing it would report every measure removed."""

    page = (PAGES / "zhaoqing-gkmlpt.html").read_bytes()
    assert record_page(db, Page(url=URL, body=page, site="zq", fetched_at=T0)).outcome == "new"
    before = counts(db)
    result = record_page(db, Page(url=URL, body=bad, site="zq", fetched_at=T0 + timedelta(days=1)))
    assert result.outcome == "unusable" and result.reason and result.document_id is not None
    assert counts(db) == before


def _stored_document(db, url: str) -> dict:
    """Everything stored for the document at `url`, without row ids (which differ by database)."""
    from storage.models import DocumentUrl, SectionRow

    with db.reader() as s:
        d = s.scalar(select(Document).join(DocumentUrl).where(DocumentUrl.url == url))
        v = s.get(Version, d.latest_version_id)
        keep = ("title", "doc_number", "doc_number_key", "identity_key", "publisher", "status", "first_seen", "last_seen")
        version = ("seq", "content_hash", "url", "http_status", "etag", "content_type", "raw", "raw_size", "normalized")
        return {
            "document": [getattr(d, k) for k in keep],
            "urls": s.scalars(select(DocumentUrl.url).where(DocumentUrl.document_id == d.id)).all(),
            "version": [getattr(v, k) for k in version] + [v.document_id == d.id],
            "sections": s.execute(
                select(SectionRow.ordinal, SectionRow.path, SectionRow.label, SectionRow.title, SectionRow.text)
                .where(SectionRow.version_id == v.id)
                .order_by(SectionRow.ordinal)
            ).all(),
            "measures": s.execute(
                select(MeasureRow.ordinal, MeasureRow.path, MeasureRow.text, MeasureRow.norm_text, MeasureRow.hash)
                .where(MeasureRow.version_id == v.id)
                .order_by(MeasureRow.ordinal)
            ).all(),
            "changes": s.execute(
                select(ChangeRow.kind, ChangeRow.version_id == v.id, ChangeRow.detected_at).where(
                    ChangeRow.document_id == d.id
                )
            ).all(),
            "outbox": s.scalars(
                select(Outbox.recipient).join(ChangeRow).where(ChangeRow.document_id == d.id)
            ).all(),
        }


def test_a_batch_of_new_documents_stores_what_one_by_one_stores(db, tmp_path):
    """New documents of a batch are written together (storage.fresh); page by page, through the
    ORM, must give the same rows. The portal's real templates, the real normalizer."""
    from policywatch.demo.portal import content as C
    from storage import migrate
    from storage.db import connect

    one_by_one = connect(f"sqlite:///{tmp_path / 'one.db'}")
    migrate.upgrade(one_by_one)
    for target in (db, one_by_one):
        with target.writer() as s:
            s.add(Subscription(name="office", email="o@example.org", filters={}))
    detail = [(p, r) for p, r in C.site_pages(1).items() if "index" not in p and p.endswith(".html")]
    pages = [
        Page(url=f"http://portal.example{p}", body=r.body, site="portal", fetched_at=T0 + timedelta(minutes=i),
             headers={"Content-Type": r.content_type, "ETag": f'"{i}"'})
        for i, (p, r) in enumerate(detail)
    ]
    # the first page again, mid-batch: the queue is written before it, and it is found unchanged
    batch = [*pages[:3], pages[0], *pages[3:]]
    results = record_pages(db, batch)
    assert [r.outcome for r in results] == ["new"] * 3 + ["unchanged"] + ["new"] * (len(pages) - 3)
    assert results[3].document_id == results[0].document_id and results[3].version_id == results[0].version_id
    assert all(r.seq == 1 and r.changes == 1 and r.version_id for i, r in enumerate(results) if i != 3)
    for page in pages:
        assert record_page(one_by_one, page).outcome == "new"
    for page in pages:
        assert _stored_document(db, page.url) == _stored_document(one_by_one, page.url), page.url
    assert counts(db)["outbox"] == len(pages)
    one_by_one.dispose()


def _seen_state(db) -> list[tuple]:
    with db.reader() as s:
        docs = s.execute(
            select(Document.canonical_url, Document.status, Document.withdrawn_at, Document.last_seen).order_by(
                Document.canonical_url
            )
        ).all()
        versions = s.execute(
            select(Version.url, Version.seq, Version.last_seen, Version.fetch_count, Version.etag, Version.last_modified)
            .order_by(Version.url, Version.seq)
        ).all()
        changes = s.execute(select(ChangeRow.kind, ChangeRow.new_value).order_by(ChangeRow.id)).all()
    return [*docs, *versions, *changes]


def test_a_batch_of_seen_again_pages_moves_what_one_by_one_moves(db, tmp_path):
    """304s and unchanged 200s of a batch are applied together (storage.touches), and a 404 between
    them must still land in order: the same end state as recording the pages one at a time."""
    from storage import migrate
    from storage.db import connect

    one_by_one = connect(f"sqlite:///{tmp_path / 'one.db'}")
    migrate.upgrade(one_by_one)
    url = {k: f"http://e.gov.cn/{k}.html" for k in "abcd"}
    setup = [Page(url=url[k], body=page_text(i).encode(), fetched_at=T0, headers={"ETag": f'"{k}1"'}) for i, k in
             enumerate("abcd")]
    setup.append(Page(url=url["c"], status=404, fetched_at=T0 + timedelta(days=1)))
    day2 = T0 + timedelta(days=2)
    batch = [
        Page(url=url["d"], status=304, fetched_at=day2),  # then gone: it must end withdrawn
        Page(url=url["a"], status=304, fetched_at=day2, headers={"ETag": '"a2"', "Last-Modified": "Mon"}),
        Page(url=url["b"], body=page_text(1).encode(), fetched_at=day2 + timedelta(hours=1)),
        Page(url=url["c"], status=304, fetched_at=day2 + timedelta(hours=2)),  # back after its 404
        Page(url=url["a"], status=404, fetched_at=day2 + timedelta(hours=3)),
        Page(url=url["b"], status=304, fetched_at=T0 + timedelta(hours=12)),  # older: last_seen stays
        Page(url=url["c"], body=page_text(2).encode(), fetched_at=day2 + timedelta(hours=4)),
        Page(url=url["a"], status=304, fetched_at=day2 + timedelta(hours=5), headers={"ETag": ""}),
        Page(url=url["d"], status=404, fetched_at=day2 + timedelta(hours=6)),
    ]
    for target in (db, one_by_one):
        for page in setup:
            record_page(target, page, normalizer=simple_normalize)
    batched = [r.outcome for r in record_pages(db, batch, normalizer=simple_normalize)]
    single = [record_page(one_by_one, page, normalizer=simple_normalize).outcome for page in batch]
    assert batched == single == ["unchanged"] * 4 + ["withdrawn"] + ["unchanged"] * 3 + ["withdrawn"]
    assert _seen_state(db) == _seen_state(one_by_one)
    with db.reader() as s:
        a = s.scalar(select(Version).where(Version.url == url["a"]))
        assert (a.fetch_count, a.etag, a.last_modified) == (3, '"a2"', "Mon")  # an empty ETag keeps the last one
        assert s.scalar(select(Version.last_seen).where(Version.url == url["b"])) == day2 + timedelta(hours=1)
        statuses = dict(s.execute(select(Document.canonical_url, Document.status)).all())
        assert statuses == {**{url[k]: "active" for k in "abc"}, url["d"]: "withdrawn"}
    one_by_one.dispose()


def test_a_batch_costs_statements_per_table_not_per_page(db):
    """A first crawl's batch of new documents, and a recrawl's batch of 304s, each run a fixed
    number of statements (executemany), whatever the batch size: the per-page ORM round trips
    were most of a first crawl's recording cost."""
    from sqlalchemy import event

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split(None, 1)[0].upper())

    def run(pages: list[Page]) -> tuple[list[str], dict[str, int]]:
        statements.clear()
        event.listen(db.writer_engine, "before_cursor_execute", count)
        try:
            results = record_pages(db, pages, normalizer=simple_normalize)
        finally:
            event.remove(db.writer_engine, "before_cursor_execute", count)
        return [r.outcome for r in results], {k: statements.count(k) for k in set(statements)}

    record_pages(db, [Page(url="http://e.gov.cn/0.html", body=page_text(99).encode(), site="e")])  # the site row
    sizes = {}
    for n in (10, 40):
        urls = [f"http://e.gov.cn/{n}/{i}.html" for i in range(n)]
        new = [Page(url=u, body=page_text(i).encode(), site="e", fetched_at=T0) for i, u in enumerate(urls)]
        outcomes, first = run(new)
        assert outcomes == ["new"] * n
        outcomes, again = run([Page(url=u, status=304, fetched_at=T0 + timedelta(days=1)) for u in urls])
        assert outcomes == ["unchanged"] * n
        sizes[n] = (first, again)
    assert sizes[10] == sizes[40], sizes
    first, again = sizes[40]
    # 6 tables of the version history + document_key (storage/citations.py), and on SQLite
    # the batch's measures into the FTS5 index (storage.fts_index.index_measures)
    fts = 1 if db.engine.dialect.name == "sqlite" else 0
    assert first.get("INSERT", 0) <= 7 + fts and again.get("UPDATE", 0) == 2, sizes


def test_two_writers_recording_one_republished_document_create_it_once(db, monkeypatch):
    """Two writers, each with one copy of a document (same 文号 and publisher, another URL). The
    first is held between its lookups and its inserts until the second has looked too, or for
    1.5 s: without the identity lock both miss each other and create the document twice."""
    import threading

    number = "穗府办〔2025〕12号"
    looked = {name: threading.Event() for name in ("first", "second")}

    def hold(session):
        me = threading.current_thread().name
        looked[me].set()
        if me == "first":
            looked["second"].wait(timeout=1.5)

    monkeypatch.setattr(batch, "_after_batch_read", hold)
    results: dict[str, object] = {}

    def write(name: str, url: str) -> None:
        page = Page(url=url, body=page_text(1, number=number).encode(), site="e", fetched_at=T0)
        results[name] = record_pages(db, [page], normalizer=simple_normalize)[0]

    first = threading.Thread(target=write, args=("first", "http://e.gov.cn/a.html"), name="first")
    second = threading.Thread(target=write, args=("second", "http://e.gov.cn/column/a.html"), name="second")
    first.start()
    assert looked["first"].wait(timeout=10)
    second.start()
    first.join(timeout=30)
    second.join(timeout=30)
    assert [results["first"].outcome, results["second"].outcome] == ["new", "unchanged"]
    assert results["first"].document_id == results["second"].document_id
    with db.reader() as s:
        assert s.scalar(select(func.count()).select_from(Document)) == 1
