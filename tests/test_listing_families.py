"""Listing families on real saved responses (tests/data/listings/, provenance.tsv there) and on
the page scripts of the research note. Every count and URL below was read off the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, unquote_plus, urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse

from crawler.listings import REGISTRY, STATE, detect, family
from crawler.listings.html import page_script
from policywatch.config import parse
from policywatch.errors import UsageError

DATA = Path(__file__).parent / "data" / "listings"
JIANGSU_1 = DATA / "hanweb-jpage" / "gxt.jiangsu_dataproxy_page_1.xml"
JIANGSU_2 = DATA / "hanweb-jpage" / "gxt.jiangsu_dataproxy_page_2.xml"
CURL_NOTES = DATA / "hanweb-jpage" / "sthjt.jiangsu_curl_notes_第一页.txt"
GANSU = DATA / "channelid-common-search" / "jyt.gansu_c110634_zwgklist_1.html"
GANSU_URL = "https://jyt.gansu.gov.cn/jyt/c110634/zwgklist.shtml"
GXT_COLUMN = "https://gxt.jiangsu.gov.cn/col/col89736/index.html"
PROXY = "https://gxt.jiangsu.gov.cn/module/web/jpage/dataproxy.jsp"
JIANGXI = DATA / "jiangxi-querylist" / "sthjt.jiangxi_col42150_debug_page_1.html"
JIANGXI_URL = "https://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/index.html"


def site(**raw):
    raw = {"name": "s", "start_urls": ["http://example.gov.cn/"], **raw}
    return parse({"sites": [raw]}, Path("t.toml")).sites[0]


def response(url: str, body: bytes, state: dict | None = None, cls=TextResponse):
    req = Request(url, meta={STATE: state} if state is not None else {})
    return cls(url, body=body, encoding="utf-8", request=req)


def test_fixtures_are_the_saved_bytes():
    rows = [line.split("\t") for line in (DATA / "provenance.tsv").read_text("utf-8").splitlines()[1:]]
    assert len(rows) == 5
    for row in rows:
        assert hashlib.sha256((DATA / row[0]).read_bytes()).hexdigest() == row[4], row[0]


# -- hanweb-jpage: the real Jiangsu dataproxy answers --------------------------------------


def proxy_state(start: int, end: int, perpage: int = 25) -> dict:
    return {"root": GXT_COLUMN, "page": 1, "form": {"columnid": "89736"}, "perpage": perpage, "end": end}


def test_jiangsu_dataproxy_group_parses_to_its_76_records():
    jpage = family("hanweb-jpage")(site(family="hanweb-jpage"))
    url = f"{PROXY}?startrecord=1&endrecord=75&perpage=25"
    page = jpage.parse(response(url, JIANGSU_1.read_bytes(), proxy_state(1, 75)))
    # 76 <record> elements in the file, 76 distinct /art/ links; totalrecord 756
    assert page.matched == 76 and page.links == 76 and page.total == 756
    first, last = page.documents[0], page.documents[-1]
    assert first.url == "https://gxt.jiangsu.gov.cn/art/2025/10/29/art_80179_11664839.html"
    assert first.title == "省政府办公厅印发关于进一步支持专精特新中小企业高质量发展若干政策措施的通知"
    assert first.published == "2025-10-29"
    assert last.url == "https://gxt.jiangsu.gov.cn/art/2022/10/24/art_80179_10724255.html"
    assert last.published == "2022-10-24"
    # the link text is cut ("…的..."); the title attribute is whole
    sixth = page.documents[5]
    assert sixth.title == "省工业和信息化厅关于印发《江苏省制造强省建设专项资金项目验收管理办法（试行）》的通知"


def test_jiangsu_second_answer_overlaps_the_first_by_51_records():
    # page_2.xml is the browser's page 2 (records 26..101): the 26th..76th records of page_1
    jpage = family("hanweb-jpage")(site(family="hanweb-jpage"))
    one = jpage.parse(response(f"{PROXY}?startrecord=1&endrecord=75&perpage=25", JIANGSU_1.read_bytes(), proxy_state(1, 75)))
    two = jpage.parse(response(f"{PROXY}?startrecord=26&endrecord=100&perpage=25", JIANGSU_2.read_bytes(), proxy_state(26, 100)))
    assert two.matched == 76
    assert [d.url for d in two.documents[:51]] == [d.url for d in one.documents[25:]]
    assert two.documents[0].url == "https://gxt.jiangsu.gov.cn/art/2023/10/30/art_80179_11072765.html"
    assert len({d.url for d in one.documents} | {d.url for d in two.documents}) == 101


def _groups(jpage, body: bytes, first_state: dict, first_url: str) -> list[tuple[int, int]]:
    """Follow the family's dataproxy requests, answering each with `body`; the (start, end) asked."""
    asked = []
    req = Request(first_url, meta={STATE: first_state})
    for _ in range(1000):
        page = jpage.parse(TextResponse(req.url, body=body, encoding="utf-8", request=req))
        if not page.requests:
            return asked
        (req,) = page.requests
        q = parse_qs(urlsplit(req.url).query)
        asked.append((int(q["startrecord"][0]), int(q["endrecord"][0])))
    raise AssertionError("pagination does not end")


