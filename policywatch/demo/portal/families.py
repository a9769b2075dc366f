"""Portal sites that list their documents the way the real platforms do (crawler/listings/).

  /gd/gkmlpt/index            a gkmlpt SPA shell: window._CONFIG with SID and the category TREE
                              (a parent with two leaves, a jump_url node); the lists only at
                              /gd/gkmlpt/api/all/{cat}?page=N&sid=SID, 100 articles a page with
                              the real field names, pages 0 and 1 identical; detail pages carry
                              _CONFIG.DETAIL and the metadata table
  /zq/gkmlpt/index            the same shell over the Zhaoqing site of policywatch.demo.portal.content (its
                              documents as they change with the state): what `policywatch demo` crawls
  /col/col89736/index.html    a Hanweb jpage column: the first group of records in <datastore>
                              CDATA, the rest from POST /module/web/jpage/dataproxy.jsp, which
                              answers like gxt.jiangsu's (one record past endrecord, totalrecord)
  /jyt/c110634/zwgklist.shtml a channelId page: meta channelId, rows and createPageHTML inside a
                              comment; static copies zwgklist_N.shtml; GET /common/search/{channelId}
                              answers JSON data.results[]/data.total — or a 412 challenge while
                              `portal.search_blocked` is set

  /col/col1229080140/index.html  a Hanweb jpaas column: page 1 in HTML, count/rows/queryData on its
                              pagination div; pages 2.. from the publish server's JSON-wrapped HTML
  /zhengce/zuixin/index.htm   a gov.cn column shell loading ZUIXINZHENGCE.json ({TITLE, URL, DOCRELPUBTIME})
  /gkbulk/gkmlpt/index        a gkmlpt site of any size, for benchmarks: serve_gk_bulk(portal, n) puts
                              it up (two leaf categories, the gd site's shapes, ten measures a page)
  /jxssthjt/col/col42150/index.html  a Jiangxi unified-platform column: an empty list div, the
                              first 20 documents in `var listData`, loadPageData params and
                              channelsTagSelf.articleCount; POST /queryList answers
                              data.results[].source (urls a JSON string), 15 a page

Everything but the Zhaoqing shell and one channelId page (GS_REVISED) is the same in every state.
"""

from __future__ import annotations

import json
import math
from functools import cache
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

from policywatch.demo.portal.gkmlpt_sites import (  # noqa: F401  (re-exported: the tests' names)
    GD_CATS,
    GD_DETAIL,
    GD_INDEX,
    GD_SID,
    GK_BULK_DETAIL,
    GK_BULK_INDEX,
    GK_BULK_SID,
    GK_PAGE,
    ZQ_CAT,
    ZQ_INDEX,
    ZQ_SID,
    detail_page,
    doc_date,
    epoch,
    filler_measures,
    gd_articles,
    gk_bulk_articles,
    gk_bulk_cats,
    gkmlpt_api,
    serve_gk_bulk,
    shell_page,
    zq_pages,
)
from policywatch.demo.portal.shapes import JSON, Resource, notice

XML = "text/xml; charset=utf-8"


JS_COLUMN = "/col/col89736/index.html"
JS_PROXY = "/module/web/jpage/dataproxy.jsp"
JS_FORM = {"columnid": "89736", "unitid": "405463", "webid": "23"}
JS_TOTAL, JS_PERPAGE = 100, 15
JS_DETAIL = "/art/2025/{m}/{d}/art_89736_{n}.html"

GS_LIST = "/jyt/c110634/zwgklist.shtml"
GS_CHANNEL = "e5eb2abb5014415399847ba2bb99b31f"
GS_SEARCH = f"/common/search/{GS_CHANNEL}"
GS_TOTAL, GS_PER_PAGE = 45, 20
GS_DETAIL = "/jyt/c110634/2025{m:02d}/1742{n:05d}.shtml"


# -- Hanweb jpage -----------------------------------------------------------------------------


@cache
def js_records() -> list[tuple[str, str, str]]:
    """(path, title, date) of the column's records, newest first."""
    out = []
    for n in range(1, JS_TOTAL + 1):
        date = doc_date(n)
        _y, m, d = (int(x) for x in date.split("-"))
        out.append((JS_DETAIL.format(m=m, d=d, n=11660000 + n), f"省工业和信息化厅关于第{n}批专精特新企业名单的通知", date))
    return out


