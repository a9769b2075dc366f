"""Citations of the seed pages resolved to watched documents (pipeline/citations.py).

Expected values are read from the seed texts (tests/data/seeds): the Zhaoqing 实施意见 cites
《广东省人民政府关于促进高新技术产业开发区高质量发展的意见》(粤府〔2019〕28号); the Yulin
page cites 国发〔2020〕7号, 桂政办发〔2021〕81号 and 玉政办规〔2017〕5号, and its own drafts
(征求意见稿, 送审稿) by title only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.citations import Candidate, doc_number_key, resolve, title_core, title_key
from pipeline.normalize import normalize
from pipeline.schema import Document, Reference
from policywatch.demo import PAGES

FIXTURES = PAGES  # the seed pages, in the demo package


@pytest.fixture(scope="module")
def zhaoqing() -> Document:
    return normalize((FIXTURES / "zhaoqing-gkmlpt.html").read_bytes(), filename="zhaoqing-gkmlpt.html")


@pytest.fixture(scope="module")
def yulin() -> Document:
    return normalize((FIXTURES / "yulin-jiedu.html").read_bytes(), filename="yulin-jiedu.html")


@pytest.mark.parametrize(
    "raw,key",
    [
        ("粤府〔2019〕28号", "粤府〔2019〕28号"),
        ("粤府［2019］28号", "粤府〔2019〕28号"),
        ("粤府 [2019] 第028号", "粤府〔2019〕28号"),
        ("粤府（2019年）28号", "粤府〔2019〕28号"),
        ("粤府2019年第28号", "粤府〔2019〕28号"),
        ("粤府〔二〇一九〕28号", "粤府〔2019〕28号"),
        ("粤府〔2019〕二十八号", "粤府〔2019〕28号"),
        ("穗人社发 〔 2015 〕 27 号", "穗人社发〔2015〕27号"),  # gz-18 prints it spaced out
        ("国发(2020)7号", "国发〔2020〕7号"),
        ("国令第837号", "国令第837号"),
        ("", ""),
        ("无", ""),
    ],
)
def test_doc_number_key(raw: str, key: str) -> None:
    assert doc_number_key(raw) == key


def test_doc_number_keys_keep_different_numbers_apart() -> None:
    assert doc_number_key("粤府〔2019〕28号") != doc_number_key("粤府〔2019〕29号")
    assert doc_number_key("粤府〔2019〕28号") != doc_number_key("粤府〔2018〕28号")
    assert doc_number_key("桂政办发〔2021〕81号") != doc_number_key("桂政发〔2021〕81号")


@pytest.mark.parametrize(
    "title,key",
    [
        ("《广东省人民政府关于促进高新技术产业开发区高质量发展的意见》", "广东省人民政府关于促进高新技术产业开发区高质量发展的意见"),
        # the Zhaoqing page's own title: the notice is cited by the 实施意见 it prints
        ("肇庆市人民政府关于印发肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见的通知",
         "肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见"),
        # gz-18: 〈〉 inside 《》 and a space between two agencies
        ("《广州市人力资源和社会保障局 广州市财政局关于印发〈广州市高校毕业生就业见习基地管理办法〉的通知》",
         "广州市高校毕业生就业见习基地管理办法"),
        # a 通知 that prints nothing keeps its 的通知 (it is the document)
        ("关于促进广西高新技术产业开发区高质量发展若干措施的通知", "关于促进广西高新技术产业开发区高质量发展若干措施的通知"),
        ("玉林市促进高新技术产业开发区高质量发展的实施方案(征求意见稿)", "玉林市促进高新技术产业开发区高质量发展的实施方案(征求意见稿)"),
    ],
)
def test_title_key(title: str, key: str) -> None:
    assert title_key(title) == key


def test_title_core_drops_agency_and_wrapper() -> None:
    assert title_core(title_key("关于促进广西高新技术产业开发区高质量发展若干措施的通知")) == title_core(
        title_key("广西壮族自治区人民政府办公厅关于印发促进广西高新技术产业开发区高质量发展若干措施的通知")
    )


def _watched() -> list[Candidate]:
    return [
        # printed with full-width square brackets, as some sites do
        Candidate("gd-2019-28", doc_number_key("粤府［2019］28号"), (title_key("广东省人民政府关于促进高新技术产业开发区高质量发展的意见"),)),
        Candidate("gwy-2020-7", doc_number_key("国发（2020）7号"), (title_key("国务院关于促进国家高新技术产业开发区高质量发展的若干意见"),)),
        # a page whose metadata block carried no 文号: only its title can name it
        Candidate("gx-2021-81", "", (title_key("广西壮族自治区人民政府办公厅关于促进广西高新技术产业开发区高质量发展若干措施的通知"),)),
        Candidate("yl-2017-5", doc_number_key("玉政办规〔2017〕5号"), (title_key("玉林市支持科技创新平台发展暂行办法"),)),
        # the final 实施方案: the Yulin page names only its drafts, which are other documents
        Candidate("yl-plan", "", (title_key("玉林市促进高新技术产业开发区高质量发展的实施方案"),)),
    ]


def test_zhaoqing_cites_the_guangdong_opinion_by_doc_number(zhaoqing: Document) -> None:
    edges = resolve(zhaoqing.references, _watched())
    assert [(e.doc_id, e.matched_by) for e in edges] == [("gd-2019-28", "doc_number")]
    assert edges[0].reference.title == "广东省人民政府关于促进高新技术产业开发区高质量发展的意见"


def test_yulin_citations(yulin: Document) -> None:
    edges = resolve(yulin.references, _watched())
    got = {e.doc_id: e.matched_by for e in edges}
    assert got == {"yl-2017-5": "doc_number", "gwy-2020-7": "doc_number", "gx-2021-81": "title"}


def test_a_different_doc_number_is_another_document(yulin: Document) -> None:
    # another province's opinion with the State Council's title word for word, under its own 文号
    decoy = Candidate("decoy", doc_number_key("桂政发〔2020〕7号"), (title_key("关于促进国家高新技术产业开发区高质量发展的若干意见"),))
    edges = resolve([Reference(title="关于促进国家高新技术产业开发区高质量发展的若干意见", doc_number="国发〔2020〕7号")], [decoy])
    assert edges == []


def test_title_only_reference_finds_the_notice_by_what_it_prints(zhaoqing: Document) -> None:
    watched = [Candidate.of("zq-381", zhaoqing), *_watched()]
    assert watched[0].number_key == "肇府函〔2019〕381号"
    ref = Reference(title="肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见")
    edges = resolve([ref], watched, own_id="later-doc")
    assert [(e.doc_id, e.matched_by) for e in edges] == [("zq-381", "title")]


def test_a_document_does_not_cite_itself(zhaoqing: Document) -> None:
    watched = [Candidate.of("zq-381", zhaoqing)]
    refs = [Reference(doc_number="肇府函〔2019〕381号")]
    assert resolve(refs, watched, own_id="zq-381") == []
    assert [e.doc_id for e in resolve(refs, watched, own_id="other")] == ["zq-381"]


def test_an_ambiguous_loose_title_matches_nothing() -> None:
    # two watched notices printing the same measures under different agencies: the cited title
    # without its agency cannot say which
    watched = [
        Candidate("a", "", (title_key("甲市人民政府关于印发促进某某产业高质量发展若干措施的通知"),)),
        Candidate("b", "", (title_key("乙市人民政府关于印发促进某某产业高质量发展若干措施的通知"),)),
    ]
    assert resolve([Reference(title="关于促进某某产业高质量发展若干措施的通知")], watched) == []
    assert [e.doc_id for e in resolve([Reference(title="关于促进某某产业高质量发展若干措施的通知")], watched[:1])] == ["a"]


def test_implements_names_the_source_for_tracing(zhaoqing: Document, yulin: Document) -> None:
    from pipeline.citations import implements

    # the Zhaoqing 实施意见 was written "为认真贯彻落实《意见》", the 粤府〔2019〕28号 its preamble cites first
    assert implements(zhaoqing, resolve(zhaoqing.references, _watched())).doc_id == "gd-2019-28"
    # the Yulin page opens (一、实施方案的起草背景) with the 国务院 opinion 国发〔2020〕7号 and the 自治区 measures; the
    # 玉政办规〔2017〕5号 it names later, in a measure, is the award rule it applies, not what it implements
    yl = resolve(yulin.references, _watched())
    assert yl[0].doc_id == "yl-2017-5"  # first in the references list, which is not reading order
    assert implements(yulin, yl).doc_id == "gwy-2020-7"
    law = normalize((Path(__file__).parent / "data" / "pairs-implementation" / "shanghai-yiwu-jiaoyu-2024.md").read_bytes(),
                    filename="shanghai-yiwu-jiaoyu-2024.md")
    watched = [Candidate("城乡规划条例", "", (title_key("上海市城乡规划条例"),)),
               Candidate("义务教育法", "", (title_key("中华人民共和国义务教育法"),))]
    edges = resolve(law.references, watched)
    assert [e.doc_id for e in edges] == ["义务教育法", "城乡规划条例"]
    # 上海市实施《中华人民共和国义务教育法》办法: the title names it, whatever the order of citations
    assert implements(law, edges[::-1]).doc_id == "义务教育法"
    assert implements(law, []) is None
