"""The side-by-side diff shows the pairing compare made, as stored with the version.

The web page used to pair unchanged measures again by hash; now it reads the pairs kept with
the newer version (`version.unchanged_pairs`), so a measure the aligner paired although its
text and hash differ (kept whole under an added paragraph) stands beside its old self, and a
stored pairing is what the page shows even where the hash alone would pair otherwise.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from policywatch.flow import Page, record_page, reprocess
from policywatch.web import views
from policywatch.web.app import create_app
from storage import migrate
from storage.db import connect
from storage.models import Document, MeasureRow, Version
from tests.test_compare_paragraphs import INSERTED, NOTICE, _with_paragraph

URL = "http://www.example.gov.cn/notice.html"
ITEM_TWO_OLD = "加强农资供应保障。农业农村部门会同市场监管部门做好化肥、种子、农药等农资的调度供应，严厉打击假冒伪劣农资。"

# a page printing one measure twice (the same line under two headings), then growing a third
REPEATED = """关于做好农资供应工作的通知

一、春耕

1. 各区要做好农资储备和调度工作。

2. 市场监管部门负责价格监测。

二、夏管

1. 各区要做好农资储备和调度工作。

2. 气象部门负责天气预警。
"""
REPEATED_NEW = REPEATED + "\n三、秋收\n\n1. 农业农村部门负责统筹秋收工作。\n"
SAME = "各区要做好农资储备和调度工作。"


def _record(db, bodies: list[str]) -> int:
    doc_id = 0
    for k, body in enumerate(bodies):
        page = Page(url=URL, body=body.encode(), filename="notice.txt", fetched_at=datetime(2026, 11, 2 + k, 8))
        doc_id = record_page(db, page).document_id
    return doc_id


def _rows(db, doc_id: int) -> list[dict]:
    with db.reader() as s:
        d = views.diff(s, s.get(Document, doc_id), None, None)
    return [r for b in d["blocks"] for r in (b["rows"] if b["type"] == "same" else [b["row"]])]


def _measure_ids(db, doc_id: int, seq: int) -> dict[tuple[str, str], int]:
    """(path, text) -> id of a version's measure rows."""
    with db.reader() as s:
        vid = s.scalar(select(Version.id).where(Version.document_id == doc_id, Version.seq == seq))
        rows = s.execute(select(MeasureRow.id, MeasureRow.path, MeasureRow.text).where(MeasureRow.version_id == vid))
        return {(path, text): mid for mid, path, text in rows}


def _set_pairs(db, doc_id: int, pairs: list[list[int]] | None) -> None:
    with db.writer() as s:
        s.scalar(select(Version).where(Version.document_id == doc_id, Version.seq == 2)).unchanged_pairs = pairs


def test_a_measure_kept_under_an_added_paragraph_stands_beside_its_old_self(tmp_path) -> None:
    db = connect(str(tmp_path / "d.db"))
    migrate.upgrade(db)
    doc_id = _record(db, [NOTICE, _with_paragraph(INSERTED)])
    rows = _rows(db, doc_id)
    two = [r for r in rows if r["new"] and r["new"]["label"] == "（二）"]
    # read from the two texts: （二） as printed before, and with the paragraph after it
    assert [(r["kind"], r["old"]["text"], r["new"]["text"]) for r in two] == [
        ("unchanged", ITEM_TWO_OLD, f"{ITEM_TWO_OLD}\n{INSERTED}")
    ]
    # the pair is in the stored record: its two measure rows differ in text and hash
    old_id = _measure_ids(db, doc_id, 1)[("1.2", ITEM_TWO_OLD)]
    new_id = _measure_ids(db, doc_id, 2)[("1.2", f"{ITEM_TWO_OLD}\n{INSERTED}")]
    with db.reader() as s:
        stored = s.scalar(select(Version.unchanged_pairs).where(Version.document_id == doc_id, Version.seq == 2))
        hashes = set(s.scalars(select(MeasureRow.hash).where(MeasureRow.id.in_([old_id, new_id]))))
    assert [old_id, new_id] in stored and len(hashes) == 2
    db.dispose()


def test_the_page_follows_the_stored_pairs_not_the_hash(tmp_path) -> None:
    db = connect(str(tmp_path / "d.db"))
    migrate.upgrade(db)
    doc_id = _record(db, [REPEATED, REPEATED_NEW])
    old, new = _measure_ids(db, doc_id, 1), _measure_ids(db, doc_id, 2)
    assert (old[("1.1", SAME)], new[("1.1", SAME)]) != (old[("2.1", SAME)], new[("2.1", SAME)])

    def beside() -> list[tuple[str, str]]:
        return [(r["old"]["path"], r["new"]["path"]) for r in _rows(db, doc_id) if r["kind"] == "unchanged" and r["new"]["text"] == SAME]

    assert beside() == [("1.1", "1.1"), ("2.1", "2.1")]  # as compare paired them, in place
    # a record that pairs the repeated line crosswise: the hash cannot tell the two apart, the
    # page shows what is stored
    crossed = [[old[("1.1", SAME)], new[("2.1", SAME)]], [old[("2.1", SAME)], new[("1.1", SAME)]]]
    with db.reader() as s:
        kept = s.scalar(select(Version.unchanged_pairs).where(Version.document_id == doc_id, Version.seq == 2))
    others = [p for p in kept if p[1] not in (new[("1.1", SAME)], new[("2.1", SAME)])]
    _set_pairs(db, doc_id, crossed + others)
    assert beside() == [("2.1", "1.1"), ("1.1", "2.1")]
    # a version stored before the pairs were kept is compared again; reprocess fills it in
    _set_pairs(db, doc_id, None)
    assert beside() == [("1.1", "1.1"), ("2.1", "2.1")]
    reprocess(db)
    with db.reader() as s:
        filled = s.scalar(select(Version.unchanged_pairs).where(Version.document_id == doc_id, Version.seq == 2))
        first = s.scalar(select(Version.unchanged_pairs).where(Version.document_id == doc_id, Version.seq == 1))
    assert sorted(map(tuple, filled)) == sorted(map(tuple, kept)) and first is None
    db.dispose()
    app = create_app(str(tmp_path / "d.db"))
    page = app.test_client().get(f"/documents/{doc_id}/diff").get_data(as_text=True)
    assert "农业农村部门负责统筹秋收工作" in page
    app.extensions["policywatch_db"].dispose()
