"""What the portal serves in each state: pages built from the seed fixtures and the corpus.

State 1: Zhaoqing (gkmlpt 政府信息公开) lists the Zhaoqing 实施意见, the gz-37 条例 (served as
         GB18030 under a wrong `charset=utf-8` header), two short notices and a page robots.txt
         forbids; Yulin (TRS 政策解读) lists the Yulin 解读 and two short 解读 pages.
State 2: the Zhaoqing 实施意见 revised in its HTML text (measure 3 reworded, a measure inserted
         after 4 so 5..17 renumber, old 16 deleted); a new notice at the top of the Zhaoqing list.
State 3: one notice withdrawn (404, gone from the list); the Zhaoqing page re-rendered with
         only a new view count and render date, which must record nothing.
"""

from __future__ import annotations

import re
from html import escape

from policywatch.demo import PAGES
from policywatch.demo.portal import families  # the sites listed as the real platforms list them
from policywatch.demo.portal.shapes import Entry, Resource, notice
from policywatch.demo.story import revised_zhaoqing

ZQ_LIST = "/zq/gkmlpt/index.html"
YL_LIST = "/yl/zcjd/index.html"
ZQ_DETAIL = "/zq/gkmlpt/content/post_{}.html"
YL_DETAIL = "/yl/zcjd/t{}.html"
ROBOTS_BLOCKED = ZQ_DETAIL.format(9999)
STATES = (1, 2, 3)


# -- the detail pages -------------------------------------------------------------------------


def zhaoqing(state: int) -> bytes:
    if state == 1:
        return (PAGES / "zhaoqing-gkmlpt.html").read_bytes()
    html = revised_zhaoqing()  # the demo's revision: one story for the demo and the tests
    if state >= 3:
        # chrome only: what a CMS changes on every render
        html = html.replace(b'<span id="post-visit">1024</span>', b'<span id="post-visit">2048</span>')
        html = html.replace(b"</body>", "<!-- 生成时间 2026-11-23 08:00:00 web-03 --></body>".encode())
    return html


def gz37_gb18030() -> bytes:
    """The 条例 re-encoded as GB18030 with a gb2312 meta; the server will claim utf-8."""
    html = (PAGES / "gz-37.html").read_text(encoding="utf-8")
    html = re.sub(r"charset=UTF-8", "charset=gb2312", html, count=1, flags=re.I)
    return html.encode("gb18030")