def test_jiangsu_totalrecord_756_pages_to_the_end_and_no_further():
    jpage = family("hanweb-jpage")(site(family="hanweb-jpage"))
    asked = _groups(jpage, JIANGSU_1.read_bytes(), proxy_state(1, 75), f"{PROXY}?startrecord=1&endrecord=75&perpage=25")
    # 756 records, 25 a page, 3 pages a call: 76-150, …, 676-750, then 751-756 and stop
    assert asked == [(s, min(s + 74, 756)) for s in range(76, 757, 75)]
    assert asked[-1] == (751, 756)


def test_dataproxy_requests_match_the_browser_recipe_of_sthjt():
    """The curl notes: perpage=15; page 1 asks 1..45, page 100 asks 1486..1530, page 685 (the
    last, 10266 records) asks 10261..10266, with the form the browser sent."""
    notes = CURL_NOTES.read_text("utf-8")
    data_raw = notes.split("--data-raw '", 1)[1].split("'", 1)[0]
    form = {k: v[0] for k, v in parse_qs(data_raw).items()}
    jpage = family("hanweb-jpage")(
        site(
            family="hanweb-jpage",
            family_params={
                "columnid": form["columnid"],
                "unitid": form["unitid"],
                "webid": form["webid"],
                "webname": form["webname"],
                "perpage": 15,
            },
        )
    )
    column = "https://sthjt.jiangsu.gov.cn/col/col84025/index.html"
    empty_column = b"<html><body><div id='402134'></div></body></html>"  # records come from dataproxy only
    page = jpage.parse(response(column, empty_column, {"root": column, "page": 0}))
    (first,) = page.requests
    assert first.method == "POST"
    assert first.url == "https://sthjt.jiangsu.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"
    assert {k: v[0] for k, v in parse_qs(first.body.decode()).items()} == form
    assert unquote_plus(first.body.decode()) == unquote_plus(data_raw)
    assert first.headers[b"X-Requested-With"] == b"XMLHttpRequest"
    answer = b"<datastore><totalrecord>10266</totalrecord><recordset><record><![CDATA[<li><a href='/art/x.html'>x</a></li>]]></record></recordset></datastore>"
    asked = [(1, 45), *_groups(jpage, answer, first.meta[STATE], first.url)]
    assert (1486, 1530) in asked
    assert asked[-1] == (10261, 10266)
    assert len(asked) == 229  # ceil(10266 / 45)


def test_jpage_column_page_datastore_is_read_and_paged_from_after_it():
    records = JIANGSU_1.read_text("utf-8").split("<recordset>", 1)[1].split("</recordset>", 1)[0]
    column = (
        "<html><head><script>var proxy = {proxyUrl:'/module/web/jpage/dataproxy.jsp', totalRecord:756, perPage:25};</script>"
        '</head><body><div id="405463"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/'
        'dataproxy.jsp?page=1&appid=1&webid=23&path=/&columnid=89736&unitid=405463&webname=%E6%B1%9F%E8%8B%8F&permissiontype=0">'
        f"]]></nextgroup><recordset>{records}</recordset></datastore></script></div></body></html>"
    ).encode()
    jpage = family("hanweb-jpage")(site(family="hanweb-jpage"))
    page = jpage.parse(response(GXT_COLUMN, column, {"root": GXT_COLUMN, "page": 0}, HtmlResponse))
    assert page.matched == 76 and page.total == 756
    (nxt,) = page.requests
    assert nxt.url == f"{PROXY}?startrecord=77&endrecord=151&perpage=25"
    assert dict(parse_qs(nxt.body.decode())) | {} == {
        "col": ["1"], "appid": ["1"], "webid": ["23"], "path": ["/"], "columnid": ["89736"],
        "sourceContentType": ["1"], "unitid": ["405463"], "webname": ["江苏"], "permissiontype": ["0"],
    }
    # CSS over the same page finds none of them: the records are script text
    assert HtmlResponse(GXT_COLUMN, body=column, encoding="utf-8").css("li a").getall() == []


