"""Search through the trigram index (migration 0006) finds exactly what the scan finds.

On both backends: phrases of 1, 2, 3 and 5+ characters, phrases that would only occur across
two measures, LIKE's own characters % and _ in the phrase, and a database that already had
rows when the index was added.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from pipeline.schema import Document, Measure, Section
from pipeline.text import norm_text, text_hash
from policywatch.flow import Page, record_pages
from storage import migrate, search_index
from storage.db import connect
from storage.read import search as search_read

T0 = datetime(2026, 3, 1, 9, 0)

ALPHA_V1 = [
    "加快数字政府建设，推进政务服务一网通办。",
    "优化营商环境，降低企业制度性交易成本。",
    "全年新增就业增长10%以上，其中高校毕业生占比不低于50%。",
    "接口字段命名采用snake_case格式，如user_id。",
]
ALPHA_V2 = [ALPHA_V1[0], "持续优化营商环境，降低企业制度性交易成本和融资成本。", *ALPHA_V1[2:]]
BETA = ["推进乡村振兴，支持数字乡村建设。", "完善养老服务体系。", "政务公开"]


def _doc(url: str, title: str, texts: list[str]) -> Document:
    sec = Section(label="一、", ordinal=1, level=1, path="1", title="总体要求")
    for i, t in enumerate(texts, 1):
        norm = norm_text(t)
        sec.measures.append(Measure(label=f"{i}.", path=f"1.{i}", text=t, norm_text=norm, hash=text_hash(norm)))
    return Document(url=url, title=title, sections=[sec])


A_URL = "http://alpha.gov.cn/zwgk/content/post_1.html"
B_URL = "http://beta.gov.cn/zwgk/content/post_2.html"


def _record(db, docs: list[tuple[str, Document]], when: datetime) -> None:
    pages = [Page(url=d.url, site=site, body=d.url.encode(), fetched_at=when, document=d) for site, d in docs]
    results = record_pages(db, pages, on_changes=None)
    assert all(not isinstance(r, Exception) for r in results), results


def _fill(db) -> None:
    _record(db, [("alpha", _doc(A_URL, "关于数字政府的通知", ALPHA_V1)), ("beta", _doc(B_URL, "乡村振兴方案", BETA))], T0)
    _record(db, [("alpha", _doc(A_URL, "关于数字政府的通知", ALPHA_V2))], T0 + timedelta(days=1))


@pytest.fixture
def corpus(db):
    _fill(db)
    return db


def _texts(rows: list[dict]) -> list[str]:
    return [r["text"] for r in rows]


def _both(session, phrase: str, **kw) -> list[dict]:
    """The index's rows, after checking that they are the scan's."""
    found = search_index.search_page(session, phrase, limit=None, **kw)
    assert found == search_index.scan_page(session, phrase, limit=None, **kw), phrase
    return found


# expected texts read off ALPHA_V2 / BETA above: (phrase, latest-version measures that contain it)
CASES = [
    ("数", [ALPHA_V2[0], BETA[0]]),  # 1 character: the scan
    ("政务", [ALPHA_V2[0], BETA[2]]),  # 2 characters: the scan
    ("营商环", [ALPHA_V2[1]]),  # 3: the index's shortest
    ("制度性交易成本", [ALPHA_V2[1]]),
    ("乡村振兴，支持", [BETA[0]]),  # punctuation is normalized on both sides
    ("一网通办。优化", []),  # the end of one measure and the start of the next
    ("一网通办优化", []),
    ("10%以上", [ALPHA_V2[2]]),
    ("%", [ALPHA_V2[2]]),
    ("增长1%", []),  # an unescaped % would match "增长10%"
    ("10_以上", []),  # an unescaped _ would match "10%以"
    ("_", [ALPHA_V2[3]]),
    ("snake_case", [ALPHA_V2[3]]),
    ("e_c", [ALPHA_V2[3]]),
    ("养老服务体系", [BETA[1]]),
    ("不存在的短语", []),
]


def test_index_exists_after_migration(corpus):
    with corpus.reader() as s:
        assert search_index.index_kind(s) == {"sqlite": "fts5", "postgresql": "pg_trgm"}[corpus.engine.dialect.name]


@pytest.mark.parametrize(("phrase", "expected"), CASES, ids=[c[0] for c in CASES])
def test_phrases_match_what_the_text_says(corpus, phrase, expected):
    with corpus.reader() as s:
        assert _texts(_both(s, phrase)) == expected


def test_all_versions_site_and_paging(corpus):
    with corpus.reader() as s:
        every = _both(s, "营商环境", all_versions=True)
        assert [(r["version"], r["text"]) for r in every] == [(1, ALPHA_V1[1]), (2, ALPHA_V2[1])]
        assert _texts(_both(s, "数字", site="beta")) == [BETA[0]]
        assert _both(s, "数字", site="nowhere") == []
        # two measures of one version: 1 (alpha) then 3, 4 by ordinal; pages of one
        pages = [search_index.search_page(s, "成本", all_versions=True, offset=k, limit=1) for k in range(3)]
        assert [p[0]["version"] if p else None for p in pages] == [1, 2, None]
        # storage.read.search.search (the CLI), and search_page (web UI, API) go through the index module
        assert search_read.search(s, "营商环", limit=100) == search_index.search_page(s, "营商环", limit=100)


@pytest.mark.parametrize(
    ("few", "dense"),
    [(search_index.FEW, 10**9), (2, 10**9), (search_index.FEW, 1)],
    ids=["few-candidates", "many-candidates", "dense-sample"],
)
def test_random_phrases_agree_with_the_scan(db, few, dense, monkeypatch):
    """150 phrases cut from the stored texts, and across their measure boundaries, whole and a
    page of 3 at a time; with FEW (and FEW_TEXTS) at 2 nearly every phrase takes the other way (the walk from the
    documents); with DENSE at 1, PostgreSQL's sample sends every phrase it sees once to the walk,
    with DENSE out of reach none."""
    monkeypatch.setattr(search_index, "FEW", few)
    monkeypatch.setattr(search_index, "FEW_TEXTS", min(few, search_index.FEW_TEXTS))
    monkeypatch.setattr(search_index, "DENSE", dense)
    rng = random.Random(19)
    words = ["加强", "统筹", "数字", "经济", "营商", "环境", "乡村", "振兴", "人才", "10%", "a_b", "保障"]
    docs = []
    for i in range(30):
        texts = ["".join(rng.choice(words) for _ in range(rng.randint(2, 9))) + "。" for _ in range(5)]
        docs.append((f"s{i % 3}", _doc(f"http://r{i}.gov.cn/a.html", f"文件{i}", texts)))
    _record(db, docs, T0)
    joined = [("".join(norm_text(m.text) for m in d.sections[0].measures), d) for _, d in docs]
    with db.reader() as s:
        for _ in range(150):
            whole, _ = rng.choice(joined)
            n = rng.choice([1, 2, 3, 4, 5, 8])
            start = rng.randrange(max(1, len(whole) - n))
            phrase = whole[start : start + n]
            for all_versions in (False, True):
                _both(s, phrase, all_versions=all_versions)
                for offset in (0, 3):
                    paged = search_index.search_page(s, phrase, all_versions=all_versions, offset=offset, limit=3)
                    assert paged == search_index.scan_page(
                        s, phrase, all_versions=all_versions, offset=offset, limit=3
                    ), phrase


@pytest.mark.parametrize(
    ("needle", "pieces"),
    [
        ("营商环", ["营商环"]),
        ("营商环境", ["营商环", "商环境"]),
        ("社会建设教育优化", ["社会建", "设教育", "育优化"]),
        ("制度性交易成本", ["制度性", "交易成", "易成本"]),
        ("乡村振兴，支持", ["乡村振", "村振兴"]),  # none across the comma: pg_trgm splits words there
        ("10%以上", []),
        ("snake_case", ["sna", "cas", "ase"]),
    ],
)
def test_pieces_cover_the_phrase_with_few_trigrams(needle, pieces):
    assert search_index._pieces(needle) == pieces


def _downgrade(db, revision: str) -> None:
    """Back to `revision`, the rows kept (the write path of this build needs today's tables, so
    rows are recorded at head and the later revisions taken off)."""
    from alembic import command

    with db.writer_engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), revision)


def test_migration_indexes_rows_already_stored(db_url):
    db = connect(db_url)
    try:
        migrate.upgrade(db)
        _fill(db)
        _downgrade(db, "0005_unchanged_pairs")  # the revision before the index: rows, no index
        migrate.upgrade(db)
        with db.reader() as s:
            assert search_index.index_kind(s) is not None
            assert _texts(_both(s, "制度性交易成本", all_versions=True)) == [ALPHA_V1[1], ALPHA_V2[1]]
            if db.engine.dialect.name == "sqlite":  # the index itself holds every stored measure
                indexed = s.execute(text("SELECT count(*) FROM measure_fts WHERE measure_fts MATCH '\"交易成本\"'"))
                assert indexed.scalar() == 2
    finally:
        db.dispose()


def test_sqlite_answers_come_from_the_index(corpus):
    """Take one row out of the FTS5 index: the index search loses it, the scan still has it
    (so search_page really reads the index), and triggers keep later writes in step."""
    if corpus.engine.dialect.name != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    with corpus.writer() as s:
        mid, norm = s.execute(text("SELECT id, norm_text FROM measure WHERE norm_text LIKE '%养老%'")).one()
        s.execute(
            text("INSERT INTO measure_fts(measure_fts, rowid, norm_text) VALUES ('delete', :i, :t)"),
            {"i": mid, "t": norm},
        )
    with corpus.reader() as s:
        assert search_index.search_page(s, "养老服务") == []
        assert _texts(search_index.scan_page(s, "养老服务")) == [BETA[1]]
    with corpus.writer() as s:  # put it back: the index agrees with its table again
        s.execute(text("INSERT INTO measure_fts(rowid, norm_text) VALUES (:i, :t)"), {"i": mid, "t": norm})
    with corpus.writer() as s:  # the update trigger indexes the new text and forgets the old
        s.execute(
            text("UPDATE measure SET norm_text = '接口字段命名采用驼峰格式。' WHERE id = "
                 "(SELECT max(id) FROM measure WHERE norm_text LIKE '%snake%')")
        )
    with corpus.reader() as s:
        assert [r["path"] for r in _both(s, "驼峰格式")] == ["1.4"]
        assert _both(s, "snake_case") == []  # the latest version's text no longer has it
        assert [r["version"] for r in _both(s, "snake_case", all_versions=True)] == [1]
    with corpus.writer() as s:  # deleting a document takes its measures out of the index (cascade)
        s.execute(text("DELETE FROM document WHERE title = '乡村振兴方案'"))
    with corpus.reader() as s:
        left = s.execute(text("SELECT count(*) FROM measure_fts WHERE measure_fts MATCH '\"乡村振兴\"'")).scalar()
        assert left == 0
    with corpus.writer() as s:  # and the index matches the table row for row (raises if not)
        s.execute(text("INSERT INTO measure_fts(measure_fts, rank) VALUES ('integrity-check', 1)"))


def test_postgresql_trigrams_of_chinese_and_the_plan(corpus):
    if corpus.engine.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    with corpus.reader() as s:
        # 科技创新 padded as a word ("  科技创新 "): five trigrams, none of them empty
        schema = s.execute(
            text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE extname = 'pg_trgm'")
        ).scalar()
        trigrams = s.execute(text(f'SELECT "{schema}".show_trgm(:t)'), {"t": "科技创新"}).scalar()
        assert len(trigrams) == 5
        s.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: make the planner show it can
        probe = f"SELECT hash FROM {search_index.TEXT_TABLE} WHERE norm_text LIKE '%营商环%' AND norm_text LIKE '%商环境%'"
        plan = "\n".join(r[0] for r in s.execute(text(f"EXPLAIN {probe}")))  # the probe's pieces
        assert search_index.PG_INDEX in plan, plan


def test_postgresql_distinct_texts_follow_the_measures(corpus):
    """measure_text (migration 0009) holds each (hash, text) of measure once, new versions'
    texts included, kept by the trigger; a text whose measures are gone finds nothing."""
    if corpus.engine.dialect.name != "postgresql":
        pytest.skip("measure_text is PostgreSQL's")
    distinct = "SELECT count(*) FROM (SELECT DISTINCT hash, norm_text FROM measure) d"
    with corpus.reader() as s:
        assert s.execute(text(f"SELECT count(*) FROM {search_index.TEXT_TABLE}")).scalar() == s.execute(
            text(distinct)
        ).scalar()
        missing = s.execute(
            text(
                f"SELECT count(*) FROM measure m WHERE NOT EXISTS (SELECT 1 FROM {search_index.TEXT_TABLE} t "
                "WHERE t.hash = m.hash AND t.norm_text = m.norm_text)"
            )
        ).scalar()
        assert missing == 0
        assert _texts(_both(s, "持续优化营商环境")) == [ALPHA_V2[1]]  # a text only version 2 has
    with corpus.writer() as s:
        s.execute(text("DELETE FROM document WHERE title = '乡村振兴方案'"))
    with corpus.reader() as s:
        assert _both(s, "乡村振兴") == []


def test_sqlite_index_merges_less_eagerly(tmp_path):
    """Migration 0010: FTS5's automerge is 8 (fewer rewrites of a crawl's new trigrams), back to
    FTS5's 4 on downgrade; the index stays whole either way."""
    db = connect(f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        migrate.upgrade(db)
        _fill(db)

        def automerge() -> int:
            with db.reader() as s:
                rows = dict(s.execute(text("SELECT k, v FROM measure_fts_config")).all())
            return int(rows.get("automerge", 4))

        assert automerge() == 8
        _downgrade(db, "0009_search_texts")
        assert automerge() == 4
        migrate.upgrade(db)
        assert automerge() == 8
        with db.writer() as s:
            s.execute(text("INSERT INTO measure_fts(measure_fts, rank) VALUES ('integrity-check', 1)"))
    finally:
        db.dispose()


def _fts_whole(db) -> int:
    """FTS5's own check that the index holds exactly the rows of measure (raises if not); the
    number of rows it indexes."""
    with db.writer() as s:
        s.execute(text("INSERT INTO measure_fts(measure_fts, rank) VALUES ('integrity-check', 1)"))
        indexed = s.execute(text("SELECT count(*) FROM measure_fts_docsize")).scalar()
        assert indexed == s.execute(text("SELECT count(*) FROM measure")).scalar()
        return int(indexed)


def test_sqlite_every_write_path_indexes_its_rows(corpus):
    """Migration 0011: no insert trigger; the writers index what they insert. New documents
    (storage.fresh), a new version (storage.write_rows), reprocess's replaced measures and a
    measure added through the ORM are all found through the index, and the index stays whole."""
    from policywatch.flow import reprocess
    from storage.models import MeasureRow

    if corpus.engine.dialect.name != "sqlite":
        pytest.skip("FTS5 is SQLite's")
    with corpus.reader() as s:
        triggers = set(s.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    assert "measure_fts_ai" not in triggers and {"measure_fts_ad", "measure_fts_au"} <= triggers
    assert _fts_whole(corpus) == len(ALPHA_V1) + len(ALPHA_V2) + len(BETA)
    with corpus.reader() as s:
        assert [r["version"] for r in _both(s, "持续优化营商环境", all_versions=True)] == [2]  # the new version's
        assert _texts(_both(s, "数字乡村建设")) == [BETA[0]]  # a new document's

    reread = ["完善居家社区机构相协调的养老服务体系。", *BETA[1:]]

    def normalizer(body: bytes, **_kw) -> Document:  # reprocess reads beta's stored page anew
        url = body.decode()
        if url == B_URL:
            return _doc(B_URL, "乡村振兴方案", reread)
        return _doc(A_URL, "关于数字政府的通知", ALPHA_V2)

    reprocess(corpus, normalizer=normalizer)
    _fts_whole(corpus)
    with corpus.reader() as s:
        assert _texts(_both(s, "居家社区机构")) == [reread[0]]
        assert _both(s, "数字乡村建设") == []  # the replaced measure left the index with its row

    added = "经由对象关系映射写入的措施。"
    with corpus.writer() as s:
        version_id = s.execute(text("SELECT max(id) FROM version")).scalar()
        s.add(MeasureRow(version_id=version_id, ordinal=99, path="9.9", label="9.", heading="", text=added,
                         norm_text=norm_text(added), hash=text_hash(norm_text(added))))
    _fts_whole(corpus)
    with corpus.reader() as s:
        assert _texts(_both(s, "对象关系映射", all_versions=True)) == [added]


def test_sqlite_insert_trigger_back_on_downgrade(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'pw.db'}")
    try:
        migrate.upgrade(db)
        _downgrade(db, "0010_fts_automerge")
        with db.reader() as s:
            assert s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'measure_fts_ai'")).first() is not None
        migrate.upgrade(db)
        with db.reader() as s:
            assert s.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'measure_fts_ai'")).first() is None
    finally:
        db.dispose()