def jiedu(title: str, date: str, points: list[str]) -> bytes:
    """A short TRS 政策解读 page in the Yulin template."""
    body = "\n".join(
        f'<p style="text-indent: 2em;"><strong>{"一二三四五六"[i]}、{escape(h)}</strong></p>'
        f'<p style="text-indent: 2em;">{escape(t)}</p>'
        for i, (h, t) in enumerate(p.split("|", 1) for p in points)
    )
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>{escape(title)}_政策解读_玉林市人民政府门户网站</title></head>
<body><div class="top">玉林市人民政府门户网站</div>
<div class="article"><h1>{escape(title)}</h1><div class="info">发布时间：{date} 来源：玉林市科技局</div>
<div class="article-con" id="zoom"><div class="TRS_Editor">
{body}
</div></div></div><div class="foot">玉林市人民政府办公室主办</div></body></html>""".encode()


# -- the sites in each state ------------------------------------------------------------------

NOTICES = {
    2001: (
        "肇庆市人民政府办公室关于做好2025年冬春季森林防火工作的通知",
        "肇府办函〔2025〕101号",
        "2025-10-20",
        [
            "严格落实森林防火责任制,各县(市、区)政府主要负责同志为第一责任人。",
            "加强野外用火管理,清明、春节等重点时段实行巡山护林全覆盖。",
            "完善扑火应急预案,每个镇(街)至少组建一支半专业扑火队伍。",
        ],
    ),
    2002: (
        "肇庆市人民政府办公室关于开展2025年度安全生产大检查的通知",
        "肇府办函〔2025〕88号",
        "2025-09-12",
        [
            "全面排查危险化学品、建筑施工、道路交通等重点行业领域风险隐患。",
            "对检查发现的重大隐患实行挂牌督办,整改不到位的依法停产整顿。",
        ],
    ),
    2003: (
        "肇庆市人民政府办公室关于进一步加强城市供水保障工作的通知",
        "肇府办函〔2026〕12号",
        "2026-11-02",
        [
            "加快推进城乡供水一体化,2027年底前实现城乡供水同网同质同服务。",
            "建立供水水质信息公开制度,每季度向社会公布出厂水和管网末梢水水质。",
            "对供水管网漏损率高于10%的区域,实施老旧管网更新改造。",
        ],
    ),
}
JIEDU = {
    "20220301_2": (
        "《玉林市科技企业孵化器认定管理办法》政策解读",
        "2022-03-01",
        [
            "出台背景|为规范科技企业孵化器的认定和管理,促进孵化器高质量发展,制定本办法。",
            "主要内容|办法明确了孵化器的认定条件、认定程序、管理与考核以及扶持措施。",
        ],
    ),
    "20220105_3": (
        "《玉林市高新技术企业培育扶持办法》政策解读",
        "2022-01-05",
        [
            "制定目的|加快培育高新技术企业,壮大创新型企业群体。",
            "扶持标准|对首次认定的高新技术企业给予一次性奖励20万元。",
        ],
    ),
}


FUNDS = "/zq/gkmlpt/files/2001-funds.xlsx"
ATTACHMENTS = (FUNDS, "/zq/gkmlpt/files/2001-missing.pdf")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DELISTED = "20220105_3"  # the Yulin interpretation that leaves its listing in state 3


def site_pages(state: int) -> dict[str, Resource]:
    """Every path the portal serves in `state` (except robots.txt and the trap pages)."""
    pages: dict[str, Resource] = {}
    zq: list[Entry] = []
    if state >= 2:
        t, num, date, ms = NOTICES[2003]
        pages[ZQ_DETAIL.format(2003)] = Resource(notice(t, num, date, ms))
        zq.append(Entry(ZQ_DETAIL.format(2003), t, date))
    pages[ZQ_DETAIL.format(1840123)] = Resource(zhaoqing(state))
    zq.append(
        Entry(
            ZQ_DETAIL.format(1840123),
            "肇庆市人民政府关于印发肇庆市关于促进肇庆高新技术产业开发区高质量发展的实施意见的通知",
            "2019-10-29",
        )
    )
    pages[ZQ_DETAIL.format(9745016)] = Resource(gz37_gb18030(), "text/html; charset=utf-8")  # the lie
    zq.append(Entry(ZQ_DETAIL.format(9745016), "中华人民共和国市场主体登记管理条例", "2021-08-24"))
    for n in (2001, 2002):
        if n == 2002 and state >= 3:
            continue  # withdrawn: 404 and off the list
        t, num, date, ms = NOTICES[n]
        pages[ZQ_DETAIL.format(n)] = Resource(notice(t, num, date, ms, files=ATTACHMENTS if n == 2001 else ()))
        zq.append(Entry(ZQ_DETAIL.format(n), t, date))
    # The notice's table of funds is replaced in place in state 2: same link, another file. The
    # .pdf it links is never there (a 404 the crawl logs and survives).
    pages[FUNDS] = Resource(b"PK\x03\x04 funds table, state %d" % min(state, 2), XLSX)
    pages[ROBOTS_BLOCKED] = Resource(
        notice("内部工作通知", "肇府办内〔2025〕1号", "2025-01-01", ["不得公开的内部事项。"])
    )
    zq.append(Entry(ROBOTS_BLOCKED, "内部工作通知", "2025-01-01"))
    pages.update(gkmlpt_lists(zq))

    numbers = {ZQ_DETAIL.format(n): v[1] for n, v in NOTICES.items()} | {ROBOTS_BLOCKED: "肇府办内〔2025〕1号"}
    pages.update(families.zq_pages(zq, numbers))
    pages.update(families.static_pages(state))

    yl = [
        Entry(
            YL_DETAIL.format("20220427_1"),
            "一图看懂:玉林市促进高新技术产业开发区高质量发展实施方案",
            "2022-04-27",
        )
    ]
    pages[YL_DETAIL.format("20220427_1")] = Resource((PAGES / "yulin-jiedu.html").read_bytes())
    for key, (t, date, points) in JIEDU.items():
        pages[YL_DETAIL.format(key)] = Resource(jiedu(t, date, points))
        if key == DELISTED and state >= 3:
            continue  # taken off the list, the page left in place: withdrawn all the same
        yl.append(Entry(YL_DETAIL.format(key), t, date))
    pages.update(trs_lists(yl))
    return pages


PER_PAGE = 2


def _chunks(entries: list[Entry], per_page: int = PER_PAGE) -> list[list[Entry]]:
    return [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]


def _list_name(i: int) -> str:
    return "index.html" if i == 0 else f"index_{i}.html"


def gkmlpt_lists(
    entries: list[Entry], prefix: str = "/zq/gkmlpt/", per_page: int = PER_PAGE
) -> dict[str, Resource]:
    """gkmlpt 政府信息公开 list pages: index.html, index_1.html, ... and no page count anywhere."""
    out = {}
    for i, chunk in enumerate(_chunks(entries, per_page)):
        rows = "\n".join(
            f'<tr><td class="first"><a href="content/{e.path.rsplit("/", 1)[1]}" target="_blank">{escape(e.title)}</a></td>'
            f"<td>{e.date}</td></tr>"
            for e in chunk
        )
        html = f"""<!doctype html><html lang="zh"><head><meta charset="UTF-8"><title>政府信息公开_肇庆市人民政府</title></head>
