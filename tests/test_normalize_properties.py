"""Properties of the normalizer (hypothesis): it never raises, it is deterministic, and a page
re-rendered with other whitespace, full/half-width punctuation and extra chrome hashes the same."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.markers import _OPENS, _PATTERNS, fold_width
from pipeline.normalize import normalize
from pipeline.text import nfkc
from policywatch.demo import PAGES

FIXTURES = PAGES
PAGES = {name: (FIXTURES / name).read_text("utf-8") for name in ("zhaoqing-gkmlpt.html", "yulin-jiedu.html")}
BASELINE = {name: [m.hash for m in normalize(html.encode()).iter_measures()] for name, html in PAGES.items()}

WIDTH_PAIRS = [("，", ","), ("；", ";"), ("：", ":"), ("（", "("), ("）", ")"), ("？", "?"), ("！", "!")]
CHROME_SNIPPETS = [
    "<p>浏览次数：{n}</p>",
    "<p>【打印】 【关闭窗口】</p>",
    "<div class='share'>分享到：微信 微博 QQ空间</div>",
    "<p>发布日期：2026-11-{d:02d} 浏览次数：{n}</p>",
    "<p>【字体：大 中 小】</p>",
    "<p>扫一扫在手机打开当前页</p>",
]
TAGS = st.sampled_from(["p", "div", "span", "a", "table", "tr", "td", "strong", "br", "h1", "script", "ul", "li"])
CJK = st.text(alphabet=st.sampled_from(list("一二三四五六七八九十第条章节、（）()。，；：:的是要了在和政策规定办法管理0123456789.１２３")), max_size=40)


@st.composite
def html_soup(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(TAGS)
        parts.append(f"<{tag}>{draw(CJK)}" + (f"</{tag}>" if draw(st.booleans()) else ""))
    return "<html><body>" + "".join(parts) + "</body></html>"


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=2000), html_soup(), CJK))
def test_normalize_never_raises(data) -> None:
    doc = normalize(data)
    assert doc.quality is not None


@settings(max_examples=60, deadline=None)
@given(html_soup())
def test_normalize_is_deterministic(html: str) -> None:
    a, b = normalize(html.encode()), normalize(html.encode())
    assert a.to_dict() == b.to_dict()


def _rerender(html: str, data) -> str:
    """Change only presentation in text nodes: spacing, punctuation width, and add chrome to the body."""
    head, sep, body = html.partition("<body")
    swap = data.draw(st.lists(st.sampled_from(WIDTH_PAIRS), unique=True, max_size=len(WIDTH_PAIRS)))
    spaces = data.draw(st.sampled_from(["", " ", "\u3000", "\n  ", "&nbsp;"]))

    def text_node(m: re.Match) -> str:
        text = m.group(1)
        if not text.strip():
            return m.group(0)
        for full, half in swap:
            text = text.replace(full, half)
        return ">" + spaces + text + spaces + "<"

    body = re.sub(r">([^<>]+)<", text_node, body)
    n = data.draw(st.integers(0, 99999))
    d = data.draw(st.integers(1, 28))
    chrome = "".join(s.format(n=n, d=d) for s in data.draw(st.lists(st.sampled_from(CHROME_SNIPPETS), max_size=4)))
    where = data.draw(st.sampled_from(["start", "end"]))
    # the chrome goes inside the body container, where CMS templates put their toolbars
    container = re.search(r"<div[^>]+class=\"[^\"]*(article-content|TRS_UEDITOR)[^\"]*\"[^>]*>", body)
    assert container
    if where == "start":
        body = body[: container.end()] + chrome + body[container.end() :]
    else:
        close = body.find("</div>", container.end())
        last_p = body.rfind("</p>", container.end(), close if close > 0 else None)
        body = body[: last_p + 4] + chrome + body[last_p + 4 :]
    return head + sep + body


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(PAGES)), st.data())
def test_rerendered_page_gives_the_same_hashes(name: str, data) -> None:
    html = _rerender(PAGES[name], data)
    hashes = [m.hash for m in normalize(html.encode()).iter_measures()]
    assert hashes == BASELINE[name]


# the width-fold's fast path (common compatibility characters replaced first) against the full
# algorithm, on text mixing them with combining marks, half-width kana and Hangul that compose
COMPAT_TEXT = st.text(alphabet=st.one_of(
    st.sampled_from(list("（），；：！？　…①⑴⒈㈠Ⅻ\u00a0\u2003ＡＺａｚ０９中文一是e\u0301\u0308\u3099ｶﾞﾟ가\u1100\u1161\u11a8")),
    st.characters(max_codepoint=0xFFFF),
), max_size=30)


@settings(max_examples=400, deadline=None)
@given(COMPAT_TEXT)
def test_width_fold_is_nfkc(text: str) -> None:
    nfkc.cache_clear()
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_marker_openers_cover_every_family() -> None:
    # parse_marker gives up on a line whose first character is not in markers._OPENS before trying
    # the patterns: no pattern may match a line opening with any other character
    suffixes = ["", "x", "、一", "一、总则", "1.总则", ".1 总则", " 总则", ")中", "一)中", "1)中", "条 总则", "章 总则",
                "2.1 编制目的", "0综合", "骤1", "例1", "二是", "一条 总则", "一章 总则", "一步", "一部分"]
    for cp in [*range(0xD800), *range(0xE000, 0x10000)]:
        c = chr(cp)
        if _OPENS.match(c):
            continue
        for suffix in suffixes:
            folded = fold_width(c + suffix)
            assert not any(p.match(folded) for _, p in _PATTERNS), (hex(cp), suffix)
