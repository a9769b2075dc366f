"""Validity (pipeline/validity.py): 施行日期, 有效期, 有效期至, 废止, status, on written fixtures and
on the real pages of tests/data/corpus and tests/data/pairs-implementation.

Expected values on real pages are read from the page: the 附则 article or last item of the text
("本通知自2019年7月1日起实施，有效期5年"), the 实施日期 / 失效日期 fields of the 政府信息公开
block, and the 《…》（文号）同时废止 sentence.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from pipeline.html_extract import extract
from pipeline.normalize import normalize
from pipeline.schema import Document, Measure, Reference, Section
from pipeline.validity import (
    Validity,
    fields_from_lines,
    read_validity,
    state_on,
    status_code,
    validity_changes,
)

DATA = Path(__file__).parent / "data"


def _doc(*texts: str, status: str = "", title: str = "", written: str = "", published: str = "") -> Document:
    measures = [Measure(label=f"第{i + 1}条", path=f"1.{i + 1}", text=t) for i, t in enumerate(texts)]
    return Document(title=title, status=status, written_date=written, published_date=published,
                    sections=[Section(label="第一章", ordinal=1, level=1, path="1", measures=measures)])


@cache
def _page(name: str) -> tuple[Document, dict[str, str]]:
    raw = (DATA / "corpus" / name).read_bytes()
    return normalize(raw, filename=name), fields_from_lines(extract(raw.decode("utf-8")).labels)


# --- written fixtures ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "printed,code",
    [("现行有效", "in_force"), ("有效", "in_force"), ("已失效", "expired"), ("失效", "expired"), ("已废止", "repealed"),
     ("废止", "repealed"), ("已修订", "amended"), ("部分失效", "partly_expired"), ("尚未生效", "not_yet"), ("", ""),
     ("不详", "")],
)
def test_status_code(printed: str, code: str) -> None:
    assert status_code(printed) == code


def test_term_in_years_from_a_printed_date() -> None:
    v = read_validity(_doc("本规定自2020年3月1日起施行，有效期三年。"))
    assert (v.effective, v.effective_by, v.term_years) == ("2020-03-01", "text", 3)
    assert (v.expires, v.expires_by) == ("2023-02-28", "term")


def test_term_from_the_issue_date_uses_the_written_date() -> None:
    v = read_validity(_doc("本办法自印发之日起施行，有效期为5年。", written="2024-07-26", published="2024-09-12"))
    assert (v.effective, v.effective_by, v.effective_printed) == ("2024-07-26", "written_date", "本办法自印发之日起施行")
    assert v.expires == "2029-07-25"


def test_a_term_in_the_next_sentence_still_counts() -> None:
    v = read_validity(_doc("本意见自2022年1月1日起施行。有效期至2026年12月31日。"))
    assert (v.effective, v.expires, v.expires_by, v.term_years) == ("2022-01-01", "2026-12-31", "text", None)


def test_a_leap_day_term_ends_on_the_28th() -> None:
    assert read_validity(_doc("本通知自2024年2月29日起施行，有效期1年。")).expires == "2025-02-27"


def test_an_unrelated_validity_period_is_not_the_documents() -> None:
    # gz-08: 服务协议有效期可为1年 is the contract's term, not the plan's
    v = read_validity(_doc("服务协议有效期可为1年、2年或3年，并与医保政策实施周期相衔接。"))
    assert v == Validity()


def test_repeals_amends_and_status() -> None:
    d = _doc("本条例自2010年1月1日起施行。1995年发布的《某某管理办法》（某政发〔1995〕3号）同时废止。",
             status="已废止", title="关于修改《某某市市容管理条例》的决定")
    v = read_validity(d)
    assert v.repeals == [Reference(title="某某管理办法", doc_number="某政发〔1995〕3号")]
    assert v.amends == [Reference(title="某某市市容管理条例")]
    assert (v.status, v.status_printed) == ("repealed", "已废止")


def test_amendment_named_in_the_body() -> None:
    v = read_validity(_doc("决定对《某某市物业管理办法》（某府令第12号）作如下修改：", "本决定自2021年1月1日起施行。"))
    assert v.amends == [Reference(title="某某市物业管理办法", doc_number="某府令第12号")]
    assert v.effective == "2021-01-01"


def test_state_on_a_day() -> None:
    v = read_validity(_doc("本通知自2019年7月1日起实施，有效期5年。"))
    assert [state_on(v, d) for d in ("2019-06-30", "2019-07-01", "2024-06-30", "2024-07-01")] == [
        "not_yet", "in_force", "in_force", "expired"]
    assert state_on(read_validity(_doc("本办法自2019年7月1日起施行。", status="已废止")), "2020-01-01") == "repealed"
    assert state_on(Validity(), "2020-01-01") == "unknown"


def test_changes_between_two_versions() -> None:
    old = read_validity(_doc("本办法自印发之日起施行，有效期5年。", written="2023-01-05", status="现行有效"))
    new = read_validity(_doc("本办法自印发之日起施行，有效期至2026年12月31日。", written="2023-01-05", status="现行有效"))
    assert validity_changes(old, new) == [("expires", "2028-01-04", "2026-12-31"), ("term_years", 5, None)]
    assert validity_changes(old, old) == []


def test_fields_from_metadata_lines() -> None:
    lines = ["统一编号： GZ0320190096", "实施日期： 2019年07月01日", "失效日期： 2024年06月30日", "文件状态：",
             "有效性：现行有效 发布机关：某某局", "搜索位置 标题 全文 文件状态 不限 现行有效 已失效"]
    assert fields_from_lines(lines) == {"effective": "2019年07月01日", "expires": "2024年06月30日", "status": "现行有效"}


# --- real pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page,effective,effective_by,term,expires,expires_by",
    [
        # 十二、本通知自 2019年7月1日起实施，有效期5年。 fields: 实施日期 2019年07月01日, 失效日期 2024年06月30日
        ("gz-10b.html", "2019-07-01", "text", 5, "2024-06-30", "term"),
        # 七、本通知自2024年3月4日起施行，有效期5年。 fields: 2024年03月04日 / 2029年03月03日
        ("gz-13.html", "2024-03-04", "text", 5, "2029-03-03", "term"),
        # 第二十三条 本办法自印发之日起施行，有效期5年。 fields: 2019年10月16日 / 2024年10月15日
        ("gz-18.html", "2019-10-16", "field", 5, "2024-10-15", "term"),
        # 第二十三条 本办法自2019年2月1日实施，有效期5年。 fields: 2019年02月01日 / 2024年01月31日
        ("gz-27b.html", "2019-02-01", "text", 5, "2024-01-31", "term"),
        # 第五十四条 本办法自印发之日起施行，有效期5年。 no fields; signed 2024年7月26日
        ("gz-11.html", "2024-07-26", "written_date", 5, "2029-07-25", "term"),
        # 第十三条 本办法自印发之日起施行，有效期至2026年12月31日。 signed 2025年6月30日
        ("gz-36b.html", "2025-06-30", "written_date", None, "2026-12-31", "text"),
        # 第十九条 本办法自2021年5月1日起施行。 no term
        ("gz-33.html", "2021-05-01", "text", None, "", ""),
        # 第五十五条 本条例自2022年3月1日起施行。
        ("gz-37.html", "2022-03-01", "text", None, "", ""),
    ],
)
def test_real_pages(page: str, effective: str, effective_by: str, term: int | None, expires: str, expires_by: str) -> None:
    doc, fields = _page(page)
    v = read_validity(doc, fields)
    assert (v.effective, v.effective_by, v.term_years, v.expires, v.expires_by) == (effective, effective_by, term, expires, expires_by)
    assert v.notes == []


def test_a_field_that_disagrees_with_the_text_is_noted() -> None:
    # gz-29: 第十八条 本实施细则自印发之日起施行,有效期5年; fields 实施日期 2021年12月06日, 失效日期 2029年12月06日
    doc, fields = _page("gz-29.html")
    v = read_validity(doc, fields)
    assert (v.effective, v.effective_by, v.expires, v.expires_by) == ("2021-12-06", "field", "2026-12-05", "term")
    assert v.notes == ["失效日期字段为2029-12-06，“有效期5年”推算为2026-12-05"]


@pytest.mark.parametrize(
    "page,repealed",
    [
        ("gz-10b.html", ["穗人社发〔2014〕52号", "穗人社发〔2015〕58号", "穗人社规字〔2018〕6号"]),
        ("gz-18.html", ["穗人社发〔2015〕27号"]),
        ("gz-29.html", ["穗府办规〔2019〕13号"]),
        ("gz-35c.html", ["穗府办规〔2018〕30号"]),
        ("gz-36b.html", ["穗府办规〔2023〕1号"]),
    ],
)
def test_repealed_documents_by_doc_number(page: str, repealed: list[str]) -> None:
    assert [r.doc_number for r in read_validity(*_page(page)).repeals] == repealed


def test_repealed_predecessor_keeps_its_title_even_when_it_is_the_pages_own() -> None:
    # gz-35c: 《广州市人民政府办公厅关于印发广州市引进人才入户管理办法的通知》（穗府办规〔2018〕30号）同时废止
    (ref,) = read_validity(*_page("gz-35c.html")).repeals
    assert ref.title == "广州市人民政府办公厅关于印发广州市引进人才入户管理办法的通知"


def test_repealed_regulations_by_title() -> None:
    # gz-37 第五十五条: 《中华人民共和国公司登记管理条例》… 《企业法人法定代表人登记管理规定》同时废止
    titles = [r.title for r in read_validity(*_page("gz-37.html")).repeals]
    assert titles == ["中华人民共和国公司登记管理条例", "中华人民共和国企业法人登记管理条例", "中华人民共和国合伙企业登记管理办法",
                      "农民专业合作社登记管理条例", "企业法人法定代表人登记管理规定"]


def test_republication_extends_the_earlier_document() -> None:
    # gz-36b cover: 根据《广东省行政规范性文件管理规定》…现将《…积分制入户管理办法的通知》（穗府办规〔2023〕1号）
    # 重新发布，有效期调整至2026年12月31日
    extends = read_validity(*_page("gz-36b.html")).extends
    assert [(r.doc_number, until) for r, until in extends] == [("穗府办规〔2023〕1号", "2026-12-31")]


def test_laws_commence_on_a_date_or_on_promulgation() -> None:
    law = normalize((DATA / "pairs-implementation" / "national-yiwu-jiaoyu-fa-2018.md").read_bytes(),
                    filename="national-yiwu-jiaoyu-fa-2018.md")
    v = read_validity(law)  # 第六十三条 本法自2006年9月1日起施行。
    assert (v.effective, v.expires, v.repeals) == ("2006-09-01", "", [])
    sup = normalize((DATA / "corpus" / "gne-sxmu-jianchafa.html").read_bytes(), filename="gne-sxmu-jianchafa.html")
    v = read_validity(sup)  # 第六十九条 本法自公布之日起施行。《中华人民共和国行政监察法》同时废止。
    assert (v.effective_by, v.effective_printed) == ("published_date", "本法自公布之日起施行")
    assert v.repeals == [Reference(title="中华人民共和国行政监察法")]