def _record(path: str, title: str, date: str) -> str:
    return (f'<record><![CDATA[<li><a target="_blank" href="{path}" title="{escape(title)}">{escape(title)}</a>'
            f'<b readlabel="{date}">{date}</b></li>]]></record>')


def _column() -> bytes:
    group = "".join(_record(*r) for r in js_records()[: 3 * JS_PERPAGE])
    nextgroup = (f'<a href="{JS_PROXY}?page=1&appid=1&webid={JS_FORM["webid"]}&path=/&columnid={JS_FORM["columnid"]}'
                 f'&unitid={JS_FORM["unitid"]}&webname=江苏省工业和信息化厅&permissiontype=0"></a>')
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策文件 江苏省工业和信息化厅</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/col/col89736/index.html">政策文件</a></div>
<div id="{JS_FORM["unitid"]}"><script type="text/xml"><datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>{group}</recordset></datastore></script>
<script language="javascript">var jpage = {{proxyUrl:'{JS_PROXY}', totalRecord:{JS_TOTAL}, perPage:{JS_PERPAGE},
  ajaxParam:{{col:1,appid:1,webid:{JS_FORM["webid"]},path:'/',columnid:{JS_FORM["columnid"]},sourceContentType:1,
  unitid:{JS_FORM["unitid"]},webname:'江苏省工业和信息化厅',permissiontype:0}}}};</script></div></body></html>""".encode()


def _dataproxy(query: dict[str, list[str]], form: dict[str, list[str]]) -> Resource:
    """Like gxt.jiangsu's answers: startrecord..endrecord and one record more, and totalrecord;
    a form for another column gets an empty datastore."""
    if any(form.get(k, [""])[0] != v for k, v in JS_FORM.items()):
        return Resource(b"<datastore><totalrecord>0</totalrecord><totalpage>0</totalpage><recordset></recordset></datastore>", XML)
    start, end = int(query["startrecord"][0]), int(query["endrecord"][0])
    perpage = int(query.get("perpage", [JS_PERPAGE])[0])
    rows = js_records()[start - 1 : end + 1]
    pages = math.ceil(JS_TOTAL / perpage)
    body = (f"<datastore><totalrecord>{JS_TOTAL}</totalrecord><totalpage>{pages}</totalpage><recordset>"
            + "".join(_record(*r) for r in rows) + "</recordset></datastore>")
    return Resource(body.encode(), XML)


# -- channelId search -------------------------------------------------------------------------


@cache
def gs_docs() -> list[tuple[str, str, str, str]]:
    """(path, title, date, 文号) of the channel's documents, newest first."""
    out = []
    for n in range(1, GS_TOTAL + 1):
        date = doc_date(n)
        out.append((GS_DETAIL.format(m=int(date[5:7]), n=n), f"甘肃省教育厅关于做好第{n}项教育工作的通知", date, f"甘教发〔2025〕{n}号"))
    return out


