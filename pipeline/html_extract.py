"""Find the body of a policy page and read its metadata, whatever the CMS.

The body is cut by container first (trap 7: never by deleting strings globally): the CMS
families' own containers in order of how specific they are, then a text-density fallback.
Metadata comes from three places, most reliable first: the national `<meta name=…>` tags,
the 政府信息公开 label/value block, and gkmlpt's `_CONFIG.DETAIL` record.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from pipeline.chrome import trim_chrome
from pipeline.html_blocks import Block, element_blocks
from pipeline.text import count_cjk

# (name, XPath) in order: a specific CMS container beats a generic one.
CONTAINERS: tuple[tuple[str, str], ...] = (
    ("ucap", "//*[@id='UCAP-CONTENT' or @id='UCAPCONTENT' or contains(@class,'UCAP-CONTENT')]"),
    ("trs", "//*[contains(@class,'TRS_Editor') or contains(@class,'TRS_UEDITOR')]"),
    ("zoom", "//*[@id='zoom' or @id='zoomcon' or @id='Zoom']"),
    ("info_cont", "//*[@id='info_cont' or contains(concat(' ',@class,' '),' info_cont ')]"),
    ("wzades", "//*[@wzades='正文']"),
    ("vsb", "//*[@id='vsb_content' or starts-with(@id,'vsb_content')]"),
    ("article-content", "//*[contains(@class,'article-content') or contains(@class,'article_content')]"),
    ("content_article", "//*[contains(@class,'content_article') or contains(@class,'pages_content')]"),
    ("generic", "//article | //*[@id='content' or @id='article' or @class='content' or @class='article']"),
)
_HANWEB = re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->(.*?)<!--\s*ZJEG_RSS\.content\.end\s*-->", re.S | re.I)
_GKMLPT = re.compile(r"DETAIL\s*[:=]\s*\{")
_META_NAMES = ("ArticleTitle", "PubDate", "ContentSource", "ColumnName", "SiteName", "SiteDomain", "Url", "Keywords", "Description")


@dataclass
class PageParts:
    """What the HTML layer hands to the structure layer."""

    blocks: list[Block]
    container: str  # which rule found the body
    meta: dict[str, str] = field(default_factory=dict)  # <meta name> tags
    labels: list[str] = field(default_factory=list)  # page text outside the body, for the metadata block
    html_title: str = ""
    h1: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)  # every (text, href) on the page
    gkmlpt: dict = field(default_factory=dict)


def parse_html(text: str) -> etree._Element | None:
    text = text.lstrip("\ufeff")
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text.encode("utf-8", "replace"), parser=_PARSER)
    except (etree.ParserError, ValueError):
        return None


_PARSER = lxml.html.HTMLParser(encoding="utf-8", remove_comments=False, recover=True)


def extract(text: str) -> PageParts:
    root = parse_html(text)
    if root is None:
        return PageParts(blocks=[], container="none")
    meta = _meta_tags(root)
    gk = _gkmlpt_detail(text)
    html_title = _first_text(root, "//title")
    h1 = _first_text(root, "//h1")
    links = [(" ".join(a.text_content().split()), a.get("href") or "") for a in root.iter("a")]

    body_el, container = _find_container(root, text, gk)
    if body_el is None:
        return PageParts(blocks=[], container="none", meta=meta, html_title=html_title, h1=h1, links=links, gkmlpt=gk)
    blocks = trim_chrome(element_blocks(body_el))
    outside = _outside_lines(root, body_el)
    return PageParts(
        blocks=blocks,
        container=container,
        meta=meta,
        labels=outside,
        html_title=html_title,
        h1=h1,
        links=links,
        gkmlpt=gk,
    )


def _find_container(root: etree._Element, text: str, gk: dict) -> tuple[etree._Element | None, str]:
    m = _HANWEB.search(text)
    if m and count_cjk(m.group(1)) >= 20:
        frag = parse_html(f"<html><body><div>{m.group(1)}</div></body></html>")
        if frag is not None:
            return frag.find(".//body/div"), "hanweb"
    best: tuple[int, etree._Element, str] | None = None
    for name, xpath in CONTAINERS:
        found = [el for el in root.xpath(xpath) if isinstance(el.tag, str)]
        for el in found:
            n = count_cjk(el.text_content())
            # the first CMS rule that yields real text wins; a later, generic one must do much better
            if n >= 40 and (best is None or n > best[0] * 3):
                best = (n, el, name)
        if best is not None and name != "generic":
            break
    if gk.get("content") and (best is None or count_cjk(gk["content"]) > best[0] * 1.5):
        frag = parse_html(f"<html><body><div>{gk['content']}</div></body></html>")
        if frag is not None:
            return frag.find(".//body/div"), "gkmlpt"
    if best is not None:
        return best[1], best[2]
    el = _densest(root)
    return (el, "density") if el is not None else (None, "none")


def _densest(root: etree._Element) -> etree._Element | None:
    """Readability's idea: credit each paragraph's text to its parent, half to the grandparent.

    Link text counts against a paragraph, since navigation is mostly links.
    """
    scores: dict[etree._Element, float] = {}
    body = root.find("body")
    if body is None:
        body = root
    for p in body.iter("p", "div", "td", "li", "span", "font", "pre"):
        own = (p.text or "") + "".join((c.tail or "") for c in p)
        link_chars = sum(count_cjk(a.text_content()) for a in p.iter("a"))
        n = count_cjk(own) + sum(count_cjk(c.text_content()) for c in p if isinstance(c.tag, str) and c.tag in ("span", "font", "strong", "b", "a")) - 2 * link_chars
        if n < 10:
            continue
        parent = p.getparent()
        if parent is not None:
            scores[parent] = scores.get(parent, 0) + n
            gp = parent.getparent()
            if gp is not None:
                scores[gp] = scores.get(gp, 0) + n / 2
    if not scores:
        return body if count_cjk(body.text_content()) > 0 else None
    return max(scores, key=scores.get)


def _meta_tags(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or "").strip()
        content = " ".join((m.get("content") or "").split())
        if name and content and name.lower() in {n.lower() for n in _META_NAMES}:
            canonical = next(n for n in _META_NAMES if n.lower() == name.lower())
            out.setdefault(canonical, content)
    return out


def _first_text(root: etree._Element, xpath: str) -> str:
    for el in root.xpath(xpath):
        text = " ".join(el.text_content().split())
        if text:
            return text
    return ""


def _gkmlpt_detail(text: str) -> dict:
    """gkmlpt pages embed the record as JSON in `window._CONFIG = {… DETAIL: {…}}`."""
    m = _GKMLPT.search(text)
    if not m:
        return {}
    try:
        value, _ = json.JSONDecoder().raw_decode(text, m.end() - 1)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_LABEL_TEXT = "//*[not(self::script or self::style)]/text()[" + " or ".join(
    f"contains(., '{w}')" for w in ("索引号", "文号", "发布机构", "发文机关", "成文日期", "发布日期", "发文字号", "有效性", "文件状态", "主题分类")
) + "]"


def _outside_lines(root: etree._Element, body_el: etree._Element) -> list[str]:
    """Text lines of the metadata blocks: the smallest boxes around label words, outside the body.

    Walking only those boxes, not the whole page, keeps metadata reading cheap on 500 KB pages.
    """
    boxes: list[etree._Element] = []
    for text in root.xpath(_LABEL_TEXT):
        el = text.getparent()
        if el is None or _inside(el, body_el):
            continue
        box = el
        for _ in range(4):  # climb to the table/list that holds the label and its value
            parent = box.getparent()
            if parent is None or _inside(body_el, parent) or len(parent.text_content()) > 3000:
                break
            box = parent
        if not any(box is b or _inside(box, b) for b in boxes):
            boxes = [b for b in boxes if not _inside(b, box)] + [box]
    lines: list[str] = []
    for box in boxes:
        for b in element_blocks(box):
            if b.table is not None:
                # a metadata block is usually a table: one line per cell keeps label and value adjacent
                lines.extend(cell for row in b.table.rows for cell in row if cell)
            elif b.text:
                lines.append(b.text)
    return lines


def _inside(el: etree._Element, container: etree._Element) -> bool:
    """True when `el` is `container` or lies below it."""
    while el is not None:
        if el is container:
            return True
        el = el.getparent()
    return False
