"""The `html` family: server-rendered list pages read with CSS."""

from __future__ import annotations

import re
from typing import Any

from parsel import Selector
from scrapy.http import Response, TextResponse

from crawler.listings.base import Family, Listed, ListPage, clean, iso_date, well_formed

_CALL = re.compile(r"(?<![\w.])(createPageHTML|createPage)\s*\(([^()]*)\)")
_ARG = re.compile(r"'([^']*)'|\"([^\"]*)\"|([\w.$-]+)")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d+\s*号")
_ELEMENT_HREF = "::attr(href)"
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)


class Html(Family):
    """Server-rendered list pages (TRS WCM static publishing, Beijing, Shanghai, NFCMS columns...).

    Configured by the site's `link_selector`, `detail_pattern`, `list_pattern` and `next_page`.
    A link is a document when its URL matches `detail_pattern`; its title is the link's `title`
    (else its text), the date and 文号 are read from its row (`li`, `tr`, `dd`). Rows that the
    template left inside an HTML comment (`<!-- <li>… -->`, the channelId platform's static
    copy) are read too. `next_page = { script = "createPageHTML" }` understands every page
    script in use:

      createPageHTML(count, cur, 'index', 'html')            0-based: index.html, index_1.html …
      createPageHTML('page_div', pages, cur, 'p', 'shtml', total)   1-based: p.shtml, p_2.shtml …
      createPageHTML(records, pages, cur, …)                 Beijing (0-based; names default index/html)
      createPage(count, cur, 'index', 'html')                Chongqing

    and the counts may be variables (`var countPage = 13`) declared on the page.
    """

    family = "html"

    def parse(self, response: Response) -> ListPage:
        st = self.state(response)
        root, page = st["root"], st["page"]
        if not isinstance(response, TextResponse):
            return ListPage([], [], 0)
        docs: list[Listed] = []
        sublists = []
        links = 0
        list_pattern = getattr(self.site, "list_pattern", None)
        bad: list[str] = []
        for href, title, row in anchors(response, self.site.link_selector):
            links += 1
            try:
                url = response.urljoin(href)
                ok = well_formed(url)
            except ValueError:
                ok = False
            if not ok:  # any link, a document or not: one bad href says the template broke
                bad.append(href[:200])
                continue
            if self.matches(url):
                number = _DOC_NUMBER.search(row)
                docs.append(
                    Listed(
                        url,
                        title=title,
                        published=iso_date(row),
                        document_number=number.group(0) if number else "",
                    )
                )
            elif list_pattern is not None and list_pattern.search(url):
                sublists.append(self.request(url, root=url, page=0))
        docs = self.keep(docs, bad)
        nxt, total = self._next_url(response, root, page, len(docs))
        out = ListPage(docs, [], links, total=total, sublists=sublists, bad_links=bad)
        if nxt:
            if page + 1 >= self.max_pages:
                out.truncated = True
            else:
                out.requests.append(self.request(nxt, root=root, page=page + 1))
        return out

    @property
    def max_pages(self) -> int:
        rule = getattr(self.site, "next_page", None)
        return rule.max_pages if rule is not None else int(self.options["max_pages"])

    def _next_url(
        self, response: TextResponse, root: str, page: int, details: int
    ) -> tuple[str | None, int | None]:
        rule = getattr(self.site, "next_page", None)
        if rule is None:
            return None, None
        if rule.kind == "static":
            # No page count on the page: go on while pages list something.
            return (response.urljoin(sibling(root, rule.value.format(n=page + 1))) if details else None), None
        if rule.kind == "script":
            script = page_script(response.text)
            if script is None:
                return None, None
            name, total = script
            return (sibling(root, name) if name else None), total
        href = response.css(rule.value).get()
        return (response.urljoin(href) if href else None), None

    @classmethod
    def detect(cls, url: str, text: str) -> dict[str, Any] | None:
        # html is the fallback: its "parameters" are the [[sites]] keys a page script implies
        return {"next_page": {"script": "createPageHTML"}} if page_script(text) is not None else {}


