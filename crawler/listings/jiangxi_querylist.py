"""The `jiangxi-querylist` family: the Jiangxi unified site platform (`POST /queryList`)."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import urlencode

from scrapy.http import Response, TextResponse

from crawler.listings.base import Family, Listed, ListPage, Param, attachment, clean, iso_date

_LIST_DATA = re.compile(r"\blistData\s*=\s*\{\s*articleList\s*:\s*(?=\[)")
_SELF = re.compile(r"\bchannelsTagSelf\s*=\s*(?=\{)")
# `var params = {…}; loadPageData(params, …)` or `loadPageData({…}, …)`: the list's query
_PARAMS = re.compile(
    r"var\s+(\w+)\s*=\s*(\{[^{}]*\})\s*;?\s*loadPageData\(\s*\1\b|loadPageData\(\s*(\{[^{}]*\})", re.S
)
_PAIR = re.compile(
    r"""(\w+)\s*:\s*(\[[^\]]*\]|'[^']*'|"[^"]*"|[^,}\s]+)""",
)
_TAGS = re.compile(r"<[^>]+>")
# the page's own query fields, in the order the browser posts them; pageSize repeats perPage
FIELDS = (
    "unitid",
    "webSiteCode",
    "channelCode",
    "dataBefore",
    "dataAfter",
    "perPage",
    "notReturnContent",
    "showMode",
    "groupSize",
    "barPosition",
    "titleMax",
    "templateContainerId",
    "themeName",
)


class JiangxiQueryList(Family):
    """The Jiangxi unified site platform (江西省 departments 2024–25: sthjt, drc, gxt …;
    `/{site}/col/colN/index.html`): the list container is an empty `<div id="{unitid}">` filled by
    a Handlebars template. The page carries its first documents as `var listData = {articleList:
    [{title, pubDate, urls: "{\\"pc\\": …}", contentSource, articleFiles}]}` — often more than one
    page of them — the query in `loadPageData({current, unitid, webSiteCode: […], channelCode:
    […], perPage, …})`, and the column's `articleCount` in `channelsTagSelf`.

    Further pages come from `POST /queryList` with the page's query as a form (`current`,
    `webSiteCode[]`, `channelCode[]`, `perPage`, `pageSize` …), JSON `data.results[].source.{title,
    pubDate, urls, contentSource, articleFiles}`. Paging starts after the pages `listData`
    already holds and stops at the column's total (the answer's `data.total`, else the page's
    `articleCount`), at a short page or at an empty one. `contentSource` is kept as the
    publisher, `articleFiles` as attachments. `unitid`, `website_code`, `channel_code` and
    `per_page` override what the page says.
    """

    family = "jiangxi-querylist"
    params: ClassVar[dict[str, Param]] = {
        "unitid": Param("str", "the list unit's id (default: from loadPageData)"),
        "website_code": Param("strs", "webSiteCode[] values (default: from loadPageData)"),
        "channel_code": Param("strs", "channelCode[] values (default: from loadPageData)"),
        "per_page": Param("int", "documents a queryList page returns (default: the page's perPage, else 15)"),
        "endpoint": Param("str", "the list API path", "/queryList"),
    }

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        text = response.text if isinstance(response, TextResponse) else ""
        if "form" in st:
            return self._answer(response, st, text)
        return self._column(response, st, text)

    def _column(self, response: Response, st: dict[str, Any], text: str) -> ListPage:
        articles = list_data(text) or []
        total = _article_count(text)
        out = self.page((item(response, a) for a in articles), len(articles), total=total)
        form = self._form(text)
        if form is None or (articles and len(articles) < _per_page(form)):
            return out  # no query to page with, or the embedded list is the whole column
        # the pages listData covers are not asked again; a part page is, for the rest of it
        current = len(articles) // _per_page(form) + 1
        self._next(response, st, out, form, current, total)
        return out

    def _answer(self, response: Response, st: dict[str, Any], text: str) -> ListPage:
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        body = data.get("data") if isinstance(data, dict) else None
        body = body if isinstance(body, dict) else {}
        results = [r for r in body.get("results") or [] if isinstance(r, dict)]
        sources = [r["source"] if isinstance(r.get("source"), dict) else r for r in results]
        given = body.get("total")
        total = int(given) if isinstance(given, int | str) and str(given).isdigit() else st.get("total")
        out = self.page((item(response, s) for s in sources), len(sources), total=total)
        form = st["form"]
        if len(sources) < _per_page(form):
            return out  # a short or empty page is the last, whatever the total claimed
        self._next(response, st, out, form, st["current"] + 1, total)
        return out

    def _next(
        self,
        response: Response,
        st: dict[str, Any],
        out: ListPage,
        form: list[tuple[str, str]],
        current: int,
        total: int | None,
    ) -> None:
        if total is not None and (current - 1) * _per_page(form) >= total:
            return
        if st["page"] + 1 >= self.max_pages:
            out.truncated = True
            return
        out.requests.append(
            self.request(
                response.urljoin(self.options["endpoint"]),
                root=st["root"],
                page=st["page"] + 1,
                form=form,
                current=current,
                total=total,
                method="POST",
                body=urlencode([("current", str(current)), *form]),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
                    "Accept": "application/json, text/javascript, */*; q=0.01",
                    "X-Requested-With": "XMLHttpRequest",
                    "Referer": st["root"],
                },
            )
        )

    def _form(self, text: str) -> list[tuple[str, str]] | None:
        """The queryList form (without `current`) from the page's loadPageData query, or None."""
        query = load_page_params(text)
        o = self.options
        if o["unitid"]:
            query["unitid"] = o["unitid"]
        if o["website_code"]:
            query["webSiteCode"] = o["website_code"]
        if o["channel_code"]:
            query["channelCode"] = o["channel_code"]
        if o["per_page"]:
            query["perPage"] = str(o["per_page"])
        if not (query.get("webSiteCode") and query.get("channelCode")):
            return None
        query.setdefault("perPage", "15")
        form: list[tuple[str, str]] = []
        for key in FIELDS:
            value = query.get(key)
            if isinstance(value, list):
                form += [(f"{key}[]", str(v)) for v in value]
            elif value is not None:
                form.append((key, _js_value(value)))
        form.append(("pageSize", str(query["perPage"])))
        return form

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        return {} if "loadPageData(" in text and (_LIST_DATA.search(text) or "/queryList" in text) else None


