"""Every page type in headless Chromium at 1280 and 390 px, in zh-CN and in en (the browser's
Accept-Language picks it): nothing runs off the side at 390 px, and no UI string of the other
language shows. The strings are the catalogue's (policywatch/locale), not a list kept here.
`make screenshots` saves each view as docs/web-<page>-<lang>-<width>.jpg."""

from __future__ import annotations

import itertools
import json
import re
import urllib.request

import pytest
from babel.messages.pofile import read_po

from policywatch import i18n
from tests.browser import chromium, demo_site, needs_chromium, shot_path

pytestmark = [needs_chromium, pytest.mark.slow]

WIDTHS = (1280, 390)
LANGS = {"zh-CN": "zh_Hans_CN", "en": "en"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")
# Elements that carry crawled text (titles, measures, publishers, the OpenAPI summaries): the
# other language may rightly appear there; everything else on a page is the UI's own words.
CONTENT = (
    "ol.tree, .preamble, td.what, td.doc, td.where, .hit, h1, dd, select, .num, .crumbs a, "
    "ol.hits a, table.docs td, table.sites td, table.metachanges td, table.diff td, ol.diff.inline, "
    "figure.chart, title, code, .api-spec"
)
VISIBLE_UI = f"""() => {{
  const body = document.body.cloneNode(true);
  body.querySelectorAll({CONTENT!r}).forEach(e => e.remove());
  return body.innerText;
}}"""


def _catalogue(lang: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def _fragments(text: str, letters: re.Pattern[str]) -> list[str]:
    return [p.strip() for p in PLACEHOLDER.split(text) if len(letters.findall(p)) > 3]


def _foreign_strings() -> dict[str, list[str]]:
    """For each page language, the other language's msgstrs (the pieces between placeholders)
    that differ from this language's and have more than 3 letters."""
    zh, en = _catalogue("zh_Hans_CN"), _catalogue("en")
    english, chinese = [], []
    for m in en:
        if not m.id or zh[m.id] is None:
            continue
        for e, z in zip(_texts(m), _texts(zh[m.id]), strict=False):
            if e != z:
                english += _fragments(e, re.compile(r"[A-Za-z]"))
                chinese += _fragments(z, re.compile(r"[\u4e00-\u9fff]"))
    return {"zh-CN": sorted(set(english)), "en": sorted(set(chinese))}


def _texts(m) -> list[str]:
    return [m.string] if isinstance(m.string, str) else list(m.string)


def _appears(fragment: str, text: str) -> bool:
    if re.match(r"[A-Za-z]", fragment):  # English: a whole word or phrase, case as written
        return re.search(rf"(?<![A-Za-z]){re.escape(fragment)}(?![A-Za-z])", text) is not None
    return fragment in text


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("i18n")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def pages(browser, base_url) -> dict[str, str]:
    """Every page type, found by following the UI's own links from the changes page."""
    context = browser.new_context(locale="en")
    pg = context.new_page()
    pg.goto(base_url + "/changes?kind=modified")
    diff = pg.locator("table.changes a[href*='/diff']").first.get_attribute("href")
    document = pg.locator("table.changes td.doc a").first.get_attribute("href")
    context.close()
    return {
        "sites": "/",
        "site": "/sites/zhaoqing",
        "changes": "/changes",
        "search": "/search?q=" + "高新区",
        "document": document,
        "diff": diff,
        "diff-inline": diff + "&view=inline",
        "chart": "/chart",
        "api": "/api/",
        "error": "/changes?since=2026-13-40",
    }


@pytest.fixture(scope="module")
def params(base_url) -> set[str]:
    """The query parameters of the API, as its OpenAPI description names them."""
    with urllib.request.urlopen(base_url + "/api/openapi.json") as r:
        spec = json.load(r)
    return {p["name"] for item in spec["paths"].values() for p in item["get"].get("parameters", [])}


@pytest.fixture(scope="module")
def foreign() -> dict[str, list[str]]:
    found = _foreign_strings()
    assert "Changes per week per site" in found["zh-CN"] and "各站点每周变更" in found["en"]
    return found


@pytest.mark.parametrize("lang", list(LANGS))
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_in_both_languages_and_widths(browser, base_url, pages, foreign, params, lang, width) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
    page = context.new_page()
    try:
        for name, path in pages.items():
            response = page.goto(base_url + path)
            assert response is not None and response.status == (400 if name == "error" else 200), name
            want = "zh-Hans" if lang == "zh-CN" else "en"
            assert page.locator("html").get_attribute("lang") == want, name
            # an error names the parameter it is about ("since：…"): a name in the request, not a word
            ui = re.sub(rf"(?m)^({'|'.join(map(re.escape, params))})[:：]", "", page.evaluate(VISIBLE_UI))
            shown = [s for s in foreign[lang] if _appears(s, ui)]
            assert not shown, f"{name} ({lang}, {width} px) shows the other language's {shown}"
            if width < 600:
                wide = page.evaluate("document.scrollingElement.scrollWidth")
                assert wide <= page.evaluate("window.innerWidth"), f"{name} at {width} px is {wide} px wide"
                quick = page.locator("header.top .quick input").bounding_box()
                assert quick is not None and quick["x"] >= 0 and quick["x"] + quick["width"] <= width, name
            # JPEG: forty views as PNG would put ~5 MB in docs/ (at quality 60, 2.7)
            page.screenshot(path=str(shot_path(f"web-{name}-{lang}-{width}.jpg")), type="jpeg", quality=60)
    finally:
        context.close()


def test_the_diff_stacks_at_390_px(browser, base_url, pages) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(base_url + pages["diff"])
        row = page.locator("table.diff.side tr.k-modified").first
        cells = row.locator("td").all()
        boxes = [c.bounding_box() for c in cells if c.bounding_box() and c.bounding_box()["height"] > 0]
        assert len(boxes) >= 2
        # stacked: each cell below the one before it, none beside another
        assert all(b["y"] >= a["y"] + a["height"] - 1 for a, b in itertools.pairwise(boxes)), boxes
    finally:
        context.close()


def test_search_hits_mark_the_phrase(browser, base_url) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(base_url + "/search?q=" + "概念验证中心")
        hit = page.locator("ol.hits .hit").first
        text = hit.inner_text()
        assert "建设概念验证中心" in text
        # every occurrence in the measure's text is marked, and nothing else
        assert hit.locator("mark").all_inner_texts() == ["概念验证中心"] * text.count("概念验证中心")
    finally:
        context.close()
