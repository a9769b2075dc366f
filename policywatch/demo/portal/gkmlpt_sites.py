"""The gkmlpt sites of the portal: Guangdong's 政府信息公开目录 as the platform serves it.

A SPA shell (window._CONFIG with the SID and the category tree), the lists only from
/gkmlpt/api/all/{cat}?page=N&sid=SID, and detail pages with the record in _CONFIG.DETAIL — for
the /gd/ site, for Zhaoqing's /zq/ site, and a bulk site for the benchmarks (families.py lists
every path).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import cache
from html import escape
from typing import Any

from policywatch.demo.portal.shapes import JSON, Entry, Resource, notice

GD_INDEX = "/gd/gkmlpt/index"
GD_SID = "758123"
GD_CATS = {1411: ("规范性文件", 205), 1412: ("其他文件", 7)}  # leaf: (name, articles)
GD_DETAIL = "/gd/gkmlpt/content/2/{a}/post_{n}.html"
ZQ_INDEX = "/zq/gkmlpt/index"
ZQ_SID = "200018"
ZQ_CAT = 2001
GK_PAGE = 100


def epoch(date: str) -> int:
    return int(datetime.fromisoformat(date).replace(hour=1, tzinfo=UTC).timestamp())  # 09:00 in Beijing


def doc_date(n: int) -> str:
    """A date per document, newest first: the lists are ordered by it."""
    day = 300 - n  # day of 2025
    return datetime.fromordinal(datetime(2025, 1, 1).toordinal() + max(day, 0)).strftime("%Y-%m-%d")


def filler_measures(what: str, n: int, count: int = 2) -> list[str]:
    return [f"{what}第{n}号文件第{j}项措施:各地各部门要按照要求,于2026年{j}月底前完成相关任务。" for j in range(1, count + 1)]




@cache
def gd_articles() -> dict[int, list[dict[str, Any]]]:
    """Per leaf category, its articles as the API lists them (real field names)."""
    return _articles(GD_CATS, GD_DETAIL, "/gd/gkmlpt/files/")


def _articles(cats: dict[int, tuple[str, int]], detail: str, files: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    n = 0
    for cat, (_name, count) in cats.items():
        arts = []
        for _ in range(count):
            n += 1
            date = doc_date(n)
            url = detail.format(a=n // 100, n=n)
            arts.append(
                {
                    "id": n,
                    "title": f"广东省人民政府办公厅关于做好第{n}项重点工作的通知",
                    "document_number": f"粤办函〔2025〕{n}号",
                    "identifier": f"006939748/2025-{n:05d}",
                    "publisher": "广东省人民政府办公厅",
                    "keywords": "",
                    "abstract": "",
                    "date": epoch(doc_date(n + 3)),  # written three days before it was published
                    "created_at": f"{date} 09:00:00",
                    "display_publish_time": epoch(date),
                    "classify_main_name": cats[cat][0],
                    "classify_genre_name": "通知",
                    "classify_theme_name": "综合政务",
                    "url": url,
                    "post_url": url,
                    "attachment": [{"id": n, "name": f"附件{n}.pdf", "type": "pdf", "mime": "application/pdf",
                                    "size": 1024, "url": f"{files}{n}.pdf"}] if n % 50 == 0 else [],
                    "relation": [],
                    "is_expired": 0,
                    "is_abolished": 0,
                }
            )
        out[cat] = arts
    return out


GK_BULK_INDEX = "/gkbulk/gkmlpt/index"
GK_BULK_SID = "758999"
GK_BULK_DETAIL = "/gkbulk/gkmlpt/content/2/{a}/post_{n}.html"
GK_BULK_MEASURES = 10  # as many as bench_crawl's html notices: comparable page sizes


def gk_bulk_cats(n: int) -> dict[int, tuple[str, int]]:
    """Two leaf categories sharing `n` articles (the first takes the odd one)."""
    return {2411: ("规范性文件", n - n // 2), 2412: ("其他文件", n // 2)}


@cache
def gk_bulk_articles(n: int) -> dict[int, list[dict[str, Any]]]:
    return _articles(gk_bulk_cats(n), GK_BULK_DETAIL, "/gkbulk/gkmlpt/files/")


def serve_gk_bulk(portal: Any, n: int) -> None:
    """Put up a gkmlpt site of `n` documents on `portal` (benchmarks): the shell and detail pages
    as overrides, the API answered by answer() while `portal.gk_bulk` is set."""
    cats = gk_bulk_cats(n)
    tree = [{"id": 24, "name": "政策文件", "post_count": n, "children": [
        {"id": cat, "name": name, "children": [], "post_count": count} for cat, (name, count) in cats.items()
    ]}]
    portal.overrides[GK_BULK_INDEX] = Resource(shell_page(GK_BULK_SID, tree, "政府信息公开_广东省人民政府"))
    for arts in gk_bulk_articles(n).values():
        for art in arts:
            measures = filler_measures("粤办函", art["id"], GK_BULK_MEASURES)
            portal.overrides[art["url"]] = Resource(detail_page(art, GK_BULK_SID, measures))
    portal.gk_bulk = n


def shell_page(sid: str, tree: list[dict[str, Any]], title: str) -> bytes:
    """The Vue shell: nothing listed in the HTML, everything in window._CONFIG."""
    return f"""<!DOCTYPE html><html lang="zh"><head><meta charset="UTF-8"><title>{escape(title)}</title>