# -- the Gansu channelId page: rows inside an HTML comment ---------------------------------


def test_gansu_commented_rows_are_read_by_the_html_family():
    html = family("html")(
        site(detail_pattern=r"/c110634/\d{6}/\d+\.shtml$", next_page={"script": "createPageHTML"})
    )
    page = html.parse(response(GANSU_URL, GANSU.read_bytes(), {"root": GANSU_URL, "page": 0}, HtmlResponse))
    # 20 <li> rows between the <!-- at line 579 and the --> at line 720
    assert page.matched == 20
    assert page.documents[0].url == "https://jyt.gansu.gov.cn/jyt/c110634/202511/174240943.shtml"
    assert page.documents[0].title == "关于开展2024年全域全员全过程使用智慧教育平台专项研究课题结项工作的通知"
    assert page.documents[0].published == "2025-11-17"
    assert page.documents[-1].url == "https://jyt.gansu.gov.cn/jyt/c110634/202506/174155064.shtml"
    assert page.documents[-1].published == "2025-06-09"
    # createPageHTML('page_div',10, 1,'zwgklist','shtml',200): 1-based, 200 records
    assert page.total == 200
    assert [r.url for r in page.requests] == ["https://jyt.gansu.gov.cn/jyt/c110634/zwgklist_2.shtml"]


def test_gansu_page_through_the_channel_search():
    search = family("channel-search")(site(family="channel-search"))
    page = search.parse(response(GANSU_URL, GANSU.read_bytes(), {"root": GANSU_URL, "page": 0}, HtmlResponse))
    assert page.matched == 0  # the search lists the commented rows, with what it knows of them
    (api,) = page.requests
    u = urlsplit(api.url)
    assert u.path == "/common/search/e5eb2abb5014415399847ba2bb99b31f"
    q = parse_qs(u.query, keep_blank_values=True)
    assert q["_isJson"] == ["true"] and q["page"] == ["1"] and q["_pageSize"] == ["20"]
    # the search answers a challenge page instead of JSON: the static page's rows, then its copies
    challenge = b"<html><head><meta content='x'><script>$_ts={}</script></head></html>"
    fallback = search.parse(TextResponse(api.url, body=challenge, encoding="utf-8", request=api))
    (again,) = fallback.requests
    assert again.url == GANSU_URL and again.dont_filter
    assert [r.url for r in search.on_error(api)] == [GANSU_URL]
    static = search.parse(HtmlResponse(GANSU_URL, body=GANSU.read_bytes(), encoding="utf-8", request=again))
    assert static.matched == 20  # the default detail_pattern: /c{code}/YYYYMM/N.shtml
    assert static.documents[0].url == "https://jyt.gansu.gov.cn/jyt/c110634/202511/174240943.shtml"
    assert [r.url for r in static.requests] == ["https://jyt.gansu.gov.cn/jyt/c110634/zwgklist_2.shtml"]