def list_data(text: str) -> list[dict[str, Any]] | None:
    """`listData.articleList` of a column page, or None when the page has none."""
    m = _LIST_DATA.search(text)
    if not m:
        return None
    try:
        items, _ = json.JSONDecoder().raw_decode(text, m.end())
    except ValueError:
        return None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else None


def load_page_params(text: str) -> dict[str, Any]:
    """The object literal the page hands to loadPageData (JS: unquoted keys, '…' strings)."""
    m = _PARAMS.search(text)
    if not m:
        return {}
    out: dict[str, Any] = {}
    for key, raw in _PAIR.findall(m.group(2) or m.group(3)):
        if raw.startswith("["):
            out[key] = [v for v in (s.strip().strip("'\"") for s in raw[1:-1].split(",")) if v]
        else:
            out[key] = raw.strip("'\"") if raw[:1] in "'\"" else raw
    return out


def _js_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _per_page(form: list[tuple[str, str]]) -> int:
    value = dict(form).get("perPage", "15")
    return int(value) if value.isdigit() and int(value) > 0 else 15


def _article_count(text: str) -> int | None:
    """The column's `articleCount` (0 on aggregating columns: unknown, not empty)."""
    m = _SELF.search(text)
    if not m:
        return None
    try:
        column, _ = json.JSONDecoder().raw_decode(text, m.end())
    except ValueError:
        return None
    count = column.get("articleCount") if isinstance(column, dict) else None
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else None


def _loads(value: Any) -> Any:
    """The API nests JSON in strings (`urls`, sometimes `articleFiles`)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def item(response: Response, src: dict[str, Any]) -> Listed:
    urls = _loads(src.get("urls"))
    if isinstance(urls, dict):
        href = urls.get("pc") or next((v for v in urls.values() if isinstance(v, str) and v), "")
    else:
        href = urls if isinstance(urls, str) else ""
    files = _loads(src.get("articleFiles"))
    files = files if isinstance(files, list) else []
    return Listed(
        url=response.urljoin(href.strip()) if isinstance(href, str) and href.strip() else "",
        title=clean(_TAGS.sub("", str(src.get("title") or src.get("showTitle") or ""))),
        published=iso_date(src.get("pubDate") or ""),
        publisher=clean(src.get("contentSource")),
        attachments=[
            attachment(str(f.get("fileName") or ""), response.urljoin(str(f.get("url") or f.get("filePath"))))
            for f in files
            if isinstance(f, dict) and (f.get("url") or f.get("filePath"))
        ],
    )
