"""The Hanweb 大汉 JCMS families: `hanweb-jpage` (dataproxy.jsp) and `hanweb-jpaas` (publish server)."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import unquote, urlencode

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.listings.base import Family, Listed, ListPage, Param, clean, iso_date
from crawler.listings.html import anchors

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S)
_TOTAL = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>|\btotalRecord\s*[:=]\s*['\"]?(\d+)", re.I)
_PERPAGE = re.compile(r"\bperPage\s*[:=]\s*['\"]?(\d+)|[?&]perpage=(\d+)", re.I)
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号")
PROXY = "/module/web/jpage/dataproxy.jsp"
GROUP = 3  # pages a dataproxy call returns (the jpage script's default, seen on every site)


def _field(name: str, text: str) -> str:
    m = re.search(rf"""\b{name}\s*(?:=|:|["']\s*:)\s*["']?([^"'&<>\s,}}]+)""", text, re.I)
    return unquote(m.group(1)) if m else ""


def records(text: str, base: Response) -> list[Listed]:
    """The `<record><![CDATA[<li>…]]></record>` rows of a datastore (column page or dataproxy answer)."""
    out = []
    for cdata in _RECORD.findall(text):
        row = Selector(text=cdata)
        a = row.css("a[href]")
        if not a:
            continue
        href = (a[0].attrib.get("href") or "").strip()
        title = clean(a[0].attrib.get("title") or " ".join(a[0].css("::text").getall()))
        dated = row.css("[readlabel]::attr(readlabel)").get() or " ".join(row.css("::text").getall())
        number = _DOC_NUMBER.search(" ".join(row.css("span::text").getall()))
        out.append(
            Listed(
                base.urljoin(href),
                title=title,
                published=iso_date(dated),
                document_number=number.group(0) if number else "",
            )
        )
    return out


class HanwebJpage(Family):
    """Hanweb 大汉 JCMS "jpage" columns (Jiangsu province and departments, Shandong, Jinan, older
    Zhejiang sites, Beijing 科委...): `/col/colN/index.html` carries the first group of records as
    `<record><![CDATA[<li>…]]></record>` inside `<script type="text/xml"><datastore>` — script
    text, so CSS finds no link there — and the rest comes from `/module/web/jpage/dataproxy.jsp`.

    Each dataproxy call (POST, form `col=1&appid=1&webid&path=/&columnid&sourceContentType=1&
    unitid&webname&permissiontype=0`, query `startrecord&endrecord&perpage`) returns a group of
    3 pages and the column's `totalrecord`; groups are asked for until `totalrecord`.
    `columnid`, `unitid`, `webid`, `webname` and `perpage` are read from the column page
    (its `nextgroup` link and jpage script); set them in `family_params` when a page hides them.
    """

    family = "hanweb-jpage"
    params: ClassVar[dict[str, Param]] = {
        "columnid": Param("str", "column id (default: from the page, else colN in the URL)"),
        "unitid": Param("str", "the list unit's id (default: from the page)"),
        "webid": Param("str", "web site id (default: from the page)"),
        "webname": Param("str", "web site name sent with the form (default: from the page)"),
        "perpage": Param("int", "records per page (default: from the page, else 15)"),
        "proxy": Param("str", "the dataproxy path", PROXY),
    }

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        text = response.text if isinstance(response, TextResponse) else ""
        docs = records(text, response)
        links = len(docs)
        m = _TOTAL.search(text)
        total = int(m.group(1) or m.group(2)) if m else st.get("total")
        out = self.page(docs, links, total=total)
        if "form" in st:  # a dataproxy answer: the next group starts after what was asked
            form, perpage, start = st["form"], st["perpage"], st["end"] + 1
            if not links:
                return out  # an empty group: the column ends here, whatever it claimed
        else:  # the column page: its datastore holds the first records
            form, perpage = self._form(text, st["root"])
            start = links + 1
        if form is None or (total is not None and start > total):
            return out
        if st["page"] + 1 >= self.max_pages:
            out.truncated = True
            return out
        end = start + GROUP * perpage - 1
        end = min(end, total) if total is not None else end
        url = response.urljoin(
            f"{self.options['proxy']}?startrecord={start}&endrecord={end}&perpage={perpage}"
        )
        out.requests.append(
            self.request(
                url,
                root=st["root"],
                page=st["page"] + 1,
                form=form,
                perpage=perpage,
                end=end,
                total=total,
                method="POST",
                body=urlencode(form),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                    "X-Requested-With": "XMLHttpRequest",
                    "Referer": st["root"],
                },
            )
        )
        return out

    def _form(self, text: str, root: str) -> tuple[dict[str, str] | None, int]:
        o = self.options
        col = re.search(r"/col/col(\d+)", root)
        columnid = o["columnid"] or _field("columnid", text) or (col.group(1) if col else "")
        unitid = o["unitid"] or _field("unitid", text)
        webid = o["webid"] or _field("webid", text)
        m = _PERPAGE.search(text)
        perpage = o["perpage"] or (int(m.group(1) or m.group(2)) if m else 15)
        if not (columnid and unitid and webid):
            return None, perpage
        form = {
            "col": "1",
            "appid": "1",
            "webid": webid,
            "path": "/",
            "columnid": columnid,
            "sourceContentType": "1",
            "unitid": unitid,
            "webname": o["webname"] or _field("webname", text),
            "permissiontype": "0",
        }
        return form, perpage

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        if "<datastore>" in text or "dataproxy.jsp" in text:
            return {}
        return None


_QUERY_DATA = re.compile(r"queryData\s*=\s*[\"'](\{.*?\})[\"']", re.S)
_ATTR = re.compile(r"""\b(count|rows|pageNo)\s*=\s*["'](\d+)["']""")
JPAAS = "/api-gateway/jpaas-publish-server/front/page/build/unit"


class HanwebJpaas(Family):
    """Hanweb jpaas-publish-server, the new JCMS (Zhejiang departments, Hangzhou, SAMR):
    `/col/colN/index.html` renders page 1 in HTML (read like the `html` family, with the site's
    `link_selector` and `detail_pattern`, default `/art/`), and its pagination div says
    `count="386" rows="15" pageNo="1"` and `queryData="{'webId','pageId','tagId','tplSetId'}"`.
    Pages 2.. come from `/api-gateway/jpaas-publish-server/front/page/build/unit?parseType=
    bulidstatic&webId&tplSetId&pageType=column&tagId&pageId&rows&pageNo`, JSON
    `{success, data: {html}}` whose html holds the page's rows.
    """

    family = "hanweb-jpaas"
    default_detail = r"/art/"

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        text = response.text if isinstance(response, TextResponse) else ""
        if "query" in st:
            try:
                data = json.loads(text)
            except ValueError:
                data = {}
            html = (data.get("data") or {}).get("html", "") if isinstance(data, dict) else ""
            page_resp = TextResponse(response.url, body=str(html or "").encode(), encoding="utf-8")
            query, count, rows, page_no = st["query"], st["count"], st["rows"], st["page_no"]
        else:
            page_resp = response
            query, count, rows, page_no = _pagination(text)
        found = [
            Listed(response.urljoin(href), title=title, published=iso_date(row))
            for href, title, row in anchors(page_resp, self.site.link_selector)  # type: ignore[arg-type]
        ]
        out = self.page(found, len(found), total=count)
        docs = out.documents
        if query is None or not count or not rows or page_no * rows >= count or not docs:
            return out
        if st["page"] + 1 >= self.max_pages:
            out.truncated = True
            return out
        params = {
            "parseType": "bulidstatic",
            "webId": query.get("webId", ""),
            "tplSetId": query.get("tplSetId", ""),
            "pageType": "column",
            "tagId": query.get("tagId", ""),
            "pageId": query.get("pageId", ""),
            "rows": rows,
            "pageNo": page_no + 1,
        }
        out.requests.append(
            self.request(
                response.urljoin(f"{JPAAS}?{urlencode(params)}"),
                root=st["root"],
                page=st["page"] + 1,
                query=query,
                count=count,
                rows=rows,
                page_no=page_no + 1,
            )
        )
        return out

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        return (
            {}
            if ("jpaas-publish-server" in text or "tplSetId" in text) and _QUERY_DATA.search(text)
            else None
        )


def _pagination(text: str) -> tuple[dict[str, str] | None, int | None, int | None, int]:
    m = _QUERY_DATA.search(text)
    if not m:
        return None, None, None, 1
    query = dict(re.findall(r"""['"](\w+)['"]\s*:\s*['"]([^'"]*)['"]""", m.group(1)))
    attrs = {k: int(v) for k, v in _ATTR.findall(text)}
    return query, attrs.get("count"), attrs.get("rows"), attrs.get("pageNo", 1)