def test_channel_search_json_results_and_the_end():
    search = family("channel-search")(site(family="channel-search", family_params={"page_size": 2}))
    st = {"root": GANSU_URL, "page": 1, "api": 1, "channel": "abc", "fallback": None}
    results = [
        {
            "title": "关于<em>印发</em>某办法的通知",
            "url": "/jyt/c110634/202511/1.shtml",
            "publishedTimeStr": "2025-11-17 10:00:00",
            "domainMetaList": [{"resultList": [{"key": "refno", "value": "甘教发〔2025〕3号"},
                                               {"key": "indexnumber", "value": "620000/2025-001"},
                                               {"key": "writedate", "value": "2025-11-10"}]}],
        },
        {"title": "二", "url": "https://jyt.gansu.gov.cn/jyt/c110634/202511/2.shtml", "publishedTimeStr": "2025-11-16"},
    ]
    body = json.dumps({"data": {"total": 3, "results": results}}).encode()
    page = search.parse(response("https://jyt.gansu.gov.cn/common/search/abc?page=1", body, st))
    assert page.matched == 2 and page.total == 3
    d = page.documents[0]
    assert (d.title, d.document_number, d.identifier, d.written, d.published) == (
        "关于印发某办法的通知", "甘教发〔2025〕3号", "620000/2025-001", "2025-11-10", "2025-11-17"
    )
    assert parse_qs(urlsplit(page.requests[0].url).query)["page"] == ["2"]
    last = search.parse(response("https://jyt.gansu.gov.cn/common/search/abc?page=2", body, {**st, "api": 2}))
    assert last.requests == []  # 2 pages of 2 cover 3


# -- html: every createPageHTML shape -------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('createPageHTML(13, 0, "index", "html");', ("index_1.html", None)),
        ('createPageHTML(13, 11, "index", "html");', ("index_12.html", None)),
        ('createPageHTML(13, 12, "index", "html");', (None, None)),  # the 13th page is the last
        ('var countPage = 4//共多少页\nvar currentPage = 2;\ncreatePageHTML(countPage, currentPage, "index", "html");',
         ("index_3.html", None)),
        ("createPageHTML('page_div',10, 1,'zwgklist','shtml',200);", ("zwgklist_2.shtml", 200)),
        ("createPageHTML('page_div', 5, 5, 'fg', 'shtml', 89);", (None, 89)),
        ('createPageHTML(156, 11, 0, "index", "html");', ("index_1.html", 156)),  # Beijing
        ("createPageHTML(156, 11, 10);", (None, 156)),
        ('createPage(5, 3, "index", "html");', ("index_4.html", None)),  # Chongqing
        ('function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){}', None),
        ("<p>no script</p>", None),
    ],
)
def test_page_scripts(script, expected):
    assert page_script(script) == expected


def test_html_family_keeps_todays_selector_behaviour_and_reads_row_facts():
    body = """<html><body><ul class="list">
      <li><a href="./202501/t20250105_1.html" title="关于印发甲的通知">关于印发甲…</a><span>京政发〔2025〕28号</span>
          <b class="u_time">2025-01-05</b></li>
      <li><a href="../other/index.html">更多</a></li>
      <!-- <li><a href="./202412/t20241201_2.html">乙</a><span>2024-12-01</span></li> -->
    </ul><script>createPageHTML(3, 0, "index", "html");</script></body></html>""".encode()
    html = family("html")(
        site(
            link_selector="ul.list a::attr(href)",
            detail_pattern=r"/t\d{8}_\d+\.html$",
            list_pattern=r"/other/index\.html$",
            next_page={"script": "createPageHTML", "max_pages": 2},
        )
    )
    url = "http://example.gov.cn/zc/index.html"
    page = html.parse(response(url, body, {"root": url, "page": 0}, HtmlResponse))
    assert [d.url for d in page.documents] == [
        "http://example.gov.cn/zc/202501/t20250105_1.html",
        "http://example.gov.cn/zc/202412/t20241201_2.html",
    ]
    first = page.documents[0]
    assert (first.title, first.document_number, first.published) == ("关于印发甲的通知", "京政发〔2025〕28号", "2025-01-05")
    assert page.reason() == "2 of 3 links matched"
    assert [r.url for r in page.sublists] == ["http://example.gov.cn/other/index.html"]
    assert [r.url for r in page.requests] == ["http://example.gov.cn/zc/index_1.html"]
    # max_pages = 2: the second page's next is not followed, and that is said
    second = html.parse(response(page.requests[0].url, body.replace(b"3, 0,", b"3, 1,"), page.requests[0].meta[STATE], HtmlResponse))
    assert second.requests == [] and second.truncated


