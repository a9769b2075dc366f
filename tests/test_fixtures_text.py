"""The HTML fixtures carry the seed pages' words, in order, with the body inside the body container."""

from __future__ import annotations

import json
import re
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

from policywatch.demo import PAGES

DATA = Path(__file__).parent / "data"
SEEDS = DATA / "seeds"
FIXTURES = PAGES

ZHAOQING_SEED = SEEDS / "000_f53b1adf1518d662.txt"
YULIN_SEED = SEEDS / "001_a0ab186acfa5b1f9.txt"
ZHAOQING = FIXTURES / "zhaoqing-gkmlpt.html"
YULIN = FIXTURES / "yulin-jiedu.html"

TRS_BODY = "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_UEDITOR ')]"


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse(path: Path) -> lxml.html.HtmlElement:
    root = lxml.html.fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    etree.strip_elements(root, etree.Comment, "script", "style", with_tail=False)
    return root


def text_of(el: lxml.html.HtmlElement) -> str:
    """All text below el, inline elements joined without added spaces, whitespace collapsed."""
    return collapse("".join(el.itertext()))


def visible_text(path: Path) -> str:
    root = parse(path)
    return text_of(root.body)


def seed_lines(path: Path, start: int = 1, stop: int | None = None) -> list[str]:
    """Non-empty, whitespace-collapsed lines start..stop (1-based, inclusive) of a seed file."""
    lines = path.read_text(encoding="utf-8").split("\n")
    chosen = lines[start - 1 : stop]
    return [c for c in (collapse(line) for line in chosen) if c]


def assert_lines_in_order(lines: list[str], text: str, where: str) -> None:
    pos = 0
    for line in lines:
        found = text.find(line, pos)
        assert found >= 0, f"{where}: seed line not found after offset {pos}: {line[:60]!r}"
        pos = found + len(line)


@pytest.mark.parametrize(
    ("seed", "fixture"),
    [(ZHAOQING_SEED, ZHAOQING), (YULIN_SEED, YULIN)],
    ids=["zhaoqing", "yulin"],
)
def test_every_seed_line_is_visible_text_in_order(seed: Path, fixture: Path) -> None:
    lines = seed_lines(seed)
    assert len(lines) > 40
    assert_lines_in_order(lines, visible_text(fixture), fixture.name)


def test_zhaoqing_body_is_in_the_article_container() -> None:
    root = parse(ZHAOQING)
    (article,) = root.xpath("//div[@class='article-content']")
    body = text_of(article)
    # From the 主送 line to 公开方式: cover notice, signature, date, the attached 实施意见, 附件.
    assert_lines_in_order(seed_lines(ZHAOQING_SEED, 17, 91), body, "article-content")
    assert "浏览次数" not in body and "相关政策解读" not in body and "相关文件下载" not in body
    assert body.startswith("各县(市、区)人民政府")
    assert body.endswith("公开方式:主动公开")
    assert len(article.xpath("./p[@style='text-indent:2em']")) > 30


def test_zhaoqing_metadata_block_and_tail() -> None:
    root = parse(ZHAOQING)
    (number,) = root.xpath("//div[@class='classify']//td[normalize-space()='文号:']/following-sibling::td[1]")
    assert number.text_content() == "肇府函〔2019〕381号"
    (index,) = root.xpath(
        "//div[@class='classify']//td[normalize-space()='索引号:']/following-sibling::td[1]"
    )
    assert collapse(index.text_content()) == "007141332/2019-27854"
    (download,) = root.xpath("//div[@class='attachment-list']/a")
    assert download.get("href").startswith("/attachment/") and download.get("href").endswith(".doc")
    assert download.text_content().endswith("的通知.doc")
    (related,) = root.xpath("//div[@class='related-posts']/a")
    assert related.text_content() == "【市内政策·媒体解读】我市出台实施意见促进肇庆高新区高质量发展"


def test_zhaoqing_config_detail_carries_the_same_record() -> None:
    raw = ZHAOQING.read_text(encoding="utf-8")
    start = raw.index("DETAIL: ") + len("DETAIL: ")
    detail, _ = json.JSONDecoder().raw_decode(raw[start:])
    assert detail["gkml_data"]["document_number"] == "肇府函〔2019〕381号"
    assert detail["gkml_data"]["identifier"] == "007141332/2019-27854"
    assert detail["attachment"][0]["url"].endswith(".doc")
    from_json = lxml.html.fromstring(f"<div>{detail['content']}</div>")
    (article,) = parse(ZHAOQING).xpath("//div[@class='article-content']")
    assert [text_of(p) for p in from_json.xpath("./p")] == [text_of(p) for p in article.xpath("./p")]


def test_zhaoqing_head_meta() -> None:
    root = lxml.html.fromstring(ZHAOQING.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    meta = {m.get("name"): m.get("content") for m in root.xpath("//head/meta[@name]")}
    assert meta["ArticleTitle"] == seed_lines(ZHAOQING_SEED, 13, 13)[0]
    assert meta["PubDate"].startswith("2019-10-29")
    assert {"SiteName", "SiteDomain", "SiteIDCode", "ColumnName", "ContentSource"} <= set(meta)


def test_yulin_body_printed_twice_in_trs_containers() -> None:
    root = parse(YULIN)
    containers = root.xpath(TRS_BODY)
    assert len(containers) == 2
    body = seed_lines(YULIN_SEED, 18, 48)
    assert body == seed_lines(YULIN_SEED, 60, 90)
    for container in containers:
        text = text_of(container)
        assert_lines_in_order(body, text, "TRS_UEDITOR")
        assert text.startswith("一、实施方案的起草背景") and text.endswith("给予扣减分处理。")
        # The quirks survive: the lost numeral and the missing 。 before 三是.
        assert "。、实施方案的总体框架" not in text and "、实施方案的总体框架" in text
        assert "急需紧缺人才三是支持" in text
        # Inline 一是…二是… runs stay inside one <p>.
        (para,) = [p for p in container.xpath("./p") if text_of(p).startswith("一是强化自治区级")]
        assert "二是支持在现有园区基础上" in text_of(para)
    hidden = containers[1].xpath("ancestor::div[@id='printBox']")
    assert hidden and "display: none" in hidden[0].get("style")


def test_yulin_head_meta() -> None:
    root = lxml.html.fromstring(YULIN.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    meta = {m.get("name"): m.get("content") for m in root.xpath("//head/meta[@name]")}
    assert meta["ArticleTitle"] == "一图看懂:玉林市促进高新技术产业开发区高质量发展实施方案"
    assert meta["PubDate"] == "2022-04-27 08:00"
    assert meta["ContentSource"] == "玉林市人民政府办公室"
