"""Every real page of the corpus and the pairs normalizes into a clean tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.normalize import is_usable, normalize

DATA = Path(__file__).parent / "data"
PAGES = sorted(p for p in (DATA / "corpus").iterdir() if p.suffix in (".html", ".txt", ".md") and p.name != "README.md")
PAIR_FILES = sorted(p for p in (DATA / "pairs").rglob("*") if p.suffix in (".html", ".txt", ".md"))

# Strings that only page chrome carries; "打印" or "分享" alone also occur in real text.
CHROME = ("无障碍", "长者助手", "扫一扫在手机打开", "浏览次数", "ICP备", "公网安备", "当前位置", "上一篇", "下一篇",
          "【打印", "【关闭", "分享到", "【字体", "返回顶部", "版权所有", "网站标识码", "关闭窗口", "-->", "我的收藏")
ARTICLE = re.compile(r"^\s*(?:#+\s*)?(第[一二三四五六七八九十百千零〇]+条(?:之[一二三四五六七八九十]+)?)", re.M)


def _doc(path: Path):
    return normalize(path.read_bytes(), filename=path.name)


@pytest.mark.parametrize("path", PAGES + PAIR_FILES, ids=lambda p: p.name)
def test_page_normalizes_into_a_clean_tree(path: Path) -> None:
    doc = _doc(path)
    assert is_usable(doc), doc.quality.reason
    measures = doc.measures()
    assert measures, "a non-empty tree"
    assert doc.title
    paths = [m.path for m in measures]
    assert len(paths) == len(set(paths)), "measure paths are unique ids"
    for m in measures:
        assert m.text.strip() or m.label, m
        assert m.hash and m.norm_text is not None
        hits = [c for c in CHROME if c in m.text or c in m.heading]
        assert not hits, f"chrome {hits} in measure {m.label}: {m.text[:60]}"


@pytest.mark.parametrize(
    "path",
    [p for p in PAGES + PAIR_FILES if p.suffix in (".md", ".txt") and ARTICLE.search(p.read_text("utf-8", "replace"))],
    ids=lambda p: p.name,
)
def test_laws_keep_one_measure_per_article(path: Path) -> None:
    """Article counts match the 第X条 headings; an article's measures are its 款 when it has several."""
    expected = set(ARTICLE.findall(path.read_text("utf-8", "replace")))
    doc = _doc(path)
    articles = [re.sub(r"第[一二三四五六七八九十]+款$", "", m.label) for m in doc.iter_measures() if m.label.startswith("第")]
    assert set(articles) == expected
    for label in set(articles):
        parts = [m for m in doc.iter_measures() if m.label.startswith(label) and re.sub(r"第[一二三四五六七八九十]+款$", "", m.label) == label]
        if len(parts) > 1:
            assert all("款" in m.label for m in parts)


@pytest.mark.parametrize(
    "html,md",
    [
        ("xfmt-jianchafa-html-vs-md/sxmu-2018.html", "xfmt-jianchafa-html-vs-md/lawref-2018.md"),
        ("xfmt-scztdj-html-vs-md/gz-scjgj.html", "xfmt-scztdj-html-vs-md/lawref-2021.md"),
        ("lawref-18/old.md", "lawref-18/new.md"),
    ],
)
def test_cross_format_controls_give_the_same_hashes(html: str, md: str) -> None:
    a = [m.hash for m in _doc(DATA / "pairs" / html).iter_measures()]
    b = [m.hash for m in _doc(DATA / "pairs" / md).iter_measures()]
    assert len(a) > 50
    assert a == b


def test_html_law_article_counts_match_their_markdown() -> None:
    html = _doc(DATA / "pairs" / "xfmt-jianchafa-html-vs-md" / "sxmu-2018.html")
    articles = {re.sub(r"第[一二三四五六七八九十]+款$", "", m.label) for m in html.iter_measures()}
    assert len(articles) == 69


def test_table_of_contents_is_skipped() -> None:
    doc = _doc(DATA / "corpus" / "ihm-1997.txt")
    chapters = [s for s in doc.sections if s.label.startswith("第") and s.label.endswith("章")]
    assert [c.ordinal for c in chapters] == list(range(1, 8)), "each 章 once, the 目录 gone"
    assert all(c.measures for c in chapters)


def test_wrapped_pdf_lines_are_joined() -> None:
    doc = _doc(DATA / "corpus" / "ihm-draft_1.txt")
    first = next(doc.iter_measures())
    assert first.label == "第一条"
    assert "预防、控制、净化、消灭动物疫病" in first.text


def test_gb_u3220_items_and_cover_notice_in_a_text_export() -> None:
    doc = _doc(DATA / "corpus" / "pkulaw-xinyu-2012-green-building.txt")
    assert doc.doc_number == "余府发〔2012〕3号"
    assert doc.body_title == "新余市绿色建筑管理办法"
    assert "现予印发" in doc.cover_note
    art5 = [m for m in doc.iter_measures() if m.label.startswith("第五条")]
    assert any("㈠新型节能建筑体系" in m.text for m in art5), "㈠ items stay inside their 款"


def test_inserted_article_zhi_yi() -> None:
    doc = normalize("第一章 总则\n第一条 为了规范管理，制定本办法。\n第一条之一 本办法适用于全市。\n第二条 本办法自发布之日起施行。\n".encode())
    assert [m.label for m in doc.iter_measures()] == ["第一条", "第一条之一", "第二条"]


def test_qa_page_answers_are_the_measures() -> None:
    doc = _doc(DATA / "corpus" / "gz-36.html")
    measures = doc.measures()
    assert len(measures) == 13
    assert measures[0].heading.endswith("？")
    assert not measures[0].text.startswith("答")
    assert doc.kind == "qa"


def test_tables_stay_tables() -> None:
    doc = _doc(DATA / "corpus" / "gz-18.html")
    tables = [t for s in doc.iter_sections() for t in s.tables]
    assert sum(1 for t in tables if len(t.rows) >= 2 and max(map(len, t.rows)) >= 2) >= 4
    cells = {c for t in tables for row in t.rows for c in row if len(c) > 6}
    texts = {m.text for m in doc.iter_measures()}
    assert not (cells & texts), "no table cell became a paragraph of its own"


def test_restarted_numbering_opens_a_new_part() -> None:
    doc = _doc(DATA / "corpus" / "gz-18b.html")
    paths = [m.path for m in doc.iter_measures()]
    assert any(p.startswith("part2/") for p in paths)
    assert len(paths) == len(set(paths))


def test_news_style_page_without_numbering_keeps_paragraphs_as_measures() -> None:
    doc = _doc(DATA / "corpus" / "enc-mismatch-163-traffic.html")
    assert len(doc.measures()) > 5
    assert all(m.label.startswith("¶") for m in doc.iter_measures())
