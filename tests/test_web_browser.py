"""The web UI in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) over the demo
story: sites -> document -> diff, filter the feed, search a phrase; nothing loads from outside
127.0.0.1; `make screenshots` saves the README's docs/web-*.png."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.browser import chromium, demo_site, needs_chromium, shot_path

pytestmark = [needs_chromium, pytest.mark.slow]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    with demo_site(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser, base_url):
    """A page with JavaScript off (the UI must work without it) that records every request."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    pg.requests_seen = []  # type: ignore[attr-defined]
    pg.on("request", lambda r: pg.requests_seen.append(r.url))  # type: ignore[attr-defined]
    pg.responses_seen = []  # type: ignore[attr-defined]
    pg.on("response", lambda r: pg.responses_seen.append((r.url, r.status)))  # type: ignore[attr-defined]
    yield pg
    seen = pg.requests_seen  # type: ignore[attr-defined]
    context.close()
    assert seen, "no request recorded"
    outside = [u for u in seen if urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, f"requests outside 127.0.0.1: {outside}"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(shot_path(f"web-{name}.png")), full_page=False)


def test_sites_to_document_to_diff(page, base_url) -> None:
    page.goto(base_url + "/")
    assert page.title().startswith("站点")  # Chinese by default
    rows = page.locator("table.sites tbody tr")
    assert rows.count() == 2
    assert "成功" in page.locator("table.sites").inner_text()  # the last crawl's status
    page.wait_for_load_state("networkidle")
    assert any("/charts/weekly.svg" in u and st == 200 for u, st in page.responses_seen)
    _shot(page, "sites")

    page.click("table.sites a:text-is('肇庆市人民政府')")  # the site's title (its config name stays in the URL)
    page.wait_for_load_state()
    assert page.url.endswith("/sites/zhaoqing")
    assert "已撤下" in page.locator("table.docs").inner_text()

    page.click("table.docs a:has-text('高新技术产业开发区高质量发展的实施意见')")
    page.wait_for_load_state()
    assert "/documents/" in page.url
    assert "肇府函〔2019〕381号" in page.locator("dl.metadata").inner_text()
    timeline = page.locator("ol.timeline li")
    assert timeline.count() == 2 and "v2" in timeline.first.inner_text()
    assert page.locator("ol.tree li.section").count() > 3
    _shot(page, "document")

    page.click("a.diff-link")
    page.wait_for_load_state()
    assert "/diff" in page.url
    assert page.locator("tr.k-modified ins:has-text('市财政给予一次性奖励100万元')").count() == 1
    assert page.locator("tr.k-added ins:has-text('建设概念验证中心')").count() == 1
    assert page.locator("tr.k-removed del:has-text('完善公共配套服务')").count() == 1
    summaries = page.locator("tbody.same summary").all_inner_texts()
    assert any("重新编号" in s and "5.→6." in s for s in summaries), summaries
    collapsed = page.locator("tbody.same details").first
    assert collapsed.get_attribute("open") is None  # unchanged measures start collapsed
    _shot(page, "diff")

    page.locator("tbody.same summary:has-text('重新编号')").first.click()  # <details> opens without JavaScript
    assert page.locator("tbody.same details[open] tr.renum").count() > 0

    page.check("input[name=view][value=inline]")
    page.click("form.pick button")
    page.wait_for_load_state()
    assert "view=inline" in page.url
    assert page.locator("ol.diff.inline li.k-modified del, ol.diff.inline li.k-modified ins").count() >= 1


def test_filter_the_feed(page, base_url) -> None:
    page.goto(base_url + "/changes")
    total = page.locator("table.changes tbody tr").count()
    assert total >= 10
    page.select_option("select[name=site]", "zhaoqing")
    page.select_option("select[name=kind]", "modified")
    page.fill("input[name=since]", "2026-10-20")
    page.fill("input[name=until]", "2026-10-31")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert "kind=modified" in page.url and "site=zhaoqing" in page.url
    rows = page.locator("table.changes tbody tr")
    assert rows.count() == 1
    assert "一次性奖励100万元" in rows.first.inner_text()
    page.select_option("select[name=kind]", "")
    page.fill("input[name=until]", "")
    page.click("form.filters button")
    page.wait_for_load_state()
    kinds = page.locator("table.changes tbody .kind").all_inner_texts()
    assert {"新增条款", "修改条款", "删除条款", "文件撤下", "新增文件"} <= set(kinds), kinds
    _shot(page, "changes")

    page.goto(base_url + "/changes?kind=withdrawn")
    # the demo's withdrawal is a 404 (policywatch.demo), and the page says so
    assert "撤下：网页返回 HTTP 404" in page.locator("table.changes").inner_text()
    page.goto(base_url + "/changes?since=2026-13-40")
    assert "不是日期" in page.locator("p.error").inner_text()


def test_search_a_phrase(page, base_url) -> None:
    page.goto(base_url + "/search")
    page.fill("form.filters input[name=q]", "概念验证中心")
    page.click("form.filters button")
    page.wait_for_load_state()
    hits = page.locator("ol.hits li")
    assert hits.count() == 1 and "建设概念验证中心" in hits.first.inner_text()
    page.fill("form.filters input[name=q]", "完善公共配套服务")
    page.check("input[name=all_versions]")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert "v1" in page.locator("ol.hits").inner_text()
    page.goto(base_url + "/search?q=" + "高新区")
    _shot(page, "search")
    page.click("ol.hits li a >> nth=0")
    page.wait_for_load_state()
    assert "/documents/" in page.url


def test_chart_page(page, base_url) -> None:
    page.goto(base_url + "/chart?weeks=8")
    assert page.locator("figure.chart svg rect").count() >= 4
    assert "肇庆市人民政府" in page.locator("figure.chart svg").text_content()
    _shot(page, "chart")