def _gs_list(page: int) -> bytes:
    """A static copy: the rows and the page script inside a comment, like jyt.gansu's."""
    pages = math.ceil(GS_TOTAL / GS_PER_PAGE)
    rows = "".join(
        f'\n<li>\n<a target="_blank" href="{p}" title="{escape(t)}">\n{escape(t)}\n</a>\n<b>{d}</b>\n</li>\n'
        for p, t, d, _ in gs_docs()[(page - 1) * GS_PER_PAGE : page * GS_PER_PAGE]
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="channelId" content="{GS_CHANNEL}"><meta name="code" content="c110634"><title>文件通知-甘肃省教育厅</title>
<script type="text/javascript" src="/jyt/xhtml/static/js/page_list.js"></script></head>
<body><div class="nav"><a href="/jyt/">首页</a></div><ul class="jytxxgklist"><!--
{rows}
<script type="text/javascript" src="/jyt/xhtml/js/page.js"></script><script>createPageHTML('page_div',{pages}, {page},'zwgklist','shtml',{GS_TOTAL});</script>-->
</ul><div id="page_div"></div></body></html>""".encode()


def _gs_search(query: dict[str, list[str]]) -> Resource:
    page = int(query.get("page", ["1"])[0])
    size = int(query.get("_pageSize", [str(GS_PER_PAGE)])[0])
    chunk = gs_docs()[(page - 1) * size : page * size]
    results = [
        {"title": t, "url": p, "publishedTimeStr": f"{d} 10:00:00", "subTitle": "", "content": "",
         "domainMetaList": [{"resultList": [{"key": "refno", "value": num}, {"key": "writedate", "value": d},
                                            {"key": "indexnumber", "value": f"620000-{i:04d}/2025"}]}]}
        for i, (p, t, d, num) in enumerate(chunk, (page - 1) * size + 1)
    ]
    data = {"data": {"total": GS_TOTAL, "page": page, "rows": size, "results": results}}
    return Resource(json.dumps(data, ensure_ascii=False).encode(), JSON)


ZJ_COLUMN = "/col/col1229080140/index.html"
ZJ_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
ZJ_QUERY = {"webId": "3387", "pageId": "1229080140", "tagId": "当前栏目list", "tplSetId": "KhfdDWvs6oNSon8hfBpHF"}
ZJ_TOTAL, ZJ_ROWS = 32, 15
ZJ_DETAIL = "/art/2025/{m}/{d}/art_1229080140_{n}.html"
GOV_FEED = "/zhengce/zuixin/ZUIXINZHENGCE.json"
GOV_COLUMN = "/zhengce/zuixin/index.htm"
GOV_DETAIL = "/zhengce/content/2025{m:02d}/content_{n}.htm"
GOV_TOTAL = 6
JX_COLUMN = "/jxssthjt/col/col42150/index.html"
JX_API = "/queryList"
JX_FORM = {"unitid": "380055", "webSiteCode[]": "jxssthjt", "channelCode[]": "col42150"}
JX_TOTAL, JX_PER_PAGE, JX_EMBEDDED = 45, 15, 20
JX_DETAIL = "/jxssthjt/col/col42150/content/content_19512063636776{n:05d}.html"


@cache
def zj_docs() -> list[tuple[str, str, str]]:
    out = []
    for n in range(1, ZJ_TOTAL + 1):
        date = doc_date(n)
        _y, m, d = (int(x) for x in date.split("-"))
        out.append((ZJ_DETAIL.format(m=m, d=d, n=24000000 + n), f"浙江省科学技术厅关于第{n}批科技项目的通知", date))
    return out


def _zj_rows(page: int) -> str:
    return "".join(
        f'<li><a href="{p}" title="{escape(t)}" target="_blank">{escape(t)}</a><span>{d}</span></li>'
        for p, t, d in zj_docs()[(page - 1) * ZJ_ROWS : page * ZJ_ROWS]
    )


def _zj_column() -> bytes:
    query = "{" + ",".join(f"'{k}':'{v}'" for k, v in ZJ_QUERY.items()) + "}"
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>行政规范性文件 浙江省科学技术厅</title></head>
<body><div class="nav"><a href="/col/col1229080136/index.html">上级文件</a></div><ul class="list">{_zj_rows(1)}</ul>
<div class="pagination" count="{ZJ_TOTAL}" rows="{ZJ_ROWS}" pageNo="1" queryData="{query}"></div>
<script src="/module/jpage/page.js"></script></body></html>""".encode()


def _zj_api(query: dict[str, list[str]]) -> Resource:
    if any(query.get(k, [""])[0] != v for k, v in ZJ_QUERY.items()):
        return Resource(json.dumps({"success": False, "data": None}).encode(), JSON)
    page = int(query.get("pageNo", ["1"])[0])
    return Resource(json.dumps({"success": True, "data": {"html": f"<ul>{_zj_rows(page)}</ul>"}}, ensure_ascii=False).encode(), JSON)


@cache
def gov_items() -> list[dict[str, str]]:
    out = []
    for n in range(1, GOV_TOTAL + 1):
        date = doc_date(n)
        out.append({"TITLE": f"国务院办公厅关于第{n}项工作的通知", "SUB_TITLE": "",
                    "URL": GOV_DETAIL.format(m=int(date[5:7]), n=7000000 + n), "DOCRELPUBTIME": date})
    return out


@cache
def jx_docs() -> list[dict[str, Any]]:
    """The column's articles as listData and queryList carry them (real field names)."""
    out = []
    for n in range(1, JX_TOTAL + 1):
        path = JX_DETAIL.format(n=n)
        out.append({"title": f"江西省生态环境厅关于第{n}项工作的政策解读", "pubDate": f"{doc_date(n)} 16:59",
                    "urls": json.dumps({"pc": path}), "contentSource": "法规与标准处", "id": path[-24:-5],
                    "articleFiles": [{"fileName": f"附件{n}.pdf", "url": f"/doc/ucap/1749973237782081536/document/{n}.pdf",
                                      "filePath": f"/jxssthjt/col42150/{n}.pdf", "delFlag": 0}] if n % 20 == 0 else [{}],
                    "showTitle": f"<p>第{n}项</p>", "topStatus": 0})
    return out


def _jx_column() -> bytes:
    column = {"code": "col42150", "name": "政策法规解读", "articleCount": JX_TOTAL, "childCount": 0,
              "urls": json.dumps({"pc": JX_COLUMN})}
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>政策法规解读 江西省生态环境厅</title>
<script src="commonfiles/handlebars.min.js"></script>
<script>var websiteCode = 'jxssthjt', codeName = 'col42150';
var channelsTagSelf = {json.dumps(column, ensure_ascii=False)}; //当前栏目信息
var listData = {{
  articleList: {json.dumps(jx_docs()[:JX_EMBEDDED], ensure_ascii=False)}
}};</script></head>
<body><div class="nav"><a href="/jxssthjt/index.html">首页</a></div>
<div id="380055"></div><script id="div380055" type="text/x-handlebars-template"><ul class='List_list'>
{{{{#each data}}}}<li><a href='{{{{pcUrl}}}}' title='{{{{title}}}}'>{{{{title}}}}</a></li>{{{{/each}}}}</ul></script>
<script>var params = {{ current: 1, unitid: '380055', webSiteCode: ['jxssthjt'], channelCode: ['col42150'],
  dataBefore: '', dataAfter: '', perPage: '{JX_PER_PAGE}', notReturnContent:false, showMode: 'normal', groupSize: 1,
  barPosition: 'bottom', titleMax: '34', templateContainerId: 'div380055', themeName: 'lucidity', }};
loadPageData(params, '380055');</script></body></html>""".encode()


def _jx_query(form: dict[str, list[str]]) -> Resource:
    """queryList: `current` pages of pageSize; another column's form gets no results."""
    if any(form.get(k, [""])[0] != v for k, v in JX_FORM.items()):
        results: list[dict[str, Any]] = []
    else:
        current = int(form.get("current", ["1"])[0])
        size = int(form.get("pageSize", form.get("perPage", [str(JX_PER_PAGE)]))[0])
        results = [{"source": doc} for doc in jx_docs()[(current - 1) * size : current * size]]
    return Resource(json.dumps({"code": 200, "data": {"results": results}}, ensure_ascii=False).encode(), JSON)


CHALLENGE = b"""<html><head><meta content="{qqqq.e9b2}" r='m'><script type="text/javascript" r='m'>$_ts=window['$_ts'];
if(!$_ts)$_ts={};$_ts.nsd=12345;$_ts.cd="qqqq";</script><script type="text/javascript" charset="utf-8"
src="/4QbVtADbnLVIc/c.FxJzG50F.dfe1675.js" r='m'></script></head><body></body></html>"""


# -- what the server asks ---------------------------------------------------------------------


GS_REVISED = 3  # the channelId document whose page is revised from state 2 on


@cache
def static_pages(state: int = 1) -> dict[str, Resource]:
    """The pages of the gd, Hanweb and channelId sites: the same in every state but one
    channelId page, revised (a measure reworded) from state 2 on."""
    pages: dict[str, Resource] = {}
    tree = [
        {"id": 14, "name": "政策文件", "post_count": 212, "children": [
            {"id": cat, "name": name, "children": [], "post_count": count} for cat, (name, count) in GD_CATS.items()
        ]},
        {"id": 15, "name": "政府信息公开年报", "jump_url": "/gd/gkmlpt/annualreport", "children": []},
    ]
    pages[GD_INDEX] = Resource(shell_page(GD_SID, tree, "政府信息公开_广东省人民政府"))
    for arts in gd_articles().values():
        for art in arts:
            pages[art["url"]] = Resource(detail_page(art, GD_SID, filler_measures("粤办函", art["id"])))
    pages[JS_COLUMN] = Resource(_column())
    for i, (path, title, date) in enumerate(js_records(), 1):
        pages[path] = Resource(notice(title, f"苏工信〔2025〕{i}号", date, filler_measures("苏工信", i)))
    for page in range(1, math.ceil(GS_TOTAL / GS_PER_PAGE) + 1):
        pages[GS_LIST if page == 1 else GS_LIST.replace(".shtml", f"_{page}.shtml")] = Resource(_gs_list(page))
    pages[ZJ_COLUMN] = Resource(_zj_column())
    for i, (path, title, date) in enumerate(zj_docs(), 1):
        pages[path] = Resource(notice(title, f"浙科发〔2025〕{i}号", date, filler_measures("浙科发", i)))
    pages[GOV_COLUMN] = Resource(
        b'<html><body><div id="list"></div><script>$.ajax({ url: "./ZUIXINZHENGCE.json", success: function(r){ FY_DATA = r; } })</script></body></html>'
    )
    pages[GOV_FEED] = Resource(json.dumps(gov_items(), ensure_ascii=False).encode(), JSON)
    for i, item in enumerate(gov_items(), 1):
        pages[item["URL"]] = Resource(notice(item["TITLE"], f"国办发〔2025〕{i}号", item["DOCRELPUBTIME"], filler_measures("国办发", i)))
    pages[JX_COLUMN] = Resource(_jx_column())
    for i, doc in enumerate(jx_docs(), 1):
        path = json.loads(doc["urls"])["pc"]
        pages[path] = Resource(notice(doc["title"], f"赣环法〔2025〕{i}号", doc["pubDate"][:10], filler_measures("赣环法", i)))
    for path, title, date, number in gs_docs():
        n = int(path[-11:-6])
        measures = filler_measures("甘教发", n)
        if n == GS_REVISED and state >= 2:
            measures[1] = measures[1].replace("月底前", "月中旬前")
        pages[path] = Resource(notice(title, number, date, measures))
    return pages


def answer(portal: Any, method: str, raw_path: str, body: bytes) -> tuple[int, Resource] | None:
    """The list APIs (their answers depend on the query or the form); None for anything else."""
    u = urlsplit(raw_path)
    query = parse_qs(u.query, keep_blank_values=True)
    if u.path.startswith("/gd/gkmlpt/api/all/") and method == "GET":
        return gkmlpt_api(u.path, query, GD_SID, lambda cat: (gd_articles().get(cat), GD_CATS.get(cat, ("", 0))[0]))
    bulk = getattr(portal, "gk_bulk", 0)  # set by serve_gk_bulk
    if bulk and u.path.startswith("/gkbulk/gkmlpt/api/all/") and method == "GET":
        cats = gk_bulk_cats(bulk)
        return gkmlpt_api(u.path, query, GK_BULK_SID, lambda cat: (gk_bulk_articles(bulk).get(cat), cats.get(cat, ("", 0))[0]))
    if u.path.startswith("/zq/gkmlpt/api/all/") and method == "GET":
        if query.get("sid", [""])[0] != ZQ_SID:
            return 200, Resource(b'{"classify": null, "articles": []}', JSON)
        page = max(int(query.get("page", ["1"])[0] or 1), 1)
        found = portal.pages().get(f"{u.path}?page={page}") or portal.pages().get(f"{u.path}?page=1")
        if found is None:
            return None
        if portal.pages().get(f"{u.path}?page={page}") is None:  # past the end: no articles
            data = json.loads(found.body)
            found = Resource(json.dumps({**data, "articles": []}, ensure_ascii=False).encode(), JSON)
        return 200, found
    if u.path == JS_PROXY and method == "POST":
        return 200, _dataproxy(query, parse_qs(body.decode("utf-8", "replace")))
    if u.path == JX_API and method == "POST":
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        vars(portal).setdefault("jx_asked", []).append(form.get("current", [""])[0])  # hits keep no bodies
        return 200, _jx_query(form)
    if u.path == ZJ_API and method == "GET":
        return 200, _zj_api(query)
    if u.path == GS_SEARCH and method == "GET":
        if getattr(portal, "search_blocked", False):
            return 412, Resource(CHALLENGE)
        return 200, _gs_search(query)
    return None
