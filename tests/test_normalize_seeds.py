"""The two pages the project was designed from, inside realistic CMS templates (policywatch/demo/pages)."""

from __future__ import annotations

import pytest

from pipeline.normalize import normalize
from pipeline.schema import Document
from policywatch.demo import PAGES

FIXTURES = PAGES


@pytest.fixture(scope="module")
def zhaoqing() -> Document:
    return normalize((FIXTURES / "zhaoqing-gkmlpt.html").read_bytes(), url="https://www.zhaoqing.gov.cn/gkmlpt/content/1/1840/post_1840123.html")


@pytest.fixture(scope="module")
def yulin() -> Document:
    return normalize((FIXTURES / "yulin-jiedu.html").read_bytes(), url="http://www.yulin.gov.cn/zcjd/t12345.shtml")


def test_zhaoqing_metadata(zhaoqing: Document) -> None:
    assert zhaoqing.doc_number == "肇府函〔2019〕381号"
    assert zhaoqing.doc_number_raw == "肇府函〔2019〕381号"
    assert zhaoqing.written_date == "2019-10-24"
    assert zhaoqing.published_date == "2019-10-29"
    assert zhaoqing.publisher == "肇庆市人民政府"
    assert zhaoqing.index_number == "007141332/2019-27854"
    assert zhaoqing.title.startswith("肇庆市人民政府关于印发")
    assert zhaoqing.kind == "opinion"


def test_zhaoqing_cover_notice_kept_apart(zhaoqing: Document) -> None:
    assert zhaoqing.body_title == "肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见"
    assert "现印发给你们" in zhaoqing.cover_note
    assert "2019年10月24日" in zhaoqing.cover_note
    assert "现印发给你们" not in zhaoqing.preamble
    assert zhaoqing.preamble.startswith("2019年3月18日省政府印发")
    assert all("现印发给你们" not in m.text for m in zhaoqing.iter_measures())


def test_zhaoqing_sections(zhaoqing: Document) -> None:
    top = zhaoqing.sections
    assert [(s.label, s.title) for s in top] == [("一、", "目标要求"), ("二、", "主要任务"), ("三、", "保障措施")]
    goals, tasks, _ = top
    assert goals.text.startswith("坚持以习近平新时代") and not goals.measures
    assert len(tasks.children) == 5
    numbers = [int(m.label.rstrip(".")) for sub in tasks.children for m in sub.measures]
    assert numbers == list(range(1, 18)), "measures 1-17 numbered straight through the subsections"
    assert [len(sub.measures) for sub in tasks.children] == [1, 4, 4, 4, 4]


def test_zhaoqing_heading_split_from_body(zhaoqing: Document) -> None:
    safeguards = zhaoqing.sections[2]
    assert [m.label for m in safeguards.measures] == ["(一)", "(二)", "(三)"]
    assert [m.heading for m in safeguards.measures] == ["加强干部队伍建设", "建立常态化工作协调机制", "完善考核机制"]
    assert safeguards.measures[0].text.startswith("加强干部队伍建设。落实有关规定")
    task2 = zhaoqing.sections[1].children[1].measures[0]
    assert (task2.label, task2.heading) == ("2.", "构建创新发展新格局")


def test_zhaoqing_closing_paragraph_is_not_a_measure(zhaoqing: Document) -> None:
    last = zhaoqing.sections[2].measures[-1]
    assert "促进高新区高质量发展是广东省" not in last.text
    assert zhaoqing.closing.startswith("促进高新区高质量发展是广东省")


def test_zhaoqing_attachments(zhaoqing: Document) -> None:
    names = {a.name: a for a in zhaoqing.attachments}
    assert "重点工作任务分工表" in names
    doc_files = [a for a in zhaoqing.attachments if a.ext == "doc"]
    assert len(doc_files) == 1
    assert doc_files[0].url.startswith("https://www.zhaoqing.gov.cn/") and doc_files[0].url.endswith(".doc")


def test_zhaoqing_references(zhaoqing: Document) -> None:
    numbers = {r.doc_number for r in zhaoqing.references}
    assert "粤府〔2019〕28号" in numbers
    assert "肇府函〔2019〕381号" not in numbers, "the page's own 文号 is no reference"
    assert all(r.title not in ("意见", "实施意见") for r in zhaoqing.references), "以下简称 aliases are no references"


def test_yulin_sections_and_inferred_numeral(yulin: Document) -> None:
    assert [(s.label, s.ordinal, s.inferred) for s in yulin.sections] == [("一、", 1, False), ("、", 2, True)]
    assert yulin.sections[1].title == "实施方案的总体框架"
    assert yulin.kind == "interpretation"


def test_yulin_inline_measures(yulin: Document) -> None:
    subs = yulin.sections[1].children
    assert [len(s.measures) for s in subs] == [2, 5, 4, 2, 7, 2]
    measures = yulin.measures()
    assert len(measures) == 22
    labels = [m.label for m in subs[1].measures]
    assert labels == ["一是", "二是", "三是", "四是", "五是"]
    # "…急需紧缺人才三是支持…": no 。 before 三是, still split there
    assert subs[1].measures[1].text.endswith("引育一批玉林产业发展的急需紧缺人才")
    assert subs[1].measures[2].text.startswith("支持高新区围绕我市制造业")


def test_yulin_body_printed_twice_is_kept_once(yulin: Document) -> None:
    hashes = [m.hash for m in yulin.iter_measures()]
    assert len(hashes) == len(set(hashes))
    assert yulin.preamble.count("2020年7月17日") <= 1
    assert yulin.sections[0].text.count("2020年7月17日") == 1


def test_yulin_references(yulin: Document) -> None:
    numbers = {r.doc_number for r in yulin.references}
    assert {"国发〔2020〕7号", "桂政办发〔2021〕81号", "玉政办规〔2017〕5号"} <= numbers


def test_visible_duplicate_body_is_kept_once() -> None:
    """The same body printed twice in the DOM, both visible (as some 解读 templates do)."""
    body = (
        "<p>一、总体要求</p><p>坚持以人民为中心，全面推进各项工作落实。</p>"
        "<p>二、主要措施</p><p>（一）加强组织领导。各地要建立工作机制，明确责任分工，确保各项措施落到实处。</p>"
        "<p>（二）强化资金保障。财政部门要统筹安排资金，支持重点项目建设和运营。</p>"
    )
    html = f"<html><body><div class='TRS_Editor'>{body}<p>政策解读</p>{body}</div></body></html>"
    doc = normalize(html.encode("utf-8"))
    assert [m.heading for m in doc.iter_measures()] == ["加强组织领导", "强化资金保障"]
