"""The `govcn-json` family: the State Council gov.cn column feeds."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from scrapy.http import Response, TextResponse

from crawler.listings.base import Family, Listed, ListPage, Param, clean, iso_date

_FEED = re.compile(r"""url\s*:\s*["']([^"']+\.json)["']""")


class GovcnJson(Family):
    """gov.cn columns (最新政策, 政策文件库 国务院文件/部门文件, 政策解读): the column page is a JS
    shell that loads one static JSON feed — `ZUIXINZHENGCE.json`, `…/TONGYONGGAILAN.json`,
    `ZCJD_QZ.json` — and slices it into pages in the browser. The feed is a list of
    `{TITLE, SUB_TITLE, URL, DOCRELPUBTIME}`, newest first, the whole column in one file: no
    pagination. Start URL: the feed, or the column page (its `$.ajax({url: "….json"})` is
    followed; `feed` names it when the page does not).
    """

    family = "govcn-json"
    params: ClassVar[dict[str, Param]] = {"feed": Param("str", "the JSON feed, relative to the start URL")}

    def first_requests(self, url: str) -> list[Any]:
        feed = self.options["feed"]
        if feed:
            from urllib.parse import urljoin

            return [self.request(urljoin(url, feed), root=url, page=0, feed=True)]
        return super().first_requests(url)

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        text = (
            response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        )
        items = feed_items(text)
        if items is None:
            m = None if st.get("feed") else _FEED.search(text)
            if m:  # the column page: its feed
                return ListPage(
                    [], [self.request(response.urljoin(m.group(1)), root=st["root"], page=1, feed=True)], 0
                )
            return ListPage([], [], 0)
        found = [
            Listed(
                response.urljoin(str(i.get("URL")).strip()),
                title=clean(i.get("TITLE")),
                published=iso_date(i.get("DOCRELPUBTIME") or ""),
                document_number=clean(i.get("PUBCODE") or i.get("FWZH") or ""),
            )
            for i in items
            if i.get("URL")
        ]
        return self.page(found, len(items), total=len(items))

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        if feed_items(text) is not None:
            return {}
        m = _FEED.search(text)
        return {"feed": m.group(1)} if m and re.search(r"/[A-Z_]+\.json$", m.group(1)) else None


def feed_items(text: str) -> list[dict[str, Any]] | None:
    """The feed's items (dicts with TITLE and URL), or None when `text` is not such a feed."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except ValueError:
        return None
    if isinstance(data, dict):  # some feeds wrap the list: {"data": [...]} / {"list": [...]}
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list):
        return None
    items = [i for i in data if isinstance(i, dict) and "TITLE" in i and "URL" in i]
    return items if items or not data else None
