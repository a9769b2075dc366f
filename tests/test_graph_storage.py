"""Citation edges and validity rows as the write path stores them (storage/citations.py,
storage/validity.py), on SQLite and PostgreSQL, through record_page / record_pages with the
real normalizer.

Expected values are read from the pages: the Zhaoqing 实施意见 (policywatch/demo/pages) prints
"《广东省人民政府关于促进高新技术产业开发区高质量发展的意见》(粤府〔2019〕28号)"; the
provincial page (a fixture written for issue 20, marked so in its source) prints 文号
粤府〔2019〕28号, 成文日期 2019-03-18 and "本意见自印发之日起实施,有效期5年" (last day 2024-03-17).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from pipeline.schema import Document as Doc
from pipeline.schema import Reference
from policywatch.demo import PAGES
from policywatch.flow import Page, record_page, record_pages, reprocess
from storage import citations, validity

GRAPH = Path(__file__).parent / "data" / "graph"  # the 粤府〔2019〕28号 fixture written for issue 20
ZQ = "http://zq.example.gov.cn/post_1840123.html"
GD = "http://gd.example.gov.cn/post_28.html"
T0 = datetime(2026, 11, 1, 8)


def _page(url: str, name: str, site: str) -> Page:
    return Page(url=url, body=((GRAPH if (GRAPH / name).exists() else PAGES) / name).read_bytes(), site=site, fetched_at=T0)


ZQ_PAGE = lambda: _page(ZQ, "zhaoqing-gkmlpt.html", "zhaoqing")  # noqa: E731
GD_PAGE = lambda: _page(GD, "gd-yuefu-2019-28.html", "guangdong")  # noqa: E731


def _ids(db) -> tuple[int, int]:
    from storage.known import find_by_url

    with db.reader() as s:
        return find_by_url(s, ZQ).id, find_by_url(s, GD).id


def _check_edge(db) -> None:
    zq, gd = _ids(db)
    with db.reader() as s:
        out = citations.cites(s, zq)
        back = citations.cited_by(s, gd)
        assert citations.cites(s, gd) == []
    assert [(c["doc_number"], c["matched_by"], c["cited"]["id"]) for c in out] == [("粤府〔2019〕28号", "doc_number", gd)]
    assert out[0]["title"] == "广东省人民政府关于促进高新技术产业开发区高质量发展的意见"
    assert [(d["id"], d["matched_by"]) for d in back] == [(zq, "doc_number")]


def test_cited_page_stored_first_resolves_at_once(db):
    record_page(db, GD_PAGE())
    record_page(db, ZQ_PAGE())
    _check_edge(db)


def test_citing_page_stored_first_is_answered_when_the_cited_page_arrives(db):
    record_page(db, ZQ_PAGE())
    zq = _ids_one(db, ZQ)
    with db.reader() as s:
        assert [c["cited"] for c in citations.cites(s, zq)] == [None]  # nothing watched answers yet
    record_page(db, GD_PAGE())
    _check_edge(db)


def _ids_one(db, url: str) -> int:
    from storage.known import find_by_url

    with db.reader() as s:
        return find_by_url(s, url).id


def test_one_first_crawl_batch_resolves_both_orders(db):
    record_pages(db, [ZQ_PAGE(), GD_PAGE()])  # both new: written by the batch path (storage/fresh.py)
    _check_edge(db)


def test_reprocess_fills_edges_for_stored_versions(db):
    from sqlalchemy import delete

    from storage.models_graph import CitationRow, DocumentKey

    record_pages(db, [ZQ_PAGE(), GD_PAGE()])
    with db.writer() as s:  # a database written before the graph existed
        s.execute(delete(CitationRow))
        s.execute(delete(DocumentKey))
    reprocess(db)
    _check_edge(db)


def test_title_answers_when_the_reference_prints_no_number(db):
    record_page(db, GD_PAGE())
    cite = Doc(title="关于贯彻落实有关意见的通知", references=[
        Reference(title="广东省人民政府关于促进高新技术产业开发区高质量发展的意见")])
    record_page(db, Page(url="http://x.gov.cn/a.html", site="x", document=cite, body=b"x", fetched_at=T0))
    with db.reader() as s:
        out = citations.cites(s, _ids_one(db, "http://x.gov.cn/a.html"))
    assert [(c["matched_by"], c["cited"]["id"]) for c in out] == [("title", _ids_one(db, GD))]


def test_validity_of_the_latest_version_and_expiring(db):
    record_pages(db, [ZQ_PAGE(), GD_PAGE()])
    zq, gd = _ids(db)
    with db.reader() as s:
        v = validity.current(s, gd)
        assert (v.effective, v.term_years, v.expires) == ("2019-03-18", 5, "2024-03-17")
        assert validity.current(s, zq) is None  # the 实施意见 states no term
        past = validity.expiring(s, date(2026, 12, 1), 30)
        assert [(d["id"], d["expires"], d["days_left"]) for d in past] == [(gd, "2024-03-17", -989)]
        assert validity.expiring(s, date(2026, 12, 1), 30, include_past=False) == []
        soon = validity.expiring(s, date(2024, 3, 1), 30, include_past=False)
        assert [(d["id"], d["days_left"]) for d in soon] == [(gd, 16)]


@pytest.mark.parametrize("status", ["已废止"])
def test_a_printed_status_is_stored(db, status):
    doc = Doc(title="某市关于某事项的通知", status=status)
    record_page(db, Page(url="http://x.gov.cn/r.html", site="x", document=doc, body=b"x", fetched_at=T0))
    with db.reader() as s:
        assert [d["status_printed"] for d in validity.repealed(s)] == [status]


def test_crawled_reference_text_is_escaped_on_the_document_page(db_url):
    from storage import migrate
    from storage.db import connect

    db = connect(db_url)
    migrate.upgrade(db)
    evil = '<script>alert("x")</script>办法'
    doc = Doc(title="关于<b>某</b>事项的通知", references=[Reference(title=evil, doc_number="某府〔2020〕1号")])
    record_page(db, Page(url="http://x.gov.cn/e.html", site="x", document=doc, body=b"x", fetched_at=T0))
    from policywatch.web.app import create_app

    html = create_app(db_url).test_client().get(f"/documents/{_ids_one(db, 'http://x.gov.cn/e.html')}")
    text = html.get_data(as_text=True)
    assert html.status_code == 200 and "<script>alert" not in text and "&lt;script&gt;alert" in text
    db.dispose()


def test_a_document_another_declares_repealed_is_repealed(db):
    record_page(db, GD_PAGE())
    text = ("本意见自2024年3月18日起施行。《广东省人民政府关于促进高新技术产业开发区高质量发展的意见》"
            "（粤府〔2019〕28号）同时废止。")
    new = Doc(title="广东省人民政府关于进一步促进高新技术产业开发区高质量发展的意见", doc_number="粤府〔2024〕9号",
              preamble=text)
    record_page(db, Page(url="http://gd.example.gov.cn/post_9.html", site="guangdong", document=new, body=b"x",
                         fetched_at=T0))
    with db.reader() as s:
        out = validity.repealed(s)
    assert [(d["id"], d["repealed_by"]["doc_number"]) for d in out] == [(_ids_one(db, GD), "粤府〔2024〕9号")]
    from notifications.expiry import _message, due_notices
    from notifications.settings import NotifySettings
    from notifications.subscription_spec import spec_from_options
    from notifications.subscriptions import add
    from policywatch.notify_config import localized

    with db.writer() as s:
        add(s, spec_from_options("gd", {"email": "gd@example.org", "sites": ["guangdong"]}))
    with db.reader() as s:
        [(sub, notices)] = due_notices(s, date(2026, 12, 1), 30)
        msg = _message(sub, notices, localized(NotifySettings()), date(2026, 12, 1))
        english = _message(sub, notices, localized(NotifySettings(), "en"), date(2026, 12, 1))
    kinds = {n.kind: n.document["title"] for n in notices}
    assert kinds["repealed"] == "广东省人民政府关于促进高新技术产业开发区高质量发展的意见"
    body = msg.get_body(("plain",)).get_content()
    assert "[已废止]" in body and "宣布废止" in body and "粤府〔2024〕9号" in body
    subject = f"{msg['Subject']}"
    assert subject.startswith(("[policywatch] 已到期：", "[policywatch] 即将到期：")) and subject.endswith("等 2 份文件")
    assert "文件有效期提醒" in msg.get_body(("html",)).get_content()
    body = english.get_body(("plain",)).get_content()
    assert "[repealed]" in body and "repealed by " in body and "粤府〔2024〕9号" in body and "宣布废止" not in body
    assert f"{english['Subject']}".endswith(" and others, 2 documents") and "已" not in english["Subject"]