<body><div class="header"><a href="/zq/">首页</a> <a href="/zq/gkmlpt/index.html">政府信息公开</a></div>
<div class="gkml-tree"><a href="/zq/gkmlpt/guide.html">政府信息公开指南</a></div>
<table class="gkml-list"><tr><th>标题</th><th>日期</th></tr>
{rows}
</table><div class="pagination"><a href="index.html">首页</a></div></body></html>"""
        out[f"{prefix}{_list_name(i)}"] = Resource(html.encode("utf-8"))
    return out


def trs_lists(entries: list[Entry]) -> dict[str, Resource]:
    """TRS 政策解读 list pages with the page count in a createPageHTML(...) call."""
    chunks = _chunks(entries)
    out = {}
    for i, chunk in enumerate(chunks):
        rows = "\n".join(
            f'<li><a href="./{e.path.rsplit("/", 1)[1]}" target="_blank" title="{escape(e.title)}">{escape(e.title)}</a>'
            f"<span>{e.date}</span></li>"
            for e in chunk
        )
        html = f"""<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<title>政策解读_玉林市人民政府门户网站</title></head>
<body><div class="nav"><a href="../../">首页</a> &gt; <a href="./">政策解读</a></div>
<ul class="list-news">
{rows}
</ul>
<div class="page"><script>createPageHTML({len(chunks)}, {i}, "index", "html");</script></div>
</body></html>"""
        out[f"/yl/zcjd/{_list_name(i)}"] = Resource(html.encode("utf-8"))
    return out


ROBOTS_TXT = f"User-agent: *\nDisallow: {ROBOTS_BLOCKED}\nDisallow: /private/\n"


# -- bulk notices, for benchmarks ----------------------------------------------------------------

BULK_LIST = "/bulk/gkmlpt/index.html"
BULK_DETAIL = "/bulk/gkmlpt/content/post_{}.html"
_TOPICS = ("森林防火", "安全生产", "城市供水", "食品安全", "职业教育", "乡村振兴", "数字政府", "营商环境")


def bulk_pages(n: int, state: int) -> dict[str, Resource]:
    """`n` gkmlpt notices of ten measures each, 25 to a list page; from state 2 on, every
    tenth notice has one measure reworded (a realistic share of pages changing between crawls)."""
    pages: dict[str, Resource] = {}
    entries = []
    for k in range(1, n + 1):
        topic = _TOPICS[k % len(_TOPICS)]
        title = f"肇庆市人民政府办公室关于做好{topic}工作的通知（第{k}号）"
        measures = [
            f"第{k}号通知第{j}项措施:各县(市、区)要按照{topic}工作要求,建立健全工作机制,"
            f"明确责任分工,于{2026 + j % 3}年{j}月底前完成{topic}相关任务并报市政府备案。"
            for j in range(1, 11)
        ]
        if state >= 2 and k % 10 == 0:
            measures[3] = measures[3].replace("月底前", "月中旬前") + "逾期未完成的予以通报。"
        path = BULK_DETAIL.format(k)
        pages[path] = Resource(notice(title, f"肇府办函〔2026〕{k}号", "2026-03-01", measures))
        entries.append(Entry(path, title, "2026-03-01"))
    pages.update(gkmlpt_lists(entries, prefix="/bulk/gkmlpt/", per_page=25))
    return pages