def test_wrong_selector_says_0_of_n():
    html = family("html")(site(link_selector="table.gkml-list a::attr(href)", detail_pattern="/t\\d+"))
    page = html.parse(response(GANSU_URL, GANSU.read_bytes(), {"root": GANSU_URL, "page": 0}, HtmlResponse))
    assert page.reason() == "0 of 0 links matched"
    html = family("html")(site(detail_pattern="/nothing-like-this/"))
    page = html.parse(response(GANSU_URL, GANSU.read_bytes(), {"root": GANSU_URL, "page": 0}, HtmlResponse))
    assert page.matched == 0 and page.links > 20 and page.reason() == f"0 of {page.links} links matched"


# -- jiangxi-querylist: the real sthjt.jiangxi column page ---------------------------------


def test_jiangxi_column_page_lists_its_50_embedded_documents():
    jx = family("jiangxi-querylist")(site(family="jiangxi-querylist"))
    page = jx.parse(response(JIANGXI_URL, JIANGXI.read_bytes(), {"root": JIANGXI_URL, "page": 0}, HtmlResponse))
    # listData.articleList holds 50 articles (50 distinct content_<id>.html, perPage is 15);
    # channelsTagSelf says articleCount 444
    assert page.matched == 50 and page.links == 50 and page.total == 444
    first, second, last = page.documents[0], page.documents[1], page.documents[-1]
    assert first.url == "https://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/content/content_1951206363677671424.html"
    assert (first.title, first.published, first.publisher) == (
        "《江西省生态环境分类执法监管办法》政策解读", "2025-07-29", "生态环境执法局(生态环境厅)"
    )
    assert [(a["name"], a["url"]) for a in first.attachments] == [(
        "关于印发《江西省生态环境分类执法监管办法》的通知1754038819428.pdf",
        "https://sthjt.jiangxi.gov.cn/doc/ucap/1749973237782081536/document/20250801/WKgZu66N.pdf",
    )]
    assert second.attachments == []  # its articleFiles is [{}]
    assert last.url == "https://sthjt.jiangxi.gov.cn/jxssthjt/col/col42150/content/content_1772959248106057728.html"
    assert (last.title, last.published) == ("《江西省生态环境厅关于进一步加强危险废物跨省转移管理工作的实施意见》政策解读", "2022-12-16")


def test_jiangxi_next_request_is_the_pages_own_query():
    jx = family("jiangxi-querylist")(site(family="jiangxi-querylist"))
    page = jx.parse(response(JIANGXI_URL, JIANGXI.read_bytes(), {"root": JIANGXI_URL, "page": 0}, HtmlResponse))
    (nxt,) = page.requests
    assert (nxt.method, nxt.url) == ("POST", "https://sthjt.jiangxi.gov.cn/queryList")
    form = [tuple(kv.split("=", 1)) for kv in nxt.body.decode().split("&")]
    form = [(unquote_plus(k), unquote_plus(v)) for k, v in form]
    # the loadPageData params of the page; pages 1-3 are in listData (50 = 3 x 15 + 5): page 4 next
    assert form == [
        ("current", "4"), ("unitid", "380055"), ("webSiteCode[]", "jxssthjt"), ("channelCode[]", "col42150"),
        ("dataBefore", ""), ("dataAfter", ""), ("perPage", "15"), ("notReturnContent", "false"),
        ("showMode", "normal"), ("groupSize", "1"), ("barPosition", "bottom"), ("titleMax", "34"),
        ("templateContainerId", "div380055"), ("themeName", "lucidity"), ("pageSize", "15"),
    ]
    assert nxt.headers["Content-Type"].startswith(b"application/x-www-form-urlencoded")


def _jx_answer(req, n: int, total=None) -> TextResponse:
    results = [
        {"source": {"title": f"文件{i}", "pubDate": "2025-01-02 10:00",
                    "urls": json.dumps({"pc": f"/jxssthjt/col/col42150/content/content_{i}.html"})}}
        for i in range(n)
    ]
    data = {"data": {"results": results, **({"total": total} if total is not None else {})}}
    return TextResponse(req.url, body=json.dumps(data, ensure_ascii=False).encode(), encoding="utf-8", request=req)


