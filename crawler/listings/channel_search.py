"""The `channel-search` family: the `/common/search/{channelId}` platform (UCAP-like)."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response, TextResponse

from crawler.listings.base import Family, Listed, ListPage, Param, clean, iso_date
from crawler.listings.html import anchors, page_script, sibling

_CHANNEL = re.compile(r"""<meta\s+name=["']channelId["']\s+content=["']([0-9a-fA-F]{16,64}|\d+)["']""", re.I)
_TAGS = re.compile(r"<[^>]+>")
# domainMetaList keys (Heilongjiang, Gansu) -> list facts
_META = {
    "refno": "document_number",
    "wh": "document_number",
    "indexnumber": "identifier",
    "syh": "identifier",
    "writedate": "written",
    "cwrq": "written",
    "pubdate": "published",
    "publisher": "publisher",
    "fbjg": "publisher",
}


class ChannelSearch(Family):
    """The channelId search platform (Gansu province and departments, Hunan, Heilongjiang, NHC,
    CSRC, SPB...): the static column page (`c{code}/zwgklist.shtml`) names its channel in
    `<meta name="channelId">` and keeps its rows — and its `createPageHTML('page_div', …)` — inside
    an HTML comment; the browser's list comes from `/common/search/{channelId}?_isJson=true&
    page=N&_pageSize=…`, JSON `data.results[]` (`title`, `url`, `publishedTimeStr`,
    `domainMetaList` with `refno` 文号, `indexnumber` 索引号, `writedate`…) and `data.total`.

    Where the page names its channel, the JSON search is followed (it knows 文号, 索引号 and dates
    the rows do not); when the search does not answer JSON (a challenge page) or fails, the
    commented rows of the static copies (`zwgklist.shtml`, `zwgklist_2.shtml` …) are listed
    instead. `search` changes the endpoint path for
    platforms that moved it (CSRC `/searchList/{channelId}`).
    """

    family = "channel-search"
    default_detail = r"/c\d+/\d{6}/\w+\.s?html?$"
    params: ClassVar[dict[str, Param]] = {
        "channel_id": Param("str", "the channel id (default: the page's meta channelId)"),
        "page_size": Param("int", "results per search page", 20),
        "search": Param("str", "search path, {channel} for the id", "/common/search/{channel}"),
    }

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        text = response.text if isinstance(response, TextResponse) else ""
        if st.get("api"):
            data = _json(text)
            if data is None:  # a challenge page or HTML fragment: fall back to the static copies
                return ListPage([], self._fallback(st), 0)
            return self._results(response, st, data)
        return self._static(response, st, text)

    def _static(self, response: Response, st: dict[str, Any], text: str) -> ListPage:
        found = [
            Listed(response.urljoin(h), title=t, published=iso_date(r))
            for h, t, r in anchors(response, self.site.link_selector)  # type: ignore[arg-type]
        ]
        script = page_script(text)
        nxt = sibling(st["root"], script[0]) if script and script[0] else None
        channel = self.options["channel_id"] or _channel(text)
        total = script[1] if script else None
        if channel and not st.get("static"):
            # the search lists these rows too, with what it knows about them: only the search
            # is followed, and the static copy stays the fallback
            fallback = self.request(st["root"], root=st["root"], page=st["page"], static=True)
            return ListPage(
                [], [self._search(response, st, channel, 1, fallback=fallback)], len(found), total=total
            )
        out = self.page(found, len(found), total=total)
        if nxt:
            out.requests = self._fallback({**st, "fallback": nxt})
        return out

    def _results(self, response: Response, st: dict[str, Any], data: dict[str, Any]) -> ListPage:
        body = data.get("data") if isinstance(data.get("data"), dict) else data
        results = [r for r in body.get("results") or [] if isinstance(r, dict)]
        total = body.get("total")
        total = int(total) if isinstance(total, int | str) and str(total).isdigit() else None
        out = self.page((result(response, r) for r in results), len(results), total=total)
        page, size = st["api"], self.options["page_size"]
        if results and (total is None or page * size < total):
            if st["page"] + 1 >= self.max_pages:
                out.truncated = True
            else:
                out.requests.append(self._search(response, st, st["channel"], page + 1, fallback=None))
        return out

    def _search(
        self, response: Response, st: dict[str, Any], channel: str, page: int, fallback: Any
    ) -> scrapy.Request:
        query = {
            "_isAgg": "true",
            "_isJson": "true",
            "_pageSize": self.options["page_size"],
            "_template": "index",
            "_rangeTimeGte": "",
            "_channelName": "",
            "page": page,
        }
        path = self.options["search"].format(channel=channel)
        return self.request(
            response.urljoin(f"{path}?{urlencode(query)}"),
            root=st["root"],
            page=st["page"] + 1,
            api=page,
            channel=channel,
            fallback=fallback if fallback is not None else st.get("fallback"),
            headers={
                "Accept": "application/json, text/javascript, */*; q=0.01",
                "X-Requested-With": "XMLHttpRequest",
            },
        )

    def _fallback(self, st: dict[str, Any]) -> list[scrapy.Request]:
        """The static copy: the first page again (a request kept in the state), or the next one."""
        nxt = st.get("fallback")
        if isinstance(nxt, scrapy.Request):
            return [nxt.replace(dont_filter=True)]  # the start page, fetched once already
        if not nxt or st["page"] + 1 >= self.max_pages:
            return []
        return [self.request(nxt, root=st["root"], page=st["page"] + 1, static=True)]

    def on_error(self, request: scrapy.Request) -> list[scrapy.Request]:
        st = dict(request.meta.get("pw_listing") or {})
        return self._fallback(st) if st.get("api") else []

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        return {} if _channel(text) else None


def _channel(text: str) -> str:
    m = _CHANNEL.search(text)
    return m.group(1) if m else ""


def _json(text: str) -> dict[str, Any] | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def result(response: Response, r: dict[str, Any]) -> Listed:
    doc = Listed(
        url=response.urljoin(str(r.get("url") or "").strip()) if r.get("url") else "",
        title=clean(_TAGS.sub("", str(r.get("title") or ""))),
        published=iso_date(r.get("publishedTimeStr") or r.get("publishedTime") or ""),
    )
    for group in r.get("domainMetaList") or []:
        for kv in (group or {}).get("resultList") or [] if isinstance(group, dict) else []:
            if not isinstance(kv, dict):
                continue
            name = _META.get(str(kv.get("key") or "").lower())
            value = clean(kv.get("value"))
            if name and value and not getattr(doc, name):
                setattr(doc, name, iso_date(value) if name in ("written", "published") else value)
    return doc