<script type="text/javascript" src="/gkmlpt/gkml/public/jquery.min.js"></script>
<script>
    window._CONFIG = {{
        isMobile: false,
        ACTION: 'index',
        SID: '{sid}',
        TREE: {json.dumps(tree, ensure_ascii=True)},
        SERVICE_AREA_ID: 1200
    }};
</script></head>
<body><div id="app"></div>
<script src="/gkmlpt/gkml/pc/js/chunk-common.c1553651.js"></script></body></html>""".encode()


def detail_page(art: dict[str, Any], sid: str, measures: list[str]) -> bytes:
    date = datetime.fromtimestamp(art["display_publish_time"], UTC).strftime("%Y-%m-%d")
    page = notice(art["title"], art["document_number"], date, measures).decode()
    body = page.split('<div class="article-content">', 1)[1].rsplit("</div></div>", 1)[0]
    detail = {"id": str(art["id"]), "title": art["title"], "content": body, "source": art["publisher"],
              "publish_time": str(art["display_publish_time"]), "date": date}
    table = (f'<table class="gkml-meta"><tr><td>索引号:</td><td>{art["identifier"]}</td><td>分类:</td>'
             f'<td>{escape(art["classify_main_name"])}</td></tr></table>')
    script = f"<script>window._CONFIG = {{ACTION: 'content', SID: '{sid}', DETAIL: {json.dumps(detail)}}};</script>"
    return page.replace("</head>", script + "</head>", 1).replace('<div class="article-content">', table + '<div class="article-content">', 1).encode()


def _api(articles: list[dict[str, Any]], cat: int, name: str, page: int) -> Resource:
    start = max(page - 1, 0) * GK_PAGE  # pages 0 and 1 are the same
    data = {"classify": {"id": cat, "name": name, "post_count": len(articles)},
            "articles": articles[start : start + GK_PAGE]}
    return Resource(json.dumps(data, ensure_ascii=False).encode(), JSON)


def zq_pages(entries: list[Entry], numbers: dict[str, str]) -> dict[str, Resource]:
    """The Zhaoqing site of content.py served as gkmlpt: the shell, and the API pages keyed
    `path?page=N` (answer() finds them). `numbers`: 文号 by detail path, where known."""
    tree = [{"id": ZQ_CAT, "name": "通知公告", "children": [], "post_count": len(entries)},
            {"id": 9, "name": "政府信息公开指南", "children": [], "jump_url": "/zq/gkmlpt/guide.html"}]
    arts = [
        {"id": i, "title": e.title, "document_number": numbers.get(e.path, ""), "identifier": "",
         "publisher": "", "display_publish_time": epoch(e.date), "date": epoch(e.date),
         "url": e.path, "post_url": e.path, "attachment": []}
        for i, e in enumerate(entries, 1)
    ]
    out = {ZQ_INDEX: Resource(shell_page(ZQ_SID, tree, "政府信息公开_肇庆市人民政府"))}
    for page in range(1, max(1, math.ceil(len(arts) / GK_PAGE)) + 1):
        out[f"/zq/gkmlpt/api/all/{ZQ_CAT}?page={page}"] = _api(arts, ZQ_CAT, "通知公告", page)
    return out


def gkmlpt_api(path: str, query: dict[str, list[str]], sid: str, lookup: Any) -> tuple[int, Resource] | None:
    try:
        cat = int(path.rsplit("/", 1)[1])
        page = int(query.get("page", ["0"])[0] or 0)
    except ValueError:
        return None
    if query.get("sid", [""])[0] != sid:
        return 200, Resource(b'{"classify": null, "articles": []}', JSON)
    articles, name = lookup(cat)
    if articles is None:
        return None
    return 200, _api(articles, cat, name, page)