def test_jiangxi_querylist_pages_stop_at_the_total_a_short_or_an_empty_page():
    jx = family("jiangxi-querylist")(site(family="jiangxi-querylist"))
    column = jx.parse(response(JIANGXI_URL, JIANGXI.read_bytes(), {"root": JIANGXI_URL, "page": 0}, HtmlResponse))
    four = jx.parse(_jx_answer(column.requests[0], 15))
    assert four.matched == 15 and four.documents[0].url.endswith("/content/content_0.html")
    assert four.documents[0].published == "2025-01-02" and four.total == 444
    assert parse_qs(four.requests[0].body.decode())["current"] == ["5"]
    assert jx.parse(_jx_answer(four.requests[0], 0)).requests == []  # an empty page ends it
    assert jx.parse(_jx_answer(four.requests[0], 7)).requests == []  # so does a short one
    # page 30 holds 436-450: 444 reached
    last = jx.parse(_jx_answer(four.requests[0].replace(meta={STATE: {**four.requests[0].meta[STATE], "current": 30}}), 15))
    assert last.requests == []
    # the answer's own total wins over the page's articleCount
    assert jx.parse(_jx_answer(four.requests[0], 15, total=75)).requests == []


# -- detection ------------------------------------------------------------------------------


def test_detect_names_the_family_of_the_real_pages():
    assert detect(PROXY, JIANGSU_1.read_text("utf-8")) == ("hanweb-jpage", {})
    assert detect(GANSU_URL, GANSU.read_text("utf-8")) == ("channel-search", {})
    shell = "<script>window._CONFIG = { SID: '755041', TREE: [{\"id\": 1, \"name\": \"a\"}] };</script>"
    assert detect("http://www.zhaoqing.gov.cn/gkmlpt/index", shell) == ("gkmlpt", {})
    feed = json.dumps([{"TITLE": "t", "URL": "https://www.gov.cn/zhengce/content/202501/content_1.htm", "DOCRELPUBTIME": "2025-01-02"}])
    assert detect("https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json", feed) == ("govcn-json", {})
    assert detect(JIANGXI_URL, JIANGXI.read_text("utf-8")) == ("jiangxi-querylist", {})
    assert detect("http://x/index.html", 'createPageHTML(3, 0, "index", "html")') == (
        "html", {"next_page": {"script": "createPageHTML"}}
    )


def test_every_family_is_documented():
    assert set(REGISTRY) >= {"html", "gkmlpt", "hanweb-jpage", "hanweb-jpaas", "channel-search", "govcn-json"}
    for cls in REGISTRY.values():
        assert cls.__doc__ and len(cls.__doc__.split()) > 20, cls.family


# -- the other families on their documented shapes ------------------------------------------


def test_govcn_feed_is_the_whole_column():
    items = [
        {"TITLE": "国务院关于甲的通知", "SUB_TITLE": "", "URL": "https://www.gov.cn/zhengce/content/202501/content_7001.htm",
         "DOCRELPUBTIME": "2025-01-02"},
        {"TITLE": "乙", "URL": "/zhengce/content/202412/content_6999.htm", "DOCRELPUBTIME": "2024-12-30"},
    ]
    url = "https://www.gov.cn/zhengce/zuixin/ZUIXINZHENGCE.json"
    feed = family("govcn-json")(site(family="govcn-json"))
    page = feed.parse(response(url, json.dumps(items, ensure_ascii=False).encode(), {"root": url, "page": 0}))
    assert [(d.url, d.title, d.published) for d in page.documents] == [
        ("https://www.gov.cn/zhengce/content/202501/content_7001.htm", "国务院关于甲的通知", "2025-01-02"),
        ("https://www.gov.cn/zhengce/content/202412/content_6999.htm", "乙", "2024-12-30"),
    ]
    assert page.requests == []
    column = b'<script>$.ajax({ url: "./TONGYONGGAILAN.json", success: function(r){ FY_DATA = r; } })</script>'
    curl = "https://www.gov.cn/zhengce/zhengceku/gwywj/index.htm"
    shell = feed.parse(response(curl, column, {"root": curl, "page": 0}))
    assert [r.url for r in shell.requests] == ["https://www.gov.cn/zhengce/zhengceku/gwywj/TONGYONGGAILAN.json"]


