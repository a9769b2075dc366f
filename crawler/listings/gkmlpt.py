"""The `gkmlpt` family: Guangdong's 政府信息公开目录管理平台."""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from scrapy.http import Response, TextResponse

from crawler.listings.base import Family, Listed, ListPage, Param, attachment, clean, iso_date

_SID = re.compile(r"""\bSID\s*[:=]\s*['"]?(\d+)""")
_TREE = re.compile(r"""\bTREE\s*[:=]\s*(?=\[)""")
_CONFIG = re.compile(r"window\._CONFIG\s*=")
_TAGS = re.compile(r"<[^>]+>")
API = "/gkmlpt/api/all/{cat}?page={page}&sid={sid}"


class Gkmlpt(Family):
    """Guangdong gkmlpt (province, its 21 prefectures — Zhaoqing among them — Shenzhen districts,
    20+ departments): `/gkmlpt/index` is an empty Vue shell whose `window._CONFIG` carries the
    site id (`SID`) and the category `TREE`. The lists come only from the JSON API
    `/gkmlpt/api/all/{category}?page=N&sid=SID` — `{classify: {post_count}, articles: [...]}`,
    100 articles a page, pages 0 and 1 identical (so paging starts at 1), until `post_count`
    articles are seen or a page comes back empty.

    Start URL: the site's `/gkmlpt/index`. Every leaf of the TREE (no children, no `jump_url`)
    is listed unless `categories` names some. What an article says — `document_number` (文号),
    `identifier` (索引号), `publisher`, `display_publish_time` (发布), `date` (成文),
    `attachment[]` — stays with the document; its page carries the full record again in
    `_CONFIG.DETAIL`, which the normalizer reads.
    """

    family = "gkmlpt"
    params: ClassVar[dict[str, Param]] = {
        "categories": Param("ints", "category ids to list (default: every leaf of the TREE)"),
        "sid": Param("str", "site id, when the index page does not carry it"),
        "page_size": Param("int", "articles per API page", 100),
    }

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        if "cat" in st:
            return self._articles(response, st)
        return self._index(response, st)

    def _index(self, response: Response, st: dict[str, Any]) -> ListPage:
        text = response.text if isinstance(response, TextResponse) else ""
        sid = _sid(text) or self.options["sid"]
        cats = self.options["categories"] or [c["id"] for c in leaves(tree(text))]
        if not sid or not cats:
            return ListPage([], [], 0)  # not a gkmlpt index: "0 of 0 links matched"
        requests = [
            self.request(api_url(response.url, c, 1, sid), root=st["root"], page=1, cat=c) for c in cats
        ]
        return ListPage([], requests, 0)

    def _articles(self, response: Response, st: dict[str, Any]) -> ListPage:
        try:
            data = json.loads(response.text if isinstance(response, TextResponse) else response.body)
        except ValueError:
            data = {}
        articles = data.get("articles") if isinstance(data, dict) else None
        articles = [a for a in articles or [] if isinstance(a, dict)]
        classify = data.get("classify") if isinstance(data, dict) else None
        total = classify.get("post_count") if isinstance(classify, dict) else None
        total = total if isinstance(total, int) else None
        out = self.page((article(response, a) for a in articles), len(articles), total=total)
        page, size = st["page"], self.options["page_size"]
        seen = page * size  # pages 1..page (page 0 repeats page 1)
        if articles and (total is None or seen < total) and len(articles) >= size:
            if page >= self.max_pages:
                out.truncated = True
            else:
                sid = parse_qs(urlsplit(response.url).query).get("sid", [""])[0]
                url = api_url(response.url, st["cat"], page + 1, sid)
                out.requests.append(self.request(url, root=st["root"], page=page + 1, cat=st["cat"]))
        return out

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        if _CONFIG.search(text) and _sid(text):
            return {}
        return None


def api_url(url: str, cat: int, page: int, sid: str) -> str:
    """The API next to the site's /gkmlpt/ (a department's gkmlpt may sit below a path)."""
    split = urlsplit(url)
    at = split.path.find("/gkmlpt/")
    prefix = split.path[:at] if at >= 0 else ""
    return f"{split.scheme}://{split.netloc}{prefix}" + API.format(cat=cat, page=page, sid=sid)


def _sid(text: str) -> str:
    m = _SID.search(text)
    return m.group(1) if m else ""


def tree(text: str) -> list[dict[str, Any]]:
    """The category TREE of an index page's `window._CONFIG` (JSON), or []."""
    m = _TREE.search(text)
    if not m:
        return []
    try:
        value, _ = json.JSONDecoder().raw_decode(text, m.end())
    except ValueError:
        return []
    return [n for n in value if isinstance(n, dict)] if isinstance(value, list) else []


def leaves(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Categories that list documents themselves: no children, no `jump_url` (a link elsewhere)."""
    out = []
    for n in nodes:
        children = [c for c in n.get("children") or [] if isinstance(c, dict)]
        if children:
            out += leaves(children)
        elif not n.get("jump_url") and isinstance(n.get("id"), int):
            out.append(n)
    return out


def article(response: Response, a: dict[str, Any]) -> Listed:
    url = str(a.get("url") or a.get("post_url") or "").split("#", 1)[0].strip()
    files = [
        attachment(str(f.get("name") or ""), response.urljoin(str(f["url"])))
        for f in a.get("attachment") or []
        if isinstance(f, dict) and f.get("url")
    ]
    return Listed(
        url=response.urljoin(url) if url else "",
        title=clean(_TAGS.sub("", str(a.get("title") or ""))),
        document_number=clean(a.get("document_number")),
        identifier=clean(a.get("identifier")),
        publisher=clean(a.get("publisher")),
        published=iso_date(a.get("display_publish_time") or a.get("created_at") or ""),
        written=iso_date(a.get("date") or ""),
        attachments=files,
    )