def anchors(response: TextResponse, selector: str) -> list[tuple[str, str, str]]:
    """(href, title, row text) of every link the selector picks, in the page and in its comments."""
    roots: list[Selector] = [response.selector]
    if any("<a" in c for c in response.xpath("//comment()").getall()):
        # read the page with its commented-out rows put back where they are, so the selector's
        # container (`ul.list a`) still holds them
        roots = [
            Selector(text=_COMMENT.sub(lambda m: m.group(1) if "<a" in m.group(1) else "", response.text))
        ]
    out: list[tuple[str, str, str]] = []
    element = selector[: -len(_ELEMENT_HREF)] if selector.endswith(_ELEMENT_HREF) else None
    for sel in roots:
        if element is None:
            out += [(h.strip(), "", "") for h in sel.css(selector).getall() if h.strip()]
            continue
        for a in sel.css(element):
            href = (a.attrib.get("href") or "").strip()
            if not href:
                continue
            title = clean(a.attrib.get("title") or " ".join(a.css("::text").getall()))
            row = a.xpath("ancestor::*[self::li or self::tr or self::dd][1]") or a.xpath("..")
            out.append((href, title, clean(" ".join(row.css("::text").getall()))))
    return out


def page_script(text: str) -> tuple[str | None, int | None] | None:
    """(the next page's file name or None on the last page, records in the column or None) from
    the page's createPageHTML/createPage call; None when the page has no such call."""
    for m in _CALL.finditer(text):
        if re.search(r"function\s*$", text[max(0, m.start() - 12) : m.start()]):
            continue  # the script's definition, not a call
        args = [_value(a, text) for a in _ARG.finditer(m.group(2))]
        parsed = _shape(args)
        if parsed is not None:
            return parsed
    return None


def _value(m: re.Match[str], text: str) -> int | str | None:
    if m.group(1) is not None or m.group(2) is not None:
        s = m.group(1) if m.group(1) is not None else m.group(2)
        return int(s) if s.strip().isdigit() else s
    token = m.group(3)
    if token.isdigit():
        return int(token)
    var = re.search(rf"\b(?:var|let|const)?\s*{re.escape(token)}\s*=\s*['\"]?(\d+)", text)
    return int(var.group(1)) if var else None


def _shape(args: list[int | str | None]) -> tuple[str | None, int | None] | None:
    if None in args or not args:
        return None
    if isinstance(args[0], str):  # ('page_div', pages, cur, stem, ext, total): 1-based
        if len(args) < 5 or not all(isinstance(a, int) for a in args[1:3]):
            return None
        pages, cur, stem, ext = args[1], args[2], str(args[3]), str(args[4])
        total = args[5] if len(args) > 5 and isinstance(args[5], int) else None
        return (f"{stem}_{cur + 1}.{ext}" if cur + 1 <= pages else None), total  # type: ignore[operator]
    ints = 0
    while ints < len(args) and isinstance(args[ints], int):
        ints += 1
    names = [str(a) for a in args[ints:] if isinstance(a, str)]
    stem, ext = (names + ["index", "html"][len(names) :])[:2] if len(names) < 2 else names[:2]
    if ints == 2:  # (count, cur, stem, ext): 0-based, index.html then index_1.html
        pages, cur, total = args[0], args[1], None
    elif ints >= 3:  # Beijing (records, pages, cur, ...)
        total, pages, cur = args[0], args[1], args[2]
    else:
        return None
    return (f"{stem}_{cur + 1}.{ext}" if cur + 1 < pages else None), total  # type: ignore[operator]


def sibling(root: str, name: str) -> str:
    """`name` next to the first list page: .../list/index.html + index_2.html -> .../list/index_2.html."""
    base = root if root.endswith("/") else root.rsplit("/", 1)[0] + "/"
    return base + name