def test_jpaas_page_one_then_the_publish_server():
    col = "https://kjt.zj.gov.cn/col/col1229080140/index.html"
    body = """<html><body><ul><li><a href="/art/2025/1/2/art_1229080140_1.html" title="甲">甲</a><span>2025-01-02</span></li>
      <li><a href="/col/col1/index.html">导航</a></li></ul>
      <div class="pagination" count="32" rows="15" pageNo="1"
           queryData="{'webId':'3387','pageId':'1229080140','tagId':'当前栏目list','tplSetId':'KhfdDWvs6oNSon8hfBpHF'}"></div>
      </body></html>""".encode()
    jpaas = family("hanweb-jpaas")(site(family="hanweb-jpaas"))
    page = jpaas.parse(response(col, body, {"root": col, "page": 0}, HtmlResponse))
    assert [d.url for d in page.documents] == ["https://kjt.zj.gov.cn/art/2025/1/2/art_1229080140_1.html"]
    (nxt,) = page.requests
    q = parse_qs(urlsplit(nxt.url).query)
    assert urlsplit(nxt.url).path == "/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert (q["webId"], q["pageId"], q["tagId"], q["tplSetId"], q["rows"], q["pageNo"]) == (
        ["3387"], ["1229080140"], ["当前栏目list"], ["KhfdDWvs6oNSon8hfBpHF"], ["15"], ["2"]
    )
    answer = json.dumps({"success": True, "data": {"html": '<li><a href="/art/2025/1/1/art_1229080140_2.html" title="乙">乙</a><b>2025-01-01</b></li>'}})
    two = jpaas.parse(TextResponse(nxt.url, body=answer.encode(), encoding="utf-8", request=nxt))
    assert [(d.url, d.title, d.published) for d in two.documents] == [
        ("https://kjt.zj.gov.cn/art/2025/1/1/art_1229080140_2.html", "乙", "2025-01-01")
    ]
    assert parse_qs(urlsplit(two.requests[0].url).query)["pageNo"] == ["3"]  # 32 records, 15 a page
    three = jpaas.parse(TextResponse(two.requests[0].url, body=answer.encode(), encoding="utf-8", request=two.requests[0]))
    assert three.requests == []


# -- config ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"family": "gkmpt"}, "site 's': family: 'gkmpt' is no listing family (known: channel-search, gkmlpt,"),
        ({"family": "gkmlpt", "family_params": {"category": [1]}}, "family_params.category: unknown for gkmlpt"),
        ({"family": "gkmlpt", "family_params": {"categories": "1411"}}, "family_params.categories: must be a non-empty list of integers"),
        ({"family": "hanweb-jpage", "family_params": {"perpage": 0}}, "family_params.perpage: must be a positive integer"),
        ({"family": "gkmlpt", "family_params": 3}, "family_params: must be a table"),
        ({"family": "jiangxi-querylist", "family_params": {"channel_code": "col42150"}},
         "family_params.channel_code: must be a non-empty list of strings"),
        ({"family": "jiangxi-querylist", "family_params": {"perPage": 15}}, "family_params.perPage: unknown for jiangxi-querylist"),
        ({"family": "html"}, "detail_pattern: is required"),
    ],
)
def test_config_rejects_bad_families_in_one_line(raw, message):
    with pytest.raises(UsageError) as e:
        site(**raw)
    text = str(e.value)
    assert text.startswith("t.toml: site 's': ") and message in text and "\n" not in text


def test_config_family_defaults():
    s = site(family="gkmlpt", family_params={"categories": [1411, 1412]})
    assert (s.family, s.family_params) == ("gkmlpt", {"categories": [1411, 1412]})
    assert s.detail_pattern.search("http://any/thing")  # API items are documents
    assert site(detail_pattern="/t\\d+").family == "html"
    assert site(family="channel-search").detail_pattern.pattern == REGISTRY["channel-search"].default_detail


# -- gkmlpt on the documented shapes; list facts into the Document -------------------------


