"""文号 variants, dates, Chinese numerals, references, and the CMS families without a corpus page."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.metadata import cn_number, find_doc_numbers, iso_date, label_values, normalize_doc_number
from pipeline.normalize import normalize


@pytest.mark.parametrize(
    "raw,norm",
    [
        ("肇府函〔2019〕381号", "肇府函〔2019〕381号"),
        ("穗残联[2016] 11 号", "穗残联〔2016〕11号"),
        ("穗残联规字[2019]1号", "穗残联规字〔2019〕1号"),
        ("粤府［2019］28号", "粤府〔2019〕28号"),
        ("国发（2020）7号", "国发〔2020〕7号"),
        ("桂政办发(2021)81号", "桂政办发〔2021〕81号"),
        ("玉政办规【2017】5号", "玉政办规〔2017〕5号"),
        ("省政府令2019年第5号", "省政府令〔2019〕5号"),
        ("国令第837号", "国令第837号"),
        ("工信部联规〔2026〕109号", "工信部联规〔2026〕109号"),
        ("发改能源〔2026〕０６２２号", "发改能源〔2026〕622号"),
    ],
)
def test_doc_number_variants(raw: str, norm: str) -> None:
    assert normalize_doc_number(raw) == norm


def test_doc_numbers_in_running_text_skip_the_leading_verbs() -> None:
    text = "根据《广东省人民政府关于促进高新技术产业开发区高质量发展的意见》(粤府〔2019〕28号)和国令第746号，制定本办法。"
    assert [n for _, n in find_doc_numbers(text)] == ["粤府〔2019〕28号", "国令第746号"]


@pytest.mark.parametrize(
    "text,iso",
    [("2019-10-24", "2019-10-24"), ("2026年07月03日", "2026-07-03"), ("二○一二年一月九日", "2012-01-09"),
     ("2023/11/7 15:02", "2023-11-07"), ("二〇二四年十二月三十一日", "2024-12-31"), ("无日期", "")],
)
def test_dates(text: str, iso: str) -> None:
    assert iso_date(text) == iso


@pytest.mark.parametrize("text,n", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105), ("三百二十一", 321), ("7", 7), ("条", 0)])
def test_chinese_numerals(text: str, n: int) -> None:
    assert cn_number(text) == n


def test_label_block_with_values_in_the_next_cell() -> None:
    lines = ["索引号：", "11440100MB2C90856P/2023-00331", "分类：", "发布机构：", "广州市卫生健康委员会", "成文日期：", "2023-10-19",
             "文　　号：", "穗卫函〔2023〕1930号"]
    values = label_values([line.replace("　", "") for line in lines])
    assert values["index_number"] == "11440100MB2C90856P/2023-00331"
    assert "category" not in values, "an empty 分类 takes nothing from the next label"
    assert values["publisher"] == "广州市卫生健康委员会"
    assert values["doc_number"] == "穗卫函〔2023〕1930号"


def test_hanweb_content_markers_delimit_the_body() -> None:
    html = """<html><head><meta name="ArticleTitle" content="关于做好春季农业生产工作的通知"></head><body>
    <div class="nav">首页 政务公开 政策文件 互动交流 办事服务 政策文件 政策解读 信息公开 年报 规章</div>
    <!--ZJEG_RSS.content.begin--><meta name="ContentStart"><p>一、抓好粮食生产。各县区要落实粮食播种面积，稳定种植结构，确保完成全年任务。</p>
    <p>二、强化农资供应。加强农资市场监管，保障化肥、种子等农资供应充足，价格平稳。</p><!--ZJEG_RSS.content.end-->
    <div class="footer">主办单位：某市人民政府办公室 版权所有 浙ICP备12345678号</div></body></html>"""
    doc = normalize(html.encode())
    assert [m.label for m in doc.iter_measures()] == ["一、", "二、"]
    assert doc.measures()[0].heading == "抓好粮食生产"


def test_ucap_container_and_meta_tags() -> None:
    html = (Path(__file__).parent / "data" / "corpus" / "gne-npc-2007-23.html").read_bytes()
    doc = normalize(html)
    assert "国债余额限额的决议" in doc.title
    assert doc.measures() and all("国务院公报" not in m.text for m in doc.iter_measures())


def test_paragraph_runs_with_nested_yi_yao() -> None:
    """一是 and 二是 open paragraphs; 一要…四要 run inside the first (pkulaw Xinjiang notice)."""
    doc = normalize((Path(__file__).parent / "data" / "corpus" / "pkulaw-xinjiang-2012-publicity-notice.txt").read_bytes(),
                    filename="x.txt")
    second = next(s for s in doc.sections if s.label == "二、")
    assert [m.label for m in second.measures] == ["二是"]
    nested = second.children[0]
    assert (nested.label, nested.title) == ("一是", "明确信息宣传工作的重点")
    assert [m.label for m in nested.measures] == ["一要", "二要", "三要", "四要"]