def test_gkmlpt_index_leaves_and_paging_stops():
    gk = family("gkmlpt")(site(family="gkmlpt"))
    index = "http://www.zhaoqing.gov.cn/gkmlpt/index"
    tree = [
        {"id": 14, "name": "政策文件", "children": [{"id": 1411, "name": "规范性文件", "children": []},
                                                 {"id": 1412, "name": "其他文件"}]},
        {"id": 15, "name": "年报", "jump_url": "/gkmlpt/annualreport", "children": []},
        {"id": 16, "name": "指南", "children": []},
    ]
    shell = f"<script>window._CONFIG = {{ SID: '200018', TREE: {json.dumps(tree)}, SERVICE_AREA_ID: 1200 }};</script>"
    page = gk.parse(response(index, shell.encode(), {"root": index, "page": 0}))
    assert [r.url for r in page.requests] == [
        f"http://www.zhaoqing.gov.cn/gkmlpt/api/all/{c}?page=1&sid=200018" for c in (1411, 1412, 16)
    ]
    req = page.requests[0]

    def answer(req, articles, post_count):
        body = json.dumps({"classify": {"post_count": post_count}, "articles": articles}).encode()
        return gk.parse(TextResponse(req.url, body=body, encoding="utf-8", request=req))

    arts = [{"id": i, "title": f"t{i}", "url": f"http://www.zhaoqing.gov.cn/gkmlpt/content/1/{i}/post_{i}.html#1411",
             "document_number": "肇府〔2025〕1号", "identifier": "007141332/2025-00001", "publisher": "肇庆市人民政府",
             "display_publish_time": 1761699600, "date": 1761440400,
             "attachment": [{"name": "附件.pdf", "url": "/attachment/0/1/1.pdf"}]} for i in range(100)]
    one = answer(req, arts, 150)
    assert one.matched == 100 and one.total == 150
    d = one.documents[0]
    assert d.url == "http://www.zhaoqing.gov.cn/gkmlpt/content/1/0/post_0.html"  # the #category fragment dropped
    assert (d.document_number, d.identifier, d.publisher, d.published, d.written) == (
        "肇府〔2025〕1号", "007141332/2025-00001", "肇庆市人民政府", "2025-10-29", "2025-10-26"
    )
    assert d.attachments == [{"name": "附件.pdf", "url": "http://www.zhaoqing.gov.cn/attachment/0/1/1.pdf", "ext": "pdf"}]
    (two,) = one.requests
    assert two.url.endswith("/api/all/1411?page=2&sid=200018")
    assert answer(two, arts[:50], 150).requests == []  # 150 seen
    assert answer(two, [], 999).requests == []  # an empty page ends the category whatever post_count says


def test_list_facts_fill_only_what_the_page_does_not_say():
    from crawler.list_facts import apply
    from pipeline.normalize import normalize

    page = (
        "<html><head><title>关于印发某办法的通知</title></head><body><div class='article-content'>"
        "<h1>关于印发某办法的通知</h1><p>文号：粤府〔2025〕3号</p>"
        + "".join(f"<p>{i}.第{i}项措施的内容，各地要认真落实并按期报送工作进展情况。</p>" for i in range(1, 4))
        + "</div></body></html>"
    ).encode()
    doc = normalize(page, url="http://x/gkmlpt/content/1/1/post_1.html")
    assert doc.doc_number_raw and not doc.index_number
    facts = {"title": "列表里的标题", "document_number": "粤府〔2099〕9号", "identifier": "006939748/2025-00003",
             "published": "2025-01-02", "attachments": [{"name": "附件1", "url": "http://x/a.pdf", "ext": "pdf"}]}
    number = doc.doc_number_raw
    apply(doc, facts)
    assert doc.doc_number_raw == number  # the page's own 文号 stays
    assert doc.title != "列表里的标题"
    assert doc.index_number == "006939748/2025-00003"
    assert [(a.name, a.url, a.ext) for a in doc.attachments] == [("附件1", "http://x/a.pdf", "pdf")]
    assert "list_facts" in doc.quality.flags


def test_a_malformed_link_is_skipped_not_the_end_of_the_page():
    body = b"""<ul><li><a href="http://example.gov.cn:99999/t20250101_1.html">bad port</a></li>
      <li><a href="/zc/t20250102_2.html">ok</a></li></ul>"""
    html = family("html")(site(detail_pattern=r"/t\d{8}_\d+\.html$"))
    url = "http://example.gov.cn/zc/index.html"
    page = html.parse(response(url, body, {"root": url, "page": 0}, HtmlResponse))
    assert [d.url for d in page.documents] == ["http://example.gov.cn/zc/t20250102_2.html"]
    assert page.bad_links == ["http://example.gov.cn:99999/t20250101_1.html"]
